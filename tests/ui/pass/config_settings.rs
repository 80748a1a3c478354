// migrate.toml applies in macro mode: the finding before the baseline is
// history, and the history table and runner settings are embedded.
fn main() {
    let migrations = pgmigrate_core::migrations!("ui/fixtures/config_settings/migrations");
    assert_eq!(migrations.migrations().len(), 2);
    let settings = migrations.settings();
    assert_eq!(settings.history_table.schema.as_deref(), Some("ops"));
    assert_eq!(settings.history_table.name, "app_history");
    assert_eq!(settings.lock_timeout, Some(std::time::Duration::from_secs(5)));
    assert!(settings.allow_out_of_order);
}
