//! `destructive`: `DROP TABLE`, `ALTER TABLE ... DROP COLUMN`, `TRUNCATE` and
//! `DELETE` without `WHERE` in an up migration lose data (and break the
//! application version still running). Down migrations are exempt: undoing
//! is their job.

use sqlparser::tokenizer::Token;

use crate::lint::facts::{delete_without_where, name_at, skip_words, truncated_tables, Name};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};
use crate::Direction;

pub(crate) const DEF: RuleDef = RuleDef {
    summary:
        "DROP TABLE, DROP COLUMN, TRUNCATE or DELETE without WHERE in an up migration (data loss)",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# destructive

Default level: **warn**.

`DROP TABLE`, `ALTER TABLE ... DROP [COLUMN]`, `TRUNCATE` or `DELETE FROM t` without
`WHERE` in an up migration, on a table that this migration did not create.

## Why

The data is gone once the migration commits, and no down migration brings it back.
The application version still running during the deploy may also read the dropped
table or column and fail. Down migrations are not checked: undoing the up is their
job.

Make it deliberate: first deploy code that no longer uses the table or column, keep
a backup (or rename it away and drop it in a later release), then drop it with an
allow directive that says why.

## Bad

```sql
ALTER TABLE users DROP COLUMN legacy_flags;
```

## Good

```sql
-- migrate:allow destructive -- unused since v2.3 (#1234), backed up in legacy_flags_backup
ALTER TABLE users DROP COLUMN IF EXISTS legacy_flags;
```
"#;

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    if ctx.direction == Direction::Down {
        return;
    }
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    let fresh = |n: &Name| ctx.facts.created_before(ctx.index, n);
    if first.is("DROP") && t.get(1).is_some_and(|w| w.is("TABLE")) {
        let mut k = skip_words(t, 2, &["IF", "EXISTS"]).unwrap_or(2);
        let mut names = Vec::new();
        let mut end = t[1].end;
        while let Some((name, next)) = name_at(t, k) {
            end = t[next - 1].end;
            names.push(name);
            if !t.get(next).is_some_and(|w| w.is_token(&Token::Comma)) {
                break;
            }
            k = next + 1;
        }
        let lost: Vec<String> = names
            .iter()
            .filter(|n| !fresh(n))
            .map(|n| format!("`{}`", n.name))
            .collect();
        if lost.is_empty() && !names.is_empty() {
            return;
        }
        out.push(
            Rule::Destructive,
            first.start,
            end,
            format!("DROP TABLE deletes {} and all its rows", lost.join(", ")),
            Some("drop it once no running code uses it, after a backup; say why with `-- migrate:allow destructive -- <reason>`".to_string()),
        );
    } else if first.is("TRUNCATE") {
        let tables = truncated_tables(t);
        if !tables.is_empty() && tables.iter().all(|(n, _)| fresh(n)) {
            return;
        }
        let end = tables.last().map_or(first.end, |(_, i)| {
            name_at(t, *i).map_or(first.end, |(_, next)| t[next - 1].end)
        });
        out.push(
            Rule::Destructive,
            first.start,
            end,
            "TRUNCATE deletes every row",
            Some(
                "if this is intended, say why with `-- migrate:allow destructive -- <reason>`"
                    .to_string(),
            ),
        );
    } else if first.is("DELETE") {
        let Some((table, next)) = delete_without_where(t) else {
            return;
        };
        if fresh(&table) {
            return;
        }
        out.push(
            Rule::Destructive,
            first.start,
            t[next - 1].end,
            format!("DELETE without WHERE deletes every row of `{}`", table.name),
            Some("add a WHERE clause; if every row must go, say why with `-- migrate:allow destructive -- <reason>`".to_string()),
        );
    } else if let Some((table, _)) = ctx.alter_table() {
        if ctx.alter_table_created() {
            return;
        }
        for &(a, b) in ctx.alter_actions() {
            if !t[a].is("DROP")
                || t.get(a + 1).is_some_and(|w| {
                    w.is_any(&["CONSTRAINT", "DEFAULT", "NOT", "IDENTITY", "EXPRESSION"])
                })
            {
                continue;
            }
            // MySQL's DROP INDEX/KEY/PRIMARY KEY: non-postgres-syntax.
            if t.get(a + 1).is_some_and(|w| {
                w.is_any(&["INDEX", "KEY", "PRIMARY", "FOREIGN", "CHECK", "PARTITION"])
            }) {
                continue;
            }
            let mut k = a + 1;
            if t.get(k).is_some_and(|w| w.is("COLUMN")) {
                k += 1;
            }
            let k = skip_words(t, k, &["IF", "EXISTS"]).unwrap_or(k);
            let column = t
                .get(k)
                .and_then(crate::lint::facts::ident)
                .unwrap_or_default();
            out.push(
                Rule::Destructive,
                t[a].start,
                t[b - 1].end,
                format!("DROP COLUMN deletes `{column}` of `{}` and its data", table.name),
                Some("deploy code that no longer uses the column first, keep a backup; say why with `-- migrate:allow destructive -- <reason>`".to_string()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{findings, spans};
    use crate::Direction::Down;

    const RULE: &str = "destructive";

    #[test]
    fn flags_data_loss() {
        assert_eq!(
            spans("DROP TABLE IF EXISTS a, s.b CASCADE;", RULE),
            ["1:1 DROP TABLE IF EXISTS a, s.b"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE u DROP COLUMN IF EXISTS f, ALTER g DROP DEFAULT;",
                RULE
            ),
            ["1:15 DROP COLUMN IF EXISTS f"]
        );
        assert_eq!(
            spans("TRUNCATE TABLE ONLY a, b RESTART IDENTITY;", RULE),
            ["1:1 TRUNCATE TABLE ONLY a, b"]
        );
        assert_eq!(spans("DELETE FROM s.t;", RULE), ["1:1 DELETE FROM s.t"]);
    }

    #[test]
    fn accepts_where_down_and_fresh_tables() {
        assert!(spans("DELETE FROM t WHERE id = 1;", RULE).is_empty());
        assert!(spans("CREATE TABLE tmp (a int);\nDROP TABLE IF EXISTS tmp;", RULE).is_empty());
        assert!(spans("ALTER TABLE u DROP CONSTRAINT IF EXISTS c;", RULE).is_empty());
        assert!(!findings("DROP TABLE IF EXISTS a;", Down)
            .iter()
            .any(|f| f.starts_with(RULE)));
        assert!(spans(
            "-- migrate:allow destructive -- archived\nDROP TABLE IF EXISTS a;",
            RULE
        )
        .is_empty());
    }
}
