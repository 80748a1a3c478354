fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/foreign_key_mismatch");
}
