//! Keeping passwords out of every line the CLI prints, without touching
//! anything else.
//!
//! A password is masked where it appears *as a password*:
//! - [`redact`] (every printed line) masks the password slot of anything that
//!   looks like a connection string: `scheme://user:PASS@host` and
//!   `password=PASS` (also `PGPASSWORD=PASS`). It never searches the text for
//!   the password's characters, so a password that is a common word (`app`,
//!   `e`) leaves `applied_at`, `CREATE TABLE app_settings` or `error` alone.
//! - [`redact_connection_text`] is for texts about the connection itself
//!   (driver errors while connecting, a rejected connection string, a
//!   panic): it also masks the known secrets of the connection string in use
//!   ([`Redactor`], raw and percent-decoded) where they stand as a whole
//!   token, not inside a longer word.

use std::sync::OnceLock;

/// What replaces a secret.
pub const MASK: &str = "***";

/// The process-wide redactor, set once the connection string is known; the
/// panic hook and the error printer use it.
static GLOBAL: OnceLock<Redactor> = OnceLock::new();

/// Registers the secrets of `conninfo`, and `password` when the password
/// came from elsewhere (`PGPASSWORD`, the password file), for
/// [`redact_connection_text`]; later calls are ignored.
pub fn install_with_password(conninfo: &str, password: Option<&str>) {
    let mut redactor = Redactor::from_conninfo(conninfo);
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        redactor.secrets.push(password.to_string());
        redactor.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        redactor.secrets.dedup();
    }
    let _ = GLOBAL.set(redactor);
}

/// Masks the passwords of connection strings in `text` (see the module docs);
/// for every line the CLI prints.
pub fn redact(text: &str) -> String {
    redact_patterns(text)
}

/// For texts about the connection (driver errors while connecting, a
/// rejected connection string, a panic): [`redact`], plus the installed
/// secrets wherever they stand as a whole token.
pub fn redact_connection_text(text: &str) -> String {
    match GLOBAL.get() {
        Some(r) => r.redact(text),
        None => redact_patterns(text),
    }
}

/// Knows the secrets of one connection string.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Extracts the password(s) from a URL (`postgres://user:pass@host/db`,
    /// `postgresql://...`, `?password=...`) or key=value (`password=...`) string.
    pub fn from_conninfo(conninfo: &str) -> Self {
        let mut secrets = Vec::new();
        for raw in find_passwords(conninfo) {
            if raw.is_empty() {
                continue;
            }
            let decoded = percent_decode(&raw);
            if !decoded.is_empty() && decoded != raw {
                secrets.push(decoded);
            }
            secrets.push(raw);
        }
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every known secret that stands as a whole token (not
    /// inside a longer word) and every password-looking value masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = redact_patterns(text);
        for s in &self.secrets {
            out = mask_whole_tokens(&out, s);
        }
        out
    }
}

/// `text` with every occurrence of `secret` that is not glued to a letter,
/// digit or `_` on either side replaced by [`MASK`].
fn mask_whole_tokens(text: &str, secret: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(secret)) {
        let start = from + found;
        let end = start + secret.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if word(before) || word(after) {
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(MASK);
        copied = end;
        from = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The password values (as written, not decoded) found in a connection string.
fn find_passwords(conninfo: &str) -> Vec<String> {
    let mut found = Vec::new();
    // URL user info.
    if let Some(range) = url_password_range(conninfo, 0) {
        found.push(conninfo[range].to_string());
    }
    // `password=...` as a query parameter or key=value pair.
    let mut from = 0;
    while let Some((value_range, next)) = keyword_value_range(conninfo, from) {
        let value = &conninfo[value_range];
        let value = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .map(|v| v.replace("\\'", "'").replace("\\\\", "\\"))
            .unwrap_or_else(|| value.to_string());
        found.push(value);
        from = next;
    }
    found
}

/// Masks every `scheme://user:PASS@` user-info password and every
/// `password=VALUE` (any case, also `PGPASSWORD=`) in `text`.
pub fn redact_patterns(text: &str) -> String {
    let mut out = text.to_string();
    // URL passwords.
    let mut from = 0;
    while let Some(range) = url_password_range(&out, from) {
        if &out[range.clone()] == MASK {
            from = range.end;
            continue;
        }
        out.replace_range(range.clone(), MASK);
        from = range.start + MASK.len();
    }
    // key=value passwords.
    let mut from = 0;
    while let Some((range, _)) = keyword_value_range(&out, from) {
        if &out[range.clone()] == MASK {
            from = range.end;
            continue;
        }
        out.replace_range(range.clone(), MASK);
        from = range.start + MASK.len();
    }
    out
}

/// Byte range of the password in the first `scheme://user:password@host` at or
/// after `from`.
fn url_password_range(text: &str, from: usize) -> Option<std::ops::Range<usize>> {
    let mut search = from;
    while let Some(pos) = text.get(search..)?.find("://") {
        let authority_start = search + pos + 3;
        let rest = &text[authority_start..];
        // The authority ends at a path, query, fragment, whitespace or quote.
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '`') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                let start = authority_start + colon + 1;
                let stop = authority_start + at;
                if stop > start {
                    return Some(start..stop);
                }
            }
        }
        search = authority_start;
    }
    None
}

/// Byte range of the value of the first `password = value` at or after `from`
/// (quoted values include their quotes), and where to continue searching.
fn keyword_value_range(text: &str, from: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut search = from;
    loop {
        let pos = search + lower.get(search..)?.find("password")?;
        let mut i = pos + "password".len();
        let bytes = text.as_bytes();
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            search = pos + 1;
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let start = i;
        if i < bytes.len() && bytes[i] == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'&' | b'"' | b'`' | b',' | b')')
            {
                i += 1;
            }
        }
        if i > start {
            return Some((start..i, i));
        }
        search = i;
    }
}

/// Decodes `%XX` escapes; invalid escapes and invalid UTF-8 are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_password_is_masked() {
        let url = "postgres://alice:s3cr%40t@db.example.com:5432/app?sslmode=require";
        let r = Redactor::from_conninfo(url);
        let msg = format!("could not connect to {url}: password s3cr@t rejected");
        let out = r.redact(&msg);
        assert!(!out.contains("s3cr"), "{out}");
        assert!(
            out.contains("postgres://alice:***@db.example.com:5432/app"),
            "{out}"
        );
    }

    #[test]
    fn postgresql_scheme_and_unknown_urls() {
        let out = redact_patterns("x postgresql://u:pw@h/db y and mysql://a:b@c");
        assert_eq!(out, "x postgresql://u:***@h/db y and mysql://a:***@c");
    }

    #[test]
    fn url_without_password_is_unchanged() {
        let s = "postgres://alice@localhost/db and postgres://localhost/db";
        assert_eq!(redact_patterns(s), s);
    }

    #[test]
    fn keyword_form() {
        let conn = "host=localhost user=bob password='se\\' cret' dbname=app";
        let out = Redactor::from_conninfo(conn).redact(conn);
        assert!(!out.contains("cret"), "{out}");
        assert!(out.contains("dbname=app"), "{out}");
        let out = redact_patterns("host=h PASSWORD = hunter2 port=1");
        assert_eq!(out, "host=h PASSWORD = *** port=1");
        let out = redact_patterns("postgres://h/db?user=x&password=hunter2&sslmode=require");
        assert_eq!(out, "postgres://h/db?user=x&password=***&sslmode=require");
    }

    #[test]
    fn decoded_secret_is_masked_as_a_token() {
        let r = Redactor::from_conninfo("postgres://u:p%2Fw%20d@h/db");
        assert_eq!(r.redact("error: p/w d"), "error: ***");
        assert_eq!(r.redact("error: p%2Fw%20d"), "error: ***");
    }

    #[test]
    fn common_word_passwords_leave_other_text_alone() {
        for password in ["app", "applied", "e"] {
            let url = format!("postgres://alice:{password}@localhost/app_db");
            let r = Redactor::from_conninfo(&url);
            for text in [
                r#"{"applied_at":"2026-01-01T00:00:00Z","name":"create_app_settings"}"#,
                "CREATE TABLE app_settings (applied boolean);",
                "error: the migration was applied; see the help",
            ] {
                assert_eq!(redact(text), text);
            }
            // In a text about the connection, only whole tokens are masked.
            let about = "error connecting to app_db: server closed (applied_at unknown)";
            assert_eq!(r.redact(about), about, "{password}");
            let shown = r.redact(&format!("cannot connect to {url}"));
            assert_eq!(
                shown,
                "cannot connect to postgres://alice:***@localhost/app_db"
            );
            assert_eq!(
                r.redact(&format!("bad password {password}.")),
                "bad password ***."
            );
        }
    }

    #[test]
    fn symbol_passwords_are_masked_whole() {
        let url = "postgres://u:p%40ss%3Aw%2Frd!@h/db";
        let r = Redactor::from_conninfo(url);
        assert_eq!(r.redact("rejected: p@ss:w/rd!"), "rejected: ***");
        assert_eq!(r.redact(url), "postgres://u:***@h/db");
        let keyword = "host=h password='it\\'s a secret' dbname=d";
        assert_eq!(redact(keyword), "host=h password=*** dbname=d");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b%2"), "a@b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
