// Checks every file in migrations/ when the crate compiles; a bad migration
// fails `cargo build` with its file, line and column.
fn main() {
    pgmigrate_build::compile("migrations");
}
