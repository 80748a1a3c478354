//! Source text helpers: the checksum contract, BOM handling and a line index
//! that maps sqlparser's (line, column-in-characters) locations to byte offsets.

use sha2::{Digest, Sha256};

/// The UTF-8 byte order mark.
pub(crate) const BOM: &str = "\u{feff}";

/// Lowercase hex SHA-256 of the *normalized* text of a migration.
///
/// This is part of the on-disk contract (it is stored in the history table and
/// compared on every run), so it never changes without a migration path:
///
/// 1. strip one leading UTF-8 byte order mark (`EF BB BF`), if present;
/// 2. replace every `\r\n` by `\n` (a lone `\r` is kept);
/// 3. SHA-256 over the resulting UTF-8 bytes, written as 64 lowercase hex digits.
///
/// Nothing else is normalized: trailing whitespace, a final newline and comments
/// all count, so that what ran is exactly what is recorded.
pub fn checksum(text: &str) -> String {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut hasher = Sha256::new();
    let mut rest = text;
    while let Some(pos) = rest.find("\r\n") {
        hasher.update(&rest.as_bytes()[..pos]);
        hasher.update(b"\n");
        rest = &rest[pos + 2..];
    }
    hasher.update(rest.as_bytes());
    let digest = hasher.finalize();
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
}

/// Appends the offset just past every `\n` of `bytes`, and tells whether
/// `bytes` is all ASCII. Eight bytes are tested at once, and the `\n`s of a
/// word are found from a mask of them: lines are a few dozen bytes, so a
/// search call per line (`match_indices`) costs more than the search
/// itself. Whether the text is ASCII comes with it for one `|` a word
/// (`str::is_ascii` per line costs ~25 instructions a byte unoptimised).
fn push_line_starts(bytes: &[u8], starts: &mut Vec<usize>) -> bool {
    const LOWS: u64 = u64::from_le_bytes([0x7f; 8]);
    const NEWLINES: u64 = u64::from_le_bytes([b'\n'; 8]);
    let (words, tail) = bytes.as_chunks::<8>();
    let mut high_bits = 0;
    // `while`, not an iterator: a call per word when the build script runs
    // unoptimised.
    let mut k = 0;
    while k < words.len() {
        let word = u64::from_le_bytes(words[k]);
        high_bits |= word;
        // The bytes of `x` that are zero are the word's `\n`s; `zero` gets
        // the high bit of exactly those bytes (no carry crosses a byte).
        let x = word ^ NEWLINES;
        let mut zero = !(((x & LOWS) + LOWS) | x | LOWS);
        while zero != 0 {
            let byte = zero.trailing_zeros() as usize / 8;
            starts.push(8 * k + byte + 1);
            zero &= zero - 1;
        }
        k += 1;
    }
    let at = 8 * words.len();
    let mut ascii = high_bits & !LOWS == 0;
    for (i, &b) in tail.iter().enumerate() {
        ascii &= b.is_ascii();
        if b == b'\n' {
            starts.push(at + i + 1);
        }
    }
    ascii
}

/// Byte offsets of line starts in a text, for (line, column) <-> byte conversions.
///
/// Lines are separated by `\n` only (as sqlparser's tokenizer counts them);
/// columns count characters, 1-based.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    /// Whether the indexed text is all ASCII (a column is then a byte).
    ascii: bool,
}

impl Default for LineIndex {
    /// The index of the empty text.
    fn default() -> LineIndex {
        LineIndex::new("")
    }
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        let ascii = push_line_starts(text.as_bytes(), &mut starts);
        LineIndex {
            starts,
            len: text.len(),
            ascii,
        }
    }

    /// Whether the indexed text is all ASCII.
    pub(crate) fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// The byte offset of the start of every line, in order.
    pub(crate) fn line_starts(&self) -> &[usize] {
        &self.starts
    }

    /// The index of `prefix + text` from the index of `text`, when `prefix`
    /// is `prefix_len` bytes without a `\n` (a byte order mark): the lines
    /// are the same, shifted by `prefix_len` bytes.
    pub(crate) fn with_prefix(mut self, prefix_len: usize) -> LineIndex {
        if prefix_len > 0 {
            for start in self.starts.iter_mut().skip(1) {
                *start += prefix_len;
            }
            // A byte order mark is not ASCII.
            self.ascii = false;
        }
        self.len += prefix_len;
        self
    }

    /// Byte offset of the start of 1-based `line` (clamped).
    pub(crate) fn line_start(&self, line: usize) -> usize {
        let i = line.saturating_sub(1).min(self.starts.len() - 1);
        self.starts[i]
    }

    /// Byte offset just past the end of 1-based `line`, without its `\n`.
    pub(crate) fn line_end(&self, line: usize) -> usize {
        let i = line.saturating_sub(1);
        match self.starts.get(i + 1) {
            Some(&next) => next - 1,
            None => self.len,
        }
    }

    /// 1-based (line, column) of a byte offset of `text`.
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line.max(1) - 1];
        let col = text[start..offset].chars().count() + 1;
        (clamp_u32(line), clamp_u32(col))
    }

    /// Byte offset of a 1-based (line, column) location of `text` (clamped).
    pub(crate) fn offset(&self, text: &str, line: u64, column: u64) -> usize {
        let line = usize::try_from(line).unwrap_or(usize::MAX);
        let start = self.line_start(line);
        let end = self.line_end(line.max(1));
        advance_chars(text, start, end, column.saturating_sub(1))
    }
}

/// Byte offset after skipping `n` characters from `from`, never beyond `limit`.
pub(crate) fn advance_chars(text: &str, from: usize, limit: usize, n: u64) -> usize {
    let Some(slice) = text.get(from..limit.max(from)) else {
        return from.min(text.len());
    };
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n <= slice.len() && slice.as_bytes()[..n].is_ascii() {
        return from + n;
    }
    match slice.char_indices().nth(n) {
        Some((i, _)) => from + i,
        None => limit.max(from),
    }
}

/// Start offsets of the occurrences of the ASCII `needle` in `haystack`,
/// in order.
///
/// Runs on every file before anything else, so it is written for the way
/// build scripts are compiled by default, unoptimised: candidates are found
/// by searching for one byte of the needle, `needle[probe]` (pick a rare
/// one), with `str::find(char)`, which uses the standard library's `memchr`,
/// compiled optimised even then. (A substring search or an iterator chain
/// over the bytes is instantiated in the calling crate and runs about 40x
/// slower unoptimised.)
pub(crate) fn ascii_matches<'a>(
    haystack: &'a str,
    needle: &'a str,
    probe: usize,
) -> impl Iterator<Item = usize> + 'a {
    let wanted = needle.as_bytes();
    let probe_char = wanted.get(probe).map(|&b| char::from(b));
    let mut from = 0;
    std::iter::from_fn(move || {
        let probe_char = probe_char?;
        while let Some(found) = haystack.get(from..).and_then(|rest| rest.find(probe_char)) {
            let at = from + found;
            // The probe byte is ASCII: the next byte starts a character.
            from = at + 1;
            let start = at.checked_sub(probe)?;
            if haystack.as_bytes().get(start..start + wanted.len()) == Some(wanted) {
                return Some(start);
            }
        }
        None
    })
}

pub(crate) fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_are_found_in_words_and_the_tail() {
        let texts = [
            "",
            "\n",
            "a",
            "abcdefg\nabcdefgh\n\n\n12345678\n",
            "é\u{a0}\n\u{10a0a}\n\n\u{8a}x\u{10}\n",
            "\n\n\n\n\n\n\n\n\n",
            "\x0b\x09\x0a\u{8a}\x0a",
        ];
        // And every text of up to five pieces (the digits of `n` in base 8):
        // newlines, bytes next to `\n`, letters, multi-byte characters whose
        // bytes hold 0x0a + 0x80, at every place in a word.
        let pieces = [
            "\n",
            "\x0b",
            "\x09",
            "a",
            "\u{8a}",
            "\u{10a0a}",
            "é",
            "\r\n",
        ];
        let combos: Vec<String> = (0..8usize.pow(5))
            .map(|mut n| {
                let mut text = String::new();
                while n > 0 {
                    text.push_str(pieces[n % 8]);
                    n /= 8;
                }
                text
            })
            .collect();
        for text in texts.into_iter().chain(combos.iter().map(String::as_str)) {
            let expected: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            let index = LineIndex::new(text);
            assert_eq!(index.line_starts(), expected, "{text:?}");
            assert_eq!(index.is_ascii(), text.is_ascii(), "{text:?}");
        }
    }

    #[test]
    fn checksum_normalizes_bom_and_crlf() {
        let plain = checksum("CREATE TABLE t (id int);\nSELECT 1;\n");
        assert_eq!(
            plain,
            checksum("\u{feff}CREATE TABLE t (id int);\r\nSELECT 1;\r\n")
        );
        assert_ne!(plain, checksum("CREATE TABLE t (id int);\nSELECT 1;"));
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(checksum("a\rb"), checksum("a\rb"));
        assert_ne!(checksum("a\rb"), checksum("a\nb"));
    }

    #[test]
    fn ascii_matches_match_a_window_scan() {
        let text = "copy t from stdin; -- stdi\nstdin x stdin é:migrate:migrate: 日本 \n\\";
        for end in 0..=text.len() {
            let Some(hay) = text.get(..end) else { continue };
            for (needle, probe) in [
                ("stdin", 2),
                ("st", 0),
                ("s", 0),
                ("migrate:", 7),
                ("\n\\", 1),
            ] {
                let scan: Vec<usize> = (0..hay.len())
                    .filter(|&i| hay.as_bytes()[i..].starts_with(needle.as_bytes()))
                    .collect();
                let found: Vec<usize> = ascii_matches(hay, needle, probe).collect();
                assert_eq!(found, scan, "{hay:?} {needle}");
            }
        }
    }

    #[test]
    fn line_index_round_trips() {
        let text = "ab\néé x\n\nlast";
        let index = LineIndex::new(text);
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let (line, col) = index.line_col(text, offset);
            assert_eq!(
                index.offset(text, line.into(), col.into()),
                offset,
                "{offset}"
            );
        }
        assert_eq!(index.line_col(text, 7), (2, 3));
        assert_eq!(index.offset(text, 99, 99), text.len());
    }
}
