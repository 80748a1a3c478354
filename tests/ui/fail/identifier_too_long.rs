fn main() {
    let _migrations = migrate_core::migrations!("ui/fixtures/identifier_too_long");
}
