//! Connecting to PostgreSQL from the command line: the library's connector
//! (`pgmigrate_core::connect`: `sslmode`, `sslrootcert`, `sslcert`/`sslkey`
//! over rustls, `connect_timeout` bounding the whole start-up, keepalives),
//! plus what a command line adds: libpq's environment and password file
//! ([`crate::pgenv`]), the application name `pgmigrate`, the password
//! registered for masking, and every error as one redacted line with help.

pub use pgmigrate_core::connect::{ConnectError, ConnectOptions};

use crate::error::{CliError, Result};
use crate::redact::redact_connection_text as redact;

impl From<ConnectError> for CliError {
    fn from(e: ConnectError) -> Self {
        CliError::new(redact(&e.to_string())).help(e.help())
    }
}

/// Connects with the URL's TLS settings; every error is one redacted line with help.
pub fn connect(conninfo: &str) -> Result<postgres::Client> {
    connect_to(conninfo, None)
}

/// Like [`connect`], to database `dbname` instead of the URL's database.
pub fn connect_to(conninfo: &str, dbname: Option<&str>) -> Result<postgres::Client> {
    let (opts, mut config) = resolve(conninfo)?;
    if let Some(db) = dbname {
        config.dbname(db);
    }
    Ok(opts.connect_with(&config)?)
}

/// The connection string completed as libpq would: `PGSSLMODE` and
/// `PGSSLROOTCERT`, then the other variables and the password file
/// ([`crate::pgenv`]) for what the string leaves out. Registers the password
/// in use for masking.
pub fn resolve(conninfo: &str) -> Result<(ConnectOptions, tokio_postgres::Config)> {
    let env = crate::pgenv::process_env;
    let mut opts = ConnectOptions::parse(conninfo)?;
    if !opts.ssl_mode_given {
        if let Some(mode) = env("PGSSLMODE") {
            opts.ssl_mode = mode.parse()?;
        }
    }
    if opts.root_cert.is_none() {
        opts.root_cert = env("PGSSLROOTCERT");
    }
    let mut config = opts.config()?;
    if config.get_application_name().is_none() {
        config.application_name("pgmigrate");
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let applied = crate::pgenv::apply(&mut config, &env, home.as_deref());
    for warning in &applied.warnings {
        log::warn!("{warning}");
    }
    crate::redact::install_with_password(conninfo, applied.password.as_deref());
    Ok((opts, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_keep_their_help_and_lose_the_password() {
        let e: CliError = ConnectOptions::parse("postgres://u:hunter2@h:notaport/db")
            .and_then(|o| o.config())
            .unwrap_err()
            .into();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(e.message.contains("invalid database URL"), "{}", e.message);
        assert!(e.help.is_some());
    }

    #[test]
    fn the_application_name_defaults_to_pgmigrate() {
        let (_, config) = resolve("postgres://u@h/db").unwrap();
        assert_eq!(config.get_application_name(), Some("pgmigrate"));
        let (_, config) = resolve("postgres://u@h/db?application_name=x").unwrap();
        assert_eq!(config.get_application_name(), Some("x"));
    }
}
