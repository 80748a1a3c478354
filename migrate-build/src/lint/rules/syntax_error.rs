//! `syntax-error`: the statement is not valid PostgreSQL. Reported by the
//! parser stage (`crate::parse`) with sqlparser's message and position.

use crate::lint::{Check, RuleDef};
use crate::rule::Level;

pub(crate) const DEF: RuleDef = RuleDef {
    id: "syntax-error",
    summary: "not valid SQL for PostgreSQL: sqlparser's message at the failing token",
    default_level: Level::Deny,
    check: Check::Builtin,
};
