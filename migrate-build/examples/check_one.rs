//! Checks one migration file and prints how many statements and findings it
//! has: `cargo run --release -p pgmigrate-build --example check_one -- FILE`.
//! Used by `benches/check_memory.sh` to measure the peak memory of the check
//! of one file without the rest of the command line.

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: check_one FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("cannot read {}: {error}", path.to_string_lossy());
            std::process::exit(2);
        }
    };
    let result = pgmigrate_build::Config::new().check_file(
        "migration.up.sql",
        &bytes,
        pgmigrate_build::Direction::Up,
    );
    println!(
        "{} statements, {} findings",
        result.statements.len(),
        result.diagnostics.len()
    );
}
