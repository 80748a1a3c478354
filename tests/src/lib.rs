//! Workspace test crate: embeds the reference migrations from `../migrations`.
