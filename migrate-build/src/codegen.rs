//! Code generation: the Rust expression that `migrations!()` expands to.

use std::fmt::Write;

use pgmigrate_model::{HistoryTable, RunnerSettings};

use crate::migration::{CheckedMigration, CheckedScript, TransactionKind};

/// One block expression evaluating to `::pgmigrate_core::Migrations`.
///
/// String literals are written with `{:?}`, which yields valid Rust literals
/// for any text; the SQL is `include_str!` of the absolute path (so that the
/// compiler tracks the file) when the path is valid UTF-8, else a literal.
pub(crate) fn generate(migrations: &[CheckedMigration], runner: &RunnerSettings) -> String {
    let mut out = String::with_capacity(256 + migrations.len() * 512);
    out.push_str("{\n    static MIGRATIONS: &[::pgmigrate_core::Migration] = &[\n");
    for m in migrations {
        let _ = writeln!(
            out,
            "        ::pgmigrate_core::Migration {{\n            version: {}i64,\n            label: ::std::borrow::Cow::Borrowed({:?}),\n            name: ::std::borrow::Cow::Borrowed({:?}),\n            checksum: ::std::borrow::Cow::Borrowed({:?}),",
            m.version, m.label, m.name, m.checksum
        );
        out.push_str("            up: ");
        script(&mut out, &m.up);
        out.push_str(",\n            down: ");
        match &m.down {
            Some(down) => {
                out.push_str("::std::option::Option::Some(");
                script(&mut out, down);
                out.push(')');
            }
            None => out.push_str("::std::option::Option::None"),
        }
        out.push_str(",\n            only: ::std::borrow::Cow::Borrowed(&[");
        for env in m.only.iter() {
            let _ = write!(out, "::std::borrow::Cow::Borrowed({env:?}), ");
        }
        out.push_str("]),\n        },\n");
    }
    out.push_str("    ];\n    ::pgmigrate_core::Migrations::new(MIGRATIONS)");
    match &runner.history {
        Some(HistoryTable {
            schema: Some(schema),
            name,
        }) => {
            let _ = write!(
                out,
                "\n        .history_table_in_schema({schema:?}, {name:?})"
            );
        }
        Some(HistoryTable { schema: None, name }) => {
            let _ = write!(out, "\n        .history_table({name:?})");
        }
        None => {}
    }
    for (method, value) in [
        ("lock_wait", runner.lock_wait),
        ("lock_timeout", runner.lock_timeout),
        ("statement_timeout", runner.statement_timeout),
    ] {
        if let Some(duration) = value {
            let _ = write!(
                out,
                "\n        .{method}(::core::time::Duration::from_nanos({}))",
                duration.as_nanos()
            );
        }
    }
    if runner.allow_out_of_order {
        out.push_str("\n        .allow_out_of_order(true)");
    }
    out.push_str("\n}\n");
    out
}

fn script(out: &mut String, s: &CheckedScript) {
    let transaction = match s.script.transaction {
        TransactionKind::Transaction => "Transaction",
        TransactionKind::NoTransaction => "NoTransaction",
    };
    let sql = match s.path.to_str() {
        Some(path) if s.path.is_absolute() && s.verbatim => format!("include_str!({path:?})"),
        // A section of a one-file migration: its own text, and the file
        // included for nothing but tracking, so that an edit rebuilds.
        Some(path) if s.path.is_absolute() => {
            format!(
                "{{ const _: &str = include_str!({path:?}); {:?} }}",
                s.script.sql
            )
        }
        _ => format!("{:?}", s.script.sql),
    };
    let _ = write!(
        out,
        "::pgmigrate_core::Script {{\n                path: ::std::borrow::Cow::Borrowed({:?}),\n                sql: ::std::borrow::Cow::Borrowed({sql}),\n                transaction: ::pgmigrate_core::TransactionMode::{transaction},\n                statements: ::std::borrow::Cow::Borrowed(&[",
        s.script.path
    );
    for st in s.script.statements.iter() {
        let _ = write!(
            out,
            "\n                    ::pgmigrate_core::Statement {{ start: {}, end: {}, line: {}, column: {} }},",
            st.start, st.end, st.line, st.column
        );
    }
    out.push_str("\n                ]),\n            }");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::StatementSpan;
    use pgmigrate_model::Script;
    use std::path::PathBuf;

    fn script(path: &str, sql: &str) -> CheckedScript {
        CheckedScript {
            script: Script {
                path: "migrations/0001_a \"b\".up.sql".into(),
                sql: sql.to_string().into(),
                transaction: TransactionKind::NoTransaction,
                statements: vec![StatementSpan {
                    start: 0,
                    end: 8,
                    line: 1,
                    column: 1,
                }]
                .into(),
            },
            path: PathBuf::from(path),
            verbatim: true,
            postgres_only: Vec::new(),
        }
    }

    #[test]
    fn escapes_literals_and_includes_files() {
        let m = CheckedMigration {
            version: 20260101120000,
            label: "20260101120000".into(),
            name: "a\"b\\c".into(),
            checksum: "ab".into(),
            up: script("/abs/dir/0001_a.up.sql", "SELECT 1;"),
            down: Some(script("relative.sql", "SELECT '\\\"\n';")),
            only: vec!["dev".into(), "staging".into()].into(),
        };
        let code = generate(
            &[m],
            &RunnerSettings {
                history: Some(HistoryTable {
                    schema: Some("ops".into()),
                    name: "hist\"ory".into(),
                }),
                lock_timeout: Some(std::time::Duration::from_millis(1500)),
                allow_out_of_order: true,
                ..RunnerSettings::default()
            },
        );
        assert!(code.contains("version: 20260101120000i64"));
        assert!(code.contains(r#"label: ::std::borrow::Cow::Borrowed("20260101120000")"#));
        assert!(
            code.contains(r#"name: ::std::borrow::Cow::Borrowed("a\"b\\c")"#),
            "{code}"
        );
        assert!(code.contains(r#"include_str!("/abs/dir/0001_a.up.sql")"#));
        assert!(
            code.contains(r#"::std::borrow::Cow::Borrowed("SELECT '\\\"\n';")"#),
            "{code}"
        );
        assert!(code
            .contains(r#"path: ::std::borrow::Cow::Borrowed("migrations/0001_a \"b\".up.sql")"#));
        assert!(code.contains("TransactionMode::NoTransaction"));
        assert!(
            code.contains("::pgmigrate_core::Statement { start: 0, end: 8, line: 1, column: 1 }")
        );
        assert!(code.contains(r#".history_table_in_schema("ops", "hist\"ory")"#));
        assert!(code.contains(".lock_timeout(::core::time::Duration::from_nanos(1500000000))"));
        assert!(code.contains(".allow_out_of_order(true)"));
        assert!(!code.contains(".lock_wait("));
        assert!(
            code.contains(r#"only: ::std::borrow::Cow::Borrowed(&[::std::borrow::Cow::Borrowed("dev"), ::std::borrow::Cow::Borrowed("staging"), ]),"#),
            "{code}"
        );
        assert!(code.trim_start().starts_with('{') && code.trim_end().ends_with('}'));
    }

    #[test]
    fn a_section_embeds_its_own_text_and_tracks_the_file() {
        let mut up = script("/abs/dir/1_a.sql", "\nSELECT 1;\n");
        up.verbatim = false;
        let m = CheckedMigration {
            version: 1,
            label: "1".into(),
            name: "a".into(),
            checksum: "ab".into(),
            up,
            down: None,
            only: Vec::new().into(),
        };
        let code = generate(&[m], &RunnerSettings::default());
        assert!(
            code.contains(r#"sql: ::std::borrow::Cow::Borrowed({ const _: &str = include_str!("/abs/dir/1_a.sql"); "\nSELECT 1;\n" })"#),
            "{code}"
        );
    }

    #[test]
    fn empty_list() {
        let code = generate(&[], &RunnerSettings::default());
        assert!(code.contains("static MIGRATIONS: &[::pgmigrate_core::Migration] = &[\n    ];"));
        assert!(code.contains("::pgmigrate_core::Migrations::new(MIGRATIONS)\n}"));
    }
}
