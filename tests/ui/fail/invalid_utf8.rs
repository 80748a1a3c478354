fn main() {
    let _migrations = migrate_core::migrations!("ui/fixtures/invalid_utf8");
}
