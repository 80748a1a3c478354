//! Splitting the TLS parameters that tokio-postgres does not know (and
//! rejects) out of a URL or key=value connection string.

use super::ConnectError;

/// The parameters handled here rather than by tokio-postgres.
const OWN_KEYS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslcompression",
];

/// `conninfo` without our parameters, and those parameters (decoded).
pub(super) fn split(conninfo: &str) -> Result<(String, Vec<(String, String)>), ConnectError> {
    let mut own = Vec::new();
    let rest = if is_url(conninfo) {
        strip_url_params(conninfo, &mut own)
    } else {
        strip_keyword_params(conninfo, &mut own)?
    };
    Ok((rest, own))
}

fn is_url(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Removes our parameters from the query string of a URL.
fn strip_url_params(url: &str, out: &mut Vec<(String, String)>) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k);
        if OWN_KEYS.contains(&key.as_str()) {
            out.push((key, decode(v)));
        } else {
            kept.push(pair);
        }
    }
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Removes our parameters from a `key=value key='va lue'` string and rebuilds it.
fn strip_keyword_params(s: &str, out: &mut Vec<(String, String)>) -> Result<String, ConnectError> {
    let bad = || ConnectError::InvalidConnectionString;
    let mut kept = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || key.is_empty() {
            return Err(bad());
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().ok_or_else(bad)?),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(bad()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.push(chars.next().ok_or_else(bad)?);
                    continue;
                }
                value.push(c);
                chars.next();
            }
        }
        if OWN_KEYS.contains(&key.as_str()) {
            out.push((key, value));
        } else {
            kept.push(format!(
                "{key}='{}'",
                value.replace('\\', "\\\\").replace('\'', "\\'")
            ));
        }
    }
    Ok(kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_params_are_split_and_decoded() {
        let (rest, own) = split(
            "postgres://u:p@h/db?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@h/db?application_name=x");
        assert_eq!(
            own,
            [
                ("sslmode".to_string(), "verify-full".to_string()),
                ("sslrootcert".to_string(), "/tmp/ca.pem".to_string())
            ]
        );
        let (rest, own) = split("postgresql://h/db?sslmode=require").unwrap();
        assert_eq!((rest.as_str(), own.len()), ("postgresql://h/db", 1));
    }

    #[test]
    fn keyword_params_are_split_and_requoted() {
        let (rest, own) =
            split("host=h dbname = 'my db' sslmode=require password='a\\'b'").unwrap();
        assert_eq!(rest, "host='h' dbname='my db' password='a\\'b'");
        assert_eq!(own, [("sslmode".to_string(), "require".to_string())]);
    }

    #[test]
    fn a_broken_keyword_string_is_an_error() {
        for bad in ["host", "=x", "host='open", "dbname=a\\"] {
            assert!(
                matches!(split(bad), Err(ConnectError::InvalidConnectionString)),
                "{bad}"
            );
        }
    }
}
