//! `pgmigrate create <slug>`: new migration files with the next version.
//!
//! Version style follows the directory:
//! - the newest existing version has 14 digits and reads as a date-time
//!   (`YYYYMMDDHHMMSS`): timestamp style, the current UTC time (or the newest
//!   version + 1 when the clock is behind it, so order is kept);
//! - any other existing versions: sequential, newest + 1, zero-padded to the
//!   width of the newest file's version (`0007` -> `0008`, `42` -> `43`);
//! - an empty or missing directory: timestamp style (no renumbering conflicts
//!   between branches), the directory is created.
//!
//! The templates are SQL comments only: until the author writes a statement,
//! `pgmigrate lint` (and `cargo build`) report the file as `empty-migration`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use pgmigrate_build::Layout;

use crate::cli::CreateArgs;
use crate::error::{CliError, Result};
use crate::output::{utc_fields, Out, Style};

/// Refuses to write native file names into a directory of another tool's
/// layout, where nothing would read them.
fn check_layout(dir: &Path, layout: Option<Layout>, args: &CreateArgs) -> Result<()> {
    let layout = match layout {
        Some(Layout::Auto) | None if dir.is_dir() => pgmigrate_build::Config::new()
            .root_dir(std::env::current_dir().unwrap_or_default())
            .check(dir)
            .layout(),
        Some(layout) => layout,
        None => Layout::Native,
    };
    let tool = match layout {
        Layout::Auto | Layout::Native | Layout::Sqlx => return Ok(()),
        Layout::GolangMigrate if args.reversible => return Ok(()),
        Layout::GolangMigrate => {
            return Err(CliError::new(
                "golang-migrate reads `.up.sql` + `.down.sql` pairs only: a forward-only `.sql` file would not run",
            )
            .help("pass --reversible"))
        }
        Layout::Diesel => "`diesel migration generate <name>`",
        Layout::Goose => "`goose -dir <dir> create <name> sql`",
        Layout::SqlMigrate => "`sql-migrate new <name>`, or write `<version>_<name>.sql` with `-- +migrate Up` / `-- +migrate Down`",
        Layout::Dbmate => "`dbmate new <name>`",
        Layout::Flyway => "a new `V<version>__<name>.sql` file",
    };
    Err(CliError::new(format!(
        "{} follows the {layout} layout: `create` writes native file names, which it would not read",
        dir.display()
    ))
    .help(format!("create the migration as that tool does: {tool}")))
}

/// The naming style of a migration directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStyle {
    /// `YYYYMMDDHHMMSS` in UTC.
    Timestamp,
    /// A counter zero-padded to this width.
    Sequential {
        /// Number of digits.
        width: usize,
    },
}

/// Runs `pgmigrate create`; `layout` is `--layout`.
pub fn run(dir: &Path, layout: Option<Layout>, args: &CreateArgs, out: &Out) -> Result<()> {
    validate_slug(&args.slug)?;
    check_layout(dir, layout, args)?;
    let existing = existing_versions(dir)?;
    let version = next_version(&existing, SystemTime::now());
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::new(format!("cannot create directory {}: {e}", dir.display()))
        })?;
        out.line(&format!("created directory {}", dir.display()));
    }
    let stem = format!("{version}_{}", args.slug);
    let files: Vec<(PathBuf, String)> = if args.reversible {
        vec![
            (
                dir.join(format!("{stem}.up.sql")),
                template(&version, &args.slug, Direction::Up, args.no_transaction),
            ),
            (
                dir.join(format!("{stem}.down.sql")),
                template(&version, &args.slug, Direction::Down, args.no_transaction),
            ),
        ]
    } else {
        vec![(
            dir.join(format!("{stem}.sql")),
            template(
                &version,
                &args.slug,
                Direction::Forward,
                args.no_transaction,
            ),
        )]
    };
    if let Some((path, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(CliError::new(format!("{} already exists", path.display())));
    }
    for (path, text) in &files {
        write_new(path, text)?;
        out.result(&format!(
            "{} {}",
            out.paint(Style::Green, "created"),
            path.display()
        ));
    }
    Ok(())
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))
}

/// Checks a slug: lower-case ASCII letters, digits and `_`, starting with a
/// letter, at most 100 characters.
pub fn validate_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 100
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !slug.ends_with('_');
    if ok {
        return Ok(());
    }
    let suggestion: String = {
        let mut s = String::new();
        for c in slug.trim().chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() {
                s.push(c);
            } else if !s.ends_with('_') && !s.is_empty() {
                s.push('_');
            }
        }
        let s = s
            .trim_matches('_')
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
        s.chars().take(100).collect()
    };
    let mut err = CliError::new(format!(
        "invalid migration name `{slug}`: use lower-case letters, digits and `_`, starting with a letter"
    ));
    err = if suggestion.is_empty() {
        err.help("describe the change, for example `pgmigrate create add_users_email`")
    } else {
        err.help(format!("try `pgmigrate create {suggestion}`"))
    };
    Err(err)
}

/// The versions (as written) of the files in `dir`; empty when it does not exist.
pub fn existing_versions(dir: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CliError::new(format!("cannot read {}: {e}", dir.display()))),
    };
    let mut versions = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.ends_with(".sql") {
            continue;
        }
        let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() && name[digits.len()..].starts_with('_') {
            versions.push(digits);
        }
    }
    Ok(versions)
}

/// The style of a directory from its versions (see the module docs).
pub fn style_of(existing: &[String]) -> VersionStyle {
    let newest = existing
        .iter()
        .filter_map(|v| v.parse::<u128>().ok().map(|n| (n, v)))
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.len().cmp(&b.1.len())));
    match newest {
        None => VersionStyle::Timestamp,
        Some((_, v)) if looks_like_timestamp(v) => VersionStyle::Timestamp,
        Some((_, v)) => VersionStyle::Sequential { width: v.len() },
    }
}

fn looks_like_timestamp(v: &str) -> bool {
    if v.len() != 14 {
        return false;
    }
    let n = |r: std::ops::Range<usize>| v[r].parse::<u32>().unwrap_or(99);
    (1970..=9999).contains(&n(0..4))
        && (1..=12).contains(&n(4..6))
        && (1..=31).contains(&n(6..8))
        && n(8..10) < 24
        && n(10..12) < 60
        && n(12..14) < 61
}

/// The next version, as it is written in the file name.
pub fn next_version(existing: &[String], now: SystemTime) -> String {
    let max = existing.iter().filter_map(|v| v.parse::<u128>().ok()).max();
    match style_of(existing) {
        VersionStyle::Timestamp => {
            let (y, mo, d, h, mi, s) = utc_fields(now);
            let stamp = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}");
            match (max, stamp.parse::<u128>()) {
                (Some(m), Ok(t)) if t <= m => (m + 1).to_string(),
                _ => stamp,
            }
        }
        VersionStyle::Sequential { width } => {
            let next = max.unwrap_or(0) + 1;
            format!("{next:0width$}")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
    Forward,
}

/// The text of a new file: comments only, so an unfilled file is reported as
/// `empty-migration`.
fn template(version: &str, slug: &str, dir: Direction, no_transaction: bool) -> String {
    let mut t = String::new();
    if no_transaction {
        t.push_str("-- migrate:no-transaction\n");
    }
    let what = match dir {
        Direction::Up => "up: the change to apply",
        Direction::Down => "down: undo exactly what the .up.sql file does",
        Direction::Forward => "forward-only: no down script",
    };
    t.push_str(&format!("-- {version} {slug} ({what}).\n"));
    t.push_str("--\n");
    match dir {
        Direction::Up | Direction::Forward => {
            t.push_str("-- Write the SQL below, every statement ending with `;`.\n");
        }
        Direction::Down => {
            t.push_str("-- Write the SQL below, every statement ending with `;`; drop in the\n");
            t.push_str("-- reverse order of creation and use IF EXISTS (for example\n");
            t.push_str("-- `DROP TABLE IF EXISTS name;`). `pgmigrate verify` checks that this\n");
            t.push_str("-- script restores the schema exactly.\n");
        }
    }
    if no_transaction {
        t.push_str("-- Runs outside a transaction, one statement at a time (as needed by\n");
        t.push_str("-- CREATE INDEX CONCURRENTLY): keep each statement safe to retry.\n");
    } else {
        t.push_str("-- Runs in one transaction together with its history row.\n");
    }
    t.push_str("-- While this file holds only comments, `pgmigrate lint` and `cargo build`\n");
    t.push_str("-- report it as empty-migration.\n\n");
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const NOW: u64 = 1_779_278_400; // 2026-05-20 12:00:00 UTC

    #[test]
    fn sequential_keeps_width() {
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        assert_eq!(next_version(&v(&["0001", "0007"]), now), "0008");
        assert_eq!(next_version(&v(&["0009"]), now), "0010");
        assert_eq!(next_version(&v(&["9999"]), now), "10000");
        assert_eq!(next_version(&v(&["1", "2"]), now), "3");
        assert_eq!(next_version(&v(&["001", "099"]), now), "100");
    }

    #[test]
    fn timestamps() {
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        assert_eq!(next_version(&[], now), "20260520120000");
        assert_eq!(next_version(&v(&["20250101000000"]), now), "20260520120000");
        // The clock is behind the newest file: keep the order.
        assert_eq!(next_version(&v(&["20300101000000"]), now), "20300101000001");
    }

    #[test]
    fn slugs() {
        assert!(validate_slug("add_users").is_ok());
        assert!(validate_slug("add_users_v2").is_ok());
        let e = validate_slug("Add-Users").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("try `pgmigrate create add_users`"));
        assert!(validate_slug("").is_err());
        assert!(validate_slug("1abc").is_err());
        assert!(validate_slug("a b").is_err());
        assert!(validate_slug("../x").is_err());
        assert!(validate_slug("x.up").is_err());
    }
}
