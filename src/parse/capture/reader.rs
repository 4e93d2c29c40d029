//! A streaming reader for capture files: classic pcap (both byte orders, microsecond and
//! nanosecond timestamps) and pcapng (several sections of either byte order, several
//! interfaces per section with their own link type and timestamp resolution).
//!
//! It reads from any [`Read`] in constant memory: one buffer, reused, holds the current
//! record or block, and each [`Packet`] borrows its bytes from it. Packets are numbered from
//! 1 in file order, as tshark numbers frames.
//!
//! Errors carry the byte offset where the bad record or block starts and a static reason.
//! A record cut short by the end of the file is one error item, after which the reader
//! ends; so is a block whose length is corrupt (it can't be resynchronised) and any I/O
//! error. A packet that names an interface its section doesn't have is an error item and
//! reading goes on.

use crate::time::Timestamp;
use std::fmt;
use std::io::{self, Read};

/// Largest record or block accepted. Real packets are at most 256 KiB (libpcap's maximum
/// snap length); anything far larger is a corrupt length, not a packet.
const MAX_BLOCK: usize = 16 << 20;

/// Most interfaces one pcapng section may describe.
const MAX_INTERFACES: usize = 65_536;

const PCAP_US_LE: [u8; 4] = [0xD4, 0xC3, 0xB2, 0xA1];
const PCAP_US_BE: [u8; 4] = [0xA1, 0xB2, 0xC3, 0xD4];
const PCAP_NS_LE: [u8; 4] = [0x4D, 0x3C, 0xB2, 0xA1];
const PCAP_NS_BE: [u8; 4] = [0xA1, 0xB2, 0x3C, 0x4D];
const NG_SHB: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];
const NG_BOM_LE: [u8; 4] = [0x4D, 0x3C, 0x2B, 0x1A];
const NG_BOM_BE: [u8; 4] = [0x1A, 0x2B, 0x3C, 0x4D];

const BT_IDB: u32 = 1;
const BT_PB: u32 = 2;
const BT_SPB: u32 = 3;
const BT_EPB: u32 = 6;

/// Whether `head` (the first bytes of an input) starts like a pcap or pcapng file.
pub fn sniff(head: &[u8]) -> bool {
    match head.get(..4) {
        Some(m) if m == PCAP_US_LE || m == PCAP_US_BE || m == PCAP_NS_LE || m == PCAP_NS_BE => true,
        Some(m) if m == NG_SHB => {
            matches!(head.get(8..12), Some(b) if b == NG_BOM_LE || b == NG_BOM_BE)
        }
        _ => false,
    }
}

/// Why a capture file (or part of it) could not be read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CaptureError {
    /// Byte offset in the input of the record or block that failed.
    pub offset: u64,
    pub reason: &'static str,
    /// For an I/O error, its kind.
    pub io: Option<io::ErrorKind>,
    /// The reader stops after this error: the input ended, or a length is corrupt and
    /// the next record cannot be found.
    pub ends_input: bool,
}

impl CaptureError {
    fn new(offset: u64, reason: &'static str) -> Self {
        CaptureError {
            offset,
            reason,
            io: None,
            ends_input: true,
        }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)?;
        if let Some(k) = self.io {
            write!(f, " ({k})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CaptureError {}

/// One captured packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based position among the file's packets (tshark's `frame.number`).
    pub number: u64,
    /// Capture time, truncated to microseconds; `None` when the record has none (pcapng
    /// Simple Packet Blocks) or it is out of range.
    pub ts: Option<Timestamp>,
    /// The LINKTYPE_* value that says how to decode `data` (see `link::decode`).
    pub link_type: u32,
    /// The captured bytes (at most the snap length).
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub orig_len: u32,
}

/// The file format of a [`CaptureReader`]'s input.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    PcapNg,
}

#[derive(Copy, Clone, Debug)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// Timestamp units: `true` = 2^-exp seconds, `false` = 10^-exp seconds.
    pow2: bool,
    exp: u8,
    /// if_tsoffset, seconds added to every timestamp.
    offset_secs: i64,
}

enum State {
    Pcap {
        be: bool,
        nanos: bool,
        link_type: u32,
        snaplen: u32,
    },
    Ng {
        be: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads packets from a pcap or pcapng stream; see the module documentation.
pub struct CaptureReader<R> {
    r: R,
    buf: Vec<u8>,
    /// Bytes consumed from `r` so far.
    pos: u64,
    state: State,
    number: u64,
    done: bool,
}

/// Reads until `out` is full or the input ends; returns how many bytes were read.
fn fill<R: Read>(r: &mut R, out: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < out.len() {
        match r.read(&mut out[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn u16_at(b: &[u8], at: usize, be: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    })
}

fn u32_at(b: &[u8], at: usize, be: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}

/// Microseconds since the epoch from `units` of 10^-exp (or 2^-exp) seconds.
fn ts_from_units(units: u64, pow2: bool, exp: u8, offset_secs: i64) -> Option<Timestamp> {
    let micros: u128 = if pow2 {
        if exp >= 128 {
            return None;
        }
        (u128::from(units) * 1_000_000) >> exp
    } else if exp >= 6 {
        // Past 10^38 the quotient of a 64-bit count is 0.
        10u128
            .checked_pow(u32::from(exp - 6))
            .map_or(0, |div| u128::from(units) / div)
    } else {
        u128::from(units) * 10u128.pow(u32::from(6 - exp))
    };
    let micros = i64::try_from(micros).ok()?;
    let off = offset_secs.checked_mul(1_000_000)?;
    micros.checked_add(off).map(Timestamp)
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header (pcap) or first Section Header Block (pcapng).
    pub fn new(mut r: R) -> Result<Self, CaptureError> {
        let mut head = [0u8; 24];
        let n = fill(&mut r, &mut head[..4]).map_err(|e| io_err(0, e))?;
        if n < 4 {
            return Err(CaptureError::new(0, "not a capture file"));
        }
        let magic = [head[0], head[1], head[2], head[3]];
        let (be, nanos) = match magic {
            PCAP_US_LE => (false, false),
            PCAP_US_BE => (true, false),
            PCAP_NS_LE => (false, true),
            PCAP_NS_BE => (true, true),
            NG_SHB => {
                let mut me = CaptureReader {
                    r,
                    buf: Vec::with_capacity(64 << 10),
                    pos: 4,
                    state: State::Ng {
                        be: false,
                        interfaces: Vec::new(),
                    },
                    number: 0,
                    done: false,
                };
                let mut len = [0u8; 4];
                let n = fill(&mut me.r, &mut len).map_err(|e| io_err(4, e))?;
                me.pos += n as u64;
                if n < 4 {
                    return Err(CaptureError::new(0, "truncated section header block"));
                }
                me.read_shb_after_type(0, len)?;
                return Ok(me);
            }
            _ => return Err(CaptureError::new(0, "not a capture file")),
        };
        let n = fill(&mut r, &mut head[4..]).map_err(|e| io_err(4, e))?;
        if n < 20 {
            return Err(CaptureError::new(0, "truncated pcap file header"));
        }
        let snaplen = u32_at(&head, 16, be).unwrap_or(0);
        // The upper bits of the link-type field carry FCS information.
        let link_type = u32_at(&head, 20, be).unwrap_or(0) & 0xFFFF;
        Ok(CaptureReader {
            r,
            buf: Vec::with_capacity(64 << 10),
            pos: 24,
            state: State::Pcap {
                be,
                nanos,
                link_type,
                snaplen,
            },
            number: 0,
            done: false,
        })
    }

    pub fn format(&self) -> CaptureFormat {
        match self.state {
            State::Pcap { .. } => CaptureFormat::Pcap,
            State::Ng { .. } => CaptureFormat::PcapNg,
        }
    }

    /// The pcap header's snap length, or the first interface's in the current pcapng section.
    pub fn snaplen(&self) -> Option<u32> {
        match &self.state {
            State::Pcap { snaplen, .. } => Some(*snaplen),
            State::Ng { interfaces, .. } => interfaces.first().map(|i| i.snaplen),
        }
    }

    /// Bytes consumed from the input so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next packet; `None` at the end of the input or after an error that ends it.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>> {
        if self.done {
            return None;
        }
        let res = match self.state {
            State::Pcap { .. } => self.next_pcap(),
            State::Ng { .. } => self.next_ng(),
        };
        match res {
            Ok(Some(p)) => {
                self.number += 1;
                let data = self.buf.get(p.start..p.end).unwrap_or(&[]);
                Some(Ok(Packet {
                    number: self.number,
                    ts: p.ts,
                    link_type: p.link_type,
                    data,
                    orig_len: p.orig_len,
                }))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err((mut e, fatal)) => {
                if fatal {
                    self.done = true;
                }
                e.ends_input = fatal;
                Some(Err(e))
            }
        }
    }

    /// Reads exactly `len` bytes into `self.buf`; `Ok(false)` if the input ended first.
    fn read_buf(&mut self, len: usize, at: u64) -> Result<bool, (CaptureError, bool)> {
        self.buf.clear();
        self.buf.resize(len, 0);
        let n = fill(&mut self.r, &mut self.buf).map_err(|e| (io_err(at, e), true))?;
        self.pos += n as u64;
        Ok(n == len)
    }

    fn next_pcap(&mut self) -> Result<Option<Raw>, (CaptureError, bool)> {
        let State::Pcap {
            be,
            nanos,
            link_type,
            ..
        } = self.state
        else {
            return Ok(None);
        };
        let at = self.pos;
        let mut h = [0u8; 16];
        let n = fill(&mut self.r, &mut h).map_err(|e| (io_err(at, e), true))?;
        self.pos += n as u64;
        if n == 0 {
            return Ok(None);
        }
        if n < 16 {
            return Err((
                CaptureError::new(at, "truncated packet record header"),
                true,
            ));
        }
        let sec = u32_at(&h, 0, be).unwrap_or(0);
        let frac = u32_at(&h, 4, be).unwrap_or(0);
        let caplen = u32_at(&h, 8, be).unwrap_or(0);
        let orig_len = u32_at(&h, 12, be).unwrap_or(0);
        let caplen = usize::try_from(caplen).unwrap_or(usize::MAX);
        if caplen > MAX_BLOCK {
            return Err((
                CaptureError::new(at, "packet record length too large"),
                true,
            ));
        }
        if !self.read_buf(caplen, at)? {
            return Err((CaptureError::new(at, "truncated packet record"), true));
        }
        let micros = if nanos {
            u64::from(frac) / 1000
        } else {
            u64::from(frac)
        };
        let ts = i64::from(sec)
            .checked_mul(1_000_000)
            .and_then(|s| s.checked_add(i64::try_from(micros).ok()?))
            .map(Timestamp);
        Ok(Some(Raw {
            ts,
            link_type,
            start: 0,
            end: caplen,
            orig_len,
        }))
    }

    fn next_ng(&mut self) -> Result<Option<Raw>, (CaptureError, bool)> {
        loop {
            let at = self.pos;
            let mut h = [0u8; 8];
            let n = fill(&mut self.r, &mut h).map_err(|e| (io_err(at, e), true))?;
            self.pos += n as u64;
            if n == 0 {
                return Ok(None);
            }
            if n < 8 {
                return Err((CaptureError::new(at, "truncated pcapng block header"), true));
            }
            if h[..4] == NG_SHB {
                // A new section: its byte order may differ. Push back the length word by
                // reading the SHB from the length field on.
                let total_bytes = [h[4], h[5], h[6], h[7]];
                self.read_shb_after_type(at, total_bytes)
                    .map_err(|e| (e, true))?;
                continue;
            }
            let State::Ng { be, .. } = self.state else {
                return Ok(None);
            };
            let btype = u32_at(&h, 0, be).unwrap_or(0);
            let total = u32_at(&h, 4, be).unwrap_or(0) as usize;
            if total < 12 || total % 4 != 0 || total > MAX_BLOCK {
                return Err((CaptureError::new(at, "bad pcapng block length"), true));
            }
            if !self.read_buf(total - 8, at)? {
                return Err((CaptureError::new(at, "truncated pcapng block"), true));
            }
            let trailer = u32_at(&self.buf, total - 12, be).unwrap_or(0);
            if trailer as usize != total {
                return Err((CaptureError::new(at, "pcapng block lengths differ"), true));
            }
            // The block body, without the trailing length.
            let body_len = total - 12;
            match btype {
                BT_IDB => self.read_idb(at, body_len, be)?,
                BT_EPB | BT_PB => return self.packet_block(at, btype, body_len, be).map(Some),
                BT_SPB => {
                    let State::Ng { interfaces, .. } = &self.state else {
                        return Ok(None);
                    };
                    let Some(iface) = interfaces.first().copied() else {
                        return Err((
                            CaptureError::new(at, "simple packet block before any interface"),
                            false,
                        ));
                    };
                    let Some(orig_len) = u32_at(&self.buf, 0, be).filter(|_| body_len >= 4) else {
                        return Err((CaptureError::new(at, "truncated packet block"), false));
                    };
                    let mut caplen = (orig_len as usize).min(body_len - 4);
                    if iface.snaplen != 0 {
                        caplen = caplen.min(iface.snaplen as usize);
                    }
                    return Ok(Some(Raw {
                        ts: None,
                        link_type: iface.link_type,
                        start: 4,
                        end: 4 + caplen,
                        orig_len,
                    }));
                }
                _ => {} // NRB, ISB, DSB, custom and unknown blocks: skipped.
            }
        }
    }

    /// Reads a Section Header Block at `at` whose type and length words were already consumed.
    fn read_shb_after_type(&mut self, at: u64, len_bytes: [u8; 4]) -> Result<(), CaptureError> {
        let mut bom = [0u8; 4];
        let n = fill(&mut self.r, &mut bom).map_err(|e| io_err(at, e))?;
        self.pos += n as u64;
        if n < 4 {
            return Err(CaptureError::new(at, "truncated section header block"));
        }
        let be = match bom {
            NG_BOM_LE => false,
            NG_BOM_BE => true,
            _ => return Err(CaptureError::new(at, "bad pcapng byte-order magic")),
        };
        let total = if be {
            u32::from_be_bytes(len_bytes)
        } else {
            u32::from_le_bytes(len_bytes)
        } as usize;
        if total < 28 || total % 4 != 0 || total > MAX_BLOCK {
            return Err(CaptureError::new(at, "bad pcapng block length"));
        }
        match self.read_buf(total - 12, at) {
            Ok(true) => {}
            Ok(false) => return Err(CaptureError::new(at, "truncated section header block")),
            Err((e, _)) => return Err(e),
        }
        let trailer = u32_at(&self.buf, total - 16, be).unwrap_or(0);
        if trailer as usize != total {
            return Err(CaptureError::new(at, "pcapng block lengths differ"));
        }
        if u16_at(&self.buf, 0, be) != Some(1) {
            return Err(CaptureError::new(at, "unsupported pcapng version"));
        }
        self.state = State::Ng {
            be,
            interfaces: Vec::new(),
        };
        Ok(())
    }

    /// An Interface Description Block; `self.buf` holds its body from offset 0.
    fn read_idb(&mut self, at: u64, body_len: usize, be: bool) -> Result<(), (CaptureError, bool)> {
        let b = self.buf.get(..body_len).unwrap_or(&[]);
        let (Some(link_type), Some(snaplen)) = (u16_at(b, 0, be), u32_at(b, 4, be)) else {
            return Err((
                CaptureError::new(at, "truncated interface description block"),
                true,
            ));
        };
        let mut iface = Interface {
            link_type: u32::from(link_type),
            snaplen,
            pow2: false,
            exp: 6,
            offset_secs: 0,
        };
        let mut o = 8;
        while let (Some(code), Some(len)) = (u16_at(b, o, be), u16_at(b, o + 2, be)) {
            let len = usize::from(len);
            let Some(val) = b.get(o + 4..o + 4 + len) else {
                break; // option runs past the block: ignore the rest
            };
            match (code, val) {
                (0, _) => break,
                (9, &[r]) => {
                    iface.pow2 = r & 0x80 != 0;
                    iface.exp = r & 0x7F;
                }
                (14, v) if v.len() == 8 => {
                    let a: [u8; 8] = v.try_into().unwrap_or([0; 8]);
                    iface.offset_secs = if be {
                        i64::from_be_bytes(a)
                    } else {
                        i64::from_le_bytes(a)
                    };
                }
                _ => {}
            }
            o += 4 + len.div_ceil(4) * 4;
        }
        let State::Ng { interfaces, .. } = &mut self.state else {
            return Ok(());
        };
        if interfaces.len() >= MAX_INTERFACES {
            return Err((CaptureError::new(at, "too many interfaces"), true));
        }
        interfaces.push(iface);
        Ok(())
    }

    /// An Enhanced Packet Block or obsolete Packet Block; `self.buf` holds its body.
    fn packet_block(
        &mut self,
        at: u64,
        btype: u32,
        body_len: usize,
        be: bool,
    ) -> Result<Raw, (CaptureError, bool)> {
        let b = self.buf.get(..body_len).unwrap_or(&[]);
        let iface_id = if btype == BT_EPB {
            u32_at(b, 0, be)
        } else {
            u16_at(b, 0, be).map(u32::from)
        };
        let (Some(iface_id), Some(hi), Some(lo), Some(caplen), Some(orig_len)) = (
            iface_id,
            u32_at(b, 4, be),
            u32_at(b, 8, be),
            u32_at(b, 12, be),
            u32_at(b, 16, be),
        ) else {
            return Err((CaptureError::new(at, "truncated packet block"), false));
        };
        let caplen = caplen as usize;
        if caplen > body_len - 20 {
            return Err((
                CaptureError::new(at, "packet length exceeds its block"),
                false,
            ));
        }
        let State::Ng { interfaces, .. } = &self.state else {
            return Err((
                CaptureError::new(at, "packet block outside a section"),
                true,
            ));
        };
        let Some(iface) = interfaces.get(iface_id as usize) else {
            return Err((
                CaptureError::new(at, "packet names an undescribed interface"),
                false,
            ));
        };
        let units = (u64::from(hi) << 32) | u64::from(lo);
        Ok(Raw {
            ts: ts_from_units(units, iface.pow2, iface.exp, iface.offset_secs),
            link_type: iface.link_type,
            start: 20,
            end: 20 + caplen,
            orig_len,
        })
    }
}

/// A packet located in the reader's buffer.
struct Raw {
    ts: Option<Timestamp>,
    link_type: u32,
    start: usize,
    end: usize,
    orig_len: u32,
}

fn io_err(at: u64, e: io::Error) -> CaptureError {
    CaptureError {
        offset: at,
        reason: "read error",
        io: Some(e.kind()),
        ends_input: true,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A file of `tests/data/pcap/` (small MIT/BSD/Apache captures; see their `.provenance`).
    pub(crate) fn data(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/pcap/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// (number, ts as "secs.micros", link type, cap_len, orig_len) of every packet, and
    /// the errors, in order.
    type Summary = (Vec<(u64, String, u32, usize, u32)>, Vec<CaptureError>);

    fn summary(bytes: &[u8]) -> Summary {
        let mut r = CaptureReader::new(bytes).expect("header");
        let (mut ok, mut errs) = (Vec::new(), Vec::new());
        while let Some(p) = r.next_packet() {
            match p {
                Ok(p) => ok.push((
                    p.number,
                    ts_str(p.ts),
                    p.link_type,
                    p.data.len(),
                    p.orig_len,
                )),
                Err(e) => errs.push(e),
            }
        }
        (ok, errs)
    }

    pub(crate) fn ts_str(ts: Option<Timestamp>) -> String {
        ts.map_or("-".into(), |t| {
            format!(
                "{}.{:06}",
                t.0.div_euclid(1_000_000),
                t.0.rem_euclid(1_000_000)
            )
        })
    }

    fn row(n: u64, ts: &str, lt: u32, cap: usize, orig: u32) -> (u64, String, u32, usize, u32) {
        (n, ts.to_string(), lt, cap, orig)
    }

    /// Rewrites a little-endian classic pcap as big-endian (same content).
    fn pcap_to_be(le: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(le.len());
        let nanos = le[..4] == PCAP_NS_LE;
        out.extend_from_slice(if nanos { &PCAP_NS_BE } else { &PCAP_US_BE });
        let sw2 = |o: &mut Vec<u8>, b: &[u8]| o.extend(b.iter().rev());
        sw2(&mut out, &le[4..6]);
        sw2(&mut out, &le[6..8]);
        for i in 0..4 {
            sw2(&mut out, &le[8 + 4 * i..12 + 4 * i]);
        }
        let mut p = 24;
        while p + 16 <= le.len() {
            for i in 0..4 {
                sw2(&mut out, &le[p + 4 * i..p + 4 * i + 4]);
            }
            let cap = u32_at(le, p + 8, false).unwrap() as usize;
            out.extend_from_slice(&le[p + 16..p + 16 + cap]);
            p += 16 + cap;
        }
        out
    }

    /// Rewrites a little-endian pcapng (SHB, IDB, EPB, and opaque other blocks) as big-endian.
    fn pcapng_to_be(le: &[u8]) -> Vec<u8> {
        fn sw(o: &mut Vec<u8>, b: &[u8]) {
            o.extend(b.iter().rev());
        }
        fn options(o: &mut Vec<u8>, b: &[u8]) {
            let mut i = 0;
            while i + 4 <= b.len() {
                sw(o, &b[i..i + 2]);
                sw(o, &b[i + 2..i + 4]);
                let len = u16_at(b, i + 2, false).unwrap() as usize;
                let padded = len.div_ceil(4) * 4;
                let v = &b[i + 4..i + 4 + padded];
                if len == 8 {
                    sw(o, v); // 64-bit values (if_tsoffset, if_speed)
                } else {
                    o.extend_from_slice(v);
                }
                i += 4 + padded;
            }
        }
        let mut out = Vec::new();
        let mut p = 0;
        while p + 12 <= le.len() {
            let t = u32_at(le, p, false).unwrap();
            let len = u32_at(le, p + 4, false).unwrap() as usize;
            let body = &le[p + 8..p + len - 4];
            sw(&mut out, &le[p..p + 4]);
            sw(&mut out, &le[p + 4..p + 8]);
            match t {
                BT_SHB_LE => {
                    out.extend_from_slice(&NG_BOM_BE);
                    sw(&mut out, &body[4..6]);
                    sw(&mut out, &body[6..8]);
                    sw(&mut out, &body[8..16]);
                    options(&mut out, &body[16..]);
                }
                BT_IDB => {
                    sw(&mut out, &body[0..2]);
                    sw(&mut out, &body[2..4]);
                    sw(&mut out, &body[4..8]);
                    options(&mut out, &body[8..]);
                }
                BT_EPB => {
                    for i in 0..5 {
                        sw(&mut out, &body[4 * i..4 * i + 4]);
                    }
                    let cap = u32_at(body, 12, false).unwrap() as usize;
                    let padded = cap.div_ceil(4) * 4;
                    out.extend_from_slice(&body[20..20 + padded]);
                    options(&mut out, &body[20 + padded..]);
                }
                _ => out.extend_from_slice(body),
            }
            sw(&mut out, &le[p + len - 4..p + len]);
            p += len;
        }
        out
    }

    const BT_SHB_LE: u32 = 0x0A0D_0D0A;

    // Expected values: tshark 4.0.17,
    //   tshark -n -r FILE -T fields -e frame.number -e frame.time_epoch -e frame.cap_len \
    //     -e frame.len -e frame.interface_id
    // with frame.time_epoch truncated to microseconds.

    #[test]
    fn pcap_little_endian_microseconds() {
        let (ok, errs) = summary(&data("websocket-ping.pcap"));
        assert!(errs.is_empty());
        assert_eq!(ok.len(), 19);
        assert_eq!(ok[0], row(1, "1394016340.965052", 113, 76, 76));
        assert_eq!(ok[3], row(4, "1394016340.965436", 113, 309, 309));
        assert_eq!(ok[18], row(19, "1394016342.845811", 113, 68, 68));
    }

    #[test]
    fn pcap_big_endian_same_as_little_endian() {
        for name in ["websocket-ping.pcap", "ipv6-gtp6.pcap", "dns-svcb.pcap"] {
            let le = data(name);
            let be = pcap_to_be(&le);
            assert_eq!(be.len(), le.len());
            assert!(sniff(&be));
            let r = CaptureReader::new(&be[..]).unwrap();
            assert_eq!(r.snaplen(), CaptureReader::new(&le[..]).unwrap().snaplen());
            assert_eq!(summary(&be), summary(&le), "{name}");
        }
    }

    #[test]
    fn pcap_nanoseconds() {
        // arkime ipv6-gtp6.pcap has the 4D3CB2A1 magic; tshark: 1513078266.494229927.
        let bytes = data("ipv6-gtp6.pcap");
        assert_eq!(bytes[..4], PCAP_NS_LE);
        let (ok, errs) = summary(&bytes);
        assert!(errs.is_empty());
        assert_eq!(ok, vec![row(1, "1513078266.494229", 1, 454, 454)]);
    }

    #[test]
    fn pcap_link_types_from_header() {
        for (name, lt, n) in [
            ("dns-svcb.pcap", 0, 2),
            ("decode-sll2-01.pcap", 276, 5),
            ("dns__dns_extended_rcode.pcap", 228, 2),
            ("dns__ech.pcap", 101, 4),
            ("detect-bytetest-03.pcap", 1, 1),
        ] {
            let (ok, errs) = summary(&data(name));
            assert!(errs.is_empty(), "{name}");
            assert_eq!(ok.len(), n, "{name}");
            assert!(ok.iter().all(|p| p.2 == lt), "{name}");
        }
        assert_eq!(
            summary(&data("dns__ech.pcap")).0[3],
            row(4, "1756480692.791589", 101, 243, 243)
        );
    }

    #[test]
    fn pcapng_two_interfaces_with_different_resolutions() {
        // Interface 0 has if_tsresol 9 (ns), interface 1 has 6 (µs). tshark:
        // 1 0 1767663089.500330493, 2 0 1767663089.514291940, 3 1 1767663437.111897000,
        // 4 1 ...126460000, 5 1 ...128303000, 6 1 ...140942000.
        let bytes = data("pcapng-multi-interface.pcapng");
        assert!(sniff(&bytes));
        let r = CaptureReader::new(&bytes[..]).unwrap();
        assert_eq!(r.format(), CaptureFormat::PcapNg);
        let (ok, errs) = summary(&bytes);
        assert!(errs.is_empty());
        let ts: Vec<_> = ok.iter().map(|p| (p.0, p.1.as_str())).collect();
        assert_eq!(
            ts,
            [
                (1, "1767663089.500330"),
                (2, "1767663089.514291"),
                (3, "1767663437.111897"),
                (4, "1767663437.126460"),
                (5, "1767663437.128303"),
                (6, "1767663437.140942"),
            ]
        );
        assert_eq!(ok[0], row(1, "1767663089.500330", 1, 96, 96));
        assert_eq!(ok[3], row(4, "1767663437.126460", 1, 166, 166));
    }

    #[test]
    fn pcapng_big_endian_and_several_sections() {
        let le = data("pcapng-multi-interface.pcapng");
        let be = pcapng_to_be(&le);
        assert_eq!(be.len(), le.len());
        assert!(sniff(&be));
        assert_eq!(summary(&be), summary(&le));
        // Three sections, LE then BE then LE: interfaces reset per section, numbering goes on.
        let mut three = le.clone();
        three.extend_from_slice(&be);
        three.extend_from_slice(&le);
        let (ok, errs) = summary(&three);
        assert!(errs.is_empty());
        assert_eq!(ok.len(), 18);
        let one = summary(&le).0;
        for (i, p) in ok.iter().enumerate() {
            let q = &one[i % 6];
            assert_eq!(
                (p.0, &p.1, p.2, p.3, p.4),
                (i as u64 + 1, &q.1, q.2, q.3, q.4)
            );
        }
    }

    /// A pcapng block of type `t` with body `body` (padded) in little-endian.
    fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&t.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(8 + padded, 0);
        b.extend_from_slice(&total.to_le_bytes());
        b
    }

    fn shb() -> Vec<u8> {
        let mut body = NG_BOM_LE.to_vec();
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        block(BT_SHB_LE, &body)
    }

    fn idb(link: u16, snap: u32, tsresol: Option<u8>) -> Vec<u8> {
        let mut body = link.to_le_bytes().to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&snap.to_le_bytes());
        if let Some(r) = tsresol {
            body.extend_from_slice(&[9, 0, 1, 0, r, 0, 0, 0]);
            body.extend_from_slice(&[0, 0, 0, 0]);
        }
        block(BT_IDB, &body)
    }

    fn epb(iface: u32, units: u64, data: &[u8], orig: u32) -> Vec<u8> {
        let mut body = iface.to_le_bytes().to_vec();
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&orig.to_le_bytes());
        body.extend_from_slice(data);
        block(BT_EPB, &body)
    }

    #[test]
    fn pcapng_resolutions_block_kinds_and_unknown_blocks() {
        let mut f = shb();
        f.extend(idb(1, 0, Some(0x80 | 20))); // 2^-20 s
        f.extend(idb(101, 4, Some(3))); // ms, snaplen 4
        f.extend(idb(1, 0, None)); // default µs
        f.extend(block(0x0BAD, b"unknown block, skipped"));
        f.extend(epb(0, 3 << 20 | 1 << 19, b"abc", 3)); // 3.5 s
        f.extend(epb(1, 1_700_000_000_123, b"\x45", 60));
        f.extend(epb(2, 1_000_001, b"", 0));
        f.extend(epb(7, 1, b"x", 1)); // no interface 7: error item, reading goes on
        // Simple Packet Block: interface 0 (snaplen 0 = unlimited), no timestamp.
        let mut spb = 5u32.to_le_bytes().to_vec();
        spb.extend_from_slice(b"hello");
        f.extend(block(BT_SPB, &spb));
        // Obsolete Packet Block: u16 interface, u16 drops, ts, caplen, len.
        let mut pb = 1u16.to_le_bytes().to_vec();
        pb.extend_from_slice(&[0, 0]);
        pb.extend_from_slice(&0u32.to_le_bytes());
        pb.extend_from_slice(&2_500u32.to_le_bytes());
        pb.extend_from_slice(&2u32.to_le_bytes());
        pb.extend_from_slice(&9u32.to_le_bytes());
        pb.extend_from_slice(b"ok");
        f.extend(block(BT_PB, &pb));
        let (ok, errs) = summary(&f);
        assert_eq!(
            ok,
            vec![
                row(1, "3.500000", 1, 3, 3),
                row(2, "1700000000.123000", 101, 1, 60),
                row(3, "1.000001", 1, 0, 0),
                row(4, "-", 1, 5, 5),
                row(5, "2.500000", 101, 2, 9),
            ]
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason, "packet names an undescribed interface");
        let mut r = CaptureReader::new(&f[..]).unwrap();
        let mut datas = Vec::new();
        while let Some(p) = r.next_packet() {
            if let Ok(p) = p {
                datas.push(p.data.to_vec());
            }
        }
        assert_eq!(datas[0], b"abc");
        assert_eq!(datas[3], b"hello");
        assert_eq!(datas[4], b"ok");
    }

    #[test]
    fn ts_units_conversion() {
        assert_eq!(ts_from_units(1_500, false, 9, 0), Some(Timestamp(1)));
        assert_eq!(ts_from_units(7, false, 0, 10), Some(Timestamp(17_000_000)));
        assert_eq!(
            ts_from_units(1 << 30, true, 30, 0),
            Some(Timestamp(1_000_000))
        );
        assert_eq!(ts_from_units(u64::MAX, false, 0, 0), None);
        assert_eq!(ts_from_units(1, false, 127, 0), Some(Timestamp(0)));
        assert_eq!(ts_from_units(1, true, 127, 0), Some(Timestamp(0)));
    }

    #[test]
    fn truncated_files() {
        // Cut at odd offsets: inside a record header, inside packet data.
        let le = data("websocket-ping.pcap");
        for cut in [25, 24 + 7, 24 + 16 + 31, le.len() - 1] {
            let (ok, errs) = summary(&le[..cut]);
            assert_eq!(errs.len(), 1, "cut {cut}");
            assert!(errs[0].reason.starts_with("truncated"), "{:?}", errs[0]);
            let full = summary(&le).0;
            assert_eq!(ok[..], full[..ok.len()]);
        }
        // The error's offset is where the cut record starts: the last one's.
        let (ok, errs) = summary(&le[..le.len() - 1]);
        assert_eq!(ok.len(), 18);
        assert_eq!(errs[0].offset, (le.len() - 16 - 68) as u64);
        let ng = data("pcapng-multi-interface.pcapng");
        for cut in [133, 0x84 + 0x44 + 0x94 + 13, 301, ng.len() - 3] {
            let (ok, errs) = summary(&ng[..cut]);
            assert_eq!(errs.len(), 1, "cut {cut}");
            assert!(errs[0].reason.starts_with("truncated"), "{:?}", errs[0]);
            assert_eq!(ok[..], summary(&ng).0[..ok.len()]);
        }
        assert!(CaptureReader::new(&ng[..13]).is_err());
        assert!(CaptureReader::new(&le[..20]).is_err());
        assert!(CaptureReader::new(&ng[..30]).is_err());
    }

    #[test]
    fn corrupt_block_lengths_end_the_file() {
        let ng = data("pcapng-multi-interface.pcapng");
        // Second block (IDB at 0x84): leading length no longer matches the trailing one.
        let mut bad = ng.clone();
        bad[0x84 + 4] = 0x48;
        let (ok, errs) = summary(&bad);
        assert!(ok.is_empty());
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].offset, 0x84);
        assert_eq!(errs[0].reason, "pcapng block lengths differ");
        // A length that is not a multiple of 4, and a huge one.
        for len in [0x45u8, 0xFF] {
            let mut bad = ng.clone();
            bad[0x84 + 4] = len;
            bad[0x84 + 7] = if len == 0xFF { 0x7F } else { 0 };
            let (_, errs) = summary(&bad);
            assert_eq!(errs[0].reason, "bad pcapng block length");
        }
        // pcap: a record length over the limit.
        let mut le = data("dns-svcb.pcap");
        le[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (ok, errs) = summary(&le);
        assert!(ok.is_empty());
        assert_eq!(errs[0].reason, "packet record length too large");
    }

    #[test]
    fn garbage_and_sniff() {
        for g in [
            &b""[..],
            b"\x00",
            b"hello world, not a capture",
            &[0xD4, 0xC3, 0xB2],
        ] {
            assert!(!sniff(g));
            assert!(CaptureReader::new(g).is_err());
        }
        // pcapng magic with a bad byte-order magic.
        let mut ng = data("pcapng-multi-interface.pcapng");
        ng[8] = 0;
        assert!(!sniff(&ng));
        assert_eq!(
            CaptureReader::new(&ng[..]).err().map(|e| e.reason),
            Some("bad pcapng byte-order magic")
        );
        for m in [PCAP_US_LE, PCAP_US_BE, PCAP_NS_LE, PCAP_NS_BE] {
            assert!(sniff(&m));
        }
        assert!(sniff(&data("pcapng-multi-interface.pcapng")));
    }

    #[test]
    fn io_errors_end_the_file() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let le = data("dns-svcb.pcap");
                if self.0 >= 40 {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(40 - self.0);
                buf[..n].copy_from_slice(&le[self.0..self.0 + n]);
                self.0 += n;
                Ok(n)
            }
        }
        let mut r = CaptureReader::new(Failing(0)).unwrap();
        let e = r.next_packet().unwrap().unwrap_err();
        assert_eq!(e.io, Some(io::ErrorKind::Other));
        assert!(r.next_packet().is_none());
    }

    /// xorshift64*: a small deterministic PRNG for the fuzz tests.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        pub fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Mutates 1–8 bytes (or truncates) of `src`.
    pub(crate) fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
        let mut m = src.to_vec();
        for _ in 0..1 + rng.below(8) {
            let i = rng.below(m.len());
            m[i] = match rng.below(4) {
                0 => 0,
                1 => 0xFF,
                _ => rng.next() as u8,
            };
        }
        if rng.below(8) == 0 {
            m.truncate(rng.below(m.len()));
        }
        m
    }

    #[test]
    fn fuzz_mutated_captures_never_panic() {
        let inputs = [
            data("pcapng-multi-interface.pcapng"),
            data("websocket-ping.pcap"),
            data("ipv6-gtp6.pcap"),
        ];
        let mut rng = Rng(0x5EED_CAFE_F00D_0001);
        for round in 0..2_000 {
            let src = &inputs[round % inputs.len()];
            let m = mutate(&mut rng, src);
            if let Ok(mut r) = CaptureReader::new(&m[..]) {
                let mut n = 0;
                while let Some(p) = r.next_packet() {
                    if let Ok(p) = p {
                        let _ = super::super::link::decode(p.link_type, p.data);
                    }
                    n += 1;
                    assert!(n < 10_000, "reader does not end");
                }
            }
        }
    }
}
