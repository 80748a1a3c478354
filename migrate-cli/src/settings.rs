//! Resolving the global options into runner settings: the database URL
//! (flag > environment > `.env`), the history table and the lock timeout.

use std::path::Path;
use std::time::Duration;

use crate::cli::GlobalOpts;
use crate::dotenv;
use crate::error::{CliError, Result};

/// Environment variable (and `.env` key) holding the connection string.
pub const DATABASE_URL: &str = "DATABASE_URL";

/// Where the connection string came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url`.
    Flag,
    /// The `DATABASE_URL` environment variable.
    Env,
    /// `DATABASE_URL` in `./.env`.
    DotEnv,
    /// No connection string: libpq's `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGDATABASE` variables (see [`crate::pgenv`]).
    PgEnv,
}

/// The database URL and where it came from, or `None` when none is configured.
pub fn database_url(opts: &GlobalOpts) -> Result<Option<(String, UrlSource)>> {
    if let Some(url) = &opts.database_url {
        return Ok(Some((url.clone(), UrlSource::Flag)));
    }
    if let Some(url) = std::env::var_os(DATABASE_URL) {
        let url = url
            .into_string()
            .map_err(|_| CliError::new("DATABASE_URL is not valid UTF-8"))?;
        if !url.is_empty() {
            return Ok(Some((url, UrlSource::Env)));
        }
    }
    let path = Path::new(".env");
    match dotenv::lookup(path, DATABASE_URL) {
        Ok(Some(url)) if !url.is_empty() => Ok(Some((url, UrlSource::DotEnv))),
        Ok(_) if crate::pgenv::names_a_server(&crate::pgenv::process_env) => {
            Ok(Some((String::new(), UrlSource::PgEnv)))
        }
        Ok(_) => Ok(None),
        Err(e) => Err(CliError::new(format!("cannot read .env: {e}"))
            .help("fix the file's permissions or remove it")),
    }
}

/// The database URL, or an error that says how to provide one.
pub fn require_database_url(opts: &GlobalOpts) -> Result<(String, UrlSource)> {
    database_url(opts)?.ok_or_else(|| {
        CliError::new("no database given").help(
            "pass --database-url postgres://USER@HOST/DB, set DATABASE_URL, put DATABASE_URL=... in ./.env, or set PGHOST/PGPORT/PGUSER/PGDATABASE as for psql",
        )
    })
}

/// A history table name split into optional schema and table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    /// The schema, when qualified.
    pub schema: Option<String>,
    /// The table.
    pub name: String,
}

/// Parses `table`, `schema.table`, or double-quoted parts (`"My Schema"."t.x"`).
pub fn parse_table_name(text: &str) -> Result<TableName> {
    let bad = |why: &str| {
        CliError::new(format!("invalid --history-table `{text}`: {why}"))
            .help("write TABLE or SCHEMA.TABLE; double-quote a part that contains a dot")
    };
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(bad("unterminated quote")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c == '"' {
                    return Err(bad("a quote in the middle of a name"));
                }
                part.push(c);
                chars.next();
            }
        }
        if part.is_empty() {
            return Err(bad("empty name"));
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(_) => return Err(bad("text after a quoted name")),
        }
    }
    match parts.len() {
        1 => Ok(TableName {
            schema: None,
            name: parts.remove(0),
        }),
        2 => {
            let name = parts.remove(1);
            Ok(TableName {
                schema: Some(parts.remove(0)),
                name,
            })
        }
        _ => Err(bad("more than one dot")),
    }
}

/// Checks `--env`: a plain name (as `-- migrate:only` accepts), and on the
/// `--environments` list when one is given.
pub fn check_environment(env: &str, known: Option<&[String]>) -> Result<()> {
    if env.is_empty() {
        return Err(CliError::new(
            "empty environment name (--env / MIGRATE_ENV)",
        ));
    }
    pgmigrate_build::check_environment(env, &[], known).map_err(|(_, message, help)| {
        CliError::new(format!("{message} (--env / MIGRATE_ENV)")).help(help)
    })
}

/// Parses a duration such as `5s`, `500ms`, `1m`, `1h`, `1.5s` (`0` is zero),
/// as migrate.toml's `[runner]` durations are read.
pub fn parse_duration(text: &str) -> Result<Duration> {
    pgmigrate_build::parse_duration(text).map_err(|message| match message.split_once(": ") {
        Some((what, help)) => CliError::new(what).help(help),
        None => CliError::new(message),
    })
}

/// The largest value of PostgreSQL's `lock_timeout` and `statement_timeout`
/// (an `int` of milliseconds: about 24.8 days).
pub const MAX_SERVER_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// Parses a duration for a server timeout setting: at most
/// [`MAX_SERVER_TIMEOUT`], and not below 1 ms unless 0 (which the server
/// would round to 0, meaning no timeout at all).
pub fn parse_server_timeout(flag: &str, text: &str) -> Result<Duration> {
    let d = parse_duration(text)?;
    if d > MAX_SERVER_TIMEOUT {
        return Err(CliError::new(format!(
            "{flag} {text} is longer than PostgreSQL allows (at most 2147483647ms, about 24.8 days)"
        ))
        .help("give a shorter duration, or 0 for no timeout"));
    }
    if !d.is_zero() && d < Duration::from_millis(1) {
        return Err(CliError::new(format!(
            "{flag} {text} is shorter than 1ms: PostgreSQL counts whole milliseconds and would read it as 0 (no timeout)"
        ))
        .help("give at least 1ms, or 0 for no timeout"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        let t = parse_table_name("audit.schema_history").unwrap();
        assert_eq!(t.schema.as_deref(), Some("audit"));
        assert_eq!(t.name, "schema_history");
        let t = parse_table_name("\"My.Schema\".\"t\"\"x\"").unwrap();
        assert_eq!(t.schema.as_deref(), Some("My.Schema"));
        assert_eq!(t.name, "t\"x");
        assert!(parse_table_name("a.b.c").is_err());
        assert!(parse_table_name("a.").is_err());
        assert!(parse_table_name("").is_err());
    }

    #[test]
    fn environments() {
        assert!(check_environment("dev", None).is_ok());
        assert!(check_environment("dev west", None).is_err());
        assert!(check_environment("", None).is_err());
        let list = ["dev".to_string(), "production".to_string()];
        assert!(check_environment("production", Some(&list)).is_ok());
        let e = check_environment("prod", Some(&list)).unwrap_err();
        assert_eq!(
            e.help.as_deref(),
            Some("configured environments: dev, production")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn server_timeouts_fit_an_int_of_milliseconds() {
        let t = |text| parse_server_timeout("--statement-timeout", text);
        assert_eq!(t("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(t("2147483647ms").unwrap(), MAX_SERVER_TIMEOUT);
        let e = t("2147483648ms").unwrap_err();
        assert!(e.message.contains("about 24.8 days"), "{}", e.message);
        assert!(t("600h").is_err());
        assert!(t("0.5ms").is_err());
        assert_eq!(t("0").unwrap(), Duration::ZERO);
    }
}
