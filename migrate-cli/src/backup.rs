//! `up --backup FILE`: a `pg_dump` of the database before anything is applied.
//!
//! The local `pg_dump` runs against the same connection as the runner. The
//! connection goes to it through libpq's environment variables (`PGHOST`,
//! `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`,
//! `PGSSLKEY`) and the password through a private temporary password file
//! (`PGPASSFILE`, mode 0600, removed afterwards): nothing secret appears on a
//! command line, where every local user could read it. The dump is in
//! pg_dump's custom format (compressed, restored selectively with
//! `pg_restore`); it counts as finished when pg_dump exits with success and
//! the file is non-empty and starts with the custom format's `PGDMP` signature.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tokio_postgres::config::Host;

use crate::commands::Ctx;
use crate::connect::ConnectOptions;
use crate::error::{CliError, Result};
use crate::output::{duration, Style};
use crate::redact::redact;
use crate::settings;

/// The first bytes of a custom-format archive.
const CUSTOM_FORMAT_SIGNATURE: &[u8] = b"PGDMP";

/// libpq variables that could redirect or alter the dump's connection; they
/// are cleared so that pg_dump connects exactly where the runner does.
const CLEARED_VARS: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGOPTIONS",
];

/// Writes a custom-format dump of the connected database to `file` with
/// `pg_dump` (or `program`); errors leave no partial file behind.
pub fn backup(
    ctx: &Ctx,
    client: &mut postgres::Client,
    file: &Path,
    program: Option<&Path>,
) -> Result<()> {
    if file.exists() {
        return Err(CliError::new(format!(
            "backup file {} already exists; nothing was applied",
            file.display()
        ))
        .help("choose a new file name (a backup is never overwritten)"));
    }
    let program = program.unwrap_or(Path::new("pg_dump"));
    let dump_version = pg_dump_version(program)?;
    let server: i64 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(|e| CliError::new(format!("cannot read the server version: {e}")))?
        .get::<_, i32>(0)
        .into();
    check_versions(&dump_version, server).map_err(|message| {
        CliError::new(format!("{message}; nothing was applied")).help(format!(
            "install the PostgreSQL client programs of version {m} or newer (e.g. postgresql-client-{m}) \
             and pass --pg-dump /usr/lib/postgresql/{m}/bin/pg_dump if it is not first on PATH",
            m = major(server)
        ))
    })?;

    let (url, _) = settings::require_database_url(ctx.global)?;
    let opts = ConnectOptions::parse(&url)?;
    let config = opts.config()?;
    let passfile = match config.get_password() {
        Some(password) => Some(PassFile::write(password)?),
        None => None,
    };
    let mut command = Command::new(program);
    command
        .arg("--format=custom")
        .arg("--no-password")
        .arg("--file")
        .arg(file);
    for var in CLEARED_VARS {
        command.env_remove(var);
    }
    for (key, value) in libpq_env(&config, &opts) {
        command.env(key, value);
    }
    if let Some(passfile) = &passfile {
        command.env("PGPASSFILE", &passfile.path);
    }
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|e| CliError::new(format!("cannot run {}: {e}", program.display())))?;
    drop(passfile);
    if let Err(problem) = finished(&output, file) {
        let _ = std::fs::remove_file(file);
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CliError::new(format!(
            "the backup failed, nothing was applied: {problem}{}",
            match stderr.trim() {
                "" => String::new(),
                text => format!(": {}", redact(&text.replace('\n', " "))),
            }
        ))
        .help("fix the cause and run the command again; without --backup, up does not dump"));
    }
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let shown = file.display();
    ctx.out.result(&format!(
        "{} written to {shown} ({size} bytes, pg_dump {} custom format, in {})",
        ctx.out.paint(Style::Green, "backup"),
        dump_version.text,
        duration(started.elapsed())
    ));
    ctx.out.result(&format!(
        "  restore it into a new database: createdb NEW_DB && pg_restore --dbname NEW_DB {shown}\n  \
         or over this one (drops what it restores first): pg_restore --clean --if-exists --dbname {} {shown}",
        config.get_dbname().or(config.get_user()).unwrap_or("DB")
    ));
    Ok(())
}

/// The version `pg_dump --version` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpVersion {
    /// As printed, e.g. `15.4`.
    pub text: String,
    /// In `server_version_num` form, e.g. 150004.
    pub num: i64,
}

fn pg_dump_version(program: &Path) -> Result<DumpVersion> {
    let output = Command::new(program).arg("--version").output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            return Err(CliError::new(format!(
                "`{} --version` failed: {}",
                program.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::new(format!(
                "--backup needs pg_dump, and {} was not found; nothing was applied",
                program.display()
            ))
            .help("install the PostgreSQL client programs (e.g. the postgresql-client package) or pass --pg-dump PATH"))
        }
        Err(e) => return Err(CliError::new(format!("cannot run {}: {e}", program.display()))),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    parse_version(&text).ok_or_else(|| {
        CliError::new(format!(
            "cannot read the version of {} from `{}`",
            program.display(),
            text.trim()
        ))
    })
}

/// Reads `pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)` or `pg_dump (PostgreSQL) 9.6.24`.
pub fn parse_version(text: &str) -> Option<DumpVersion> {
    let word = text
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let digits: String = word
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let parts: Vec<i64> = digits
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<_>>>()?;
    let num = match parts.as_slice() {
        [major, rest @ ..] if *major >= 10 => major * 10_000 + rest.first().copied().unwrap_or(0),
        [major, minor, rest @ ..] => {
            major * 10_000 + minor * 100 + rest.first().copied().unwrap_or(0)
        }
        _ => return None,
    };
    Some(DumpVersion { text: digits, num })
}

/// The major version of a `server_version_num` as text: `15` for 150004, `9.6` for 90624.
fn major(num: i64) -> String {
    if num >= 100_000 {
        (num / 10_000).to_string()
    } else {
        format!("{}.{}", num / 10_000, (num / 100) % 100)
    }
}

/// A key that orders major versions: 1500 for 150004, 906 for 90624.
fn major_key(num: i64) -> i64 {
    if num >= 100_000 {
        num / 10_000 * 100
    } else {
        num / 100
    }
}

/// pg_dump refuses a server of a newer major version; say so before running it.
pub fn check_versions(dump: &DumpVersion, server_num: i64) -> std::result::Result<(), String> {
    if major_key(dump.num) < major_key(server_num) {
        return Err(format!(
            "pg_dump {} is older than the server (PostgreSQL {}): it cannot dump it",
            dump.text,
            major(server_num)
        ));
    }
    Ok(())
}

/// The libpq environment of the runner's connection (no password).
fn libpq_env(
    config: &tokio_postgres::Config,
    opts: &ConnectOptions,
) -> Vec<(&'static str, String)> {
    let mut env = vec![("PGAPPNAME", "pgmigrate-backup".to_string())];
    match config.get_hosts().first() {
        Some(Host::Tcp(host)) => env.push(("PGHOST", host.clone())),
        #[cfg(unix)]
        Some(Host::Unix(dir)) => env.push(("PGHOST", dir.display().to_string())),
        None => {}
    }
    if let Some(addr) = config.get_hostaddrs().first() {
        env.push(("PGHOSTADDR", addr.to_string()));
    }
    if let Some(port) = config.get_ports().first() {
        env.push(("PGPORT", port.to_string()));
    }
    if let Some(user) = config.get_user() {
        env.push(("PGUSER", user.to_string()));
    }
    if let Some(db) = config.get_dbname() {
        env.push(("PGDATABASE", db.to_string()));
    }
    if let Some(timeout) = config.get_connect_timeout() {
        env.push(("PGCONNECT_TIMEOUT", timeout.as_secs().max(1).to_string()));
    }
    env.push(("PGSSLMODE", opts.ssl_mode.as_str().to_string()));
    if let Some(root) = &opts.root_cert {
        env.push(("PGSSLROOTCERT", root.clone()));
    }
    if let Some(cert) = &opts.client_cert {
        env.push(("PGSSLCERT", cert.display().to_string()));
    }
    if let Some(key) = &opts.client_key {
        env.push(("PGSSLKEY", key.display().to_string()));
    }
    env
}

/// Whether pg_dump finished: success status, and a non-empty custom-format file.
fn finished(output: &std::process::Output, file: &Path) -> std::result::Result<(), String> {
    if !output.status.success() {
        return Err(format!("pg_dump exited with {}", output.status));
    }
    let mut head = [0u8; 5];
    let read = std::fs::File::open(file).and_then(|mut f| {
        use std::io::Read;
        f.read(&mut head)
    });
    match read {
        Ok(n) if head[..n] == *CUSTOM_FORMAT_SIGNATURE => Ok(()),
        Ok(0) => Err(format!("{} is empty", file.display())),
        Ok(_) => Err(format!("{} is not a pg_dump archive", file.display())),
        Err(e) => Err(format!("cannot read {}: {e}", file.display())),
    }
}

/// A libpq password file readable by this user only, removed when dropped.
struct PassFile {
    path: PathBuf,
}

impl PassFile {
    fn write(password: &[u8]) -> Result<PassFile> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("pgmigrate-{}-{nanos}.pgpass", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&path).map_err(|e| {
            CliError::new(format!("cannot create a password file for pg_dump: {e}"))
        })?;
        let file = PassFile { path };
        f.write_all(&passfile_line(password)).map_err(|e| {
            CliError::new(format!("cannot write the password file for pg_dump: {e}"))
        })?;
        Ok(file)
    }
}

impl Drop for PassFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `*:*:*:*:password` with `:` and `\` escaped (the file names one connection:
/// the one in PGHOST/PGPORT/PGDATABASE/PGUSER).
fn passfile_line(password: &[u8]) -> Vec<u8> {
    let mut line = b"*:*:*:*:".to_vec();
    for &b in password {
        if b == b':' || b == b'\\' {
            line.push(b'\\');
        }
        line.push(b);
    }
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_and_compared_by_major() {
        let v = parse_version("pg_dump (PostgreSQL) 15.4 (Debian 15.4-1.pgdg120+1)\n").unwrap();
        assert_eq!((v.text.as_str(), v.num), ("15.4", 150004));
        let old = parse_version("pg_dump (PostgreSQL) 9.6.24").unwrap();
        assert_eq!(old.num, 90624);
        assert_eq!(
            parse_version("pg_dump (PostgreSQL) 17devel").unwrap().num,
            170000
        );
        assert!(parse_version("no version here").is_none());
        assert!(check_versions(&v, 150010).is_ok());
        assert!(check_versions(&v, 140002).is_ok());
        let e = check_versions(&v, 160001).unwrap_err();
        assert_eq!(
            e,
            "pg_dump 15.4 is older than the server (PostgreSQL 16): it cannot dump it"
        );
        assert!(check_versions(&old, 100000).is_err());
        assert!(check_versions(&old, 90605).is_ok());
        assert!(check_versions(&v, 90624).is_ok());
    }

    #[test]
    fn password_file_escapes_separators() {
        assert_eq!(passfile_line(b"a:b\\c"), b"*:*:*:*:a\\:b\\\\c\n");
    }
}
