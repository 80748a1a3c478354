fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/concurrently_in_transaction");
}
