//! The whole per-file check: bytes in, diagnostics out, then every
//! diagnostic rendered (plain and coloured) and on one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_build::{Config, Direction};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the direction, so down-only rules run too.
    let (direction, bytes) = match data.split_first() {
        Some((b, rest)) if b & 1 == 1 => (Direction::Down, rest),
        _ => (Direction::Up, data),
    };
    let result = Config::new().check_file("fuzz.up.sql", bytes, direction);
    if let Some(sql) = &result.sql {
        for span in &result.statements {
            // Spans are in bounds, ordered and on char boundaries.
            assert!(
                span.start <= span.end && span.end <= sql.len(),
                "span {span:?} out of bounds"
            );
            assert!(sql.is_char_boundary(span.start) && sql.is_char_boundary(span.end));
        }
        for pair in result.statements.windows(2) {
            assert!(
                pair[0].end <= pair[1].start,
                "overlapping statements {pair:?}"
            );
        }
    }
    for diagnostic in &result.diagnostics {
        let _ = diagnostic.render(false);
        let _ = diagnostic.render(true);
        let _ = diagnostic.one_line();
    }
});
