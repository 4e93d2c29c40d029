//! Parsers: one module per input format, all behind the same small interface.
//!
//! A [`Format`] sniffs the head of an input and builds a [`LineParser`]; the scan engine
//! feeds the parser one line at a time (without the line ending) and matches whatever
//! [`Observation`]s it emits. Parsers never panic on input: a line they can't read is a
//! [`ParseError`] with a short static reason, counted and reported by the engine.

pub mod capture;
pub mod dns;
pub mod proxy;
pub mod syslog;
pub mod url;
pub mod zeek;

use crate::observation::{Observation, OwnedObservation};
use std::fmt;

/// What a line turned out to be.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A log record (it may or may not have produced observations).
    Record,
    /// A header, comment or blank line: not a record, not counted as one.
    Meta,
}

/// Why a line could not be read. The reason is static so counting by reason allocates
/// nothing; it should say what was expected, e.g. "expected 10 fields".
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Called once per observation a line yields.
pub type Sink<'s> = dyn FnMut(&Observation<'_>) + 's;

/// A parser for one input format. One instance reads one input, in order, so it may keep
/// state between lines (a Zeek `#fields` header, a resolver's query-to-client map).
pub trait LineParser: Send {
    /// `line` has no trailing `\n` or `\r\n` and may hold any bytes (not only UTF-8).
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError>;
}

/// What a parser needs to know about the input it reads.
#[derive(Copy, Clone, Debug)]
pub struct FormatCtx {
    /// Year for timestamps that omit it (RFC 3164 syslog): the input's modification year.
    pub default_year: i32,
}

impl Default for FormatCtx {
    fn default() -> Self {
        FormatCtx { default_year: 1970 }
    }
}

/// An input format the scanner can detect and read.
pub struct Format {
    /// Stable id shown to users and accepted by `--format`, e.g. `proxy.squid`.
    pub id: &'static str,
    /// One-line description for `--help` and the summary.
    pub description: &'static str,
    /// How sure (0–100) this format is that `head` (the first bytes of an input, after
    /// decompression, cut at a line end) is its own. 50 or more claims the input.
    pub probe: fn(head: &[u8]) -> u8,
    /// Builds a parser for one input.
    pub new_parser: fn(ctx: &FormatCtx) -> Box<dyn LineParser>,
    /// Whether separate byte ranges of one file can be parsed independently (no state
    /// carried between lines), which lets one large file use every core.
    pub splittable: bool,
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// Every format, in tie-break order (earlier wins an equal probe score).
pub static FORMATS: &[&Format] = &[
    &proxy::squid::FORMAT,
    &proxy::squid::FORMAT_CLF,
    &zeek::FORMAT_TSV,
    &zeek::FORMAT_JSON,
    &dns::dnsmasq::FORMAT,
    &dns::unbound::FORMAT,
    &dns::bind::FORMAT,
];

pub fn format_by_id(id: &str) -> Option<&'static Format> {
    FORMATS.iter().copied().find(|f| f.id == id)
}

/// Lines of `head` for probing: non-empty, trailing `\r` removed, at most `max`.
pub fn head_lines(head: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(max)
}

/// The share (0–100) of the first 50 non-blank lines of `head` for which `pred` holds.
/// Lines for which `skip` holds (comments, headers) are left out of the vote.
pub fn line_vote(head: &[u8], skip: fn(&[u8]) -> bool, pred: fn(&[u8]) -> bool) -> u8 {
    let (mut yes, mut total) = (0u32, 0u32);
    for line in head_lines(head, 50).filter(|l| !skip(l)) {
        total += 1;
        yes += u32::from(pred(line));
    }
    (yes * 100).checked_div(total).map_or(0, |v| v as u8)
}

/// Parses `text` with a fresh parser of `format`: every observation (owned) and every
/// error with its 1-based line number. For tests and small tools, not the hot path.
pub fn parse_text(
    format: &Format,
    ctx: &FormatCtx,
    text: &[u8],
) -> (Vec<OwnedObservation>, Vec<(u64, ParseError)>) {
    let mut parser = (format.new_parser)(ctx);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if let Err(e) = parser.parse_line(line, &mut |o: &Observation<'_>| out.push(o.to_owned())) {
            errors.push((i as u64 + 1, e));
        }
    }
    (out, errors)
}

/// Helpers for the parsers' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{Format, FormatCtx, ParseError, parse_text};
    use crate::observation::OwnedObservation;

    /// Observations of `text` (one or more lines), asserting that no line fails.
    pub fn parse_ok(format: &Format, ctx: &FormatCtx, text: &str) -> Vec<OwnedObservation> {
        let (obs, errors) = parse_text(format, ctx, text.as_bytes());
        assert_eq!(errors, vec![], "{text}");
        obs
    }

    /// The error one line gives, asserting that it yields no observation.
    pub fn parse_err(format: &Format, ctx: &FormatCtx, line: &[u8]) -> ParseError {
        let mut p = (format.new_parser)(ctx);
        p.parse_line(line, &mut |_| panic!("no observation expected"))
            .unwrap_err()
    }
}
