// migrate.toml beside the migrations: unknown key.
fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/config_unknown_key/migrations");
}
