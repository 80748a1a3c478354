//! `require-concurrent-index`: `CREATE INDEX` without `CONCURRENTLY` on a
//! table that this migration did not create. A plain `CREATE INDEX` holds a
//! SHARE lock on the table for the whole build: every `INSERT`, `UPDATE` and
//! `DELETE` waits, for minutes on a big table.
//!
//! Not flagged: tables created (or emptied) earlier in the same file, and
//! `CREATE INDEX ... ON ONLY parent` (builds nothing: the index on a
//! partitioned parent is created invalid and completed by attaching the
//! partitions' indexes, each of which can be built concurrently).

use sqlparser::ast::Statement;

use crate::lint::facts::{name_of, snippet};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::TransactionKind;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "CREATE INDEX without CONCURRENTLY on an existing table (blocks writes while the index builds)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# require-concurrent-index

Default level: **warn**.

`CREATE INDEX` without `CONCURRENTLY` on a table that this migration did not create.

## Why

A plain `CREATE INDEX` holds a `SHARE` lock on the table while it builds the index:
reads go on, but every `INSERT`, `UPDATE` and `DELETE` waits until the build is
done, which takes minutes on a large table. `CREATE INDEX CONCURRENTLY` builds the
index without blocking writes. It cannot run inside a transaction block, so it needs
a migration of its own with `-- migrate:no-transaction` in its header.

Not flagged: an index on a table created (or emptied) earlier in the same migration,
and `CREATE INDEX ... ON ONLY parent` on a partitioned table (it builds nothing; build
each partition's index concurrently and `ALTER INDEX ... ATTACH PARTITION` them).

## Bad

```sql
CREATE INDEX users_email_idx ON users (email);
```

## Good

```sql
-- migrate:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
```

If a concurrent build fails it leaves an `INVALID` index behind: `DROP INDEX
CONCURRENTLY` it and retry (the `IF NOT EXISTS` would otherwise keep the invalid one).
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(Statement::CreateIndex(index)) = ctx.ast else {
        return;
    };
    if index.concurrently {
        return;
    }
    let Some(table) = name_of(&index.table_name) else {
        return;
    };
    if ctx.facts.fresh_before(ctx.index, &table) {
        return;
    }
    // `CREATE [UNIQUE] INDEX`
    let Some(index_at) = (1..t.len().min(3)).find(|&k| t[k].is("INDEX")) else {
        return;
    };
    let head_end = t[index_at].end;
    let rest = snippet(ctx.source, head_end, ctx.span.end);
    let head = snippet(ctx.source, t[0].start, head_end);
    let rewrite = format!("{head} CONCURRENTLY {rest}");
    let help = match ctx.transaction {
        TransactionKind::NoTransaction => format!("write `{rewrite}`"),
        TransactionKind::Transaction => format!(
            "write `{rewrite}` in a migration of its own with `-- migrate:no-transaction` in its header"
        ),
    };
    out.push(
        Rule::RequireConcurrentIndex,
        t[0].start,
        head_end,
        format!(
            "CREATE INDEX without CONCURRENTLY blocks writes to `{}` while the index builds",
            table.name
        ),
        Some(help),
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;

    const RULE: &str = "require-concurrent-index";

    #[test]
    fn flags_plain_create_index() {
        assert_eq!(
            spans("SELECT 1;\nCREATE INDEX i ON t (a);", RULE),
            ["2:1 CREATE INDEX"]
        );
        assert_eq!(
            spans(
                "create unique index if not exists i on public.t using btree (a);",
                RULE
            ),
            ["1:1 create unique index"]
        );
        assert_eq!(spans("CREATE INDEX ON t (a);", RULE), ["1:1 CREATE INDEX"]);
    }

    #[test]
    fn accepts_concurrent_and_fresh_tables() {
        assert!(spans(
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE \"T\" (a int);\nCREATE INDEX i ON \"T\" (a);",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE app.t (a int);\nCREATE INDEX i ON t (a);",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE T (a int);\nCREATE INDEX i ON app.t (a);",
            RULE
        )
        .is_empty());
        assert!(spans("CREATE INDEX i ON ONLY parent (a);", RULE).is_empty());
        // Quoted "T" is not t.
        assert_eq!(
            spans(
                "CREATE TABLE \"T\" (a int);\nCREATE INDEX i ON t (a);",
                RULE
            )
            .len(),
            1
        );
        // A table of another schema is not the one created.
        assert_eq!(
            spans(
                "CREATE TABLE a.t (a int);\nCREATE INDEX i ON b.t (a);",
                RULE
            )
            .len(),
            1
        );
    }

    #[test]
    fn help_has_the_rewrite() {
        let check = crate::Config::new().check_file(
            "m.sql",
            b"CREATE INDEX i ON t (a);",
            crate::Direction::Up,
        );
        let d = check
            .diagnostics
            .iter()
            .find(|d| d.rule.id() == RULE)
            .unwrap();
        assert_eq!(
            d.help.as_deref(),
            Some("write `CREATE INDEX CONCURRENTLY i ON t (a)` in a migration of its own with `-- migrate:no-transaction` in its header")
        );
    }
}
