//! Checks and embeds the reference migrations, exactly as a user's build script does.
fn main() {
    pgmigrate_build::compile("../migrations");
}
