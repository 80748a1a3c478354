//! One module per subcommand; [`run`] dispatches, [`Ctx`] holds what they share.

pub mod adopt;
pub mod create;
pub mod down;
pub mod lint;
pub mod plan;
pub mod repair;
pub mod schema;
pub mod stamp;
pub mod status;
pub mod up;
pub mod verify;

use std::path::PathBuf;

use pgmigrate_build::ProjectConfig;
use pgmigrate_core::Migrations;

use crate::cli::{Cli, Command, GlobalOpts, VersionArg};
use crate::error::{CliError, Result};
use crate::output::Out;
use crate::settings;

/// What every command gets: the global options, the output settings and the
/// project's configuration.
pub struct Ctx<'a> {
    /// The global options.
    pub global: &'a GlobalOpts,
    /// Colors and verbosity.
    pub out: &'a Out,
    /// The migrations directory: `--dir`, else `dir` of migrate.toml, else `migrations`.
    pub dir: PathBuf,
    /// The project's migrate.toml, when there is one.
    pub project: Option<ProjectConfig>,
}

/// Runs the parsed command line.
pub fn run(cli: &Cli, out: &Out) -> Result<()> {
    // Validate the options that every command shares before doing anything.
    validate(&cli.global)?;
    let (dir, project) = crate::load::project(&cli.global, out)?;
    let ctx = Ctx {
        global: &cli.global,
        out,
        dir,
        project,
    };
    match &cli.command {
        Command::Status(args) => status::run(&ctx, args),
        Command::Up(args) => up::run(&ctx, args),
        Command::Down(args) => down::run(&ctx, args),
        Command::Plan(args) => plan::run(&ctx, args),
        Command::Create(args) => create::run(&ctx.dir, ctx.layout(), args, out),
        Command::Lint(args) => lint::run(&ctx, args),
        Command::Stamp(args) => stamp::run(&ctx, args),
        Command::Repair(args) => repair::run(&ctx, args),
        Command::Adopt(args) => adopt::run(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Schema(args) => schema::run(&ctx, args),
    }
}

fn validate(global: &GlobalOpts) -> Result<()> {
    if let Some(t) = &global.history_table {
        settings::parse_table_name(t)?;
    }
    for (flag, duration) in [
        ("--lock-timeout", &global.lock_timeout),
        ("--statement-timeout", &global.statement_timeout),
    ] {
        if let Some(duration) = duration {
            settings::parse_server_timeout(flag, duration)?;
        }
    }
    for duration in [
        &global.lock_wait,
        &global.history_lock_timeout,
        &global.keepalive,
    ]
    .into_iter()
    .flatten()
    {
        settings::parse_duration(duration)?;
    }
    if let Some(env) = &global.environment {
        settings::check_environment(env, global.environments.as_deref())?;
    }
    Ok(())
}

impl Ctx<'_> {
    /// The layout: `--layout`, else `layout` of migrate.toml; `None` when
    /// neither names one (recognised from the files).
    pub fn layout(&self) -> Option<pgmigrate_build::Layout> {
        self.global.layout.or_else(|| {
            self.project
                .as_ref()
                .map(ProjectConfig::layout)
                .filter(|l| *l != pgmigrate_build::Layout::Auto)
        })
    }

    /// Checks the migration directory like `cargo build` (same migrate.toml).
    pub fn check(&self) -> Result<pgmigrate_build::Check> {
        crate::load::check(
            &self.dir,
            self.project.as_ref(),
            self.global.environments.as_deref(),
            self.global.layout,
        )
    }

    /// Checks the migration directory like `cargo build`; refuses (exit 1,
    /// diagnostics on stderr) when a file has a `deny` finding, because the
    /// build would not embed such a set either. For commands that change
    /// the database or prove something about it.
    pub fn checked(&self) -> Result<pgmigrate_build::Check> {
        let check = self.check()?;
        if check.has_errors() {
            eprint!("{}", crate::redact::redact(&check.render(self.out.color)));
            let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();
            return Err(CliError::check_failed(format!(
                "{errors} error(s) in {}: nothing was run",
                self.dir.display()
            ))
            .help("fix the files (`pgmigrate lint` lists every finding)"));
        }
        self.warn_findings(&check);
        Ok(check)
    }

    /// Like [`Ctx::checked`] but never refuses because of findings: for
    /// read-only commands (`status`, `plan`), which only say how many there are.
    pub fn checked_read_only(&self) -> Result<pgmigrate_build::Check> {
        let check = self.check()?;
        let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            self.out.warn(&format!(
                "{errors} lint error(s) in {}: `up` would refuse to run (see `pgmigrate lint`)",
                self.dir.display()
            ));
        }
        self.warn_findings(&check);
        Ok(check)
    }

    fn warn_findings(&self, check: &pgmigrate_build::Check) {
        let warnings = check.diagnostics.iter().filter(|d| !d.is_error()).count();
        if warnings > 0 {
            self.out.warn(&format!(
                "{warnings} lint warning(s) in {} (see `pgmigrate lint`)",
                self.dir.display()
            ));
        }
    }

    /// The migrations to run, with the runner settings of migrate.toml and
    /// the options (which win).
    pub fn migrations(&self, check: &pgmigrate_build::Check) -> Result<Migrations> {
        let m = Migrations::new(check.runtime_migrations()).with_runner_settings(check.runner());
        self.with_settings(m)
    }

    /// Applies `--history-table`, `--lock-timeout`, `--statement-timeout`,
    /// `--lock-wait`, `--history-lock-timeout`, `--keepalive` and `--allow-out-of-order`.
    pub fn with_settings(&self, mut m: Migrations) -> Result<Migrations> {
        if let Some(t) = &self.global.history_table {
            let t = settings::parse_table_name(t)?;
            m = match t.schema {
                Some(schema) => m.history_table_in_schema(schema, t.name),
                None => m.history_table(t.name),
            };
        }
        if let Some(d) = &self.global.lock_timeout {
            m = m.lock_timeout(settings::parse_server_timeout("--lock-timeout", d)?);
        }
        if let Some(d) = &self.global.statement_timeout {
            m = m.statement_timeout(settings::parse_server_timeout("--statement-timeout", d)?);
        }
        if let Some(d) = &self.global.lock_wait {
            m = m.lock_wait(settings::parse_duration(d)?);
        }
        if let Some(d) = &self.global.history_lock_timeout {
            m = m.history_lock_timeout(settings::parse_duration(d)?);
        }
        if let Some(d) = &self.global.keepalive {
            let d = settings::parse_duration(d)?;
            m = m.keepalive((!d.is_zero()).then_some(d));
        }
        if self.global.allow_out_of_order {
            m = m.allow_out_of_order(true);
        }
        if let Some(env) = &self.global.environment {
            m = m.environment(env.clone());
        }
        Ok(m)
    }

    /// The number of a version typed on the command line: as the layout
    /// spells it in file names (diesel's `2024-01-02-030405`), or the number
    /// `status` prints. A spelling that names a migration wins.
    pub fn version(&self, check: &pgmigrate_build::Check, arg: &VersionArg) -> Result<i64> {
        let text = arg.0.as_str();
        let spelled = check.layout().parse_version(text).ok();
        let number = text.parse::<i64>().ok();
        let known = |v: &i64| check.migrations.iter().any(|m| m.version == *v);
        spelled
            .filter(known)
            .or(number.filter(known))
            .or(spelled)
            .or(number)
            .ok_or_else(|| {
                let example = check
                    .migrations
                    .last()
                    .map(|m| {
                        format!(" (the newest: `{}`)", m.label)
                    })
                    .unwrap_or_default();
                CliError::new(format!(
                    "`{text}` is not a version of the {} layout",
                    check.layout()
                ))
                .help(format!(
                    "write the version as it starts the file names{example}, or as `pgmigrate status --format json` prints it"
                ))
            })
    }

    /// [`Ctx::version`] of an optional argument.
    pub fn version_opt(
        &self,
        check: &pgmigrate_build::Check,
        arg: Option<&VersionArg>,
    ) -> Result<Option<i64>> {
        arg.map(|a| self.version(check, a)).transpose()
    }

    /// Connects to the configured database.
    pub fn connect(&self) -> Result<postgres::Client> {
        let (url, _) = settings::require_database_url(self.global)?;
        crate::connect::connect(&url)
    }
}

/// Turns an executor error into a CLI error (exit 2), adding the CLI's own
/// advice where the executor speaks about its library API.
pub fn exec_error(e: pgmigrate_core::Error) -> CliError {
    use pgmigrate_core::Error as E;
    let e = escape_stored_names(e);
    let help = match &e {
        E::ForeignHistoryTable { .. } => {
            Some("pass --history-table NAME (or SCHEMA.NAME) to keep this tool's history elsewhere")
        }
        E::Drift(_) => Some("`pgmigrate status` shows every drifted migration"),
        E::Interrupted(_) => {
            Some("`pgmigrate status` shows every running or interrupted migration")
        }
        E::InvalidIndexes(_) => {
            Some("list them with `SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid`")
        }
        E::HistoryLocked { .. } => Some("raise the wait with --history-lock-timeout (e.g. 1m)"),
        E::OutOfOrder { .. } => Some(
            "renumber the file(s), or pass --allow-out-of-order when running them late is safe",
        ),
        E::NotApplied { .. } => Some("`pgmigrate status` shows what is applied"),
        E::EnvironmentRequired { .. } => Some(
            "pass --env NAME or set MIGRATE_ENV (e.g. MIGRATE_ENV=production) so that the runner knows which migrations belong here",
        ),
        E::LockTimeout { .. } => {
            Some("wait for the other runner, or give it longer with --lock-wait (e.g. 15m)")
        }
        E::Database { .. } => e.failure_class().and_then(class_help),
        _ => None,
    };
    let mut err = CliError::new(e.to_string());
    if let Some(h) = help {
        err = err.help(h);
    }
    err
}

/// Help for a failed query of the runner itself, by whose fault it is.
fn class_help(class: pgmigrate_core::FailureClass) -> Option<&'static str> {
    use pgmigrate_core::FailureClass as C;
    match class {
        C::ReadOnly => Some(
            "the server accepts no writes (a hot standby replica, or default_transaction_read_only): connect to the primary server",
        ),
        C::Terminated => Some(
            "the server ended the session (an administrator, a shutdown or a restart): run the command again once it accepts connections",
        ),
        C::LockTimeout => Some(
            "another session held a lock for longer than lock_timeout: run again when the database is quieter",
        ),
        C::Cancelled => Some(
            "the query ran longer than statement_timeout or was cancelled: run again, or allow it longer",
        ),
        C::Runner => Some(
            "the migration user needs CREATE on the history table's schema and SELECT, INSERT, UPDATE, DELETE on the table (or choose another with --history-table)",
        ),
        _ => None,
    }
}

/// The error with the names it quotes from the history table (which any
/// client can write) made printable: a newline there must not start a line.
fn escape_stored_names(e: pgmigrate_core::Error) -> pgmigrate_core::Error {
    use crate::output::escape_control;
    use pgmigrate_core::Error as E;
    match e {
        E::UnknownToRevert {
            version,
            name,
            table,
        } => E::UnknownToRevert {
            version,
            name: escape_control(&name).into_owned(),
            table,
        },
        E::Interrupted(mut interruption) => {
            interruption.name = escape_control(&interruption.name).into_owned();
            E::Interrupted(interruption)
        }
        other => other,
    }
}
