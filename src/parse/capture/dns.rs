//! DNS wire-format messages (RFC 1035 §4), as carried in UDP datagrams and TCP streams.
//!
//! Pure and allocation-light: [`parse_message`] decodes the header, the question section and
//! the answer section of one message; names are written, as dotted text with the label bytes
//! kept exactly as on the wire (case included; the engine normalises), into a caller-provided
//! `Vec<u8>`, and records refer to them by [`NameRef`]. The root name is empty.
//!
//! Nothing here panics on any input: every read is bounds-checked, and name decompression
//! follows at most [`MAX_POINTER_HOPS`] pointers and stops at 255 wire octets, so a pointer
//! loop ends with [`DnsError::PointerLoop`] rather than spinning.
//!
//! A message that ends early (a truncated capture, a cut-off TCP segment) still yields what
//! was complete before the cut: [`Message::error`] says why the rest is missing.
//!
//! mDNS (5353) and LLMNR (5355) use this same format; which ports to feed in is the caller's
//! choice. DNS over TCP prefixes each message with a 2-byte length: see [`split_complete`].

use std::ops::Range;

/// Pointers followed while decoding one name. Real messages need one or two; 16 leaves room
/// for odd but valid encoders while bounding the work a crafted message can cause.
pub const MAX_POINTER_HOPS: usize = 16;

/// Longest name on the wire, in octets including length bytes (RFC 1035 §3.1).
pub const MAX_NAME_WIRE_LEN: usize = 255;

/// Size of the fixed DNS header.
pub const HEADER_LEN: usize = 12;

/// Why (part of) a message could not be decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DnsError {
    /// Shorter than the 12-byte header.
    ShortHeader,
    /// A name, a field or RDATA runs past the end of the message.
    Truncated,
    /// A label type other than a plain label (0b00) or a pointer (0b11).
    BadLabelType,
    /// More than [`MAX_POINTER_HOPS`] compression pointers in one name (a loop, or abuse).
    PointerLoop,
    /// A name longer than 255 octets on the wire.
    NameTooLong,
}

impl DnsError {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsError::ShortHeader => "dns message shorter than its header",
            DnsError::Truncated => "dns message truncated",
            DnsError::BadLabelType => "dns name has a reserved label type",
            DnsError::PointerLoop => "dns name has too many compression pointers",
            DnsError::NameTooLong => "dns name longer than 255 octets",
        }
    }
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fixed 12-byte header.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    /// QR: `true` for a response.
    pub response: bool,
    pub opcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub recursion_desired: bool,
    pub recursion_available: bool,
    /// The 4-bit RCODE (EDNS extended bits are not merged in).
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    /// Decodes the header, or `None` when fewer than 12 bytes are given.
    pub fn parse(msg: &[u8]) -> Option<Header> {
        let h = msg.get(..HEADER_LEN)?;
        let u16_at = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let flags = u16_at(2);
        Some(Header {
            id: u16_at(0),
            response: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0x0f) as u8,
            authoritative: flags & 0x0400 != 0,
            truncated: flags & 0x0200 != 0,
            recursion_desired: flags & 0x0100 != 0,
            recursion_available: flags & 0x0080 != 0,
            rcode: (flags & 0x000f) as u8,
            qdcount: u16_at(4),
            ancount: u16_at(6),
            nscount: u16_at(8),
            arcount: u16_at(10),
        })
    }
}

/// A decoded name: a range of the caller's name buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameRef(pub Range<usize>);

impl NameRef {
    /// The dotted name (empty for the root), out of the buffer [`parse_message`] wrote to.
    /// Returns an empty slice if `names` is not that buffer (never panics).
    pub fn get<'n>(&self, names: &'n [u8]) -> &'n [u8] {
        names.get(self.0.clone()).unwrap_or_default()
    }
}

/// One entry of the question section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: NameRef,
    pub qtype: u16,
    pub qclass: u16,
}

/// Record types whose RDATA is decoded.
pub mod rtype {
    pub const A: u16 = 1;
    pub const NS: u16 = 2;
    pub const CNAME: u16 = 5;
    pub const PTR: u16 = 12;
    pub const AAAA: u16 = 28;
    pub const OPT: u16 = 41;
    pub const ANY: u16 = 255;
}

/// The RDATA of an answer record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData<'a> {
    A([u8; 4]),
    Aaaa([u8; 16]),
    /// The target of a CNAME, or the name of a PTR or NS record.
    Name(NameRef),
    /// Any other type (or an A/AAAA of the wrong length), undecoded.
    Raw(&'a [u8]),
}

/// One resource record of the answer section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub name: NameRef,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: RData<'a>,
}

/// A decoded message: header, questions and answers. Authority and additional records are
/// not decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record<'a>>,
    /// Why decoding stopped before the end of the question or answer section; what was
    /// decoded before that point is kept.
    pub error: Option<DnsError>,
}

/// Decodes one DNS message (a UDP payload, or one message out of [`split_complete`]).
///
/// Names are appended to `names` (which is not cleared, so one buffer can serve several
/// messages); the [`NameRef`]s in the result index into it. Fails only when the header is
/// incomplete; a later problem is reported in [`Message::error`].
pub fn parse_message<'a>(msg: &'a [u8], names: &mut Vec<u8>) -> Result<Message<'a>, DnsError> {
    let header = Header::parse(msg).ok_or(DnsError::ShortHeader)?;
    let mut m = Message {
        header,
        // The counts come from the wire: cap the preallocation.
        questions: Vec::with_capacity(usize::from(header.qdcount).min(4)),
        answers: Vec::with_capacity(usize::from(header.ancount).min(16)),
        error: None,
    };
    let mut pos = HEADER_LEN;
    for _ in 0..header.qdcount {
        match parse_question(msg, pos, names) {
            Ok((q, next)) => {
                m.questions.push(q);
                pos = next;
            }
            Err(e) => {
                m.error = Some(e);
                return Ok(m);
            }
        }
    }
    for _ in 0..header.ancount {
        match parse_record(msg, pos, names) {
            Ok((r, next)) => {
                m.answers.push(r);
                pos = next;
            }
            Err(e) => {
                m.error = Some(e);
                return Ok(m);
            }
        }
    }
    Ok(m)
}

fn u16_at(msg: &[u8], pos: usize) -> Result<u16, DnsError> {
    let b = msg
        .get(pos..pos.saturating_add(2))
        .ok_or(DnsError::Truncated)?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

fn u32_at(msg: &[u8], pos: usize) -> Result<u32, DnsError> {
    let b = msg
        .get(pos..pos.saturating_add(4))
        .ok_or(DnsError::Truncated)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn parse_question(
    msg: &[u8],
    pos: usize,
    names: &mut Vec<u8>,
) -> Result<(Question, usize), DnsError> {
    let (name, pos) = read_name(msg, pos, names)?;
    let qtype = u16_at(msg, pos)?;
    let qclass = u16_at(msg, pos + 2)?;
    Ok((
        Question {
            name,
            qtype,
            qclass,
        },
        pos + 4,
    ))
}

fn parse_record<'a>(
    msg: &'a [u8],
    pos: usize,
    names: &mut Vec<u8>,
) -> Result<(Record<'a>, usize), DnsError> {
    let (name, pos) = read_name(msg, pos, names)?;
    let rtype = u16_at(msg, pos)?;
    let class = u16_at(msg, pos + 2)?;
    let ttl = u32_at(msg, pos + 4)?;
    let rdlen = usize::from(u16_at(msg, pos + 8)?);
    let start = pos + 10;
    let end = start + rdlen;
    let raw = msg.get(start..end).ok_or(DnsError::Truncated)?;
    let rdata = match rtype {
        rtype::A => <[u8; 4]>::try_from(raw).map_or(RData::Raw(raw), RData::A),
        rtype::AAAA => <[u8; 16]>::try_from(raw).map_or(RData::Raw(raw), RData::Aaaa),
        rtype::CNAME | rtype::PTR | rtype::NS => {
            // The name may point outside the RDATA (compression), so decode it against the
            // whole message; it must still start inside the RDATA.
            let mark = names.len();
            match read_name(msg, start, names) {
                Ok((n, _)) => RData::Name(n),
                Err(_) => {
                    names.truncate(mark);
                    RData::Raw(raw)
                }
            }
        }
        _ => RData::Raw(raw),
    };
    Ok((
        Record {
            name,
            rtype,
            class,
            ttl,
            rdata,
        },
        end,
    ))
}

/// Decodes the (possibly compressed) name at `pos`, appending it to `names` as dotted text
/// with raw label bytes. Returns its range and the position after the name's first encoding
/// (after the first pointer, if any). On error, `names` is left as it was.
pub fn read_name(
    msg: &[u8],
    pos: usize,
    names: &mut Vec<u8>,
) -> Result<(NameRef, usize), DnsError> {
    let start = names.len();
    let r = read_name_inner(msg, pos, names);
    match r {
        Ok(next) => Ok((NameRef(start..names.len()), next)),
        Err(e) => {
            names.truncate(start);
            Err(e)
        }
    }
}

fn read_name_inner(msg: &[u8], mut pos: usize, names: &mut Vec<u8>) -> Result<usize, DnsError> {
    let mut after: Option<usize> = None;
    let mut hops = 0usize;
    let mut wire_len = 0usize;
    let mut first = true;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xc0 {
            0x00 => {
                wire_len += 1 + usize::from(len);
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(DnsError::NameTooLong);
                }
                if len == 0 {
                    return Ok(after.unwrap_or(pos + 1));
                }
                let label = msg
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(DnsError::Truncated)?;
                if !first {
                    names.push(b'.');
                }
                first = false;
                names.extend_from_slice(label);
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err(DnsError::PointerLoop);
                }
                if after.is_none() {
                    after = Some(pos + 2);
                }
                pos = (usize::from(len & 0x3f) << 8) | usize::from(lo);
            }
            _ => return Err(DnsError::BadLabelType),
        }
    }
}

/// Splits the start of a DNS-over-TCP byte stream, reassembled in order, into messages
/// (each prefixed with a 2-byte length, RFC 1035 §4.2.2): delivers every complete message
/// without its prefix and returns the count and the bytes consumed. Several messages in one
/// segment and one message over several segments both work; the caller keeps the
/// unconsumed rest until more of the stream arrives.
pub fn split_complete(buf: &[u8], on_message: &mut impl FnMut(&[u8])) -> (usize, usize) {
    let mut pos = 0usize;
    let mut n = 0usize;
    while let Some(&[hi, lo]) = buf.get(pos..pos + 2) {
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let Some(msg) = buf.get(pos + 2..pos + 2 + len) else {
            break;
        };
        pos += 2 + len;
        if !msg.is_empty() {
            on_message(msg);
            n += 1;
        }
    }
    (n, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds segments in stream order through [`split_complete`], keeping the incomplete rest
    /// in `pending` as the capture session's reassembler does; returns the messages delivered.
    fn split_tcp_stream(
        pending: &mut Vec<u8>,
        segment: &[u8],
        mut on_message: impl FnMut(&[u8]),
    ) -> usize {
        if pending.is_empty() {
            let (n, used) = split_complete(segment, &mut on_message);
            pending.extend_from_slice(segment.get(used..).unwrap_or_default());
            n
        } else {
            pending.extend_from_slice(segment);
            let (n, used) = split_complete(pending, &mut on_message);
            pending.drain(..used.min(pending.len()));
            n
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn qnames(msg: &[u8]) -> Vec<String> {
        let mut names = Vec::new();
        let m = parse_message(msg, &mut names).unwrap();
        m.questions
            .iter()
            .map(|q| String::from_utf8_lossy(q.name.get(&names)).into_owned())
            .collect()
    }

    // arkime/arkime tests/pcap/dns-udp.pcap @2d2f3678 (Apache-2.0), udp.payload of frame 1
    // (query) and frame 2 (response with CNAME, A, NS and glue, all compressed).
    // tshark 4.0.17: dns.qry.name = www.github.com; dns.cname = github.com;
    // dns.a = 192.30.252.128,10.2.95.12 (x4).
    const UDP_QUERY: &str = "e03901000001000000000000037777770667697468756203636f6d0000010001";
    const UDP_RESPONSE: &str = "e03981800001000200040004037777770667697468756203636f6d0000010001\
        c00c00050001000007bc0002c010c01000010001000000040004c01efc80c010000200010000014800140\
        36e7333037031360664796e656374036e657400c01000020001000001480006036e7332c04ec010000200\
        01000001480006036e7334c04ec01000020001000001480006036e7331c04ec06a0001000100000e10000\
        40a025f0cc04a0001000100000e1000040a025f0cc08e0001000100000e1000040a025f0cc07c00010001\
        00000e1000040a025f0c";
    // Same file, frame 5: an ANY query for a reverse name, with an EDNS OPT record.
    // tshark: dns.qry.name = 10.100.10.10.in-addr.arpa.
    const UDP_REVERSE_ANY: &str = "caa6001000010000000000010231300331303002313002313007696e2d\
        6164647204617270610000ff00010000290200000080000000";
    // arkime/arkime tests/pcap/dns-wiresharkrepo.pcap @2d2f3678 (Apache-2.0), frame 8:
    // PTR response. tshark: dns.qry.name = 104.9.192.66.in-addr.arpa,
    // dns.ptr.domain_name = 66-192-9-104.gen.twtelecom.net.
    const UDP_PTR_RESPONSE: &str = "9bbb8180000100010000000003313034013903313932023636\
        07696e2d61646472046172706100000c0001c00c000c00010001512500200c36362d3139322d392d3130\
        340367656e09747774656c65636f6d036e657400";
    // arkime/arkime tests/pcap/dns-tcp.pcap @2d2f3678 (Apache-2.0), tcp.payload of frames 4
    // and 14 (queries, each one segment with its length prefix) and frame 6 (response).
    // tshark: dns.qry.name = google.com (4, 6), aol.com (14).
    const TCP_QUERY_GOOGLE: &str = "001c5e630100000100000000000006676f6f676c6503636f6d0000010001";
    const TCP_QUERY_AOL: &str = "0019e2ec0100000100000000000003616f6c03636f6d0000010001";
    const TCP_RESPONSE_GOOGLE: &str = "01545e6381800001000b0004000406676f6f676c6503636f6d000001\
        0001c00c00010001000000a600044a7de42ec00c00010001000000a600044a7de420c00c00010001000000\
        a600044a7de421c00c00010001000000a600044a7de422c00c00010001000000a600044a7de423c00c0001\
        0001000000a600044a7de424c00c00010001000000a600044a7de425c00c00010001000000a600044a7de4\
        26c00c00010001000000a600044a7de427c00c00010001000000a600044a7de428c00c00010001000000a6\
        00044a7de429c00c000200010000041b0006036e7334c00cc00c000200010000041b0006036e7332c00cc0\
        0c000200010000041b0006036e7333c00cc00c000200010000041b0006036e7331c00cc10e000100010000\
        3e0b0004d8ef200ac0fc000100010003d7d20004d8ef240ac0d800010001000009580004d8ef260ac0ea00\
        010001000002d50004d8ef220a";

    // zeek/zeek testing/btest/Traces/dns/max-compression-depth.pcap @a13de64f (BSD-3-Clause),
    // frame 1: seven A answers whose names chain pointer to pointer (answer k takes k-1 hops).
    // tshark: dns.qry.name = a; dns.resp.name = a (x7); dns.a = 127.0.0.1 .. 127.0.0.7.
    const DEEP_POINTERS: &str = "12348180000100070000000001610000010001016100000100010000012c\
        00047f000001c013000100010000012c00047f000002c024000100010000012c00047f000003c034000100\
        010000012c00047f000004c044000100010000012c00047f000005c054000100010000012c00047f000006\
        c064000100010000012c00047f000007";
    // OISF/suricata-verify tests/dns/dns-forward-pointer/input.pcap @10a45e4b (MIT), frame 1:
    // two questions, the first a pointer *forward* to the second's name.
    // tshark: dns.qry.name = codemonkey.net,codemonkey.net.
    const FORWARD_POINTER: &str = "8e0401000002000000000000c012000100010a636f64656d6f6e6b6579\
        036e65740000010001";
    // OISF/suricata-verify tests/dns/dns-incomplete (dns-incomplete.pcap) @10a45e4b (MIT):
    // client tcp.payload of frames 9 (length prefix and header only) and 11 (the question),
    // one DNS-over-TCP message cut over two segments. tshark (frame 11, reassembled):
    // dns.qry.name = google.com.
    const INCOMPLETE_FRAME9: &str = "001c103201000001000000000000";
    const INCOMPLETE_FRAME11: &str = "06676f6f676c6503636f6d0000100001";

    #[test]
    fn deep_but_finite_pointer_chain() {
        let msg = hex(DEEP_POINTERS);
        let mut names = Vec::new();
        let m = parse_message(&msg, &mut names).unwrap();
        assert_eq!(m.error, None);
        assert_eq!(m.questions[0].name.get(&names), b"a");
        assert_eq!(m.answers.len(), 7);
        for (i, a) in m.answers.iter().enumerate() {
            assert_eq!(a.name.get(&names), b"a");
            assert_eq!(a.rdata, RData::A([127, 0, 0, i as u8 + 1]));
        }
    }

    #[test]
    fn forward_pointer() {
        assert_eq!(
            qnames(&hex(FORWARD_POINTER)),
            ["codemonkey.net", "codemonkey.net"]
        );
    }

    #[test]
    fn real_tcp_message_over_two_segments() {
        let mut pending = Vec::new();
        let (a, b) = (hex(INCOMPLETE_FRAME9), hex(INCOMPLETE_FRAME11));
        // The first segment alone is a truncated message: its header, but no question.
        let m = parse_message(&a[2..], &mut Vec::new()).unwrap();
        assert_eq!((m.header.id, m.header.qdcount), (0x1032, 1));
        assert_eq!(m.error, Some(DnsError::Truncated));
        assert_eq!(
            split_tcp_stream(&mut pending, &a, |_| panic!("incomplete")),
            0
        );
        assert_eq!(pending.len(), a.len());
        let mut got = Vec::new();
        assert_eq!(
            split_tcp_stream(&mut pending, &b, |m| got.extend(qnames(m))),
            1
        );
        assert_eq!(got, ["google.com"]);
        assert!(pending.is_empty());
    }

    #[test]
    fn query_header_and_question() {
        let msg = hex(UDP_QUERY);
        let mut names = Vec::new();
        let m = parse_message(&msg, &mut names).unwrap();
        assert_eq!(m.header.id, 0xe039);
        assert!(!m.header.response);
        assert!(m.header.recursion_desired);
        assert_eq!((m.header.opcode, m.header.rcode), (0, 0));
        assert_eq!(m.header.qdcount, 1);
        assert_eq!(m.error, None);
        assert_eq!(m.questions.len(), 1);
        assert_eq!(m.questions[0].name.get(&names), b"www.github.com");
        assert_eq!((m.questions[0].qtype, m.questions[0].qclass), (rtype::A, 1));
    }

    #[test]
    fn response_with_compression_pointers() {
        let msg = hex(UDP_RESPONSE);
        let mut names = Vec::new();
        let m = parse_message(&msg, &mut names).unwrap();
        assert!(m.header.response);
        assert!(m.header.recursion_available);
        assert_eq!(m.header.ancount, 2);
        assert_eq!(m.error, None);
        assert_eq!(m.questions[0].name.get(&names), b"www.github.com");
        assert_eq!(m.answers.len(), 2);
        let cname = &m.answers[0];
        assert_eq!(cname.name.get(&names), b"www.github.com");
        assert_eq!(
            (cname.rtype, cname.class, cname.ttl),
            (rtype::CNAME, 1, 1980)
        );
        let RData::Name(target) = &cname.rdata else {
            panic!("{:?}", cname.rdata)
        };
        assert_eq!(target.get(&names), b"github.com");
        let a = &m.answers[1];
        assert_eq!(a.name.get(&names), b"github.com");
        assert_eq!(a.rdata, RData::A([192, 30, 252, 128]));
    }

    #[test]
    fn reverse_name_and_ptr_answer() {
        assert_eq!(qnames(&hex(UDP_REVERSE_ANY)), ["10.100.10.10.in-addr.arpa"]);
        let msg = hex(UDP_PTR_RESPONSE);
        let mut names = Vec::new();
        let m = parse_message(&msg, &mut names).unwrap();
        assert_eq!(
            m.questions[0].name.get(&names),
            b"104.9.192.66.in-addr.arpa"
        );
        assert_eq!(m.questions[0].qtype, rtype::PTR);
        let RData::Name(ptr) = &m.answers[0].rdata else {
            panic!("{:?}", m.answers[0].rdata)
        };
        assert_eq!(m.answers[0].rtype, rtype::PTR);
        assert_eq!(ptr.get(&names), b"66-192-9-104.gen.twtelecom.net");
    }

    #[test]
    fn case_is_kept_and_root_is_empty() {
        // The query of UDP_QUERY with its name re-cased, then a root-name query.
        let mut msg = hex(UDP_QUERY);
        msg[13..16].copy_from_slice(b"WwW");
        assert_eq!(qnames(&msg), ["WwW.github.com"]);
        let root = hex("0001010000010000000000000000020001");
        assert_eq!(qnames(&root), [""]);
    }

    #[test]
    fn tcp_two_messages_in_one_segment() {
        // Two real queries of the same connection, sent back to back in one segment.
        let mut seg = hex(TCP_QUERY_GOOGLE);
        seg.extend(hex(TCP_QUERY_AOL));
        let mut pending = Vec::new();
        let mut got = Vec::new();
        let n = split_tcp_stream(&mut pending, &seg, |m| got.extend(qnames(m)));
        assert_eq!(n, 2);
        assert_eq!(got, ["google.com", "aol.com"]);
        assert!(pending.is_empty());
    }

    #[test]
    fn tcp_message_split_across_segments() {
        let stream = {
            let mut s = hex(TCP_RESPONSE_GOOGLE);
            s.extend(hex(TCP_QUERY_AOL));
            s
        };
        // Every cut point, including inside the length prefix, gives the same messages.
        for cut in 0..=stream.len() {
            let mut pending = Vec::new();
            let mut got = Vec::new();
            let mut answers = 0;
            let mut f = |m: &[u8]| {
                let mut names = Vec::new();
                let msg = parse_message(m, &mut names).unwrap();
                assert_eq!(msg.error, None);
                answers += msg.answers.len();
                got.push(String::from_utf8_lossy(msg.questions[0].name.get(&names)).into_owned());
            };
            split_tcp_stream(&mut pending, &stream[..cut], &mut f);
            split_tcp_stream(&mut pending, &stream[cut..], &mut f);
            assert_eq!(got, ["google.com", "aol.com"], "cut {cut}");
            assert_eq!(answers, 11, "cut {cut}");
            assert!(pending.is_empty());
        }
        // A message still incomplete stays pending.
        let mut pending = Vec::new();
        let n = split_tcp_stream(&mut pending, &stream[..100], |_| panic!("incomplete"));
        assert_eq!((n, pending.len()), (0, 100));
    }

    #[test]
    fn pointer_loop_is_an_error() {
        // Header with one question whose name is a pointer to itself.
        let self_loop = hex("123401000001000000000000c00c00010001");
        let mut names = Vec::new();
        let m = parse_message(&self_loop, &mut names).unwrap();
        assert_eq!(m.error, Some(DnsError::PointerLoop));
        assert!(m.questions.is_empty());
        assert!(names.is_empty());
        // Two pointers pointing at each other, after a label: 01 61 c0 0e / c0 0c.
        let two = hex("1234010000010000000000000161c00ec00c00010001");
        let m = parse_message(&two, &mut names).unwrap();
        assert_eq!(m.error, Some(DnsError::PointerLoop));
        // A chain of links `01 'x' <pointer to the previous link>` ending at a root label:
        // a valid name, but with one pointer per label. Ten hops decode, a hundred do not.
        let mut chain = hex("123401000000000000000000");
        chain.push(0x00);
        let mut prev = 12usize;
        for _ in 0..100 {
            let at = chain.len();
            chain.extend([0x01, b'x', 0xc0 | (prev >> 8) as u8, prev as u8]);
            prev = at;
        }
        let link = |i: usize| 13 + 4 * i;
        let mut names = Vec::new();
        let (n, next) = read_name(&chain, link(9), &mut names).unwrap();
        assert_eq!(n.get(&names), b"x.x.x.x.x.x.x.x.x.x");
        assert_eq!(next, link(10));
        names.clear();
        assert_eq!(
            read_name(&chain, link(99), &mut names),
            Err(DnsError::PointerLoop)
        );
        assert!(names.is_empty());
    }

    #[test]
    fn bad_label_type() {
        let msg = hex("123401000001000000000000400000010001");
        let m = parse_message(&msg, &mut Vec::new()).unwrap();
        assert_eq!(m.error, Some(DnsError::BadLabelType));
    }

    #[test]
    fn truncated_messages_keep_what_is_complete() {
        let full = hex(UDP_RESPONSE);
        assert_eq!(
            parse_message(&full[..11], &mut Vec::new()),
            Err(DnsError::ShortHeader)
        );
        // Cut inside the question: header only.
        let mut names = Vec::new();
        let m = parse_message(&full[..20], &mut names).unwrap();
        assert_eq!(m.error, Some(DnsError::Truncated));
        assert!(m.questions.is_empty());
        assert!(names.is_empty());
        // Cut inside the second answer: the question and the CNAME survive.
        let m = parse_message(&full[..60], &mut names).unwrap();
        assert_eq!(m.error, Some(DnsError::Truncated));
        assert_eq!(m.questions[0].name.get(&names), b"www.github.com");
        assert_eq!(m.answers.len(), 1);
        // Every prefix parses without panicking, and more bytes never mean fewer results.
        let mut last = 0;
        for n in 0..=full.len() {
            if let Ok(m) = parse_message(&full[..n], &mut Vec::new()) {
                let got = m.questions.len() + m.answers.len();
                assert!(got >= last);
                last = got;
            }
        }
        assert_eq!(last, 3);
    }

    #[test]
    fn names_buffer_is_shared() {
        let mut names = b"keep".to_vec();
        let a = hex(UDP_QUERY);
        let b = hex(UDP_PTR_RESPONSE);
        let ma = parse_message(&a, &mut names).unwrap();
        let mb = parse_message(&b, &mut names).unwrap();
        assert_eq!(&names[..4], b"keep");
        assert_eq!(ma.questions[0].name.get(&names), b"www.github.com");
        assert_eq!(
            mb.questions[0].name.get(&names),
            b"104.9.192.66.in-addr.arpa"
        );
        assert_eq!(NameRef(1000..2000).get(&names), b"");
    }

    /// Deterministic xorshift, so the mutations are the same on every run.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn mutations_never_panic() {
        let base = hex(UDP_RESPONSE);
        let tcp = hex(TCP_RESPONSE_GOOGLE);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut names = Vec::new();
        for i in 0..2000 {
            let mut m = if i % 2 == 0 {
                base.clone()
            } else {
                tcp.clone()
            };
            for _ in 0..1 + rng(&mut seed) % 8 {
                let r = rng(&mut seed);
                let at = (r >> 8) as usize % m.len().max(1);
                match r % 4 {
                    0 => m[at] = (r >> 32) as u8,
                    1 => m[at] |= 0xc0,
                    2 => m.truncate(at),
                    _ => m.insert(at, (r >> 40) as u8),
                }
                if m.is_empty() {
                    m.push(0);
                }
            }
            names.clear();
            if let Ok(msg) = parse_message(&m, &mut names) {
                for q in &msg.questions {
                    assert!(q.name.get(&names).len() <= MAX_NAME_WIRE_LEN);
                }
            }
            let mut pending = Vec::new();
            let cut = m.len() / 2;
            split_tcp_stream(&mut pending, &m[..cut], |x| {
                let _ = parse_message(x, &mut Vec::new());
            });
            split_tcp_stream(&mut pending, &m[cut..], |x| {
                let _ = parse_message(x, &mut Vec::new());
            });
        }
    }
}
