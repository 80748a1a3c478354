//! One module per subcommand; [`run`] dispatches, [`Ctx`] holds what they share.

pub mod adopt;
pub mod create;
pub mod down;
pub mod lint;
pub mod plan;
pub mod repair;
pub mod stamp;
pub mod status;
pub mod up;
pub mod verify;

use pgmigrate_core::Migrations;

use crate::cli::{Cli, Command, GlobalOpts};
use crate::error::{CliError, Result};
use crate::output::Out;
use crate::settings;

/// What every command gets: the global options and the output settings.
pub struct Ctx<'a> {
    /// The global options.
    pub global: &'a GlobalOpts,
    /// Colors and verbosity.
    pub out: &'a Out,
}

/// Runs the parsed command line.
pub fn run(cli: &Cli, out: &Out) -> Result<()> {
    let ctx = Ctx {
        global: &cli.global,
        out,
    };
    // Validate the options that every command shares before doing anything.
    ctx.validate()?;
    match &cli.command {
        Command::Status(args) => status::run(&ctx, args),
        Command::Up(args) => up::run(&ctx, args),
        Command::Down(args) => down::run(&ctx, args),
        Command::Plan(args) => plan::run(&ctx, args),
        Command::Create(args) => create::run(&ctx.global.dir, ctx.global.layout, args, out),
        Command::Lint(args) => lint::run(&ctx, args),
        Command::Stamp(args) => stamp::run(&ctx, args),
        Command::Repair(args) => repair::run(&ctx, args),
        Command::Adopt(args) => adopt::run(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
    }
}

impl Ctx<'_> {
    fn validate(&self) -> Result<()> {
        if let Some(t) = &self.global.history_table {
            settings::parse_table_name(t)?;
        }
        for duration in [
            &self.global.lock_timeout,
            &self.global.statement_timeout,
            &self.global.lock_wait,
            &self.global.history_lock_timeout,
            &self.global.keepalive,
        ]
        .into_iter()
        .flatten()
        {
            settings::parse_duration(duration)?;
        }
        if let Some(env) = &self.global.environment {
            settings::check_environment(env, self.global.environments.as_deref())?;
        }
        Ok(())
    }

    /// Checks the migration directory like `cargo build`; refuses (exit 1,
    /// diagnostics on stderr) when a file has a `deny` finding, because the
    /// build would not embed such a set either.
    pub fn checked(&self) -> Result<pgmigrate_build::Check> {
        let check = crate::load::check(
            &self.global.dir,
            self.global.environments.as_deref(),
            self.global.layout,
        )?;
        if check.has_errors() {
            eprint!("{}", crate::redact::redact(&check.render(self.out.color)));
            let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();
            return Err(CliError::check_failed(format!(
                "{errors} error(s) in {}: nothing was run",
                self.global.dir.display()
            ))
            .help("fix the files (`pgmigrate lint` lists every finding)"));
        }
        let warnings = check.diagnostics.len();
        if warnings > 0 {
            self.out.warn(&format!(
                "{warnings} lint warning(s) in {} (see `pgmigrate lint`)",
                self.global.dir.display()
            ));
        }
        Ok(check)
    }

    /// The migrations to run, with the runner settings from the options.
    pub fn migrations(&self, check: &pgmigrate_build::Check) -> Result<Migrations> {
        self.with_settings(crate::load::to_migrations(&check.migrations))
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
            m = m.lock_timeout(settings::parse_duration(d)?);
        }
        if let Some(d) = &self.global.statement_timeout {
            m = m.statement_timeout(settings::parse_duration(d)?);
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
        if let Some(env) = &self.global.environment {
            m = m.environment(env.clone());
        }
        Ok(m.allow_out_of_order(self.global.allow_out_of_order))
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
    let help = match &e {
        E::ForeignHistoryTable { .. } => {
            Some("pass --history-table NAME (or SCHEMA.NAME) to keep this tool's history elsewhere")
        }
        E::Drift(_) => Some("`pgmigrate status` shows every drifted migration"),
        E::Interrupted(_) => {
            Some("`pgmigrate status` shows every running or interrupted migration")
        }
        E::InvalidIndexes { .. } => {
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
        _ => None,
    };
    let mut err = CliError::new(e.to_string());
    if let Some(h) = help {
        err = err.help(h);
    }
    err
}

/// The version as written in the file name (`0007`), falling back to the number.
pub fn version_label(version: i64, path: Option<&str>) -> String {
    path.and_then(|p| p.rsplit('/').next())
        .map(|file| {
            file.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|digits| digits.parse::<i64>().ok() == Some(version))
        .unwrap_or_else(|| version.to_string())
}
