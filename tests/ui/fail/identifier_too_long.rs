fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/identifier_too_long");
}
