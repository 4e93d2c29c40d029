//! TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): server name (SNI) and ALPN.
//!
//! Two entry points:
//! * [`parse_client_hello`] reads the client's first flight on a TCP connection: TLS records
//!   of content type 22 (handshake) carrying a ClientHello, which may span several records
//!   and several TCP segments;
//! * [`parse_handshake`] reads the CRYPTO stream of a QUIC Initial (after decryption and
//!   reassembly by offset), which has no record layer and starts directly with the
//!   handshake header.
//!
//! When the ClientHello is longer than the bytes given, both return
//! [`Parsed::NeedMore`] with the number of bytes needed, so a caller doing reassembly knows
//! to wait for more. Nothing here panics on any input; every read is bounds-checked.
//!
//! GREASE values (RFC 8701) are accepted anywhere (cipher suites, extension types, versions,
//! ALPN) and skipped where they would be mistaken for real values; see [`is_grease`].

/// TLS record content type for handshake messages.
pub const CONTENT_HANDSHAKE: u8 = 22;
/// Handshake message type of a ClientHello.
pub const HANDSHAKE_CLIENT_HELLO: u8 = 1;
/// Record and handshake headers.
pub const RECORD_HEADER_LEN: usize = 5;
pub const HANDSHAKE_HEADER_LEN: usize = 4;
/// Largest record accepted: 2^14 plaintext plus the 2048 bytes TLS 1.2 allows for
/// compression/expansion. Longer lengths mean this is not TLS.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// Extension types used here.
pub mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const ALPN: u16 = 16;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const ENCRYPTED_CLIENT_HELLO: u16 = 0xfe0d;
}

/// Whether `v` is a GREASE value (RFC 8701): `0x?a?a` with both bytes equal.
pub fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// Why bytes are not (the start of) a ClientHello.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TlsError {
    /// Not a TLS handshake record (wrong content type, version or length).
    NotHandshake,
    /// A handshake, but the first message is not a ClientHello.
    NotClientHello,
    /// A ClientHello whose inner lengths do not add up; the reason says where.
    Malformed(&'static str),
}

impl TlsError {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsError::NotHandshake => "not a tls handshake record",
            TlsError::NotClientHello => "tls handshake is not a client hello",
            TlsError::Malformed(why) => why,
        }
    }
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a parse that may need more input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    Hello(ClientHello<'a>),
    /// The ClientHello continues past the end of the input: at least `needed` bytes (counted
    /// from the start of the input, so including what was given) are required. Exact when
    /// the remaining bytes fit in the current record (or for QUIC); a lower bound otherwise.
    /// It comes from the wire (up to 16 MiB for a crafted handshake length): callers should
    /// cap what they buffer.
    NeedMore {
        needed: usize,
    },
}

/// A decoded ClientHello. Slices borrow from the input (or from the scratch buffer when the
/// message spanned several records).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// `legacy_version` (0x0303 for TLS 1.2 and 1.3 clients).
    pub legacy_version: u16,
    pub random: &'a [u8],
    pub session_id: &'a [u8],
    /// The cipher suite list, 2 bytes each, GREASE included; see [`ClientHello::cipher_suites`].
    pub cipher_suites_raw: &'a [u8],
    pub compression_methods: &'a [u8],
    /// The extensions block (without its length), possibly empty; see
    /// [`ClientHello::extensions`].
    pub extensions_raw: &'a [u8],
    /// The first `host_name` of the server_name extension, as sent. With ECH this is the
    /// outer (public) name.
    pub sni: Option<&'a [u8]>,
    /// The ALPN protocol names, in order, as sent (GREASE entries included).
    pub alpn: Vec<&'a [u8]>,
    /// The encrypted_client_hello extension (0xfe0d) is present. Chrome also sends it as
    /// "GREASE ECH" without a real ECH configuration; the two look alike on the wire.
    pub ech: bool,
    /// The highest non-GREASE version of the supported_versions extension, if present.
    pub supported_version_max: Option<u16>,
}

impl<'a> ClientHello<'a> {
    /// The cipher suites, GREASE values included.
    pub fn cipher_suites(&self) -> impl Iterator<Item = u16> + 'a {
        self.cipher_suites_raw
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
    }

    /// `(type, data)` of each extension, in order; stops at the first malformed one.
    pub fn extensions(&self) -> impl Iterator<Item = (u16, &'a [u8])> + 'a {
        let mut r = Reader::new(self.extensions_raw);
        std::iter::from_fn(move || {
            let t = r.u16().ok()?;
            let data = r.vec16().ok()?;
            Some((t, data))
        })
    }

    /// The negotiated-at-most version the client offers: supported_versions when present
    /// (TLS 1.3), else `legacy_version`.
    pub fn max_version(&self) -> u16 {
        self.supported_version_max.unwrap_or(self.legacy_version)
    }
}

/// A cheap check for the first bytes of a client's TLS flight: a handshake record header
/// (type 22, version 3.x) followed, when present, by handshake type 1.
pub fn looks_like_client_hello(data: &[u8]) -> bool {
    match data {
        [CONTENT_HANDSHAKE, 3, minor, ..] if *minor <= 4 => {
            data.get(5).is_none_or(|&t| t == HANDSHAKE_CLIENT_HELLO)
        }
        _ => false,
    }
}

/// Parses a ClientHello from the start of a client's TCP byte stream (TLS records).
///
/// When the handshake message fits in the first record, the result borrows from `data`;
/// when it spans several records its fragments are joined in `scratch` (cleared first) and
/// the result borrows from there.
pub fn parse_client_hello<'a>(
    data: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<Parsed<'a>, TlsError> {
    // Fast path: the whole handshake message inside the first record.
    let first_len = match record_header(data, 0)? {
        Some(len) => len,
        None => {
            return Ok(Parsed::NeedMore {
                needed: RECORD_HEADER_LEN,
            });
        }
    };
    let first_end = RECORD_HEADER_LEN + first_len;
    let first = data
        .get(RECORD_HEADER_LEN..first_end.min(data.len()))
        .unwrap_or_default();
    let mut hs_total = handshake_total(first)?;
    if let Some(total) = hs_total {
        if let Some(msg) = first.get(..total) {
            return parse_hello_message(msg).map(Parsed::Hello);
        }
        if total <= first_len {
            // The record holds all of it but was cut short.
            return Ok(Parsed::NeedMore {
                needed: RECORD_HEADER_LEN + total,
            });
        }
    }
    // Slow path: join the handshake fragments of consecutive records.
    scratch.clear();
    let mut pos = 0usize;
    let total = loop {
        let Some(len) = record_header(data, pos)? else {
            let more = hs_total.map_or(0, |t| t.saturating_sub(scratch.len()));
            return Ok(Parsed::NeedMore {
                needed: pos + RECORD_HEADER_LEN + more,
            });
        };
        let end = pos + RECORD_HEADER_LEN + len;
        let frag = data
            .get(pos + RECORD_HEADER_LEN..end.min(data.len()))
            .unwrap_or_default();
        scratch.extend_from_slice(frag);
        if hs_total.is_none() {
            hs_total = handshake_total(scratch)?;
        }
        if let Some(t) = hs_total
            && scratch.len() >= t
        {
            break t;
        }
        if data.len() < end {
            // This record is cut short; after it, more records may be needed.
            let in_record = len - frag.len();
            let after = hs_total.map_or(0, |t| t.saturating_sub(scratch.len() + in_record));
            let next = if after > 0 {
                RECORD_HEADER_LEN + after
            } else {
                0
            };
            return Ok(Parsed::NeedMore { needed: end + next });
        }
        pos = end;
    };
    let joined: &'a Vec<u8> = scratch;
    let msg = joined.get(..total).unwrap_or_default();
    parse_hello_message(msg).map(Parsed::Hello)
}

/// Parses a ClientHello from a handshake byte stream without record layer: the CRYPTO
/// stream of a QUIC Initial, reassembled from offset 0.
pub fn parse_handshake(data: &[u8]) -> Result<Parsed<'_>, TlsError> {
    match handshake_total(data)? {
        None => Ok(Parsed::NeedMore {
            needed: HANDSHAKE_HEADER_LEN,
        }),
        Some(total) => match data.get(..total) {
            Some(msg) => parse_hello_message(msg).map(Parsed::Hello),
            None => Ok(Parsed::NeedMore { needed: total }),
        },
    }
}

/// The record length at `pos`, `None` if the header is not complete yet, or an error if
/// it is not a handshake record.
fn record_header(data: &[u8], pos: usize) -> Result<Option<usize>, TlsError> {
    let hdr = data.get(pos..).unwrap_or_default();
    // Judge what is there even before the header is complete.
    match hdr {
        [] => return Ok(None),
        [t, ..] if *t != CONTENT_HANDSHAKE => return Err(TlsError::NotHandshake),
        [_, major, ..] if *major != 3 => return Err(TlsError::NotHandshake),
        [_, _, minor, ..] if *minor > 4 => return Err(TlsError::NotHandshake),
        _ => {}
    }
    let Some(&[_, _, _, hi, lo]) = hdr.get(..RECORD_HEADER_LEN) else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len == 0 || len > MAX_RECORD_LEN {
        return Err(TlsError::NotHandshake);
    }
    Ok(Some(len))
}

/// The size (header included) of the handshake message starting `hs`, once its 4-byte
/// header is there; an error if it is not a ClientHello.
fn handshake_total(hs: &[u8]) -> Result<Option<usize>, TlsError> {
    match hs.first() {
        None => Ok(None),
        Some(&HANDSHAKE_CLIENT_HELLO) => Ok(hs.get(..HANDSHAKE_HEADER_LEN).map(|h| {
            HANDSHAKE_HEADER_LEN
                + (usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]))
        })),
        Some(_) => Err(TlsError::NotClientHello),
    }
}

/// A bounds-checked big-endian reader.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

const SHORT: TlsError = TlsError::Malformed("tls client hello field runs past its end");

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], TlsError> {
        let s = self
            .b
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or(SHORT)?;
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, TlsError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, TlsError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn vec8(&mut self) -> Result<&'a [u8], TlsError> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    fn vec16(&mut self) -> Result<&'a [u8], TlsError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }
}

/// Decodes one complete ClientHello handshake message (header included).
fn parse_hello_message(msg: &[u8]) -> Result<ClientHello<'_>, TlsError> {
    let mut r = Reader::new(msg);
    if r.u8()? != HANDSHAKE_CLIENT_HELLO {
        return Err(TlsError::NotClientHello);
    }
    r.take(3)?;
    let mut h = ClientHello {
        legacy_version: r.u16()?,
        random: r.take(32)?,
        session_id: r.vec8()?,
        ..ClientHello::default()
    };
    if h.session_id.len() > 32 {
        return Err(TlsError::Malformed("tls session id longer than 32 bytes"));
    }
    h.cipher_suites_raw = r.vec16()?;
    if h.cipher_suites_raw.len() % 2 != 0 {
        return Err(TlsError::Malformed(
            "tls cipher suite list has an odd length",
        ));
    }
    h.compression_methods = r.vec8()?;
    if r.rest().is_empty() {
        // No extensions (SSL 3.0 / early TLS clients).
        return Ok(h);
    }
    h.extensions_raw = r.vec16()?;
    let mut e = Reader::new(h.extensions_raw);
    while !e.rest().is_empty() {
        let t = e.u16()?;
        let data = e.vec16()?;
        match t {
            ext::SERVER_NAME if h.sni.is_none() => h.sni = parse_sni(data),
            ext::ALPN if h.alpn.is_empty() => h.alpn = parse_alpn(data),
            ext::SUPPORTED_VERSIONS => {
                h.supported_version_max = parse_supported_versions(data);
            }
            ext::ENCRYPTED_CLIENT_HELLO => h.ech = true,
            _ => {}
        }
    }
    Ok(h)
}

/// The first `host_name` (type 0) of a server_name extension (RFC 6066 §3).
fn parse_sni(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    let list = r.vec16().ok()?;
    let mut l = Reader::new(list);
    while !l.rest().is_empty() {
        let kind = l.u8().ok()?;
        let name = l.vec16().ok()?;
        if kind == 0 && !name.is_empty() {
            return Some(name);
        }
    }
    None
}

/// The protocol names of an ALPN extension (RFC 7301 §3.1); empty if malformed.
fn parse_alpn(data: &[u8]) -> Vec<&[u8]> {
    let mut r = Reader::new(data);
    let Ok(list) = r.vec16() else {
        return Vec::new();
    };
    let mut l = Reader::new(list);
    let mut out = Vec::new();
    while !l.rest().is_empty() {
        match l.vec8() {
            Ok(p) => out.push(p),
            Err(_) => return Vec::new(),
        }
    }
    out
}

/// The highest non-GREASE version of a ClientHello supported_versions extension.
fn parse_supported_versions(data: &[u8]) -> Option<u16> {
    let mut r = Reader::new(data);
    let list = r.vec8().ok()?;
    list.chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .filter(|&v| !is_grease(v))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn hello<'a>(data: &'a [u8], scratch: &'a mut Vec<u8>) -> ClientHello<'a> {
        match parse_client_hello(data, scratch) {
            Ok(Parsed::Hello(h)) => h,
            other => panic!("{other:?}"),
        }
    }

    // arkime/arkime tests/pcap/curl-enabled-tls13.pcap @2d2f3678 (Apache-2.0), tcp.payload of
    // frame 8: curl's TLS 1.3 ClientHello, one record of 512 bytes, with padding.
    // tshark 4.0.17: tls.handshake.extensions_server_name = enabled.tls13.com,
    // tls.handshake.extensions_alpn_str = h2,http/1.1.
    const CURL_TLS13: &str = "1603010200010001fc0303896833458d7827917b0deb0813ebd3ebf3bc731018ee722dc10e502eb72f9fbd20\
        002ec375729614262a240f08055b7ef2a11799c7f032a7f5838890823f079bfc000813021303130100ff0100\
        01ab000000160014000011656e61626c65642e746c7331332e636f6d000b000403000102000a000c000a001d\
        0017001e00190018337400000010000e000c02683208687474702f312e31001600000017000000310000000d\
        001e001c040305030603080708080809080a080b080408050806040105010601002b0003020304002d000201\
        01003300260024001d0020a3fde1f9062b99be7617356eda87a4632172eddfb7c44c4aa418e963a0351f0500\
        1500fa";
    // The padding extension's 250 zero bytes, appended to CURL_TLS13 by `curl_tls13()`.
    const CURL_PADDING: usize = 250;

    fn curl_tls13() -> Vec<u8> {
        let mut v = hex(CURL_TLS13);
        v.extend(std::iter::repeat_n(0u8, CURL_PADDING));
        v
    }

    // arkime/arkime tests/pcap/tls-split-client-hello.pcap @2d2f3678 (Apache-2.0):
    // tcp.payload of frames 4 (1392 bytes) and 5 (337 bytes), one 1724-byte record of a
    // Chrome ClientHello with GREASE, a post-quantum key share and a (GREASE) ECH extension.
    // tshark 4.0.17 (on frame 5, reassembled): tls.handshake.extensions_server_name =
    // clients2.google.com.
    const SPLIT_FRAME4: &str = "16030106bc010006b8030379c4ac065e1d80d1350600264f5b3ea2be8d7509a5b84b2fe55a74a5b86af85120\
        da4a3599da1bc634b855913b42c9764934b861fbdf7e32c97c246205e4fc809200201a1a130113021303c02b\
        c02fc02cc030cca9cca8c013c014009c009d002f00350100064f1a1a0000000d001200100403080404010503\
        080505010806060100120000002d00020101001b0003020002fe0d00ba00000100014a0020cb670d956823e8\
        f0910d73f44a9ffaf21acd68eba119cf2cfb949f41aaa98d450090a9d05d030d813edf3f8bf61e6296c367d1\
        9fdf7ad909f5aacef6a5df3bb8b775bd04e3fb4a7c2146350c9050ed077f052eb1973ecb38b32513a1d8ee09\
        03ff293ed96c819c0f3204a345dfb2f2c291f3fd2054705cea237a5b041d76c8f36a3bee0f9b59f04fdd116a\
        e6636966c5bd8509406c2317cc46adf3730b3310b4d88d0d5f7fe6b4ad183ad8834ae6fb17cb8e002b000706\
        9a9a03040303003304ef04ed3a3a00010011ec04c0ef37818f932f8f646b26e70c85f431954969ec0036d58b\
        4ec8fa6d10a2b2e1f2b7c31c7ab0fb541a68b3d607498da951ee6a197d0c88930ac56d6843be57b10ba293df\
        889ea173a4eac752df86312a230284298413675420f21fe32c3d354b1538779275a17d27da09036b68f1b7ae\
        9f6c74a941b940075915d85f64a1a81d55c363aba766c08a5a44ab4bf755f61c2e896b4c6cb5770307997e80\
        8bd58520597321d0b45055bb0c48ba23928553114421c0989d55f45fa9425903288a2139099165219b35cc48\
        442d15a269b366bd1b85b6ed1bc1dd76af52a1b13b156aad298633e0a6ac494b331b3d6714c94d6a2cd5d423\
        e713c29d38c2f9b12bffaa466483253f82705b7045b29c6569e93efe45cd16348efea19fe560c89c9311b0fc\
        a5e605b7b54bbeabd7c6df1b8c877a9717d4183f5a18b7390127184fb090437941a4f4416ac3811555c5bc36\
        5c0685225da5d8b9b4870afe83b115b41f1b83b00ff952c7d5abadc1302e5857e493b5a57b88596bc52d1c0b\
        d46661312204edd2ad9ed554106a7c6093bb8a346718520fb00a34c18262e44b1104d36a71c9b14f315b767a\
        2a23e9abe1f87e88c3617548482c9c13a7174f18530a26678e50a05d8ab35f651a8213973df098c3e0741d86\
        164080dc06602914618b328b89a6bccc375be202e3886577725f5c31c7f928cf6a7bcb2d28b697978c6b48ae\
        82f777ebd14b19c57949d43e7bc7cf5648104f840f370064b9a16deee2c699311368965f8fa6060dc8b28232\
        62fc479b07ea965abc95e03c745a42b75c9195bae067b1e711d7d641ea62c2aed720fa6c4c6b3647fc3111f6\
        270b8cf5b45b0286d82773b9064fd1c71cf2f421555397c4cbcd09336c3054ab5783231495675e731dd5ab86\
        f9f0845bdcaecbd060c6854616e74e31599051b65c99e91376d1a593b9194873307c502f6154311370c84621\
        0f5c1497e3c9957bf63e2495a69f51857d163a1cc92e3b89c887656e8f3c63b51b398ea76c447b23229c892b\
        0b5436e012f2a8995a93633e86276824561d009c55c4636edc2eadbb74ebea1bc60b8710cc80f4615fbb8a2b\
        0d58c5e54a88818228385875221cba75982d54ab12c7109de4732b2311bb7f61317481ce5a6090bd48c303d5\
        613a0a7c3eb465043b1058b105dda4924e697ebac00316201bf359527675990c1abe9823ae67222280b65172\
        756cfb4947ce46876c722ed07bad0f99140d564753f4187151678e463e32d53ac9db198afa8ce7584afb6864\
        a1e94353007c86b743aa7533fcbb1593db368d1947b53681a2884d711bcdb18919c9acaa0cd5ca8e06c00f7a\
        60eea9b6ef517af302118fd0890433cdc616100927a64fd542d6633d4b15c8843a7ef249c53b5c2ead521655\
        9178066b93a4564d10b550070c0d7f724a39397aa99b5f908b21c92a";
    const SPLIT_FRAME5: &str = "b7aa601c6ec030ed741a93010a4df357da5caec5393f19b6a43bc28eac110ede597653a343f25a6efa853623\
        d36cc1c338c5a777160bb8f1e60a36116dedf68c3c951feb5722c1372e68b5b310c03b45b000af8999d417b3\
        aa74abece85974a30d19f040cd1911411b741c60657711b2868a97df68544d0a7682a9012a06bb8ed1276718\
        4014edaf45491bc86e2ed71a8aaf81baecfa07ed2556cc89bb0256eaa2c1c4f99d8d416c1ed2cec99bcedfc2\
        4e3f715d4d28e5e51a2d9a868ca4391f3505f7677e001d0020d8a47011d55ff37f7286201bd839c4da25f584\
        95dc4b70dc6e25dff220da1225000000180016000013636c69656e7473322e676f6f676c652e636f6d000b00\
        02010000230000000500050100000000001700000010000e000c02683208687474702f312e31000a000c000a\
        3a3a11ec001d00170018ff01000100446900050003026832baba000100";

    // zeek/zeek testing/btest/Traces/quic/curl-8.1.2-dev-http3-www-google-de.pcap @a13de64f
    // (BSD-3-Clause), frame 1: the decrypted CRYPTO frame data of the client Initial
    // (tshark's tls.handshake_raw; offset 0, length 267). tshark 4.0.17:
    // tls.handshake.extensions_server_name = www.google.de, alpn = h3,h3-29,h3-28,h3-27.
    const QUIC_CURL_CRYPTO: &str = "01000107030349603f8f6037a9b3d7a454fe1a415dcff179df935c2e0\
        fddf5df2ef1c8da4cc8000006130113021303010000d800000012001000000d7777772e676f6f676c652e6465\
        000a00080006001d001700180010001700150268330568332d32390568332d32380568332d3237000d00140\
        012040308040401050308050501080606010201003300260024001d0020784cdcf700b230314d6957f5dbd7\
        c2c03e0ee11fc64b40928c4111fc4d604b19002d00020101002b0003020304003900480102538803048000\
        fff704048010000005048002000006048002000007048002000008024064090240640a01030b01190c000f\
        14e5ec6b26584229be98a164349ae910351c40d10b";

    // zeek/zeek testing/btest/Traces/tls/tls13-ech.pcap @a13de64f (BSD-3-Clause), frame 7:
    // a Chrome ClientHello with a real ECH extension (the outer hello); its last 7 bytes
    // (zeros, the end of the padding extension) are re-appended by `ech_chrome()`. tshark 4.0.17: extensions_server_name =
    // cloudflare-ech.com (the public name), alpn = h2,http/1.1, extension types include
    // 65037 (0xfe0d).
    const ECH_CHROME: &str = "1603010200010001fc0303d820986a1fb4dc3a70fac91f1359ff5e320c6a5e07397ab36f8c513be4585f5d20\
        7c77f968ecbeda040598f47af5265fb5f0f5ef3279f08b43d03c31a57ce0c63000202a2a130113021303c02b\
        c02fc02cc030cca9cca8c013c014009c009d002f003501000193dada0000ff010001000010000e000c026832\
        08687474702f312e31000d00120010040308040401050308050501080606010033002b00291a1a000100001d\
        0020231cb3a7bde0d15d97dfdfc4d315b112899e9480d1dc7a0e739c4058bbe7276d002d0002010144690005\
        000302683200230000002b0007068a8a03040303000a000a00081a1a001d00170018fe0d00ba0000010001d1\
        0020cce5c83299bb8dffdb74bafd0a1d524b82973e224c12999beed169ee7a9ad67d00900b7b2dc3b17adb2e\
        abc1f7fabb61bdd5db777336a9da3679c5373ff69f0087b9453bd3ec42b6d17b1b7d024cd7c4b627d1b0cd3a\
        e9fbe5422f132187789d6c7f89f29201ff0e64853d3988adb723fff552447ebd087a55422abe568a8dfe4596\
        a5820f134ec9f192620e4b36776431e14e35a6c9ddbe912359b1bde0d74a062e634eb5ced3063bed83f0b562\
        f26278030017000000050005010000000000120000000b00020100000000170015000012636c6f7564666c61\
        72652d6563682e636f6d001b00030200029a9a00010000150007";
    const ECH_PADDING: usize = 7;

    fn ech_chrome() -> Vec<u8> {
        let mut v = hex(ECH_CHROME);
        v.extend(std::iter::repeat_n(0u8, ECH_PADDING));
        v
    }

    fn split_full() -> Vec<u8> {
        let mut v = hex(SPLIT_FRAME4);
        v.extend(hex(SPLIT_FRAME5));
        v
    }

    #[test]
    fn tls13_sni_and_alpn() {
        let data = curl_tls13();
        assert_eq!(data.len(), 517);
        assert!(looks_like_client_hello(&data));
        let mut scratch = Vec::new();
        let h = hello(&data, &mut scratch);
        assert_eq!(h.sni, Some(&b"enabled.tls13.com"[..]));
        assert_eq!(h.alpn, [&b"h2"[..], b"http/1.1"]);
        assert_eq!(h.legacy_version, 0x0303);
        assert_eq!(h.max_version(), 0x0304);
        assert_eq!(h.session_id.len(), 32);
        assert_eq!(
            h.cipher_suites().collect::<Vec<_>>(),
            [0x1302, 0x1303, 0x1301, 0x00ff]
        );
        assert_eq!(h.compression_methods, [0]);
        assert!(!h.ech);
        assert!(
            h.extensions()
                .any(|(t, d)| t == 21 && d.len() == CURL_PADDING)
        );
        // The fast path does not use the scratch buffer.
        assert!(scratch.is_empty());
    }

    #[test]
    fn split_hello_needs_more_then_parses() {
        let first = hex(SPLIT_FRAME4);
        assert_eq!(first.len(), 1392);
        let mut scratch = Vec::new();
        assert_eq!(
            parse_client_hello(&first, &mut scratch),
            Ok(Parsed::NeedMore { needed: 1729 })
        );
        // Every prefix needs a record header, then exactly the full record.
        let full = split_full();
        assert_eq!(full.len(), 1729);
        for n in 0..full.len() {
            let want = if n < RECORD_HEADER_LEN { 5 } else { 1729 };
            assert_eq!(
                parse_client_hello(&full[..n], &mut scratch),
                Ok(Parsed::NeedMore { needed: want }),
                "{n}"
            );
        }
        let h = hello(&full, &mut scratch);
        assert_eq!(h.sni, Some(&b"clients2.google.com"[..]));
        assert_eq!(h.alpn, [&b"h2"[..], b"http/1.1"]);
    }

    #[test]
    fn grease_and_ech_extension() {
        let full = split_full();
        let mut scratch = Vec::new();
        let h = hello(&full, &mut scratch);
        assert!(h.ech);
        let suites: Vec<u16> = h.cipher_suites().collect();
        assert_eq!(suites[0], 0x1a1a);
        assert!(is_grease(suites[0]));
        assert_eq!(suites.iter().filter(|&&s| is_grease(s)).count(), 1);
        let types: Vec<u16> = h.extensions().map(|(t, _)| t).collect();
        assert_eq!(types.first(), Some(&0x1a1a));
        assert_eq!(types.last(), Some(&0xbaba));
        assert!(types.contains(&ext::ENCRYPTED_CLIENT_HELLO));
        // supported_versions is 9a9a, 0304, 0303: GREASE skipped.
        assert_eq!(h.supported_version_max, Some(0x0304));
        assert!(is_grease(0x0a0a) && is_grease(0xfafa));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0xfe0d));
    }

    #[test]
    fn ech_outer_hello_gives_public_name() {
        let data = ech_chrome();
        assert_eq!(data.len(), 517);
        let mut scratch = Vec::new();
        let h = hello(&data, &mut scratch);
        assert_eq!(h.sni, Some(&b"cloudflare-ech.com"[..]));
        assert_eq!(h.alpn, [&b"h2"[..], b"http/1.1"]);
        assert!(h.ech);
        assert_eq!(h.max_version(), 0x0304);
        // Chrome's GREASE: first and last-but-one extension types.
        let types: Vec<u16> = h.extensions().map(|(t, _)| t).collect();
        assert_eq!(types.len(), 19);
        assert!(is_grease(types[0]) && is_grease(types[17]));
    }

    #[test]
    fn hello_over_several_records() {
        // The split ClientHello re-framed as four records of uneven sizes (as DPI-evasion
        // tools and some stacks send it); the result borrows from the scratch buffer.
        let full = split_full();
        let hs = &full[RECORD_HEADER_LEN..];
        let mut framed = Vec::new();
        let mut bounds = Vec::new();
        for part in [&hs[..3], &hs[3..700], &hs[700..701], &hs[701..]] {
            framed.extend([22, 3, 1]);
            framed.extend((part.len() as u16).to_be_bytes());
            framed.extend_from_slice(part);
            bounds.push(framed.len());
        }
        let mut scratch = Vec::new();
        {
            let h = hello(&framed, &mut scratch);
            assert_eq!(h.sni, Some(&b"clients2.google.com"[..]));
            assert!(h.ech);
        }
        assert_eq!(scratch.len(), hs.len());
        // Any prefix asks for more, never for fewer bytes than it has.
        for n in 0..framed.len() {
            match parse_client_hello(&framed[..n], &mut scratch) {
                Ok(Parsed::NeedMore { needed }) => {
                    assert!(needed > n && needed <= framed.len(), "{n}: {needed}")
                }
                other => panic!("{n}: {other:?}"),
            }
        }
        // Cut at the end of the second record: the remaining handshake bytes plus one
        // record header are asked for.
        match parse_client_hello(&framed[..bounds[1]], &mut scratch) {
            Ok(Parsed::NeedMore { needed }) => {
                assert_eq!(needed, bounds[1] + RECORD_HEADER_LEN + (hs.len() - 700))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quic_crypto_stream() {
        let data = hex(QUIC_CURL_CRYPTO);
        assert_eq!(data.len(), 267);
        let Ok(Parsed::Hello(h)) = parse_handshake(&data) else {
            panic!()
        };
        assert_eq!(h.sni, Some(&b"www.google.de"[..]));
        assert_eq!(h.alpn, [&b"h3"[..], b"h3-29", b"h3-28", b"h3-27"]);
        assert_eq!(h.max_version(), 0x0304);
        assert!(h.extensions().any(|(t, _)| t == 0x39));
        assert_eq!(
            parse_handshake(&data[..100]),
            Ok(Parsed::NeedMore { needed: 267 })
        );
        assert_eq!(
            parse_handshake(&data[..2]),
            Ok(Parsed::NeedMore { needed: 4 })
        );
        assert_eq!(
            parse_handshake(&[2, 0, 0, 0]),
            Err(TlsError::NotClientHello)
        );
        // Trailing bytes after the message (later CRYPTO data) are ignored.
        let mut more = data.clone();
        more.extend([0xff; 10]);
        assert!(matches!(parse_handshake(&more), Ok(Parsed::Hello(_))));
    }

    #[test]
    fn not_tls() {
        let mut s = Vec::new();
        assert_eq!(
            parse_client_hello(b"GET / HTTP/1.1\r\n", &mut s),
            Err(TlsError::NotHandshake)
        );
        assert_eq!(
            parse_client_hello(&[0x17], &mut s),
            Err(TlsError::NotHandshake)
        );
        assert_eq!(
            parse_client_hello(&[22, 3, 3, 0, 4, 2, 0, 0, 0], &mut s),
            Err(TlsError::NotClientHello)
        );
        assert_eq!(
            parse_client_hello(&[22, 3, 1], &mut s),
            Ok(Parsed::NeedMore { needed: 5 })
        );
        assert!(!looks_like_client_hello(b"GET /"));
        assert!(!looks_like_client_hello(&[22, 3, 3, 0, 4, 2]));
        // A record claiming a 4-byte ClientHello: malformed inside.
        assert!(matches!(
            parse_client_hello(&[22, 3, 1, 0, 4, 1, 0, 0, 0], &mut s),
            Err(TlsError::Malformed(_))
        ));
    }

    #[test]
    fn no_sni() {
        // curl's hello with the server_name extension's type changed to an unknown one.
        let mut data = curl_tls13();
        let at = data
            .windows(6)
            .position(|w| w == [0, 0, 0, 0x16, 0, 0x14])
            .unwrap();
        data[at] = 0x7f;
        let mut scratch = Vec::new();
        let h = hello(&data, &mut scratch);
        assert_eq!(h.sni, None);
        assert_eq!(h.alpn.len(), 2);
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
        let bases = [curl_tls13(), split_full()];
        let quic = hex(QUIC_CURL_CRYPTO);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut scratch = Vec::new();
        for i in 0..2000 {
            let mut m = bases[i % 2].clone();
            let mut q = quic.clone();
            for _ in 0..1 + rng(&mut seed) % 6 {
                let r = rng(&mut seed);
                for v in [&mut m, &mut q] {
                    let at = (r >> 8) as usize % v.len().max(1);
                    match r % 4 {
                        0 => v[at] = (r >> 32) as u8,
                        1 => v[at] = 0xff,
                        2 => v.truncate(at),
                        _ => v.insert(at, (r >> 40) as u8),
                    }
                    if v.is_empty() {
                        v.push(22);
                    }
                }
            }
            if let Ok(Parsed::Hello(h)) = parse_client_hello(&m, &mut scratch) {
                let _ = (h.extensions().count(), h.cipher_suites().count());
            }
            if let Ok(Parsed::Hello(h)) = parse_handshake(&q) {
                let _ = h.extensions().count();
            }
        }
    }
}
