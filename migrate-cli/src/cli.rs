//! The command line surface: every subcommand and option, parsed by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compile-time checked PostgreSQL migrations: apply, revert, inspect and verify.
#[derive(Debug, Parser)]
#[command(name = "pgmigrate", version, about, long_about = None)]
#[command(propagate_version = true, arg_required_else_help = true)]
pub struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub global: GlobalOpts,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the subcommand.
#[derive(Debug, Args, Clone)]
pub struct GlobalOpts {
    /// Directory that holds the migration files [default: `dir` in
    /// migrate.toml, else `migrations`].
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// The project's configuration file [default: the nearest migrate.toml in
    /// --dir (or the working directory) or above it].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How the migration files are laid out: auto (recognise it), native,
    /// diesel, sqlx, golang-migrate, goose, sql-migrate, dbmate or flyway
    /// (refinery's layout too) [default: auto].
    #[arg(long, global = true, value_name = "LAYOUT")]
    pub layout: Option<pgmigrate_build::Layout>,

    /// Database to migrate [default: $DATABASE_URL, also read from ./.env].
    /// Both `postgres://user:pass@host/db?sslmode=require` and
    /// `host=... dbname=... password=...` forms work; `sslmode=verify-full`
    /// and `sslrootcert=FILE` are supported.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// History table, optionally schema-qualified (`schema.table`).
    #[arg(long, global = true, value_name = "[SCHEMA.]TABLE")]
    pub history_table: Option<String>,

    /// `lock_timeout` for every migration, e.g. `5s`, `500ms`, `1m`.
    #[arg(long, global = true, value_name = "DURATION")]
    pub lock_timeout: Option<String>,

    /// `statement_timeout` for every migration, e.g. `10m`.
    #[arg(long, global = true, value_name = "DURATION")]
    pub statement_timeout: Option<String>,

    /// How long to wait while another runner holds the migration lock before
    /// giving up [default: 5m].
    #[arg(long, global = true, value_name = "DURATION")]
    pub lock_wait: Option<String>,

    /// How long the runner's own statements on the history table wait for a
    /// lock another session holds on it before failing with that session's
    /// pid [default: 10s].
    #[arg(long, global = true, value_name = "DURATION")]
    pub history_lock_timeout: Option<String>,

    /// While the runner holds the migration lock, the server drops its
    /// connection after about this long without an answer (TCP keepalive and
    /// tcp_user_timeout of its session); `0`: the server's own settings [default: 1m].
    #[arg(long, global = true, value_name = "DURATION")]
    pub keepalive: Option<String>,

    /// Apply pending migrations that are older than the newest applied one
    /// (a branch merged late) instead of refusing.
    #[arg(long, global = true)]
    pub allow_out_of_order: bool,

    /// The environment this database belongs to (e.g. `dev`, `production`).
    /// A migration with `-- migrate:only <environments>` that lacks it is
    /// recorded as skipped; a skipped one that has it is applied.
    #[arg(long = "env", global = true, env = "MIGRATE_ENV", value_name = "NAME")]
    pub environment: Option<String>,

    /// The known environments, comma-separated (e.g. `dev,staging,production`):
    /// `lint` rejects any other name in `-- migrate:only`, and `--env` must be one of them.
    #[arg(long, global = true, value_delimiter = ',', value_name = "LIST")]
    pub environments: Option<Vec<String>>,

    /// Print less (only errors and the essential result).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Print more (executor details; `verify` lists every schema change).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to color the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// Machine-readable JSON.
    Json,
}

/// `lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LintFormat {
    /// Human-readable text, like `cargo build`.
    #[default]
    Text,
    /// One JSON object per finding.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every migration with its state: applied, pending, drifted, future, running.
    Status(StatusArgs),
    /// Apply pending migrations (all, up to a version, or the next N), optionally after a pg_dump backup.
    Up(UpArgs),
    /// Revert applied migrations (1 by default).
    Down(DownArgs),
    /// Print the SQL that `up` would run, in order, without running it (`up --dry-run`);
    /// with `--offline`, a psql script built without any database.
    Plan(PlanArgs),
    /// Create a new migration file (or an up/down pair) with the next version.
    Create(CreateArgs),
    /// Check every migration file; the same findings as `cargo build`.
    Lint(LintArgs),
    /// Mark migrations up to a version as applied without running them (baseline).
    Stamp(StampArgs),
    /// End the history rows of interrupted no-transaction migrations (state
    /// `running`): an up becomes pending, a down applied again (`--completed`:
    /// finished by hand); or, with `--realign`, accept an edit to an applied
    /// migration.
    Repair(RepairArgs),
    /// Take over the history of the tool used before (sqlx, diesel, refinery,
    /// golang-migrate, dbmate, goose, Flyway): record exactly the versions it
    /// applied, leaving its table untouched.
    Adopt(AdoptArgs),
    /// Prove that every down script restores the schema its up script changed,
    /// on a throwaway PostgreSQL (no database needed).
    Verify(VerifyArgs),
    /// Print the schema the build models from the migration files (no
    /// database needed): what `cargo build` checks statements against.
    Schema(SchemaArgs),
}

/// A migration version as typed: as the layout spells it in file names
/// (`0042`, diesel's `2024-01-02-030405`), or the number `status` prints.
/// Resolved against the migrations by [`crate::commands::Ctx::version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionArg(pub String);

impl std::str::FromStr for VersionArg {
    type Err = String;

    fn from_str(text: &str) -> Result<VersionArg, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if text.is_empty() || !text.chars().all(allowed) {
            return Err(
                "write the version as the file names spell it (e.g. `0042`, or diesel's `2024-01-02-030405`) or as `pgmigrate status` prints it"
                    .to_string(),
            );
        }
        Ok(VersionArg(text.to_string()))
    }
}

impl std::fmt::Display for VersionArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `pgmigrate schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema after the migrations up to and including this version
    /// (default: all).
    #[arg(long, value_name = "VERSION")]
    pub at: Option<VersionArg>,
    /// Output format: SQL statements, or JSON facts.
    #[arg(long, value_enum, default_value_t = SchemaFormat::Sql)]
    pub format: SchemaFormat,
}

/// The output of `pgmigrate schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    /// `CREATE` statements, unknown objects as comments.
    Sql,
    /// `{"complete": ..., "facts": [...], "unknown": [...]}`.
    Json,
}

/// `pgmigrate repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Record the current checksum of applied migration VERSION (repeatable)
    /// instead of reporting it as drifted. Its edited SQL is NOT run: only for
    /// edits that need no run (comments, formatting), after checking that the
    /// database matches the edited file.
    #[arg(long, value_name = "VERSION")]
    pub realign: Vec<VersionArg>,
    /// The interrupted no-transaction scripts were finished by hand: record an
    /// interrupted up as applied and an interrupted down as reverted (without
    /// this flag: the database was brought back to before the script, so an up
    /// becomes pending and a down applied again).
    #[arg(long, conflicts_with = "realign")]
    pub completed: bool,
}

/// `pgmigrate status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit with 1 when a migration is pending, drifted, running or unknown.
    #[arg(long)]
    pub exit_code: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `pgmigrate up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Apply pending migrations up to and including this version.
    #[arg(long, value_name = "VERSION", conflicts_with = "step")]
    pub to: Option<VersionArg>,
    /// Apply only the next N pending migrations (the counterpart of `down N`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub step: Option<u32>,
    /// Print the SQL that would run, in order, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// First write a backup of the database to FILE with the local `pg_dump`
    /// (custom format: restore with `pg_restore`); nothing is applied unless it
    /// succeeds. Refuses when FILE exists, or pg_dump is missing or older than the server.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub backup: Option<PathBuf>,
    /// The `pg_dump` program for --backup [default: pg_dump on PATH].
    #[arg(long, value_name = "PATH", requires = "backup")]
    pub pg_dump: Option<PathBuf>,
}

/// `pgmigrate down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// How many migrations to revert, newest first.
    #[arg(value_name = "N", conflicts_with_all = ["to", "all"])]
    pub count: Option<usize>,
    /// Revert every migration newer than this version (the version itself stays applied).
    #[arg(long, value_name = "VERSION", conflicts_with = "all")]
    pub to: Option<VersionArg>,
    /// Revert every applied migration.
    #[arg(long)]
    pub all: bool,
    /// Print the SQL that would run, in order, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `pgmigrate plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<VersionArg>,
    /// Plan only the next N pending migrations.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with_all = ["to", "offline"])]
    pub step: Option<u32>,
    /// Print one psql script without connecting to any database: the lock,
    /// the history table, then every migration with the history rows the
    /// runner writes. Run it with `psql -v ON_ERROR_STOP=1 -f FILE`.
    #[arg(long)]
    pub offline: bool,
    /// With --offline: the database already has every migration up to and
    /// including VERSION applied; the script starts after it.
    #[arg(long, value_name = "VERSION", requires = "offline")]
    pub from: Option<VersionArg>,
}

/// `pgmigrate create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What the migration does, in lower-case words joined by `_` (e.g. `add_users_email`).
    pub slug: String,
    /// Also create a `.down.sql` file (writes `.up.sql` + `.down.sql`).
    #[arg(short, long)]
    pub reversible: bool,
    /// Run outside a transaction (adds the `migrate:no-transaction` directive).
    #[arg(long)]
    pub no_transaction: bool,
}

/// `pgmigrate lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Output format; `json` prints one object per finding (or per rule with
    /// --rules), `sarif` a SARIF 2.1.0 log, `github` workflow annotations.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Also show (as warnings) the findings in migrations up to the lint
    /// baseline of migrate.toml, which are otherwise only counted.
    #[arg(long)]
    pub include_baseline: bool,
    /// List every rule with its default level and what it catches, and exit.
    #[arg(long, conflicts_with = "explain")]
    pub rules: bool,
    /// Explain one rule: what it catches, why, a bad and a good example.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
}

/// `pgmigrate stamp`.
#[derive(Debug, Args)]
pub struct StampArgs {
    /// Version to mark as the newest applied one.
    #[arg(value_name = "VERSION")]
    pub target: VersionArg,
}

/// `pgmigrate adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The tool whose history table to read; its layout is how the files
    /// are read unless --layout says otherwise.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub from: crate::foreign::Tool,
    /// The tool's history table, when it was configured with another name
    /// [default: the tool's own, e.g. `_sqlx_migrations`].
    #[arg(long, value_name = "[SCHEMA.]TABLE")]
    pub from_table: Option<String>,
    /// Record today's files also where their text no longer has the
    /// checksum the tool recorded (after checking that the database matches them).
    #[arg(long)]
    pub accept_changed: bool,
}

/// `pgmigrate verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_after_the_subcommand() {
        let cli = Cli::try_parse_from(["migrate", "status", "--dir", "db", "-q"]).unwrap();
        assert_eq!(cli.global.dir, Some(PathBuf::from("db")));
        assert_eq!(cli.global.quiet, 1);
        let cli = Cli::try_parse_from(["migrate", "down"]).unwrap();
        match cli.command {
            Command::Down(d) => assert!(d.count.is_none() && d.to.is_none() && !d.all),
            other => panic!("{other:?}"),
        }
    }
}
