// migrate.toml beside the migrations: bad value.
fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/config_bad_value/migrations");
}
