fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/adding_required_column");
}
