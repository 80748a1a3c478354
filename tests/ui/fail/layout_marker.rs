fn main() {
    let _migrations = pgmigrate_core::migrations!("ui/fixtures/layout_marker");
}
