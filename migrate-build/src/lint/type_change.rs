//! Which `ALTER COLUMN ... TYPE` changes PostgreSQL makes in the catalog only,
//! without rewriting the table: binary-coercible casts, and modifier changes
//! that the type's support function declares a no-op (PostgreSQL 15,
//! `ATColumnChangeRequiresRewrite` after the support functions simplified the
//! cast). Each case is checked against a server by the `column_type_rewrites`
//! test of the workspace's tests crate.

use crate::lint::facts::TypeName;

/// Whether changing a column from `old` to `new` leaves the table as it is.
/// `old` is `None` when no earlier statement declared the column: a change
/// to `text`, `varchar[(n)]` or `numeric[(p,s)]` is then taken as the
/// widening it almost always is.
pub(crate) fn without_rewrite(old: Option<&TypeName>, new: &TypeName) -> bool {
    let Some(old) = old else {
        return !new.array
            && matches!(new.base.as_str(), "text" | "varchar" | "numeric" | "citext");
    };
    if old.base == new.base && old.args == new.args && old.array == new.array {
        return true;
    }
    // An array's elements are converted one by one, which rewrites, even
    // where the element types alone would not.
    if old.array || new.array {
        return false;
    }
    let number = |s: Option<&String>| s.and_then(|s| s.parse::<u32>().ok());
    let (old_n, new_n) = (number(old.args.first()), number(new.args.first()));
    // A length or precision that may only grow: no modifier is unlimited.
    let grows = || new.args.is_empty() || matches!((old_n, new_n), (Some(o), Some(n)) if n >= o);
    match (old.base.as_str(), new.base.as_str()) {
        ("varchar", "text") | ("cidr", "inet") | ("xml", "text") => true,
        ("text", "varchar") => new.args.is_empty(),
        ("varchar", "varchar") | ("bit varying", "bit varying") => grows(),
        ("timestamp", "timestamp")
        | ("timestamptz", "timestamptz")
        | ("time", "time")
        | ("timetz", "timetz") => grows(),
        ("numeric", "numeric") => {
            new.args.is_empty()
                || (!old.args.is_empty() && old.args.get(1) == new.args.get(1) && grows())
        }
        (o, n) if o.starts_with("interval") && n.starts_with("interval") => {
            interval_without_rewrite(old, new).unwrap_or(false)
        }
        _ => false,
    }
}

/// The least significant field an interval type keeps, as PostgreSQL numbers
/// them for this purpose (0 = second ... 5 = year); `None` for unknown words.
fn least_field(base: &str) -> Option<u8> {
    let fields = base.strip_prefix("interval")?.trim();
    let last = fields.rsplit(' ').next().unwrap_or("");
    Some(match last {
        "" | "second" => 0,
        "minute" => 1,
        "hour" => 2,
        "day" => 3,
        "month" => 4,
        "year" => 5,
        _ => return None,
    })
}

/// `interval_support`: a change is a no-op when the new type is unrestricted,
/// or keeps at least the old fields and, where seconds are kept, at least the
/// old fractional precision.
fn interval_without_rewrite(old: &TypeName, new: &TypeName) -> Option<bool> {
    // Full precision when no precision is written.
    const FULL: u32 = u32::MAX;
    const MAX_PRECISION: u32 = 6;
    let precision = |t: &TypeName| match t.args.first() {
        Some(p) => p.parse::<u32>().ok(),
        None => Some(FULL),
    };
    if new.base == "interval" && new.args.is_empty() {
        return Some(true);
    }
    let (old_field, new_field) = (least_field(&old.base)?, least_field(&new.base)?);
    let (old_precision, new_precision) = (precision(old)?, precision(new)?);
    // A plain `interval` column has no modifier at all: any restriction rewrites.
    if old.base == "interval" && old.args.is_empty() {
        return Some(false);
    }
    Some(
        new_field <= old_field
            && (old_field > 0 || new_precision >= MAX_PRECISION || new_precision >= old_precision),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn ty(text: &str) -> TypeName {
        let mut parser = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(text)
            .expect("tokens");
        TypeName::read(&parser.parse_data_type().expect("a type")).expect("a type name")
    }

    fn same_table(old: &str, new: &str) -> bool {
        without_rewrite(Some(&ty(old)), &ty(new))
    }

    #[test]
    fn modifiers_that_only_grow_keep_the_table() {
        for (old, new) in [
            ("varchar(10)", "varchar(20)"),
            ("character varying(10)", "varchar"),
            ("varchar(10)", "text"),
            ("numeric(10,2)", "numeric(12,2)"),
            ("timestamp(0)", "timestamp(3)"),
            ("timestamp(3) with time zone", "timestamptz"),
            ("time(2)", "time(3)"),
            ("time(2) with time zone", "timetz"),
            ("interval(2)", "interval(3)"),
            ("interval day to second(2)", "interval"),
            ("interval day", "interval day to second"),
            ("interval hour to minute", "interval day to second"),
            ("bit varying(5)", "bit varying(10)"),
            ("cidr", "inet"),
            ("varchar(10)[]", "character varying(10)[]"),
        ] {
            assert!(same_table(old, new), "{old} -> {new}");
        }
    }

    #[test]
    fn narrowing_restricting_and_arrays_rewrite() {
        for (old, new) in [
            ("varchar(20)", "varchar(10)"),
            ("numeric(10,2)", "numeric(12,3)"),
            ("timestamp", "timestamp(3)"),
            ("time", "time(2)"),
            ("interval", "interval(3)"),
            ("interval day to second", "interval hour to minute"),
            ("bit varying(10)", "bit varying(5)"),
            ("bit(5)", "bit(10)"),
            ("char(5)", "varchar(10)"),
            ("varchar(10)[]", "varchar(20)[]"),
            ("varchar[]", "text[]"),
            ("integer", "bigint"),
            ("timestamp", "timestamptz"),
        ] {
            assert!(!same_table(old, new), "{old} -> {new}");
        }
    }
}
