//! TEMPORARY STUB (replaced by the quic helper's module).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QuicError {
    Stub,
}
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PacketType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}
pub struct LongHeader<'a> {
    pub version: u32,
    pub packet_type: PacketType,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    pub token: &'a [u8],
}
pub fn parse_long_header(_p: &[u8]) -> Result<(LongHeader<'_>, usize), QuicError> {
    Err(QuicError::Stub)
}
pub fn looks_like_long_header(p: &[u8]) -> bool {
    matches!(p.first(), Some(b) if b & 0xc0 == 0xc0)
}
#[derive(Debug)]
pub struct InitialKeys;
impl InitialKeys {
    pub fn client(_v: u32, _d: &[u8]) -> Option<InitialKeys> {
        None
    }
}
pub struct CryptoFrame {
    pub offset: u64,
    pub data: std::ops::Range<usize>,
}
pub fn decrypt_client_initials(
    _d: &[u8],
    _k: &InitialKeys,
    _p: &mut Vec<u8>,
    _f: &mut Vec<CryptoFrame>,
) -> Result<usize, QuicError> {
    Err(QuicError::Stub)
}
