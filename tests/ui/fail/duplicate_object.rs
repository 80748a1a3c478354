fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/duplicate_object");
}
