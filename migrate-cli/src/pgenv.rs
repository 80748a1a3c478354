//! The connection defaults that libpq takes from the environment, so that a
//! setup that works for `psql` works here too:
//!
//! - `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`,
//!   `PGSSLROOTCERT`, `PGAPPNAME`: each used for its parameter when the
//!   connection string does not set it (with no connection string at all,
//!   they make one);
//! - `PGPASSWORD`, then the password file (`PGPASSFILE`, default
//!   `~/.pgpass`), when the connection string has no password. As libpq,
//!   the file is ignored (with a warning) unless it is a regular file
//!   without group or other permissions (`chmod 0600`). Lines are
//!   `host:port:database:user:password`, `*` matches anything, `\:` and
//!   `\\` escape; the first matching line wins; a Unix-socket connection
//!   matches the host `localhost`.
//!
//! Still missing after that, as libpq: the user is the operating system
//! user, the database is the user's name, the port 5432, and the host the
//! Unix socket directory when a server listens there, else `localhost`.

use std::path::{Path, PathBuf};

use tokio_postgres::config::Host;

/// Reads an environment variable; `None` when unset, empty or not UTF-8.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, for [`Env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether any of the variables that name a server is set (then a missing
/// connection string is not an error: libpq would connect).
pub fn names_a_server(env: Env<'_>) -> bool {
    ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]
        .iter()
        .any(|v| env(v).is_some())
}

/// What [`apply`] did, for the CLI's messages.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The password that came from the environment or the password file.
    pub password: Option<String>,
    /// Warnings to show (an unsafe password file).
    pub warnings: Vec<String>,
}

/// Fills what `config` leaves unset from the environment and the password
/// file, as libpq does; `home` is the user's home directory.
pub fn apply(config: &mut tokio_postgres::Config, env: Env<'_>, home: Option<&Path>) -> Applied {
    let mut applied = Applied::default();
    if config.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(hosts) => {
                for host in hosts.split(',') {
                    add_host(config, host.trim());
                }
            }
            None => {
                let port = env("PGPORT")
                    .and_then(|p| p.parse().ok())
                    .or_else(|| config.get_ports().first().copied())
                    .unwrap_or(5432);
                match default_socket_dir(port) {
                    Some(dir) => {
                        config.host_path(dir);
                    }
                    None => {
                        config.host("localhost");
                    }
                }
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(port) = env("PGPORT").and_then(|p| p.trim().parse::<u16>().ok()) {
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        if let Some(user) = env("PGUSER")
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
        {
            config.user(&user);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(db) = env("PGDATABASE") {
            config.dbname(&db);
        } else if let Some(user) = config.get_user().map(str::to_string) {
            config.dbname(&user);
        }
    }
    if config.get_application_name().is_none() {
        if let Some(name) = env("PGAPPNAME") {
            config.application_name(&name);
        }
    }
    if config.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| {
            let file = env("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".pgpass")))?;
            password_from_file(&file, config, &mut applied.warnings)
        });
        if let Some(password) = password {
            config.password(password.as_bytes());
            applied.password = Some(password);
        }
    }
    applied
}

fn add_host(config: &mut tokio_postgres::Config, host: &str) {
    if host.starts_with('/') {
        config.host_path(host);
    } else if !host.is_empty() {
        config.host(host);
    }
}

/// libpq's default socket directories (Debian's, then the upstream default).
fn default_socket_dir(port: u16) -> Option<&'static str> {
    ["/var/run/postgresql", "/tmp"]
        .into_iter()
        .find(|dir| Path::new(dir).join(format!(".s.PGSQL.{port}")).exists())
}

/// The password of the first line of the password file `path` that matches
/// the connection, or `None`; an unsafe file is skipped with a warning.
fn password_from_file(
    path: &Path,
    config: &tokio_postgres::Config,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() {
        warnings.push(format!(
            "password file \"{}\" is not a plain file: ignored",
            path.display()
        ));
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o077 != 0 {
            warnings.push(format!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less: ignored",
                path.display()
            ));
            return None;
        }
    }
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        // A socket directory matches `localhost`, as in libpq.
        #[cfg(unix)]
        Some(Host::Unix(_)) => "localhost".to_string(),
        None => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    lookup(&text, [&host, &port, db, user])
}

/// The password of the first line of a password file's `text` whose four
/// fields match `wanted` (host, port, database, user).
pub fn lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_fields(line);
        if fields.len() < 5 {
            continue;
        }
        let matches = fields[..4]
            .iter()
            .zip(wanted)
            .all(|(field, want)| field == "*" || field == want);
        if matches {
            return Some(fields[4].clone());
        }
    }
    None
}

/// The `:`-separated fields of a password file line, unescaped; the fifth
/// keeps any further `:` (a password may contain one unescaped).
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::str::FromStr;

    fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn password_file_lines() {
        let text = "# comment\n\
                    db.example.com:5432:*:alice:first\n\
                    *:*:app:bob:with\\:colon\\\\\n\
                    *:*:*:bob:fallback:tail\n";
        let find = |w| lookup(text, w);
        assert_eq!(
            find(["db.example.com", "5432", "x", "alice"]).as_deref(),
            Some("first")
        );
        assert_eq!(find(["db.example.com", "5433", "x", "alice"]), None);
        assert_eq!(
            find(["h", "1", "app", "bob"]).as_deref(),
            Some("with:colon\\")
        );
        assert_eq!(
            find(["h", "1", "other", "bob"]).as_deref(),
            Some("fallback:tail")
        );
    }

    #[test]
    fn environment_fills_what_the_string_leaves_out() {
        let vars = env_of(&[
            ("PGHOST", "db1,/run/pg"),
            ("PGPORT", "6543"),
            ("PGUSER", "carol"),
            ("PGPASSWORD", "from-env"),
        ]);
        let env = |k: &str| vars.get(k).cloned();
        let mut config = tokio_postgres::Config::from_str("dbname=app").unwrap();
        let applied = apply(&mut config, &env, None);
        assert_eq!(config.get_hosts().len(), 2);
        assert_eq!(config.get_ports(), [6543]);
        assert_eq!(config.get_user(), Some("carol"));
        assert_eq!(config.get_dbname(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"from-env"[..]));
        assert_eq!(applied.password.as_deref(), Some("from-env"));
        // The string wins over the environment.
        let mut config = tokio_postgres::Config::from_str("postgres://dave:pw@h:1/d").unwrap();
        apply(&mut config, &env, None);
        assert_eq!(config.get_user(), Some("dave"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_ports(), [1]);
        // No database: the user's name.
        let mut config = tokio_postgres::Config::from_str("host=h").unwrap();
        apply(&mut config, &env, None);
        assert_eq!(config.get_dbname(), Some("carol"));
    }

    #[cfg(unix)]
    #[test]
    fn password_file_needs_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".pgpass");
        std::fs::write(&file, "h:5432:d:u:secret\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let env = |_: &str| None;
        let mut config = tokio_postgres::Config::from_str("host=h dbname=d user=u").unwrap();
        let applied = apply(&mut config, &env, Some(dir.path()));
        assert_eq!(config.get_password(), None);
        assert!(applied.warnings[0].contains("u=rw (0600)"), "{applied:?}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut config = tokio_postgres::Config::from_str("host=h dbname=d user=u").unwrap();
        let applied = apply(&mut config, &env, Some(dir.path()));
        assert_eq!(config.get_password(), Some(&b"secret"[..]));
        assert!(applied.warnings.is_empty());
    }
}
