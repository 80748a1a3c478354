// A dbmate directory: each file split at its markers, lines kept.
use pgmigrate_core::TransactionMode;

fn main() {
    let migrations = pgmigrate_core::migrations!("ui/fixtures/dbmate_sections");
    let list = migrations.migrations();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].version, 20240101000000);
    let down = list[0].down.as_ref().expect("down section");
    assert_eq!(down.statements[0].line, 5);
    assert!(!list[0].up.sql.contains("DROP TABLE"));
    assert_eq!(list[1].up.transaction, TransactionMode::NoTransaction);
    assert!(list[1].down.is_none());
}
