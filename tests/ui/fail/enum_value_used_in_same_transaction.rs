fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/enum_value_used_in_same_transaction");
}
