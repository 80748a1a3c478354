fn main() {
    let _migrations = migrate_core::migrations!(migrations);
}
