//! The native layout's file names: `<version>_<slug>.up.sql`,
//! `<version>_<slug>.down.sql` or `<version>_<slug>.sql` (forward-only). The
//! version is ASCII digits (compared as an `i64`, so `0001` and `1` are the
//! same version); the slug is `[A-Za-z0-9_-]+`.

use crate::diagnostic::Diagnostic;
use crate::rule::Rule;
use crate::Direction;

use super::Layout;

/// A parsed file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileName {
    pub version: i64,
    pub slug: String,
    pub direction: Direction,
    pub forward_only: bool,
}

/// Why a `.sql` file name is not a migration name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    #[error("the name does not start with a version number")]
    NoVersion,
    #[error("the version is not followed by `_` and a name")]
    NoSlug,
    #[error("the version {0} is too large (at most {max})", max = i64::MAX)]
    VersionOverflow(String),
    #[error("the name `{0}` may only contain letters, digits, `_` and `-`")]
    BadSlug(String),
}

/// Parses `0001_create_users.up.sql`; `None` for files that are not `.sql`.
pub(crate) fn parse_name(file_name: &str) -> Option<Result<FileName, NameError>> {
    let (stem, direction, forward_only) = if let Some(stem) = file_name.strip_suffix(".up.sql") {
        (stem, Direction::Up, false)
    } else if let Some(stem) = file_name.strip_suffix(".down.sql") {
        (stem, Direction::Down, false)
    } else if let Some(stem) = file_name.strip_suffix(".sql") {
        (stem, Direction::Up, true)
    } else {
        return None;
    };
    Some(parse_stem(stem).map(|(version, slug)| FileName {
        version,
        slug,
        direction,
        forward_only,
    }))
}

fn parse_stem(stem: &str) -> Result<(i64, String), NameError> {
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(NameError::NoVersion);
    }
    let (version, rest) = stem.split_at(digits);
    let Some(slug) = rest.strip_prefix('_') else {
        return Err(NameError::NoSlug);
    };
    if slug.is_empty() {
        return Err(NameError::NoSlug);
    }
    let version: i64 = version
        .parse()
        .map_err(|_| NameError::VersionOverflow(version.to_string()))?;
    if !slug
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(NameError::BadSlug(slug.to_string()));
    }
    Ok((version, slug.to_string()))
}

/// `bad-file-name` for a name that is almost a native one.
pub(crate) fn bad_name(display: &str, name: &str, error: &NameError) -> Diagnostic {
    Diagnostic::file(
        Rule::BadFileName,
        display,
        format!("`{name}` is not a migration file name: {error}"),
        Some(format!(
            "name it `<version>_<name>.up.sql` (+ `.down.sql`) or `<version>_<name>.sql`, e.g. `0001_create_users.up.sql`; known layouts: {}",
            Layout::known_list()
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        let up = parse_name("0001_create_users.up.sql").unwrap().unwrap();
        assert_eq!(
            (up.version, up.slug.as_str(), up.direction, up.forward_only),
            (1, "create_users", Direction::Up, false)
        );
        let down = parse_name("20260101120000_x-y.down.sql").unwrap().unwrap();
        assert_eq!(
            (down.version, down.direction),
            (20260101120000, Direction::Down)
        );
        let fwd = parse_name("7_seed.sql").unwrap().unwrap();
        assert!(fwd.forward_only);
        assert_eq!(parse_name("README.md"), None);
        assert_eq!(parse_name("users.sql"), Some(Err(NameError::NoVersion)));
        assert_eq!(parse_name("0001.sql"), Some(Err(NameError::NoSlug)));
        assert_eq!(parse_name("0001_.sql"), Some(Err(NameError::NoSlug)));
        assert_eq!(parse_name("0001-x.sql"), Some(Err(NameError::NoSlug)));
        assert!(matches!(
            parse_name("0001_a b.sql"),
            Some(Err(NameError::BadSlug(_)))
        ));
        assert!(matches!(
            parse_name("99999999999999999999_x.sql"),
            Some(Err(NameError::VersionOverflow(_)))
        ));
    }
}
