//! Quoting identifiers and literals for SQL sent as text.

use std::time::Duration;

/// `"name"` with embedded `"` doubled: safe for any identifier text.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal that means `value` whatever `standard_conforming_strings` is:
/// `'...'` with `'` doubled, or `E'...'` with `\` doubled too when it has a backslash.
pub(crate) fn literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// A duration as a PostgreSQL setting literal in milliseconds (`'1500ms'`);
/// a non-zero duration below a millisecond rounds up to `'1ms'`.
pub(crate) fn millis(duration: Duration) -> String {
    let mut ms = duration.as_millis();
    if ms == 0 && !duration.is_zero() {
        ms = 1;
    }
    format!("'{ms}ms'")
}

/// A dollar-quote tag that does not occur in `body`.
pub(crate) fn dollar_tag(body: &str) -> String {
    let mut n = 0u32;
    loop {
        let tag = format!("$migrate{n}$");
        if !body.contains(&tag) {
            return tag;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_double_quotes() {
        assert_eq!(ident("mig history"), "\"mig history\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("\""), "\"\"\"\"");
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\'b"), "E'a\\\\''b'");
        assert_eq!(literal(""), "''");
    }

    #[test]
    fn millis_rounds_up_sub_millisecond() {
        assert_eq!(millis(Duration::from_micros(10)), "'1ms'");
        assert_eq!(millis(Duration::ZERO), "'0ms'");
        assert_eq!(millis(Duration::from_secs(2)), "'2000ms'");
    }

    #[test]
    fn dollar_tag_avoids_the_body() {
        assert_eq!(dollar_tag("x"), "$migrate0$");
        assert_eq!(dollar_tag("$migrate0$ $migrate1$"), "$migrate2$");
    }
}
