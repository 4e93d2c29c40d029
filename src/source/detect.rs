//! Format detection from content: every known format scores the head of the input; the
//! best score of 50 or more wins. File names are never consulted.

use crate::parse::{FORMATS, Format};

/// How many bytes of (decompressed) input detection looks at.
pub const HEAD_BYTES: usize = 64 * 1024;

pub enum Detected {
    Format(&'static Format),
    /// No format claimed the input: the best guesses with their scores, and whether the
    /// head looks binary.
    Unknown {
        guesses: Vec<(&'static str, u8)>,
        binary: bool,
    },
}

/// Cuts `head` at its last line end so probes never see a partial line (unless the head
/// is a single unterminated line).
pub fn whole_lines(head: &[u8]) -> &[u8] {
    match memchr::memrchr(b'\n', head) {
        Some(i) => &head[..=i],
        None => head,
    }
}

pub fn detect(head: &[u8]) -> Detected {
    let head = whole_lines(head);
    let mut scores: Vec<(&'static Format, u8)> =
        FORMATS.iter().map(|f| (*f, (f.probe)(head))).collect();
    // Stable sort keeps registry order among equal scores.
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    match scores.first() {
        Some(&(f, s)) if s >= 50 => Detected::Format(f),
        _ => Detected::Unknown {
            guesses: scores
                .iter()
                .filter(|(_, s)| *s > 0)
                .take(3)
                .map(|(f, s)| (f.id, *s))
                .collect(),
            binary: head.iter().take(4096).any(|&b| b == 0),
        },
    }
}
