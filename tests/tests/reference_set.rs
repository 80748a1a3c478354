//! The user's path end to end: the reference migrations, checked and embedded
//! by this crate's `build.rs`, applied by the executor on a real PostgreSQL.

use migrate_tests::reference_migrations;
use pgmigrate_core::MigrationState;

fn connect(hint: &str) -> postgres::Client {
    let server = pgmigrate_tempdb::shared().expect("a PostgreSQL server for the tests");
    let url = server.create_database(hint).expect("a fresh database");
    postgres::Client::connect(&url, postgres::NoTls).expect("connect")
}

fn table_exists(client: &mut postgres::Client, name: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .expect("query")
        .get(0)
}

#[test]
fn the_embedded_reference_set_applies_reverts_and_applies_again() {
    let migrations = reference_migrations();
    assert_eq!(migrations.migrations().len(), 8);
    let concurrent = &migrations.migrations()[4];
    assert_eq!(
        concurrent.up.transaction,
        pgmigrate_core::TransactionMode::NoTransaction
    );
    assert_eq!(
        concurrent.checksum,
        pgmigrate_build::checksum(&concurrent.up.sql)
    );

    let mut client = connect("reference_set");
    let applied = migrations.up(&mut client).expect("up");
    assert_eq!(applied.applied.len(), 8);
    assert!(table_exists(&mut client, "invoices"));
    assert!(table_exists(&mut client, "open_invoices"));

    let status = migrations.status(&mut client).expect("status");
    assert!(status
        .entries
        .iter()
        .all(|entry| entry.state == MigrationState::Applied));
    assert!(migrations.up(&mut client).expect("second up").is_empty());

    let reverted = migrations.down_all(&mut client).expect("down_all");
    let order: Vec<i64> = reverted.reverted.iter().map(|m| m.version).collect();
    assert_eq!(order, (1..=8).rev().collect::<Vec<i64>>());
    assert!(!table_exists(&mut client, "organisations"));

    assert_eq!(
        migrations.up(&mut client).expect("up again").applied.len(),
        8
    );
}
