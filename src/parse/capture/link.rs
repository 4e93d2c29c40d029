//! Decodes a captured frame down to its transport layer: link header (Ethernet with VLAN
//! tags, Linux cooked SLL/SLL2, raw IP, BSD loopback, PPP), IPv4/IPv6 (with IPv6 extension
//! headers), and the tunnels that carry whole packets (IP-in-IP, GRE, VXLAN, Geneve,
//! Teredo), ending at a TCP or UDP header and its payload.
//!
//! Pure functions over `&[u8]`: every read is bounds-checked, so no input can panic.
//! A packet that cannot be decoded is a [`DecodeError`] whose [`reason`](DecodeError::reason)
//! is static, so the caller can count packets per reason without allocating.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The transport header of a decoded packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        /// The low eight flag bits (CWR ECE URG ACK PSH RST SYN FIN); see the `TCP_*` consts.
        flags: u8,
    },
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

/// A packet decoded down to TCP or UDP. For tunnelled traffic this is the innermost packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: Transport,
    /// The transport payload, cut to the lengths the IP and UDP headers state (so Ethernet
    /// padding is not included) and to what was captured (so it may be short when the
    /// capture's snap length cut the packet).
    pub payload: &'a [u8],
}

/// Why a packet could not be decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DecodeError {
    /// A header is cut short (snap length, or a corrupt length field pointing past the end).
    Truncated,
    /// The capture's link type is not one this decoder reads.
    UnsupportedLinkType,
    /// The link layer carries something other than IP (ARP, LLDP, STP, …).
    UnsupportedEtherType,
    /// The IP packet carries something other than TCP or UDP (ICMP, ESP, OSPF, …).
    NotTcpUdp,
    /// A non-first IP fragment: no transport header to read.
    Fragment,
    /// An IP header that is not valid (version, header length, total length).
    BadIpHeader,
    /// A TCP header whose data offset is below its minimum (20 bytes).
    BadTcpHeader,
    /// A GRE header with a version or flags this decoder does not read.
    UnsupportedGre,
    /// More nested encapsulations than the decoder follows.
    TooDeep,
    /// A wireless frame that carries no IP: management, control or null data.
    NotIp,
    /// A frame whose payload is encrypted (802.11 protected frames).
    Encrypted,
}

impl DecodeError {
    pub fn reason(self) -> &'static str {
        match self {
            DecodeError::Truncated => "truncated packet",
            DecodeError::UnsupportedLinkType => "unsupported link type",
            DecodeError::UnsupportedEtherType => "unsupported ethertype",
            DecodeError::NotTcpUdp => "not TCP or UDP",
            DecodeError::Fragment => "non-first IP fragment",
            DecodeError::BadIpHeader => "invalid IP header",
            DecodeError::BadTcpHeader => "invalid TCP header",
            DecodeError::UnsupportedGre => "unsupported GRE header",
            DecodeError::TooDeep => "too many nested encapsulations",
            DecodeError::NotIp => "802.11 frame without IP (management, control, null)",
            DecodeError::Encrypted => "encrypted 802.11 frame",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for DecodeError {}

/// Link types (LINKTYPE_* values as stored in pcap/pcapng files, plus the DLT_* aliases
/// libpcap maps to them).
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const PPP: u32 = 9;
    /// DLT_RAW on most BSDs (on OpenBSD 12 is DLT_LOOP: both carry IP, told apart below).
    pub const RAW_12: u32 = 12;
    /// DLT_RAW on OpenBSD.
    pub const RAW_14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
    pub const C_HDLC: u32 = 104;
    pub const NFLOG: u32 = 239;
    pub const IEEE802_11: u32 = 105;
    pub const IEEE802_11_RADIOTAP: u32 = 127;
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86DD;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88A8;
const ETH_QINQ_OLD: u16 = 0x9100;
const ETH_PPPOE_SESSION: u16 = 0x8864;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MC: u16 = 0x8848;
const ETH_TEB: u16 = 0x6558;
const ETH_PPP: u16 = 0x880B;
const GRE_ERSPAN_2: u16 = 0x88BE;
const GRE_ERSPAN_3: u16 = 0x22EB;
/// Aruba controllers tunnel their access points' 802.11 frames in GRE with this type.
const GRE_ARUBA_80211: u16 = 0x8200;

const IP_HOPOPTS: u8 = 0;
const IP_IPIP: u8 = 4;
const IP_TCP: u8 = 6;
const IP_UDP: u8 = 17;
const IP_IPV6: u8 = 41;
const IP_ROUTING: u8 = 43;
const IP_FRAGMENT: u8 = 44;
const IP_GRE: u8 = 47;
const IP_AH: u8 = 51;
const IP_DSTOPTS: u8 = 60;

const PORT_VXLAN: u16 = 4789;
const PORT_GENEVE: u16 = 6081;
const PORT_TEREDO: u16 = 3544;
const PORT_GRE_UDP: u16 = 4754;
const PORT_GTP_U: u16 = 2152;

/// How many encapsulations (tunnels, VLAN tags, MPLS labels) are followed.
const MAX_DEPTH: u32 = 16;

/// Decodes one captured frame of link type `link_type` down to TCP/UDP.
pub fn decode(link_type: u32, data: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    match link_type {
        linktype::ETHERNET => ethernet(data, 0),
        linktype::LINUX_SLL => {
            let proto = be16(data, 14)?;
            ethertype(proto, rest(data, 16)?, 0)
        }
        linktype::LINUX_SLL2 => {
            let proto = be16(data, 0)?;
            ethertype(proto, rest(data, 20)?, 0)
        }
        linktype::RAW | linktype::RAW_12 | linktype::RAW_14 => ip_any(data, 0),
        linktype::IPV4 => ipv4(data, 0),
        linktype::IPV6 => ipv6(data, 0),
        linktype::NULL | linktype::LOOP => {
            let b = data.get(..4).ok_or(DecodeError::Truncated)?;
            let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            // The family is in the capturing host's byte order (network order for LOOP,
            // but some writers get that wrong): families are small, so the order whose
            // value fits in 16 bits is the right one.
            let family = if le <= 0xFFFF { le } else { le.swap_bytes() };
            let ip = rest(data, 4)?;
            match family {
                2 => ipv4(ip, 0),
                // AF_INET6: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
                24 | 28 | 30 | 10 => ipv6(ip, 0),
                _ => Err(DecodeError::UnsupportedEtherType),
            }
        }
        linktype::PPP => ppp(data, 0),
        // Cisco HDLC: address, control, then an ethertype.
        linktype::C_HDLC => ethertype(be16(data, 2)?, rest(data, 4)?, 0),
        linktype::NFLOG => nflog(data),
        linktype::IEEE802_11 => ieee80211(data, 0),
        linktype::IEEE802_11_RADIOTAP => {
            // The radiotap header states its own (little-endian) length.
            let b = data.get(2..4).ok_or(DecodeError::Truncated)?;
            ieee80211(
                rest(data, usize::from(u16::from_le_bytes([b[0], b[1]])))?,
                0,
            )
        }
        _ => Err(DecodeError::UnsupportedLinkType),
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16, DecodeError> {
    match b.get(at..at.checked_add(2).ok_or(DecodeError::Truncated)?) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err(DecodeError::Truncated),
    }
}

fn be32(b: &[u8], at: usize) -> Result<u32, DecodeError> {
    match b.get(at..at.checked_add(4).ok_or(DecodeError::Truncated)?) {
        Some(&[w, x, y, z]) => Ok(u32::from_be_bytes([w, x, y, z])),
        _ => Err(DecodeError::Truncated),
    }
}

fn byte(b: &[u8], at: usize) -> Result<u8, DecodeError> {
    b.get(at).copied().ok_or(DecodeError::Truncated)
}

fn rest(b: &[u8], from: usize) -> Result<&[u8], DecodeError> {
    b.get(from..).ok_or(DecodeError::Truncated)
}

fn deeper(depth: u32) -> Result<u32, DecodeError> {
    if depth >= MAX_DEPTH {
        Err(DecodeError::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

fn ethernet(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let proto = be16(data, 12)?;
    ethertype(proto, rest(data, 14)?, depth)
}

/// `data` starts right after the ethertype field.
fn ethertype(mut proto: u16, mut data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let mut depth = depth;
    loop {
        match proto {
            ETH_IPV4 => return ipv4(data, depth),
            ETH_IPV6 => return ipv6(data, depth),
            ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD => {
                depth = deeper(depth)?;
                proto = be16(data, 2)?;
                data = rest(data, 4)?;
            }
            ETH_PPPOE_SESSION => {
                // ver/type, code, session id, length; then the PPP protocol field. The
                // length bounds the PPP frame (the rest is Ethernet padding).
                depth = deeper(depth)?;
                let len = usize::from(be16(data, 4)?);
                let body = rest(data, 6)?;
                return ppp_field(body.get(..len).unwrap_or(body), depth);
            }
            ETH_PPP => return ppp(data, deeper(depth)?),
            ETH_MPLS | ETH_MPLS_MC => {
                // Pop labels up to bottom-of-stack, then guess IPv4/IPv6 by the version.
                loop {
                    depth = deeper(depth)?;
                    let label = be32(data, 0)?;
                    data = rest(data, 4)?;
                    if label & 0x100 != 0 {
                        break;
                    }
                }
                return ip_any(data, depth);
            }
            ETH_TEB => return ethernet(data, deeper(depth)?),
            _ => return Err(DecodeError::UnsupportedEtherType),
        }
    }
}

/// An 802.11 frame: data frames carry LLC/SNAP and an ethertype after a header whose length
/// depends on the address count, QoS and HT control; management, control, null and
/// encrypted frames have no IP to read.
fn ieee80211(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let fc = byte(data, 0)?;
    let flags = byte(data, 1)?;
    let (ftype, subtype) = ((fc >> 2) & 3, fc >> 4);
    if ftype != 2 || subtype & 0x4 != 0 {
        return Err(DecodeError::NotIp);
    }
    if flags & 0x40 != 0 {
        return Err(DecodeError::Encrypted);
    }
    let mut len = 24;
    if flags & 0x03 == 0x03 {
        len += 6; // fourth address (WDS)
    }
    if subtype & 0x8 != 0 {
        len += 2; // QoS control
        if flags & 0x80 != 0 {
            len += 4; // HT control
        }
    }
    let llc = rest(data, len)?;
    match llc.get(..6) {
        Some([0xAA, 0xAA, 0x03, _, _, _]) => ethertype(be16(llc, 6)?, rest(llc, 8)?, depth),
        Some(_) => Err(DecodeError::NotIp),
        None => Err(DecodeError::Truncated),
    }
}

/// Linux NFLOG: family, version, resource id, then TLVs (length and type in host byte
/// order, little-endian in practice; length includes the 4-byte TLV header, padded to 4).
/// The packet is the NFULA_PAYLOAD (9) TLV.
fn nflog(data: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let family = byte(data, 0)?;
    let mut tlvs = rest(data, 4)?;
    loop {
        let h = tlvs.get(..4).ok_or(DecodeError::Truncated)?;
        let len = usize::from(u16::from_le_bytes([h[0], h[1]]));
        let typ = u16::from_le_bytes([h[2], h[3]]);
        if len < 4 {
            return Err(DecodeError::Truncated);
        }
        if typ == 9 {
            let p = tlvs.get(4..len).ok_or(DecodeError::Truncated)?;
            return match family {
                2 => ipv4(p, 0),
                10 => ipv6(p, 0),
                _ => Err(DecodeError::UnsupportedEtherType),
            };
        }
        tlvs = tlvs
            .get(len.div_ceil(4) * 4..)
            .ok_or(DecodeError::Truncated)?;
    }
}

/// PPP in HDLC-like framing (optional FF 03 address/control), then the protocol field.
fn ppp(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let data = if data.starts_with(&[0xFF, 0x03]) {
        rest(data, 2)?
    } else {
        data
    };
    ppp_field(data, depth)
}

/// The PPP protocol field and what follows it.
fn ppp_field(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    // The protocol field may be compressed to one byte (odd first byte).
    let first = byte(data, 0)?;
    if first & 1 == 1 {
        ppp_proto(u16::from(first), rest(data, 1)?, depth)
    } else {
        ppp_proto(be16(data, 0)?, rest(data, 2)?, depth)
    }
}

fn ppp_proto(proto: u16, data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    match proto {
        0x0021 => ipv4(data, depth),
        0x0057 => ipv6(data, depth),
        _ => Err(DecodeError::UnsupportedEtherType),
    }
}

/// IPv4 or IPv6, by the version nibble.
fn ip_any(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    match byte(data, 0)? >> 4 {
        4 => ipv4(data, depth),
        6 => ipv6(data, depth),
        _ => Err(DecodeError::BadIpHeader),
    }
}

fn ipv4(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let h = data.get(..20).ok_or(DecodeError::Truncated)?;
    if h[0] >> 4 != 4 {
        return Err(DecodeError::BadIpHeader);
    }
    let ihl = usize::from(h[0] & 0x0F) * 4;
    if ihl < 20 {
        return Err(DecodeError::BadIpHeader);
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let frag = u16::from_be_bytes([h[6], h[7]]);
    let proto = h[9];
    let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
    if data.len() < ihl {
        return Err(DecodeError::Truncated);
    }
    // Total length 0 is what TCP segmentation offload leaves in captures: use what's there.
    let end = if total == 0 {
        data.len()
    } else if total < ihl {
        return Err(DecodeError::BadIpHeader);
    } else {
        total.min(data.len())
    };
    if frag & 0x1FFF != 0 {
        return Err(DecodeError::Fragment);
    }
    let body = data.get(ihl..end).ok_or(DecodeError::Truncated)?;
    transport(proto, src, dst, body, depth)
}

fn ipv6(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let h = data.get(..40).ok_or(DecodeError::Truncated)?;
    if h[0] >> 4 != 6 {
        return Err(DecodeError::BadIpHeader);
    }
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let mut next = h[6];
    let mut a = [0u8; 16];
    a.copy_from_slice(&h[8..24]);
    let src = IpAddr::V6(Ipv6Addr::from(a));
    a.copy_from_slice(&h[24..40]);
    let dst = IpAddr::V6(Ipv6Addr::from(a));
    let all = rest(data, 40)?;
    // Payload length 0 is a jumbogram or offload: use what's there.
    let mut body = if plen == 0 {
        all
    } else {
        all.get(..plen.min(all.len())).unwrap_or(all)
    };
    let mut hops = 0;
    loop {
        match next {
            IP_HOPOPTS | IP_ROUTING | IP_DSTOPTS => {
                let len = (usize::from(byte(body, 1)?) + 1) * 8;
                next = byte(body, 0)?;
                body = body.get(len..).ok_or(DecodeError::Truncated)?;
            }
            IP_AH => {
                let len = (usize::from(byte(body, 1)?) + 2) * 4;
                next = byte(body, 0)?;
                body = body.get(len..).ok_or(DecodeError::Truncated)?;
            }
            IP_FRAGMENT => {
                let off = be16(body, 2)? >> 3;
                next = byte(body, 0)?;
                if off != 0 {
                    return Err(DecodeError::Fragment);
                }
                body = body.get(8..).ok_or(DecodeError::Truncated)?;
            }
            _ => return transport(next, src, dst, body, depth),
        }
        hops += 1;
        if hops > 32 {
            return Err(DecodeError::TooDeep);
        }
    }
}

fn transport(
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    body: &[u8],
    depth: u32,
) -> Result<Decoded<'_>, DecodeError> {
    match proto {
        IP_TCP => {
            let h = body.get(..20).ok_or(DecodeError::Truncated)?;
            let src_port = u16::from_be_bytes([h[0], h[1]]);
            let dst_port = u16::from_be_bytes([h[2], h[3]]);
            let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
            let off = usize::from(h[12] >> 4) * 4;
            if off < 20 {
                return Err(DecodeError::BadTcpHeader);
            }
            let flags = h[13];
            let payload = body.get(off..).ok_or(DecodeError::Truncated)?;
            Ok(Decoded {
                src,
                dst,
                proto: Transport::Tcp {
                    src_port,
                    dst_port,
                    seq,
                    flags,
                },
                payload,
            })
        }
        IP_UDP => {
            let h = body.get(..8).ok_or(DecodeError::Truncated)?;
            let src_port = u16::from_be_bytes([h[0], h[1]]);
            let dst_port = u16::from_be_bytes([h[2], h[3]]);
            let ulen = usize::from(u16::from_be_bytes([h[4], h[5]]));
            let end = if ulen >= 8 {
                ulen.min(body.len())
            } else {
                body.len()
            };
            let payload = body.get(8..end).unwrap_or(&[]);
            let outer = Decoded {
                src,
                dst,
                proto: Transport::Udp { src_port, dst_port },
                payload,
            };
            match udp_tunnel(src_port, dst_port, payload, depth) {
                Some(inner) => inner,
                None => Ok(outer),
            }
        }
        IP_IPIP => ipv4(body, deeper(depth)?),
        IP_IPV6 => ipv6(body, deeper(depth)?),
        IP_GRE => gre(body, deeper(depth)?),
        _ => Err(DecodeError::NotTcpUdp),
    }
}

/// The inner packet of a UDP tunnel, or `None` when the ports are not a tunnel's or the
/// payload does not look like that tunnel's header (then the UDP packet itself is returned).
fn udp_tunnel(
    src_port: u16,
    dst_port: u16,
    p: &[u8],
    depth: u32,
) -> Option<Result<Decoded<'_>, DecodeError>> {
    if dst_port == PORT_VXLAN {
        // Flags (I bit 0x08 must be set), 3 reserved, VNI 3, reserved 1; then Ethernet.
        if p.len() < 8 + 14 || p[0] & 0x08 == 0 {
            return None;
        }
        return Some(deeper(depth).and_then(|d| ethernet(&p[8..], d)));
    }
    if dst_port == PORT_GENEVE {
        // Ver(2) OptLen(6), flags, protocol type, VNI 3, reserved; options; then the inner.
        let b0 = *p.first()?;
        if b0 >> 6 != 0 {
            return None;
        }
        let opt = usize::from(b0 & 0x3F) * 4;
        let proto = u16::from_be_bytes([*p.get(2)?, *p.get(3)?]);
        let inner = p.get(8 + opt..)?;
        return Some(deeper(depth).and_then(|d| ethertype(proto, inner, d)));
    }
    if dst_port == PORT_GRE_UDP {
        // GRE-in-UDP (RFC 8086): a GRE header without the IP protocol 47 wrapper.
        if p.len() < 4 || p[0] & 0x40 != 0 || p[1] & 0x07 != 0 {
            return None;
        }
        return Some(deeper(depth).and_then(|d| gre(p, d)));
    }
    if src_port == PORT_GTP_U || dst_port == PORT_GTP_U {
        // GTPv1-U (3GPP TS 29.281): flags (version 1, PT 1), type 255 (G-PDU), length,
        // TEID; then, if any of E/S/PN is set, seq (2), N-PDU (1) and next-extension (1),
        // followed by extension headers (length in 4-byte units, last byte = next type).
        let (&flags, &mtype) = (p.first()?, p.get(1)?);
        if flags >> 5 != 1 || flags & 0x10 == 0 || mtype != 0xFF {
            return None;
        }
        let mut off = 8;
        if flags & 0x07 != 0 {
            let mut next = *p.get(11)?;
            off = 12;
            while next != 0 {
                let units = usize::from(*p.get(off)?);
                if units == 0 {
                    return None;
                }
                off += units * 4;
                next = *p.get(off - 1)?;
            }
        }
        let inner = p.get(off..)?;
        return Some(deeper(depth).and_then(|d| ip_any(inner, d)));
    }
    if src_port == PORT_TEREDO || dst_port == PORT_TEREDO {
        let mut q = p;
        // Authentication indicator: 00 01, id-len, au-len, id, au, nonce (8), confirmation (1).
        if q.starts_with(&[0x00, 0x01]) {
            let id = usize::from(*q.get(2)?);
            let au = usize::from(*q.get(3)?);
            q = q.get(4 + id + au + 9..)?;
        }
        // Origin indication: 00 00, port (2), address (4).
        if q.starts_with(&[0x00, 0x00]) {
            q = q.get(8..)?;
        }
        // An IPv6 header whose payload length covers what follows (less was captured
        // when the snap length cut the packet).
        let h = q.get(..40)?;
        let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
        if h[0] >> 4 != 6 || plen + 40 < q.len() {
            return None;
        }
        return Some(deeper(depth).and_then(|d| ipv6(q, d)));
    }
    None
}

/// GRE (RFC 2784/2890) and enhanced GRE (PPTP, RFC 2637).
fn gre(data: &[u8], depth: u32) -> Result<Decoded<'_>, DecodeError> {
    let flags = be16(data, 0)?;
    let proto = be16(data, 2)?;
    let version = flags & 0x0007;
    let mut off = 4;
    match version {
        0 => {
            if flags & 0x4000 != 0 {
                // Routing present (RFC 1701 source routing): not read.
                return Err(DecodeError::UnsupportedGre);
            }
            if flags & 0x8000 != 0 {
                off += 4; // checksum + reserved
            }
            if flags & 0x2000 != 0 {
                off += 4; // key
            }
            if flags & 0x1000 != 0 {
                off += 4; // sequence number
            }
        }
        1 => {
            off += 4; // payload length + call id (key bit is always set)
            if flags & 0x1000 != 0 {
                off += 4; // sequence number
            }
            if flags & 0x0080 != 0 {
                off += 4; // acknowledgment number
            }
        }
        _ => return Err(DecodeError::UnsupportedGre),
    }
    let inner = rest(data, off)?;
    match proto {
        // ERSPAN (remote SPAN sessions): type I has no header of its own, type II an
        // 8-byte one (GRE sequence bit set), type III 12 bytes plus an optional 8-byte
        // platform subheader (O bit); a mirrored Ethernet frame follows.
        GRE_ERSPAN_2 => {
            let skip = if flags & 0x1000 != 0 { 8 } else { 0 };
            return ethernet(rest(inner, skip)?, deeper(depth)?);
        }
        GRE_ERSPAN_3 => {
            let skip = if byte(inner, 11)? & 1 != 0 { 20 } else { 12 };
            return ethernet(rest(inner, skip)?, deeper(depth)?);
        }
        GRE_ARUBA_80211 => return ieee80211(inner, deeper(depth)?),
        _ => {}
    }
    if version == 1 && inner.is_empty() {
        // PPTP acknowledgement without a payload.
        return Err(DecodeError::NotTcpUdp);
    }
    ethertype(proto, inner, depth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::capture::reader::CaptureReader;
    use crate::parse::capture::reader::tests::{Rng, data, mutate, ts_str};

    // Oracle: tshark 4.0.17 over each file,
    //   tshark -n -r FILE -T fields -E occurrence=a -E aggregator=';' -e frame.number \
    //     -e frame.time_epoch -e frame.cap_len -e frame.len -e frame.protocols \
    //     -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e udp.srcport -e udp.dstport \
    //     -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.flags -e tcp.len -e udp.length
    // taking, for tunnels, the innermost IP and TCP/UDP layer (last in frame.protocols);
    // time truncated to µs; UDP payload = udp.length - 8; TCP flags = low 8 bits.
    // Deviations by design, noted per file: IP fragments (tshark reassembles, we decode the
    // first fragment and report the others as `Fragment`) and UDP payloads cut by the snap
    // length (tshark's udp.length counts bytes that were not captured; we return what was).
    // ipv6-fragmented-dns.pcap: frame 6 is the first fragment of the datagram tshark
    // reassembles into frame 8 (ports from there); tunnels__geneve-vxlan-dns-truncated.pcap:
    // the inner UDP payloads were cut to 48 captured bytes (udp.length says 54 and 74).
    /// Expected per packet, from tshark 4.0.17 (see the command in the module comment):
    /// `number ts cap_len orig_len` then `src dst U sport dport payload_len`,
    /// `src dst T sport dport seq flags payload_len`, or `X reason` (not decoded).
    const ORACLE: &[(&str, &[&str])] = &[
        (
            "detect-bytetest-03.pcap",
            &["1 1646141050.272545 64 64 5.6.7.8 1.2.3.4 U 53 53 18"],
        ),
        (
            "dns__loc-29-trunc.pcap",
            &[
                "1 1604880122.851655 122 122 79.141.82.250 192.188.22.52 U 57483 53 72",
                "2 1604880122.851850 284 284 192.188.22.52 79.141.82.250 U 53 57483 234",
            ],
        ),
        (
            "ipv6-gtp6.pcap",
            &[
                "1 1513078266.494229 454 454 1111:2222:3333:4444:5555:7777:: 1111:2222:3333:4444:5555:8888:a8ac:7bc0 U 53 57030 332",
            ],
        ),
        (
            "pcapng-multi-interface.pcapng",
            &[
                "1 1767663089.500330 96 96 172.17.0.2 1.1.1.1 U 36343 53 54",
                "2 1767663089.514291 214 214 1.1.1.1 172.17.0.2 U 53 36343 172",
                "3 1767663437.111897 70 70 10.0.0.4 1.1.1.1 U 56351 53 28",
                "4 1767663437.126460 166 166 1.1.1.1 10.0.0.4 U 53 56351 124",
                "5 1767663437.128303 70 70 10.0.0.4 1.1.1.1 U 56352 53 28",
                "6 1767663437.140942 182 182 1.1.1.1 10.0.0.4 U 53 56352 140",
            ],
        ),
        (
            "dns-svcb.pcap",
            &[
                "1 1632949179.120361 84 84 127.0.0.1 127.0.0.1 U 57549 53 52",
                "2 1632949179.120700 103 103 127.0.0.1 127.0.0.1 U 53 57549 71",
            ],
        ),
        (
            "websocket-ping.pcap",
            &[
                "1 1394016340.965052 76 76 127.0.0.1 127.0.0.1 T 55371 10301 1326362267 0x02 0",
                "2 1394016340.965062 76 76 127.0.0.1 127.0.0.1 T 10301 55371 963777668 0x12 0",
                "3 1394016340.965070 68 68 127.0.0.1 127.0.0.1 T 55371 10301 1326362268 0x10 0",
                "4 1394016340.965436 309 309 127.0.0.1 127.0.0.1 T 55371 10301 1326362268 0x18 241",
                "5 1394016340.965450 68 68 127.0.0.1 127.0.0.1 T 10301 55371 963777669 0x10 0",
                "6 1394016340.966289 197 197 127.0.0.1 127.0.0.1 T 10301 55371 963777669 0x18 129",
                "7 1394016340.966305 68 68 127.0.0.1 127.0.0.1 T 55371 10301 1326362509 0x10 0",
                "8 1394016340.966355 70 70 127.0.0.1 127.0.0.1 T 55371 10301 1326362509 0x18 2",
                "9 1394016340.967277 75 75 127.0.0.1 127.0.0.1 T 10301 55371 963777798 0x18 7",
                "10 1394016340.967336 68 68 127.0.0.1 127.0.0.1 T 55371 10301 1326362511 0x11 0",
                "11 1394016340.969038 70 70 127.0.0.1 127.0.0.1 T 10301 55371 963777805 0x18 2",
                "12 1394016340.969062 56 56 127.0.0.1 127.0.0.1 T 55371 10301 1326362512 0x04 0",
                "13 1394016342.836348 76 76 127.0.0.1 127.0.0.1 T 55392 10301 606353803 0x02 0",
                "14 1394016342.836358 76 76 127.0.0.1 127.0.0.1 T 10301 55392 1267294436 0x12 0",
                "15 1394016342.836366 68 68 127.0.0.1 127.0.0.1 T 55392 10301 606353804 0x10 0",
                "16 1394016342.836527 68 68 127.0.0.1 127.0.0.1 T 55392 10301 606353804 0x11 0",
                "17 1394016342.840045 68 68 127.0.0.1 127.0.0.1 T 10301 55392 1267294437 0x10 0",
                "18 1394016342.845781 68 68 127.0.0.1 127.0.0.1 T 10301 55392 1267294437 0x11 0",
                "19 1394016342.845811 68 68 127.0.0.1 127.0.0.1 T 55392 10301 606353805 0x10 0",
            ],
        ),
        (
            "decode-sll2-01.pcap",
            &[
                "1 1736381483.613927 80 80 192.168.1.253 192.168.1.21 T 56478 80 2332771219 0x02 0",
                "2 1736381483.614884 80 80 192.168.1.21 192.168.1.253 T 80 56478 845479108 0x12 0",
                "3 1736381483.614954 72 72 192.168.1.253 192.168.1.21 T 56478 80 2332771220 0x10 0",
                "4 1736381483.615043 154 154 192.168.1.253 192.168.1.21 T 56478 80 2332771220 0x18 82",
                "5 1736381483.615602 72 72 192.168.1.21 192.168.1.253 T 80 56478 845479109 0x10 0",
            ],
        ),
        (
            "dns__dns_extended_rcode.pcap",
            &[
                "1 1753342170.000756 73 73 192.168.1.100 192.168.1.53 U 31337 53 45",
                "2 1753342170.001104 73 73 192.168.1.53 192.168.1.100 U 53 31337 45",
            ],
        ),
        (
            "dns__ech.pcap",
            &[
                "1 1756480677.537968 96 96 2a02:6bf:8080:165::1:12 2620:fe::fe U 55941 53 48",
                "2 1756480677.559906 325 325 2620:fe::fe 2a02:6bf:8080:165::1:12 U 53 55941 277",
                "3 1756480692.714414 107 107 2a02:6bf:8080:165::1:12 2620:fe::fe U 39419 53 59",
                "4 1756480692.791589 243 243 2620:fe::fe 2a02:6bf:8080:165::1:12 U 53 39419 195",
            ],
        ),
        (
            "http-empty-useragent.pcap",
            &[
                "1 1541428878.195995 88 88 ::1 ::1 T 57722 9200 2654111798 0x02 0",
                "2 1541428878.196048 88 88 ::1 ::1 T 9200 57722 3940423380 0x12 0",
                "3 1541428878.196058 76 76 ::1 ::1 T 57722 9200 2654111799 0x10 0",
                "4 1541428878.196069 76 76 ::1 ::1 T 9200 57722 3940423381 0x10 0",
                "5 1541428878.551775 91 91 ::1 ::1 T 57722 9200 2654111799 0x18 15",
                "6 1541428878.551809 76 76 ::1 ::1 T 9200 57722 3940423381 0x10 0",
                "7 1541428878.551844 88 88 ::1 ::1 T 57722 9200 2654111814 0x18 12",
                "8 1541428878.551882 76 76 ::1 ::1 T 9200 57722 3940423381 0x10 0",
                "9 1541428878.551891 77 77 ::1 ::1 T 57722 9200 2654111826 0x18 1",
                "10 1541428878.551897 76 76 ::1 ::1 T 9200 57722 3940423381 0x10 0",
                "11 1541428878.555624 652 652 ::1 ::1 T 9200 57722 3940423381 0x18 576",
                "12 1541428878.555684 76 76 ::1 ::1 T 57722 9200 2654111827 0x10 0",
                "13 1541428878.555711 76 76 ::1 ::1 T 9200 57722 3940423957 0x11 0",
                "14 1541428878.555743 76 76 ::1 ::1 T 57722 9200 2654111827 0x10 0",
                "15 1541428878.555789 76 76 ::1 ::1 T 57722 9200 2654111827 0x11 0",
                "16 1541428878.555842 76 76 ::1 ::1 T 9200 57722 3940423958 0x10 0",
            ],
        ),
        (
            "tunnels__vxlan-triple-v2.pcap",
            &["1 1677857409.594662 221 221 4.4.4.4 4.4.4.9 U 53 53 29"],
        ),
        (
            "tunnels__geneve-vxlan-dns-truncated.pcap",
            &[
                "1 1681421823.895599 176 182 172.16.11.201 1.1.1.1 U 36872 53 48",
                "2 1681421825.895608 176 202 1.1.1.1 172.16.11.201 U 53 36872 48",
            ],
        ),
        (
            "tunnels__gre-pptp.pcap",
            &[
                "1 1417577703.821897 197 197 172.16.44.3 8.8.8.8 U 40768 53 71",
                "2 1417577704.035791 268 268 8.8.8.8 172.16.44.3 U 53 40768 146",
            ],
        ),
        (
            "ipv6-fragmented-dns.pcap",
            &[
                "1 1331084278.438444 135 135 2001:470:1f11:81f:d138:5f55:6d4:1fe2 2607:f740:b::f93 U 51850 53 73",
                "2 1331084278.517744 385 385 2607:f740:b::f93 2001:470:1f11:81f:d138:5f55:6d4:1fe2 U 53 51850 323",
                "3 1331084293.592245 136 136 2001:470:1f11:81f:d138:5f55:6d4:1fe2 2607:f740:b::f93 U 51851 53 74",
                "4 1331084293.681153 404 404 X non-first IP fragment",
                "5 1331084298.593081 136 136 2001:470:1f11:81f:d138:5f55:6d4:1fe2 2607:f740:b::f93 U 51851 53 74",
                "6 1331084298.675583 1494 1494 2607:f740:b::f93 2001:470:1f11:81f:d138:5f55:6d4:1fe2 U 53 51851 1424",
                "7 1331084298.676044 1494 1494 X non-first IP fragment",
                "8 1331084298.676270 436 436 X non-first IP fragment",
            ],
        ),
    ];

    fn describe(link_type: u32, data: &[u8]) -> String {
        match decode(link_type, data) {
            Err(e) => format!("X {}", e.reason()),
            Ok(d) => match d.proto {
                Transport::Udp { src_port, dst_port } => format!(
                    "{} {} U {src_port} {dst_port} {}",
                    d.src,
                    d.dst,
                    d.payload.len()
                ),
                Transport::Tcp {
                    src_port,
                    dst_port,
                    seq,
                    flags,
                } => format!(
                    "{} {} T {src_port} {dst_port} {seq} {flags:#04x} {}",
                    d.src,
                    d.dst,
                    d.payload.len()
                ),
            },
        }
    }

    /// Every packet of the file, as the oracle lines are written.
    fn lines(name: &str) -> Vec<String> {
        let bytes = data(name);
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        let mut out = Vec::new();
        while let Some(p) = r.next_packet() {
            let p = p.unwrap();
            out.push(format!(
                "{} {} {} {} {}",
                p.number,
                ts_str(p.ts),
                p.data.len(),
                p.orig_len,
                describe(p.link_type, p.data)
            ));
        }
        out
    }

    #[test]
    fn matches_tshark() {
        for (name, expected) in ORACLE {
            assert_eq!(lines(name), *expected, "{name}");
        }
    }

    #[test]
    fn ipv4_fragments() {
        // tshark reassembles frames 6+7 (and 8+9) into TCP segments 10.0.0.1:1637 ->
        // 10.0.0.2:21477 seq 851119734 flags PSH|ACK (0x18); frame 7 is the second fragment.
        let l = lines("socks5-http-302-frag.pcap");
        assert_eq!(l.len(), 72);
        assert_eq!(
            l[5],
            "6 1385474295.301727 58 58 10.0.0.1 10.0.0.2 T 1637 21477 851119734 0x18 4"
        );
        assert_eq!(l[6], "7 1385474295.301727 51 51 X non-first IP fragment");
        assert_eq!(
            l[7],
            "8 1385474295.485426 58 58 10.0.0.2 10.0.0.1 T 21477 1637 2048564451 0x18 4"
        );
        assert_eq!(l[8], "9 1385474295.485426 40 40 X non-first IP fragment");
        let frags = l
            .iter()
            .filter(|s| s.ends_with("non-first IP fragment"))
            .count();
        assert_eq!(frags, 58); // frames 7, 9, 11-27 and 29-67
    }

    /// The first packet of a test file: (link type, bytes).
    fn first(name: &str) -> (u32, Vec<u8>) {
        let bytes = data(name);
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        (p.link_type, p.data.to_vec())
    }

    #[test]
    fn raw_ip_aliases_and_loopback_byte_orders() {
        // dns__dns_extended_rcode.pcap: link type 228, IPv4.
        let (lt, v4) = first("dns__dns_extended_rcode.pcap");
        assert_eq!(lt, linktype::IPV4);
        let want = describe(lt, &v4);
        assert_eq!(want, "192.168.1.100 192.168.1.53 U 31337 53 45"); // tshark, frame 1
        for alias in [linktype::RAW, linktype::RAW_12, linktype::RAW_14] {
            assert_eq!(describe(alias, &v4), want);
        }
        assert_eq!(describe(linktype::IPV6, &v4), "X invalid IP header");
        // dns__ech.pcap: link type 101 carrying IPv6; also as 229.
        let (lt, v6) = first("dns__ech.pcap");
        let want6 = describe(lt, &v6);
        assert_eq!(want6, "2a02:6bf:8080:165::1:12 2620:fe::fe U 55941 53 48"); // tshark
        assert_eq!(describe(linktype::IPV6, &v6), want6);
        // BSD loopback: the family in either byte order, all AF_INET6 values, both types.
        for lt in [linktype::NULL, linktype::LOOP] {
            for fam in [2u32, 24, 28, 30] {
                let ip = if fam == 2 { &v4 } else { &v6 };
                let want = if fam == 2 { &want } else { &want6 };
                for hdr in [fam.to_le_bytes(), fam.to_be_bytes()] {
                    let mut f = hdr.to_vec();
                    f.extend_from_slice(ip);
                    assert_eq!(&describe(lt, &f), want);
                }
            }
            let mut f = 7u32.to_be_bytes().to_vec();
            f.extend_from_slice(&v4);
            assert_eq!(describe(lt, &f), "X unsupported ethertype");
        }
    }

    #[test]
    fn error_kinds() {
        let (_, eth) = first("detect-bytetest-03.pcap"); // Ethernet, VLAN, IPv4, UDP
        assert_eq!(decode(147, &eth), Err(DecodeError::UnsupportedLinkType));
        for cut in [0, 5, 13, 17, 20, 30, 37, 45] {
            assert_eq!(decode(1, &eth[..cut]), Err(DecodeError::Truncated), "{cut}");
        }
        // ARP.
        let mut arp = eth.clone();
        arp[16..18].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(decode(1, &arp), Err(DecodeError::UnsupportedEtherType));
        // ICMP instead of UDP (IPv4 header starts at 18: 14 + one VLAN tag).
        let mut icmp = eth.clone();
        icmp[18 + 9] = 1;
        assert_eq!(decode(1, &icmp), Err(DecodeError::NotTcpUdp));
        // Non-first fragment, and a first fragment (more-fragments set, offset 0).
        let mut frag = eth.clone();
        frag[18 + 6] = 0x00;
        frag[18 + 7] = 0x10;
        assert_eq!(decode(1, &frag), Err(DecodeError::Fragment));
        frag[18 + 6] = 0x20;
        frag[18 + 7] = 0x00;
        assert!(decode(1, &frag).is_ok());
        // IHL below 5, and a total length shorter than the header.
        let mut bad = eth.clone();
        bad[18] = 0x44;
        assert_eq!(decode(1, &bad), Err(DecodeError::BadIpHeader));
        let mut bad = eth.clone();
        bad[18 + 2..18 + 4].copy_from_slice(&[0, 10]);
        assert_eq!(decode(1, &bad), Err(DecodeError::BadIpHeader));
        // Ethernet padding is not payload: the IP total length bounds it.
        let mut padded = eth.clone();
        padded.extend_from_slice(&[0; 9]);
        assert_eq!(decode(1, &padded), decode(1, &eth));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // 40 VLAN tags in a row.
        let (_, eth) = first("detect-bytetest-03.pcap");
        let mut f = eth[..12].to_vec();
        for _ in 0..40 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
        }
        f.extend_from_slice(&eth[16..]);
        assert_eq!(decode(1, &f), Err(DecodeError::TooDeep));
    }

    #[test]
    fn fuzz_decode_never_panics() {
        let mut samples = Vec::new();
        for (name, _) in ORACLE {
            let bytes = data(name);
            let mut r = CaptureReader::new(&bytes[..]).unwrap();
            while let Some(Ok(p)) = r.next_packet() {
                samples.push((p.link_type, p.data.to_vec()));
            }
        }
        let mut rng = Rng(0xDEC0_DE00_1234_5678);
        let lts = [0, 1, 9, 12, 14, 101, 104, 108, 113, 228, 229, 239, 276];
        for _ in 0..20_000 {
            let (lt, src) = &samples[rng.below(samples.len())];
            let m = mutate(&mut rng, src);
            let lt = if rng.below(4) == 0 {
                lts[rng.below(lts.len())]
            } else {
                *lt
            };
            let _ = decode(lt, &m);
        }
        for _ in 0..20_000 {
            let len = rng.below(200);
            let m: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = decode(lts[rng.below(lts.len())], &m);
        }
    }

    #[test]
    fn reasons_are_distinct() {
        let all = [
            DecodeError::Truncated,
            DecodeError::UnsupportedLinkType,
            DecodeError::UnsupportedEtherType,
            DecodeError::NotTcpUdp,
            DecodeError::Fragment,
            DecodeError::BadIpHeader,
            DecodeError::BadTcpHeader,
            DecodeError::UnsupportedGre,
            DecodeError::TooDeep,
        ];
        let mut r: Vec<_> = all.iter().map(|e| e.reason()).collect();
        r.sort_unstable();
        r.dedup();
        assert_eq!(r.len(), all.len());
    }
}
