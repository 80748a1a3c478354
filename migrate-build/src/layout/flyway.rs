//! Flyway and refinery: `V<version>__<name>.sql` versioned migrations and
//! (Flyway) `U<version>__<name>.sql` undo scripts. Flyway runs a file that
//! holds a statement PostgreSQL refuses in a transaction block outside one;
//! refinery wraps every file, so such a file never worked there.

use super::{Claimed, Claims, Entry, TxRule};
use crate::Direction;

/// The prefix, version text and description of a Flyway file name.
pub(super) fn parse_name(name: &str) -> Option<(char, &str, &str)> {
    let stem = name.strip_suffix(".sql")?;
    let prefix = stem.chars().next()?;
    if !matches!(prefix, 'V' | 'U' | 'R') {
        return None;
    }
    let (version, description) = stem[1..].split_once("__")?;
    if prefix != 'R' && !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((prefix, version, description))
}

/// The number of a Flyway version: digits only (`1.1` has no `i64` order).
pub(super) fn version(text: &str) -> Result<i64, String> {
    if text.contains(['.', '_']) {
        return Err(format!(
            "the dotted version {text} cannot be ordered as one number"
        ));
    }
    super::digits_version(text)
}

pub(super) fn claim(entry: &Entry, claims: &mut Claims) {
    if entry.is_dir {
        return;
    }
    let Some((prefix, version_text, description)) = parse_name(&entry.name) else {
        claims.unclaimed.push(entry.display.clone());
        return;
    };
    let help = "name versioned migrations `V<n>__<name>.sql` and undo scripts `U<n>__<name>.sql` with a whole number n";
    if prefix == 'R' {
        claims.bad_name(
            entry,
            "repeatable migrations (`R__`) are not supported: they have no version".into(),
            "turn its current text into a versioned migration `V<n>__<name>.sql`",
        );
        return;
    }
    let version = match version(version_text) {
        Ok(version) => version,
        Err(message) => {
            claims.bad_name(entry, message, help);
            return;
        }
    };
    claims.scripts.push(Claimed {
        version,
        slug: description.to_string(),
        direction: if prefix == 'U' {
            Direction::Down
        } else {
            Direction::Up
        },
        forward_only: false,
        path: entry.path.clone(),
        display: entry.display.clone(),
        version_text: version_text.to_string(),
        text: entry.text.clone(),
        verbatim: true,
        tx: TxRule::Detect,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name("V1__init.sql"), Some(('V', "1", "init")));
        assert_eq!(
            parse_name("U12__add_users.sql"),
            Some(('U', "12", "add_users"))
        );
        assert_eq!(parse_name("R__views.sql"), Some(('R', "", "views")));
        assert_eq!(parse_name("V1_init.sql"), None);
        assert_eq!(parse_name("Vx__init.sql"), None);
        assert_eq!(parse_name("1_init.sql"), None);
        assert_eq!(version("3"), Ok(3));
        assert!(version("1.1").unwrap_err().contains("dotted"));
    }
}
