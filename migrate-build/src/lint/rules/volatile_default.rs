//! `volatile-default`: `ALTER TABLE ... ADD COLUMN ... DEFAULT <volatile>`
//! (e.g. `gen_random_uuid()`, `clock_timestamp()`, `nextval()`, a serial or
//! identity column) rewrites the whole table under an ACCESS EXCLUSIVE lock;
//! before PostgreSQL 11 any non-NULL default does.

use sqlparser::tokenizer::Token;

use sqlparser::ast::{AlterTableOperation, ColumnOption};

use crate::lint::facts::TypeName;
use crate::lint::locate;
use crate::lint::{Check, Findings, RuleDef, StatementContext, Tok};
use crate::rule::{Level, Rule};
use crate::schema::names::fold;

pub(crate) const DEF: RuleDef = RuleDef {
    summary: "ADD COLUMN with a volatile DEFAULT (gen_random_uuid(), clock_timestamp(), nextval(), serial, identity): table rewrite",
    default_level: Level::Warn,
    check: Check::Statement(check),
    explain: EXPLAIN,
};

pub(crate) const EXPLAIN: &str = r#"# volatile-default

Default level: **warn**.

`ALTER TABLE ... ADD COLUMN ... DEFAULT <volatile expression>` on a table that this
migration did not create: `random()`, `gen_random_uuid()`, `uuid_generate_v4()`,
`clock_timestamp()`, `timeofday()`, `nextval()`, ..., and `serial` /
`GENERATED ... AS IDENTITY` columns (their default is `nextval()`).

## Why

Since PostgreSQL 11 a column with a constant (or stable: `now()`,
`current_timestamp`) default is added instantly: the default is stored once in the
catalog. A volatile default must be computed per row, so PostgreSQL rewrites the whole
table and its indexes under an `ACCESS EXCLUSIVE` lock. With `Config::postgres_version`
below 11, every non-`NULL` default rewrites the table and is flagged.

## Bad

```sql
ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
```

## Good

```sql
ALTER TABLE orders ADD COLUMN public_id uuid;
ALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid(); -- new rows only
-- then backfill the existing rows in batches, e.g.
-- UPDATE orders SET public_id = gen_random_uuid() WHERE id BETWEEN $1 AND $2;
```
"#;

/// Volatile functions commonly used as defaults (`pg_proc.provolatile = 'v'`;
/// `random_normal`, `uuidv4` and `uuidv7` from PostgreSQL 16 and 18, the
/// `gen_random_bytes` and `uuid_generate_*` of pgcrypto and uuid-ossp).
/// Stable ones such as `now()`, `statement_timestamp()` or `txid_current()`
/// are evaluated once for the whole `ALTER TABLE`: no rewrite.
const VOLATILE: &[&str] = &[
    "RANDOM",
    "RANDOM_NORMAL",
    "GEN_RANDOM_UUID",
    "GEN_RANDOM_BYTES",
    "UUID_GENERATE_V1",
    "UUID_GENERATE_V1MC",
    "UUID_GENERATE_V4",
    "UUIDV4",
    "UUIDV7",
    "CLOCK_TIMESTAMP",
    "TIMEOFDAY",
    "NEXTVAL",
    "CURRVAL",
    "LASTVAL",
];

fn check(ctx: &StatementContext<'_>, out: &mut Findings) {
    let t = ctx.tokens;
    let Some(alter) = &ctx.alter else {
        return;
    };
    if alter.fresh {
        return;
    }
    let table = &alter.table;
    let old = ctx.facts.settings.postgres_version < 11;
    for action in &alter.actions {
        let AlterTableOperation::AddColumn { column_def, .. } = &*action.op else {
            continue;
        };
        let Some(name_at) = locate::token_at(t, column_def.name.span.start) else {
            continue;
        };
        let help = format!(
            "add `{c}` without the default, then `ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT ...` (new rows only) and backfill the existing rows in batches",
            c = fold(&column_def.name),
            t = table.name
        );
        if let Some(ty) = TypeName::of(&column_def.data_type, t, name_at + 1) {
            if matches!(ty.base.as_str(), "serial" | "bigserial" | "smallserial") {
                out.push(
                    Rule::VolatileDefault,
                    ty.start,
                    ty.end,
                    format!("adding a {} column fills every row from a sequence: `{}` is rewritten under an ACCESS EXCLUSIVE lock", ty.base, table.name),
                    Some(help),
                );
                continue;
            }
        }
        let option = |f: fn(&ColumnOption) -> bool| column_def.options.iter().any(|o| f(&o.option));
        if option(|o| matches!(o, ColumnOption::Generated { .. })) {
            let g = action.find(t, name_at + 1, &["GENERATED"]);
            let end =
                g.and_then(|g| (g..action.end).find(|&i| t[i].is("IDENTITY") || t[i].is("STORED")));
            if let (Some(g), Some(end)) = (g, end) {
                out.push(
                    Rule::VolatileDefault,
                    t[g].start,
                    t[end].end,
                    format!("adding a generated column computes every row: `{}` is rewritten under an ACCESS EXCLUSIVE lock", table.name),
                    Some(help),
                );
                continue;
            }
        }
        if !option(|o| matches!(o, ColumnOption::Default(_))) {
            continue;
        }
        let Some(d) = action.find(t, name_at + 1, &["DEFAULT"]) else {
            continue;
        };
        let (e0, e1) = default_expr(t, action.end, d);
        if e0 >= e1 {
            continue;
        }
        if let Some((f0, f1, name)) = volatile_call(t, e0, e1) {
            out.push(
                Rule::VolatileDefault,
                t[f0].start,
                t[f1].end,
                format!("the volatile default `{name}()` is computed per row: `{}` is rewritten under an ACCESS EXCLUSIVE lock", table.name),
                Some(help),
            );
        } else if old && !(e1 == e0 + 1 && t[e0].is("NULL")) {
            out.push(
                Rule::VolatileDefault,
                t[d].start,
                t[e1 - 1].end,
                format!("before PostgreSQL 11, adding a column with a DEFAULT rewrites all of `{}` under an ACCESS EXCLUSIVE lock", table.name),
                Some(help),
            );
        }
    }
}

/// Token range of the expression after `DEFAULT` at `t[d]` (in an action
/// that ends at `end`).
fn default_expr(t: &[Tok<'_>], end: usize, d: usize) -> (usize, usize) {
    let depth = t[d].depth;
    let mut k = d + 2;
    while k < end && !(t[k].depth == depth && t[k].is_any(locate::CONSTRAINT_WORDS)) {
        k += 1;
    }
    (d + 1, k.min(end))
}

/// The first call of a volatile function in `t[a..b]`: its token range.
fn volatile_call(t: &[Tok<'_>], a: usize, b: usize) -> Option<(usize, usize, String)> {
    (a..b).find_map(|i| {
        let w = t[i].word()?;
        if !VOLATILE.iter().any(|v| v.eq_ignore_ascii_case(w)) {
            return None;
        }
        if !t.get(i + 1).is_some_and(|p| p.is_token(&Token::LParen)) {
            return None;
        }
        let depth = t[i].depth;
        let close = (i + 2..b)
            .find(|&j| t[j].depth == depth && t[j].is_token(&Token::RParen))
            .unwrap_or(i + 1);
        let start = if i >= a + 2 && t[i - 1].is_token(&Token::Period) {
            i - 2
        } else {
            i
        };
        Some((start, close, w.to_lowercase()))
    })
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::spans;
    use crate::{Config, Direction};

    const RULE: &str = "volatile-default";

    #[test]
    fn flags_volatile_defaults() {
        assert_eq!(
            spans(
                "ALTER TABLE o ADD COLUMN p uuid DEFAULT gen_random_uuid() NOT NULL;",
                RULE
            ),
            ["1:41 gen_random_uuid()"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE o ADD COLUMN p uuid DEFAULT public.uuid_generate_v4();",
                RULE
            ),
            ["1:41 public.uuid_generate_v4()"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE o ADD n int DEFAULT nextval('s'::regclass);",
                RULE
            ),
            ["1:33 nextval('s'::regclass)"]
        );
        assert_eq!(
            spans("ALTER TABLE o ADD id bigserial;", RULE),
            ["1:22 bigserial"]
        );
        assert_eq!(
            spans(
                "ALTER TABLE o ADD id bigint GENERATED ALWAYS AS IDENTITY;",
                RULE
            ),
            ["1:29 GENERATED ALWAYS AS IDENTITY"]
        );
    }

    #[test]
    fn accepts_stable_and_constant_defaults() {
        assert!(spans(
            "ALTER TABLE o ADD c timestamptz NOT NULL DEFAULT now();",
            RULE
        )
        .is_empty());
        assert!(spans(
            "ALTER TABLE o ADD c timestamptz DEFAULT CURRENT_TIMESTAMP;",
            RULE
        )
        .is_empty());
        assert!(spans("ALTER TABLE o ADD c int DEFAULT 0;", RULE).is_empty());
        assert!(spans("ALTER TABLE o ALTER c SET DEFAULT gen_random_uuid();", RULE).is_empty());
        assert!(spans(
            "ALTER TABLE o ADD c uuid;\nALTER TABLE o ALTER c SET DEFAULT gen_random_uuid();",
            RULE
        )
        .is_empty());
        assert!(spans(
            "CREATE TABLE o (a int);\nALTER TABLE o ADD c uuid DEFAULT gen_random_uuid();",
            RULE
        )
        .is_empty());
    }

    #[test]
    fn before_11_any_default_rewrites() {
        let sql = "ALTER TABLE o ADD c int DEFAULT 0 NOT NULL, ADD d int DEFAULT NULL;";
        let check =
            Config::new()
                .postgres_version(10)
                .check_file("m.sql", sql.as_bytes(), Direction::Up);
        let found: Vec<_> = check
            .diagnostics
            .iter()
            .filter(|d| d.rule.id() == RULE)
            .map(|d| d.column)
            .collect();
        assert_eq!(found, [25]);
    }
}
