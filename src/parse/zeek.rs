//! Zeek logs, in the ASCII writer's TSV form (`#` headers, columns named by `#fields`) and in
//! its JSON form (`LogAscii::use_json`, one object per line).
//!
//! `dns` records give [`ObsKind::DnsQuery`], `http` records [`ObsKind::HttpRequest`]
//! ([`ObsKind::HttpConnect`] for `CONNECT`), `ssl` and `quic` records
//! [`ObsKind::TlsServerName`]. `conn`, `files` and every other log are records without
//! observations.
//!
//! Decisions:
//! - Zeek is a passive sensor: it neither allows nor blocks, so the action is always
//!   `Unknown`. `rejected` means the server answered REFUSED (a NOTIFY, a non-recursive
//!   server), and NXDOMAIN is an answer, not a policy block.
//! - A dns.log record is a query even when only the reply was seen (qtype unset): Zeek
//!   orients port-53 flows so that `id.orig_h` is still the asking client.
//! - The log type comes from `#path` when it is `dns`, `http`, `ssl` or `quic`; otherwise
//!   (custom paths such as `dns_internal`, no `#path`, JSON) from the columns or keys:
//!   `query` → dns, `server_name` → ssl/quic, `method` or `uri` → http. A bare `host` is
//!   not enough: software.log and known_hosts.log carry one too.
//! - Values are unescaped before use: TSV `\xHH` and `\\`; in JSON (already JSON-decoded)
//!   `\xHH`, which is how Zeek writes non-printable bytes there. So a record gives the same
//!   bytes in both forms.
//! - A `ts` that does not parse (btest baselines mask it) leaves the time unset instead of
//!   rejecting the record. JSON `ts` may be epoch seconds, integer milliseconds
//!   (`JSON::TS_MILLIS`) or ISO 8601 (`JSON::TS_ISO8601`).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use aho_corasick::AhoCorasick;
use memchr::{memchr, memmem};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

use super::url::split_url;
use super::{Format, FormatCtx, LineKind, LineParser, ParseError, Sink, head_lines, line_vote};
use crate::observation::{Action, ObsKind, Observation};
use crate::time::{Timestamp, parse_epoch, parse_iso8601, parse_u64};

pub static FORMAT_TSV: Format = Format {
    id: "zeek.tsv",
    description: "Zeek ASCII logs with #fields header (dns, http, ssl, quic)",
    probe: probe_tsv,
    new_parser: new_tsv,
    splittable: false,
};

pub static FORMAT_JSON: Format = Format {
    id: "zeek.json",
    description: "Zeek JSON logs, one object per line (dns, http, ssl, quic)",
    probe: probe_json,
    new_parser: new_json,
    splittable: true,
};

// ---------------------------------------------------------------------------------------
// Shared: log type, values, emission

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Dns,
    Http,
    /// ssl.log or quic.log: both log the ClientHello SNI as `server_name`.
    Tls,
    Other,
}

fn kind_from_path(path: &[u8]) -> Option<Kind> {
    match path {
        b"dns" => Some(Kind::Dns),
        b"http" => Some(Kind::Http),
        b"ssl" | b"quic" => Some(Kind::Tls),
        _ => None,
    }
}

fn infer_kind(query: bool, server_name: bool, method_or_uri: bool) -> Kind {
    if query {
        Kind::Dns
    } else if server_name {
        Kind::Tls
    } else if method_or_uri {
        Kind::Http
    } else {
        Kind::Other
    }
}

/// A value borrowed from the input, or unescaped into the parser's scratch buffer.
#[derive(Copy, Clone, Debug)]
enum Val<'l> {
    Input(&'l [u8]),
    Scratch(usize, usize),
}

fn resolve<'a>(v: Option<Val<'a>>, scratch: &'a [u8]) -> Option<&'a [u8]> {
    let b = match v? {
        Val::Input(b) => b,
        Val::Scratch(from, to) => scratch.get(from..to)?,
    };
    (!b.is_empty()).then_some(b)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `\xHH` (and `\\` when `backslash`) into `scratch`. Values without a backslash,
/// the usual case, are borrowed as they are.
fn unescape<'l>(raw: &'l [u8], scratch: &mut Vec<u8>, backslash: bool) -> Val<'l> {
    let Some(mut at) = memchr(b'\\', raw) else {
        return Val::Input(raw);
    };
    let start = scratch.len();
    let mut rest = raw;
    loop {
        let (plain, esc) = rest.split_at(at);
        scratch.extend_from_slice(plain);
        let hi = esc.get(2).copied().and_then(hex);
        let lo = esc.get(3).copied().and_then(hex);
        let used = match (esc.get(1), hi, lo) {
            (Some(b'x'), Some(hi), Some(lo)) => {
                scratch.push(hi << 4 | lo);
                4
            }
            (Some(b'\\'), _, _) if backslash => {
                scratch.push(b'\\');
                2
            }
            _ => {
                scratch.push(b'\\');
                1
            }
        };
        rest = esc.get(used..).unwrap_or_default();
        match memchr(b'\\', rest) {
            Some(i) => at = i,
            None => {
                scratch.extend_from_slice(rest);
                break;
            }
        }
    }
    Val::Scratch(start, scratch.len())
}

/// The values of one record that observations use.
#[derive(Default, Debug)]
struct Rec<'l> {
    time: Option<Timestamp>,
    client: Option<Val<'l>>,
    query: Option<Val<'l>>,
    method: Option<Val<'l>>,
    host: Option<Val<'l>>,
    uri: Option<Val<'l>>,
    user_agent: Option<Val<'l>>,
    user: Option<Val<'l>>,
    server_name: Option<Val<'l>>,
    bytes_out: Option<u64>,
    bytes_in: Option<u64>,
}

fn emit(kind: Kind, r: &Rec<'_>, scratch: &[u8], sink: &mut Sink<'_>) {
    let base = Observation {
        time: r.time,
        client: resolve(r.client, scratch),
        action: Action::Unknown,
        ..Observation::default()
    };
    match kind {
        Kind::Dns => {
            if let Some(q) = resolve(r.query, scratch) {
                sink(&Observation {
                    kind: ObsKind::DnsQuery,
                    host: Some(q),
                    ..base
                });
            }
        }
        Kind::Tls => {
            if let Some(sni) = resolve(r.server_name, scratch) {
                sink(&Observation {
                    kind: ObsKind::TlsServerName,
                    host: Some(sni),
                    ..base
                });
            }
        }
        Kind::Http => {
            let host = resolve(r.host, scratch);
            let uri = resolve(r.uri, scratch);
            let base = Observation {
                user_agent: resolve(r.user_agent, scratch),
                user: resolve(r.user, scratch),
                bytes_out: r.bytes_out,
                bytes_in: r.bytes_in,
                ..base
            };
            let method = resolve(r.method, scratch);
            if method.is_some_and(|m| m.eq_ignore_ascii_case(b"CONNECT")) {
                // The URI is the authority (`host:port`); the Host header usually repeats it.
                if let Some(h) = host.or_else(|| uri.and_then(|u| split_url(u).host)) {
                    sink(&Observation {
                        kind: ObsKind::HttpConnect,
                        host: Some(h),
                        ..base
                    });
                }
                return;
            }
            // Origin form is the path; absolute form (to a proxy) also names the host.
            // Anything else (`*`, junk) is no path.
            let (uri_host, path) = match uri {
                Some(u) if u.starts_with(b"/") => (None, Some(u)),
                Some(u) if memmem::find(u, b"://").is_some() => {
                    let p = split_url(u);
                    (p.host, p.path)
                }
                _ => (None, None),
            };
            let host = host.or(uri_host);
            if host.is_some() || path.is_some() {
                sink(&Observation {
                    kind: ObsKind::HttpRequest,
                    host,
                    path,
                    ..base
                });
            }
        }
        Kind::Other => {}
    }
}

/// Epoch seconds (Zeek's `%.6f`) or ISO 8601; `None` when it is neither.
fn parse_ts(b: &[u8]) -> Option<Timestamp> {
    parse_epoch(b).or_else(|| match parse_iso8601(b) {
        Some((t, n)) if n == b.len() => Some(t),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------
// TSV

const NO_SLOT: u8 = u8::MAX;
const S_TS: usize = 0;
const S_ORIG_H: usize = 1;
const S_QUERY: usize = 2;
const S_METHOD: usize = 3;
const S_HOST: usize = 4;
const S_URI: usize = 5;
const S_UA: usize = 6;
const S_USERNAME: usize = 7;
const S_REQ_LEN: usize = 8;
const S_RESP_LEN: usize = 9;
const S_SERVER_NAME: usize = 10;
const SLOTS: usize = 11;

fn slot_of(name: &[u8]) -> u8 {
    let s = match name {
        b"ts" => S_TS,
        b"id.orig_h" => S_ORIG_H,
        b"query" => S_QUERY,
        b"method" => S_METHOD,
        b"host" => S_HOST,
        b"uri" => S_URI,
        b"user_agent" => S_UA,
        b"username" => S_USERNAME,
        b"request_body_len" => S_REQ_LEN,
        b"response_body_len" => S_RESP_LEN,
        b"server_name" => S_SERVER_NAME,
        _ => return NO_SLOT,
    };
    s as u8
}

/// Fields of `line` split on `sep` (an empty `sep` gives the whole line).
fn split_on<'a>(line: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let r = rest?;
        let found = match sep {
            [] => None,
            [c] => memchr(*c, r),
            _ => memmem::find(r, sep),
        };
        match found {
            Some(p) => {
                rest = r.get(p + sep.len()..);
                r.get(..p)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The column layout from one `#fields` header.
struct Columns {
    count: usize,
    /// Slot of each column, [`NO_SLOT`] for the columns we don't read.
    slots: Vec<u8>,
    /// The log type the column names suggest, used when `#path` doesn't name one.
    kind: Kind,
}

impl Columns {
    fn new(names: &[u8], sep: &[u8]) -> Self {
        let slots: Vec<u8> = split_on(names, sep).map(slot_of).collect();
        let has = |s: usize| slots.contains(&(s as u8));
        let kind = infer_kind(
            has(S_QUERY),
            has(S_SERVER_NAME),
            has(S_METHOD) || has(S_URI),
        );
        Columns {
            count: slots.len(),
            slots,
            kind,
        }
    }
}

struct TsvParser {
    sep: Vec<u8>,
    unset: Vec<u8>,
    empty: Vec<u8>,
    path_kind: Option<Kind>,
    columns: Option<Columns>,
    scratch: Vec<u8>,
}

fn new_tsv(_ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(TsvParser::new(b"\t".to_vec()))
}

/// A header value with its `\xHH` escapes decoded (headers are rare: allocating is fine).
fn header_value(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match unescape(v, &mut out, true) {
        Val::Input(b) => b.to_vec(),
        Val::Scratch(..) => out,
    }
}

impl TsvParser {
    fn new(sep: Vec<u8>) -> Self {
        TsvParser {
            sep,
            unset: b"-".to_vec(),
            empty: b"(empty)".to_vec(),
            path_kind: None,
            columns: None,
            scratch: Vec::new(),
        }
    }

    fn header(&mut self, line: &[u8]) {
        // `#separator` starts every log (and every log of a concatenation): reset.
        if let Some(v) = line.strip_prefix(b"#separator ") {
            let sep = header_value(v);
            let scratch = std::mem::take(&mut self.scratch);
            *self = TsvParser::new(if sep.is_empty() { b"\t".to_vec() } else { sep });
            self.scratch = scratch;
            return;
        }
        let rest = line.get(1..).unwrap_or_default();
        let mut kv = split_on(rest, &self.sep);
        let key = kv.next().unwrap_or_default();
        let Some(vstart) = key.len().checked_add(self.sep.len()) else {
            return;
        };
        let Some(value) = rest.get(vstart..) else {
            return;
        };
        match key {
            b"fields" => self.columns = Some(Columns::new(value, &self.sep)),
            b"path" => {
                self.path_kind = kind_from_path(value);
                self.columns = None;
            }
            b"unset_field" => self.unset = header_value(value),
            b"empty_field" => self.empty = header_value(value),
            // `#set_separator` only matters for set/vector columns, which we don't read.
            _ => {}
        }
    }
}

impl LineParser for TsvParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        if line.first() == Some(&b'#') {
            self.header(line);
            return Ok(LineKind::Meta);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(LineKind::Meta);
        }
        let Some(cols) = &self.columns else {
            return Err(ParseError("zeek: record before #fields header"));
        };
        let mut raw: [Option<&[u8]>; SLOTS] = [None; SLOTS];
        let mut n = 0usize;
        for field in split_on(line, &self.sep) {
            if let Some(&s) = cols.slots.get(n) {
                if let Some(r) = raw.get_mut(usize::from(s)) {
                    *r = Some(field);
                }
            }
            n += 1;
        }
        if n < cols.count {
            return Err(ParseError("zeek: fewer fields than #fields"));
        }
        if n > cols.count {
            return Err(ParseError("zeek: more fields than #fields"));
        }
        let kind = self.path_kind.unwrap_or(cols.kind);
        if kind == Kind::Other {
            return Ok(LineKind::Record);
        }

        let (unset, empty) = (self.unset.as_slice(), self.empty.as_slice());
        // Zeek escapes a value equal to either marker, so a raw match is always a marker.
        let set = |i: usize| raw[i].filter(|v| *v != unset && *v != empty);
        let scratch = &mut self.scratch;
        scratch.clear();
        let mut val = |i: usize| set(i).map(|v| unescape(v, scratch, true));
        let rec = Rec {
            client: val(S_ORIG_H),
            query: val(S_QUERY),
            method: val(S_METHOD),
            host: val(S_HOST),
            uri: val(S_URI),
            user_agent: val(S_UA),
            user: val(S_USERNAME),
            server_name: val(S_SERVER_NAME),
            time: set(S_TS).and_then(parse_ts),
            bytes_out: set(S_REQ_LEN).and_then(parse_u64),
            bytes_in: set(S_RESP_LEN).and_then(parse_u64),
        };
        emit(kind, &rec, &self.scratch, sink);
        Ok(LineKind::Record)
    }
}

fn probe_tsv(head: &[u8]) -> u8 {
    let mut score = 0;
    for line in head_lines(head, 50) {
        if line.starts_with(b"#separator \\x") {
            return 100;
        }
        // W3C's header is `#Fields:`; Zeek's is `#fields` and a separator.
        if line.starts_with(b"#fields")
            && line
                .get(7)
                .is_some_and(|c| !c.is_ascii_alphanumeric() && *c != b':')
        {
            score = 90;
        }
    }
    score
}

// ---------------------------------------------------------------------------------------
// JSON

/// A JSON string as raw bytes: borrowed from the line unless it had JSON escapes, and not
/// required to be UTF-8 (serde_json's `deserialize_bytes` skips that check).
#[derive(Debug)]
struct JBytes<'a>(Cow<'a, [u8]>);

impl<'de: 'a, 'a> Deserialize<'de> for JBytes<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JBytes<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(JBytes(Cow::Borrowed(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(JBytes(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JBytes(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JBytes(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(V(PhantomData))
    }
}

/// `ts`: epoch seconds (float), epoch milliseconds (integer) or an ISO 8601 string.
#[derive(Debug)]
struct Ts(Option<Timestamp>);

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ts, E> {
                let ok = v.is_finite() && v.abs() < (1u64 << 40) as f64;
                Ok(Ts(ok.then(|| Timestamp((v * 1e6).round() as i64))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ts, E> {
                // 10^11 s is year 5138: anything larger is milliseconds.
                let micros = if v >= 100_000_000_000 {
                    v.checked_mul(1000)
                } else {
                    v.checked_mul(1_000_000)
                };
                Ok(Ts(micros
                    .and_then(|m| i64::try_from(m).ok())
                    .map(Timestamp)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ts, E> {
                Ok(Ts(v.checked_mul(1_000_000).map(Timestamp)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ts, E> {
                Ok(Ts(parse_ts(v.as_bytes())))
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of a Zeek JSON record that we read; unknown keys are skipped.
#[derive(Deserialize, Debug)]
struct JsonRec<'a> {
    ts: Option<Ts>,
    uid: Option<IgnoredAny>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<JBytes<'a>>,
    #[serde(borrow)]
    query: Option<JBytes<'a>>,
    #[serde(borrow)]
    method: Option<JBytes<'a>>,
    #[serde(borrow)]
    host: Option<JBytes<'a>>,
    #[serde(borrow)]
    uri: Option<JBytes<'a>>,
    #[serde(borrow)]
    user_agent: Option<JBytes<'a>>,
    #[serde(borrow)]
    username: Option<JBytes<'a>>,
    #[serde(borrow)]
    server_name: Option<JBytes<'a>>,
    request_body_len: Option<u64>,
    response_body_len: Option<u64>,
    /// Splunk REST export wrapper: the Zeek record is a JSON string in `result._raw`.
    #[serde(borrow)]
    result: Option<SplunkResult<'a>>,
}

#[derive(Deserialize, Debug)]
struct SplunkResult<'a> {
    #[serde(rename = "_raw", borrow)]
    raw: Option<JBytes<'a>>,
}

fn json_error(e: &serde_json::Error) -> ParseError {
    match e.classify() {
        serde_json::error::Category::Data => ParseError("zeek json: unexpected field value"),
        _ => ParseError("zeek json: invalid JSON"),
    }
}

struct JsonParser {
    scratch: Vec<u8>,
    /// Keys that make a line worth deserialising: conn.log, often the bulk of a Zeek
    /// export, has none of them. `None` (the build failed, which these literals can't
    /// make it do) parses every line.
    keys: Option<AhoCorasick>,
}

const USEFUL_KEYS: [&str; 5] = [
    "\"query\"",
    "\"server_name\"",
    "\"method\"",
    "\"uri\"",
    "\"_raw\"",
];

fn new_json(_ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(JsonParser {
        scratch: Vec::new(),
        keys: AhoCorasick::new(USEFUL_KEYS).ok(),
    })
}

impl JsonParser {
    fn emit(&mut self, j: &JsonRec<'_>, sink: &mut Sink<'_>) {
        let kind = infer_kind(
            j.query.is_some(),
            j.server_name.is_some(),
            j.method.is_some() || j.uri.is_some(),
        );
        if kind == Kind::Other {
            return;
        }
        fn val<'r>(v: &'r Option<JBytes<'_>>, scratch: &mut Vec<u8>) -> Option<Val<'r>> {
            v.as_ref().map(|b| unescape(&b.0, scratch, false))
        }
        let s = &mut self.scratch;
        s.clear();
        let rec = Rec {
            time: j.ts.as_ref().and_then(|t| t.0),
            client: val(&j.orig_h, s),
            query: val(&j.query, s),
            method: val(&j.method, s),
            host: val(&j.host, s),
            uri: val(&j.uri, s),
            user_agent: val(&j.user_agent, s),
            user: val(&j.username, s),
            server_name: val(&j.server_name, s),
            bytes_out: j.request_body_len,
            bytes_in: j.response_body_len,
        };
        emit(kind, &rec, &self.scratch, sink);
    }
}

impl LineParser for JsonParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        let line = line.trim_ascii();
        // Blank lines, and the `#` banner of btest baselines.
        if line.is_empty() || line.first() == Some(&b'#') {
            return Ok(LineKind::Meta);
        }
        if line.first() != Some(&b'{') {
            return Err(match serde_json::from_slice::<IgnoredAny>(line) {
                Ok(_) => ParseError("zeek json: not a JSON object"),
                Err(_) => ParseError("zeek json: invalid JSON"),
            });
        }
        // A complete object without any key we use is a record with nothing to say: skip
        // the full parse. A truncated line (no closing brace) still gets parsed, and fails.
        if line.last() == Some(&b'}') && self.keys.as_ref().is_some_and(|k| !k.is_match(line)) {
            return Ok(LineKind::Record);
        }
        let rec: JsonRec<'_> = serde_json::from_slice(line).map_err(|e| json_error(&e))?;
        if rec.ts.is_none() && rec.uid.is_none() {
            if let Some(raw) = rec.result.as_ref().and_then(|r| r.raw.as_ref()) {
                let inner: JsonRec<'_> = serde_json::from_slice(&raw.0)
                    .map_err(|_| ParseError("zeek json: Splunk _raw is not a Zeek record"))?;
                self.emit(&inner, sink);
                return Ok(LineKind::Record);
            }
        }
        self.emit(&rec, sink);
        Ok(LineKind::Record)
    }
}

fn has_key(line: &[u8], quoted: &[u8], escaped: &[u8]) -> bool {
    memmem::find(line, quoted).is_some() || memmem::find(line, escaped).is_some()
}

/// A Zeek JSON record, bare or inside a Splunk export's `_raw` string.
fn is_zeek_json(line: &[u8]) -> bool {
    line.trim_ascii_start().starts_with(b"{")
        && has_key(line, b"\"ts\"", b"\\\"ts\\\"")
        && has_key(line, b"\"uid\"", b"\\\"uid\\\"")
        && has_key(line, b"\"id.orig_h\"", b"\\\"id.orig_h\\\"")
}

fn probe_json(head: &[u8]) -> u8 {
    line_vote(head, |l| l.starts_with(b"#"), is_zeek_json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::OwnedObservation;
    use crate::parse::parse_text;

    const T: i64 = 1_000_000;

    fn at(us: i64) -> Option<Timestamp> {
        Some(Timestamp(us))
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn dns(time: Option<Timestamp>, host: &str, client: &str) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::DnsQuery,
            time,
            host: s(host),
            client: s(client),
            ..OwnedObservation::default()
        }
    }

    fn tls(time: Option<Timestamp>, host: &str, client: &str) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::TlsServerName,
            ..dns(time, host, client)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn http(
        time: Option<Timestamp>,
        host: Option<&str>,
        path: Option<&str>,
        user_agent: Option<&str>,
        client: &str,
        user: Option<&str>,
        bytes_out: u64,
        bytes_in: u64,
    ) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::HttpRequest,
            time,
            host: host.map(String::from),
            path: path.map(String::from),
            user_agent: user_agent.map(String::from),
            client: s(client),
            user: user.map(String::from),
            bytes_out: Some(bytes_out),
            bytes_in: Some(bytes_in),
            action: Action::Unknown,
        }
    }

    fn connect(o: OwnedObservation) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::HttpConnect,
            ..o
        }
    }

    /// Parses `text` and asserts it gave no errors.
    fn parse(format: &Format, text: &[u8]) -> Vec<OwnedObservation> {
        let (obs, errors) = parse_text(format, &FormatCtx::default(), text);
        assert_eq!(errors, vec![]);
        obs
    }

    fn tsv(text: &[u8]) -> Vec<OwnedObservation> {
        parse(&FORMAT_TSV, text)
    }

    fn json(text: &[u8]) -> Vec<OwnedObservation> {
        parse(&FORMAT_JSON, text)
    }

    /// Host bytes of every observation, for values that are not UTF-8.
    fn hosts(format: &Format, text: &[u8]) -> Vec<Vec<u8>> {
        let mut p = (format.new_parser)(&FormatCtx::default());
        let mut out = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            p.parse_line(line, &mut |o: &Observation<'_>| {
                out.push(o.host.unwrap_or_default().to_vec())
            })
            .unwrap();
        }
        out
    }

    macro_rules! data {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/data/zeek/", $name)).as_slice()
        };
    }

    // --- TSV, corpus (Zeek btest baselines: ts is masked, so time is None) ---

    #[test]
    fn tsv_dns_opt_basic() {
        let want: Vec<_> = [
            ("141.142.220.202", "gemini._sftp-ssh._tcp.local"),
            ("fe80::217:f2ff:fed7:cf65", "gemini._sftp-ssh._tcp.local"),
            ("141.142.220.50", "gemini._sftp-ssh._tcp.local"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org.ncsa.uiuc.edu"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org.ncsa.uiuc.edu"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org.ncsa.uiuc.edu"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "upload.wikimedia.org.ncsa.uiuc.edu"),
            ("141.142.220.118", "upload.wikimedia.org"),
            ("141.142.220.118", "meta.wikimedia.org"),
            ("141.142.220.118", "meta.wikimedia.org"),
            ("141.142.220.44", "gomez._sftp-ssh._tcp.local"),
            ("fe80::3074:17d5:2052:c324", "brwc0cb383d1f42"),
            ("141.142.220.226", "brwc0cb383d1f42"),
            ("fe80::3074:17d5:2052:c324", "brwc0cb383d1f42"),
            ("141.142.220.226", "brwc0cb383d1f42"),
            ("fe80::3074:17d5:2052:c324", "brwc0cb383d1f42"),
            ("141.142.220.226", "brwc0cb383d1f42"),
            ("fe80::3074:17d5:2052:c324", "brwc0cb383d1f42"),
            ("141.142.220.226", "brwc0cb383d1f42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.226", "BRWC0CB383D1F42"),
            ("141.142.220.238", "WORKGROUP"),
        ]
        .into_iter()
        .map(|(c, q)| dns(None, q, c))
        .collect();
        assert_eq!(want.len(), 34);
        assert_eq!(tsv(data!("opt.basic__dns.log")), want);
    }

    #[test]
    fn tsv_dns_notify_rejected_and_unset_query() {
        // Line 2 has no query (`-`): a record without an observation. Line 1 is
        // `rejected`=T (REFUSED NOTIFY): still a query, action unknown.
        assert_eq!(
            tsv(data!("dns.notify__dns.log")),
            vec![
                dns(None, "dhcp.lbnl.us", "203.0.113.82"),
                dns(
                    None,
                    "_acme-challenge.intmail.cbs.mpg.de",
                    "122.243.120.210"
                ),
            ]
        );
    }

    #[test]
    fn tsv_dns_added_field() {
        // `original_query` is an extra column from a policy script: positions come from #fields.
        assert_eq!(
            tsv(data!("policy.dns.original_case__dns.log")),
            vec![dns(None, "us.v27.distributed.net", "192.168.3.138")]
        );
    }

    #[test]
    fn tsv_http_non_printable_escaping() {
        let ua = Some("Python-urllib/3.12");
        let row = |path| {
            http(
                None,
                Some("172.24.0.3"),
                Some(path),
                ua,
                "172.24.0.2",
                None,
                0,
                335,
            )
        };
        assert_eq!(
            tsv(data!(
                "scripts.base.frameworks.logging.json-non-printable-escaping__http.log"
            )),
            vec![
                row("/regular_file.html"),
                row("/printable_\u{1F604}"),
                // `\x07` is the byte 0x07; `\\x07` is a literal backslash, x, 0, 7.
                row("/non_printable_\u{7}"),
                row("/non_printable_literal_\\x07"),
            ]
        );
    }

    #[test]
    fn tsv_http_connect() {
        assert_eq!(
            tsv(data!("http.http-connect-with-header__http.log")),
            vec![connect(http(
                None,
                Some("secure.newegg.com:443"),
                None,
                Some(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.10; rv:41.0) Gecko/20100101 Firefox/41.0"
                ),
                "::1",
                None,
                0,
                0,
            ))]
        );
    }

    #[test]
    fn tsv_http_teredo() {
        let ff = Some(
            "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9b5) Gecko/2008032620 Firefox/3.0b5",
        );
        let v6 = "2001:0:4137:9e50:8000:f12a:b9c8:2815";
        assert_eq!(
            tsv(data!("core.tunnels.teredo__http.log")),
            vec![
                http(
                    None,
                    Some("download913.avast.com"),
                    Some("/cgi-bin/iavs4stats.cgi"),
                    Some("Syncer/4.80 (av_pro-1169;f)"),
                    "192.168.2.16",
                    None,
                    589,
                    0,
                ),
                http(
                    None,
                    Some("ipv6.google.com"),
                    Some("/"),
                    ff,
                    v6,
                    None,
                    0,
                    6640
                ),
                http(
                    None,
                    Some("ipv6.google.com"),
                    Some("/search?hl=en&q=Wireshark+!&btnG=Google+Search"),
                    ff,
                    v6,
                    None,
                    0,
                    25119,
                ),
                http(
                    None,
                    Some("www.wireshark.org"),
                    Some("/"),
                    ff,
                    "192.168.2.16",
                    None,
                    0,
                    11845,
                ),
            ]
        );
    }

    #[test]
    fn tsv_http_09_without_host() {
        // HTTP/0.9 has no Host header: the path alone is still an observation. The
        // trans_depth 2 rows log nothing but body lengths: no observation.
        let row = |bytes_in| {
            http(
                None,
                None,
                Some("/zeek.html"),
                None,
                "127.0.0.1",
                None,
                0,
                bytes_in,
            )
        };
        assert_eq!(tsv(data!("http.http-09__http.log")), vec![row(51), row(11)]);
    }

    #[test]
    fn tsv_ssl() {
        assert_eq!(
            tsv(data!("ssl.tls13-encrypted-client-hello__ssl.log")),
            vec![
                tls(None, "cloudflare-ech.com", "192.168.20.65"),
                tls(None, "cloudflare-ech.com", "192.168.20.65"),
            ]
        );
        assert_eq!(
            tsv(data!("ssl.fragment__ssl.log")),
            vec![tls(None, "104.236.167.107", "192.168.6.86")]
        );
        // STARTTLS without SNI: a record, no observation.
        assert_eq!(tsv(data!("smtp.starttls__ssl.log")), vec![]);
    }

    #[test]
    fn tsv_quic() {
        assert_eq!(
            tsv(data!("quic.chromium__quic.log")),
            vec![tls(None, "api.cirrus-ci.com", "82.239.54.117")]
        );
        // This baseline keeps its (synthetic) ts of 1.0.
        assert_eq!(
            tsv(data!("quic.interop.quic-go_quic-go.handshake__quic.log")),
            vec![tls(at(T), "server4:443", "193.167.0.100")]
        );
        assert_eq!(tsv(data!("quic.quicv2-http3-443__quic.log")), vec![]);
    }

    // --- TSV, own fixture: six logs concatenated, one with a `|` separator ---

    #[test]
    fn tsv_concatenated_logs() {
        let chrome = Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        );
        let safari = Some(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        );
        assert_eq!(
            tsv(data!("own-concat.log")),
            vec![
                // dns
                dns(at(1_715_677_923_123_456), "chatgpt.com", "10.20.30.41"),
                dns(at(1_715_677_923_140_877), "api.openai.com", "10.20.30.41"),
                dns(
                    at(1_715_677_924_502_110),
                    "www.wikipedia.org",
                    "10.20.30.57"
                ),
                dns(at(1_715_677_925_250_000), "claude.ai", "10.20.30.57"),
                dns(
                    at(1_715_677_926_731_900),
                    "copilot.microsoft.com.corp.example",
                    "10.20.30.63"
                ),
                dns(
                    at(1_715_677_927_015_532),
                    "wpad\0.corp.example",
                    "10.20.30.70"
                ),
                // conn: nothing; http with `|` separator and a trimmed column set
                http(
                    at(1_715_678_001_004_112),
                    Some("api.openai.com"),
                    Some("/v1/chat/completions"),
                    Some("OpenAI/Python 1.35.3"),
                    "10.20.30.41",
                    Some("alice"),
                    1843,
                    5120,
                ),
                http(
                    at(1_715_678_002_118_870),
                    Some("claude.ai"),
                    Some("/api/organizations"),
                    chrome,
                    "10.20.30.57",
                    None,
                    0,
                    2291,
                ),
                connect(http(
                    at(1_715_678_003_500_000),
                    Some("chatgpt.com:443"),
                    None,
                    safari,
                    "10.20.30.57",
                    None,
                    0,
                    0,
                )),
                http(
                    at(1_715_678_004_250_300),
                    Some("copilot.microsoft.com"),
                    Some("/c/api/conversations"),
                    None,
                    "10.20.30.63",
                    None,
                    0,
                    734,
                ),
                http(
                    at(1_715_678_005_900_001),
                    Some("www.example.org"),
                    Some("/search?q=a|b"),
                    Some("Agent\\1.0"),
                    "10.20.30.70",
                    None,
                    0,
                    1256,
                ),
                // dns_internal: type inferred from the columns
                dns(at(1_715_678_100_771_204), "gemini.google.com", "10.20.31.5"),
                // ssl (one record without SNI), quic
                tls(at(1_715_678_200_011_223), "chatgpt.com", "10.20.30.41"),
                tls(at(1_715_678_202_998_877), "claude.ai", "2001:db8:20:30::57"),
                tls(at(1_715_678_300_120_000), "gemini.google.com", "10.20.31.5"),
            ]
        );
    }

    // --- TSV, malformed and edge cases ---

    const DNS_HEAD: &[u8] =
        b"#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tquery\trcode_name\n";

    fn tsv_errors(text: &[u8]) -> Vec<(u64, ParseError)> {
        parse_text(&FORMAT_TSV, &FormatCtx::default(), text).1
    }

    #[test]
    fn tsv_malformed() {
        let text = [
            DNS_HEAD,
            b"1715677923.5\t10.0.0.1\tchatgpt.com\n", // 5: truncated
            b"1715677923.5\t10.0.0.1\tchatgpt.com\tNOERROR\tx\n", // 6: one too many
            b"garbage\n",                             // 7
            b"1715677923.5\t10.0.0.1\tclaude.ai\tNOERROR\n", // 8: fine
        ]
        .concat();
        assert_eq!(
            tsv_errors(&text),
            vec![
                (4, ParseError("zeek: fewer fields than #fields")),
                (5, ParseError("zeek: more fields than #fields")),
                (6, ParseError("zeek: fewer fields than #fields")),
            ]
        );
        assert_eq!(
            parse_text(&FORMAT_TSV, &FormatCtx::default(), &text).0,
            vec![dns(at(1_715_677_923_500_000), "claude.ai", "10.0.0.1")]
        );
        // No header at all, and a new `#separator` forgetting the previous `#fields`.
        assert_eq!(
            tsv_errors(b"1.0\t10.0.0.1\tchatgpt.com\tNOERROR\n"),
            vec![(1, ParseError("zeek: record before #fields header"))]
        );
        let text = [
            DNS_HEAD,
            b"#separator \\x09\n1.0\t10.0.0.1\ta.example\tNOERROR\n",
        ]
        .concat();
        assert_eq!(
            tsv_errors(&text),
            vec![(5, ParseError("zeek: record before #fields header"))]
        );
    }

    #[test]
    fn tsv_non_utf8_unset_and_bad_ts() {
        let text = [
            DNS_HEAD,
            b"1715677923.5\t10.0.0.1\tcaf\xe9.example\tNOERROR\n",
            b"XXXXXXXXXX.XXXXXX\t10.0.0.1\tchatgpt.com\t-\n",
            b"2024-05-14T09:12:03Z\t-\tclaude.ai\t-\n",
            b"1.0\t10.0.0.1\t-\tNOERROR\n",
            b"1.0\t10.0.0.1\t(empty)\tNOERROR\n",
            b"1.0\t10.0.0.1\t\\x2d\tNOERROR\n",
        ]
        .concat();
        assert_eq!(
            hosts(&FORMAT_TSV, &text),
            vec![
                b"caf\xe9.example".to_vec(),
                b"chatgpt.com".to_vec(),
                b"claude.ai".to_vec(),
                b"-".to_vec(),
            ]
        );
        let obs = tsv(&text);
        assert_eq!(obs[1].time, None);
        assert_eq!(obs[2].time, at(1_715_677_923 * T));
        assert_eq!(obs[2].client, None);
    }

    #[test]
    fn tsv_other_separator_and_markers() {
        let text = b"#separator \\x2c\n#unset_field,NA\n#empty_field,EMPTY\n#path,ssl\n\
#fields,ts,id.orig_h,server_name\n1.5,10.0.0.9,api.openai.com\n1.5,10.0.0.9,NA\n\
1.5,10.0,0.9,x\n1.5,10.0.0.9,a\\x2cb\n1.5,10.0.0.9,-\n";
        let (obs, errors) = parse_text(&FORMAT_TSV, &FormatCtx::default(), text);
        assert_eq!(
            errors,
            vec![(8, ParseError("zeek: more fields than #fields"))]
        );
        assert_eq!(
            obs,
            vec![
                tls(at(1_500_000), "api.openai.com", "10.0.0.9"),
                tls(at(1_500_000), "a,b", "10.0.0.9"),
                tls(at(1_500_000), "-", "10.0.0.9"),
            ]
        );
    }

    #[test]
    fn tsv_unknown_path_is_records_without_observations() {
        let text =
            b"#separator \\x09\n#path\tfiles\n#fields\tts\tfuid\tmime_type\n1.0\tFa\ttext/html\n";
        let mut p = (FORMAT_TSV.new_parser)(&FormatCtx::default());
        let mut kinds = Vec::new();
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            kinds.push(p.parse_line(line, &mut |_: &Observation<'_>| panic!()));
        }
        assert_eq!(
            kinds,
            vec![
                Ok(LineKind::Meta),
                Ok(LineKind::Meta),
                Ok(LineKind::Meta),
                Ok(LineKind::Record)
            ]
        );
    }

    #[test]
    fn unescape_forms() {
        let mut scratch = Vec::new();
        let mut un = |raw: &[u8], backslash| {
            scratch.clear();
            let v = unescape(raw, &mut scratch, backslash);
            resolve(Some(v), &scratch).unwrap_or_default().to_vec()
        };
        assert_eq!(un(b"plain", true), b"plain");
        assert_eq!(un(b"a\\x41\\x7c\\\\b", true), b"aA|\\b");
        assert_eq!(un(b"a\\\\b", false), b"a\\\\b");
        // Incomplete or invalid escapes stay as written.
        assert_eq!(un(b"\\x4", true), b"\\x4");
        assert_eq!(un(b"\\xzz\\", true), b"\\xzz\\");
        assert_eq!(un(b"\\q", true), b"\\q");
    }

    // --- JSON, own fixtures ---

    #[test]
    fn json_dns() {
        assert_eq!(
            json(data!("dns.json.log")),
            vec![
                dns(at(1_715_677_923_123_456), "chatgpt.com", "10.20.30.41"),
                dns(at(1_715_677_923_140_877), "api.openai.com", "10.20.30.41"),
                dns(at(1_715_677_924_502_110), "www.bbc.co.uk", "10.20.30.57"),
                // ISO 8601 ts; rejected (REFUSED) is still a query
                dns(at(1_715_677_925_250_000), "claude.ai", "10.20.30.57"),
                // (a record without query); a reply seen without its question
                dns(
                    at(1_715_677_926_731_900),
                    "generativelanguage.googleapis.com",
                    "10.20.30.63"
                ),
                // integer milliseconds ts
                dns(
                    at(1_715_677_927_015_000),
                    "copilot.microsoft.com",
                    "fd00:20:30::70"
                ),
                // Splunk export wrapper
                dns(
                    at(1_715_677_930_500_000),
                    "www.perplexity.ai",
                    "10.20.30.88"
                ),
            ]
        );
    }

    #[test]
    fn json_http() {
        assert_eq!(
            json(data!("http.json.log")),
            vec![
                http(
                    at(1_715_678_001_004_112),
                    Some("api.openai.com"),
                    Some("/v1/chat/completions"),
                    Some("OpenAI/Python 1.35.3"),
                    "10.20.30.41",
                    Some("alice"),
                    1843,
                    5120,
                ),
                http(
                    at(1_715_678_002_118_870),
                    Some("claude.ai"),
                    Some("/api/organizations"),
                    Some(
                        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
                    ),
                    "10.20.30.57",
                    None,
                    0,
                    2291,
                ),
                connect(http(
                    at(1_715_678_003_500_000),
                    Some("chatgpt.com:443"),
                    None,
                    Some(
                        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
                    ),
                    "10.20.30.57",
                    None,
                    0,
                    0,
                )),
                http(
                    at(1_715_678_004_250_300),
                    Some("copilot.microsoft.com"),
                    Some("/c/api/conversations"),
                    None,
                    "10.20.30.63",
                    None,
                    0,
                    734,
                ),
                http(
                    at(1_715_678_005_900_001),
                    Some("www.example.org"),
                    Some("/files/report\u{7}.pdf"),
                    Some("curl/8.7.1 \"internal\""),
                    "10.20.30.70",
                    None,
                    0,
                    1256,
                ),
                http(
                    at(1_715_678_007_441_000),
                    Some("gemini.google.com"),
                    Some(
                        "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate?bl=boq_assistant-bard-web-server&rt=c"
                    ),
                    Some("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"),
                    "10.20.30.41",
                    Some("bob"),
                    4211,
                    15873,
                ),
            ]
        );
    }

    #[test]
    fn json_ssl_and_quic() {
        assert_eq!(
            json(data!("ssl.json.log")),
            vec![
                tls(at(1_715_678_200_011_223), "chatgpt.com", "10.20.30.41"),
                tls(
                    at(1_715_678_202_998_877),
                    "api.anthropic.com",
                    "2001:db8:20:30::57"
                ),
                tls(at(1_715_678_203_100_000), "api.github.com", "10.20.30.70"),
            ]
        );
        assert_eq!(
            json(data!("quic.json.log")),
            vec![
                tls(at(1_715_678_300_120_000), "gemini.google.com", "10.20.31.5"),
                tls(at(1_715_678_301_500_000), "chatgpt.com", "10.20.31.9"),
            ]
        );
    }

    #[test]
    fn json_does_not_copy_unescaped_values() {
        let line = br#"{"ts":1.5,"uid":"C1","id.orig_h":"10.0.0.1","query":"chatgpt.com","answers":["a"]}"#;
        let rec: JsonRec<'_> = serde_json::from_slice(line).unwrap();
        assert!(matches!(
            rec.query,
            Some(JBytes(Cow::Borrowed(b"chatgpt.com")))
        ));
        assert!(matches!(rec.orig_h, Some(JBytes(Cow::Borrowed(_)))));
        let line = br#"{"query":"chat\u0067pt.com"}"#;
        let rec: JsonRec<'_> = serde_json::from_slice(line).unwrap();
        assert!(matches!(rec.query, Some(JBytes(Cow::Owned(_)))));
    }

    #[test]
    fn json_malformed() {
        let errors = |text: &[u8]| parse_text(&FORMAT_JSON, &FormatCtx::default(), text).1;
        let text = b"{\"ts\":1.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"query\":\"chat\n\
hello world\n\
[1,2]\n\
42\n\
{\"ts\":1.5,\"uid\":\"C1\",\"query\":5}\n\
{\"ts\":true,\"uid\":\"C1\",\"query\":\"a.example\"}\n\
{\"result\":{\"_raw\":\"not json\"}}\n\
{\"ts\":1.5,\"uid\":\"C1\",\"query\":\"ok.example\"}\n";
        assert_eq!(
            errors(text),
            vec![
                (1, ParseError("zeek json: invalid JSON")),
                (2, ParseError("zeek json: invalid JSON")),
                (3, ParseError("zeek json: not a JSON object")),
                (4, ParseError("zeek json: not a JSON object")),
                (5, ParseError("zeek json: unexpected field value")),
                (6, ParseError("zeek json: unexpected field value")),
                (7, ParseError("zeek json: Splunk _raw is not a Zeek record")),
            ]
        );
    }

    #[test]
    fn json_non_utf8_and_unknown_logs() {
        let text = b"{\"ts\":1.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"query\":\"caf\xe9.example\",\"status\":\"\xff\"}\n\
{\"ts\":1.5,\"uid\":\"C2\",\"id.orig_h\":\"10.0.0.1\",\"proto\":\"tcp\",\"service\":\"ssl\",\"orig_bytes\":10}\n\
{\"ts\":1.5,\"host\":\"10.0.0.5\",\"software_type\":\"HTTP::BROWSER\",\"name\":\"Firefox\"}\n\
\n\
### BTest baseline data generated by btest-diff.\n";
        assert_eq!(hosts(&FORMAT_JSON, text), vec![b"caf\xe9.example".to_vec()]);
        // conn.log lines skip the full parse, but a truncated one is still an error.
        let text = b"{\"ts\":1.5,\"uid\":\"C2\",\"id.orig_h\":\"10.0.0.1\",\"proto\":\"tcp\"}\n\
{\"ts\":1.5,\"uid\":\"C2\",\"id.orig_h\":\"10.0.0.1\",\"pro\n";
        assert_eq!(
            parse_text(&FORMAT_JSON, &FormatCtx::default(), text).1,
            vec![(2, ParseError("zeek json: invalid JSON"))]
        );
    }

    // --- probes ---

    const OTHERS: &[&[u8]] = &[
        b"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek DIRECT/209.73.177.115 -\n",
        b"02-May-2023 13:33:40.299 queries: info: client @0x7f1c 10.0.0.5#53123 (chatgpt.com): query: chatgpt.com IN A +E(0)K (10.0.0.53)\n",
        b"Feb  5 11:09:43 dnsmasq[1234]: query[A] chatgpt.com from 10.0.0.5\n",
        b"[1700000000] unbound[1234:0] info: 10.0.0.5 chatgpt.com. A IN\n",
        b"#Software: SGOS 6.7.4.1\n#Version: 1.0\n#Fields: date time c-ip cs-host\n2024-05-14 09:12:03 10.0.0.5 chatgpt.com\n",
        b"{\"timestamp\":\"2024-05-14T09:12:03.123456+0000\",\"flow_id\":1,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.5\",\"dns\":{\"rrname\":\"chatgpt.com\"}}\n",
        b"10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 2326\n",
    ];

    #[test]
    fn probe_tsv_scores() {
        for f in [
            data!("opt.basic__dns.log"),
            data!("core.tunnels.teredo__http.log"),
            data!("quic.chromium__quic.log"),
            data!("own-concat.log"),
        ] {
            assert_eq!(probe_tsv(f), 100);
        }
        assert_eq!(
            probe_tsv(b"#fields\tts\tuid\tquery\n1.0\tC\ta.example\n"),
            90
        );
        for f in [data!("dns.json.log"), data!("http.json.log")]
            .into_iter()
            .chain(OTHERS.iter().copied())
        {
            assert!(probe_tsv(f) < 50, "{}", String::from_utf8_lossy(f));
        }
    }

    #[test]
    fn probe_json_scores() {
        for f in [
            data!("dns.json.log"),
            data!("http.json.log"),
            data!("ssl.json.log"),
            data!("quic.json.log"),
        ] {
            assert_eq!(probe_json(f), 100);
        }
        for f in [data!("opt.basic__dns.log"), data!("own-concat.log")]
            .into_iter()
            .chain(OTHERS.iter().copied())
        {
            assert!(probe_json(f) < 50, "{}", String::from_utf8_lossy(f));
        }
    }
}
