//! Connecting from a libpq connection string over rustls (feature
//! `tls-rustls`), for the blocking driver and the async one.
//!
//! The string is a URL (`postgres://user:pass@host:5432/db?sslmode=verify-full`)
//! or libpq's key=value form (`host=db.internal dbname=app sslmode=require`).
//! Besides what tokio-postgres reads, it may carry:
//!
//! - `sslmode`: `disable` (plain TCP); `allow` / `prefer` (the default, as
//!   libpq: TLS when the server offers it, certificate not checked);
//!   `require` (TLS or fail; the certificate is checked against the CA only
//!   when `sslrootcert` is given, as libpq); `verify-ca` (TLS, chain checked,
//!   host name not); `verify-full` (TLS, chain and host name checked);
//! - `sslrootcert=FILE`: the trusted CA certificate(s), PEM. Without it,
//!   `~/.postgresql/root.crt` when it exists, else the public Web PKI roots
//!   (`sslrootcert=system` forces those). A self-signed server certificate
//!   listed there is trusted as is, as libpq does;
//! - `sslcert=FILE` and `sslkey=FILE`: a client certificate (X.509 v3) and its key;
//! - `connect_timeout=SECONDS`: how long connecting may take per host; without
//!   it [`DEFAULT_CONNECT_TIMEOUT`]. It bounds the whole start-up (TCP, TLS
//!   handshake, authentication), so a listener that accepts and never
//!   answers cannot hang the caller.
//!
//! Unless the string sets them, TCP keepalives (30 s idle, 10 s interval, 3
//! probes) and `tcp_user_timeout` (60 s) are set, so a link that goes silent
//! is noticed by the client too.
//!
//! With the blocking driver (feature `postgres`):
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let url = "postgres://app@db.internal/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem";
//! let mut client = pgmigrate_core::connect::connect(url)?;
//! pgmigrate_core::migrations!("../migrations").up(&mut client)?;
//! # Ok(()) }
//! ```
//!
//! With tokio-postgres (feature `tokio-postgres`): the connection is
//! returned for the caller to spawn, as `tokio_postgres::connect` does.
//! The runtime needs its timer (`#[tokio::main]` has it).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let url = std::env::var("DATABASE_URL")?;
//! let (mut client, connection) = pgmigrate_core::connect::connect_async(&url).await?;
//! let connection = tokio::spawn(connection);
//! pgmigrate_core::migrations!("../migrations").up_async(&mut client).await?;
//! drop(client);
//! connection.await??;
//! # Ok(()) }
//! ```
//!
//! For a pool (deadpool-postgres, bb8, r2d2), build the configuration and
//! the TLS connector once and hand both to the pool's manager:
//!
//! ```no_run
//! # fn main() -> Result<(), pgmigrate_core::connect::ConnectError> {
//! use pgmigrate_core::connect::ConnectOptions;
//!
//! let options = ConnectOptions::parse("host=db.internal dbname=app user=app sslmode=verify-full")?;
//! let config: tokio_postgres::Config = options.config()?;
//! let tls: pgmigrate_core::connect::MakeRustlsConnect = options.make_tls_connect()?;
//! // deadpool_postgres::Manager::new(config, tls), bb8_postgres::PostgresConnectionManager::new(config, tls), ...
//! # let _ = (config, tls); Ok(()) }
//! ```

mod conninfo;
mod error;
mod verify;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode as PgSslMode};

pub use error::ConnectError;
/// The `tokio_postgres::tls::MakeTlsConnect` of rustls that
/// [`ConnectOptions::make_tls_connect`] returns.
pub use tokio_postgres_rustls::MakeRustlsConnect;

/// How long connecting may take per host when the connection string gives
/// no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection task of [`connect_async`], to spawn on the runtime.
#[cfg(feature = "tokio-postgres")]
pub type TlsConnection = tokio_postgres::Connection<
    tokio_postgres::Socket,
    <MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream,
>;

/// How hard to insist on TLS, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when offered, unverified (also `allow`).
    Prefer,
    /// TLS required, unverified unless a root certificate is given.
    Require,
    /// TLS required, chain verified, host name not.
    VerifyCa,
    /// TLS required, chain and host name verified.
    VerifyFull,
}

impl SslMode {
    /// Its name in a connection string (`allow` reads as [`SslMode::Prefer`]).
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl FromStr for SslMode {
    type Err = ConnectError;

    /// The mode called `name` in a connection string or `PGSSLMODE`.
    fn from_str(name: &str) -> Result<SslMode, ConnectError> {
        Ok(match name {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => return Err(ConnectError::InvalidSslMode(other.to_string())),
        })
    }
}

/// A parsed connection string: what tokio-postgres reads, and the TLS
/// parameters read here (see the [module docs](self)). The fields may be
/// changed before connecting (e.g. from `PGSSLMODE` when
/// [`ConnectOptions::ssl_mode_given`] is false).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// The connection string without the TLS parameters read here.
    conninfo: String,
    /// `sslmode` ([`SslMode::Prefer`] when not given).
    pub ssl_mode: SslMode,
    /// Whether the string set `sslmode`.
    pub ssl_mode_given: bool,
    /// `sslrootcert`: a PEM file, or `system` for the Web PKI roots.
    pub root_cert: Option<String>,
    /// `sslcert`.
    pub client_cert: Option<PathBuf>,
    /// `sslkey`.
    pub client_key: Option<PathBuf>,
}

impl FromStr for ConnectOptions {
    type Err = ConnectError;

    fn from_str(conninfo: &str) -> Result<Self, ConnectError> {
        ConnectOptions::parse(conninfo)
    }
}

impl ConnectOptions {
    /// Reads a URL or key=value connection string. The rest of it is checked
    /// by [`ConnectOptions::config`].
    pub fn parse(conninfo: &str) -> Result<Self, ConnectError> {
        let (rest, own) = conninfo::split(conninfo)?;
        let mut opts = ConnectOptions {
            conninfo: rest,
            ssl_mode: SslMode::Prefer,
            ssl_mode_given: false,
            root_cert: None,
            client_cert: None,
            client_key: None,
        };
        for (key, value) in own {
            match key.as_str() {
                "sslmode" => {
                    opts.ssl_mode = value.parse()?;
                    opts.ssl_mode_given = true;
                }
                "sslrootcert" => opts.root_cert = Some(value),
                "sslcert" => opts.client_cert = Some(PathBuf::from(value)),
                "sslkey" => opts.client_key = Some(PathBuf::from(value)),
                _ => {} // sslcrl, sslcompression: accepted and ignored.
            }
        }
        Ok(opts)
    }

    /// The tokio-postgres configuration: the string's parameters, the TLS
    /// mode, [`DEFAULT_CONNECT_TIMEOUT`] and the keepalive defaults where
    /// the string sets none. `postgres::Config::from(config)` makes it a
    /// blocking one.
    pub fn config(&self) -> Result<tokio_postgres::Config, ConnectError> {
        let mut config = tokio_postgres::Config::from_str(&self.conninfo)
            .map_err(ConnectError::InvalidConfig)?;
        config.ssl_mode(match self.ssl_mode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        // A silent link must not keep the migration lock for hours (the
        // server side is set by the runner): unless the string says otherwise.
        let given = self.conninfo.to_ascii_lowercase();
        if !given.contains("keepalives") {
            config
                .keepalives(true)
                .keepalives_idle(Duration::from_secs(30))
                .keepalives_interval(Duration::from_secs(10))
                .keepalives_retries(3);
        }
        if !given.contains("tcp_user_timeout") {
            config.tcp_user_timeout(Duration::from_secs(60));
        }
        Ok(config)
    }

    /// The rustls client configuration of [`ConnectOptions::ssl_mode`], the
    /// roots and the client certificate (reads the certificate files).
    pub fn tls_config(&self) -> Result<rustls::ClientConfig, ConnectError> {
        verify::client_config(self)
    }

    /// The TLS connector to pass to `postgres::Config::connect`,
    /// `tokio_postgres::Config::connect` or a pool's manager (reads the
    /// certificate files).
    pub fn make_tls_connect(&self) -> Result<MakeRustlsConnect, ConnectError> {
        Ok(MakeRustlsConnect::new(self.tls_config()?))
    }

    /// Connects a blocking client (feature `postgres`), within the connect
    /// timeout.
    #[cfg(feature = "postgres")]
    pub fn connect(&self) -> Result<postgres::Client, ConnectError> {
        self.connect_with(&self.config()?)
    }

    /// Like [`ConnectOptions::connect`], with `config` (from
    /// [`ConnectOptions::config`], then changed) instead.
    ///
    /// The `postgres` crate cannot give up on a connection attempt, so it
    /// runs on a thread of its own: after the timeout that thread is left
    /// to end when the server or the kernel closes the socket.
    #[cfg(feature = "postgres")]
    pub fn connect_with(
        &self,
        config: &tokio_postgres::Config,
    ) -> Result<postgres::Client, ConnectError> {
        let tls = self.make_tls_connect()?;
        let target = describe_target(config);
        let limit = connect_deadline(config);
        let config = postgres::Config::from(config.clone());
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(config.connect(tls));
        });
        self.outcome(receiver.recv_timeout(limit).ok(), target, limit)
    }

    /// Connects an async client (feature `tokio-postgres`), within the
    /// connect timeout; spawn the returned connection.
    #[cfg(feature = "tokio-postgres")]
    pub async fn connect_async(
        &self,
    ) -> Result<(tokio_postgres::Client, TlsConnection), ConnectError> {
        self.connect_async_with(&self.config()?).await
    }

    /// Like [`ConnectOptions::connect_async`], with `config` (from
    /// [`ConnectOptions::config`], then changed) instead.
    #[cfg(feature = "tokio-postgres")]
    pub async fn connect_async_with(
        &self,
        config: &tokio_postgres::Config,
    ) -> Result<(tokio_postgres::Client, TlsConnection), ConnectError> {
        let tls = self.make_tls_connect()?;
        let target = describe_target(config);
        let limit = connect_deadline(config);
        let result = tokio::time::timeout(limit, config.connect(tls)).await;
        self.outcome(result.ok(), target, limit)
    }

    /// A connection attempt's result (`None`: the deadline `limit` passed).
    #[cfg(any(feature = "postgres", feature = "tokio-postgres"))]
    fn outcome<T>(
        &self,
        result: Option<Result<T, tokio_postgres::Error>>,
        target: String,
        limit: Duration,
    ) -> Result<T, ConnectError> {
        match result {
            Some(result) => result.map_err(|source| ConnectError::Connect {
                target,
                mode: self.ssl_mode,
                source,
            }),
            None => Err(ConnectError::Timeout { target, limit }),
        }
    }
}

/// Connects a blocking client to `conninfo` (see the [module docs](self)).
#[cfg(feature = "postgres")]
pub fn connect(conninfo: &str) -> Result<postgres::Client, ConnectError> {
    ConnectOptions::parse(conninfo)?.connect()
}

/// Connects an async client to `conninfo` (see the [module docs](self));
/// spawn the returned connection.
#[cfg(feature = "tokio-postgres")]
pub async fn connect_async(
    conninfo: &str,
) -> Result<(tokio_postgres::Client, TlsConnection), ConnectError> {
    ConnectOptions::parse(conninfo)?.connect_async().await
}

/// Where a connection goes, for messages: `db on host:port` (never the password).
pub fn describe_target(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{db} on {host}:{port}")
}

/// How long connecting may take in all: the connect timeout per host tried.
#[cfg(any(feature = "postgres", feature = "tokio-postgres", test))]
fn connect_deadline(config: &tokio_postgres::Config) -> Duration {
    let per_host = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let hosts = u32::try_from(config.get_hosts().len().max(1)).unwrap_or(u32::MAX);
    per_host.saturating_mul(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> tokio_postgres::Config {
        ConnectOptions::parse(url).unwrap().config().unwrap()
    }

    #[test]
    fn keepalive_defaults_unless_the_connection_string_sets_them() {
        let c = config("postgres://u@h/db");
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(30));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(10)));
        assert_eq!(c.get_keepalives_retries(), Some(3));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(60)));
        let c = config("postgres://u@h/db?keepalives_idle=5&tcp_user_timeout=7");
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(5));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(7)));
    }

    #[test]
    fn tls_parameters_are_read_and_the_rest_reaches_tokio_postgres() {
        let o = ConnectOptions::parse(
            "postgres://u:p@h/db?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fca.pem",
        )
        .unwrap();
        assert_eq!(o.ssl_mode, SslMode::VerifyFull);
        assert!(o.ssl_mode_given);
        assert_eq!(o.root_cert.as_deref(), Some("/tmp/ca.pem"));
        let c = o.config().unwrap();
        assert_eq!(c.get_application_name(), Some("x"));
        assert_eq!(c.get_ssl_mode(), PgSslMode::Require);

        let o = ConnectOptions::parse("host=h dbname = 'my db' password='a\\'b'").unwrap();
        assert_eq!((o.ssl_mode, o.ssl_mode_given), (SslMode::Prefer, false));
        let c = o.config().unwrap();
        assert_eq!(c.get_dbname(), Some("my db"));
        assert_eq!(c.get_password(), Some(&b"a'b"[..]));
        assert_eq!(c.get_ssl_mode(), PgSslMode::Prefer);
    }

    #[test]
    fn connect_deadline_is_the_url_timeout_per_host() {
        let with = |url: &str| connect_deadline(&config(url));
        assert_eq!(with("postgres://h/db"), DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(
            with("postgres://h/db?connect_timeout=3"),
            Duration::from_secs(3)
        );
        assert_eq!(
            with("postgres://a,b/db?connect_timeout=2"),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn ssl_mode_names_round_trip_and_a_bad_one_says_which() {
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(mode.as_str().parse::<SslMode>().unwrap(), mode);
        }
        assert_eq!("allow".parse::<SslMode>().unwrap(), SslMode::Prefer);
        let err = ConnectOptions::parse("postgres://h/db?sslmode=maybe").unwrap_err();
        assert_eq!(err.to_string(), "invalid sslmode `maybe`");
        assert!(err.help().contains("verify-full"));
    }

    #[test]
    fn an_invalid_url_error_has_no_password() {
        let err = ConnectOptions::parse("postgres://u:hunter2@h:notaport/db")
            .unwrap()
            .config()
            .unwrap_err();
        assert!(matches!(err, ConnectError::InvalidConfig(_)));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn certificate_files_that_cannot_be_used_are_named() {
        let o = ConnectOptions::parse(
            "postgres://h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        )
        .unwrap();
        let err = o.tls_config().unwrap_err();
        assert!(matches!(err, ConnectError::CertificateFile { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let o = ConnectOptions::parse("postgres://h/db?sslcert=/tmp/c.pem").unwrap();
        assert!(matches!(o.tls_config(), Err(ConnectError::HalfClientPair)));
        // Without a root file, require encrypts without checking.
        let o = ConnectOptions::parse("postgres://h/db?sslmode=require").unwrap();
        assert!(o.tls_config().is_ok());
    }
}
