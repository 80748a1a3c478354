fn main() {
    let _migrations = pgmigrate_core::migrations!(migrations);
}
