fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/unguarded_drop");
}
