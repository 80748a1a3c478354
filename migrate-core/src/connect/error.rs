//! What can go wrong while connecting, and what to do about it.

use std::path::PathBuf;
use std::time::Duration;

use super::SslMode;

/// A connection string that cannot be used, a certificate that cannot be
/// read, or a server that refused or did not answer. [`ConnectError::help`]
/// says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// `sslmode` names no mode libpq knows.
    #[error("invalid sslmode `{0}`")]
    InvalidSslMode(String),
    /// A key=value connection string that does not parse.
    #[error("invalid connection string")]
    InvalidConnectionString,
    /// tokio-postgres rejected the connection string (the password is not in this message).
    #[error("invalid database URL: {}", one_line(.0))]
    InvalidConfig(#[source] tokio_postgres::Error),
    /// `sslrootcert` or `sslcert` cannot be read as PEM.
    #[error("cannot read certificate file {}: {reason}", .path.display())]
    CertificateFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `sslrootcert` or `sslcert` holds no certificate.
    #[error("no certificate found in {}", .0.display())]
    NoCertificate(PathBuf),
    /// A certificate of `sslrootcert` cannot serve as a root.
    #[error("invalid certificate in {}: {reason}", .path.display())]
    RootCertificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `sslkey` cannot be read as a PEM private key.
    #[error("cannot read sslkey {}: {reason}", .path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the `sslcert` / `sslkey` pair.
    #[error("invalid client certificate {}: {reason}", .path.display())]
    ClientCertificate {
        /// The `sslcert` file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Only one of `sslcert` and `sslkey` was given.
    #[error("sslcert and sslkey must be given together")]
    HalfClientPair,
    /// rustls could not be set up (or the roots could not be used).
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The server refused the connection, or could not be reached.
    #[error("cannot connect to {target}: {}", server_reason(.source))]
    Connect {
        /// Database, host and port (never the password).
        target: String,
        /// The `sslmode` in use.
        mode: SslMode,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Connecting (TCP, TLS and the start-up exchange) took longer than the
    /// connect timeout: a listener that accepts and never answers.
    #[error("cannot connect to {target}: no answer within {}s (connect_timeout)", .limit.as_secs())]
    Timeout {
        /// Database, host and port (never the password).
        target: String,
        /// The deadline that passed.
        limit: Duration,
    },
}

impl ConnectError {
    /// What to do about it, in one sentence.
    pub fn help(&self) -> &'static str {
        match self {
            ConnectError::InvalidSslMode(_) => {
                "use one of disable, allow, prefer, require, verify-ca, verify-full"
            }
            ConnectError::InvalidConnectionString => {
                "write key=value pairs (`host=... dbname=...`) or a postgres:// URL"
            }
            ConnectError::InvalidConfig(_) => {
                "write postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password)"
            }
            ConnectError::CertificateFile { .. } | ConnectError::NoCertificate(_) => {
                "sslrootcert / sslcert must name a PEM file"
            }
            ConnectError::RootCertificate { .. } => {
                "sslrootcert must hold the CA certificate(s) in PEM"
            }
            ConnectError::KeyFile { .. } => "sslkey must name the PEM private key of sslcert",
            // rustls reads X.509 v3 only; `openssl x509 -req` without
            // extensions writes v1, which libpq accepts.
            ConnectError::ClientCertificate { reason, .. }
                if reason.contains("UnsupportedCertVersion") =>
            {
                "it is an X.509 v1 certificate, which this client cannot use: reissue it as v3 (`openssl x509 -req ... -extfile <(echo extendedKeyUsage=clientAuth)`)"
            }
            ConnectError::ClientCertificate { .. } => {
                "sslcert must hold the certificate of the key in sslkey"
            }
            ConnectError::HalfClientPair => "give both sslcert and sslkey, or neither",
            ConnectError::Tls(_) => "check the certificate files of the connection string",
            ConnectError::Timeout { .. } => {
                "the server accepted the connection but did not answer: check the host and the port (is it a PostgreSQL server?), or raise connect_timeout in the URL"
            }
            ConnectError::Connect { source, mode, .. } => connect_help(source, *mode),
        }
    }
}

/// What to do when the server refused or could not be reached.
fn connect_help(source: &tokio_postgres::Error, mode: SslMode) -> &'static str {
    if let Some(db) = source.as_db_error() {
        return match db.code().code() {
            "28P01" => "check the user name and password in the database URL",
            "28000" => "the server's pg_hba.conf refuses this user, host or TLS mode; check the URL (sslmode) or ask the server admin",
            "3D000" => "create the database first (for example `createdb NAME`) or fix its name in the URL",
            "53300" => "the server has no free connection slots; retry later",
            "57P03" => "the server is starting up or shutting down; retry in a moment",
            _ => "check the database URL",
        };
    }
    let lower = one_line(source).to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("ssl") {
        match mode {
            SslMode::VerifyFull | SslMode::VerifyCa => {
                "the server certificate was not accepted: pass its CA with sslrootcert=FILE, or use sslmode=require to encrypt without verifying"
            }
            _ => "the server does not offer TLS as required: enable ssl on the server or use sslmode=prefer",
        }
    } else if lower.contains("password missing") {
        "the server asks for a password: put it in the URL (postgres://USER:PASSWORD@HOST/DB), in PGPASSWORD, or in ~/.pgpass (mode 0600)"
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "the server did not answer: check the host, the port and any firewall"
    } else {
        "is the server running and accepting connections on that host and port? check the database URL"
    }
}

/// The server's own message when it sent one, else the driver's error and its causes.
fn server_reason(source: &tokio_postgres::Error) -> String {
    match source.as_db_error() {
        Some(db) => db.message().to_string(),
        None => one_line(source),
    }
}

/// An error and its causes on one line.
fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = std::iter::successors(Some(error), |e| e.source())
        .map(|e| e.to_string())
        .collect();
    parts.dedup_by(|cause, before| cause.is_empty() || before.contains(cause.as_str()));
    parts.join(": ").replace('\n', " ")
}
