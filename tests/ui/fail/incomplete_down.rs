fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/incomplete_down/migrations");
}
