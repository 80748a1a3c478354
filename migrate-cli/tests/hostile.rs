//! Hostile input and a misbehaving environment: special files, NUL bytes,
//! passwords that are common words, control characters in stored names, and
//! failures that are not the script's fault.

mod common;

use common::Sandbox;

#[cfg(unix)]
#[test]
fn special_files_are_reported_by_name_not_read() {
    let s = Sandbox::offline();
    s.write("0001_ok.up.sql", "SELECT 1;\n");
    std::os::unix::fs::symlink("/dev/zero", s.dir().join("0002_zero.up.sql")).unwrap();
    std::fs::create_dir(s.dir().join("0003_dir.up.sql")).unwrap();
    let fifo = s.dir().join("0004_fifo.sql");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A symlink to a regular file is read as that file.
    std::fs::write(s.root().join("real.sql"), "SELECT 2;\n").unwrap();
    std::os::unix::fs::symlink(s.root().join("real.sql"), s.dir().join("0005_link.sql")).unwrap();
    let run = s.run(&["lint"]);
    run.code(1)
        .contains("migrations/0002_zero.up.sql")
        .contains("a character device, not a regular file")
        .contains("migrations/0003_dir.up.sql")
        .contains("the path is a directory")
        .contains("migrations/0004_fifo.sql")
        .contains("a named pipe (FIFO)")
        .lacks("0005_link.sql");
}

#[test]
fn nul_byte_is_a_build_error_with_its_position() {
    let s = Sandbox::offline();
    s.write(
        "0001_seed.up.sql",
        "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('x\0y');\n",
    );
    s.run(&["lint"])
        .code(1)
        .contains("migrations/0001_seed.up.sql:2:25")
        .contains("NUL byte");
}
