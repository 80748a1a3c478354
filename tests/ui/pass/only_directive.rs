// `-- migrate:only` embeds the environments in the migration; others have none.
fn main() {
    let migrations = pgmigrate_core::migrations!("ui/fixtures/only_seed");
    let list = migrations.migrations();
    assert!(list[0].only.is_empty());
    assert_eq!(list[1].only.as_ref(), ["dev", "staging"]);
    assert_eq!(list[1].belongs_to(Some("staging")), Ok(true));
    assert_eq!(list[1].belongs_to(Some("production")), Ok(false));
}
