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
        Ok(_) => Ok(None),
        Err(e) => Err(CliError::new(format!("cannot read .env: {e}"))
            .help("fix the file's permissions or remove it")),
    }
}

/// The database URL, or an error that says how to provide one.
pub fn require_database_url(opts: &GlobalOpts) -> Result<(String, UrlSource)> {
    database_url(opts)?.ok_or_else(|| {
        CliError::new("no database given").help(
            "pass --database-url postgres://USER@HOST/DB, set DATABASE_URL, or put DATABASE_URL=... in ./.env",
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

/// Parses a duration such as `5s`, `500ms`, `1m`, `1h`, `1.5s` (`0` is zero).
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || {
        CliError::new(format!("invalid duration `{text}`"))
            .help("write a number with a unit: `500ms`, `5s`, `2m`, `1h`")
    };
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "sec" | "secs" => n,
        "m" | "min" | "mins" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || !(0.0..=365.0 * 86400.0).contains(&secs) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
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
}
