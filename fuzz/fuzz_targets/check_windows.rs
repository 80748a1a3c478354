//! Differential: the per-file check read in tiny windows (so every window
//! boundary, and every `INSERT ... VALUES` read in pieces, falls somewhere
//! in a short input) gives exactly what reading the input in one window
//! gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgmigrate_build::{Config, Direction};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the direction and the window size (1-128 bytes).
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let direction = if first & 1 == 1 {
        Direction::Down
    } else {
        Direction::Up
    };
    let window = 1 + usize::from(first >> 1);
    let config = Config::new();
    let whole = config.check_file_in_windows("fuzz.up.sql", bytes, direction, usize::MAX);
    let windowed = config.check_file_in_windows("fuzz.up.sql", bytes, direction, window);
    assert_eq!(
        windowed,
        whole,
        "windows of {window} bytes differ from one window: {:?}",
        String::from_utf8_lossy(bytes)
    );
});
