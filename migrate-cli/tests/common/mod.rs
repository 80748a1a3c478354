//! Shared helpers for the CLI tests: run the real `pgmigrate` binary in a temp
//! working directory against a fresh database on the shared test server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A test's sandbox: its own working directory (with `migrations/`) and,
/// when asked for, its own database.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    pub url: Option<String>,
}

impl Sandbox {
    /// An empty working directory with an empty `migrations/`, no database.
    pub fn offline() -> Sandbox {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(tmp.path().join("migrations")).unwrap();
        Sandbox { tmp, url: None }
    }

    /// Like [`Sandbox::offline`], plus a fresh database.
    pub fn with_db(hint: &str) -> Sandbox {
        let mut s = Sandbox::offline();
        let server = pgmigrate_tempdb::shared().expect("test server");
        s.url = Some(server.create_database(hint).expect("create database"));
        s
    }

    /// The working directory.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// `<root>/migrations`.
    pub fn dir(&self) -> PathBuf {
        self.root().join("migrations")
    }

    /// The database URL.
    pub fn url(&self) -> &str {
        self.url.as_deref().expect("sandbox without database")
    }

    /// Writes `migrations/<name>`.
    pub fn write(&self, name: &str, sql: &str) {
        std::fs::write(self.dir().join(name), sql).unwrap();
    }

    /// Copies the reference migration set of the repository.
    pub fn copy_reference(&self) {
        let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        for entry in std::fs::read_dir(reference).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), self.dir().join(entry.file_name())).unwrap();
        }
    }

    /// File names in `migrations/`, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// `migrate <args>` in the sandbox, without `DATABASE_URL` in the environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgmigrate"));
        cmd.current_dir(self.root())
            .args(args)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `migrate <args>` without a database URL.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run migrate"))
    }

    /// Runs `pgmigrate --database-url <url> <args>`.
    pub fn run_db(&self, args: &[&str]) -> Run {
        let mut all = vec!["--database-url", self.url()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// A connection to the sandbox database.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(self.url(), postgres::NoTls).expect("connect")
    }

    /// Whether table `name` exists.
    pub fn has_table(&self, name: &str) -> bool {
        let row = self
            .client()
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
            .unwrap();
        row.get(0)
    }

    /// The applied versions, from the history table.
    pub fn applied(&self) -> Vec<i64> {
        let mut c = self.client();
        if !c
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
            .unwrap()
            .get::<_, bool>(0)
        {
            return Vec::new();
        }
        c.query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    }
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that the output contains `text`.
    #[track_caller]
    pub fn contains(&self, text: &str) -> &Run {
        assert!(
            self.all().contains(text),
            "output does not contain {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts that the output does not contain `text`.
    #[track_caller]
    pub fn lacks(&self, text: &str) -> &Run {
        assert!(
            !self.all().contains(text),
            "output contains {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// The port of the shared test server once it has a role `pwuser` (password
/// `right-password`) that must authenticate with a password over TCP;
/// `None` for an external server (its pg_hba is not ours to change).
pub fn password_role_port() -> Option<u16> {
    let server = pgmigrate_tempdb::shared().expect("server");
    let cluster = server.cluster()?;
    let mut admin = postgres::Client::connect(server.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pwuser') THEN
                 CREATE ROLE pwuser LOGIN PASSWORD 'right-password';
               END IF;
             EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
             END $$;",
        )
        .unwrap();
    let hba = std::fs::read_to_string(cluster.data_dir().join("pg_hba.conf")).unwrap();
    if !hba.contains("pwuser") {
        cluster
            .prepend_hba("host all pwuser 127.0.0.1/32 scram-sha-256\n")
            .expect("pg_hba.conf");
    }
    Some(cluster.port())
}
