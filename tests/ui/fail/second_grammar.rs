fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/second_grammar");
}
