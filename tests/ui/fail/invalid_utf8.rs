fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/invalid_utf8");
}
