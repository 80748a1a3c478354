//! The rustls client configuration of an [`SslMode`]: which server
//! certificates are accepted, and the client certificate.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{ConnectError, ConnectOptions, SslMode};

/// The rustls client configuration that implements `opts`' [`SslMode`],
/// roots and client certificate (ring provider, whatever the process default).
pub(super) fn client_config(opts: &ConnectOptions) -> Result<rustls::ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let checks = match opts.ssl_mode {
        SslMode::Disable | SslMode::Prefer => None,
        SslMode::Require if opts.root_cert.is_none() => None,
        mode => {
            let (roots, pinned) = root_store(opts.root_cert.as_deref())?;
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .build()
            .map_err(|e| ConnectError::Tls(format!("cannot use the root certificates: {e}")))?;
            Some(Checks {
                inner,
                pinned,
                check_name: mode == SslMode::VerifyFull,
            })
        }
    };
    let verifier = Arc::new(Verifier {
        algorithms: provider.signature_verification_algorithms,
        checks,
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match (&opts.client_cert, &opts.client_key) {
        (Some(cert), Some(key)) => {
            let certs = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| ConnectError::KeyFile {
                path: key.clone(),
                reason: e.to_string(),
            })?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| ConnectError::ClientCertificate {
                    path: cert.clone(),
                    reason: e.to_string(),
                })
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err(ConnectError::HalfClientPair),
    }
}

/// The trusted roots, and the certificates of the `sslrootcert` file
/// (a self-signed server certificate there is trusted as is, as libpq does).
/// Without `sslrootcert`: `~/.postgresql/root.crt` when it exists, else the
/// Web PKI roots; `system` forces those.
fn root_store(
    root_cert: Option<&str>,
) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), ConnectError> {
    let mut store = RootCertStore::empty();
    let mut pinned = Vec::new();
    let file = match root_cert {
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
                store.add(cert).map_err(|e| ConnectError::RootCertificate {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok((store, pinned))
}

/// Every certificate of a PEM file (at least one).
fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ConnectError::CertificateFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(ConnectError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

/// The server certificate check of an [`SslMode`]; the handshake
/// signatures are always checked.
#[derive(Debug)]
struct Verifier {
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
    /// `None`: any certificate is accepted (libpq's `prefer`, and `require`
    /// without a root certificate).
    checks: Option<Checks>,
}

/// Web PKI verification, with the host name check optional (`verify-ca`).
///
/// A server certificate that is itself in the `sslrootcert` file (a
/// self-signed certificate, usually marked `CA:TRUE`, which Web PKI refuses
/// as an end entity) is trusted directly, as libpq/OpenSSL do; its host name
/// is still checked for `verify-full`.
#[derive(Debug)]
struct Checks {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    check_name: bool,
}

impl Checks {
    /// `None` when `end_entity` is not one of the pinned certificates.
    fn verify_pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
    ) -> Option<Result<ServerCertVerified, rustls::Error>> {
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

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(checks) = &self.checks else {
            return Ok(ServerCertVerified::assertion());
        };
        if let Some(result) = checks.verify_pinned(end_entity, server_name) {
            return result;
        }
        match checks.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !checks.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
