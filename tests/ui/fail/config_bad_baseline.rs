// migrate.toml beside the migrations: bad baseline.
fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/config_bad_baseline/migrations");
}
