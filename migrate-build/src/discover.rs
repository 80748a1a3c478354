//! Discovery: list the migrations directory, parse file names, pair up and
//! down files, sort by version. Every problem is a diagnostic.
//!
//! Names: `<version>_<slug>.up.sql`, `<version>_<slug>.down.sql`, or
//! `<version>_<slug>.sql` (forward-only). The version is ASCII digits (compared
//! as an `i64`, so `0001` and `1` are the same version); the slug is
//! `[A-Za-z0-9_-]+`. Files that do not end in `.sql` (a README, editor backups)
//! and hidden files are ignored; so are directories, except one named like a
//! migration, which is reported when it is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::layout::native::parse_name;
use crate::layout::{self, Entry, Layout, TxRule};
use crate::rule::Rule;
use crate::Direction;

/// One migration file found in the directory.
#[derive(Debug, Clone)]
pub(crate) struct FoundFile {
    pub path: PathBuf,
    pub display: String,
    pub slug: String,
    pub direction: Direction,
    /// `<version>_<slug>.sql` (no `.up`).
    pub forward_only: bool,
    /// The version as written in the name (keeps leading zeros).
    pub version_text: String,
    /// The text to check and run when discovery read it: the file, or (not
    /// `verbatim`) one section of a one-file migration.
    pub text: Option<String>,
    /// Whether the script is the whole file as on disk.
    pub verbatim: bool,
    /// How the transaction mode is decided.
    pub tx: TxRule,
}

/// A version with its up file and optional down file.
#[derive(Debug, Clone)]
pub(crate) struct FoundMigration {
    pub version: i64,
    pub up: FoundFile,
    pub down: Option<FoundFile>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub migrations: Vec<FoundMigration>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every `.sql` file seen (for `rerun-if-changed`).
    pub files: Vec<PathBuf>,
    /// The layout read (`Auto` only when the directory could not be listed).
    pub layout: Layout,
}

/// Lists `dir` (absolute) and reads it as `layout` ([`Layout::Auto`]:
/// recognised from the entries); `display_dir` is how paths are shown.
pub(crate) fn discover(dir: &Path, display_dir: &str, layout: Layout) -> Discovered {
    let mut found = Discovered {
        layout,
        ..Discovered::default()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            found.diagnostics.push(Diagnostic::file(
                Rule::MissingDirectory,
                display_dir,
                format!("cannot read the migrations directory: {error}"),
                Some(format!(
                    "create `{display_dir}` (paths are relative to the crate root, the directory of Cargo.toml)"
                )),
            ));
            return found;
        }
    };
    let mut listed: Vec<(String, PathBuf, bool)> = Vec::new();
    // Migrations written in a programming language (goose's `.go`, refinery's `.rs`).
    let mut code: Vec<(Layout, String)> = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                found.diagnostics.push(Diagnostic::file(
                    Rule::MissingDirectory,
                    display_dir,
                    format!("cannot list the migrations directory: {error}"),
                    None,
                ));
                continue;
            }
        };
        let path = entry.path();
        let lossy = entry.file_name().to_string_lossy().into_owned();
        if lossy.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            listed.push((lossy, path, true));
        } else if lossy.to_ascii_lowercase().ends_with(".sql") {
            listed.push((lossy, path, false));
        } else if let Some(layout) = layout::code_migration(&lossy) {
            code.push((layout, join_display(display_dir, &lossy)));
        }
    }
    code.sort_by(|a, b| a.1.cmp(&b.1));
    listed.sort();

    let read_text = layout::reads_text(layout);
    let mut entries = Vec::with_capacity(listed.len());
    for (name, path, is_dir) in listed {
        let display = join_display(display_dir, &name);
        if !is_dir {
            found.files.push(path.clone());
            if path.file_name().and_then(|n| n.to_str()).is_none() {
                found.diagnostics.push(Diagnostic::file(
                    Rule::BadFileName,
                    &display,
                    "the file name is not valid UTF-8".to_string(),
                    Some("rename it like `0001_create_users.up.sql`".to_string()),
                ));
                continue;
            }
        }
        // Only regular files are read here (a FIFO would block); checking
        // each script later reports what cannot be read.
        let text = if read_text && !is_dir && path.is_file() {
            crate::read::read_regular_file(&path, crate::read::MAX_FILE_BYTES)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        } else {
            None
        };
        entries.push(Entry {
            name,
            path,
            display,
            is_dir,
            text,
        });
    }

    let resolved = match layout {
        Layout::Auto => layout::detect(&entries),
        explicit => explicit,
    };
    found.layout = resolved;
    let claims = layout::claim(resolved, &entries);
    found.diagnostics.extend(claims.diagnostics);
    for display in &claims.unclaimed {
        found.diagnostics.push(unclaimed(display, layout, resolved));
    }
    for (_, display) in code.iter().filter(|(l, _)| *l == resolved) {
        found.diagnostics.push(Diagnostic::file(
            Rule::UnclaimedFile,
            display,
            format!("a {resolved} migration written in code: this runner runs SQL files only, so it would never run"),
            Some("write what it does as a SQL migration of the same version (or move the file out of the directory once it is applied everywhere)".to_string()),
        ));
    }
    if resolved != Layout::Diesel {
        // A directory named like a migration file is not one: say so rather
        // than skip it.
        for entry in entries.iter().filter(|e| e.is_dir) {
            if matches!(parse_name(&entry.name), Some(Ok(_))) {
                found.diagnostics.push(Diagnostic::file(
                    Rule::UnreadableFile,
                    &entry.display,
                    "the path is a directory, not a regular file".to_string(),
                    Some("a migration is a file: rename the directory or move it out of the migrations directory".to_string()),
                ));
            }
        }
    }
    if resolved == Layout::Diesel {
        for entry in entries.iter().filter(|e| e.is_dir) {
            found.files.push(entry.path.clone());
            let metadata = entry.path.join("metadata.toml");
            if metadata.is_file() {
                found.files.push(metadata);
            }
        }
    }
    let mut by_version: BTreeMap<i64, Vec<FoundFile>> = BTreeMap::new();
    // A set beside the list: a linear `contains` per script made a directory
    // of thousands of files quadratic.
    let mut listed: std::collections::HashSet<PathBuf> = found.files.iter().cloned().collect();
    for script in claims.scripts {
        if listed.insert(script.path.clone()) {
            found.files.push(script.path.clone());
        }
        by_version
            .entry(script.version)
            .or_default()
            .push(FoundFile {
                path: script.path,
                display: script.display,
                slug: script.slug,
                direction: script.direction,
                forward_only: script.forward_only,
                version_text: script.version_text,
                text: script.text,
                verbatim: script.verbatim,
                tx: script.tx,
            });
    }
    // Flyway pairs an undo script with its migration by version alone.
    let same_name_pairs = resolved != Layout::Flyway;

    for (version, files) in by_version {
        let (ups, downs): (Vec<FoundFile>, Vec<FoundFile>) = files
            .into_iter()
            .partition(|f| f.direction == Direction::Up);
        let mut ups = ups.into_iter();
        let Some(up) = ups.next() else {
            for down in downs {
                found.diagnostics.push(Diagnostic::file(
                    Rule::OrphanDown,
                    &down.display,
                    format!("down migration {version} has no up migration"),
                    Some(format!(
                        "add `{}_{}.up.sql` or delete this file",
                        down.version_text, down.slug
                    )),
                ));
            }
            continue;
        };
        for other in ups {
            let message = if other.slug == up.slug {
                format!(
                    "version {version} exists both as a forward-only `.sql` file and as an `.up.sql` file"
                )
            } else {
                format!("version {version} is used twice: also by `{}`", up.display)
            };
            found.diagnostics.push(Diagnostic::file(
                Rule::DuplicateVersion,
                &other.display,
                message,
                Some(
                    "every migration needs its own version number: rename one of the files"
                        .to_string(),
                ),
            ));
        }
        let mut down = None;
        for candidate in downs {
            if down.is_some() {
                found.diagnostics.push(Diagnostic::file(
                    Rule::DuplicateVersion,
                    &candidate.display,
                    format!("version {version} has more than one down migration"),
                    Some("keep one `.down.sql` file per version".to_string()),
                ));
            } else if up.forward_only {
                found.diagnostics.push(Diagnostic::file(
                    Rule::OrphanDown,
                    &candidate.display,
                    format!(
                        "down migration {version} belongs to the forward-only `{}`",
                        up.display
                    ),
                    Some(format!(
                        "rename `{}` to `{}_{}.up.sql`",
                        up.display, up.version_text, up.slug
                    )),
                ));
            } else if same_name_pairs && candidate.slug != up.slug {
                found.diagnostics.push(Diagnostic::file(
                    Rule::OrphanDown,
                    &candidate.display,
                    format!(
                        "down migration {version} is named `{}` but its up migration `{}`",
                        candidate.slug, up.slug
                    ),
                    Some(format!(
                        "rename it to `{}_{}.down.sql`",
                        up.version_text, up.slug
                    )),
                ));
            } else {
                down = Some(candidate);
            }
        }
        found.migrations.push(FoundMigration { version, up, down });
    }
    found
}

/// `unclaimed-file`: a `.sql` file that the layout does not read.
fn unclaimed(display: &str, asked: Layout, resolved: Layout) -> Diagnostic {
    let how = if asked == Layout::Auto {
        "recognised"
    } else {
        "configured"
    };
    Diagnostic::file(
        Rule::UnclaimedFile,
        display,
        format!(
            "no migration of the {how} layout `{resolved}` ({}): nothing would run this file",
            resolved.pattern()
        ),
        Some(format!(
            "rename it as the layout expects, move it out of the migrations directory, list it under `not-migrations` in migrate.toml when nothing should run it, or choose the layout; known layouts: {}",
            Layout::known_list()
        )),
    )
}

/// `dir/name` as diagnostics spell paths (`name` alone for `.`).
pub(crate) fn join_display(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "migrate-build-discover-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        dir
    }

    #[test]
    fn pairs_sorts_and_reports() {
        let dir = scratch(
            "pairs",
            &[
                ("0002_b.up.sql", b"SELECT 1;"),
                ("0002_b.down.sql", b"SELECT 1;"),
                ("10_c.sql", b"SELECT 1;"),
                ("0001_a.sql", b"SELECT 1;"),
                ("1_other.up.sql", b"SELECT 1;"),
                ("0003_orphan.down.sql", b""),
                ("0004_fwd.sql", b""),
                ("0004_fwd.up.sql", b""),
                ("0005_x.up.sql", b""),
                ("0005_y.down.sql", b""),
                ("README.md", b"hi"),
                ("notes.sql", b""),
            ],
        );
        let found = discover(&dir, "migrations", Layout::Auto);
        let versions: Vec<i64> = found.migrations.iter().map(|m| m.version).collect();
        assert_eq!(versions, [1, 2, 4, 5, 10]);
        assert!(found.migrations[1].down.is_some());
        let mut rules: Vec<(Rule, &str)> = found
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.path.as_str()))
            .collect();
        rules.sort();
        assert_eq!(
            rules,
            [
                (Rule::BadFileName, "migrations/notes.sql"),
                (Rule::DuplicateVersion, "migrations/0004_fwd.up.sql"),
                (Rule::DuplicateVersion, "migrations/1_other.up.sql"),
                (Rule::OrphanDown, "migrations/0003_orphan.down.sql"),
                (Rule::OrphanDown, "migrations/0005_y.down.sql"),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_directory_is_a_diagnostic() {
        let found = discover(
            Path::new("/nonexistent/migrate-build"),
            "nope",
            Layout::Auto,
        );
        assert_eq!(found.diagnostics.len(), 1);
        assert_eq!(found.diagnostics[0].rule, Rule::MissingDirectory);
    }
}
