// A file-level `-- migrate:allow` silences the rule; README.md in the directory is ignored.
fn main() {
    let migrations = pgmigrate_core::migrations!("ui/fixtures/ok_with_allow");
    assert_eq!(migrations.migrations().len(), 2);
    assert_eq!(migrations.migrations()[1].name, "drop_legacy");
}
