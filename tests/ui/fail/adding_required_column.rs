fn main() {
    let _migrations = migrate_core::migrations!("ui/fixtures/adding_required_column");
}
