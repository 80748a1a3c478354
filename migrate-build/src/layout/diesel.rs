//! diesel: one directory per migration, `<version>_<name>/up.sql` and
//! `down.sql`, and an optional `metadata.toml` whose `run_in_transaction =
//! false` makes diesel send each script as one query outside a transaction
//! (so, like golang-migrate: one statement on its own, several in one
//! implicit transaction).
//!
//! diesel's version is the directory name up to the first `_` with the `-`
//! removed, compared as a string (`2024-01-02-030405` and the newer
//! `2025-11-19-091444-0000` both occur in one directory, also with the same
//! timestamp). As a number it is padded with zeros to 18 digits and followed
//! by one digit that grows with its length, so that the numbers sort as
//! diesel sorts the strings and `i64` holds them: `2024-01-02-030405` is
//! `2024010203040500005`, `2025-11-19-091444-0000` is `2025111909144400009`.

use std::path::Path;

use super::{Claimed, Claims, Entry, TxRule};
use crate::diagnostic::Diagnostic;
use crate::rule::Rule;
use crate::Direction;

/// Digits in a diesel version number.
const WIDTH: usize = 18;

/// Whether `dir` holds a diesel `up.sql`.
pub(super) fn is_migration_dir(dir: &Path) -> bool {
    dir.join("up.sql").is_file()
}

/// The number of a diesel version (`2024-01-02-030405`, `20170308140537`).
pub(super) fn version(text: &str) -> Result<i64, String> {
    let digits: String = text.chars().filter(|&c| c != '-').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not a diesel version: digits and `-` expected"
        ));
    }
    if digits.len() > WIDTH {
        return Err(format!(
            "the version {text} has more than {WIDTH} digits: it cannot be ordered as a number"
        ));
    }
    // Padding alone would make `X` and `X0000` equal, where diesel puts the
    // shorter first: a last digit that grows with the length breaks the tie.
    let tie = digits.len().saturating_sub(WIDTH - 9);
    let padded = format!("{digits:0<WIDTH$}{tie}");
    padded
        .parse()
        .map_err(|_| format!("the version {text} is too large to be ordered as a 64-bit number"))
}

pub(super) fn claim(entry: &Entry, claims: &mut Claims) {
    if !entry.is_dir {
        // diesel reads directories only; a `.sql` file beside them is not run.
        claims.unclaimed.push(entry.display.clone());
        return;
    }
    let up = entry.path.join("up.sql");
    let down = entry.path.join("down.sql");
    let mut stray = Vec::new();
    if let Ok(files) = std::fs::read_dir(&entry.path) {
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.to_ascii_lowercase().ends_with(".sql") && name != "up.sql" && name != "down.sql"
            {
                stray.push(format!("{}/{name}", entry.display));
            }
        }
    }
    stray.sort();
    claims.unclaimed.extend(stray);
    if !up.is_file() && !down.is_file() {
        return;
    }
    let (version_text, slug) = match entry.name.split_once('_') {
        Some((v, s)) if !s.is_empty() => (v, s),
        _ => {
            claims.bad_name(
                entry,
                format!("`{}` is not a diesel migration directory name", entry.name),
                "name it `<version>_<name>`, e.g. `2024-01-02-030405_create_users`",
            );
            return;
        }
    };
    let version = match version(version_text) {
        Ok(version) => version,
        Err(message) => {
            claims.bad_name(
                entry,
                message,
                "name it `<version>_<name>`, e.g. `2024-01-02-030405_create_users`",
            );
            return;
        }
    };
    let tx = match run_in_transaction(&entry.path.join("metadata.toml")) {
        // diesel sends the file as one query outside a transaction: one
        // statement runs on its own, several in one implicit transaction.
        Ok(false) => TxRule::OneQuery,
        Ok(true) => TxRule::Directive,
        Err(message) => {
            claims.diagnostics.push(Diagnostic::file(
                Rule::LayoutMarker,
                &format!("{}/metadata.toml", entry.display),
                message,
                Some("write `run_in_transaction = false` (or `true`), as diesel reads it".into()),
            ));
            TxRule::Directive
        }
    };
    for (path, name, direction) in [
        (up, "up.sql", Direction::Up),
        (down, "down.sql", Direction::Down),
    ] {
        if path.is_file() {
            claims.scripts.push(Claimed {
                version,
                slug: slug.to_string(),
                direction,
                forward_only: false,
                display: format!("{}/{name}", entry.display),
                path,
                version_text: version_text.to_string(),
                text: None,
                verbatim: true,
                tx,
            });
        }
    }
}

/// `run_in_transaction` of a `metadata.toml`, as diesel reads it: true
/// without the file, false in a file that does not set it (serde's default
/// for the field), other keys and tables ignored.
fn run_in_transaction(path: &Path) -> Result<bool, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(format!("cannot read the file: {e}")),
    };
    let mut value = false;
    let mut in_table = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_table = true;
            continue;
        }
        let Some((key, v)) = line.split_once('=') else {
            continue;
        };
        if in_table || key.trim() != "run_in_transaction" {
            continue;
        }
        value = match v.trim() {
            "true" => true,
            "false" => false,
            other => {
                return Err(format!(
                    "`run_in_transaction = {other}`: expected `true` or `false`"
                ))
            }
        };
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_diesel_sorts_the_names() {
        let names = [
            "00000000000000",
            "20170308140537",
            "2017-08-31-230457",
            "2025-11-19-091444-0000",
            "2026-05-27-120000",
            "2026-05-27-120000-0000",
            "2026-05-27-130000-0000",
        ];
        let numbers: Vec<i64> = names.iter().map(|n| version(n).unwrap()).collect();
        let mut sorted = numbers.clone();
        sorted.sort();
        assert_eq!(numbers, sorted);
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        assert_eq!(numbers[3], 2025111909144400009);
        assert_eq!(numbers[4], 2026052712000000005);
        assert_eq!(version("00000000000000"), Ok(5));
        assert!(version("2024-01-02-03040500001").is_err());
        assert!(version("v1").is_err());
    }

    #[test]
    fn metadata() {
        let dir = std::env::temp_dir().join(format!("migrate-diesel-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("metadata.toml");
        assert_eq!(run_in_transaction(&path), Ok(true));
        std::fs::write(&path, "# index\nrun_in_transaction = false\n").unwrap();
        assert_eq!(run_in_transaction(&path), Ok(false));
        std::fs::write(&path, "run_in_transaction = maybe\n").unwrap();
        assert!(run_in_transaction(&path).unwrap_err().contains("maybe"));
        // Other keys and tables are diesel's additional fields; a file
        // without the key means false (serde's default for the field).
        std::fs::write(&path, "note = \"x\"\n[extra]\nrun_in_transaction = true\n").unwrap();
        assert_eq!(run_in_transaction(&path), Ok(false));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
