//! Checks and embeds the reference migrations, exactly as a user's build script does.
fn main() {
    migrate_build::compile("../migrations");
}
