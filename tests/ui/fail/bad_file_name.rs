fn main() {
    let _migrations = migrate_core::migrations!("ui/fixtures/bad_file_name");
}
