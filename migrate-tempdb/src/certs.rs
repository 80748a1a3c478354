//! Certificates for TLS tests, made with the `openssl` command.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Error;

/// A CA, a server certificate it signed (for `localhost` and `127.0.0.1`),
/// and a client certificate it signed for one user (as X.509 v3, and as v1
/// the way `openssl x509 -req` writes it without extensions), in a
/// temporary directory removed on drop. See [`crate::TempCluster::use_certificates`].
#[derive(Debug)]
pub struct TestCertificates {
    dir: tempfile::TempDir,
}

impl TestCertificates {
    /// Makes the certificates; the client certificate's common name is `client_user`.
    pub fn generate(client_user: &str) -> Result<TestCertificates, Error> {
        let dir = tempfile::Builder::new()
            .prefix("migrate-tempdb-certs-")
            .tempdir()
            .map_err(|e| Error::io("creating a directory for certificates", e))?;
        let d = dir.path();
        openssl(
            d,
            [
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=pgmigrate test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
            ],
        )?;
        let subject = format!("/CN={client_user}");
        for (name, subject) in [("server", "/CN=localhost"), ("client", subject.as_str())] {
            openssl(
                d,
                [
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-subj",
                    subject,
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                ],
            )?;
        }
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| Error::io("writing server.ext", e))?;
        std::fs::write(d.join("client.ext"), "extendedKeyUsage=clientAuth\n")
            .map_err(|e| Error::io("writing client.ext", e))?;
        for (csr, ext, out) in [
            ("server.csr", Some("server.ext"), "server.crt"),
            ("client.csr", Some("client.ext"), "client.crt"),
            ("client.csr", None, "client-v1.crt"),
        ] {
            let mut args = vec![
                "x509",
                "-req",
                "-in",
                csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                out,
            ];
            if let Some(ext) = ext {
                args.extend(["-extfile", ext]);
            }
            openssl(d, args)?;
        }
        Ok(TestCertificates { dir })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The CA certificate (PEM): `sslrootcert` for `verify-full`.
    pub fn ca(&self) -> PathBuf {
        self.file("ca.crt")
    }

    /// The server certificate, signed by the CA.
    pub fn server_cert(&self) -> PathBuf {
        self.file("server.crt")
    }

    /// The server's private key.
    pub fn server_key(&self) -> PathBuf {
        self.file("server.key")
    }

    /// The client certificate (X.509 v3), signed by the CA.
    pub fn client_cert(&self) -> PathBuf {
        self.file("client.crt")
    }

    /// The same client certificate as X.509 v1 (no extensions).
    pub fn client_cert_v1(&self) -> PathBuf {
        self.file("client-v1.crt")
    }

    /// The client's private key.
    pub fn client_key(&self) -> PathBuf {
        self.file("client.key")
    }
}

/// Runs `openssl` with `args` in `dir`.
pub(crate) fn openssl<I, S>(dir: &Path, args: I) -> Result<(), Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io("running openssl (needed for TLS)", e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::CertificateFailed {
        status: out.status.to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
