fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/bad_file_name");
}
