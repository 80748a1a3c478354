//! Text that the SQL tokenizer must not see: the data lines of
//! `COPY ... FROM stdin;` (up to the `\.` line) and psql meta-command lines
//! (`\set`, `\connect`, ...). Both are blanked byte for byte with spaces, so
//! byte offsets, lines and the columns of every other line are unchanged.

use std::borrow::Cow;

use crate::source::LineIndex;

/// A psql meta-command line that was blanked (byte range in the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetaCommand {
    pub start: usize,
    pub end: usize,
}

/// The body with COPY data and meta-commands blanked, and the meta-commands
/// found; `lines` is the line index of `body`.
pub(crate) fn blank_non_sql<'a>(
    body: &'a str,
    lines: &LineIndex,
) -> (Cow<'a, str>, Vec<MetaCommand>) {
    let bytes = body.as_bytes();
    // A line that starts with `\`, read from the line index (no pass over
    // the text).
    let mut has_backslash_line = false;
    for &start in lines.line_starts() {
        if bytes.get(start) == Some(&b'\\') {
            has_backslash_line = true;
            break;
        }
    }
    if !has_backslash_line && !contains_ignore_case(bytes, b"stdin") {
        return (Cow::Borrowed(body), Vec::new());
    }
    let mut out: Vec<u8> = bytes.to_vec();
    let mut metas = Vec::new();
    let mut in_copy_statement = false;
    let mut in_data = false;
    let mut pos = 0;
    while pos < bytes.len() {
        let end = memchr_newline(body, pos);
        let line = &bytes[pos..end];
        let trimmed = trim_ascii(line);
        if in_data {
            if trimmed == b"\\." {
                // The terminator stays: sqlparser's tokenizer reads the
                // payload of `COPY ... FROM stdin` up to it.
                in_data = false;
            } else {
                blank(&mut out[pos..end]);
            }
        } else if trimmed.first() == Some(&b'\\')
            && trimmed
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'!')
        {
            let lead = line.len() - trim_start(line).len();
            metas.push(MetaCommand {
                start: pos + lead,
                end: pos + lead + trimmed.len(),
            });
            blank(&mut out[pos..end]);
        } else {
            if starts_with_ignore_case(trimmed, b"copy ") {
                in_copy_statement = true;
            }
            if in_copy_statement && trimmed.ends_with(b";") {
                in_copy_statement = false;
                let upper: Vec<u8> = trimmed.to_ascii_lowercase();
                let words: Vec<&[u8]> = upper
                    .split(|b| b.is_ascii_whitespace() || *b == b';')
                    .filter(|w| !w.is_empty())
                    .collect();
                if words
                    .windows(2)
                    .any(|w| w[0] == b"from" && w[1] == b"stdin")
                {
                    in_data = true;
                }
            }
        }
        pos = end + 1;
    }
    // Only ASCII bytes were replaced by spaces and whole lines were blanked,
    // so the result is still UTF-8; fall back to the original if not.
    match String::from_utf8(out) {
        Ok(text) => (Cow::Owned(text), metas),
        Err(_) => (Cow::Borrowed(body), metas),
    }
}

fn blank(line: &mut [u8]) {
    for b in line.iter_mut() {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

/// Index of the next `\n` at or after `from` (a line start), or the end.
fn memchr_newline(body: &str, from: usize) -> usize {
    // `str::find` with a `char` searches with `memchr`.
    body.get(from..)
        .and_then(|rest| rest.find('\n'))
        .map_or(body.len(), |i| from + i)
}

fn trim_start(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    &line[start..]
}

fn trim_ascii(line: &[u8]) -> &[u8] {
    let line = trim_start(line);
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}

fn starts_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Whether `haystack` contains `needle` (ASCII case-insensitive).
///
/// Runs on every file, so it is written to be cheap where build scripts
/// run, unoptimised: eight positions at a time are tested for two bytes of
/// the needle with plain `u64` arithmetic (a handful of instructions a word,
/// where a loop over bytes costs dozens a byte unoptimised), and only a
/// position of a word that may match is compared in full. The two bytes are
/// the needle's second and third when it has three: for `stdin`, `td` is
/// far rarer in SQL than `st` (`constraint`, `exists`), so few words need
/// the comparison. (Measured, and slower: a search from one byte with
/// `memchr`, as [`ascii_matches`] does, since every letter of `stdin` is
/// common in SQL.)
///
/// [`ascii_matches`]: crate::source::ascii_matches
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    const LOWS: u64 = u64::from_le_bytes([0x7f; 8]);
    let n = needle.len();
    let Some(last_start) = haystack.len().checked_sub(n) else {
        return false;
    };
    let matches_at = |start: usize| haystack[start..start + n].eq_ignore_ascii_case(needle);
    if n < 2 {
        return (0..=last_start).any(matches_at);
    }
    // Offset in the needle of the tested pair. `b | 0x20` lower-cases an
    // ASCII letter, so a letter of the pair matches in both cases.
    let p = usize::from(n >= 3);
    let fold = |b: u8| if b.is_ascii_alphabetic() { 0x20 } else { 0 };
    let (first, second) = (
        needle[p].to_ascii_lowercase(),
        needle[p + 1].to_ascii_lowercase(),
    );
    let (first_fold, second_fold) = (
        u64::from_le_bytes([fold(first); 8]),
        u64::from_le_bytes([fold(second); 8]),
    );
    let (first, second) = (
        u64::from_le_bytes([first; 8]),
        u64::from_le_bytes([second; 8]),
    );
    // The high bit of each byte of `x` that is zero (no carry crosses a byte).
    let zeros = |x: u64| !(((x & LOWS) + LOWS) | x | LOWS);
    // Word `k` holds the pair's first bytes of the starts `8 * k ..`; the
    // second bytes are the same word shifted by one byte, with the next
    // byte of the text on top.
    let pairs = &haystack[p..];
    let (words, _) = pairs.as_chunks::<8>();
    let mut k = 0;
    while k < words.len() {
        let word = u64::from_le_bytes(words[k]);
        let after = 8 * k + 8;
        let next = if after < pairs.len() { pairs[after] } else { 0 };
        let shifted = (word >> 8) | (u64::from(next) << 56);
        let mut maybe =
            zeros((word | first_fold) ^ first) & zeros((shifted | second_fold) ^ second);
        while maybe != 0 {
            let start = 8 * k + maybe.trailing_zeros() as usize / 8;
            if start <= last_start && matches_at(start) {
                return true;
            }
            maybe &= maybe - 1;
        }
        k += 1;
    }
    let mut start = 8 * words.len();
    while start <= last_start {
        if matches_at(start) {
            return true;
        }
        start += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_data_is_blanked_keeping_lines() {
        let sql = "COPY t (a, b) FROM stdin;\n1\t'x\n2\t$$y\n\\.\nSELECT 1;\n";
        let (out, metas) = blank_non_sql(sql, &LineIndex::new(sql));
        assert!(metas.is_empty());
        assert_eq!(out.len(), sql.len());
        assert_eq!(out.lines().count(), sql.lines().count());
        assert!(out.starts_with("COPY t (a, b) FROM stdin;\n"));
        assert!(out.ends_with("\n\\.\nSELECT 1;\n"));
        assert!(!out.contains('\''));
    }

    #[test]
    fn meta_commands_are_blanked_and_reported() {
        let sql = "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\connect db\n";
        let (out, metas) = blank_non_sql(sql, &LineIndex::new(sql));
        assert_eq!(out.trim(), "SELECT 1;");
        assert_eq!(metas.len(), 2);
        assert_eq!(&sql[metas[1].start..metas[1].end], "\\connect db");
    }

    #[test]
    fn contains_ignore_case_matches_a_window_scan() {
        let text = b"copy t from StDiN; -- stdi\nSTDIN x stdin";
        for end in 0..=text.len() {
            let hay = &text[..end];
            for needle in [&b"stdin"[..], b"st", b"s", b"t;"] {
                let scan = hay
                    .windows(needle.len())
                    .any(|w| w.eq_ignore_ascii_case(needle));
                assert_eq!(contains_ignore_case(hay, needle), scan, "{end} {needle:?}");
            }
        }
        // Pseudo-random texts over the needle's letters (a fixed LCG), at
        // every length and alignment around the 8-byte words.
        let alphabet = b"sStTdDiInN x;\n\xd4\xc4\x00";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for len in 0..200 {
            for _ in 0..20 {
                let hay: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        alphabet[(state >> 33) as usize % alphabet.len()]
                    })
                    .collect();
                for needle in [&b"stdin"[..], b"td", b"st", b"s", b"t;", b";\n\x00"] {
                    let scan = hay
                        .windows(needle.len())
                        .any(|w| w.eq_ignore_ascii_case(needle));
                    assert_eq!(
                        contains_ignore_case(&hay, needle),
                        scan,
                        "{hay:?} {needle:?}"
                    );
                }
            }
        }
        let long = format!("{}stdin", "x".repeat(200));
        assert!(contains_ignore_case(long.as_bytes(), b"STDIN"));
        assert!(!contains_ignore_case(&long.as_bytes()[..204], b"STDIN"));
    }

    #[test]
    fn untouched_when_nothing_to_blank() {
        assert!(matches!(
            blank_non_sql("SELECT 'a\\b';", &LineIndex::new("SELECT 'a\\b';")).0,
            Cow::Borrowed(_)
        ));
    }
}
