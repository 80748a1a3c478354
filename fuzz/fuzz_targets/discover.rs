//! Discovery through the public entry point: the input is a list of file
//! names (one per line, each optionally followed by `\t` and its contents);
//! they are written to a scratch directory, checked with `Config::check`,
//! rendered, and the Rust code generated.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgmigrate_build::Config;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("migrate-fuzz-discover-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the scratch dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let _ = std::fs::remove_dir_all(&path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    for line in data.split(|&b| b == b'\n').take(16) {
        let (name, contents) = match line.iter().position(|&b| b == b'\t') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b"SELECT 1;"[..]),
        };
        // Only names a file system accepts as one component.
        if name.is_empty()
            || name.len() > 255
            || name.contains(&0)
            || name.contains(&b'/')
            || name == b"."
            || name == b".."
        {
            continue;
        }
        use std::os::unix::ffi::OsStrExt;
        let path = dir.join(std::ffi::OsStr::from_bytes(name));
        if contents.first() == Some(&b'/') {
            // A directory that looks like a migration.
            let _ = std::fs::create_dir(&path);
        } else {
            let _ = std::fs::write(&path, contents);
        }
    }
    let check = Config::new().check(dir);
    let _ = check.render(false);
    let _ = check.render(true);
    let _ = check.codegen();
    let mut versions: Vec<i64> = check.migrations.iter().map(|m| m.version).collect();
    let sorted = {
        let mut v = versions.clone();
        v.sort();
        v
    };
    assert_eq!(versions, sorted, "migrations not sorted by version");
    versions.dedup();
    assert_eq!(
        versions.len(),
        check.migrations.len(),
        "duplicate versions accepted"
    );
});
