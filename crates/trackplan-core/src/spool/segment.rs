//! Segment file naming: `seg-<next sequence number at creation, 20 decimal digits>.log`.
//!
//! The fixed width makes lexical order equal numeric order, so `ls` shows segments oldest first.

use std::io;
use std::path::{Path, PathBuf};

const PREFIX: &str = "seg-";
const SUFFIX: &str = ".log";
const DIGITS: usize = 20;

/// The file name of the segment started when the next sequence number was `start`, such as
/// `seg-00000000000000000042.log`.
pub fn file_name(start: u64) -> String {
    format!("{PREFIX}{start:0DIGITS$}{SUFFIX}")
}

/// The sequence number named by a segment file name, or `None` for any other file.
pub fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segment files in `dir`, oldest first, as `(sequence number in the name, path)`.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(start) = name.to_str().and_then(parse_file_name) {
            segments.push((start, entry.path()));
        }
    }
    segments.sort_unstable_by_key(|&(start, _)| start);
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_numerically() {
        for start in [0, 1, 9, 10, 12345, u64::MAX] {
            assert_eq!(parse_file_name(&file_name(start)), Some(start));
        }
        assert!(file_name(9) < file_name(10));
        assert_eq!(file_name(42), "seg-00000000000000000042.log");
        assert_eq!(file_name(u64::MAX), "seg-18446744073709551615.log");
    }

    #[test]
    fn other_names_are_not_segments() {
        for name in [
            "LOCK",
            "seg-42.log",
            "seg-0000000000000000004x.log",
            "seg-+0000000000000000042.log",
            "seg-00000000000000000042.log.tmp",
            "seg-99999999999999999999.log", // over u64::MAX
        ] {
            assert_eq!(parse_file_name(name), None, "{name}");
        }
    }
}
