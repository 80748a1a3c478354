fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/does_not_exist");
}
