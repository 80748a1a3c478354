//! `non-postgres-syntax`: placeholder.

use crate::lint::{Check, Findings, RuleDef, StatementContext};
use crate::rule::Level;

pub(crate) const DEF: RuleDef = RuleDef {
    id: "non-postgres-syntax",
    summary: "SQLite, MySQL or SQL Server syntax, with the PostgreSQL equivalent",
    default_level: Level::Deny,
    check: Check::Statement(check),
};

fn check(_ctx: &StatementContext<'_>, _out: &mut Findings) {}
