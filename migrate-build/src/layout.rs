//! [`Layout`]: which tool's file naming a migrations directory follows.

/// The naming scheme of a migrations directory, as set by `layout` in
/// `migrate.toml`.
///
/// [`Layout::Auto`] (the default) and [`Layout::Native`] read
/// `<version>_<name>[.up|.down].sql`; the names of the other tools are
/// accepted so that a configuration can state them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Layout {
    /// Detect the layout from the files.
    #[default]
    Auto,
    /// `<version>_<name>.sql`, `.up.sql` + `.down.sql`.
    Native,
    /// diesel: `<version>_<name>/up.sql` + `down.sql`.
    Diesel,
    /// sqlx: `<version>_<name>.sql` or `.up.sql` + `.down.sql`.
    Sqlx,
    /// golang-migrate: `<version>_<name>.up.sql` + `.down.sql`.
    GolangMigrate,
    /// goose: one file with `-- +goose Up` / `-- +goose Down`.
    Goose,
    /// sql-migrate: one file with `-- +migrate Up` / `-- +migrate Down`.
    SqlMigrate,
    /// dbmate: one file with `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// Flyway and refinery: `V<version>__<name>.sql`.
    Flyway,
}

const ALL: &[Layout] = &[
    Layout::Auto,
    Layout::Native,
    Layout::Diesel,
    Layout::Sqlx,
    Layout::GolangMigrate,
    Layout::Goose,
    Layout::SqlMigrate,
    Layout::Dbmate,
    Layout::Flyway,
];

impl Layout {
    /// The name written in `migrate.toml` (`"auto"`, `"golang-migrate"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Native => "native",
            Layout::Diesel => "diesel",
            Layout::Sqlx => "sqlx",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Goose => "goose",
            Layout::SqlMigrate => "sql-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "flyway",
        }
    }

    /// The layout called `name`.
    pub fn from_name(name: &str) -> Option<Layout> {
        ALL.iter().copied().find(|layout| layout.name() == name)
    }

    /// Every layout, [`Layout::Auto`] first.
    pub fn all() -> &'static [Layout] {
        ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &layout in Layout::all() {
            assert_eq!(Layout::from_name(layout.name()), Some(layout));
        }
        assert_eq!(Layout::from_name("Diesel"), None);
        assert_eq!(Layout::default(), Layout::Auto);
    }
}
