//! Reassembles the start of a byte stream from pieces that arrive out of order, overlap or
//! repeat: the client's first TCP flight (a ClientHello that spans segments, an HTTP head,
//! DNS-over-TCP messages) and the CRYPTO stream of QUIC Initials.
//!
//! Offsets count from the start of the stream. Only the window `[0, cap)` past the bytes
//! already consumed is kept, so memory per stream is bounded whatever the peer sends.

/// At most this many separate filled ranges are tracked; a stream with more holes than that
/// is not worth reassembling (it is lost or adversarial).
const MAX_RANGES: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct Reassembler {
    /// Stream offset of `buf[0]`.
    start: u64,
    buf: Vec<u8>,
    /// Filled ranges of `buf`, sorted, disjoint and not touching.
    have: Vec<(usize, usize)>,
    cap: usize,
    /// Bytes offered past the window or dropped for too many holes.
    overflow: bool,
}

impl Reassembler {
    pub fn new(cap: usize) -> Self {
        Reassembler {
            cap,
            ..Default::default()
        }
    }

    /// Adds the bytes at stream offset `offset`. Bytes before the window (already consumed
    /// or retransmitted) and past it are ignored; overlaps keep the bytes first received.
    pub fn insert(&mut self, offset: u64, data: &[u8]) {
        let end = offset.saturating_add(data.len() as u64);
        let lo = offset.max(self.start);
        let window_end = self.start.saturating_add(self.cap as u64);
        if end > window_end {
            self.overflow = true;
        }
        let hi = end.min(window_end);
        if lo >= hi {
            return;
        }
        let (a, b) = ((lo - self.start) as usize, (hi - self.start) as usize);
        let src = &data[(lo - offset) as usize..(hi - offset) as usize];
        if self.buf.len() < b {
            self.buf.resize(b, 0);
        }
        // Copy only into the gaps, so the first copy of each byte wins.
        let mut at = a;
        for &(x, y) in &self.have {
            if y <= at {
                continue;
            }
            if x >= b {
                break;
            }
            if x > at {
                self.buf[at..x].copy_from_slice(&src[at - a..x - a]);
            }
            at = at.max(y);
            if at >= b {
                break;
            }
        }
        if at < b {
            self.buf[at..b].copy_from_slice(&src[at - a..b - a]);
        }
        self.add_range(a, b);
    }

    fn add_range(&mut self, a: usize, b: usize) {
        let i = self.have.partition_point(|r| r.1 < a);
        let mut j = i;
        let (mut x, mut y) = (a, b);
        while let Some(&(p, q)) = self.have.get(j) {
            if p > y {
                break;
            }
            x = x.min(p);
            y = y.max(q);
            j += 1;
        }
        self.have.splice(i..j, [(x, y)]);
        if self.have.len() > MAX_RANGES {
            // Keep the front, which is what the caller waits for.
            self.have.truncate(MAX_RANGES);
            self.overflow = true;
        }
    }

    /// The bytes from the start of the window up to the first hole.
    pub fn contiguous(&self) -> &[u8] {
        match self.have.first() {
            Some(&(0, end)) => &self.buf[..end],
            _ => &[],
        }
    }

    /// Stream offset of the first byte of [`Self::contiguous`].
    pub fn offset(&self) -> u64 {
        self.start
    }

    /// Drops the first `n` contiguous bytes, sliding the window forward.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.contiguous().len());
        if n == 0 {
            return;
        }
        self.buf.drain(..n);
        self.start += n as u64;
        self.have.retain_mut(|r| {
            r.0 = r.0.saturating_sub(n);
            r.1 = r.1.saturating_sub(n);
            r.1 > r.0
        });
    }

    /// Some bytes fell outside the window: what is waited for may never complete.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    pub fn window(&self) -> usize {
        self.cap
    }

    /// Frees the buffer (the stream is no longer inspected).
    pub fn release(&mut self) {
        *self = Reassembler::new(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_out_of_order_and_overlapping_pieces() {
        let mut r = Reassembler::new(64);
        r.insert(5, b"fghij");
        assert_eq!(r.contiguous(), b"");
        r.insert(0, b"abc");
        assert_eq!(r.contiguous(), b"abc");
        // A retransmission with different bytes does not overwrite.
        r.insert(2, b"XdeXX");
        assert_eq!(r.contiguous(), b"abcdefghij");
        r.insert(0, b"abcdefghijkl");
        assert_eq!(r.contiguous(), b"abcdefghijkl");
    }

    #[test]
    fn window_bounds_memory_and_slides() {
        let mut r = Reassembler::new(8);
        r.insert(0, b"0123456789");
        assert_eq!(r.contiguous(), b"01234567");
        assert!(r.overflowed());
        r.consume(6);
        assert_eq!(r.offset(), 6);
        assert_eq!(r.contiguous(), b"67");
        r.insert(6, b"6789abcdefgh");
        assert_eq!(r.contiguous(), b"6789abcd");
        // Bytes already consumed are ignored.
        r.insert(0, b"zzzzzzzzzzzz");
        assert_eq!(r.contiguous(), b"6789abcd");
    }

    #[test]
    fn many_holes_are_bounded() {
        let mut r = Reassembler::new(1 << 16);
        for i in 0..100u64 {
            r.insert(10 + i * 3, b"x");
        }
        assert!(r.have.len() <= MAX_RANGES);
        assert!(r.overflowed());
        r.insert(0, &[b'y'; 10]);
        assert_eq!(r.contiguous(), b"yyyyyyyyyyx");
    }

    #[test]
    fn random_pieces_rebuild_the_stream() {
        let data: Vec<u8> = (0..2000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50 {
            let mut r = Reassembler::new(4096);
            let mut pieces = Vec::new();
            let mut at = 0;
            while at < data.len() {
                let len = 1 + (next() % 300) as usize;
                let end = (at + len).min(data.len());
                pieces.push((at, end));
                // Sometimes a retransmission that straddles two pieces.
                if next() % 4 == 0 {
                    pieces.push((at.saturating_sub(20), end));
                }
                at = end;
            }
            for i in (1..pieces.len()).rev() {
                pieces.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            for (a, b) in pieces {
                r.insert(a as u64, &data[a..b]);
            }
            assert_eq!(r.contiguous(), &data[..]);
        }
    }
}
