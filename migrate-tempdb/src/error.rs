//! The error type of this crate.

use std::path::PathBuf;

/// Why a throwaway cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No directory with both `initdb` and `postgres` was found.
    #[error(
        "PostgreSQL server binaries (initdb, postgres) not found; looked in: {searched}. \
         Install the PostgreSQL server (e.g. `apt-get install postgresql`) or set \
         MIGRATE_PG_BIN to the directory that contains `initdb` and `postgres`"
    )]
    BinariesNotFound {
        /// The places that were searched, comma separated.
        searched: String,
    },
    /// `MIGRATE_PG_BIN` points to a directory without the server binaries.
    #[error("MIGRATE_PG_BIN={dir} does not contain `initdb` and `postgres`: point it to the server's bin directory (see `pg_config --bindir`)")]
    BadBinDir {
        /// The value of `MIGRATE_PG_BIN`.
        dir: PathBuf,
    },
    /// Running as root, but there is no `postgres` OS user to run the server as.
    #[error("running as root and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run it as ({reason}); create one (`useradd -r postgres`) or run as an ordinary user")]
    NoPostgresUser {
        /// What went wrong while looking the user up.
        reason: String,
    },
    /// A file system or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `initdb` exited with an error.
    #[error("initdb failed ({status}):\n{stderr}")]
    InitdbFailed {
        /// Its exit status.
        status: String,
        /// Its standard error and output.
        stderr: String,
    },
    /// `openssl` could not create a certificate (for `ssl(true)` or [`crate::TestCertificates`]).
    #[error("openssl could not create a certificate ({status}):\n{stderr}")]
    CertificateFailed {
        /// Its exit status.
        status: String,
        /// Its standard error.
        stderr: String,
    },
    /// No free port could be bound after several attempts.
    #[error("no free TCP port for the temporary PostgreSQL server after {attempts} attempts; last server log:\n{log_tail}")]
    PortBusy {
        /// How many ports were tried.
        attempts: u32,
        /// The end of the last server log.
        log_tail: String,
    },
    /// The server exited or did not accept connections in time.
    #[error(
        "the temporary PostgreSQL server did not start: {reason}; server log ({log}):\n{log_tail}"
    )]
    ServerDidNotStart {
        /// What was observed.
        reason: String,
        /// Path of the server log (deleted with the cluster).
        log: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
    },
    /// A statement on the temporary server failed (e.g. `CREATE DATABASE`).
    #[error("{what}: {source}")]
    Database {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: postgres::Error,
    },
    /// A database name that cannot be used as given.
    #[error("invalid database name {name:?}: use 1 to 63 ASCII letters, digits and underscores")]
    InvalidDatabaseName {
        /// The rejected name.
        name: String,
    },
    /// [`crate::shared`] failed on an earlier call in this process.
    #[error("the shared test server is unavailable: {0}")]
    SharedUnavailable(String),
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
