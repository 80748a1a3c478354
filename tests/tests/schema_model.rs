//! Ground truth for the schema model: each corpus project that runs on
//! PostgreSQL 15 is replayed in version order into a throwaway server and into
//! the model ([`pgmigrate_build::History`]). After every migration the facts
//! the model claims to know (relations, columns, column types and
//! nullability, constraints, enum labels, schemas) must equal the server's
//! catalog, and no schema rule may report a deny finding on a file the
//! server accepts. A project stops at the first file the server rejects.
//!
//! Down scripts are run in a transaction that is rolled back (the server
//! says whether it accepts them after their up) and checked by the model.
//! Inside that transaction the server's catalog after the down is compared
//! with the one before the up: every `incomplete-down` warning must name a
//! down that really leaves the schema different.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use pgmigrate_build::{Config, History, Level, Rule};

/// The rules that read the schema model.
const MODEL_RULES: &[Rule] = &[
    Rule::UndefinedObject,
    Rule::DuplicateObject,
    Rule::ForeignKeyMismatch,
];

/// One migration: an up file and maybe a down file, relative to the corpus.
struct Migration {
    up: String,
    down: Option<String>,
    transactional: bool,
}

/// The projects: name, and the migrations in the order their tool runs them.
fn projects(corpus: &Path) -> Vec<(&'static str, Vec<Migration>)> {
    let rows = support::corpus::read_manifest(corpus);
    let non_transactional: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.is_non_transactional())
        .map(|r| r.path.clone())
        .collect();
    let diesel = |prefix: &str| -> Vec<Migration> {
        // `<version>_<name>/up.sql`: diesel orders by the version with its
        // dashes removed.
        let mut dirs: Vec<(String, String)> = rows
            .iter()
            .filter_map(|r| {
                r.path
                    .strip_prefix(prefix)?
                    .strip_suffix("/up.sql")
                    .map(str::to_string)
            })
            .filter(|d| !d.contains('/'))
            .map(|d| {
                let version: String = d.split('_').next().unwrap_or("").replace('-', "");
                (version, d)
            })
            .collect();
        dirs.sort();
        dirs.into_iter()
            .map(|(_, d)| {
                let up = format!("{prefix}{d}/up.sql");
                let down = format!("{prefix}{d}/down.sql");
                Migration {
                    transactional: !non_transactional.contains(&up),
                    down: rows.iter().any(|r| r.path == down).then_some(down),
                    up,
                }
            })
            .collect()
    };
    let flat = |prefix: &str, up_suffix: &str, down_suffix: Option<&str>| -> Vec<Migration> {
        let mut ups: Vec<&str> = rows
            .iter()
            .filter_map(|r| {
                let rest = r.path.strip_prefix(prefix)?;
                (!rest.contains('/') && rest.ends_with(up_suffix)).then_some(r.path.as_str())
            })
            .collect();
        ups.sort();
        ups.into_iter()
            .map(|up| {
                let down =
                    down_suffix.map(|d| format!("{}{d}", up.strip_suffix(up_suffix).unwrap_or(up)));
                Migration {
                    transactional: !non_transactional.contains(up),
                    down: down.filter(|d| rows.iter().any(|r| r.path == *d)),
                    up: up.to_string(),
                }
            })
            .collect()
    };
    vec![
        ("crates.io", diesel("rust-lang__crates.io/migrations/")),
        ("lemmy", diesel("LemmyNet__lemmy/migrations/")),
        (
            "vaultwarden",
            diesel("dani-garcia__vaultwarden/migrations/postgresql/"),
        ),
        (
            "authelia",
            flat(
                "authelia__authelia/internal/storage/migrations/postgres/",
                ".up.sql",
                Some(".down.sql"),
            ),
        ),
        (
            "harbor",
            flat(
                "goharbor__harbor/make/migrations/postgresql/",
                ".up.sql",
                None,
            ),
        ),
        (
            "atuin",
            flat(
                "atuinsh__atuin/crates/atuin-server-postgres/migrations/",
                ".sql",
                None,
            ),
        ),
    ]
}

/// The server's catalog as fact lines, in the format of `Schema::facts`
/// (objects that belong to an extension left out).
const SERVER_FACTS: &str = r#"
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
),
rel AS (
    SELECT c.oid, ns.nspname, c.relname, c.relkind FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT 'schema ' || nspname FROM ns
UNION ALL SELECT 'relation ' || nspname || '.' || relname || ' ' || relkind::text FROM rel
UNION ALL SELECT 'column ' || rel.nspname || '.' || rel.relname || '.' || a.attname
    FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid
    WHERE a.attnum > 0 AND NOT a.attisdropped AND rel.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL SELECT 'type ' || rel.nspname || '.' || rel.relname || '.' || a.attname || ' '
        || CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN e.typname || '[]' ELSE t.typname END
        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
    FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid
    JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem
    WHERE a.attnum > 0 AND NOT a.attisdropped AND rel.relkind IN ('r', 'p', 'f')
UNION ALL SELECT 'constraint ' || rel.nspname || '.' || rel.relname || '.' || con.conname || ' ' || con.contype::text
    FROM rel JOIN pg_constraint con ON con.conrelid = rel.oid
UNION ALL SELECT 'enum ' || ns.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    GROUP BY ns.nspname, t.typname
UNION ALL SELECT 'usertype ' || ns.nspname || '.' || t.typname
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    WHERE t.typtype IN ('c', 'd', 'r', 'b', 'm') AND t.typcategory <> 'A'
      AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
"#;

/// What the server says about restoration beyond [`SERVER_FACTS`]: which
/// columns have a default, and the functions (by name).
const SERVER_EXTRA_FACTS: &str = r#"
SELECT 'default ' || n.nspname || '.' || c.relname || '.' || a.attname
    FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT DISTINCT 'function ' || n.nspname || '.' || p.proname
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
"#;

/// The server's facts for the restoration check.
fn restoration_facts(client: &mut impl postgres::GenericClient) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for query in [SERVER_FACTS, SERVER_EXTRA_FACTS] {
        for row in client.query(query, &[]).expect("catalog query") {
            facts.insert(row.get::<_, String>(0));
        }
    }
    facts
}

/// How the `incomplete-down` warnings compare with the server.
#[derive(Default)]
struct Restoration {
    /// Down files the server ran in a transaction after their up.
    checked: usize,
    /// Of those, the ones after which the server's schema differs from before the up.
    not_restoring: usize,
    /// Down files with at least one warning, all of them not restoring.
    warned: usize,
    /// Warnings on down files that restore the schema on the server.
    false_warnings: Vec<String>,
}

#[derive(Default)]
struct Report {
    migrations: usize,
    compared: usize,
    disagreements: Vec<String>,
    false_findings: Vec<String>,
    stopped: Option<String>,
    unknown: Option<usize>,
    restoration: Restoration,
}

fn run(
    client: &mut postgres::Client,
    sql: &str,
    transactional: bool,
    rollback: bool,
) -> Result<(), postgres::Error> {
    if !transactional {
        return client.batch_execute(sql);
    }
    let mut tx = client.transaction()?;
    tx.batch_execute(sql)?;
    if rollback {
        tx.rollback()
    } else {
        tx.commit()
    }
}

fn replay(corpus: &Path, name: &str, migrations: &[Migration]) -> Report {
    let server = pgmigrate_tempdb::shared().expect("a PostgreSQL server for the tests");
    let url = server
        .create_database(&format!("model_{name}"))
        .expect("create database");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    client
        .batch_execute("SET client_min_messages = warning")
        .expect("set");
    let mut history = History::new(Config::new());
    let mut report = Report::default();
    let deny = |check: &pgmigrate_build::FileCheck, path: &str, out: &mut Vec<String>| {
        for d in &check.diagnostics {
            if MODEL_RULES.contains(&d.rule) && d.level == Level::Deny {
                out.push(format!(
                    "{path}:{}:{}: {}: {}",
                    d.line, d.column, d.rule, d.message
                ));
            }
        }
    };
    let mut before_up = restoration_facts(&mut client);
    for migration in migrations {
        let bytes = std::fs::read(corpus.join(&migration.up)).expect("read");
        let sql = String::from_utf8_lossy(&bytes).into_owned();
        if let Err(error) = run(&mut client, &sql, migration.transactional, false) {
            let message = error
                .as_db_error()
                .map_or_else(|| error.to_string(), |e| e.message().to_string());
            report.stopped = Some(format!("{}: {message}", migration.up));
            break;
        }
        report.migrations += 1;
        let check = history.up(&migration.up, &bytes);
        deny(&check, &migration.up, &mut report.false_findings);
        if let Some(down) = &migration.down {
            let down_bytes = std::fs::read(corpus.join(down)).expect("read");
            let down_sql = String::from_utf8_lossy(&down_bytes).into_owned();
            // Transactional downs: the catalog after the down, then rolled back.
            let (accepted, after_down) = if migration.transactional {
                let mut tx = client.transaction().expect("begin");
                let result = tx.batch_execute(&down_sql);
                let facts = result.is_ok().then(|| restoration_facts(&mut tx));
                tx.rollback().expect("rollback");
                (result.is_ok(), facts)
            } else {
                (run(&mut client, &down_sql, false, true).is_ok(), None)
            };
            let check = history.down(down, &down_bytes);
            if accepted {
                deny(&check, down, &mut report.false_findings);
            }
            let warnings: Vec<String> = check
                .diagnostics
                .iter()
                .filter(|d| d.rule == Rule::IncompleteDown)
                .map(|d| format!("{down}:{}:{}: {}", d.line, d.column, d.message))
                .collect();
            if let Some(after_down) = after_down {
                let r = &mut report.restoration;
                r.checked += 1;
                let restores = after_down == before_up;
                r.not_restoring += usize::from(!restores);
                if restores {
                    r.false_warnings.extend(warnings);
                } else if !warnings.is_empty() {
                    r.warned += 1;
                }
            }
        }
        before_up = restoration_facts(&mut client);
        let server_facts: BTreeSet<String> = before_up
            .iter()
            .filter(|fact| !fact.starts_with("default ") && !fact.starts_with("function "))
            .filter(|fact| history.claims(fact))
            .cloned()
            .collect();
        let model_facts: BTreeSet<String> = history
            .facts()
            .into_iter()
            .filter(|fact| history.claims(fact))
            .collect();
        report.compared += server_facts.len().max(model_facts.len());
        for fact in server_facts.symmetric_difference(&model_facts) {
            let side = if server_facts.contains(fact) {
                "server only"
            } else {
                "model only"
            };
            report
                .disagreements
                .push(format!("after {}: {side}: {fact}", migration.up));
        }
        if report.disagreements.len() > 50 {
            break;
        }
    }
    report.unknown = history.schema().unknown_count();
    report
}

#[test]
fn model_agrees_with_postgresql() {
    let Some(corpus) = support::corpus::find() else {
        return;
    };
    let mut failures = Vec::new();
    let mut warned = 0;
    for (name, migrations) in projects(&corpus) {
        assert!(
            !migrations.is_empty(),
            "{name}: no migrations found in the corpus"
        );
        let report = replay(&corpus, name, &migrations);
        let agreement = if report.compared == 0 {
            100.0
        } else {
            100.0 * (report.compared - report.disagreements.len().min(report.compared)) as f64
                / report.compared as f64
        };
        println!(
            "{name}: {} of {} migrations replayed, {} facts compared, {agreement:.2}% agreement, unknown names: {}{}",
            report.migrations,
            migrations.len(),
            report.compared,
            report.unknown.map_or_else(|| "everything (model stopped reporting)".to_string(), |n| n.to_string()),
            report.stopped.as_ref().map_or(String::new(), |s| format!("; stopped at {s}")),
        );
        let r = &report.restoration;
        warned += r.warned;
        println!(
            "{name}: {} down files run after their up, {} leave the schema different on the server, incomplete-down warns on {} of them, {} false warnings",
            r.checked,
            r.not_restoring,
            r.warned,
            r.false_warnings.len()
        );
        for w in r.false_warnings.iter().take(20) {
            println!("  false incomplete-down {w}");
        }
        failures.extend(
            r.false_warnings
                .iter()
                .map(|w| format!("{name}: false incomplete-down {w}")),
        );
        for d in report.disagreements.iter().take(20) {
            println!("  disagreement {d}");
        }
        for f in report.false_findings.iter().take(20) {
            println!("  false finding {f}");
        }
        failures.extend(report.disagreements.iter().map(|d| format!("{name}: {d}")));
        failures.extend(report.false_findings.iter().map(|f| format!("{name}: {f}")));
    }
    // The corpus holds down files that do not restore their up (checked on
    // the server above): the rule must see some of them.
    assert!(
        warned > 0,
        "incomplete-down found none of the non-restoring down files"
    );
    assert!(
        failures.is_empty(),
        "{} disagreements or false findings:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
