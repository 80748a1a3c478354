fn main() {
    let _migrations = migrate_core::migrations!("ui/fixtures/copy_stdin");
}
