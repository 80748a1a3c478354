//! `require-lock-timeout` (allow by default): a statement that takes an
//! ACCESS EXCLUSIVE lock on an existing table, with no `SET lock_timeout`
//! earlier in the file and no runner-level lock timeout
//! (`Config::runner_lock_timeout(true)`).

use sqlparser::ast::{ObjectType, Statement};

use crate::lint::facts::{name_of, Name};
use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::{Level, Rule};

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "ACCESS EXCLUSIVE lock on an existing table without SET lock_timeout first (opt-in)",
    default_level: Level::Allow,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# require-lock-timeout

Default level: **allow** (opt in with `Config::new().warn(Rule::RequireLockTimeout)` or
`.deny(...)`).

A statement that takes an `ACCESS EXCLUSIVE` lock on a table that this migration did
not create (`ALTER TABLE` except the forms that take weaker locks, `DROP TABLE`,
`TRUNCATE`, non-concurrent `DROP INDEX`, `LOCK TABLE`, `REFRESH MATERIALIZED VIEW`
without `CONCURRENTLY`, `CLUSTER`, `VACUUM FULL`), without a `SET lock_timeout`
earlier in the migration.

## Why

Even an instant `ALTER TABLE` must wait for the lock, behind a long-running query or
an idle transaction. While it waits, every other query on the table queues behind it:
a two-second report becomes a full outage. A `lock_timeout` makes the migration fail
fast instead (retry it later).

## Runner-level timeout

When the runner sets `lock_timeout` for every migration (pgmigrate-core's per-migration
lock timeout), tell the linter with `Config::runner_lock_timeout(true)`: the rule then
never fires, whatever its level. Keep it `false` if the same files may be applied by
another tool.

## Bad

```sql
ALTER TABLE users ADD COLUMN plan text;
```

## Good

```sql
SET LOCAL lock_timeout = '5s';
ALTER TABLE users ADD COLUMN plan text;
```

`SET LOCAL` ends with the migration's transaction; a plain `SET` would last for the
session and reach the migrations after this one when another tool applies the files
(see `session-set`).
"#;

/// `ALTER TABLE` actions that do not take ACCESS EXCLUSIVE.
fn weak_action(t: &[crate::lint::Tok<'_>], a: usize, b: usize) -> bool {
    let w = |i: usize, s: &str| t.get(i).is_some_and(|x| i < b && x.is(s));
    (w(a, "VALIDATE"))
        || (w(a, "ATTACH") && w(a + 1, "PARTITION"))
        || (w(a, "DETACH") && (a..b).any(|i| t[i].is("CONCURRENTLY")))
        || (w(a, "CLUSTER") && w(a + 1, "ON"))
        || (w(a, "SET") && w(a + 1, "WITHOUT") && w(a + 2, "CLUSTER"))
        || (w(a, "ADD")
            && (a..b).any(|i| t[i].depth == 0 && t[i].is("FOREIGN"))
            && !(a..b).any(|i| t[i].is("COLUMN")))
        || ((w(a, "ALTER") || w(a, "ALTER")) && (a..b).any(|i| t[i].is("STATISTICS")))
        || (w(a, "ENABLE") || w(a, "DISABLE")) && (a..b).any(|i| t[i].is("TRIGGER"))
        || (w(a, "OWNER"))
}

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    if ctx.facts.settings.runner_lock_timeout || ctx.facts.lock_timeout_before(ctx.index) {
        return;
    }
    let t = ctx.tokens;
    let Some(first) = t.first() else { return };
    let fresh =
        |n: &Name| ctx.facts.fresh_before(ctx.index, n) || ctx.facts.created_before(ctx.index, n);
    let head_end = |n: usize| t[n.min(t.len()) - 1].end;
    let (what, end) = if let Some(alter) = &ctx.alter {
        if fresh(&alter.table) || alter.ranges(t).iter().all(|&(a, b)| weak_action(t, a, b)) {
            return;
        }
        (
            format!("ALTER TABLE {}", alter.table.name),
            head_end(alter.from),
        )
    } else if let Some(Statement::Drop {
        object_type: ObjectType::Table,
        names,
        ..
    }) = ctx.ast
    {
        if names.first().and_then(name_of).is_some_and(|n| fresh(&n)) {
            return;
        }
        ("DROP TABLE".to_string(), t[1].end)
    } else if first.is("DROP") && t.get(1).is_some_and(|w| w.is("INDEX")) {
        if t.get(2).is_some_and(|w| w.is("CONCURRENTLY")) {
            return;
        }
        ("DROP INDEX".to_string(), t[1].end)
    } else if let Some(Statement::Truncate(truncate)) = ctx.ast {
        let tables = &truncate.table_names;
        if !tables.is_empty()
            && tables
                .iter()
                .all(|target| name_of(&target.name).is_some_and(|n| fresh(&n)))
        {
            return;
        }
        ("TRUNCATE".to_string(), first.end)
    } else if first.is("LOCK") {
        let share = t.iter().any(|w| w.is("MODE"))
            && !t
                .windows(2)
                .any(|w| w[0].is("ACCESS") && w[1].is("EXCLUSIVE"));
        if share {
            return;
        }
        ("LOCK TABLE".to_string(), first.end)
    } else if first.is("REFRESH") {
        if t.iter().any(|w| w.is("CONCURRENTLY")) {
            return;
        }
        ("REFRESH MATERIALIZED VIEW".to_string(), head_end(3))
    } else if first.is("CLUSTER") || (first.is("VACUUM") && t.iter().any(|w| w.is("FULL"))) {
        (ctx.slice(first.start, first.end).to_uppercase(), first.end)
    } else {
        return;
    };
    out.push(
        Rule::RequireLockTimeout,
        first.start,
        end,
        format!("{what} waits for an ACCESS EXCLUSIVE lock with no lock_timeout: queries queue behind it meanwhile"),
        Some("start the migration with `SET lock_timeout = '5s';` (or set a runner-level lock timeout and `Config::runner_lock_timeout(true)`)".to_string()),
    );
}

#[cfg(test)]
mod tests {
    use crate::{Config, Direction, Rule};

    const RULE: &str = "require-lock-timeout";

    fn spans(sql: &str, config: Config) -> Vec<String> {
        config
            .check_file("m.sql", sql.as_bytes(), Direction::Up)
            .diagnostics
            .iter()
            .filter(|d| d.rule.id() == RULE)
            .map(|d| format!("{}:{} {}", d.line, d.column, &sql[d.span.clone().unwrap()]))
            .collect()
    }

    fn on() -> Config {
        Config::new().warn(Rule::RequireLockTimeout)
    }

    #[test]
    fn allowed_by_default() {
        assert!(spans("ALTER TABLE u ADD c int;", Config::new()).is_empty());
    }

    #[test]
    fn flags_access_exclusive_without_timeout() {
        assert_eq!(
            spans("ALTER TABLE u ADD c int;", on()),
            ["1:1 ALTER TABLE u"]
        );
        assert_eq!(
            spans("SELECT 1;\nDROP TABLE IF EXISTS u;", on()),
            ["2:1 DROP TABLE"]
        );
        assert_eq!(spans("LOCK TABLE u;", on()), ["1:1 LOCK"]);
    }

    #[test]
    fn accepts_timeouts_weak_locks_and_fresh_tables() {
        assert!(spans("SET lock_timeout = '5s';\nALTER TABLE u ADD c int;", on()).is_empty());
        assert!(spans("SET LOCAL lock_timeout TO '1s';\nTRUNCATE u;", on()).is_empty());
        assert!(spans("ALTER TABLE u ADD c int;", on().runner_lock_timeout(true)).is_empty());
        assert!(spans("ALTER TABLE u VALIDATE CONSTRAINT c;", on()).is_empty());
        assert!(spans("CREATE TABLE u (a int);\nALTER TABLE u ADD c int;", on()).is_empty());
        assert!(spans("LOCK TABLE u IN SHARE MODE;", on()).is_empty());
        // SET lock_timeout = 0 disables the timeout.
        assert_eq!(
            spans("SET lock_timeout = 0;\nALTER TABLE u ADD c int;", on()).len(),
            1
        );
    }
}
