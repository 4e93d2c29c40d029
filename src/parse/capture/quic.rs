//! QUIC client Initial packets: long-header parsing (RFC 9000 §17.2), Initial key
//! derivation, header-protection removal and payload decryption (RFC 9001 §5), for QUIC
//! v1, v2 (RFC 9369) and the IETF drafts and mvfst versions tshark also decrypts.
//!
//! The point is the TLS ClientHello a client sends in CRYPTO frames of its Initial packets:
//! their keys come from public values (a per-version salt and the Destination Connection
//! ID of the client's first Initial), so anyone on the path can read them.
//!
//! Use per connection:
//! 1. [`parse_long_header`] on the client's first Initial, then [`InitialKeys::client`]
//!    with its version and DCID, once (key derivation costs a few HMACs);
//! 2. [`decrypt_client_initials`] on each client datagram that [`looks_like_long_header`];
//!    it yields the CRYPTO frames, which the caller joins by offset (they may arrive out of
//!    order and over several packets: post-quantum key shares make browser ClientHellos
//!    longer than one datagram) and hands to `tls::parse_handshake`.
//!
//! After a server's Retry the client starts over: new keys from the DCID it then uses (the
//! Retry's SCID), and a CRYPTO stream from offset 0 again. After version negotiation, new
//! keys for the new version.
//!
//! Nothing here panics on any input: every read is bounds-checked. Decryption works in a
//! caller-owned buffer, so a warm caller does not allocate per packet.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, quic::HeaderProtectionKey};
use ring::hkdf;
use std::ops::Range;

pub const VERSION_1: u32 = 1;
pub const VERSION_2: u32 = 0x6b33_43cf;

/// Longest connection ID in QUIC v1 and v2 (RFC 9000 §17.2, RFC 9369 §3).
pub const MAX_CID_LEN: usize = 20;

/// Bytes of AEAD tag after each payload, and of header-protection sample (RFC 9001 §5.4.2).
const TAG_LEN: usize = 16;
const SAMPLE_LEN: usize = 16;
/// The sample starts this far past the packet number field, as if it were 4 bytes long.
const SAMPLE_OFFSET: usize = 4;
/// Largest value of a variable-length integer (RFC 9000 §16).
const MAX_VARINT: u64 = (1 << 62) - 1;

/// Why a packet or datagram was not decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuicError {
    /// The first byte does not have the long-header form bit.
    NotLongHeader,
    /// Version 0: a Version Negotiation packet.
    VersionNegotiation,
    /// An Initial of a version whose packet layout and Initial salt this module does not
    /// know (Google QUIC, greased 0x?a?a?a?a versions, private versions).
    UnknownVersion,
    /// A field, or the packet its Length field announces, runs past the end of the input.
    TooShort,
    /// A connection ID longer than 20 bytes.
    BadConnectionId,
    /// A packet of another version than the keys it was to be decrypted with.
    VersionMismatch,
    /// The AEAD tag did not verify: other keys (not a client Initial, or not this
    /// connection's), or a corrupt packet.
    DecryptionFailed,
    /// After decryption, a frame that is malformed or not allowed in an Initial packet.
    BadFrame,
}

impl QuicError {
    pub fn as_str(self) -> &'static str {
        match self {
            QuicError::NotLongHeader => "quic: not a long-header packet",
            QuicError::VersionNegotiation => "quic: version negotiation packet",
            QuicError::UnknownVersion => "quic: unknown version",
            QuicError::TooShort => "quic: packet too short",
            QuicError::BadConnectionId => "quic: connection id longer than 20 bytes",
            QuicError::VersionMismatch => "quic: packet version differs from the keys'",
            QuicError::DecryptionFailed => "quic: decryption failed",
            QuicError::BadFrame => "quic: bad frame",
        }
    }
}

impl std::fmt::Display for QuicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for QuicError {}

/// The type of a long-header packet. The two type bits encode them differently in v1 (and
/// the drafts) and in v2 (RFC 9369 §3.2).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

impl PacketType {
    fn from_bits(bits: u8, v2: bool) -> PacketType {
        match (bits & 0b11, v2) {
            (0b00, false) | (0b01, true) => PacketType::Initial,
            (0b01, false) | (0b10, true) => PacketType::ZeroRtt,
            (0b10, false) | (0b11, true) => PacketType::Handshake,
            _ => PacketType::Retry,
        }
    }
}

/// Header fields of one long-header packet, read without decrypting. The packet number
/// is still protected, so its length is not known here.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LongHeader<'a> {
    pub version: u32,
    pub packet_type: PacketType,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// The token of an Initial (empty when none), or the Retry token of a Retry; empty for
    /// the other types.
    pub token: &'a [u8],
    /// Offset of the (protected) packet number field from the start of the packet; for a
    /// Retry, the offset of its token.
    pub pn_offset: usize,
    /// The Length field: packet number plus protected payload; 0 for a Retry.
    pub length: usize,
}

/// Per-version facts: how the type bits read, and the Initial salt and labels.
struct VersionParams {
    v2_types: bool,
    salt: &'static [u8; 20],
    labels: &'static Labels,
}

struct Labels {
    key: &'static [u8],
    iv: &'static [u8],
    hp: &'static [u8],
}

const LABELS_V1: Labels = Labels {
    key: b"quic key",
    iv: b"quic iv",
    hp: b"quic hp",
};
const LABELS_V2: Labels = Labels {
    key: b"quicv2 key",
    iv: b"quicv2 iv",
    hp: b"quicv2 hp",
};

/// RFC 9001 §5.2 (also drafts 33 and 34, where it first appeared).
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-29 to -32.
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// draft-ietf-quic-tls-23 to -28.
const SALT_DRAFT_23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];
/// draft-ietf-quic-tls-21 and -22.
const SALT_DRAFT_22: [u8; 20] = [
    0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd,
    0x7a, 0x02, 0x64, 0x4a,
];

/// Facebook's mvfst versions, based on draft 22 (0xfaceb001) and draft 27 (0xfaceb002 and
/// the experimental 0xfaceb00e); tshark maps them the same way.
const MVFST_D22: u32 = 0xface_b001;
const MVFST_D27: u32 = 0xface_b002;
const MVFST_EXP: u32 = 0xface_b00e;

fn version_params(version: u32) -> Option<VersionParams> {
    let v1 = |salt| {
        Some(VersionParams {
            v2_types: false,
            salt,
            labels: &LABELS_V1,
        })
    };
    match version {
        VERSION_1 => v1(&SALT_V1),
        VERSION_2 => Some(VersionParams {
            v2_types: true,
            salt: &SALT_V2,
            labels: &LABELS_V2,
        }),
        // IETF drafts: 0xff0000NN is draft NN. Before draft 22 the long header laid out the
        // connection ID lengths differently.
        0xff00_0016 | MVFST_D22 => v1(&SALT_DRAFT_22),
        0xff00_0017..=0xff00_001c | MVFST_D27 | MVFST_EXP => v1(&SALT_DRAFT_23),
        0xff00_001d..=0xff00_0020 => v1(&SALT_DRAFT_29),
        0xff00_0021..=0xff00_0022 => v1(&SALT_V1),
        _ => None,
    }
}

/// Whether a UDP payload starts like a QUIC long-header packet: form and fixed bits set and
/// a non-zero version (version 0 is Version Negotiation, sent by servers only).
pub fn looks_like_long_header(payload: &[u8]) -> bool {
    match payload {
        [first, v0, v1, v2, v3, ..] => first & 0xc0 == 0xc0 && [*v0, *v1, *v2, *v3] != [0; 4],
        _ => false,
    }
}

/// Parses the long header at the start of `packet` and returns it with the packet's total
/// length (several packets may be coalesced in one datagram; a Retry takes the rest).
///
/// For a version this module has no keys for, only what RFC 8999 fixes for every version
/// is read (version, then connection IDs of up to 255 bytes); `packet_type` is read with
/// v1's type bits, the token is empty, `length` is 0 and the packet is taken to run to the
/// end of the datagram. So a caller can see an unknown version's client Initial and count
/// it, when [`InitialKeys::client`] returns `None` for it.
///
/// The fixed bit is not checked (RFC 9287 lets peers grease it); [`looks_like_long_header`]
/// does check it.
pub fn parse_long_header(packet: &[u8]) -> Result<(LongHeader<'_>, usize), QuicError> {
    let mut r = Reader::new(packet);
    let first = r.u8()?;
    if first & 0x80 == 0 {
        return Err(QuicError::NotLongHeader);
    }
    let version = r.u32()?;
    if version == 0 {
        return Err(QuicError::VersionNegotiation);
    }
    let params = version_params(version);
    let dcid = r.vec8()?;
    let scid = r.vec8()?;
    if params.is_some() && (dcid.len() > MAX_CID_LEN || scid.len() > MAX_CID_LEN) {
        return Err(QuicError::BadConnectionId);
    }
    let v2_types = params.as_ref().is_some_and(|p| p.v2_types);
    let packet_type = PacketType::from_bits(first >> 4, v2_types);
    let mut header = LongHeader {
        version,
        packet_type,
        dcid,
        scid,
        token: &[],
        pn_offset: r.pos,
        length: 0,
    };
    if params.is_none() {
        return Ok((header, packet.len()));
    }
    if packet_type == PacketType::Retry {
        // Retry token, then a 16-byte integrity tag (RFC 9000 §17.2.5).
        let rest = r.rest();
        header.token = rest
            .len()
            .checked_sub(TAG_LEN)
            .and_then(|n| rest.get(..n))
            .ok_or(QuicError::TooShort)?;
        return Ok((header, packet.len()));
    }
    if packet_type == PacketType::Initial {
        let n = r.varint_len()?;
        header.token = r.take(n)?;
    }
    header.length = r.varint_len()?;
    header.pn_offset = r.pos;
    let total = r
        .pos
        .checked_add(header.length)
        .filter(|&t| t <= packet.len())
        .ok_or(QuicError::TooShort)?;
    Ok((header, total))
}

/// The client's Initial packet protection keys of one connection (RFC 9001 §5.2).
pub struct InitialKeys {
    version: u32,
    key: LessSafeKey,
    iv: [u8; 12],
    hp: HeaderProtectionKey,
}

impl std::fmt::Debug for InitialKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitialKeys")
            .field("version", &format_args!("{:#010x}", self.version))
            .finish_non_exhaustive()
    }
}

impl InitialKeys {
    /// Client Initial keys for `version`, derived from the DCID of the client's first
    /// Initial (later client Initials may carry the server's chosen DCID but keep these
    /// keys, RFC 9001 §5.2). `None` for versions not supported here.
    pub fn client(version: u32, original_dcid: &[u8]) -> Option<InitialKeys> {
        let raw = client_secrets(version, original_dcid)?;
        Some(InitialKeys {
            version,
            key: LessSafeKey::new(UnboundKey::new(&aead::AES_128_GCM, &raw.key).ok()?),
            iv: raw.iv,
            hp: HeaderProtectionKey::new(&aead::quic::AES_128, &raw.hp).ok()?,
        })
    }

    /// The QUIC version these keys are for.
    pub fn version(&self) -> u32 {
        self.version
    }
}

/// Key material before it goes into ring's key types (which do not give it back).
struct RawKeys {
    key: [u8; 16],
    iv: [u8; 12],
    hp: [u8; 16],
}

/// `initial_secret = HKDF-Extract(salt, dcid)`, `client_initial_secret =
/// HKDF-Expand-Label(initial_secret, "client in", "", 32)`, then key, iv and hp from it.
fn client_secrets(version: u32, dcid: &[u8]) -> Option<RawKeys> {
    let params = version_params(version)?;
    let initial = hkdf::Salt::new(hkdf::HKDF_SHA256, params.salt).extract(dcid);
    let secret: [u8; 32] = expand_label(&initial, b"client in")?;
    let client = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
    Some(RawKeys {
        key: expand_label(&client, params.labels.key)?,
        iv: expand_label(&client, params.labels.iv)?,
        hp: expand_label(&client, params.labels.hp)?,
    })
}

/// An HKDF output length, as ring wants it.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label<const N: usize>(prk: &hkdf::Prk, label: &[u8]) -> Option<[u8; N]> {
    const PREFIX: &[u8] = b"tls13 ";
    let len = u16::try_from(N).ok()?.to_be_bytes();
    let label_len = [u8::try_from(PREFIX.len() + label.len()).ok()?];
    let info: [&[u8]; 5] = [&len, &label_len, PREFIX, label, &[0]];
    let mut out = [0u8; N];
    prk.expand(&info, Len(N)).ok()?.fill(&mut out).ok()?;
    Some(out)
}

/// One CRYPTO frame: its offset in the connection's Initial CRYPTO stream, and where its
/// bytes are in the plaintext buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoFrame {
    pub offset: u64,
    pub data: Range<usize>,
}

/// Decrypts the client Initial packets of one datagram and collects their CRYPTO frames.
///
/// Walks the coalesced packets: an Initial is decrypted with `keys`, its frames parsed, and
/// each CRYPTO frame pushed to `frames` as (offset, range into `plain`); 0-RTT and Handshake
/// packets are skipped by their Length field; the walk stops at a short-header packet, a
/// Retry, or anything that is not a long header (such as zero padding after the last packet).
/// `plain` and `frames` are cleared first and may be reused across calls.
///
/// In an Initial, PADDING, PING, ACK and CONNECTION_CLOSE (0x1c) frames are skipped; any
/// other frame type makes that packet an error (RFC 9000 §12.4), and none of its frames is
/// kept. The packet number is taken as sent, without reconstruction from earlier packets:
/// right for a client's first Initials, which start from 0.
///
/// Returns how many Initial packets were decrypted. When none was but one failed (or the
/// first packet could not be parsed), that first error is returned instead.
pub fn decrypt_client_initials(
    datagram: &[u8],
    keys: &InitialKeys,
    plain: &mut Vec<u8>,
    frames: &mut Vec<CryptoFrame>,
) -> Result<usize, QuicError> {
    plain.clear();
    frames.clear();
    let mut decrypted = 0;
    let mut first_error = None;
    let mut pos = 0;
    while let Some(rest) = datagram.get(pos..).filter(|r| !r.is_empty()) {
        let (header, total) = match parse_long_header(rest) {
            Ok(h) => h,
            Err(e) => {
                if pos == 0 {
                    first_error = Some(e);
                }
                break;
            }
        };
        let packet = rest.get(..total).unwrap_or_default();
        pos += total;
        match header.packet_type {
            PacketType::Initial => {}
            PacketType::ZeroRtt | PacketType::Handshake => continue,
            PacketType::Retry => break,
        }
        let result = if header.version == keys.version {
            decrypt_packet(packet, header.pn_offset, keys, plain, frames)
        } else if version_params(header.version).is_none() {
            Err(QuicError::UnknownVersion)
        } else {
            Err(QuicError::VersionMismatch)
        };
        match result {
            Ok(()) => decrypted += 1,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if decrypted == 0 => Err(e),
        _ => Ok(decrypted),
    }
}

/// Removes header protection from one Initial `packet` (exactly its Length long), decrypts
/// it into the end of `plain` and pushes its CRYPTO frames. On error, `plain` and `frames`
/// are left as they were.
fn decrypt_packet(
    packet: &[u8],
    pn_offset: usize,
    keys: &InitialKeys,
    plain: &mut Vec<u8>,
    frames: &mut Vec<CryptoFrame>,
) -> Result<(), QuicError> {
    let sample_at = pn_offset + SAMPLE_OFFSET;
    let sample = packet
        .get(sample_at..sample_at + SAMPLE_LEN)
        .ok_or(QuicError::TooShort)?;
    let mask = keys
        .hp
        .new_mask(sample)
        .map_err(|_| QuicError::DecryptionFailed)?;
    let [m0, pn_mask @ ..] = mask;
    let first = packet.first().ok_or(QuicError::TooShort)? ^ (m0 & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let header_len = pn_offset + pn_len;
    let (header, ciphertext) = packet
        .split_at_checked(header_len)
        .ok_or(QuicError::TooShort)?;

    // The AAD is the unprotected header: copy it, unmasked, ahead of the ciphertext.
    let start = plain.len();
    plain.extend_from_slice(header);
    plain.extend_from_slice(ciphertext);
    let (aad, body) = plain.split_at_mut(start + header_len);
    let aad = aad.get_mut(start..).unwrap_or_default();
    let mut pn = 0u64;
    if let Some(b) = aad.first_mut() {
        *b = first;
    }
    for (b, m) in aad.iter_mut().skip(pn_offset).zip(pn_mask) {
        *b ^= m;
        pn = pn << 8 | u64::from(*b);
    }
    // Nonce: the IV with the packet number XORed into its low bytes (RFC 9001 §5.3).
    let mut nonce = keys.iv;
    for (n, p) in nonce.iter_mut().rev().zip(pn.to_le_bytes()) {
        *n ^= p;
    }
    let opened =
        keys.key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(&*aad), body);
    let Ok(payload) = opened else {
        plain.truncate(start);
        return Err(QuicError::DecryptionFailed);
    };
    let payload_at = start + header_len;
    let payload_end = payload_at + payload.len();
    plain.truncate(payload_end);
    let kept = frames.len();
    let parsed = plain
        .get(payload_at..)
        .ok_or(QuicError::BadFrame)
        .and_then(|p| parse_frames(p, payload_at, frames));
    if let Err(e) = parsed {
        plain.truncate(start);
        frames.truncate(kept);
        return Err(e);
    }
    Ok(())
}

/// Walks the frames of a decrypted Initial payload; CRYPTO frame ranges are offset by
/// `base`, the payload's position in the plaintext buffer.
fn parse_frames(
    payload: &[u8],
    base: usize,
    frames: &mut Vec<CryptoFrame>,
) -> Result<(), QuicError> {
    let mut r = Reader::new(payload);
    let bad = |_| QuicError::BadFrame;
    while !r.rest().is_empty() {
        match r.varint().map_err(bad)? {
            // PADDING: skip the whole run at once.
            0x00 => r.pos += r.rest().iter().take_while(|&&b| b == 0).count(),
            // PING
            0x01 => {}
            // ACK, ACK with ECN counts (RFC 9000 §19.3). Each range takes at least two
            // bytes, so a huge count runs out of payload quickly.
            t @ (0x02 | 0x03) => {
                r.varint().map_err(bad)?; // largest acknowledged
                r.varint().map_err(bad)?; // ack delay
                let ranges = r.varint().map_err(bad)?;
                r.varint().map_err(bad)?; // first range
                for _ in 0..ranges {
                    r.varint().map_err(bad)?; // gap
                    r.varint().map_err(bad)?; // range length
                }
                if t == 0x03 {
                    for _ in 0..3 {
                        r.varint().map_err(bad)?; // ECT0, ECT1, ECN-CE
                    }
                }
            }
            // CRYPTO (RFC 9000 §19.6)
            0x06 => {
                let offset = r.varint().map_err(bad)?;
                let len = r.varint().map_err(bad)?;
                if offset.saturating_add(len) > MAX_VARINT {
                    return Err(QuicError::BadFrame);
                }
                let at = base + r.pos;
                let data = r.take_u64(len).map_err(bad)?;
                frames.push(CryptoFrame {
                    offset,
                    data: at..at + data.len(),
                });
            }
            // CONNECTION_CLOSE, transport variant (the application one is not allowed in
            // Initial packets).
            0x1c => {
                r.varint().map_err(bad)?; // error code
                r.varint().map_err(bad)?; // frame type
                let n = r.varint().map_err(bad)?;
                r.take_u64(n).map_err(bad)?; // reason phrase
            }
            _ => return Err(QuicError::BadFrame),
        }
    }
    Ok(())
}

/// A bounds-checked big-endian reader.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }
    fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], QuicError> {
        let s = self.rest().get(..n).ok_or(QuicError::TooShort)?;
        self.pos += n;
        Ok(s)
    }
    fn take_u64(&mut self, n: u64) -> Result<&'a [u8], QuicError> {
        self.take(usize::try_from(n).map_err(|_| QuicError::TooShort)?)
    }
    fn u8(&mut self) -> Result<u8, QuicError> {
        let &[b] = self.take(1)? else {
            return Err(QuicError::TooShort);
        };
        Ok(b)
    }
    fn u32(&mut self) -> Result<u32, QuicError> {
        let &[a, b, c, d] = self.take(4)? else {
            return Err(QuicError::TooShort);
        };
        Ok(u32::from_be_bytes([a, b, c, d]))
    }
    fn vec8(&mut self) -> Result<&'a [u8], QuicError> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    /// A variable-length integer (RFC 9000 §16): the top two bits of the first byte give
    /// its length, 1, 2, 4 or 8 bytes.
    fn varint(&mut self) -> Result<u64, QuicError> {
        let first = *self.rest().first().ok_or(QuicError::TooShort)?;
        let bytes = self.take(1 << (first >> 6))?;
        let tail = bytes.get(1..).unwrap_or_default();
        Ok(tail
            .iter()
            .fold(u64::from(first & 0x3f), |v, &b| v << 8 | u64::from(b)))
    }
    /// A varint used as a length within the input.
    fn varint_len(&mut self) -> Result<usize, QuicError> {
        usize::try_from(self.varint()?).map_err(|_| QuicError::TooShort)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::parse::capture::link::{self, Transport};
    use crate::parse::capture::reader::CaptureReader;
    use crate::parse::capture::tls::{self, Parsed};
    use std::collections::HashMap;
    use std::net::IpAddr;

    type Endpoint = (IpAddr, u16);

    /// One UDP flow as a scanner would track it: the client's Initial keys and CRYPTO stream.
    #[derive(Default)]
    struct Flow {
        keys: Option<InitialKeys>,
        client: Option<Endpoint>,
        first_sender: Option<Endpoint>,
        /// The CRYPTO stream joined by offset, and which of its bytes have arrived.
        stream: Vec<u8>,
        have: Vec<bool>,
        done: bool,
        /// Initial packets seen from each endpoint, and how many of them decrypted.
        initials: HashMap<Endpoint, (usize, usize)>,
    }

    impl Flow {
        fn restart(&mut self, keys: Option<InitialKeys>) {
            self.keys = keys;
            self.stream.clear();
            self.have.clear();
            self.done = false;
        }
    }

    /// What a capture yields: the (frame, SNI) of each ClientHello, at the frame that
    /// completed it, and the client Initial packets seen and decrypted.
    #[derive(Debug, Default, PartialEq, Eq)]
    pub(crate) struct Survey {
        pub hellos: Vec<(u64, String)>,
        pub client_initials: usize,
        pub decrypted: usize,
        /// Client Initial datagrams of a version without keys here.
        pub unknown_version: usize,
    }

    /// Longest CRYPTO stream buffered per flow (a ClientHello is a few KiB).
    const MAX_STREAM: u64 = 64 << 10;

    /// Reads a capture as the scanner will: decode to UDP, track flows, derive keys from the
    /// client's first Initial, decrypt, join CRYPTO data by offset, parse the ClientHello.
    /// The client is the endpoint whose Initial decrypts with keys from its own DCID; after
    /// a Retry (or a new connection on the same ports) keys come from the next Initial.
    pub(crate) fn survey(bytes: &[u8]) -> Survey {
        let mut out = Survey::default();
        let Ok(mut r) = CaptureReader::new(bytes) else {
            return out;
        };
        let mut flows: HashMap<(Endpoint, Endpoint), Flow> = HashMap::new();
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        while let Some(p) = r.next_packet() {
            let Ok(p) = p else { continue };
            let Ok(d) = link::decode(p.link_type, p.data) else {
                continue;
            };
            let Transport::Udp { src_port, dst_port } = d.proto else {
                continue;
            };
            if !looks_like_long_header(d.payload) {
                continue;
            }
            let Ok((header, _)) = parse_long_header(d.payload) else {
                continue;
            };
            let (src, dst) = ((d.src, src_port), (d.dst, dst_port));
            let flow = flows.entry((src.min(dst), src.max(dst))).or_default();
            if flow.client.is_some_and(|c| c != src) {
                if header.packet_type == PacketType::Retry {
                    flow.restart(None);
                }
                continue;
            }
            let initials = count_initials(d.payload);
            if initials == 0 {
                continue;
            }
            flow.first_sender.get_or_insert(src);
            let fresh = || InitialKeys::client(header.version, header.dcid);
            let mut result = match &flow.keys {
                Some(k) => decrypt_client_initials(d.payload, k, &mut plain, &mut frames),
                None => Err(QuicError::DecryptionFailed),
            };
            if result.is_err() {
                // New keys: the first Initial of a connection (or of one after a Retry or
                // version negotiation). A server's Initial does not decrypt with them.
                match fresh() {
                    None => out.unknown_version += 1,
                    Some(k) => {
                        result = decrypt_client_initials(d.payload, &k, &mut plain, &mut frames);
                        if result.is_ok() {
                            flow.restart(Some(k));
                        }
                    }
                }
            }
            let n = result.unwrap_or(0);
            let side = flow.initials.entry(src).or_default();
            side.0 += initials;
            side.1 += n;
            if n == 0 {
                continue;
            }
            flow.client = Some(src);
            for f in &frames {
                let end = f.offset + f.data.len() as u64;
                if end > MAX_STREAM {
                    continue;
                }
                let (at, end) = (f.offset as usize, end as usize);
                if flow.stream.len() < end {
                    flow.stream.resize(end, 0);
                    flow.have.resize(end, false);
                }
                flow.stream[at..end].copy_from_slice(&plain[f.data.clone()]);
                flow.have[at..end].fill(true);
            }
            if flow.done {
                continue;
            }
            let contiguous = flow.have.iter().take_while(|&&h| h).count();
            match tls::parse_handshake(&flow.stream[..contiguous]) {
                Ok(Parsed::Hello(h)) => {
                    let sni = h.sni.map(|s| String::from_utf8_lossy(s).into_owned());
                    out.hellos.push((p.number, sni.unwrap_or_default()));
                    flow.done = true;
                }
                Ok(Parsed::NeedMore { .. }) => {}
                Err(_) => flow.done = true,
            }
        }
        for flow in flows.values() {
            let client = flow.client.or(flow.first_sender);
            if let Some((seen, ok)) = client.and_then(|c| flow.initials.get(&c)) {
                out.client_initials += seen;
                out.decrypted += ok;
            }
        }
        out
    }

    /// Initial packets coalesced at the start of a datagram.
    fn count_initials(datagram: &[u8]) -> usize {
        let mut n = 0;
        let mut pos = 0;
        while let Some(Ok((h, total))) = datagram.get(pos..).map(parse_long_header) {
            n += usize::from(h.packet_type == PacketType::Initial);
            if h.packet_type == PacketType::Retry || total == 0 {
                break;
            }
            pos += total;
        }
        n
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    // RFC 9001 Appendix A: the client's DCID, its unprotected Initial header (packet number
    // 2 in 4 bytes, Length 1182), the frames it carries (one CRYPTO frame with a 241-byte
    // ClientHello, then PADDING to 1162 bytes) and the protected 1200-byte packet (A.2).
    const RFC_DCID: &str = "8394c8f03e515708";
    const RFC9001_HEADER: &str = "c300000001088394c8f03e5157080000449e00000002";
    const RFC_FRAMES: &str = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868\
        04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578\
        616d706c652e636f6dff01000100000a00080006001d00170018001000070005\
        04616c706e000500050100000000003300260024001d00209370b2c9caa47fba\
        baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400\
        0d0010000e0403050306030203080408050806002d00020101001c0002400100\
        3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000\
        75300901100f088394c8f03e51570806048000ffff";
    const RFC_PADDED_LEN: usize = 1162;
    const RFC9001_PACKET: &str = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11\
        d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399\
        1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c\
        8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212\
        30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5\
        457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208\
        4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec\
        4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3\
        485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db\
        059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c\
        7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8\
        9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556\
        be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74\
        68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a\
        c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00\
        f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632\
        291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964\
        25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd\
        14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff\
        ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198\
        e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd\
        c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73\
        203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f\
        cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e\
        fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade\
        a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047\
        90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2\
        162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4\
        40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0\
        6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e\
        8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0\
        be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400\
        54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab\
        760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9\
        f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4\
        056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064\
        7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241\
        e221af44860018ab0856972e194cd934";
    // RFC 9001 A.3: the server's Initial (server keys), which client keys must not open.
    const RFC9001_SERVER_PACKET: &str = "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a\
        5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3\
        dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84\
        022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4\
        2158407dd074ee";
    // RFC 9369 Appendix A.2: the same client Initial under QUIC v2.
    const RFC9369_HEADER: &str = "d36b3343cf088394c8f03e5157080000449e00000002";
    const RFC9369_PACKET: &str = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485\
        dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04\
        9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d\
        250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a\
        12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500\
        cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68\
        18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33\
        12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3\
        d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd\
        6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520\
        bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045\
        636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f\
        ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12\
        16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5\
        4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4\
        fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b\
        8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7\
        14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9\
        9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91\
        abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd\
        80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db\
        848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18\
        d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15\
        c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc\
        7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61\
        f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710\
        10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b\
        3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e\
        06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce\
        8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1\
        34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1\
        e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd\
        5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3\
        8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89\
        d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53\
        6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19\
        9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b\
        a18b2faa745b6fe189cf772a9f84cbfc";

    fn rfc_keys(version: u32) -> InitialKeys {
        InitialKeys::client(version, &hex(RFC_DCID)).unwrap()
    }

    /// The RFC's 241-byte ClientHello (the CRYPTO frame's data).
    fn rfc_hello() -> Vec<u8> {
        hex(RFC_FRAMES)[4..].to_vec()
    }

    /// Applies packet protection (RFC 9001 §5.3, §5.4) to an unprotected long header (its
    /// Length field already counting the tag) and a payload: the inverse of what the module
    /// does, to build test packets.
    fn protect(keys: &InitialKeys, header: &[u8], payload: &[u8]) -> Vec<u8> {
        let pn_len = usize::from(header[0] & 3) + 1;
        let pn_at = header.len() - pn_len;
        let pn = header[pn_at..]
            .iter()
            .fold(0u64, |v, &b| v << 8 | u64::from(b));
        let mut nonce = keys.iv;
        for (n, p) in nonce.iter_mut().rev().zip(pn.to_le_bytes()) {
            *n ^= p;
        }
        let mut body = payload.to_vec();
        keys.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header),
                &mut body,
            )
            .unwrap();
        let sample = &body[SAMPLE_OFFSET - pn_len..][..SAMPLE_LEN];
        let mask = keys.hp.new_mask(sample).unwrap();
        let mut out = header.to_vec();
        out[0] ^= mask[0] & 0x0f;
        for (b, m) in out[pn_at..].iter_mut().zip(&mask[1..]) {
            *b ^= m;
        }
        out.extend_from_slice(&body);
        out
    }

    /// An unprotected client Initial header for the RFC's DCID: `pn` in `pn_len` bytes and a
    /// Length field for a payload of `payload_len` bytes.
    fn initial_header(version: u32, pn: u32, pn_len: usize, payload_len: usize) -> Vec<u8> {
        let type_bits = if version == VERSION_2 { 0x10 } else { 0x00 };
        let mut h = vec![0xc0 | type_bits | (pn_len as u8 - 1)];
        h.extend(version.to_be_bytes());
        h.push(8);
        h.extend(hex(RFC_DCID));
        h.extend([0, 0]); // SCID, token
        let len = (pn_len + payload_len + TAG_LEN) as u16;
        h.extend((0x4000 | len).to_be_bytes());
        h.extend(&pn.to_be_bytes()[4 - pn_len..]);
        h
    }

    /// The datagram's client Initials decrypted, as (offset, bytes) of each CRYPTO frame.
    fn crypto(datagram: &[u8], keys: &InitialKeys) -> Result<Vec<(u64, Vec<u8>)>, QuicError> {
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        decrypt_client_initials(datagram, keys, &mut plain, &mut frames)?;
        Ok(frames
            .iter()
            .map(|f| (f.offset, plain[f.data.clone()].to_vec()))
            .collect())
    }

    #[test]
    fn rfc9001_a1_client_keys() {
        let k = client_secrets(VERSION_1, &hex(RFC_DCID)).unwrap();
        assert_eq!(k.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(k.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(k.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
    }

    #[test]
    fn rfc9369_a1_client_keys() {
        let k = client_secrets(VERSION_2, &hex(RFC_DCID)).unwrap();
        assert_eq!(k.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(k.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
        assert_eq!(k.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
    }

    #[test]
    fn rfc9001_a2_client_initial() {
        let packet = hex(RFC9001_PACKET);
        assert_eq!(packet.len(), 1200);
        assert!(looks_like_long_header(&packet));
        let (h, total) = parse_long_header(&packet).unwrap();
        assert_eq!(
            h,
            LongHeader {
                version: VERSION_1,
                packet_type: PacketType::Initial,
                dcid: &hex(RFC_DCID),
                scid: &[],
                token: &[],
                pn_offset: 18,
                length: 1182,
            }
        );
        assert_eq!(total, 1200);

        let keys = rfc_keys(VERSION_1);
        assert_eq!(keys.version(), VERSION_1);
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        assert_eq!(
            decrypt_client_initials(&packet, &keys, &mut plain, &mut frames),
            Ok(1)
        );
        // Header protection removed: the buffer starts with the header as the AAD saw it,
        // then the payload without its tag.
        assert_eq!(plain[..22], hex(RFC9001_HEADER));
        assert_eq!(plain.len(), 22 + RFC_PADDED_LEN);
        assert_eq!(
            frames,
            [CryptoFrame {
                offset: 0,
                data: 26..26 + 241
            }]
        );
        assert_eq!(plain[frames[0].data.clone()], rfc_hello());
        assert_eq!(plain[frames[0].data.clone()][..6], [1, 0, 0, 0xed, 3, 3]);
        let Ok(Parsed::Hello(hello)) = tls::parse_handshake(&plain[frames[0].data.clone()]) else {
            panic!()
        };
        assert_eq!(hello.sni, Some(&b"example.com"[..]));
        assert_eq!(hello.alpn, [&b"alpn"[..]]);

        // The test helper protects the RFC's plaintext into the RFC's packet.
        let mut payload = hex(RFC_FRAMES);
        payload.resize(RFC_PADDED_LEN, 0);
        assert_eq!(protect(&keys, &hex(RFC9001_HEADER), &payload), packet);
    }

    #[test]
    fn rfc9369_a2_client_initial() {
        let packet = hex(RFC9369_PACKET);
        assert_eq!(packet.len(), 1200);
        let (h, total) = parse_long_header(&packet).unwrap();
        assert_eq!(
            (
                h.version,
                h.packet_type,
                h.dcid,
                h.pn_offset,
                h.length,
                total
            ),
            (
                VERSION_2,
                PacketType::Initial,
                &hex(RFC_DCID)[..],
                18,
                1182,
                1200
            )
        );
        let keys = rfc_keys(VERSION_2);
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        assert_eq!(
            decrypt_client_initials(&packet, &keys, &mut plain, &mut frames),
            Ok(1)
        );
        assert_eq!(plain[..22], hex(RFC9369_HEADER));
        assert_eq!(
            frames,
            [CryptoFrame {
                offset: 0,
                data: 26..26 + 241
            }]
        );
        assert_eq!(plain[frames[0].data.clone()], rfc_hello());
        let mut payload = hex(RFC_FRAMES);
        payload.resize(RFC_PADDED_LEN, 0);
        assert_eq!(protect(&keys, &hex(RFC9369_HEADER), &payload), packet);

        // v1 keys do not open a v2 packet, nor v2 keys a v1 one.
        assert_eq!(
            crypto(&packet, &rfc_keys(VERSION_1)),
            Err(QuicError::VersionMismatch)
        );
        assert_eq!(
            crypto(&hex(RFC9001_PACKET), &keys),
            Err(QuicError::VersionMismatch)
        );
    }

    #[test]
    fn type_bits_differ_between_v1_and_v2() {
        let mut v1 = hex(RFC9001_PACKET);
        let mut v2 = hex(RFC9369_PACKET);
        let types = [
            PacketType::Initial,
            PacketType::ZeroRtt,
            PacketType::Handshake,
            PacketType::Retry,
        ];
        for (bits, want) in (0u8..4).zip(types) {
            v1[0] = 0xc0 | bits << 4;
            v2[0] = 0xc0 | ((bits + 1) % 4) << 4;
            assert_eq!(parse_long_header(&v1).unwrap().0.packet_type, want);
            assert_eq!(parse_long_header(&v2).unwrap().0.packet_type, want);
        }
        // A Retry runs to the end of the datagram: token, then a 16-byte integrity tag.
        let (h, total) = parse_long_header(&v1).unwrap();
        assert_eq!(
            (h.token.len(), h.pn_offset, total),
            (1200 - 15 - 16, 15, 1200)
        );
        assert_eq!(parse_long_header(&v1[..30]), Err(QuicError::TooShort));
        assert_eq!(parse_long_header(&v1[..31]).unwrap().0.token, b"");
    }

    #[test]
    fn versions() {
        let dcid = hex(RFC_DCID);
        // v1, v2, IETF drafts 22-34 and Facebook's mvfst have keys here.
        for v in [VERSION_1, VERSION_2, 0xfaceb001, 0xfaceb002, 0xfaceb00e]
            .into_iter()
            .chain(0xff00_0016..=0xff00_0022)
        {
            assert!(InitialKeys::client(v, &dcid).is_some(), "{v:#x}");
        }
        // Google QUIC (Q050, T050, T051), greased, version negotiation, older drafts.
        for v in [
            0x5130_3530,
            0x5430_3530,
            0x5430_3531,
            0x0a0a_0a0a,
            0xbaba_baba,
            0,
            0xff00_0015,
            0xff00_0023,
            2,
        ] {
            assert!(InitialKeys::client(v, &dcid).is_none(), "{v:#x}");
            let mut p = hex(RFC9001_PACKET);
            p[1..5].copy_from_slice(&v.to_be_bytes());
            if v == 0 {
                assert_eq!(parse_long_header(&p), Err(QuicError::VersionNegotiation));
                continue;
            }
            // Only the invariant fields: the rest of the datagram is the packet.
            let (h, total) = parse_long_header(&p).unwrap();
            assert_eq!(
                (
                    h.version,
                    h.packet_type,
                    h.dcid,
                    h.scid,
                    h.token,
                    h.pn_offset,
                    h.length
                ),
                (v, PacketType::Initial, &dcid[..], &[][..], &[][..], 15, 0)
            );
            assert_eq!(total, 1200);
            assert_eq!(
                crypto(&p, &rfc_keys(VERSION_1)),
                Err(QuicError::UnknownVersion)
            );
        }
        // Connection IDs of up to 255 bytes (RFC 8999) in an unknown version.
        let mut p = vec![0xc0, 0x0a, 0x0a, 0x0a, 0x0a, 200];
        p.extend([7; 200]);
        p.extend([0; 10]);
        assert_eq!(parse_long_header(&p).unwrap().0.dcid, [7; 200]);
        assert_eq!(parse_long_header(&p[..205]), Err(QuicError::TooShort));
        // Salts by draft, checked against v1's keys: drafts 33 and 34 share v1's salt.
        let key = |v| client_secrets(v, &dcid).unwrap().key;
        assert_eq!(key(0xff00_0021), key(VERSION_1));
        assert_eq!(key(0xff00_0022), key(VERSION_1));
        assert_ne!(key(0xff00_0020), key(VERSION_1));
        assert_eq!(key(0xff00_001d), key(0xff00_0020));
        assert_ne!(key(0xff00_001c), key(0xff00_001d));
        assert_eq!(key(0xff00_0017), key(0xfaceb002));
        assert_eq!(key(0xff00_0016), key(0xfaceb001));
        assert_ne!(key(0xff00_0016), key(0xff00_0017));
        assert_eq!(
            format!("{:?}", rfc_keys(VERSION_2)),
            "InitialKeys { version: 0x6b3343cf, .. }"
        );
    }

    #[test]
    fn looks_like() {
        assert!(looks_like_long_header(&hex(RFC9369_PACKET)));
        assert!(looks_like_long_header(&[0xc0, 0, 0, 0, 1]));
        // Short header, fixed bit clear, version negotiation, too short.
        assert!(!looks_like_long_header(&[0x41, 0, 0, 0, 1, 0, 0]));
        assert!(!looks_like_long_header(&[0x80, 0, 0, 0, 1, 0, 0]));
        assert!(!looks_like_long_header(&[0xc0, 0, 0, 0, 0, 8, 0]));
        assert!(!looks_like_long_header(&[0xc0, 0, 0, 1]));
        assert_eq!(
            parse_long_header(&[0x41, 0, 0, 0, 1]),
            Err(QuicError::NotLongHeader)
        );
        let mut long_cid = vec![0xc0, 0, 0, 0, 1, 21];
        long_cid.extend([0; 30]);
        assert_eq!(
            parse_long_header(&long_cid),
            Err(QuicError::BadConnectionId)
        );
    }

    #[test]
    fn truncated_packets() {
        let keys = rfc_keys(VERSION_1);
        let packet = hex(RFC9001_PACKET);
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        assert_eq!(
            decrypt_client_initials(&[], &keys, &mut plain, &mut frames),
            Ok(0)
        );
        for n in 1..packet.len() {
            assert_eq!(
                decrypt_client_initials(&packet[..n], &keys, &mut plain, &mut frames),
                Err(QuicError::TooShort),
                "{n}"
            );
            assert!(plain.is_empty() && frames.is_empty());
        }
        // The shortest packet that has a header-protection sample (RFC 9001 §5.4.2), and
        // one byte less.
        let short = protect(&keys, &initial_header(VERSION_1, 0, 1, 3), &[1, 0, 0]);
        assert_eq!(short.len(), 18 + 1 + 3 + 16);
        assert_eq!(crypto(&short, &keys), Ok(vec![]));
        let mut too_short = short[..short.len() - 1].to_vec();
        too_short[17] -= 1;
        assert_eq!(parse_long_header(&too_short).unwrap().1, too_short.len());
        assert_eq!(crypto(&too_short, &keys), Err(QuicError::TooShort));
    }

    #[test]
    fn wrong_keys() {
        let packet = hex(RFC9001_PACKET);
        let other = InitialKeys::client(VERSION_1, &hex("8394c8f03e515709")).unwrap();
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        assert_eq!(
            decrypt_client_initials(&packet, &other, &mut plain, &mut frames),
            Err(QuicError::DecryptionFailed)
        );
        assert!(plain.is_empty() && frames.is_empty());
        // The server's Initial is under server keys.
        assert_eq!(
            crypto(&hex(RFC9001_SERVER_PACKET), &rfc_keys(VERSION_1)),
            Err(QuicError::DecryptionFailed)
        );
        // One flipped bit anywhere in the packet fails the tag (or the header's lengths).
        let keys = rfc_keys(VERSION_1);
        for at in [0, 5, 17, 18, 21, 22, 600, 1199] {
            let mut p = packet.clone();
            p[at] ^= 0x04;
            assert!(crypto(&p, &keys).is_err(), "{at}");
        }
    }

    #[test]
    fn frames_of_an_initial() {
        let keys = rfc_keys(VERSION_1);
        let hello = rfc_hello();
        // PING, ACK, ACK with ECN counts, CRYPTO frames out of order (the second half
        // first), PADDING, CONNECTION_CLOSE with a reason.
        let mut payload = vec![0x01];
        payload.extend([0x02, 0x05, 0x40, 0x10, 0x01, 0x00, 0x01, 0x00]);
        payload.extend([0x03, 0x05, 0x00, 0x00, 0x01, 0x02, 0x01, 0x07, 0x00, 0x00]);
        payload.extend([0x06, 0x40, 0x64, 0x40, (hello.len() - 100) as u8]);
        payload.extend(&hello[100..]);
        payload.extend([0x06, 0x00, 0x40, 100]);
        payload.extend(&hello[..100]);
        payload.extend([0u8; 40]);
        payload.extend([0x1c, 0x0a, 0x06, 0x03]);
        payload.extend(b"bye");
        let header = initial_header(VERSION_1, 1, 2, payload.len());
        let packet = protect(&keys, &header, &payload);
        let got = crypto(&packet, &keys).unwrap();
        assert_eq!(
            got,
            [(100, hello[100..].to_vec()), (0, hello[..100].to_vec())]
        );

        // Frames not allowed in an Initial: STREAM, application CONNECTION_CLOSE,
        // NEW_TOKEN, HANDSHAKE_DONE, and an unknown type; the packet is an error.
        for bad in [
            &[0x08, 0x00, 0x00][..],
            &[0x1d, 0, 0],
            &[0x07, 0],
            &[0x1e],
            &[0x40, 0x31],
        ] {
            let mut p = vec![0x06, 0x00, 0x01, 0xaa];
            p.extend(bad);
            p.extend([0; 20]);
            let packet = protect(&keys, &initial_header(VERSION_1, 0, 1, p.len()), &p);
            assert_eq!(crypto(&packet, &keys), Err(QuicError::BadFrame), "{bad:?}");
        }
        // Frames cut short by the end of the payload.
        for cut in [
            &[0x06, 0x00, 0x05, 1, 2][..],
            &[0x02, 0x00, 0x00, 0x05, 0x00, 0x00],
            &[0x1c, 0, 0, 9, 1],
        ] {
            let mut p = vec![0; 20];
            p.extend(cut);
            let packet = protect(&keys, &initial_header(VERSION_1, 0, 1, p.len()), &p);
            assert_eq!(crypto(&packet, &keys), Err(QuicError::BadFrame), "{cut:?}");
        }
        // A CRYPTO frame reaching past 2^62 - 1.
        let mut p = vec![
            0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xaa,
        ];
        p.extend([0; 20]);
        let packet = protect(&keys, &initial_header(VERSION_1, 0, 1, p.len()), &p);
        assert_eq!(crypto(&packet, &keys), Err(QuicError::BadFrame));
    }

    #[test]
    fn coalesced_packets() {
        let keys = rfc_keys(VERSION_1);
        let hello = rfc_hello();
        let part = |pn: u32, offset: u8, data: &[u8]| {
            let mut p = vec![0x06, offset, data.len() as u8];
            p.extend(data);
            p.extend([0; 20]);
            protect(&keys, &initial_header(VERSION_1, pn, 1, p.len()), &p)
        };
        // Initial, Handshake (skipped by its Length), Initial, then zero padding.
        let mut handshake = vec![0xe0, 0, 0, 0, 1, 8];
        handshake.extend(hex(RFC_DCID));
        handshake.extend([0, 0x05, 1, 2, 3, 4, 5]);
        let mut datagram = part(0, 0, &hello[..40]);
        let first_len = datagram.len();
        datagram.extend(&handshake);
        datagram.extend(part(1, 40, &hello[40..60]));
        datagram.extend([0; 100]);
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        assert_eq!(
            decrypt_client_initials(&datagram, &keys, &mut plain, &mut frames),
            Ok(2)
        );
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[0].offset, &plain[frames[0].data.clone()]),
            (0, &hello[..40])
        );
        assert_eq!(
            (frames[1].offset, &plain[frames[1].data.clone()]),
            (40, &hello[40..60])
        );

        // The buffers are reused: a second call starts from empty ones.
        let cap = plain.capacity();
        assert_eq!(
            decrypt_client_initials(&datagram[..first_len], &keys, &mut plain, &mut frames),
            Ok(1)
        );
        assert_eq!((frames.len(), plain.capacity()), (1, cap));

        // A bad second packet keeps the first one's frames; a bad first one, the second's.
        let mut bad_second = datagram[..first_len].to_vec();
        let mut corrupt = part(1, 40, &hello[40..60]);
        *corrupt.last_mut().unwrap() ^= 1;
        bad_second.extend(&corrupt);
        assert_eq!(crypto(&bad_second, &keys).unwrap().len(), 1);
        let mut bad_first = corrupt.clone();
        bad_first.extend(&datagram[..first_len]);
        assert_eq!(
            crypto(&bad_first, &keys).unwrap(),
            [(0, hello[..40].to_vec())]
        );
        // A short-header packet ends the walk; a Retry too.
        let mut short = datagram[..first_len].to_vec();
        short.extend([0x41, 1, 2, 3]);
        short.extend(part(1, 40, &hello[40..60]));
        assert_eq!(crypto(&short, &keys).unwrap().len(), 1);
        // Only 0-RTT/Handshake packets: nothing to decrypt.
        assert_eq!(crypto(&handshake, &keys), Ok(vec![]));
    }

    fn capture(name: &str) -> Survey {
        survey(&crate::parse::capture::reader::tests::data(name))
    }

    fn hellos(list: &[(u64, &str)]) -> Vec<(u64, String)> {
        list.iter().map(|&(n, s)| (n, s.to_string())).collect()
    }

    // Oracle: tshark 4.0.17 over each capture,
    //   tshark -r FILE -o tls.keylog_file: -Y quic -T fields -e frame.number -e udp.srcport \
    //     -e quic.version -e quic.long.packet_type -e quic.dcid -e quic.packet_number \
    //     -e quic.crypto.offset -e quic.crypto.length -e tls.handshake.extensions_server_name
    // which gives the SNI at the frame that completes the ClientHello.

    #[test]
    fn chrome_v1_crypto_frames_out_of_order() {
        // tshark frame 1: offsets 549,346,330,0,319,277,535,566,540 with lengths
        // 17,189,16,277,11,42,5,8,9; SNI api.cirrus-ci.com, ALPN h3.
        let bytes = crate::parse::capture::reader::tests::data(
            "quic__chromium-115.0.5790.110-api-cirrus-com.pcap",
        );
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        let d = link::decode(p.link_type, p.data).unwrap();
        let (h, _) = parse_long_header(d.payload).unwrap();
        assert_eq!(h.dcid, hex("95412c47018cdfe8"));
        let keys = InitialKeys::client(h.version, h.dcid).unwrap();
        let frames = crypto(d.payload, &keys).unwrap();
        let got: Vec<(u64, usize)> = frames.iter().map(|(o, d)| (*o, d.len())).collect();
        assert_eq!(
            got,
            [
                (549, 17),
                (346, 189),
                (330, 16),
                (0, 277),
                (319, 11),
                (277, 42),
                (535, 5),
                (566, 8),
                (540, 9)
            ]
        );
        let mut stream = vec![0; 574];
        for (o, d) in &frames {
            stream[*o as usize..][..d.len()].copy_from_slice(d);
        }
        let Ok(Parsed::Hello(hello)) = tls::parse_handshake(&stream) else {
            panic!()
        };
        assert_eq!(hello.sni, Some(&b"api.cirrus-ci.com"[..]));
        assert_eq!(hello.alpn, [&b"h3"[..]]);

        let s = capture("quic__chromium-115.0.5790.110-api-cirrus-com.pcap");
        assert_eq!(s.hellos, hellos(&[(1, "api.cirrus-ci.com")]));
        assert_eq!((s.client_initials, s.decrypted), (1, 1));
    }

    #[test]
    fn quic_v2_capture() {
        // tshark: version 0x6b3343cf; frames 1-3 are the same Initial sent three times
        // (CRYPTO offset 0, length 277), SNI localhost at frame 1.
        let s = capture("quic__quicv2-echo-443.pcap");
        assert_eq!(s.hellos, hellos(&[(1, "localhost")]));
        assert_eq!((s.client_initials, s.decrypted), (4, 4));
    }

    #[test]
    fn hello_over_three_initials() {
        // tshark: frame 1 offsets 0,1560,37,55,53; frame 2 offset 60; frame 3 offsets
        // 1198,1376,1179: the ClientHello completes at frame 3 with SNI
        // googleads.g.doubleclick.net.
        let s = capture("quic__multiple-initial-fragmented-crypto.pcap");
        assert_eq!(s.hellos, hellos(&[(3, "googleads.g.doubleclick.net")]));
        assert_eq!((s.client_initials, s.decrypted), (3, 3));
        // tshark: frame 1 offsets 15,1717,…; frame 2 completes it, SNI mastodon.social.
        let s = capture("quic-frag-unordered.pcap");
        assert_eq!(s.hellos, hellos(&[(2, "mastodon.social")]));
        assert_eq!((s.client_initials, s.decrypted), (2, 2));
    }

    #[test]
    fn hello_again_after_retry() {
        // tshark: frames 1-2 the ClientHello (offsets 0 and 1210, SNI www.gravatar.com at
        // 2), frames 3-4 two Retry packets, frames 5-6 the ClientHello again (offsets 0 and
        // 1131) under the DCID from the Retry. tshark decrypts frames 5-6 but prints the
        // SNI once per connection; the scanner sees the second hello too.
        let s = capture("quic-retry.pcap");
        assert_eq!(
            s.hellos,
            hellos(&[(2, "www.gravatar.com"), (6, "www.gravatar.com")])
        );
        assert_eq!((s.client_initials, s.decrypted), (4, 4));
    }

    #[test]
    fn mutations_never_panic() {
        use crate::parse::capture::reader::tests::{Rng, mutate};
        let bytes = crate::parse::capture::reader::tests::data(
            "quic__chromium-115.0.5790.110-api-cirrus-com.pcap",
        );
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        let chrome = link::decode(p.link_type, p.data).unwrap().payload.to_vec();
        let chrome_keys = InitialKeys::client(VERSION_1, &hex("95412c47018cdfe8")).unwrap();
        let v1 = rfc_keys(VERSION_1);
        let v2 = rfc_keys(VERSION_2);
        let mut payload = hex(RFC_FRAMES);
        payload.extend([
            0x02, 0x05, 0x40, 0x10, 0x01, 0x00, 0x01, 0x00, 0x1c, 0, 0, 1, 0x41,
        ]);
        payload.resize(300, 0);
        let inputs: [(Vec<u8>, &InitialKeys); 3] = [
            (hex(RFC9001_PACKET), &v1),
            (hex(RFC9369_PACKET), &v2),
            (chrome, &chrome_keys),
        ];
        let mut rng = Rng(0x0051_u64 << 48 | 0x1c);
        let (mut plain, mut frames) = (Vec::new(), Vec::new());
        for round in 0..2_000 {
            let (src, keys) = &inputs[round % inputs.len()];
            // Protected bytes: header parsing, sampling, tag checks.
            let m = mutate(&mut rng, src);
            let _ = parse_long_header(&m);
            let _ = looks_like_long_header(&m);
            if let Ok(n) = decrypt_client_initials(&m, keys, &mut plain, &mut frames) {
                assert!(n <= 1);
                for f in &frames {
                    assert!(plain.get(f.data.clone()).is_some());
                }
            }
            // Plaintext frames, protected again so they reach the frame parser.
            let p = mutate(&mut rng, &payload);
            if p.len() >= 4 {
                let packet = protect(&v1, &initial_header(VERSION_1, 0, 1, p.len()), &p);
                if let Ok(1) = decrypt_client_initials(&packet, &v1, &mut plain, &mut frames) {
                    for f in &frames {
                        assert!(f.data.end <= plain.len());
                        assert!(f.offset + (f.data.len() as u64) <= MAX_VARINT);
                    }
                }
            }
        }
    }
}
