//! Finding the PostgreSQL server binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

/// Finds the directory holding `initdb`, `postgres` and `pg_ctl`.
///
/// Order: `MIGRATE_PG_BIN` (exclusive when set), every `PATH` entry,
/// `pg_config --bindir`, then `/usr/lib/postgresql/*/bin` newest version first
/// (where Debian and Ubuntu install the server). Symlinks are resolved so that
/// the server finds its share directory.
pub fn find_bin_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("MIGRATE_PG_BIN") {
        let dir = PathBuf::from(dir);
        return resolve(&dir).ok_or(Error::BadBinDir { dir });
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !dir.is_empty() {
                candidates.push(PathBuf::from(dir));
            }
        }
    }
    candidates.extend(debian_bin_dirs(Path::new("/usr/lib/postgresql")));
    for dir in &candidates {
        if let Some(found) = resolve(dir) {
            return Ok(found);
        }
    }
    let searched = if candidates.is_empty() {
        "nothing (no PATH)".to_string()
    } else {
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(Error::BinariesNotFound { searched })
}

/// The real directory of `dir/postgres` when `dir` has both `initdb` and `postgres`.
fn resolve(dir: &Path) -> Option<PathBuf> {
    let postgres = dir.join("postgres");
    if !dir.join("initdb").is_file() || !postgres.is_file() {
        return None;
    }
    let real = std::fs::canonicalize(&postgres).ok()?;
    let real_dir = real.parent()?.to_path_buf();
    if real_dir.join("initdb").is_file() && real_dir.join("pg_ctl").is_file() {
        Some(real_dir)
    } else {
        Some(dir.to_path_buf())
    }
}

/// `<root>/<version>/bin`, highest numeric version first.
fn debian_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u64>, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let key = name
                .split('.')
                .map(|part| part.parse::<u64>().unwrap_or(0))
                .collect();
            (key, e.path().join("bin"))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_dirs_are_sorted_newest_first() {
        let root = tempfile::tempdir().unwrap();
        for v in ["9.6", "15", "12", "16"] {
            std::fs::create_dir_all(root.path().join(v).join("bin")).unwrap();
        }
        let dirs: Vec<String> = debian_bin_dirs(root.path())
            .iter()
            .map(|p| {
                p.parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string()
            })
            .collect();
        assert_eq!(dirs, ["16", "15", "12", "9.6"]);
    }

    #[test]
    fn a_dir_without_binaries_is_skipped() {
        let root = tempfile::tempdir().unwrap();
        assert!(resolve(root.path()).is_none());
    }
}
