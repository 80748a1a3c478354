//! [`TempCluster`]: initdb, start, connect, stop.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::binaries::find_bin_dir;
use crate::url::with_database;
use crate::Error;

/// The supervisor: starts the postmaster in the background, writes its pid,
/// then blocks on its standard input. End of file (the owning process dropped
/// the cluster, exited or was killed) means: immediate shutdown, then remove
/// the directory (unless a `retry` marker asks to keep it for another start).
const WRAPPER: &str = r#"pg="$1"; root="$2"; shift 2
"$pg" "$@" >>"$root/postgres.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$root/postmaster.child"
read -r _ || :
kill -QUIT "$pid" 2>/dev/null
wait "$pid"
if [ ! -e "$root/retry" ]; then rm -rf "$root"; fi
"#;

const PORT_ATTEMPTS: u32 = 5;

/// Options for a [`TempCluster`]; get one from [`TempCluster::builder`].
#[derive(Debug, Clone)]
pub struct TempClusterBuilder {
    ssl: bool,
    bin_dir: Option<PathBuf>,
    start_timeout: Duration,
    settings: Vec<(String, String)>,
}

impl Default for TempClusterBuilder {
    fn default() -> Self {
        TempClusterBuilder {
            ssl: false,
            bin_dir: None,
            start_timeout: Duration::from_secs(60),
            settings: Vec::new(),
        }
    }
}

impl TempClusterBuilder {
    /// Serve TLS (`ssl=on`) with a fresh self-signed certificate for `localhost`
    /// (made with the `openssl` command); see [`TempCluster::certificate`].
    /// Plain connections keep working.
    pub fn ssl(mut self, ssl: bool) -> Self {
        self.ssl = ssl;
        self
    }

    /// Uses the server binaries in `dir` instead of searching for them.
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// How long to wait for the server to accept connections (default 60 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Passes `-c name=value` to the server, e.g.
    /// `("shared_preload_libraries", "pg_stat_statements")`.
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Creates and starts the cluster.
    pub fn start(self) -> Result<TempCluster, Error> {
        TempCluster::start_with(self)
    }
}

/// The OS user the server runs as, when it is not the current one.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

/// A running throwaway PostgreSQL server with trust authentication for the
/// superuser `postgres`. Dropping it stops the server and deletes its files.
#[derive(Debug)]
pub struct TempCluster {
    root: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    run_as: Option<RunAs>,
    ssl: bool,
    wrapper: Mutex<Option<Child>>,
    wrapper_stdin: Mutex<Option<ChildStdin>>,
    postmaster_pid: Option<u32>,
}

impl TempCluster {
    /// Starts a cluster with default options.
    pub fn start() -> Result<TempCluster, Error> {
        TempCluster::builder().start()
    }

    /// Options: TLS, binaries, start timeout, server settings.
    pub fn builder() -> TempClusterBuilder {
        TempClusterBuilder::default()
    }

    fn start_with(options: TempClusterBuilder) -> Result<TempCluster, Error> {
        let bin_dir = match options.bin_dir.clone() {
            Some(dir) => dir,
            None => find_bin_dir()?,
        };
        let run_as = if running_as_root() {
            Some(postgres_user()?)
        } else {
            None
        };
        let root = tempfile::Builder::new()
            .prefix("migrate-tempdb-")
            .tempdir()
            .map_err(|e| Error::io("creating a temporary directory", e))?
            .keep();
        let mut cluster = TempCluster {
            root,
            bin_dir,
            port: 0,
            run_as,
            ssl: options.ssl,
            wrapper: Mutex::new(None),
            wrapper_stdin: Mutex::new(None),
            postmaster_pid: None,
        };
        // From here on, Drop cleans up whatever happens.
        cluster.prepare_dirs()?;
        cluster.initdb()?;
        if options.ssl {
            cluster.make_certificate()?;
        }
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match cluster.launch(&options) {
                Ok(()) => return Ok(cluster),
                Err(Launch::PortBusy(log)) => {
                    last_log = log;
                    cluster.shutdown(true);
                    cluster.postmaster_pid = None;
                }
                Err(Launch::Failed(e)) => return Err(e),
            }
        }
        Err(Error::PortBusy {
            attempts: PORT_ATTEMPTS,
            log_tail: last_log,
        })
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        self.connection_string_for("postgres")
    }

    /// A URL for database `db` on this server (which must exist, see
    /// [`TempCluster::create_database`]).
    pub fn connection_string_for(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, db)
    }

    /// Creates database `name` (ASCII letters, digits and `_`, at most 63
    /// characters) and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, Error> {
        create_database_on(&self.url(), name)
    }

    /// The TCP port the server listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The private directory holding the server's Unix socket.
    pub fn socket_dir(&self) -> PathBuf {
        self.root.join("sock")
    }

    /// The directory with the server binaries in use (`psql` is usually there too).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The server's self-signed certificate (PEM), when started with `ssl(true)`.
    pub fn certificate(&self) -> Option<PathBuf> {
        self.ssl.then(|| self.root.join("server.crt"))
    }

    /// Serves `certs`' server certificate from now on (in place of the
    /// self-signed one, so [`TempCluster::certificate`] is then that one) and
    /// trusts their CA for client certificates (`ssl_ca_file`); reloads the
    /// configuration. The cluster must have been started with `ssl(true)`.
    pub fn use_certificates(&self, certs: &crate::TestCertificates) -> Result<(), Error> {
        for (from, to) in [
            (certs.server_cert(), "server.crt"),
            (certs.server_key(), "server.key"),
            (certs.ca(), "client_ca.crt"),
        ] {
            let to = self.root.join(to);
            fs::copy(&from, &to)
                .map_err(|e| Error::io(format!("copying {}", from.display()), e))?;
            fs::set_permissions(&to, fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io(format!("chmod {}", to.display()), e))?;
            self.give_to_server_user(&to)?;
        }
        let ca = self.root.join("client_ca.crt").display().to_string();
        self.reload_with(&format!(
            "ALTER SYSTEM SET ssl_ca_file = '{}'",
            ca.replace('\'', "''")
        ))
    }

    /// Puts `lines` before the rules of `pg_hba.conf` and returns once the
    /// server has reloaded it. The Unix socket stays trusted unless `lines`
    /// say otherwise.
    pub fn prepend_hba(&self, lines: &str) -> Result<(), Error> {
        let hba = self.data_dir().join("pg_hba.conf");
        let text = fs::read_to_string(&hba).map_err(|e| Error::io("reading pg_hba.conf", e))?;
        fs::write(&hba, format!("{lines}{text}"))
            .map_err(|e| Error::io("writing pg_hba.conf", e))?;
        self.reload_with("SELECT 1")
    }

    /// Runs `sql` over the Unix socket, then reloads the configuration and
    /// waits until the server has read it.
    fn reload_with(&self, sql: &str) -> Result<(), Error> {
        let database = |what: &str| {
            let what = what.to_string();
            move |source| Error::Database { what, source }
        };
        let mut admin = postgres::Client::connect(
            &format!(
                "host={} port={} user=postgres dbname=postgres",
                self.socket_dir().display(),
                self.port
            ),
            postgres::NoTls,
        )
        .map_err(database("connecting over the Unix socket"))?;
        admin.batch_execute(sql).map_err(database(sql))?;
        let load_time = |admin: &mut postgres::Client| -> Result<String, Error> {
            admin
                .query_one("SELECT pg_conf_load_time()::text", &[])
                .map(|row| row.get(0))
                .map_err(database("reading pg_conf_load_time()"))
        };
        let before = load_time(&mut admin)?;
        admin
            .batch_execute("SELECT pg_reload_conf()")
            .map_err(database("pg_reload_conf()"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while load_time(&mut admin)? == before {
            if Instant::now() > deadline {
                return Err(Error::ServerDidNotStart {
                    reason: "the server did not reload its configuration within 30 s".into(),
                    log: self.root.join("postgres.log"),
                    log_tail: self.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// The last lines of the server log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.root.join("postgres.log"))
    }

    fn prepare_dirs(&self) -> Result<(), Error> {
        let sock = self.socket_dir();
        fs::create_dir(&sock).map_err(|e| Error::io(format!("creating {}", sock.display()), e))?;
        fs::set_permissions(&sock, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("chmod {}", sock.display()), e))?;
        self.give_to_server_user(&self.root)?;
        self.give_to_server_user(&sock)
    }

    fn give_to_server_user(&self, path: &Path) -> Result<(), Error> {
        if let Some(user) = self.run_as {
            std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
                .map_err(|e| Error::io(format!("chown {} to postgres", path.display()), e))?;
        }
        Ok(())
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root);
        if let Some(user) = self.run_as {
            cmd.uid(user.uid).gid(user.gid);
        }
        cmd
    }

    fn initdb(&self) -> Result<(), Error> {
        let out = self
            .command(self.bin_dir.join("initdb"))
            .arg("-D")
            .arg(self.data_dir())
            .args([
                "--auth=trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io("running initdb", e))?;
        if out.status.success() {
            return Ok(());
        }
        Err(Error::InitdbFailed {
            status: out.status.to_string(),
            stderr: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ),
        })
    }

    fn make_certificate(&self) -> Result<(), Error> {
        let crt = self.root.join("server.crt");
        let key = self.root.join("server.key");
        // In the cluster's root: the file names are relative to it.
        crate::certs::openssl(
            &self.root,
            [
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-days",
                "3650",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                "server.key",
                "-out",
                "server.crt",
            ],
        )?;
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("chmod server.key", e))?;
        self.give_to_server_user(&key)?;
        self.give_to_server_user(&crt)
    }

    fn launch(&mut self, options: &TempClusterBuilder) -> Result<(), Launch> {
        let _ = fs::remove_file(self.root.join("retry"));
        let _ = fs::remove_file(self.root.join("postmaster.child"));
        self.port = free_port().map_err(|e| Launch::Failed(Error::io("finding a free port", e)))?;
        let mut cmd = self.command("/bin/sh");
        cmd.arg("-c")
            .arg(WRAPPER)
            .arg("sh")
            .arg(self.bin_dir.join("postgres"))
            .arg(&self.root)
            .arg("-D")
            .arg(self.data_dir())
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.socket_dir());
        let mut settings: Vec<(String, String)> = [
            ("listen_addresses", "127.0.0.1"),
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("logging_collector", "off"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if self.ssl {
            settings.push(("ssl".into(), "on".into()));
            settings.push((
                "ssl_cert_file".into(),
                self.root.join("server.crt").display().to_string(),
            ));
            settings.push((
                "ssl_key_file".into(),
                self.root.join("server.key").display().to_string(),
            ));
        }
        settings.extend(options.settings.iter().cloned());
        for (name, value) in settings {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Launch::Failed(Error::io("starting postgres", e)))?;
        *lock(&self.wrapper_stdin) = child.stdin.take();
        *lock(&self.wrapper) = Some(child);
        self.wait_ready(options.start_timeout)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), Launch> {
        let deadline = Instant::now() + timeout;
        let log = self.root.join("postgres.log");
        let mut config = postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(5));
        loop {
            if self.postmaster_pid.is_none() {
                self.postmaster_pid = fs::read_to_string(self.root.join("postmaster.child"))
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
            }
            if let Ok(client) = config.connect(postgres::NoTls) {
                drop(client);
                return Ok(());
            }
            let text = fs::read_to_string(&log).unwrap_or_default();
            if text.contains("Address already in use") || text.contains("could not bind") {
                return Err(Launch::PortBusy(log_tail(&log)));
            }
            let exited = match self.postmaster_pid {
                Some(pid) => !process_alive(pid),
                None => matches!(
                    lock(&self.wrapper).as_mut().map(Child::try_wait),
                    Some(Ok(Some(_)))
                ),
            };
            if exited || Instant::now() >= deadline {
                let reason = if exited {
                    "the postmaster exited".to_string()
                } else {
                    format!("no connection accepted within {timeout:?}")
                };
                return Err(Launch::Failed(Error::ServerDidNotStart {
                    reason,
                    log: log.clone(),
                    log_tail: log_tail(&log),
                }));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server now and deletes its directory; the cluster is unusable
    /// afterwards. Dropping does this too; this is for a cluster that is never
    /// dropped, such as one in a `static`.
    pub fn stop(&self) {
        self.shutdown(false);
    }

    /// Stops the server; keeps the directory when `for_retry`.
    fn shutdown(&self, for_retry: bool) {
        if for_retry {
            let _ = fs::write(self.root.join("retry"), b"");
        }
        drop(lock(&self.wrapper_stdin).take());
        let child = lock(&self.wrapper).take();
        if let Some(mut child) = child {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() >= deadline => {
                        if let Some(pid) = self.postmaster_pid {
                            let _ = Command::new("kill")
                                .args(["-KILL", &pid.to_string()])
                                .status();
                        }
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        if !for_retry {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        self.shutdown(false);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

enum Launch {
    PortBusy(String),
    Failed(Error),
}

/// Creates database `name` through the server at `admin_url` and returns its URL.
pub(crate) fn create_database_on(admin_url: &str, name: &str) -> Result<String, Error> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return Err(Error::InvalidDatabaseName {
            name: name.to_string(),
        });
    }
    let mut client =
        postgres::Client::connect(admin_url, postgres::NoTls).map_err(|e| Error::Database {
            what: "connecting to the test server".into(),
            source: e,
        })?;
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .map_err(|e| Error::Database {
            what: format!("CREATE DATABASE {name}"),
            source: e,
        })?;
    Ok(with_database(admin_url, name))
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or_else(|_| {
            Command::new("id")
                .arg("-u")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
                .unwrap_or(false)
        })
}

fn postgres_user() -> Result<RunAs, Error> {
    let id = |flag: &str| -> Result<u32, Error> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| Error::NoPostgresUser {
                reason: format!("running `id`: {e}"),
            })?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| Error::NoPostgresUser {
                reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
    };
    Ok(RunAs {
        uid: id("-u")?,
        gid: id("-g")?,
    })
}

fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Whether `pid` runs and is not a zombie.
fn process_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // "pid (comm) S ...": the state follows the last ')'.
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].trim_start().chars().next());
            !matches!(state, Some('Z') | Some('X'))
        }
        Err(_) => false,
    }
}

fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(30);
    lines[start..].join("\n")
}
