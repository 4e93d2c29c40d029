//! `gen-pcap-bench`: writes a classic pcap (Ethernet, microsecond timestamps) of a requested
//! size for the capture benchmark (`benches/capture.sh`), by replaying real flows with
//! rewritten addresses, ports, sequence numbers and names.
//!
//! ```text
//! gen-pcap-bench OUT.pcap SIZE_MB [SEED [OPEN_FLOWS]]     # SIZE_MB in MiB: 1024 = 1 GiB
//! ```
//!
//! The templates are real captures under `tests/data/pcap/bench/` (see the `.provenance`
//! sidecars), embedded at build time:
//!
//! * DNS A/AAAA query and response pairs over UDP (`curl-enabled-tls13.pcap`), with the query
//!   name rewritten, the answers pointing at the server the flow then talks to, and the
//!   DNS/UDP/IP lengths and checksums fixed.
//! * TLS over TCP: the 3-way handshake and server flight of the same capture, and three real
//!   ClientHellos (curl, Chrome with a 1.7 KB post-quantum key share, OpenSSL TLS 1.2) whose
//!   server_name extension is rebuilt for the new name (extension, handshake and record
//!   lengths fixed; a trailing padding extension shrinks or grows to keep the size). About 1 in
//!   8 small ClientHellos is split over two segments (Chrome's always is), 1 in 40 split ones
//!   arrives second segment first, 1 in 40 ClientHellos is retransmitted. Then request and
//!   response exchanges of TLS application-data records (mostly server to client, 1–1448 byte
//!   segments, the client ACKing every second one), and FIN (or, 1 in 25, RST).
//! * HTTP/1.1 on port 80: `Host` and `User-Agent` requests, keep-alive, responses with
//!   `Content-Length` bodies.
//! * QUIC v1: whole client-Initial datagrams replayed byte for byte with new addresses
//!   (`ja4-quic.pcap`, `quic-frag.pcap` whose ClientHello spans two Initials,
//!   `quic__chromium-…-api-cirrus-com.pcap`); their SNI stays the original (it is encrypted
//!   under keys derived from the connection ID). Then 1-RTT bulk from the server.
//!
//! Flows are interleaved in time order through an event queue that holds OPEN_FLOWS (default
//! 20,000) open at any time: each one ending starts another. Most of a connection's life is
//! idle (think times, up to two minutes before it closes), so a 1 GiB capture spans about 30 s
//! of traffic at ~280 Mbit/s and sees some 54,000 flows. The simulation runs a minute before
//! the capture starts, so the file opens on flows in every phase (mid-transfer, idle) as a
//! real capture does. About 2 % of names are AI services (`api.openai.com`, `claude.ai`,
//! `gemini.google.com`, …, all in the built-in signature set), 0.3 % look-alikes that must
//! not match (`notchatgpt.com`, `claude.ai.example.net`, …), the rest ordinary sites; AI use
//! comes from one client in eight. Every checksum (IPv4, UDP, TCP) is valid.
//!
//! The packets are a pure function of SEED (default 42) and OPEN_FLOWS; the file stops before
//! the first packet that would exceed SIZE_MB MiB, so a smaller capture is a prefix of a
//! larger one, and flows open at the end are cut off as in a real capture. Beside the capture
//! it writes `OUT.pcap.truth.tsv`: what is in the file, per name and kind:
//!
//! ```text
//! # gen-pcap-bench: seed 42 -> out.pcap: ...
//! total   packets         -       <n>         also bytes, flows, flows_dns, flows_tls, …
//! dns     api.openai.com  ai      <n>         DNS queries for the name (A and AAAA)
//! dns_response …                              DNS responses for it
//! sni     claude.ai       ai      <n>         TCP flows whose whole ClientHello is in the file
//! quic_sni www.google.com other   <n>         QUIC flows whose whole ClientHello is in the file
//! http_host notchatgpt.com lookalike <n>      HTTP requests with that Host
//! ```
//!
//! Only std: a small wyrand PRNG, a 1 MiB random pool the payloads are copied from, packets
//! built in place in 4 MiB chunks that a writer thread writes out.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

// ---------------------------------------------------------------------------------------------
// PRNG and sampling
// ---------------------------------------------------------------------------------------------

#[path = "rng.rs"]
#[allow(dead_code)] // each generator uses part of it
mod rng;
use rng::Rng;

/// Draws this generator needs beyond uniform ones.
impl Rng {
    /// True with probability `n / d`.
    #[inline]
    fn one_in(&mut self, n: u64, d: u64) -> bool {
        self.below(d) < n
    }

    /// Pareto(xm, alpha) capped at `cap`: heavy tail for transfer sizes and think times.
    #[inline]
    fn pareto(&mut self, xm: f64, alpha: f64, cap: u64) -> u64 {
        let v = xm * self.unit().powf(-1.0 / alpha);
        if v >= cap as f64 { cap } else { v as u64 }
    }

    /// Log-uniform in `lo..hi`.
    #[inline]
    fn log_uniform(&mut self, lo: f64, hi: f64) -> u64 {
        (lo * (hi / lo).powf(self.unit())) as u64
    }
}

/// Weighted choice in O(1): 65,536 slots, each holding the index that owns that quantile.
struct Table(Vec<u32>);

impl Table {
    fn new(weights: &[f64]) -> Self {
        let total: f64 = weights.iter().sum();
        let mut slots = Vec::with_capacity(1 << 16);
        let (mut i, mut cum) = (0usize, weights.first().copied().unwrap_or(1.0) / total);
        for s in 0..(1u32 << 16) {
            let q = (f64::from(s) + 0.5) / 65536.0;
            while q > cum && i + 1 < weights.len() {
                i += 1;
                cum += weights[i] / total;
            }
            slots.push(i as u32);
        }
        Table(slots)
    }

    #[inline]
    fn sample(&self, rng: &mut Rng) -> usize {
        self.0[(rng.next() >> 48) as usize] as usize
    }
}

fn fnv(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// AI services and their relative popularity. Every one is an indicator of the built-in
/// signature set (signatures/*.toml).
#[rustfmt::skip]
const AI: &[(&str, f64)] = &[
    ("chatgpt.com", 20.0), ("api.openai.com", 12.0), ("claude.ai", 10.0),
    ("gemini.google.com", 10.0), ("copilot.microsoft.com", 8.0), ("api.anthropic.com", 5.0),
    ("api.githubcopilot.com", 5.0), ("chat.deepseek.com", 4.0), ("huggingface.co", 4.0),
    ("chat.mistral.ai", 3.0), ("generativelanguage.googleapis.com", 3.0), ("api2.cursor.sh", 3.0),
    ("poe.com", 2.0), ("character.ai", 2.0), ("api.groq.com", 1.0), ("api.cohere.com", 1.0),
];

/// Look-alikes, taken from the signatures' `no_match` examples: they must not match.
#[rustfmt::skip]
const LOOKALIKES: &[(&str, f64)] = &[
    ("notchatgpt.com", 3.0), ("gemini.com", 3.0), ("exchange.gemini.com", 1.0),
    ("notclaude.ai", 1.0), ("claude.ai.example.net", 1.0), ("openai.com.evil.example", 1.0),
    ("copilot.microsoft.com.evil.example", 1.0), ("gemini.google.com.evil.example", 1.0),
];

/// Real popular hosts, most popular first; several share a parent domain with an AI service.
#[rustfmt::skip]
const POPULAR: &[&str] = &[
    "www.google.com", "login.microsoftonline.com", "outlook.office365.com", "teams.microsoft.com",
    "www.googleapis.com", "fonts.googleapis.com", "fonts.gstatic.com", "www.gstatic.com",
    "graph.microsoft.com", "www.office.com", "mail.google.com", "storage.googleapis.com",
    "github.com", "api.github.com", "raw.githubusercontent.com", "avatars.githubusercontent.com",
    "www.youtube.com", "i.ytimg.com", "accounts.google.com", "docs.google.com", "drive.google.com",
    "update.googleapis.com", "safebrowsing.googleapis.com", "www.googletagmanager.com",
    "www.google-analytics.com", "stats.g.doubleclick.net", "www.microsoft.com",
    "settings-win.data.microsoft.com", "v10.events.data.microsoft.com", "edge.microsoft.com",
    "login.live.com", "onedrive.live.com", "contoso.sharepoint.com", "ctldl.windowsupdate.com",
    "portal.azure.com", "contosoprod.blob.core.windows.net", "s3.amazonaws.com",
    "sts.amazonaws.com", "www.amazon.com", "m.media-amazon.com", "d1a2b3c4d5e6f7.cloudfront.net",
    "a248.e.akamai.net", "www.linkedin.com", "static.licdn.com", "slack.com", "app.slack.com",
    "zoom.us", "www.dropbox.com", "en.wikipedia.org", "upload.wikimedia.org", "www.reddit.com",
    "www.nytimes.com", "www.bbc.co.uk", "www.apple.com", "gateway.icloud.com",
    "ocsp.digicert.com", "www.facebook.com", "www.instagram.com", "contoso.atlassian.net",
    "registry.npmjs.org", "pypi.org", "files.pythonhosted.org", "index.crates.io",
    "registry-1.docker.io", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "open.spotify.com",
    "www.netflix.com", "stackoverflow.com", "www.notion.so", "www.figma.com", "duckduckgo.com",
    "news.ycombinator.com", "www.paypal.com", "www.booking.com", "push.services.mozilla.com",
    "www.adobe.com", "www.yahoo.com", "www.ebay.com", "www.theguardian.com", "www.spiegel.de",
    "www.lemonde.fr", "www.reuters.com", "www.dhl.com", "www.ikea.com", "lh3.googleusercontent.com",
    "www.gravatar.com", "gitlab.com", "sentry.io", "js.stripe.com", "www.recaptcha.net",
];

/// Words for made-up site names. Nothing here spells an AI vendor or product.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "acme", "alpine", "amber", "anchor", "apex", "arbor", "atlas", "aurora", "harbor", "beacon",
    "birch", "blue", "bolt", "bright", "brook", "cedar", "cinder", "city", "clear", "coast",
    "cobalt", "comet", "coral", "crest", "crown", "daily", "delta", "ember", "falcon", "fern",
    "field", "fjord", "flint", "forge", "fox", "garden", "glacier", "globe", "gold", "granite",
    "green", "grove", "hawk", "hill", "horizon", "iron", "island", "jade", "juniper", "lake",
    "lantern", "leaf", "light", "lime", "lotus", "maple", "market", "meadow", "metro", "mint",
    "moss", "nimbus", "north", "oak", "ocean", "olive", "orbit", "orchid", "pacific", "panda",
    "peak", "pine", "pixel", "planet", "polar", "prairie", "quartz", "rapid", "raven", "ridge",
    "river", "rock", "royal", "sage", "salt", "shore", "silver", "slate", "snow", "solar",
    "spring", "spruce", "star", "stone", "storm", "summit", "swift", "tide", "timber", "trail",
    "tulip", "union", "urban", "valley", "velvet", "vista", "wave", "west", "willow", "wolf",
    "news", "shop", "travel", "bank", "health", "media", "sport", "food", "auto", "home",
];

#[rustfmt::skip]
const TLDS: &[&str] = &["com", "com", "com", "com", "net", "org", "io", "de", "co.uk", "fr", "nl", "eu"];
#[rustfmt::skip]
const SUBS: &[&str] = &["www", "www", "www", "cdn", "static", "api", "img", "assets", "app", "m"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Ai,
    Lookalike,
    Other,
}

impl Class {
    fn as_str(self) -> &'static str {
        match self {
            Class::Ai => "ai",
            Class::Lookalike => "lookalike",
            Class::Other => "other",
        }
    }
}

struct Name {
    host: String,
    class: Class,
    /// Server address the DNS answers give and the flows connect to.
    ip: [u8; 4],
}

/// A public-looking IPv4 address for a host name, stable across runs.
fn server_ip(host: &str) -> [u8; 4] {
    const FIRST: [u8; 12] = [13, 20, 23, 34, 35, 52, 104, 142, 151, 157, 185, 199];
    let h = fnv(host.as_bytes());
    [
        FIRST[(h % FIRST.len() as u64) as usize],
        (h >> 8) as u8,
        (h >> 16) as u8,
        1 + ((h >> 24) % 253) as u8,
    ]
}

struct Names {
    all: Vec<Name>,
    by_host: HashMap<String, u32>,
    ordinary: Table,
    ordinary_ids: Vec<u32>,
    ai: Table,
    ai_ids: Vec<u32>,
    lookalike: Table,
    lookalike_ids: Vec<u32>,
}

impl Names {
    fn new(rng: &mut Rng) -> Self {
        let weights =
            |list: &[(&str, f64)]| Table::new(&list.iter().map(|a| a.1).collect::<Vec<_>>());
        let mut n = Names {
            all: Vec::new(),
            by_host: HashMap::new(),
            ordinary: Table(Vec::new()),
            ordinary_ids: Vec::new(),
            ai: weights(AI),
            ai_ids: Vec::new(),
            lookalike: weights(LOOKALIKES),
            lookalike_ids: Vec::new(),
        };
        for (host, _) in AI {
            let id = n.intern(host, Class::Ai);
            n.ai_ids.push(id);
        }
        for (host, _) in LOOKALIKES {
            let id = n.intern(host, Class::Lookalike);
            n.lookalike_ids.push(id);
        }
        let mut weights = Vec::new();
        for (rank, host) in POPULAR.iter().enumerate() {
            let id = n.intern(host, Class::Other);
            n.ordinary_ids.push(id);
            weights.push(1.0 / (rank as f64 + 3.0));
        }
        // A long tail of made-up sites: 4,000 names, a fifth of the ordinary traffic.
        let mut seen = HashSet::new();
        while seen.len() < 4000 {
            let (a, b) = (
                WORDS[rng.below(WORDS.len() as u64) as usize],
                WORDS[rng.below(WORDS.len() as u64) as usize],
            );
            let tld = TLDS[rng.below(TLDS.len() as u64) as usize];
            let sub = SUBS[rng.below(SUBS.len() as u64) as usize];
            let host = if rng.one_in(1, 3) {
                format!("{sub}.{a}-{b}.{tld}")
            } else {
                format!("{sub}.{a}{b}.{tld}")
            };
            if seen.insert(host.clone()) {
                let id = n.intern(&host, Class::Other);
                n.ordinary_ids.push(id);
                weights.push(0.0125 / (seen.len() as f64).powf(0.6));
            }
        }
        n.ordinary = Table::new(&weights);
        n
    }

    fn intern(&mut self, host: &str, class: Class) -> u32 {
        if let Some(&id) = self.by_host.get(host) {
            return id;
        }
        let id = self.all.len() as u32;
        self.all.push(Name {
            host: host.to_owned(),
            class,
            ip: server_ip(host),
        });
        self.by_host.insert(host.to_owned(), id);
        id
    }

    /// 2 % AI services, 0.3 % look-alikes, the rest ordinary.
    fn pick(&self, rng: &mut Rng) -> u32 {
        let r = rng.below(1000);
        if r < 20 {
            self.ai_ids[self.ai.sample(rng)]
        } else if r < 23 {
            self.lookalike_ids[self.lookalike.sample(rng)]
        } else {
            self.ordinary_ids[self.ordinary.sample(rng)]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Templates: real packets from tests/data/pcap/bench
// ---------------------------------------------------------------------------------------------

/// A template capture, embedded at build time (the one place naming their folder).
macro_rules! template {
    ($file:literal) => {
        include_bytes!(concat!("../tests/data/pcap/corpus/", $file))
    };
}

const CURL_TLS13: &[u8] = template!("arkime/curl-enabled-tls13.pcap");
const CHROME_SPLIT: &[u8] = template!("arkime/tls-split-client-hello.pcap");
const OPENSSL_TLS12: &[u8] = template!("suricata-verify/bug-2646-01.pcap");
const JA4_QUIC: &[u8] = template!("suricata-verify/ja4-quic.pcap");
const QUIC_FRAG: &[u8] = template!("suricata-verify/quic-frag.pcap");
const QUIC_CIRRUS: &[u8] = template!("zeek/quic__chromium-115.0.5790.110-api-cirrus-com.pcap");

/// SNIs of the QUIC templates as tshark 4.0.17 decrypts them, in frame order.
#[rustfmt::skip]
const JA4_QUIC_SNI: [&str; 11] = [
    "www.blogger.com", "socpuppet.blogspot.com", "apis.google.com", "www.blogger.com",
    "apis.google.com", "www.google.com", "www.gstatic.com", "fonts.gstatic.com",
    "4.bp.blogspot.com", "1.bp.blogspot.com", "2.bp.blogspot.com",
];

fn rd16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn rd32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Frames of a little-endian microsecond pcap with timestamps in microseconds.
fn pcap_frames(file: &[u8]) -> Result<Vec<(u64, &[u8])>, String> {
    if rd32le(file, 0) != Some(0xa1b2_c3d4) || rd32le(file, 20) != Some(1) {
        return Err("template is not a little-endian Ethernet pcap".into());
    }
    let mut out = Vec::new();
    let mut at = 24;
    while at < file.len() {
        let sec = rd32le(file, at).ok_or("truncated record header")?;
        let usec = rd32le(file, at + 4).ok_or("truncated record header")?;
        let len = rd32le(file, at + 8).ok_or("truncated record header")? as usize;
        let frame = file.get(at + 16..at + 16 + len).ok_or("truncated record")?;
        out.push((u64::from(sec) * 1_000_000 + u64::from(usec), frame));
        at += 16 + len;
    }
    Ok(out)
}

struct Ip4<'a> {
    src: [u8; 4],
    l4: &'a [u8],
}

/// IPv4 inside Ethernet (one optional VLAN tag).
fn ipv4(frame: &[u8]) -> Option<Ip4<'_>> {
    let mut at = 12;
    let mut et = rd16(frame, at)?;
    if et == 0x8100 {
        at += 4;
        et = rd16(frame, at)?;
    }
    if et != 0x0800 {
        return None;
    }
    let ip = frame.get(at + 2..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(rd16(ip, 2)?);
    Some(Ip4 {
        src: ip.get(12..16)?.try_into().ok()?,
        l4: ip.get(ihl..total)?,
    })
}

/// (src port, dst port, payload) of a UDP datagram.
fn udp(l4: &[u8]) -> Option<(u16, u16, &[u8])> {
    Some((
        rd16(l4, 0)?,
        rd16(l4, 2)?,
        l4.get(8..usize::from(rd16(l4, 4)?))?,
    ))
}

/// (options, payload) of a TCP segment.
fn tcp(l4: &[u8]) -> Option<(&[u8], &[u8])> {
    let off = usize::from(l4.get(12)? >> 4) * 4;
    Some((l4.get(20..off)?, l4.get(off..)?))
}

fn tcp_payload_of(frames: &[(u64, &[u8])], i: usize) -> Result<Vec<u8>, String> {
    frames
        .get(i)
        .and_then(|f| ipv4(f.1))
        .and_then(|ip| tcp(ip.l4))
        .map(|t| t.1.to_vec())
        .ok_or_else(|| format!("template frame {} is not TCP/IPv4", i + 1))
}

struct DnsTpl {
    flags: u16,
    qtype: u16,
    /// Answers: (type, class, ttl); the rdata is the flow's server address.
    answers: Vec<(u16, u16, u32)>,
}

fn dns_tpl(payload: &[u8]) -> Option<DnsTpl> {
    let flags = rd16(payload, 2)?;
    let ancount = rd16(payload, 6)?;
    let mut at = 12;
    loop {
        let l = usize::from(*payload.get(at)?);
        at += 1 + l;
        if l == 0 {
            break;
        }
    }
    let qtype = rd16(payload, at)?;
    at += 4;
    let mut answers = Vec::new();
    for _ in 0..ancount {
        // Every template answer names the question by the pointer 0xc00c.
        if rd16(payload, at)? != 0xc00c {
            return None;
        }
        let typ = rd16(payload, at + 2)?;
        let class = rd16(payload, at + 4)?;
        let ttl = u32::from(rd16(payload, at + 6)?) << 16 | u32::from(rd16(payload, at + 8)?);
        let rdlen = usize::from(rd16(payload, at + 10)?);
        answers.push((typ, class, ttl));
        at += 12 + rdlen;
    }
    Some(DnsTpl {
        flags,
        qtype,
        answers,
    })
}

/// A ClientHello cut around its server_name extension.
struct HelloTpl {
    record_version: [u8; 2],
    /// Handshake body up to the extensions: version, random, session id, suites, compression.
    head: Vec<u8>,
    session_id: std::ops::Range<usize>,
    exts_before: Vec<u8>,
    exts_after: Vec<u8>,
    /// Total record length to pad to when the template ends with a padding extension.
    pad_to: Option<usize>,
}

fn hello_tpl(record: &[u8]) -> Option<HelloTpl> {
    if record.first() != Some(&0x16) || record.get(5) != Some(&1) {
        return None;
    }
    let body = record.get(9..)?;
    let sid_len = usize::from(*body.get(34)?);
    let mut at = 35 + sid_len;
    at += 2 + usize::from(rd16(body, at)?);
    at += 1 + usize::from(*body.get(at)?);
    let head = body.get(..at)?.to_vec();
    let ext_total = usize::from(rd16(body, at)?);
    let exts = body.get(at + 2..at + 2 + ext_total)?;
    let (mut sni, mut pad) = (None, None);
    let mut e = 0;
    while e < exts.len() {
        let typ = rd16(exts, e)?;
        let len = usize::from(rd16(exts, e + 2)?);
        match typ {
            0 => sni = Some(e..e + 4 + len),
            21 if e + 4 + len == exts.len() => pad = Some(e),
            _ => {}
        }
        e += 4 + len;
    }
    let sni = sni?;
    let end = pad.unwrap_or(exts.len());
    Some(HelloTpl {
        record_version: [*record.get(1)?, *record.get(2)?],
        head,
        session_id: 35..35 + sid_len,
        exts_before: exts.get(..sni.start)?.to_vec(),
        exts_after: exts.get(sni.end..end)?.to_vec(),
        pad_to: pad.map(|_| record.len()),
    })
}

/// One replayed QUIC conversation.
struct QuicTpl {
    sni: &'static str,
    /// Index of the packet that completes the ClientHello.
    hello_at: usize,
    /// (microseconds since the previous packet, from the client, UDP payload).
    pkts: Vec<(u32, bool, Vec<u8>)>,
    /// Connection IDs the 1-RTT bulk uses: the client's (server to client) and the server's.
    client_cid: Vec<u8>,
    server_cid: Vec<u8>,
}

/// Source connection ID of a long-header packet.
fn long_scid(p: &[u8]) -> Option<Vec<u8>> {
    if p.first()? & 0x80 == 0 {
        return None;
    }
    let dlen = usize::from(*p.get(5)?);
    let slen = usize::from(*p.get(6 + dlen)?);
    Some(p.get(7 + dlen..7 + dlen + slen)?.to_vec())
}

fn quic_tpl(
    frames: &[(u64, &[u8])],
    sni: &'static str,
    hello_at: usize,
) -> Result<QuicTpl, String> {
    let mut pkts = Vec::new();
    let (mut client, mut prev, mut server_cid, mut client_cid) = (None, None, None, None);
    for (ts, frame) in frames {
        let ip = ipv4(frame).ok_or("QUIC template frame is not IPv4")?;
        let (sport, _, payload) = udp(ip.l4).ok_or("QUIC template frame is not UDP")?;
        let c = *client.get_or_insert((ip.src, sport));
        let from_client = c == (ip.src, sport);
        let dt = prev.map_or(0, |p| ts.saturating_sub(p)).min(2_000_000) as u32;
        prev = Some(*ts);
        if from_client {
            client_cid = client_cid.or_else(|| long_scid(payload));
        } else {
            server_cid = server_cid.or_else(|| long_scid(payload));
        }
        pkts.push((dt, from_client, payload.to_vec()));
    }
    Ok(QuicTpl {
        sni,
        hello_at,
        pkts,
        client_cid: client_cid.unwrap_or_default(),
        server_cid: server_cid.unwrap_or_default(),
    })
}

struct Templates {
    gw_mac: [u8; 6],
    dns_a_query: DnsTpl,
    dns_a_resp: DnsTpl,
    dns_aaaa_query: DnsTpl,
    dns_aaaa_resp: DnsTpl,
    syn_opts: Vec<u8>,
    synack_opts: Vec<u8>,
    hellos: Vec<HelloTpl>,
    hello_pick: Table,
    /// The server's first flight after the ClientHello, as its three segments.
    flight: [Vec<u8>; 3],
    /// The client's ChangeCipherSpec and Finished.
    client_finish: Vec<u8>,
    quic: Vec<QuicTpl>,
    quic_pick: Table,
}

impl Templates {
    fn load() -> Result<Self, String> {
        let curl = pcap_frames(CURL_TLS13)?;
        let dns = |i: usize| {
            curl.get(i)
                .and_then(|f| ipv4(f.1))
                .and_then(|ip| udp(ip.l4))
                .and_then(|u| dns_tpl(u.2))
                .ok_or_else(|| format!("curl-enabled-tls13.pcap frame {} is not DNS", i + 1))
        };
        let opts = |i: usize| -> Result<Vec<u8>, String> {
            curl.get(i)
                .and_then(|f| ipv4(f.1))
                .and_then(|ip| tcp(ip.l4))
                .map(|t| t.0.to_vec())
                .ok_or_else(|| format!("curl-enabled-tls13.pcap frame {} is not TCP", i + 1))
        };
        let gw_mac = curl
            .first()
            .and_then(|f| f.1.get(0..6))
            .and_then(|m| m.try_into().ok())
            .ok_or("no Ethernet header")?;

        // Chrome's ClientHello is frames 4 and 5 of its capture; the others one frame each.
        let chrome = pcap_frames(CHROME_SPLIT)?;
        let mut chrome_hello = tcp_payload_of(&chrome, 3)?;
        chrome_hello.extend_from_slice(&tcp_payload_of(&chrome, 4)?);
        let openssl = pcap_frames(OPENSSL_TLS12)?;
        let records = [
            ("curl", tcp_payload_of(&curl, 7)?),
            ("Chrome", chrome_hello),
            ("OpenSSL", tcp_payload_of(&openssl, 3)?),
        ];
        let mut hellos = Vec::new();
        for (who, rec) in &records {
            hellos.push(hello_tpl(rec).ok_or_else(|| format!("{who} ClientHello template"))?);
        }

        let mut quic = Vec::new();
        let ja4 = pcap_frames(JA4_QUIC)?;
        if ja4.len() != JA4_QUIC_SNI.len() {
            return Err("ja4-quic.pcap: unexpected frame count".into());
        }
        for (frame, sni) in ja4.iter().zip(JA4_QUIC_SNI) {
            quic.push(quic_tpl(std::slice::from_ref(frame), sni, 0)?);
        }
        // quic-frag: the ClientHello ends in the second Initial; frames 14 on are the
        // client's probes over the following 22 s, left out.
        let frag = pcap_frames(QUIC_FRAG)?;
        quic.push(quic_tpl(
            frag.get(..13).ok_or("quic-frag.pcap too short")?,
            "token.services.mozilla.com",
            1,
        )?);
        quic.push(quic_tpl(
            &pcap_frames(QUIC_CIRRUS)?,
            "api.cirrus-ci.com",
            0,
        )?);
        // The whole conversations a little more often than the single Initials.
        let quic_weights: Vec<f64> = (0..quic.len())
            .map(|i| if i < ja4.len() { 1.0 } else { 3.0 })
            .collect();

        Ok(Templates {
            gw_mac,
            dns_a_query: dns(0)?,
            dns_aaaa_query: dns(1)?,
            dns_a_resp: dns(2)?,
            dns_aaaa_resp: dns(3)?,
            syn_opts: opts(4)?,
            synack_opts: opts(5)?,
            hellos,
            hello_pick: Table::new(&[25.0, 60.0, 15.0]),
            flight: [
                tcp_payload_of(&curl, 9)?,
                tcp_payload_of(&curl, 11)?,
                tcp_payload_of(&curl, 13)?,
            ],
            client_finish: tcp_payload_of(&curl, 15)?,
            quic,
            quic_pick: Table::new(&quic_weights),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Packet writing
// ---------------------------------------------------------------------------------------------

/// Internet checksum accumulator: 32-bit big-endian words, folded at the end.
#[inline]
fn csum_add(mut sum: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        sum += (v >> 32) + (v & 0xffff_ffff);
    }
    let rest = chunks.remainder();
    let mut tail = [0u8; 8];
    tail[..rest.len()].copy_from_slice(rest);
    let v = u64::from_be_bytes(tail);
    sum + (v >> 32) + (v & 0xffff_ffff)
}

#[inline]
fn csum_fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Both ends of a flow, as the client sees them.
#[derive(Clone, Copy, Default)]
struct Ends {
    cmac: [u8; 6],
    cip: [u8; 4],
    sip: [u8; 4],
    cport: u16,
    sport: u16,
    client_ttl: u8,
    server_ttl: u8,
}

/// TCP header fields of one segment.
struct Seg<'a> {
    c2s: bool,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    opts: &'a [u8],
    ip_id: u16,
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// Starts a pcap record, Ethernet and IPv4 header; returns (record start, IP start).
#[inline]
fn begin_ip(
    out: &mut Vec<u8>,
    ts: u64,
    e: &Ends,
    gw: &[u8; 6],
    c2s: bool,
    proto: u8,
    id: u16,
) -> (usize, usize) {
    let rec = out.len();
    out.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    let (smac, dmac, sip, dip, ttl) = if c2s {
        (&e.cmac, gw, e.cip, e.sip, e.client_ttl)
    } else {
        (gw, &e.cmac, e.sip, e.cip, e.server_ttl)
    };
    out.extend_from_slice(dmac);
    out.extend_from_slice(smac);
    out.extend_from_slice(&[0x08, 0x00]);
    let ip = out.len();
    let df = if proto == 6 { 0x40 } else { 0x00 };
    out.extend_from_slice(&[0x45, 0, 0, 0]);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[df, 0, ttl, proto, 0, 0]);
    out.extend_from_slice(&sip);
    out.extend_from_slice(&dip);
    (rec, ip)
}

/// Fills in the IP length and checksum, the transport checksum at `l4 + csum_at`, and the
/// record lengths.
#[inline]
fn finish_ip(out: &mut [u8], rec: usize, ip: usize, l4: usize, csum_at: usize, proto: u8) {
    let end = out.len();
    let ip_len = (end - ip) as u16;
    out[ip + 2..ip + 4].copy_from_slice(&ip_len.to_be_bytes());
    let c = csum_fold(csum_add(0, &out[ip..ip + 20]));
    out[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    let l4_len = (end - l4) as u64;
    let pseudo = csum_add(0, &out[ip + 12..ip + 20]) + u64::from(proto) + l4_len;
    let mut c = csum_fold(csum_add(pseudo, &out[l4..end]));
    if c == 0 && proto == 17 {
        c = 0xffff; // 0 means "no checksum" in UDP
    }
    out[l4 + csum_at..l4 + csum_at + 2].copy_from_slice(&c.to_be_bytes());
    let cap = ((end - rec - 16) as u32).to_le_bytes();
    out[rec + 8..rec + 12].copy_from_slice(&cap);
    out[rec + 12..rec + 16].copy_from_slice(&cap);
}

/// Writes one TCP segment; `payload` appends the payload to the buffer.
#[inline]
fn write_tcp(
    out: &mut Vec<u8>,
    ts: u64,
    e: &Ends,
    gw: &[u8; 6],
    s: &Seg<'_>,
    payload: impl FnOnce(&mut Vec<u8>),
) {
    let (rec, ip) = begin_ip(out, ts, e, gw, s.c2s, 6, s.ip_id);
    let l4 = out.len();
    let (sp, dp) = if s.c2s {
        (e.cport, e.sport)
    } else {
        (e.sport, e.cport)
    };
    out.extend_from_slice(&sp.to_be_bytes());
    out.extend_from_slice(&dp.to_be_bytes());
    out.extend_from_slice(&s.seq.to_be_bytes());
    out.extend_from_slice(&s.ack.to_be_bytes());
    out.push(((20 + s.opts.len()) as u8 / 4) << 4);
    out.push(s.flags);
    out.extend_from_slice(&s.win.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(s.opts);
    payload(out);
    finish_ip(out, rec, ip, l4, 16, 6);
}

/// Writes one UDP datagram between the client and `server` (the flow's server, or a resolver).
#[inline]
fn write_udp(
    out: &mut Vec<u8>,
    ts: u64,
    e: &Ends,
    gw: &[u8; 6],
    c2s: bool,
    ip_id: u16,
    payload: impl FnOnce(&mut Vec<u8>),
) {
    let (rec, ip) = begin_ip(out, ts, e, gw, c2s, 17, ip_id);
    let l4 = out.len();
    let (sp, dp) = if c2s {
        (e.cport, e.sport)
    } else {
        (e.sport, e.cport)
    };
    out.extend_from_slice(&sp.to_be_bytes());
    out.extend_from_slice(&dp.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    payload(out);
    let len = ((out.len() - l4) as u16).to_be_bytes();
    out[l4 + 4..l4 + 6].copy_from_slice(&len);
    finish_ip(out, rec, ip, l4, 6, 17);
}

// ---------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------

/// Random bytes that encrypted payloads and binary bodies are copied from, with room to copy a
/// whole segment from any offset below `POOL`.
const POOL: usize = 1 << 20;
const MSS: u32 = 1448;

fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_name(out: &mut Vec<u8>, host: &str) {
    for label in host.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// A DNS query, or with `resp` the response with the template's answers, pointing at `ip`.
fn write_dns(out: &mut Vec<u8>, id: u16, t: &DnsTpl, host: &str, ip: [u8; 4], resp: bool) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&t.flags.to_be_bytes());
    let an = if resp { t.answers.len() as u16 } else { 0 };
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&an.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    push_name(out, host);
    out.extend_from_slice(&t.qtype.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    if !resp {
        return;
    }
    for (i, &(typ, class, ttl)) in t.answers.iter().enumerate() {
        out.extend_from_slice(&[0xc0, 0x0c]);
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&class.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        let last = ip[3].wrapping_add(i as u8);
        if typ == 28 {
            out.extend_from_slice(&[0, 16, 0x26, 0x06, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[ip[0], ip[1], ip[2], last]);
        } else {
            out.extend_from_slice(&[0, 4, ip[0], ip[1], ip[2], last]);
        }
    }
}

/// The ClientHello record of template `t` for `host`, with its random and session id drawn
/// from `seed` (so a retransmission rebuilds the same bytes).
fn build_hello(out: &mut Vec<u8>, t: &HelloTpl, host: &str, seed: u64) {
    out.clear();
    let sni_len = 9 + host.len();
    let mut exts = t.exts_before.len() + sni_len + t.exts_after.len();
    let mut pad = None;
    if let Some(total) = t.pad_to {
        // Keep the record as long as the template's, as the padding extension is for.
        let bare = 5 + 4 + t.head.len() + 2 + exts;
        if bare + 4 <= total {
            pad = Some(total - bare - 4);
            exts += total - bare;
        }
    }
    let hs_len = t.head.len() + 2 + exts;
    out.push(0x16);
    out.extend_from_slice(&t.record_version);
    out.extend_from_slice(&((hs_len + 4) as u16).to_be_bytes());
    out.push(1);
    out.extend_from_slice(&(hs_len as u32).to_be_bytes()[1..]);
    let head = out.len();
    out.extend_from_slice(&t.head);
    let mut rng = Rng::new(seed);
    for i in (head + 2..head + 34).chain(head + t.session_id.start..head + t.session_id.end) {
        out[i] = rng.next() as u8;
    }
    out.extend_from_slice(&(exts as u16).to_be_bytes());
    out.extend_from_slice(&t.exts_before);
    let n = host.len() as u16;
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&(n + 5).to_be_bytes());
    out.extend_from_slice(&(n + 3).to_be_bytes());
    out.push(0);
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(&t.exts_after);
    if let Some(p) = pad {
        out.extend_from_slice(&[0, 21]);
        out.extend_from_slice(&(p as u16).to_be_bytes());
        out.resize(out.len() + p, 0);
    }
}

/// Progress through a TLS application-data message: a run of records.
#[derive(Clone, Copy, Default)]
struct Records {
    /// Bytes of the current record still to send, header included.
    rec_left: u32,
    rec_len: u32,
}

impl Records {
    /// Appends `n` bytes of a message with `msg_left` bytes (records included) to go.
    fn write(&mut self, out: &mut Vec<u8>, pool: &[u8], at: usize, mut n: u32, mut msg_left: u32) {
        let mut p = at;
        while n > 0 {
            if self.rec_left == 0 {
                // 16 KiB of plaintext + the AEAD tag at most; never leave under 6 bytes.
                let body = if msg_left <= 16_406 {
                    msg_left - 5
                } else if msg_left - 16_406 < 6 {
                    msg_left - 11
                } else {
                    16_401
                };
                self.rec_len = body + 5;
                self.rec_left = self.rec_len;
            }
            let done = self.rec_len - self.rec_left;
            let take = n.min(self.rec_left);
            let mut from = 0;
            if done < 5 {
                let len = (self.rec_len - 5) as u16;
                let [hi, lo] = len.to_be_bytes();
                let hdr = [0x17, 0x03, 0x03, hi, lo];
                let h = (5 - done).min(take);
                out.extend_from_slice(&hdr[done as usize..(done + h) as usize]);
                from = h;
            }
            let body = (take - from) as usize;
            out.extend_from_slice(&pool[p..p + body]);
            p += body;
            self.rec_left -= take;
            msg_left -= take;
            n -= take;
        }
    }
}

#[rustfmt::skip]
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Microsoft-CryptoAPI/10.0", "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71",
    "curl/8.5.0", "Wget/1.21.4", "python-requests/2.32.3", "Debian APT-HTTP/1.3 (2.6.1)",
];
#[rustfmt::skip]
const PATHS: &[&str] = &[
    "/", "/index.html", "/favicon.ico", "/assets/app.js", "/static/css/main.css",
    "/images/logo.png", "/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
    "/debian/dists/bookworm/InRelease", "/api/v1/status", "/generate_204", "/robots.txt",
];
#[rustfmt::skip]
const CONTENT_TYPES: &[&str] = &[
    "application/octet-stream", "application/javascript", "text/css", "font/woff2",
    "application/vnd.ms-cab-compressed",
];

fn http_request(out: &mut Vec<u8>, host: &str, path: usize, ua: usize) {
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(PATHS[path].as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\nUser-Agent: ");
    out.extend_from_slice(USER_AGENTS[ua].as_bytes());
    out.extend_from_slice(
        b"\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n",
    );
}

fn http_response_head(out: &mut Vec<u8>, status: u8, ctype: usize, body: u32) {
    if status == 1 {
        out.extend_from_slice(b"HTTP/1.1 301 Moved Permanently\r\nServer: nginx\r\nContent-Type: text/html\r\nLocation: https://");
        out.extend_from_slice(b"www.example.org/\r\nContent-Length: ");
    } else {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: ");
        out.extend_from_slice(CONTENT_TYPES[ctype].as_bytes());
        out.extend_from_slice(b"\r\nCache-Control: max-age=86400\r\nContent-Length: ");
    }
    push_u64(out, u64::from(body));
    out.extend_from_slice(b"\r\nConnection: keep-alive\r\n\r\n");
}

// ---------------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    Dns,
    Tls,
    Http,
    Quic,
}

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Ph {
    #[default]
    DnsQuery,
    DnsResp,
    Syn,
    SynAck,
    Ack3,
    /// The `n`-th ClientHello segment in sending order.
    Hello(u8),
    HelloRetx,
    HelloAck,
    Flight(u8),
    FlightAck,
    ClientFinish,
    Req,
    ReqAck,
    Resp,
    RespAck,
    Fin(u8),
    Rst,
    QuicReplay(u16),
    QuicBulk,
}

/// What a written packet adds to the ground truth.
#[derive(Clone, Copy)]
enum Event {
    None,
    DnsQuery(u32),
    DnsResponse(u32),
    Sni(u32),
    QuicSni(u32),
    HttpHost(u32),
}

#[derive(Clone, Copy, Default)]
struct Flow {
    kind: Kind,
    ph: Ph,
    name: u32,
    tpl: u8,
    e: Ends,
    dns: Ends,
    dns_id: u16,
    /// DNS lookups still to do before the flow proper: 0, 1 (A) or 2 (A, then AAAA).
    lookups: u8,
    aaaa: bool,
    rtt: u32,
    /// Pacing of bulk segments, nanoseconds per byte.
    ns_per_byte: u32,
    cseq: u32,
    sseq: u32,
    ip_id_c: u16,
    ip_id_s: u16,
    hello_seed: u64,
    hello_len: u16,
    /// Split point of the ClientHello (0: one segment).
    split: u16,
    ooo: bool,
    retx: bool,
    rst: bool,
    exchanges: u16,
    msg_left: u32,
    records: Records,
    pool_at: u32,
    since_ack: u8,
    hdr_len: u16,
    status: u8,
    ctype: u8,
    path: u8,
    ua: u8,
    quic: u16,
    bulk_left: u32,
    /// Has a packet in the file (the flow is counted).
    seen: bool,
    /// ClientHello segments in the capture: 1 the first in sequence, 2 the second.
    hello_parts: u8,
    /// The ClientHello has been counted, or (QUIC) cannot be.
    counted: bool,
}

const RESOLVERS: [[u8; 4]; 2] = [[10, 0, 0, 53], [10, 0, 1, 53]];

struct Gen<'a> {
    t: &'a Templates,
    names: &'a Names,
    rng: Rng,
    pool: Vec<u8>,
    scratch: Vec<u8>,
    clients: Table,
    ai_clients: Table,
    n_clients: u32,
    client_port: Vec<u16>,
    /// Past the warm-up: packets go into the file.
    capturing: bool,
}

/// Client number `i` as an address and a locally administered MAC.
fn client_addr(i: u32) -> ([u8; 4], [u8; 6]) {
    let ip = [
        10,
        20 + (i / 62_500) as u8,
        ((i / 250) % 250) as u8,
        (1 + i % 250) as u8,
    ];
    (ip, [0x02, 0x00, ip[0], ip[1], ip[2], ip[3]])
}

impl Gen<'_> {
    fn next_port(&mut self, client: u32) -> u16 {
        let p = &mut self.client_port[client as usize];
        *p = if *p >= 60_999 { 32_768 } else { *p + 1 };
        // Ports tshark decodes as something else whatever the other port is (Elasticsearch
        // discovery, Manolito), which reports encrypted QUIC payloads as malformed.
        if *p == 54_328 || *p == 41_170 {
            *p += 1;
        }
        *p
    }

    fn pool_at(&mut self) -> u32 {
        self.rng.below(POOL as u64) as u32
    }

    /// A new flow: its kind, name, ends and plan.
    fn new_flow(&mut self) -> Flow {
        let r = &mut self.rng;
        let kind = match r.below(100) {
            0..=39 => Kind::Dns,
            40..=81 => Kind::Tls,
            82..=89 => Kind::Http,
            _ => Kind::Quic,
        };
        let mut f = Flow {
            kind,
            rtt: r.log_uniform(3_000.0, 150_000.0) as u32,
            ns_per_byte: r.log_uniform(80.0, 8_000.0) as u32,
            cseq: r.next() as u32,
            sseq: r.next() as u32,
            ip_id_c: r.next() as u16,
            ip_id_s: r.next() as u16,
            ..Flow::default()
        };
        let mut quic_sni = None;
        if kind == Kind::Quic {
            f.quic = self.t.quic_pick.sample(r) as u16;
            quic_sni = Some(self.t.quic[usize::from(f.quic)].sni);
        }
        let names = self.names;
        f.name = match quic_sni {
            Some(s) => names.by_host.get(s).copied().unwrap_or(0),
            None => names.pick(r),
        };
        let name = &names.all[f.name as usize];
        // AI use concentrates on one client in eight, as it does in real networks.
        let client = if name.class == Class::Ai {
            self.ai_clients.sample(r) as u32 * 8
        } else {
            self.clients.sample(r) as u32
        }
        .min(self.n_clients - 1);
        let (cip, cmac) = client_addr(client);
        let client_ttl = if client % 3 == 0 { 64 } else { 128 };
        let server_ttl = 44 + (fnv(&name.ip) % 16) as u8;
        f.lookups = match kind {
            Kind::Dns => 1 + self.rng.below(2) as u8,
            _ if self.rng.one_in(1, 2) => 1 + self.rng.below(2) as u8,
            _ => 0,
        };
        f.ph = if f.lookups > 0 {
            Ph::DnsQuery
        } else if kind == Kind::Quic {
            Ph::QuicReplay(0)
        } else {
            Ph::Syn
        };
        let dns_port = self.next_port(client);
        let cport = self.next_port(client);
        let r = &mut self.rng;
        f.dns = Ends {
            cmac,
            cip,
            sip: RESOLVERS[(client % 2) as usize],
            cport: dns_port,
            sport: 53,
            client_ttl,
            server_ttl: 64,
        };
        f.dns_id = r.next() as u16;
        f.e = Ends {
            cmac,
            cip,
            sip: name.ip,
            cport,
            sport: match kind {
                Kind::Http => 80,
                _ => 443,
            },
            client_ttl,
            server_ttl,
        };
        match kind {
            Kind::Tls => {
                f.tpl = self.t.hello_pick.sample(r) as u8;
                f.hello_seed = r.next();
                build_hello(
                    &mut self.scratch,
                    &self.t.hellos[usize::from(f.tpl)],
                    &name.host,
                    f.hello_seed,
                );
                let len = self.scratch.len() as u64;
                f.hello_len = len as u16;
                // Past one segment it must be split; smaller ones sometimes are, anywhere.
                if len > u64::from(MSS) {
                    f.split = MSS as u16;
                } else if r.one_in(1, 8) {
                    f.split = r.range(1, len - 1) as u16;
                }
                f.ooo = f.split != 0 && r.one_in(1, 40);
                f.retx = r.one_in(1, 40);
                f.rst = r.one_in(1, 25);
                f.exchanges = r.pareto(1.0, 1.3, 40) as u16;
            }
            Kind::Http => {
                f.exchanges = 1 + r.pareto(1.0, 1.5, 8) as u16;
                f.rst = r.one_in(1, 25);
            }
            Kind::Quic => {
                f.bulk_left = r.pareto(4.0, 1.1, 40_000) as u32;
            }
            Kind::Dns => {}
        }
        f
    }

    /// Writes the flow's next packet at `ts`; returns the delay to its next one (None: done)
    /// and what the packet adds to the ground truth.
    fn step(&mut self, f: &mut Flow, ts: u64, out: &mut Vec<u8>) -> (Option<u64>, Event) {
        let (t, names) = (self.t, self.names);
        let gw = &t.gw_mac;
        let host = names.all[f.name as usize].host.as_str();
        let ip = names.all[f.name as usize].ip;
        let rtt = u64::from(f.rtt);
        match f.ph {
            Ph::DnsQuery => {
                let tpl = if f.aaaa {
                    &t.dns_aaaa_query
                } else {
                    &t.dns_a_query
                };
                f.ip_id_c = f.ip_id_c.wrapping_add(1);
                write_udp(out, ts, &f.dns, gw, true, f.ip_id_c, |o| {
                    write_dns(o, f.dns_id, tpl, host, ip, false)
                });
                f.ph = Ph::DnsResp;
                // A cached answer in a millisecond or so, else a recursion.
                let d = if self.rng.one_in(3, 4) {
                    self.rng.range(150, 2_000)
                } else {
                    self.rng.range(5_000, 120_000)
                };
                (Some(d), Event::DnsQuery(f.name))
            }
            Ph::DnsResp => {
                let tpl = if f.aaaa {
                    &t.dns_aaaa_resp
                } else {
                    &t.dns_a_resp
                };
                write_udp(out, ts, &f.dns, gw, false, self.rng.next() as u16, |o| {
                    write_dns(o, f.dns_id, tpl, host, ip, true)
                });
                f.lookups -= 1;
                let ev = Event::DnsResponse(f.name);
                if f.lookups > 0 {
                    f.aaaa = true;
                    f.dns_id = f.dns_id.wrapping_add(1);
                    f.ph = Ph::DnsQuery;
                    return (Some(self.rng.range(20, 400)), ev);
                }
                f.ph = match f.kind {
                    Kind::Dns => return (None, ev),
                    Kind::Quic => Ph::QuicReplay(0),
                    _ => Ph::Syn,
                };
                (Some(self.rng.range(100, 3_000)), ev)
            }
            Ph::Syn => {
                self.tcp(out, ts, f, true, SYN, &t.syn_opts);
                f.cseq = f.cseq.wrapping_add(1);
                f.ph = Ph::SynAck;
                (Some(rtt), Event::None)
            }
            Ph::SynAck => {
                self.tcp(out, ts, f, false, SYN | ACK, &t.synack_opts);
                f.sseq = f.sseq.wrapping_add(1);
                f.ph = Ph::Ack3;
                (Some(self.rng.range(20, 200)), Event::None)
            }
            Ph::Ack3 => {
                self.tcp(out, ts, f, true, ACK, &[]);
                if f.kind == Kind::Http {
                    self.start_request(f);
                    f.ph = Ph::Req;
                } else {
                    f.ph = Ph::Hello(0);
                }
                (Some(self.rng.range(50, 3_000)), Event::None)
            }
            Ph::Hello(n) => {
                let parts = if f.split == 0 { 1 } else { 2 };
                // In sending order: part 0 is the first in sequence unless out of order.
                let second = (n == 1) != f.ooo;
                self.hello_segment(out, ts, f, host, second && parts == 2);
                let ev = self.hello_event(f);
                if n + 1 < parts {
                    f.ph = Ph::Hello(n + 1);
                    return (Some(self.rng.range(5, 300)), ev);
                }
                f.ph = if f.retx { Ph::HelloRetx } else { Ph::HelloAck };
                let d = if f.retx { 200_000 + 2 * rtt } else { rtt };
                (Some(d), ev)
            }
            Ph::HelloRetx => {
                self.hello_segment(out, ts, f, host, false);
                f.ph = Ph::HelloAck;
                (Some(rtt), self.hello_event(f))
            }
            Ph::HelloAck => {
                f.cseq = f.cseq.wrapping_add(u32::from(f.hello_len));
                self.tcp(out, ts, f, false, ACK, &[]);
                f.ph = Ph::Flight(0);
                (Some(self.rng.range(200, 20_000)), Event::None)
            }
            Ph::Flight(k) => {
                let p = &t.flight[usize::from(k)];
                let flags = if k == 2 { ACK | PSH } else { ACK };
                let len = p.len() as u32;
                let seg = self.seg(f, false, flags, &[]);
                write_tcp(out, ts, &f.e, gw, &seg, |o| o.extend_from_slice(p));
                f.sseq = f.sseq.wrapping_add(len);
                if k < 2 {
                    f.ph = Ph::Flight(k + 1);
                    return (Some(self.rng.range(5, 200)), Event::None);
                }
                f.ph = Ph::FlightAck;
                (Some(self.rng.range(30, 300)), Event::None)
            }
            Ph::FlightAck => {
                self.tcp(out, ts, f, true, ACK, &[]);
                f.ph = Ph::ClientFinish;
                (Some(self.rng.range(500, 5_000)), Event::None)
            }
            Ph::ClientFinish => {
                let p = &t.client_finish;
                let seg = self.seg(f, true, ACK | PSH, &[]);
                write_tcp(out, ts, &f.e, gw, &seg, |o| o.extend_from_slice(p));
                f.cseq = f.cseq.wrapping_add(p.len() as u32);
                self.start_request(f);
                f.ph = Ph::Req;
                (Some(self.rng.range(20, 2_000)), Event::None)
            }
            Ph::Req => {
                let n = f.msg_left.min(MSS);
                let ev = if f.kind == Kind::Http {
                    let (path, ua) = (usize::from(f.path), usize::from(f.ua));
                    let seg = self.seg(f, true, ACK | PSH, &[]);
                    write_tcp(out, ts, &f.e, gw, &seg, |o| http_request(o, host, path, ua));
                    Event::HttpHost(f.name)
                } else {
                    let flags = if n == f.msg_left { ACK | PSH } else { ACK };
                    let seg = self.seg(f, true, flags, &[]);
                    let (pool, at, left) = (&self.pool, f.pool_at as usize, f.msg_left);
                    let mut rec = f.records;
                    write_tcp(out, ts, &f.e, gw, &seg, |o| rec.write(o, pool, at, n, left));
                    f.records = rec;
                    Event::None
                };
                f.cseq = f.cseq.wrapping_add(n);
                f.msg_left -= n;
                f.pool_at = self.pool_at();
                if f.msg_left > 0 {
                    f.since_ack += 1;
                    if f.since_ack == 2 {
                        f.since_ack = 0;
                        f.ph = Ph::ReqAck;
                        return (Some(self.rng.range(30, 300)), ev);
                    }
                    return (Some(self.pace(f, n)), ev);
                }
                self.start_response(f);
                f.ph = Ph::Resp;
                (Some(rtt + self.rng.pareto(500.0, 1.2, 2_000_000)), ev)
            }
            Ph::ReqAck => {
                self.tcp(out, ts, f, false, ACK, &[]);
                f.ph = Ph::Req;
                (Some(self.rng.range(10, 200)), Event::None)
            }
            Ph::Resp => {
                let n = f.msg_left.min(MSS);
                let flags = if n == f.msg_left { ACK | PSH } else { ACK };
                let seg = self.seg(f, false, flags, &[]);
                let at = f.pool_at as usize;
                if f.kind == Kind::Http {
                    // The head always fits the first segment.
                    let first = f.hdr_len > 0;
                    let (status, ctype, hdr) =
                        (f.status, usize::from(f.ctype), u32::from(f.hdr_len));
                    let body_total = f.msg_left - hdr;
                    let pool = &self.pool;
                    write_tcp(out, ts, &f.e, gw, &seg, |o| {
                        if first {
                            http_response_head(o, status, ctype, body_total);
                        }
                        o.extend_from_slice(&pool[at..at + (n - hdr) as usize]);
                    });
                    f.hdr_len = 0;
                } else {
                    let (pool, left) = (&self.pool, f.msg_left);
                    let mut rec = f.records;
                    write_tcp(out, ts, &f.e, gw, &seg, |o| rec.write(o, pool, at, n, left));
                    f.records = rec;
                }
                f.sseq = f.sseq.wrapping_add(n);
                f.msg_left -= n;
                f.pool_at = self.pool_at();
                f.since_ack += 1;
                if f.since_ack == 2 || f.msg_left == 0 {
                    f.since_ack = 0;
                    f.ph = Ph::RespAck;
                    return (Some(self.rng.range(20, 150)), Event::None);
                }
                (Some(self.pace(f, n)), Event::None)
            }
            Ph::RespAck => {
                self.tcp(out, ts, f, true, ACK, &[]);
                if f.msg_left > 0 {
                    f.ph = Ph::Resp;
                    return (Some(self.pace(f, MSS)), Event::None);
                }
                f.exchanges -= 1;
                if f.exchanges > 0 {
                    self.start_request(f);
                    f.ph = Ph::Req;
                    return (Some(self.think()), Event::None);
                }
                f.ph = if f.rst { Ph::Rst } else { Ph::Fin(0) };
                (Some(self.idle()), Event::None)
            }
            Ph::Fin(k) => {
                // Client FIN, server ACK, server FIN, client ACK.
                let (c2s, flags) = match k {
                    0 => (true, FIN | ACK),
                    1 => (false, ACK),
                    2 => (false, FIN | ACK),
                    _ => (true, ACK),
                };
                if k == 1 {
                    f.cseq = f.cseq.wrapping_add(1);
                }
                if k == 3 {
                    f.sseq = f.sseq.wrapping_add(1);
                }
                self.tcp(out, ts, f, c2s, flags, &[]);
                if k == 3 {
                    return (None, Event::None);
                }
                f.ph = Ph::Fin(k + 1);
                let d = if k == 1 {
                    self.rng.range(50, 5_000)
                } else {
                    rtt
                };
                (Some(d), Event::None)
            }
            Ph::Rst => {
                self.tcp(out, ts, f, true, RST | ACK, &[]);
                (None, Event::None)
            }
            Ph::QuicReplay(i) => {
                let q = &t.quic[usize::from(f.quic)];
                let (_, c2s, p) = &q.pkts[usize::from(i)];
                let id = if *c2s {
                    f.ip_id_c = f.ip_id_c.wrapping_add(1);
                    f.ip_id_c
                } else {
                    f.ip_id_s = f.ip_id_s.wrapping_add(1);
                    f.ip_id_s
                };
                write_udp(out, ts, &f.e, gw, *c2s, id, |o| o.extend_from_slice(p));
                // The ClientHello counts if every datagram up to the one completing it is in
                // the capture.
                f.counted |= !self.capturing;
                let ev = if usize::from(i) == q.hello_at && !f.counted {
                    Event::QuicSni(f.name)
                } else {
                    Event::None
                };
                if let Some((dt, _, _)) = q.pkts.get(usize::from(i) + 1) {
                    f.ph = Ph::QuicReplay(i + 1);
                    return (Some(u64::from(*dt).max(1)), ev);
                }
                f.ph = Ph::QuicBulk;
                (Some(rtt), ev)
            }
            Ph::QuicBulk => {
                f.bulk_left = f.bulk_left.saturating_sub(1);
                let q = &t.quic[usize::from(f.quic)];
                // Every fifth packet a small client ACK, else a full server packet.
                let c2s = f.bulk_left % 5 == 0;
                let (cid, len) = if c2s {
                    (&q.server_cid, self.rng.range(30, 60) as usize)
                } else {
                    (&q.client_cid, self.rng.range(1_150, 1_330) as usize)
                };
                let first = 0x40 | (self.rng.next() as u8 & 0x3f);
                let at = f.pool_at as usize;
                let id = if c2s {
                    f.ip_id_c = f.ip_id_c.wrapping_add(1);
                    f.ip_id_c
                } else {
                    f.ip_id_s = f.ip_id_s.wrapping_add(1);
                    f.ip_id_s
                };
                let pool = &self.pool;
                write_udp(out, ts, &f.e, gw, c2s, id, |o| {
                    o.push(first);
                    o.extend_from_slice(cid);
                    o.extend_from_slice(&pool[at..at + len]);
                });
                f.pool_at = self.pool_at();
                match f.bulk_left {
                    0 => (None, Event::None),
                    // The last packet (the client's) after the connection idled.
                    1 => (Some(self.idle()), Event::None),
                    _ => (Some(self.pace(f, len as u32)), Event::None),
                }
            }
        }
    }

    /// Header fields for the next segment in a direction, acknowledging the other side.
    fn seg<'o>(&mut self, f: &mut Flow, c2s: bool, flags: u8, opts: &'o [u8]) -> Seg<'o> {
        let (seq, ack, id) = if c2s {
            f.ip_id_c = f.ip_id_c.wrapping_add(1);
            (f.cseq, f.sseq, f.ip_id_c)
        } else {
            f.ip_id_s = f.ip_id_s.wrapping_add(1);
            (f.sseq, f.cseq, f.ip_id_s)
        };
        Seg {
            c2s,
            seq,
            ack: if flags & ACK != 0 { ack } else { 0 },
            flags,
            win: if c2s { 2_052 } else { 501 },
            opts,
            ip_id: id,
        }
    }

    /// A segment without payload.
    fn tcp(&mut self, out: &mut Vec<u8>, ts: u64, f: &mut Flow, c2s: bool, flags: u8, opts: &[u8]) {
        let seg = self.seg(f, c2s, flags, opts);
        write_tcp(out, ts, &f.e, &self.t.gw_mac, &seg, |_| {});
    }

    /// One ClientHello segment: the first part (from the sequence start) or the second.
    fn hello_segment(
        &mut self,
        out: &mut Vec<u8>,
        ts: u64,
        f: &mut Flow,
        host: &str,
        second: bool,
    ) {
        build_hello(
            &mut self.scratch,
            &self.t.hellos[usize::from(f.tpl)],
            host,
            f.hello_seed,
        );
        let (lo, hi) = match (f.split, second) {
            (0, _) => (0, usize::from(f.hello_len)),
            (s, false) => (0, usize::from(s)),
            (s, true) => (usize::from(s), usize::from(f.hello_len)),
        };
        let base = f.cseq;
        let mut seg = self.seg(f, true, ACK | PSH, &[]);
        seg.seq = base.wrapping_add(lo as u32);
        let bytes = &self.scratch[lo..hi];
        write_tcp(out, ts, &f.e, &self.t.gw_mac, &seg, |o| {
            o.extend_from_slice(bytes)
        });
        if self.capturing {
            f.hello_parts |= if second { 2 } else { 1 };
        }
    }

    /// The ClientHello counts once all of it is in the capture: a flow that sent part of it
    /// before the capture started counts only if a retransmission fills the gap.
    fn hello_event(&mut self, f: &mut Flow) -> Event {
        let all = if f.split == 0 { 1 } else { 3 };
        if f.hello_parts == all && !f.counted {
            f.counted = true;
            return Event::Sni(f.name);
        }
        Event::None
    }

    fn start_request(&mut self, f: &mut Flow) {
        let r = &mut self.rng;
        f.since_ack = 0;
        f.records = Records::default();
        f.pool_at = r.below(POOL as u64) as u32;
        if f.kind == Kind::Http {
            f.path = r.below(PATHS.len() as u64) as u8;
            f.ua = r.below(USER_AGENTS.len() as u64) as u8;
            self.scratch.clear();
            let host = &self.names.all[f.name as usize].host;
            http_request(
                &mut self.scratch,
                host,
                usize::from(f.path),
                usize::from(f.ua),
            );
            f.msg_left = self.scratch.len() as u32;
        } else if r.one_in(1, 20) {
            // An upload: a file, a prompt with attachments.
            f.msg_left = r.pareto(8_000.0, 1.1, 4_000_000) as u32 + 40;
        } else {
            f.msg_left = r.range(40, 900) as u32;
        }
    }

    fn start_response(&mut self, f: &mut Flow) {
        let r = &mut self.rng;
        f.since_ack = 0;
        f.records = Records::default();
        f.pool_at = r.below(POOL as u64) as u32;
        let body = r.pareto(1_500.0, 1.1, 30_000_000) as u32;
        if f.kind == Kind::Http {
            f.status = u8::from(r.one_in(1, 10));
            f.ctype = r.below(CONTENT_TYPES.len() as u64) as u8;
            let body = if f.status == 1 { 162 } else { body };
            self.scratch.clear();
            http_response_head(&mut self.scratch, f.status, usize::from(f.ctype), body);
            f.hdr_len = self.scratch.len() as u16;
            f.msg_left = u32::from(f.hdr_len) + body;
        } else {
            f.msg_left = body + 22 + 6;
        }
    }

    /// Between a response and the next request on a connection.
    fn think(&mut self) -> u64 {
        self.rng.pareto(20_000.0, 1.0, 5_000_000)
    }

    /// A connection idles this long before it closes: most of a flow's life.
    fn idle(&mut self) -> u64 {
        self.rng.log_uniform(500_000.0, 120_000_000.0)
    }

    /// Delay before the next bulk segment after sending `n` bytes, with some jitter.
    fn pace(&mut self, f: &Flow, n: u32) -> u64 {
        let d = u64::from(n) * u64::from(f.ns_per_byte) / 1000;
        d + self.rng.below(d / 4 + 2) + 1
    }
}

// ---------------------------------------------------------------------------------------------
// Main loop and ground truth
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Truth {
    packets: u64,
    bytes: u64,
    flows: [u64; 4],
    open_flows: u64,
    split_hellos: u64,
    ooo_hellos: u64,
    retx_hellos: u64,
    duration_us: u64,
    /// Per name: dns queries, dns responses, sni, quic sni, http requests.
    per_name: Vec<[u64; 5]>,
}

const KINDS: [&str; 5] = ["dns", "dns_response", "sni", "quic_sni", "http_host"];

/// 2026-11-27 09:00:00 UTC.
const EPOCH_US: u64 = 1_795_770_000 * 1_000_000;

/// Simulated time before the capture starts, so that it opens on flows in every phase (as a
/// real capture does) rather than on all of them connecting at once.
const WARMUP_US: u64 = 60_000_000;

fn run(path: &str, limit: u64, seed: u64, open_target: usize) -> Result<(Truth, Names), String> {
    let templates = Templates::load()?;
    let mut rng = Rng::new(seed);
    let mut names = Names::new(&mut rng);
    for q in &templates.quic {
        names.intern(q.sni, Class::Other);
    }
    let mut pool = vec![0u8; POOL + 2 * MSS as usize];
    for c in pool.chunks_mut(8) {
        let v = rng.next().to_le_bytes();
        c.copy_from_slice(&v[..c.len()]);
    }
    let n_clients = 4_000u32;
    let client_w: Vec<f64> = (0..n_clients)
        .map(|i| 1.0 / (f64::from(i) + 20.0))
        .collect();
    let ai_w: Vec<f64> = (0..n_clients / 8)
        .map(|i| 1.0 / (f64::from(i) + 5.0))
        .collect();
    let mut client_port = vec![0u16; n_clients as usize];
    for p in &mut client_port {
        *p = rng.range(32_768, 60_999) as u16;
    }
    let mut g = Gen {
        t: &templates,
        names: &names,
        rng: Rng::new(seed ^ 0x5eed_5eed_5eed_5eed),
        pool,
        scratch: Vec::with_capacity(4096),
        clients: Table::new(&client_w),
        ai_clients: Table::new(&ai_w),
        n_clients,
        client_port,
        capturing: false,
    };

    let mut out: Box<dyn Write + Send> =
        Box::new(File::create(path).map_err(|e| format!("{path}: {e}"))?);
    const CHUNK: usize = 4 << 20;
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    let writer = thread::spawn(move || -> io::Result<()> {
        for mut chunk in full_rx {
            out.write_all(&chunk)?;
            chunk.clear();
            let _ = empty_tx.send(chunk);
        }
        out.flush()
    });

    let mut truth = Truth {
        per_name: vec![[0; 5]; names.all.len()],
        ..Truth::default()
    };
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 65_536);
    // Classic pcap header: microseconds, version 2.4, snaplen 65535, Ethernet.
    buf.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    buf.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    buf.extend_from_slice(&65_535u32.to_le_bytes());
    buf.extend_from_slice(&1u32.to_le_bytes());
    let mut written = buf.len() as u64;

    let mut flows: Vec<Flow> = Vec::with_capacity(open_target);
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(open_target + 1);
    // Flows open over the first two seconds of the warm-up, then each one ending starts
    // another.
    for _ in 0..open_target {
        let f = g.new_flow();
        let at = g.rng.below(2_000_000);
        heap.push(Reverse((at, flows.len() as u32)));
        flows.push(f);
    }
    let mut last_ts = 0u64;
    let mut send_failed = false;
    while let Some(Reverse((at, slot))) = heap.pop() {
        let ts = at.max(last_ts);
        let mut f = flows[slot as usize];
        let start = buf.len();
        let warming = ts < WARMUP_US;
        g.capturing = !warming;
        let (next, ev) = g.step(&mut f, EPOCH_US + ts.saturating_sub(WARMUP_US), &mut buf);
        let len = (buf.len() - start) as u64;
        last_ts = ts;
        if warming {
            buf.truncate(start);
        } else if written + len > limit {
            buf.truncate(start);
            break;
        } else {
            written += len;
            truth.packets += 1;
            if !f.seen {
                f.seen = true;
                truth.flows[f.kind as usize] += 1;
            }
        }
        let name_event = match ev {
            _ if warming => None,
            Event::None => None,
            Event::DnsQuery(n) => Some((n, 0)),
            Event::DnsResponse(n) => Some((n, 1)),
            Event::Sni(n) => {
                truth.split_hellos += u64::from(f.split != 0);
                truth.ooo_hellos += u64::from(f.ooo);
                truth.retx_hellos += u64::from(f.retx);
                Some((n, 2))
            }
            Event::QuicSni(n) => Some((n, 3)),
            Event::HttpHost(n) => Some((n, 4)),
        };
        if let Some((n, k)) = name_event {
            truth.per_name[n as usize][k] += 1;
        }
        match next {
            Some(d) => {
                flows[slot as usize] = f;
                heap.push(Reverse((ts + d, slot)));
            }
            None => {
                flows[slot as usize] = g.new_flow();
                heap.push(Reverse((ts + g.rng.range(1, 20_000), slot)));
            }
        }
        if buf.len() >= CHUNK {
            let next = empty_rx
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 65_536));
            if full_tx.send(std::mem::replace(&mut buf, next)).is_err() {
                send_failed = true;
                break;
            }
        }
    }
    if !send_failed && !buf.is_empty() {
        let _ = full_tx.send(buf);
    }
    drop(full_tx);
    writer
        .join()
        .map_err(|_| "writer thread panicked".to_string())?
        .map_err(|e| format!("{path}: {e}"))?;
    truth.bytes = written;
    truth.duration_us = last_ts.saturating_sub(WARMUP_US);
    truth.open_flows = open_target as u64;
    drop(g);
    Ok((truth, names))
}

fn write_truth(path: &str, head: &str, t: &Truth, names: &Names) -> io::Result<()> {
    let mut w = io::BufWriter::new(File::create(path)?);
    writeln!(w, "{head}")?;
    let flows_total: u64 = t.flows.iter().sum();
    let totals = [
        ("packets", t.packets),
        ("bytes", t.bytes),
        ("flows", flows_total),
        ("flows_dns", t.flows[Kind::Dns as usize]),
        ("flows_tls", t.flows[Kind::Tls as usize]),
        ("flows_http", t.flows[Kind::Http as usize]),
        ("flows_quic", t.flows[Kind::Quic as usize]),
        ("open_flows", t.open_flows),
        ("split_hellos", t.split_hellos),
        ("out_of_order_hellos", t.ooo_hellos),
        ("retransmitted_hellos", t.retx_hellos),
        ("duration_us", t.duration_us),
    ];
    for (k, v) in totals {
        writeln!(w, "total\t{k}\t-\t{v}")?;
    }
    for (k, kind) in KINDS.iter().enumerate() {
        for class in [Class::Ai, Class::Lookalike, Class::Other] {
            let n: u64 = names
                .all
                .iter()
                .zip(&t.per_name)
                .filter(|(name, _)| name.class == class)
                .map(|(_, c)| c[k])
                .sum();
            writeln!(w, "total\t{kind}_{}\t-\t{n}", class.as_str())?;
        }
    }
    writeln!(w, "kind\tname\tclass\tcount")?;
    for (k, kind) in KINDS.iter().enumerate() {
        for (name, c) in names.all.iter().zip(&t.per_name) {
            if c[k] > 0 {
                writeln!(
                    w,
                    "{kind}\t{}\t{}\t{}",
                    name.host,
                    name.class.as_str(),
                    c[k]
                )?;
            }
        }
    }
    w.flush()
}

const USAGE: &str = "usage: gen-pcap-bench OUT.pcap SIZE_MB [SEED [OPEN_FLOWS]]

Writes a classic pcap (Ethernet, microseconds) of at most SIZE_MB MiB replaying real DNS,
TLS, HTTP and QUIC flows with rewritten addresses and names, with OPEN_FLOWS flows open at
any time (default 20000), and OUT.pcap.truth.tsv with the names written per kind. The same
SEED (default 42) and OPEN_FLOWS give the same packets: a smaller file is a prefix of a
larger one.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let num = |i: usize, default: u64| args.get(i).map_or(Some(default), |a| a.parse::<u64>().ok());
    let parsed = match (args.first(), num(1, 0), num(2, 42), num(3, 20_000)) {
        (Some(out), Some(mb), Some(seed), Some(open)) if args.len() <= 4 => {
            Some((out, mb, seed, open))
        }
        _ => None,
    };
    let Some((out, mb, seed, open)) =
        parsed.filter(|p| p.1 > 0 && p.1 < 1 << 24 && p.3 > 0 && p.3 <= 1_000_000)
    else {
        eprintln!("gen-pcap-bench: bad arguments\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let (truth, names) = match run(out, mb << 20, seed, open as usize) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen-pcap-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let head = format!(
        "# gen-pcap-bench: seed {seed} -> {out}: {} packets, {} bytes, {} flows ({} open at a time), {:.1} s of traffic, generated in {:.2} s ({:.0} MB/s)",
        truth.packets,
        truth.bytes,
        truth.flows.iter().sum::<u64>(),
        truth.open_flows,
        truth.duration_us as f64 / 1e6,
        secs,
        truth.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    let truth_path = format!("{out}.truth.tsv");
    if let Err(e) = write_truth(&truth_path, &head, &truth, &names) {
        eprintln!("gen-pcap-bench: {truth_path}: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!("{}", &head[2..]);
    ExitCode::SUCCESS
}
