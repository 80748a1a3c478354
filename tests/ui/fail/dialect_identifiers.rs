fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/dialect_identifiers");
}
