// The reference migrations embed in macro mode exactly as through build.rs.
fn main() {
    let migrations = pgmigrate_core::migrations!("../migrations");
    let versions: Vec<i64> = migrations.migrations().iter().map(|m| m.version).collect();
    assert_eq!(versions, (1..=8).collect::<Vec<i64>>());
    assert!(migrations.migrations().iter().all(|m| m.down.is_some()));
}
