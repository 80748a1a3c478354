fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/only_directive");
}
