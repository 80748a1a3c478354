//! Connecting to PostgreSQL: connection-string handling, TLS (rustls) with
//! libpq's `sslmode` semantics, and one-line, password-free connection errors.
//!
//! `sslmode`:
//! - `disable`: plain TCP;
//! - `allow` / `prefer` (default, as libpq): TLS when the server offers it,
//!   certificate not checked;
//! - `require`: TLS or fail; the certificate is checked against the CA only when
//!   `sslrootcert` is given (as libpq);
//! - `verify-ca`: TLS, certificate chain checked, host name not;
//! - `verify-full`: TLS, chain and host name checked.
//!
//! Trusted roots: `sslrootcert=FILE` (PEM), else `~/.postgresql/root.crt` when it
//! exists, else the public Web PKI roots (`sslrootcert=system` forces those).
//! `sslcert` / `sslkey` give a client certificate. These parameters are handled
//! here and removed before the string reaches `tokio-postgres`, which rejects them.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode as PgSslMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{chain, CliError, Result};
use crate::redact::redact_connection_text as redact;

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
    /// The mode called `name` in a connection string or `PGSSLMODE`.
    pub fn from_name(name: &str) -> Result<SslMode> {
        Ok(match name {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(CliError::new(format!("invalid sslmode `{other}`"))
                    .help("use one of disable, allow, prefer, require, verify-ca, verify-full"))
            }
        })
    }
}

/// A parsed connection string: what tokio-postgres understands plus our TLS options.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The connection string without the TLS parameters we handle ourselves.
    pub conninfo: String,
    /// `sslmode`.
    pub ssl_mode: SslMode,
    /// `sslrootcert`.
    pub root_cert: Option<String>,
    /// `sslcert`.
    pub client_cert: Option<PathBuf>,
    /// `sslkey`.
    pub client_key: Option<PathBuf>,
    /// Whether the string set `sslmode` (else `PGSSLMODE` may).
    pub ssl_mode_given: bool,
}

/// `connect_timeout` when the connection string has none.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const OWN_KEYS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslcompression",
];

impl ConnectOptions {
    /// Splits the TLS parameters out of a URL or key=value connection string.
    pub fn parse(conninfo: &str) -> Result<Self> {
        let mut params = Vec::new();
        let stripped = if is_url(conninfo) {
            strip_url_params(conninfo, &mut params)
        } else {
            strip_keyword_params(conninfo, &mut params)?
        };
        let mut opts = ConnectOptions {
            conninfo: stripped,
            ssl_mode: SslMode::Prefer,
            root_cert: None,
            client_cert: None,
            client_key: None,
            ssl_mode_given: false,
        };
        for (key, value) in params {
            match key.as_str() {
                "sslmode" => {
                    opts.ssl_mode = SslMode::from_name(&value)?;
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

    /// The tokio-postgres configuration (with TLS mode, timeouts and application name).
    pub fn pg_config(&self) -> Result<postgres::Config> {
        let mut config = postgres::Config::from_str(&self.conninfo).map_err(|e| {
            CliError::new(format!("invalid database URL: {}", redact(&chain(&e)))).help(
                "write postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password)",
            )
        })?;
        config.ssl_mode(match self.ssl_mode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("pgmigrate");
        }
        // A silent link must not keep the migration lock for hours (the server
        // side is set by the runner): unless the connection string says otherwise.
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

    /// The rustls client configuration that implements [`SslMode`].
    pub fn tls_config(&self) -> Result<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let explicit_root = self.root_cert.is_some();
        let verifier: Arc<dyn ServerCertVerifier> = match self.ssl_mode {
            SslMode::Disable | SslMode::Prefer => Arc::new(NoVerify(provider.clone())),
            SslMode::Require if !explicit_root => Arc::new(NoVerify(provider.clone())),
            mode => {
                let (roots, pinned) = self.root_store()?;
                let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider.clone(),
                )
                .build()
                .map_err(|e| CliError::new(format!("cannot use the root certificates: {e}")))?;
                Arc::new(WebPki {
                    inner,
                    pinned,
                    check_name: mode == SslMode::VerifyFull,
                })
            }
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| CliError::new(format!("TLS setup failed: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let certs = read_certs(cert)?;
                use rustls::pki_types::pem::PemObject;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                    CliError::new(format!("cannot read sslkey {}: {e}", key.display()))
                })?;
                builder.with_client_auth_cert(certs, key).map_err(|e| {
                    let error = CliError::new(format!(
                        "invalid client certificate {}: {e}",
                        cert.display()
                    ));
                    // rustls reads X.509 v3 only; `openssl x509 -req` without
                    // extensions writes v1, which libpq accepts.
                    if e.to_string().contains("UnsupportedCertVersion") {
                        error.help(
                            "it is an X.509 v1 certificate, which this client cannot use: reissue it as v3 (`openssl x509 -req ... -extfile <(echo extendedKeyUsage=clientAuth)`)",
                        )
                    } else {
                        error.help("sslcert must hold the certificate of the key in sslkey")
                    }
                })
            }
            (None, None) => Ok(builder.with_no_client_auth()),
            _ => Err(CliError::new("sslcert and sslkey must be given together")),
        }
    }

    /// The trusted roots, and the certificates of the `sslrootcert` file
    /// (a self-signed server certificate there is trusted as is, as libpq does).
    fn root_store(&self) -> Result<(RootCertStore, Vec<CertificateDer<'static>>)> {
        let mut store = RootCertStore::empty();
        let mut pinned = Vec::new();
        let file = match self.root_cert.as_deref() {
            Some("system") => None,
            Some(path) => Some(PathBuf::from(path)),
            None => std::env::var_os("HOME")
                .map(|h| Path::new(&h).join(".postgresql/root.crt"))
                .filter(|p| p.is_file()),
        };
        match file {
            Some(path) => {
                for cert in read_certs(&path)? {
                    pinned.push(cert.clone());
                    store.add(cert).map_err(|e| {
                        CliError::new(format!("invalid certificate in {}: {e}", path.display()))
                    })?;
                }
            }
            None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        Ok((store, pinned))
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| {
            CliError::new(format!(
                "cannot read certificate file {}: {e}",
                path.display()
            ))
            .help("sslrootcert / sslcert must name a PEM file")
        })?;
    if certs.is_empty() {
        return Err(CliError::new(format!(
            "no certificate found in {}",
            path.display()
        )));
    }
    Ok(certs)
}

fn is_url(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Removes our parameters from the query string of a URL.
fn strip_url_params(url: &str, out: &mut Vec<(String, String)>) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let (base, query) = (&url[..q], &url[q + 1..]);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = crate::redact::percent_decode(k);
        if OWN_KEYS.contains(&key.as_str()) {
            out.push((key, crate::redact::percent_decode(v)));
        } else {
            kept.push(pair);
        }
    }
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Removes our parameters from a `key=value key='va lue'` string and rebuilds it.
fn strip_keyword_params(s: &str, out: &mut Vec<(String, String)>) -> Result<String> {
    let bad = || {
        CliError::new("invalid connection string")
            .help("write key=value pairs (`host=... dbname=...`) or a postgres:// URL")
    };
    let mut kept = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || key.is_empty() {
            return Err(bad());
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().ok_or_else(bad)?),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(bad()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.push(chars.next().ok_or_else(bad)?);
                    continue;
                }
                value.push(c);
                chars.next();
            }
        }
        if OWN_KEYS.contains(&key.as_str()) {
            out.push((key, value));
        } else {
            kept.push(format!(
                "{key}='{}'",
                value.replace('\\', "\\\\").replace('\'', "\\'")
            ));
        }
    }
    Ok(kept.join(" "))
}

/// Accepts any certificate (libpq's `prefer` / `require` without a root cert),
/// but still checks the handshake signatures.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Web PKI verification, with the host name check optional (`verify-ca`).
///
/// A server certificate that is itself in the `sslrootcert` file (a
/// self-signed certificate, usually marked `CA:TRUE`, which Web PKI refuses
/// as an end entity) is trusted directly, as libpq/OpenSSL do; its host name
/// is still checked for `verify-full`.
#[derive(Debug)]
struct WebPki {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    check_name: bool,
}

impl WebPki {
    /// `None` when `end_entity` is not one of the pinned certificates.
    fn verify_pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
    ) -> Option<std::result::Result<ServerCertVerified, rustls::Error>> {
        if !self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return None;
        }
        if self.check_name {
            let valid = webpki::EndEntityCert::try_from(end_entity)
                .map(|cert| cert.verify_is_valid_for_subject_name(server_name).is_ok())
                .unwrap_or(false);
            if !valid {
                return Some(Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName,
                )));
            }
        }
        Some(Ok(ServerCertVerified::assertion()))
    }
}

impl ServerCertVerifier for WebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Some(result) = self.verify_pinned(end_entity, server_name) {
            return result;
        }
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Where a connection goes, for messages (never includes the password).
pub fn describe_target(config: &postgres::Config) -> String {
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
    let target = describe_target(&config);
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(opts.tls_config()?);
    let limit = connect_deadline(&config);
    // `connect_timeout` bounds the TCP connect only: a server that accepts and
    // never answers would hang the TLS or start-up exchange. Bound it all.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(config.connect(tls));
    });
    match receiver.recv_timeout(limit) {
        Ok(result) => result.map_err(|e| connect_error(&e, &target, opts.ssl_mode)),
        Err(_) => Err(CliError::new(format!(
            "cannot connect to {target}: no answer within {}s (connect_timeout)",
            limit.as_secs()
        ))
        .help("the server accepted the connection but did not answer: check the host and the port (is it a PostgreSQL server?), or raise connect_timeout in the URL")),
    }
}

/// How long connecting may take in all: `connect_timeout` per host tried.
fn connect_deadline(config: &postgres::Config) -> Duration {
    let per_host = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let hosts = u32::try_from(config.get_hosts().len().max(1)).unwrap_or(u32::MAX);
    per_host.saturating_mul(hosts)
}

/// The connection string completed as libpq would: `PGSSLMODE` and
/// `PGSSLROOTCERT`, then the other variables and the password file
/// ([`crate::pgenv`]) for what the string leaves out. Registers the password
/// in use for masking.
pub fn resolve(conninfo: &str) -> Result<(ConnectOptions, postgres::Config)> {
    let env = crate::pgenv::process_env;
    let mut opts = ConnectOptions::parse(conninfo)?;
    if !opts.ssl_mode_given {
        if let Some(mode) = env("PGSSLMODE") {
            opts.ssl_mode = SslMode::from_name(&mode)?;
        }
    }
    if opts.root_cert.is_none() {
        opts.root_cert = env("PGSSLROOTCERT");
    }
    let mut config = opts.pg_config()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let applied = crate::pgenv::apply(&mut config, &env, home.as_deref());
    for warning in &applied.warnings {
        log::warn!("{warning}");
    }
    crate::redact::install_with_password(conninfo, applied.password.as_deref());
    Ok((opts, config))
}

/// Turns a connection failure into a one-line message and a hint.
pub fn connect_error(e: &postgres::Error, target: &str, mode: SslMode) -> CliError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let message = redact(db.message());
        let help = match code {
            "28P01" => "check the user name and password in the database URL",
            "28000" => "the server's pg_hba.conf refuses this user, host or TLS mode; check the URL (sslmode) or ask the server admin",
            "3D000" => "create the database first (for example `createdb NAME`) or fix its name in the URL",
            "53300" => "the server has no free connection slots; retry later",
            "57P03" => "the server is starting up or shutting down; retry in a moment",
            _ => "check the database URL (--database-url or DATABASE_URL)",
        };
        return CliError::new(format!("cannot connect to {target}: {message}")).help(help);
    }
    let detail = redact(&chain(e));
    let lower = detail.to_ascii_lowercase();
    let help = if lower.contains("certificate") || lower.contains("tls") || lower.contains("ssl") {
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
    };
    CliError::new(format!("cannot connect to {target}: {detail}")).help(help)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keepalive_defaults_unless_the_connection_string_sets_them() {
        let c = ConnectOptions::parse("postgres://u@h/db")
            .unwrap()
            .pg_config()
            .unwrap();
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(30));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(10)));
        assert_eq!(c.get_keepalives_retries(), Some(3));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(60)));
        let c = ConnectOptions::parse("postgres://u@h/db?keepalives_idle=5&tcp_user_timeout=7")
            .unwrap()
            .pg_config()
            .unwrap();
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(5));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(7)));
    }

    use super::*;

    #[test]
    fn url_params_are_split() {
        let o = ConnectOptions::parse(
            "postgres://u:p@h/db?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fca.pem",
        )
        .unwrap();
        assert_eq!(o.ssl_mode, SslMode::VerifyFull);
        assert_eq!(o.root_cert.as_deref(), Some("/tmp/ca.pem"));
        assert_eq!(o.conninfo, "postgres://u:p@h/db?application_name=x");
        assert!(o.pg_config().is_ok());
    }

    #[test]
    fn keyword_params_are_split() {
        let o = ConnectOptions::parse("host=h dbname = 'my db' sslmode=require password='a\\'b'")
            .unwrap();
        assert_eq!(o.ssl_mode, SslMode::Require);
        assert_eq!(o.conninfo, "host='h' dbname='my db' password='a\\'b'");
        let c = o.pg_config().unwrap();
        assert_eq!(c.get_dbname(), Some("my db"));
        assert_eq!(c.get_password(), Some(&b"a'b"[..]));
    }

    #[test]
    fn connect_deadline_is_the_url_timeout_per_host() {
        let with =
            |url: &str| connect_deadline(&ConnectOptions::parse(url).unwrap().pg_config().unwrap());
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
    fn bad_sslmode_is_an_error() {
        assert!(ConnectOptions::parse("postgres://h/db?sslmode=maybe").is_err());
    }

    #[test]
    fn invalid_url_error_has_no_password() {
        let e = ConnectOptions::parse("postgres://u:hunter2@h:notaport/db")
            .unwrap()
            .pg_config()
            .unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
    }
}
