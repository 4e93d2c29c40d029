//! Line splitting over any reader with one reused buffer: no allocation per line, bytes
//! passed through untouched (no UTF-8 assumption), overlong lines skipped rather than
//! buffered without bound.

use std::io::{self, Read};

/// What [`LineReader::next_line`] found.
pub enum Line<'a> {
    /// A line without its `\n` (and without a `\r` before it).
    Text(&'a [u8]),
    /// A line longer than the limit; its bytes were skipped up to the next `\n`.
    TooLong,
}

pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    max_line: usize,
    /// Offset (from the reader's start) of the next unread line.
    offset: u64,
    /// A read error ends the input; it is kept for [`LineReader::take_error`] so the
    /// lines before it are still read.
    error: Option<io::Error>,
}

impl<R: Read> LineReader<R> {
    /// `max_line` bounds the memory one line may take.
    pub fn new(inner: R, max_line: usize) -> Self {
        let cap = max_line.max(64 * 1024) + 64 * 1024;
        LineReader {
            inner,
            buf: vec![0; cap],
            start: 0,
            end: 0,
            eof: false,
            max_line,
            offset: 0,
            error: None,
        }
    }

    /// The unread input, buffered bytes first, as a plain reader: for inputs that turn out
    /// not to be line-based (packet captures).
    pub fn into_read(self) -> impl Read {
        io::Cursor::new(self.buf[self.start..self.end].to_vec()).chain(self.inner)
    }

    /// The read error that ended the input early, if any.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Offset of the next line's first byte from where this reader started.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads ahead until at least `n` bytes (or the whole input) are buffered and returns
    /// them, without consuming anything: used to sniff the format.
    pub fn peek(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.buf.len());
        self.compact();
        while self.end - self.start < n && !self.eof {
            self.fill();
        }
        &self.buf[self.start..self.end]
    }

    /// Drops `prefix` if the input starts with it (a UTF-8 byte-order mark, say). Call
    /// after [`LineReader::peek`], before the first line.
    pub fn skip_prefix(&mut self, prefix: &[u8]) {
        if self.offset == 0 && self.buf[self.start..self.end].starts_with(prefix) {
            self.start += prefix.len();
            self.offset += prefix.len() as u64;
        }
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    fn fill(&mut self) {
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.eof = true;
                    self.error = Some(e);
                }
            }
            return;
        }
    }

    /// The next line, or `None` at the end of input. A read error also ends the input
    /// (see [`LineReader::take_error`]); a partial last line before it is dropped.
    pub fn next_line(&mut self) -> Option<Line<'_>> {
        let mut searched = self.start;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[searched..self.end]) {
                let nl = searched + i;
                let line_start = self.start;
                self.start = nl + 1;
                let len = nl - line_start;
                self.offset += len as u64 + 1;
                if len > self.max_line {
                    return Some(Line::TooLong);
                }
                let mut line = &self.buf[line_start..nl];
                if let Some(l) = line.strip_suffix(b"\r") {
                    line = l;
                }
                return Some(Line::Text(line));
            }
            if self.eof {
                if self.start == self.end || self.error.is_some() {
                    return None;
                }
                let (s, e) = (self.start, self.end);
                self.start = self.end;
                self.offset += (e - s) as u64;
                if e - s > self.max_line {
                    return Some(Line::TooLong);
                }
                let line = &self.buf[s..e];
                return Some(Line::Text(line.strip_suffix(b"\r").unwrap_or(line)));
            }
            let scanned = self.end - self.start;
            if scanned > self.max_line {
                return Some(self.skip_long_line());
            }
            self.compact();
            searched = scanned;
            if self.end == self.buf.len() {
                return Some(self.skip_long_line());
            }
            self.fill();
        }
    }

    /// Drops bytes up to and including the next `\n`.
    fn skip_long_line(&mut self) -> Line<'static> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                self.offset += i as u64 + 1;
                self.start += i + 1;
                return Line::TooLong;
            }
            self.offset += (self.end - self.start) as u64;
            self.start = 0;
            self.end = 0;
            if self.eof {
                return Line::TooLong;
            }
            self.fill();
        }
    }
}

/// Counts bytes read through it into a shared counter (drives the progress bar).
pub struct Counting<R> {
    pub inner: R,
    pub counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, to exercise refills.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn collect(data: &[u8], step: usize, max: usize) -> Vec<Option<Vec<u8>>> {
        let mut r = LineReader::new(Trickle(data, step), max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line() {
            out.push(match l {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong => None,
            });
        }
        assert_eq!(r.offset(), data.len() as u64);
        out
    }

    #[test]
    fn splits_lines_across_refills_and_keeps_bytes() {
        let data = b"a\r\nbb\n\xff\xfe x\n\nlast";
        for step in [1, 2, 3, 7, 1000] {
            let got = collect(data, step, 100);
            let want: Vec<Option<Vec<u8>>> = vec![
                Some(b"a".to_vec()),
                Some(b"bb".to_vec()),
                Some(b"\xff\xfe x".to_vec()),
                Some(vec![]),
                Some(b"last".to_vec()),
            ];
            assert_eq!(got, want, "step {step}");
        }
    }

    #[test]
    fn overlong_lines_are_skipped_not_buffered() {
        let mut data = b"ok\n".to_vec();
        data.extend(vec![b'x'; 300_000]);
        data.extend(b"\nafter\n");
        for step in [4096, 1 << 20] {
            let got = collect(&data, step, 1000);
            assert_eq!(
                got,
                vec![Some(b"ok".to_vec()), None, Some(b"after".to_vec())]
            );
        }
    }

    #[test]
    fn peek_does_not_consume() {
        let mut r = LineReader::new(Trickle(b"one\ntwo\n", 1), 100);
        assert_eq!(r.peek(6), b"one\ntw");
        assert!(matches!(r.next_line(), Some(Line::Text(b"one"))));
    }
}
