//! [`Rule`] ids and [`Level`]s: the stable names that users write in `build.rs`
//! and in `-- migrate:allow` directives, and that every layer reports with.
//!
//! This module is the vocabulary only: what each lint rule checks, its
//! default level and its documentation are in its file under
//! `src/lint/rules/`, which the registry in `src/lint/rules/mod.rs` maps to
//! its [`Rule`] (so that this module depends on nothing).

/// How seriously a finding is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The finding is not reported.
    Allow,
    /// The finding is printed as a warning; the build goes on.
    Warn,
    /// The finding is an error; `cargo build` fails.
    Deny,
}

impl Level {
    /// `"allow"`, `"warn"` or `"deny"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// Declares the [`Rule`] enum from two lists: lint rules with their ids
/// (each one file under `src/lint/rules/`, registered in its `mod.rs`) and
/// fixed problems found outside the linter (always `deny`).
macro_rules! declare_rules {
    (
        lints { $( $(#[$ldoc:meta])* $lint:ident = $lid:literal, )* }
        fixed { $( $(#[$fdoc:meta])* $fixed:ident = $fid:literal : $fsummary:literal, )* }
    ) => {
        /// A check with a stable kebab-case id (see [`Rule::id`]).
        ///
        /// Lint rules have a configurable [`Level`]; the rules about file names,
        /// encodings and directives are always [`Level::Deny`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$ldoc])* $lint, )*
            $( $(#[$fdoc])* $fixed, )*
        }

        /// Every rule, lint rules first, in declaration order.
        const ALL: &[Rule] = &[ $( Rule::$lint, )* $( Rule::$fixed, )* ];

        impl Rule {
            /// The stable kebab-case id, as written in directives and shown in
            /// diagnostics (`error[unguarded-drop]`).
            pub fn id(self) -> &'static str {
                match self {
                    $( Rule::$lint => $lid, )*
                    $( Rule::$fixed => $fid, )*
                }
            }

            /// Whether the level can be changed (lint rules) or is always deny.
            pub fn is_configurable(self) -> bool {
                match self {
                    $( Rule::$lint => true, )*
                    $( Rule::$fixed => false, )*
                }
            }

            /// The summary and documentation of a fixed (non-lint) rule;
            /// `None` for a lint rule, whose file has them.
            pub(crate) fn fixed_text(self) -> Option<(&'static str, &'static str)> {
                match self {
                    $( Rule::$lint => None, )*
                    $( Rule::$fixed => Some(($fsummary, concat!(
                        "# ", $fid, "\n\nDefault level: **deny** (not configurable).\n\n",
                        $fsummary, ".\n"
                    ))), )*
                }
            }
        }
    };
}

declare_rules! {
    lints {
        /// Not valid SQL for PostgreSQL.
        SyntaxError = "syntax-error",
        /// SQLite, MySQL or SQL Server syntax that PostgreSQL rejects or reads differently.
        NonPostgresSyntax = "non-postgres-syntax",
        /// `DROP ...` or `ALTER TABLE ... DROP COLUMN/CONSTRAINT` without `IF EXISTS`.
        UnguardedDrop = "unguarded-drop",
        /// `BEGIN`/`COMMIT`/`ROLLBACK` in a migration the runner wraps in a transaction.
        TransactionControl = "transaction-control",
        /// `CONCURRENTLY` in a transactional migration.
        ConcurrentlyInTransaction = "concurrently-in-transaction",
        /// `COPY ... FROM STDIN` / `TO STDOUT`, which only psql can run.
        CopyStdin = "copy-stdin",
        /// A migration file without any statement.
        EmptyMigration = "empty-migration",
        /// `CREATE INDEX` without `CONCURRENTLY` on an existing table.
        RequireConcurrentIndex = "require-concurrent-index",
        /// `DROP INDEX` without `CONCURRENTLY`.
        RequireConcurrentIndexDrop = "require-concurrent-index-drop",
        /// `ADD CONSTRAINT ... CHECK/FOREIGN KEY` without `NOT VALID`, or validated in the same transaction.
        ConstraintMissingNotValid = "constraint-missing-not-valid",
        /// `ADD UNIQUE`/`ADD PRIMARY KEY` without `USING INDEX` on an existing table.
        UniqueConstraintWithoutIndex = "unique-constraint-without-index",
        /// `ALTER COLUMN ... SET NOT NULL` on an existing table without a validated CHECK.
        SetNotNull = "set-not-null",
        /// `ADD COLUMN ... NOT NULL` without a default on an existing table.
        AddingRequiredColumn = "adding-required-column",
        /// `ADD COLUMN` with a volatile default (table rewrite).
        VolatileDefault = "volatile-default",
        /// `ALTER COLUMN ... TYPE` that rewrites the table.
        ChangingColumnType = "changing-column-type",
        /// `RENAME` of a table or column.
        Renaming = "renaming",
        /// `DROP TABLE`, `DROP COLUMN`, `TRUNCATE`, `DELETE` without `WHERE` in an up migration.
        Destructive = "destructive",
        /// `TRUNCATE ... CASCADE`.
        TruncateCascade = "truncate-cascade",
        /// An ACCESS EXCLUSIVE lock without `SET lock_timeout` first (opt-in).
        RequireLockTimeout = "require-lock-timeout",
        /// A plain `SET` in a transactional migration, `RESET ALL` or `pg_advisory_unlock_all()`.
        SessionSet = "session-set",
        /// `serial` columns: prefer identity columns.
        PreferIdentity = "prefer-identity",
        /// `timestamp` without time zone: prefer `timestamptz`.
        PreferTimestamptz = "prefer-timestamptz",
        /// `varchar(n)`: prefer `text` (allow by default).
        PreferText = "prefer-text",
        /// 32/16-bit id columns: prefer `bigint` (allow by default).
        PreferBigint = "prefer-bigint",
        /// `char(n)` columns.
        BanChar = "ban-char",
        /// `json` columns: prefer `jsonb`.
        PreferJsonb = "prefer-jsonb",
        /// An enum value used in the transaction that added it.
        EnumValueUsedInSameTransaction = "enum-value-used-in-same-transaction",
        /// An identifier longer than 63 bytes.
        IdentifierTooLong = "identifier-too-long",
        /// The same column twice in one `CREATE TABLE`.
        DuplicateColumn = "duplicate-column",
        /// A relation, column, type, index, sequence or constraint that no earlier migration created.
        UndefinedObject = "undefined-object",
        /// Creating what already exists without `IF NOT EXISTS`.
        DuplicateObject = "duplicate-object",
        /// A foreign key whose target is not a key or has another type.
        ForeignKeyMismatch = "foreign-key-mismatch",
        /// `DROP ... IF EXISTS` of something that never existed.
        DropOfNothing = "drop-of-nothing",
        /// A down file that leaves the modelled schema different from before its up.
        IncompleteDown = "incomplete-down",
    }
    fixed {
        /// The migrations directory is missing or cannot be listed.
        MissingDirectory = "missing-directory": "the migrations directory does not exist or cannot be read",
        /// A `.sql` file whose name is not `<version>_<slug>[.up|.down].sql`.
        BadFileName = "bad-file-name": "a .sql file name that is not <version>_<slug>.sql, .up.sql or .down.sql",
        /// Two migrations with the same version number.
        DuplicateVersion = "duplicate-version": "two migration files with the same version number",
        /// A `.down.sql` file without its `.up.sql`.
        OrphanDown = "orphan-down": "a .down.sql file without the matching .up.sql",
        /// A file that is not valid UTF-8, or holds a NUL byte.
        InvalidEncoding = "invalid-encoding": "a migration file that is not valid UTF-8 or holds a NUL byte",
        /// A file that cannot be read: missing, not a regular file, too large.
        UnreadableFile = "unreadable-file": "a migration path that cannot be read as a file (not a regular file, too large, a statement too large to check, no permission)",
        /// A `-- migrate:` comment that is not a known directive.
        UnknownDirective = "unknown-directive": "a `-- migrate:` comment that is not a known directive",
        /// A known directive in a place where it applies to nothing.
        MisplacedDirective = "misplaced-directive": "a directive where it has no effect (no-transaction outside the header, allow not above a statement)",
        /// A rule name in a directive that no rule has.
        UnknownRule = "unknown-rule": "a rule name in `-- migrate:allow` that no rule has",
        /// An environment in `-- migrate:only` that the configured list lacks.
        UnknownEnvironment = "unknown-environment": "an environment in `-- migrate:only` that is not in the configured list of environments",
        /// A `.sql` file in the migrations directory that the layout does not read.
        UnclaimedFile = "unclaimed-file": "a .sql file in the migrations directory that no migration of the layout (native, diesel, sqlx, golang-migrate, goose, sql-migrate, dbmate, flyway) claims: nothing would run it",
        /// A section marker or setting of another tool's layout that is missing, unknown or misplaced.
        LayoutMarker = "layout-marker": "a missing, unknown or misplaced marker or setting of another tool's layout (dbmate, goose, sql-migrate sections; diesel metadata.toml)",
        /// A `migrate.toml` that is not valid TOML, has an unknown key or a bad value.
        InvalidConfig = "invalid-config": "a migrate.toml that is not valid TOML, has an unknown key or a value of the wrong kind",
    }
}

impl Rule {
    /// The rule whose [`Rule::id`] is `id`.
    pub fn from_id(id: &str) -> Option<Rule> {
        ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Every rule: lint rules first, then the fixed ones.
    pub fn all() -> &'static [Rule] {
        ALL
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_kebab_case() {
        for &rule in Rule::all() {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
            assert!(rule
                .id()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'));
        }
        assert_eq!(Rule::from_id("nope"), None);
        assert_eq!(Rule::UnguardedDrop.id(), "unguarded-drop");
        assert!(!Rule::BadFileName.is_configurable());
    }
}
