// This test crate has no build script, so `migrations!()` must say what to add.
fn main() {
    let _migrations = pgmigrate_core::migrations!();
}
