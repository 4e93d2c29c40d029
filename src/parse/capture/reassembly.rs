//! Reassembles the start of a byte stream from pieces that arrive out of order, overlap or
//! repeat: the client's first TCP flight (a ClientHello that spans segments, an HTTP head,
//! DNS-over-TCP messages) and the CRYPTO stream of QUIC Initials.
//!
//! Offsets count from the start of the stream. Only the window `[0, cap)` past the bytes
//! already consumed is kept, so memory per stream is bounded whatever the peer sends.

/// At most this many out-of-order pieces are held; a stream with more holes than that is
/// not worth reassembling (it is lost or adversarial).
const MAX_PIECES: usize = 64;

/// Pieces that arrive ahead of the contiguous data are kept as received, never by
/// reserving the space up to their offset: memory follows the bytes received, so a peer
/// cannot make the scanner hold a window per flow by sending one byte far ahead.
#[derive(Clone, Debug, Default)]
pub struct Reassembler {
    /// Stream offset of `buf[0]`.
    start: u64,
    /// The contiguous bytes from `start`.
    buf: Vec<u8>,
    /// Pieces past the end of `buf`, by offset.
    pending: Vec<(u64, Vec<u8>)>,
    pending_bytes: usize,
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

    fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    /// Adds the bytes at stream offset `offset`. Bytes before the window (already consumed
    /// or retransmitted) and past it are ignored; overlaps keep the bytes already held.
    pub fn insert(&mut self, offset: u64, data: &[u8]) {
        let (mut off, mut data) = (offset, data);
        loop {
            let end = self.end();
            let last = off.saturating_add(data.len() as u64);
            if last <= end {
                return;
            }
            if off < end {
                data = &data[(end - off) as usize..];
                off = end;
            }
            let window_end = self.start.saturating_add(self.cap as u64);
            if off >= window_end {
                self.overflow = true;
                return;
            }
            if off + data.len() as u64 > window_end {
                self.overflow = true;
                data = &data[..(window_end - off) as usize];
            }
            if off > end {
                if self.pending.len() >= MAX_PIECES || self.pending_bytes + data.len() > self.cap {
                    self.overflow = true;
                    return;
                }
                let at = self.pending.partition_point(|p| p.0 <= off);
                self.pending.insert(at, (off, data.to_vec()));
                self.pending_bytes += data.len();
                return;
            }
            // At the end of the contiguous bytes: take them up to the next held piece,
            // which was here first, then join every held piece that now touches the end.
            let take = match self.pending.first() {
                Some(&(p, _)) if p < off + data.len() as u64 => (p - off) as usize,
                _ => data.len(),
            };
            self.buf.extend_from_slice(&data[..take]);
            while let Some((p, _)) = self.pending.first() {
                let end = self.end();
                if *p > end {
                    break;
                }
                let (p, piece) = self.pending.remove(0);
                self.pending_bytes -= piece.len();
                if let Some(rest) = piece.get((end - p) as usize..) {
                    self.buf.extend_from_slice(rest);
                }
            }
            data = &data[take..];
            off += take as u64;
            if data.is_empty() {
                return;
            }
        }
    }

    /// The bytes from the start of the window up to the first hole.
    pub fn contiguous(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the first `n` contiguous bytes, sliding the window forward.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.start += n as u64;
    }

    /// Some bytes fell outside the window: what is waited for may never complete.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    pub fn window(&self) -> usize {
        self.cap
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
        assert_eq!(r.start, 6);
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
        for i in 0..200u64 {
            r.insert(10 + i * 3, b"x");
        }
        assert!(r.pending.len() <= MAX_PIECES);
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

    #[test]
    fn a_byte_far_ahead_holds_one_byte() {
        let mut r = Reassembler::new(64 << 10);
        r.insert(65_000, b"x");
        assert_eq!(r.buf.capacity(), 0);
        assert_eq!(r.pending_bytes, 1);
        assert_eq!(r.contiguous(), b"");
    }
}
