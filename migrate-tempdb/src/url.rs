//! Pointing a connection string at another database.

/// Returns `conn` with its database replaced by `db`.
///
/// Accepts URLs (`postgres://user@host:5432/olddb?sslmode=disable`) and
/// key-value strings (`host=... dbname=...`). `db` must not need quoting
/// (checked by the callers: ASCII letters, digits and underscores).
pub(crate) fn with_database(conn: &str, db: &str) -> String {
    let trimmed = conn.trim();
    if let Some(scheme_end) = trimmed
        .strip_prefix("postgres://")
        .map(|_| "postgres://".len())
        .or_else(|| {
            trimmed
                .strip_prefix("postgresql://")
                .map(|_| "postgresql://".len())
        })
    {
        let (head, query) = match trimmed.find('?') {
            Some(q) => (&trimmed[..q], &trimmed[q..]),
            None => (trimmed, ""),
        };
        let authority_end = head[scheme_end..]
            .find('/')
            .map_or(head.len(), |i| scheme_end + i);
        format!("{}/{}{}", &head[..authority_end], db, query)
    } else {
        // Later keys win in libpq-style strings, and in the postgres crate.
        format!("{trimmed} dbname={db}")
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_path_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/old?sslmode=disable", "t1"),
            "postgres://u:p@h:5432/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "t1"), "postgresql://h/t1");
        assert_eq!(with_database("postgres://h/", "t1"), "postgres://h/t1");
    }

    #[test]
    fn appends_to_key_value_strings() {
        assert_eq!(
            with_database("host=h dbname=old", "t1"),
            "host=h dbname=old dbname=t1"
        );
    }
}
