//! Workspace test crate: embeds the reference migrations from `../migrations`
//! through `build.rs`, the way an application does.

/// The reference migrations, checked at build time.
pub fn reference_migrations() -> pgmigrate_core::Migrations {
    pgmigrate_core::migrations!()
}
