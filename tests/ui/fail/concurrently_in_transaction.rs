fn main() {
    let _migrations = migrate_core::migrations!("ui/fixtures/concurrently_in_transaction");
}
