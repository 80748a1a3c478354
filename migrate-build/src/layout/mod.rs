//! Directory layouts: how the migration tools that a project may have used
//! before name their files, where they keep up and down, and how they run a
//! file (in a transaction or not). Files are read as they are, so a team
//! adopts this runner without renaming anything that is already applied.
//!
//! Each layout turns the entries of the migrations directory into
//! [`Claimed`] scripts (version, name, direction, and how to run them);
//! `discover` pairs them up. What no layout claims is an error, never
//! "0 migrations, ok".

mod diesel;
mod flyway;
pub(crate) mod native;
mod sections;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::diagnostic::Diagnostic;
use crate::Direction;

pub(crate) use sections::Marker;

/// The layout of a migrations directory: which tool's naming and markers
/// the files follow. [`Layout::Auto`] (the default) recognises it.
///
/// The names (`"native"`, `"diesel"`, ...) are what [`Layout::name`] returns,
/// what [`FromStr`] accepts and what `pgmigrate --layout` and the
/// configuration file take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// Recognise the layout from the directory: diesel directories, Flyway
    /// `V<n>__` names, dbmate/goose/sql-migrate section markers, sqlx's
    /// `-- no-transaction`, else native.
    #[default]
    Auto,
    /// `<version>_<name>.up.sql` + `.down.sql`, or `<version>_<name>.sql`;
    /// `-- migrate:no-transaction` in the header.
    Native,
    /// diesel: `<version>_<name>/up.sql` + `down.sql`, `metadata.toml` with
    /// `run_in_transaction = false`. `2024-01-02-030405` is version
    /// `2024010203040500005`: the digits padded to 18, and a digit that grows
    /// with their length, so that the numbers sort as diesel sorts the names.
    Diesel,
    /// sqlx: native names; `-- no-transaction` as the first line.
    Sqlx,
    /// golang-migrate: `<version>_<name>.up.sql` + `.down.sql`; each file is
    /// sent as one query (one statement runs on its own, several in one
    /// implicit transaction).
    GolangMigrate,
    /// goose: `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down`,
    /// `StatementBegin`/`StatementEnd` and `-- +goose NO TRANSACTION`.
    Goose,
    /// sql-migrate: any `<version>...sql` with `-- +migrate Up` / `Down`
    /// sections (several allowed, `notransaction` option).
    SqlMigrate,
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`
    /// (option `transaction:false`).
    Dbmate,
    /// Flyway and refinery: `V<n>__<name>.sql`, undo `U<n>__<name>.sql`; a
    /// file holding a statement that cannot run in a transaction runs outside one.
    Flyway,
}

impl Layout {
    /// Every layout, `Auto` first.
    pub const ALL: &'static [Layout] = &[
        Layout::Auto,
        Layout::Native,
        Layout::Diesel,
        Layout::Sqlx,
        Layout::GolangMigrate,
        Layout::Goose,
        Layout::SqlMigrate,
        Layout::Dbmate,
        Layout::Flyway,
    ];

    /// The name used in configuration and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Native => "native",
            Layout::Diesel => "diesel",
            Layout::Sqlx => "sqlx",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Goose => "goose",
            Layout::SqlMigrate => "sql-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "flyway",
        }
    }

    /// What the layout's files look like, for messages.
    pub fn pattern(self) -> &'static str {
        match self {
            Layout::Auto => "any of the layouts below",
            Layout::Native => "<version>_<name>.up.sql + .down.sql, or <version>_<name>.sql",
            Layout::Diesel => "<version>_<name>/up.sql + down.sql",
            Layout::Sqlx => "<version>_<name>.sql, or .up.sql + .down.sql",
            Layout::GolangMigrate => "<version>_<name>.up.sql + .down.sql",
            Layout::Goose => "<version>_<name>.sql with -- +goose Up / Down",
            Layout::SqlMigrate => "<version>[_<name>].sql with -- +migrate Up / Down",
            Layout::Dbmate => "<version>_<name>.sql with -- migrate:up / down",
            Layout::Flyway => "V<version>__<name>.sql (+ U<version>__<name>.sql)",
        }
    }

    /// The version number of a version as this layout spells it in file
    /// names (`0042`, diesel's `2024-01-02-030405`), e.g. for a configured
    /// baseline or a version read from the tool's history table.
    pub fn parse_version(self, text: &str) -> Result<i64, String> {
        match self {
            Layout::Diesel => diesel::version(text),
            Layout::Flyway => flyway::version(text),
            _ => digits_version(text),
        }
    }

    /// The known layouts as `name (pattern)` lines, for messages.
    pub(crate) fn known_list() -> String {
        Layout::ALL[1..]
            .iter()
            .map(|l| format!("{} ({})", l.name(), l.pattern()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A layout name that is not one of [`Layout::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown layout `{0}` (known: auto, native, diesel, sqlx, golang-migrate, goose, sql-migrate, dbmate, flyway)")]
pub struct UnknownLayout(pub String);

impl FromStr for Layout {
    type Err = UnknownLayout;

    fn from_str(s: &str) -> Result<Layout, UnknownLayout> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = match wanted.as_str() {
            "refinery" => "flyway",
            "golang_migrate" => "golang-migrate",
            "sql_migrate" => "sql-migrate",
            other => other,
        };
        Layout::ALL
            .iter()
            .copied()
            .find(|l| l.name() == wanted)
            .ok_or_else(|| UnknownLayout(s.to_string()))
    }
}

/// How a script's transaction mode is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TxRule {
    /// In a transaction unless `-- migrate:no-transaction` is in the header.
    #[default]
    Directive,
    /// Outside a transaction (a marker or setting of the tool said so).
    NoTransaction,
    /// sqlx: outside a transaction when the text starts with `-- no-transaction`.
    SqlxMarker,
    /// golang-migrate sends the file as one query: a single statement runs
    /// on its own (autocommit), several run in one implicit transaction.
    OneQuery,
    /// Flyway: outside a transaction when a statement cannot run inside one.
    Detect,
}

/// One script that a layout claims.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub version: i64,
    pub slug: String,
    pub direction: Direction,
    pub forward_only: bool,
    pub path: PathBuf,
    pub display: String,
    /// The version as written in the name (for messages).
    pub version_text: String,
    /// The text to check and run, when discovery has it: the file as it is,
    /// or (not `verbatim`) a section of a one-file migration, other lines
    /// emptied so that lines and columns are the file's.
    pub text: Option<String>,
    /// Whether the script is the whole file.
    pub verbatim: bool,
    pub tx: TxRule,
}

/// One entry of the migrations directory.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub path: PathBuf,
    pub display: String,
    /// A directory (diesel migrations are directories).
    pub is_dir: bool,
    /// The text of a regular `.sql` file, when it could be read as UTF-8.
    pub text: Option<String>,
}

/// What a layout made of the directory's entries.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    pub scripts: Vec<Claimed>,
    pub diagnostics: Vec<Diagnostic>,
    /// `.sql` files that the layout does not read.
    pub unclaimed: Vec<String>,
}

impl Claims {
    /// A `bad-file-name` diagnostic for `entry`.
    pub(crate) fn bad_name(&mut self, entry: &Entry, message: String, help: &str) {
        self.diagnostics.push(Diagnostic::file(
            crate::rule::Rule::BadFileName,
            &entry.display,
            message,
            Some(help.to_string()),
        ));
    }
}

/// Which layout the entries follow.
pub(crate) fn detect(entries: &[Entry]) -> Layout {
    if entries
        .iter()
        .any(|e| e.is_dir && diesel::is_migration_dir(&e.path))
    {
        return Layout::Diesel;
    }
    let files = || entries.iter().filter(|e| !e.is_dir);
    if files().any(|e| flyway::parse_name(&e.name).is_some()) {
        return Layout::Flyway;
    }
    for (layout, marker) in [
        (Layout::Dbmate, Marker::Dbmate),
        (Layout::Goose, Marker::Goose),
        (Layout::SqlMigrate, Marker::SqlMigrate),
    ] {
        if files().any(|e| e.text.as_deref().is_some_and(|t| marker.used_in(t))) {
            return layout;
        }
    }
    if files().any(|e| e.text.as_deref().is_some_and(sqlx_no_transaction)) {
        return Layout::Sqlx;
    }
    Layout::Native
}

/// Whether a layout needs the text of the files to find its migrations.
pub(crate) fn reads_text(layout: Layout) -> bool {
    matches!(
        layout,
        Layout::Auto | Layout::Goose | Layout::SqlMigrate | Layout::Dbmate
    )
}

/// The scripts `layout` (not `Auto`) claims among `entries`.
pub(crate) fn claim(layout: Layout, entries: &[Entry]) -> Claims {
    let mut claims = Claims::default();
    for entry in entries {
        match layout {
            Layout::Diesel => diesel::claim(entry, &mut claims),
            Layout::Flyway => flyway::claim(entry, &mut claims),
            Layout::Goose | Layout::SqlMigrate | Layout::Dbmate => {
                sections::claim(layout, entry, &mut claims)
            }
            Layout::Auto | Layout::Native | Layout::Sqlx | Layout::GolangMigrate => {
                claim_named(layout, entry, &mut claims)
            }
        }
    }
    claims
}

/// Native, sqlx and golang-migrate: one file per direction, named
/// `<version>_<name>[.up|.down].sql`.
fn claim_named(layout: Layout, entry: &Entry, claims: &mut Claims) {
    if entry.is_dir {
        return;
    }
    let native = layout == Layout::Native || layout == Layout::Auto;
    let parsed = match native::parse_name(&entry.name) {
        Some(Ok(parsed)) => parsed,
        Some(Err(native::NameError::BadSlug(_))) if !native => {
            // sqlx and golang-migrate accept any description.
            match parse_loose(&entry.name) {
                Some(parsed) => parsed,
                None => return claims.unclaimed.push(entry.display.clone()),
            }
        }
        None if native => {
            return claims.bad_name(
                entry,
                "a migration file must end in `.sql` (lowercase)".to_string(),
                "rename it like `0001_create_users.up.sql`",
            );
        }
        Some(Err(error)) if native => {
            claims
                .diagnostics
                .push(native::bad_name(&entry.display, &entry.name, &error));
            return;
        }
        _ => return claims.unclaimed.push(entry.display.clone()),
    };
    if layout == Layout::GolangMigrate && parsed.forward_only {
        return claims.unclaimed.push(entry.display.clone());
    }
    let tx = match layout {
        Layout::Sqlx => TxRule::SqlxMarker,
        Layout::GolangMigrate => TxRule::OneQuery,
        _ => TxRule::Directive,
    };
    claims.scripts.push(Claimed {
        version: parsed.version,
        slug: parsed.slug,
        direction: parsed.direction,
        forward_only: parsed.forward_only,
        path: entry.path.clone(),
        display: entry.display.clone(),
        version_text: leading_digits(&entry.name).to_string(),
        text: entry.text.clone(),
        verbatim: true,
        tx,
    });
}

/// `<digits>_<anything>[.up|.down].sql`.
fn parse_loose(name: &str) -> Option<native::FileName> {
    let (stem, direction, forward_only) = if let Some(s) = name.strip_suffix(".up.sql") {
        (s, Direction::Up, false)
    } else if let Some(s) = name.strip_suffix(".down.sql") {
        (s, Direction::Down, false)
    } else {
        (name.strip_suffix(".sql")?, Direction::Up, true)
    };
    let digits = leading_digits(stem);
    let slug = stem[digits.len()..].strip_prefix('_')?;
    Some(native::FileName {
        version: digits_version(digits).ok()?,
        slug: slug.to_string(),
        direction,
        forward_only,
    })
}

/// `layout-marker` findings for goose and sql-migrate section markers in a
/// file that is read whole: the down section would run as part of the up
/// migration. (dbmate's `-- migrate:up` is reported as an unknown directive.)
pub(crate) fn foreign_markers(text: &str) -> Vec<crate::syntax::Finding> {
    let mut findings = Vec::new();
    for (marker, needle, layout) in [
        (Marker::Goose, "+goose", Layout::Goose),
        (Marker::SqlMigrate, "+migrate", Layout::SqlMigrate),
    ] {
        // A fast scan first: a build checks every file on every change.
        if crate::source::ascii_matches(text, needle, 0)
            .next()
            .is_none()
        {
            continue;
        }
        if let Some((start, line)) = marker.first_section_line(text) {
            findings.push(crate::syntax::Finding {
                rule: crate::rule::Rule::LayoutMarker,
                start,
                end: start + line.trim_end().len(),
                message: format!(
                    "`{}` is a {layout} section marker: read whole, the file runs its down section as part of the up migration",
                    line.trim()
                ),
                help: Some(format!(
                    "read the directory as the {layout} layout (`--layout {layout}`, or `Config::layout(..)`)"
                )),
                notes: Vec::new(),
                cap: None,
            });
        }
    }
    findings
}

/// The layout whose tool runs `name` as a migration written in code:
/// goose's `<version>_<name>.go`, refinery's `V<version>__<name>.rs`.
pub(crate) fn code_migration(name: &str) -> Option<Layout> {
    if let Some(stem) = name.strip_suffix(".go") {
        let digits = leading_digits(stem);
        return (!digits.is_empty() && stem[digits.len()..].starts_with('_'))
            .then_some(Layout::Goose);
    }
    let stem = name.strip_suffix(".rs")?;
    flyway::parse_name(&format!("{stem}.sql")).map(|_| Layout::Flyway)
}

/// sqlx: the text starts with `-- no-transaction`.
pub(crate) fn sqlx_no_transaction(text: &str) -> bool {
    text.starts_with("-- no-transaction")
}

/// The ASCII digits at the start of `text`.
pub(crate) fn leading_digits(text: &str) -> &str {
    let n = text.bytes().take_while(u8::is_ascii_digit).count();
    &text[..n]
}

/// A version made of digits only.
fn digits_version(text: &str) -> Result<i64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a version: digits expected"));
    }
    text.parse()
        .map_err(|_| format!("the version {text} is too large (at most {})", i64::MAX))
}

/// Whether PostgreSQL refuses to run `statement` inside a transaction block.
pub(crate) fn refuses_transaction(statement: &str) -> bool {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, statement).tokenize() else {
        return false;
    };
    let words: Vec<String> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .collect();
    let first = |n: usize| words.iter().take(n).map(String::as_str).collect::<Vec<_>>();
    match first(2).as_slice() {
        ["VACUUM", ..] => true,
        ["CREATE" | "DROP", "DATABASE" | "TABLESPACE"] => true,
        ["ALTER", "SYSTEM"] => true,
        ["REINDEX", "DATABASE" | "SYSTEM"] => true,
        ["REFRESH", ..] => false,
        _ => words.iter().any(|w| w == "CONCURRENTLY"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &layout in Layout::ALL {
            assert_eq!(layout.name().parse::<Layout>(), Ok(layout));
            assert_eq!(layout.to_string(), layout.name());
        }
        assert_eq!("Refinery".parse::<Layout>(), Ok(Layout::Flyway));
        let error = "rails".parse::<Layout>().unwrap_err();
        assert!(error.to_string().contains("golang-migrate"), "{error}");
        assert_eq!(Layout::default(), Layout::Auto);
    }

    #[test]
    fn versions_as_spelled() {
        assert_eq!(Layout::Native.parse_version("0042"), Ok(42));
        assert_eq!(
            Layout::Diesel.parse_version("2024-01-02-030405"),
            Ok(2024010203040500005)
        );
        assert_eq!(Layout::Flyway.parse_version("7"), Ok(7));
        assert!(Layout::Native.parse_version("x1").is_err());
        assert!(Layout::Native
            .parse_version("99999999999999999999")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn statements_that_refuse_a_transaction() {
        for yes in [
            "CREATE INDEX CONCURRENTLY i ON t (a)",
            "create unique index concurrently if not exists i on t (a)",
            "DROP INDEX CONCURRENTLY i",
            "VACUUM t",
            "CREATE DATABASE d",
            "ALTER SYSTEM SET work_mem = '1MB'",
        ] {
            assert!(refuses_transaction(yes), "{yes}");
        }
        for no in [
            "CREATE INDEX i ON t (a)",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY v",
            "SELECT 'CONCURRENTLY'",
            "CREATE TABLE \"concurrently\" (a int)",
        ] {
            assert!(!refuses_transaction(no), "{no}");
        }
    }
}
