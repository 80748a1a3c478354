//! Workspace test crate: embeds the reference migrations from `../migrations`
//! through `build.rs`, the way an application does.

/// The reference migrations, checked at build time.
pub fn reference_migrations() -> migrate_core::Migrations {
    migrate_core::migrations!()
}
