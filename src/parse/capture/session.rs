//! Reads one capture's packets into observations: DNS messages as they come, and one
//! observation per connection (TLS or QUIC server name, first HTTP request, or the name a
//! DNS answer gave for the server's address) with the bytes each way, when it closes.
//!
//! State is bounded: a flow table with idle timeouts and eviction of the least recently
//! seen flows when full, per-flow reassembly windows, and a bounded passive DNS map. The
//! same session serves capture files and live interfaces.

use super::dns::{self, RData};
use super::http;
use super::link::{self, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Transport};
use super::pdns::PassiveDns;
use super::quic;
use super::reader::Packet;
use super::reassembly::Reassembler;
use super::tls;
use crate::observation::{Action, ObsKind, Observation};
use crate::time::Timestamp;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;

/// Tunables of a capture session.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    /// Ports whose UDP and TCP traffic is read as DNS.
    pub dns_ports: Vec<u16>,
    /// Most flows tracked at once; the least recently seen are closed early beyond it.
    pub max_flows: usize,
    /// Most addresses remembered from DNS answers.
    pub max_dns_addresses: usize,
    /// A TCP flow with no packet for this long is closed.
    pub tcp_idle_secs: u32,
    /// A UDP flow with no packet for this long is closed.
    pub udp_idle_secs: u32,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            dns_ports: vec![53],
            max_flows: 131_072,
            max_dns_addresses: 262_144,
            tcp_idle_secs: 300,
            udp_idle_secs: 120,
        }
    }
}

/// What the session saw beyond packet counts, for the run summary.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CaptureStats {
    /// Connections tracked (TCP and non-DNS UDP).
    pub flows: u64,
    /// Flows closed early because the flow table was full.
    pub flows_evicted: u64,
    pub dns_messages: u64,
    /// DNS payloads that were not a readable message.
    pub dns_malformed: u64,
    pub tls_client_hellos: u64,
    /// TCP streams that started like TLS but whose ClientHello could not be read
    /// (malformed, larger than the reassembly window, or never completed).
    pub tls_unreadable: u64,
    pub http_requests: u64,
    /// Client Initial packets decrypted.
    pub quic_initials: u64,
    pub quic_client_hellos: u64,
    /// QUIC connections whose version has no known Initial keys (greased, Google QUIC,
    /// unknown drafts): counted, not guessed.
    pub quic_unknown_version: u64,
    /// Client Initials that did not decrypt or held malformed frames.
    pub quic_undecryptable: u64,
    /// Connections named only by an earlier DNS answer for the server's address.
    pub named_by_dns_answer: u64,
    /// Passive DNS entries dropped before they expired to stay within bounds.
    pub dns_addresses_evicted: u64,
}

impl CaptureStats {
    pub fn add(&mut self, o: &CaptureStats) {
        self.flows += o.flows;
        self.flows_evicted += o.flows_evicted;
        self.dns_messages += o.dns_messages;
        self.dns_malformed += o.dns_malformed;
        self.tls_client_hellos += o.tls_client_hellos;
        self.tls_unreadable += o.tls_unreadable;
        self.http_requests += o.http_requests;
        self.quic_initials += o.quic_initials;
        self.quic_client_hellos += o.quic_client_hellos;
        self.quic_unknown_version += o.quic_unknown_version;
        self.quic_undecryptable += o.quic_undecryptable;
        self.named_by_dns_answer += o.named_by_dns_answer;
        self.dns_addresses_evicted += o.dns_addresses_evicted;
    }
}

/// The packet an observation is evidence from.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketRef {
    pub number: u64,
    pub time: Option<Timestamp>,
}

/// Receives each observation with its evidence packet; returns whether it matched a
/// signature (so the session can count matched packets).
pub type PacketSink<'s> = dyn FnMut(&Observation<'_>, PacketRef) -> bool + 's;

/// Reassembly window for a client's first flight (post-quantum ClientHellos are ~1.8 KB;
/// 16 KiB holds any real one with room for large extensions).
const FIRST_FLIGHT_WINDOW: usize = 16 << 10;
/// Reassembly window per direction for DNS over TCP (a message is at most 64 KiB).
const DNS_TCP_WINDOW: usize = (64 << 10) + 2;
/// Client Initial packets read per QUIC connection before giving up on its ClientHello.
const MAX_QUIC_INITIALS: u8 = 16;
/// Bytes a new TCP stream needs before its protocol is judged.
const SNIFF_BYTES: usize = 8;
/// How long a closed TCP flow is kept to absorb its last packets (seconds).
const CLOSED_LINGER_SECS: u32 = 30;
/// How often (capture time, seconds) idle flows are swept.
const SWEEP_EVERY_SECS: i64 = 5;

/// One end of a flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct End {
    ip: IpAddr,
    port: u16,
}

/// A flow's key: its two ends in a fixed order, so both directions find it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct FlowKey {
    lo: End,
    hi: End,
    tcp: bool,
}

/// What a closed flow reports.
#[derive(Debug)]
struct Label {
    kind: ObsKind,
    host: Box<[u8]>,
    path: Option<Box<[u8]>>,
    user_agent: Option<Box<[u8]>>,
    at: PacketRef,
}

#[derive(Debug, Default)]
enum Inspect {
    /// No client payload yet.
    #[default]
    Undecided,
    Tls(Reassembler),
    Http(Reassembler),
    /// HTTP after the first request: later requests are read from segments that start one.
    HttpLater,
    /// Client-to-server and server-to-client streams.
    DnsTcp(Box<[Reassembler; 2]>),
    Quic(Box<QuicState>),
    Done,
}

enum QuicStart {
    Initial(Box<QuicState>),
    /// A long-header packet of a known version that is not an Initial.
    NotYet,
    No,
}

#[derive(Debug)]
struct QuicState {
    keys: quic::InitialKeys,
    crypto: Reassembler,
    initials: u8,
}

#[derive(Debug, Default)]
struct Flow {
    /// The client is the `lo` end of the key.
    client_is_lo: bool,
    first: PacketRef,
    /// Capture time of the last packet, microseconds.
    last_us: i64,
    /// Payload bytes each way; for TCP the extent of sequence space sent (retransmissions
    /// count once), from the SYN or the first segment seen.
    bytes_out: u64,
    bytes_in: u64,
    /// Sequence number of stream offset 0, per direction (client, server).
    base: [Option<u32>; 2],
    fin: [bool; 2],
    /// Reported already (RST or FIN both ways); kept a little to absorb late packets.
    closed: bool,
    label: Option<Label>,
    /// The last packet of this flow counted as matched.
    matched_packet: u64,
    /// The last packet that added to the client's first flight.
    pending_at: PacketRef,
    /// Client QUIC packets seen before its first Initial.
    early_datagrams: u8,
    inspect: Inspect,
}

/// Scratch buffers and counters shared by every flow of a session.
struct Ctx {
    cfg: CaptureConfig,
    stats: CaptureStats,
    pdns: PassiveDns,
    names: Vec<u8>,
    tls_scratch: Vec<u8>,
    quic_plain: Vec<u8>,
    quic_frames: Vec<quic::CryptoFrame>,
    ip_text: String,
    /// Packets with at least one matched observation.
    matched_packets: u64,
    /// The packet being read, and whether it has been counted as matched.
    current: u64,
    current_matched: bool,
}

pub struct Session {
    ctx: Ctx,
    flows: FxHashMap<FlowKey, Flow>,
    /// Capture time of the newest packet, microseconds.
    now_us: i64,
    next_sweep_us: i64,
    closing: Vec<(FlowKey, Flow)>,
}

impl Session {
    pub fn new(cfg: CaptureConfig) -> Self {
        let pdns = PassiveDns::new(cfg.max_dns_addresses);
        Session {
            ctx: Ctx {
                cfg,
                stats: CaptureStats::default(),
                pdns,
                names: Vec::new(),
                tls_scratch: Vec::new(),
                quic_plain: Vec::new(),
                quic_frames: Vec::new(),
                ip_text: String::new(),
                matched_packets: 0,
                current: 0,
                current_matched: false,
            },
            flows: FxHashMap::default(),
            now_us: i64::MIN,
            next_sweep_us: i64::MIN,
            closing: Vec::new(),
        }
    }

    /// Packets so far with at least one observation that matched.
    pub fn matched_packets(&self) -> u64 {
        self.ctx.matched_packets
    }

    pub fn stats(&self) -> CaptureStats {
        let mut s = self.ctx.stats.clone();
        s.dns_addresses_evicted = self.ctx.pdns.evicted;
        s
    }

    /// Flows open now.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Reads one packet. `Err` is why it could not be decoded (the caller counts it as
    /// skipped); undecodable packets never disturb the flows.
    pub fn packet(
        &mut self,
        pkt: &Packet<'_>,
        sink: &mut PacketSink<'_>,
    ) -> Result<(), &'static str> {
        self.ctx.current = pkt.number;
        self.ctx.current_matched = false;
        if let Some(t) = pkt.ts {
            self.now_us = self.now_us.max(t.0);
        }
        if self.now_us >= self.next_sweep_us && self.now_us != i64::MIN {
            if self.next_sweep_us != i64::MIN {
                self.sweep(sink);
            }
            self.next_sweep_us = self.now_us.saturating_add(SWEEP_EVERY_SECS * 1_000_000);
        }
        let d = link::decode(pkt.link_type, pkt.data).map_err(|e| e.reason())?;
        // What the snap length cut off is payload (headers are always captured in full).
        let cut = (pkt.orig_len as usize).saturating_sub(pkt.data.len());
        let wire_len = (d.payload.len() + cut) as u64;
        let at = PacketRef {
            number: pkt.number,
            time: pkt
                .ts
                .or((self.now_us != i64::MIN).then_some(Timestamp(self.now_us))),
        };
        match d.proto {
            Transport::Udp { src_port, dst_port } => {
                let src = End {
                    ip: d.src,
                    port: src_port,
                };
                let dst = End {
                    ip: d.dst,
                    port: dst_port,
                };
                self.udp(src, dst, d.payload, wire_len, at, sink);
            }
            Transport::Tcp {
                src_port,
                dst_port,
                seq,
                flags,
            } => {
                let src = End {
                    ip: d.src,
                    port: src_port,
                };
                let dst = End {
                    ip: d.dst,
                    port: dst_port,
                };
                self.tcp(src, dst, seq, flags, d.payload, wire_len, at, sink);
            }
        }
        if self.ctx.current_matched {
            self.ctx.matched_packets += 1;
        }
        Ok(())
    }

    /// Closes every flow (end of the capture): each reports what it saw.
    pub fn finish(&mut self, sink: &mut PacketSink<'_>) {
        self.ctx.current = 0;
        let mut all: Vec<(FlowKey, Flow)> = self.flows.drain().collect();
        // Report in the order flows started, so results do not depend on hashing.
        all.sort_by_key(|(_, f)| f.first.number);
        for (k, f) in all {
            self.ctx.report(&k, f, sink);
        }
    }

    /// Moves the session's clock forward to `now` (never back): on a live interface time
    /// passes without packets, so the next [`Session::sweep`] closes flows idle until then.
    pub fn advance(&mut self, now: Timestamp) {
        self.now_us = self.now_us.max(now.0);
    }

    /// Closes flows idle past their timeout (and closed ones past their linger).
    pub fn sweep(&mut self, sink: &mut PacketSink<'_>) {
        let now = self.now_us;
        let (tcp_idle, udp_idle) = (
            i64::from(self.ctx.cfg.tcp_idle_secs) * 1_000_000,
            i64::from(self.ctx.cfg.udp_idle_secs) * 1_000_000,
        );
        let linger = i64::from(CLOSED_LINGER_SECS) * 1_000_000;
        let closing = &mut self.closing;
        self.flows.retain(|k, f| {
            let idle = if f.closed {
                linger
            } else if k.tcp {
                tcp_idle
            } else {
                udp_idle
            };
            if now.saturating_sub(f.last_us) > idle {
                closing.push((*k, std::mem::take(f)));
                false
            } else {
                true
            }
        });
        self.report_closing(sink);
    }

    fn report_closing(&mut self, sink: &mut PacketSink<'_>) {
        self.closing.sort_by_key(|(_, f)| f.first.number);
        for (k, f) in std::mem::take(&mut self.closing) {
            self.ctx.report(&k, f, sink);
        }
    }

    /// Makes room for one more flow: closes the least recently seen eighth.
    fn evict(&mut self, sink: &mut PacketSink<'_>) {
        // Exactly the k least recently seen (ties broken by first packet), so flows that
        // share a timestamp are not all closed at once.
        let mut seen: Vec<(i64, u64, FlowKey)> = self
            .flows
            .iter()
            .map(|(k, f)| (f.last_us, f.first.number, *k))
            .collect();
        let k = (seen.len() / 8).max(1);
        seen.select_nth_unstable_by_key(k - 1, |x| (x.0, x.1));
        let mut n = 0u64;
        for (_, _, key) in seen.into_iter().take(k) {
            if let Some(f) = self.flows.remove(&key) {
                n += 1;
                self.closing.push((key, f));
            }
        }
        self.ctx.stats.flows_evicted += n;
        self.report_closing(sink);
    }

    fn is_dns_port(&self, p: u16) -> bool {
        self.ctx.cfg.dns_ports.contains(&p)
    }

    fn udp(
        &mut self,
        src: End,
        dst: End,
        payload: &[u8],
        wire_len: u64,
        at: PacketRef,
        sink: &mut PacketSink<'_>,
    ) {
        if self.is_dns_port(dst.port) || self.is_dns_port(src.port) {
            let client = if self.is_dns_port(dst.port) {
                src.ip
            } else {
                dst.ip
            };
            self.ctx.dns_message(payload, client, at, None, sink);
            return;
        }
        let Some((key, from_client)) = self.flow_for(src, dst, false, 0, payload, at, sink) else {
            return;
        };
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.count(from_client, wire_len, self.now_us);
        if !from_client {
            return;
        }
        if matches!(flow.inspect, Inspect::Undecided) {
            flow.inspect = match self.ctx.quic_start(payload) {
                QuicStart::Initial(q) => Inspect::Quic(q),
                // 0-RTT or Handshake packets may be captured ahead of the Initial.
                QuicStart::NotYet if flow.early_datagrams < MAX_QUIC_INITIALS => {
                    flow.early_datagrams += 1;
                    Inspect::Undecided
                }
                QuicStart::NotYet | QuicStart::No => Inspect::Done,
            };
        }
        if let Inspect::Quic(q) = &mut flow.inspect {
            let done = self.ctx.quic_packet(q, payload, at, &mut flow.label);
            if done {
                flow.inspect = Inspect::Done;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        src: End,
        dst: End,
        seq: u32,
        flags: u8,
        payload: &[u8],
        wire_len: u64,
        at: PacketRef,
        sink: &mut PacketSink<'_>,
    ) {
        let Some((key, from_client)) = self.flow_for(src, dst, true, flags, payload, at, sink)
        else {
            return;
        };
        let dns_ports = (self.is_dns_port(key.lo.port), self.is_dns_port(key.hi.port));
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let dir = usize::from(!from_client);
        flow.last_us = flow.last_us.max(self.now_us);
        if flags & TCP_SYN != 0 {
            flow.base[dir] = Some(seq.wrapping_add(1));
        }
        if wire_len > 0 && !flow.closed {
            // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
            let seq = if flags & TCP_SYN != 0 {
                seq.wrapping_add(1)
            } else {
                seq
            };
            let base = *flow.base[dir].get_or_insert(seq);
            let sent = if from_client {
                &mut flow.bytes_out
            } else {
                &mut flow.bytes_in
            };
            // The 64-bit stream offset: sequence numbers wrap every 4 GiB, so the segment
            // is placed relative to how far the stream has got (within ±2 GiB of it).
            let expected = base.wrapping_add(*sent as u32);
            let offset = *sent as i64 + i64::from(seq.wrapping_sub(expected) as i32);
            // Before the origin: a retransmission of something before the flow was seen.
            if offset >= 0 {
                let offset = offset as u64;
                // Bytes are counted by sequence space, so retransmissions count once.
                let end = offset + wire_len;
                *sent = (*sent).max(end);
                if !payload.is_empty() {
                    let server_is_dns = if flow.client_is_lo {
                        dns_ports.1
                    } else {
                        dns_ports.0
                    };
                    let ends = flow.ends(&key);
                    self.ctx.tcp_payload(
                        flow,
                        from_client,
                        offset,
                        payload,
                        server_is_dns,
                        ends,
                        at,
                        sink,
                    );
                }
            }
        }
        if flags & TCP_FIN != 0 {
            flow.fin[dir] = true;
        }
        let ended = flags & TCP_RST != 0 || (flow.fin[0] && flow.fin[1]);
        if ended && !flow.closed {
            let f = std::mem::take(flow);
            let linger = Flow {
                closed: true,
                client_is_lo: f.client_is_lo,
                first: f.first,
                last_us: f.last_us,
                inspect: Inspect::Done,
                ..Default::default()
            };
            self.ctx.report(&key, f, sink);
            self.flows.insert(key, linger);
        }
    }

    /// Finds or creates the flow of a packet; returns its key and whether the packet goes
    /// client to server. `None` for a TCP packet that starts nothing (a stray ACK, FIN or
    /// RST of a flow not tracked).
    #[allow(clippy::too_many_arguments)]
    fn flow_for(
        &mut self,
        src: End,
        dst: End,
        tcp: bool,
        flags: u8,
        payload: &[u8],
        at: PacketRef,
        sink: &mut PacketSink<'_>,
    ) -> Option<(FlowKey, bool)> {
        let src_is_lo = src <= dst;
        let key = if src_is_lo {
            FlowKey {
                lo: src,
                hi: dst,
                tcp,
            }
        } else {
            FlowKey {
                lo: dst,
                hi: src,
                tcp,
            }
        };
        let syn_only = tcp && flags & (TCP_SYN | TCP_ACK) == TCP_SYN;
        if let Some(f) = self.flows.get(&key) {
            // A new connection on the same ports replaces a finished one.
            if !(syn_only && f.closed) {
                return Some((key, f.client_is_lo == src_is_lo));
            }
            if let Some(old) = self.flows.remove(&key) {
                self.ctx.report(&key, old, sink);
            }
        }
        if tcp && flags & TCP_SYN == 0 && payload.is_empty() {
            return None;
        }
        let src_is_client = if tcp && flags & TCP_SYN != 0 {
            flags & TCP_ACK == 0
        } else {
            client_by_content_or_port(src, dst, tcp, payload)
        };
        if self.flows.len() >= self.ctx.cfg.max_flows {
            self.evict(sink);
        }
        self.ctx.stats.flows += 1;
        self.flows.insert(
            key,
            Flow {
                client_is_lo: src_is_client == src_is_lo,
                first: at,
                last_us: self.now_us,
                ..Default::default()
            },
        );
        Some((key, src_is_client))
    }
}

/// Who opened a flow whose first packet seen is not a SYN: the sender of a ClientHello or
/// HTTP request; else the end on a well-known server port; else the sender.
fn client_by_content_or_port(src: End, dst: End, tcp: bool, payload: &[u8]) -> bool {
    if tcp && (tls::looks_like_client_hello(payload) || http::is_http_request_start(payload)) {
        return true;
    }
    if !tcp && quic::looks_like_long_header(payload) {
        // Only the client sends Initial packets to a fresh port pair first; the server's
        // port is the well-known one either way.
        return !is_service_port(src.port) || is_service_port(dst.port);
    }
    match (is_service_port(src.port), is_service_port(dst.port)) {
        (true, false) => false,
        (false, true) => true,
        _ => src.port >= dst.port,
    }
}

fn is_service_port(p: u16) -> bool {
    p < 1024 || matches!(p, 1080 | 3128 | 8000 | 8008 | 8080 | 8443 | 8888)
}

impl Flow {
    /// Counts a UDP datagram's payload.
    fn count(&mut self, from_client: bool, wire_len: u64, now: i64) {
        if from_client {
            self.bytes_out += wire_len;
        } else {
            self.bytes_in += wire_len;
        }
        self.last_us = self.last_us.max(now);
    }

    /// (client, server) addresses.
    fn ends(&self, k: &FlowKey) -> (IpAddr, IpAddr) {
        if self.client_is_lo {
            (k.lo.ip, k.hi.ip)
        } else {
            (k.hi.ip, k.lo.ip)
        }
    }
}

impl Ctx {
    /// Emits one observation; returns whether it matched.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        sink: &mut PacketSink<'_>,
        kind: ObsKind,
        host: &[u8],
        path: Option<&[u8]>,
        user_agent: Option<&[u8]>,
        client: IpAddr,
        bytes: Option<(u64, u64)>,
        action: Action,
        at: PacketRef,
    ) -> bool {
        self.ip_text.clear();
        let _ = write!(self.ip_text, "{client}");
        let o = Observation {
            kind,
            time: at.time,
            host: Some(host),
            path,
            user_agent,
            client: Some(self.ip_text.as_bytes()),
            user: None,
            bytes_out: bytes.map(|b| b.0),
            bytes_in: bytes.map(|b| b.1),
            action,
        };
        sink(&o, at)
    }

    /// Counts the packet an observation came from as matched, once.
    fn count_match(&mut self, at: PacketRef, flow_matched: u64) {
        if at.number == self.current {
            self.current_matched = true;
        } else if at.number != flow_matched {
            // Deferred evidence (a flow reported when it ends): the packet was counted as
            // unmatched when read and is now known to match.
            self.matched_packets += 1;
        }
    }

    /// Reports a flow that ends: its label with the bytes it carried, or else the name a
    /// DNS answer gave for its server. A closed flow kept to absorb late packets has
    /// reported already.
    fn report(&mut self, key: &FlowKey, mut f: Flow, sink: &mut PacketSink<'_>) {
        if f.closed {
            return;
        }
        if f.label.is_none() && matches!(f.inspect, Inspect::Http(_)) {
            let at = f.pending_at;
            self.first_flight(&mut f, at, true);
        }
        // A ClientHello the flow never finished sending.
        if let Inspect::Tls(r) = &f.inspect
            && tls::looks_like_client_hello(r.contiguous())
        {
            self.stats.tls_unreadable += 1;
        }
        let (client, server) = f.ends(key);
        let bytes = Some((f.bytes_out, f.bytes_in));
        if let Some(l) = &f.label {
            if self.emit(
                sink,
                l.kind,
                &l.host,
                l.path.as_deref(),
                l.user_agent.as_deref(),
                client,
                bytes,
                Action::Unknown,
                l.at,
            ) {
                self.count_match(l.at, f.matched_packet);
            }
            return;
        }
        let server_port = if f.client_is_lo {
            key.hi.port
        } else {
            key.lo.port
        };
        if self.cfg.dns_ports.contains(&server_port) {
            return;
        }
        let Some(t) = f.first.time else { return };
        let Some(name) = self.pdns.lookup(&server, t) else {
            return;
        };
        let name: Box<[u8]> = name.into();
        self.stats.named_by_dns_answer += 1;
        if self.emit(
            sink,
            ObsKind::Connection,
            &name,
            None,
            None,
            client,
            bytes,
            Action::Unknown,
            f.first,
        ) {
            self.count_match(f.first, f.matched_packet);
        }
    }

    /// Reads one DNS message: queries and answers are observations; A/AAAA answers feed
    /// the passive DNS map. `client` is the asking end.
    fn dns_message(
        &mut self,
        msg: &[u8],
        client: IpAddr,
        at: PacketRef,
        flow_matched: Option<&mut u64>,
        sink: &mut PacketSink<'_>,
    ) {
        self.names.clear();
        let m = match dns::parse_message(msg, &mut self.names) {
            Ok(m) if m.header.opcode == 0 && !m.questions.is_empty() => m,
            _ => {
                self.stats.dns_malformed += 1;
                return;
            }
        };
        self.stats.dns_messages += 1;
        let names = std::mem::take(&mut self.names);
        let (kind, action) = if m.header.response {
            let sinkholed = m.answers.iter().any(|r| match r.rdata {
                RData::A(a) => a == [0; 4],
                RData::Aaaa(a) => a == [0; 16],
                _ => false,
            });
            let action = if sinkholed {
                Action::Blocked
            } else {
                Action::Unknown
            };
            (ObsKind::DnsResponse, action)
        } else {
            (ObsKind::DnsQuery, Action::Unknown)
        };
        let mut any = false;
        for q in &m.questions {
            let name = q.name.get(&names);
            if name.is_empty() {
                continue;
            }
            any |= self.emit(sink, kind, name, None, None, client, None, action, at);
        }
        if any {
            self.current_matched = true;
            if let Some(fm) = flow_matched {
                *fm = at.number;
            }
        }
        if m.header.response
            && let (Some(q), Some(t)) = (m.questions.first(), at.time)
        {
            let qname = q.name.get(&names);
            for r in &m.answers {
                let ip = match r.rdata {
                    RData::A(a) if a != [0; 4] => IpAddr::from(a),
                    RData::Aaaa(a) if a != [0; 16] => IpAddr::from(a),
                    _ => continue,
                };
                self.pdns.insert(ip, qname, r.ttl, t);
            }
        }
        self.names = names;
    }

    /// Handles TCP payload at stream `offset` in one direction of `flow`.
    #[allow(clippy::too_many_arguments)]
    fn tcp_payload(
        &mut self,
        flow: &mut Flow,
        from_client: bool,
        offset: u64,
        payload: &[u8],
        server_is_dns: bool,
        (client, _server): (IpAddr, IpAddr),
        at: PacketRef,
        sink: &mut PacketSink<'_>,
    ) {
        if matches!(flow.inspect, Inspect::Undecided) {
            flow.inspect = if server_is_dns {
                Inspect::DnsTcp(Box::new([
                    Reassembler::new(DNS_TCP_WINDOW),
                    Reassembler::new(DNS_TCP_WINDOW),
                ]))
            } else if from_client {
                // Judged once enough bytes are in; TLS and HTTP share the first window.
                Inspect::Tls(Reassembler::new(FIRST_FLIGHT_WINDOW))
            } else {
                Inspect::Undecided
            };
        }
        match &mut flow.inspect {
            Inspect::DnsTcp(streams) => {
                let r = &mut streams[usize::from(!from_client)];
                r.insert(offset, payload);
                let matched = &mut flow.matched_packet;
                let (_, used) = dns::split_complete(r.contiguous(), &mut |msg| {
                    self.dns_message(msg, client, at, Some(&mut *matched), sink);
                });
                r.consume(used);
            }
            Inspect::Tls(r) | Inspect::Http(r) if from_client => {
                r.insert(offset, payload);
                flow.pending_at = at;
                self.first_flight(flow, at, false);
            }
            // A ClientHello after `CONNECT`: the tunnel's TLS server name (read when the
            // hello fits the segment, as it does unless it carries post-quantum shares).
            Inspect::HttpLater if from_client && tls::looks_like_client_hello(payload) => {
                if let Ok(tls::Parsed::Hello(h)) =
                    tls::parse_client_hello(payload, &mut self.tls_scratch)
                {
                    self.stats.tls_client_hellos += 1;
                    if let Some(sni) = h.sni.filter(|s| !s.is_empty()) {
                        let sni: Box<[u8]> = sni.into();
                        let kind = ObsKind::TlsServerName;
                        if self.emit(
                            sink,
                            kind,
                            &sni,
                            None,
                            None,
                            client,
                            None,
                            Action::Unknown,
                            at,
                        ) {
                            self.current_matched = true;
                            flow.matched_packet = at.number;
                        }
                    }
                }
            }
            Inspect::HttpLater if from_client && http::is_http_request_start(payload) => {
                if let Ok(h) = http::parse_request_head(payload) {
                    self.stats.http_requests += 1;
                    let kind = http_kind(&h);
                    if let Some(host) = h.host_or_authority() {
                        let ua = h.user_agent.as_deref();
                        let (path, none) = (h.path(), None);
                        if self.emit(
                            sink,
                            kind,
                            host,
                            path,
                            ua,
                            client,
                            none,
                            Action::Unknown,
                            at,
                        ) {
                            self.current_matched = true;
                            flow.matched_packet = at.number;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Judges and reads the client's first flight once enough of it is in; `last` when
    /// the flow ends, so a head cut short is read for what it has.
    fn first_flight(&mut self, flow: &mut Flow, at: PacketRef, last: bool) {
        let (r, is_http) = match &mut flow.inspect {
            Inspect::Tls(r) => (r, false),
            Inspect::Http(r) => (r, true),
            _ => return,
        };
        let data = r.contiguous();
        if data.len() < SNIFF_BYTES && !r.overflowed() && !last {
            return;
        }
        if !is_http {
            if tls::looks_like_client_hello(data) {
                match tls::parse_client_hello(data, &mut self.tls_scratch) {
                    Ok(tls::Parsed::Hello(h)) => {
                        self.stats.tls_client_hellos += 1;
                        if let Some(sni) = h.sni.filter(|s| !s.is_empty()) {
                            flow.label = Some(Label {
                                kind: ObsKind::TlsServerName,
                                host: sni.into(),
                                path: None,
                                user_agent: None,
                                at,
                            });
                        }
                        flow.inspect = Inspect::Done;
                    }
                    Ok(tls::Parsed::NeedMore { needed }) => {
                        if needed > r.window() || r.overflowed() {
                            self.stats.tls_unreadable += 1;
                            flow.inspect = Inspect::Done;
                        }
                    }
                    Err(_) => {
                        self.stats.tls_unreadable += 1;
                        flow.inspect = Inspect::Done;
                    }
                }
                return;
            }
            if !http::is_http_request_start(data) {
                flow.inspect = Inspect::Done;
                return;
            }
        }
        match http::parse_request_head(data) {
            Ok(h) if !h.partial || last || r.overflowed() || data.len() >= r.window() => {
                self.stats.http_requests += 1;
                let kind = http_kind(&h);
                flow.label = h.host_or_authority().map(|host| Label {
                    kind,
                    host: host.into(),
                    path: h.path().map(Into::into),
                    user_agent: h.user_agent.as_deref().map(Into::into),
                    at,
                });
                flow.inspect = Inspect::HttpLater;
            }
            Ok(_) | Err(http::HttpError::Incomplete) => {
                if !is_http {
                    let r = std::mem::take(r);
                    flow.inspect = Inspect::Http(r);
                }
            }
            Err(http::HttpError::NotRequest) => flow.inspect = Inspect::Done,
        }
    }

    /// Starts reading a UDP flow as QUIC at its client's first Initial of a version with
    /// known keys.
    fn quic_start(&mut self, payload: &[u8]) -> QuicStart {
        if !quic::looks_like_long_header(payload) {
            return QuicStart::No;
        }
        let Ok((h, _)) = quic::parse_long_header(payload) else {
            return QuicStart::No;
        };
        let Some(keys) = quic::InitialKeys::client(h.version, h.dcid) else {
            self.stats.quic_unknown_version += 1;
            return QuicStart::No;
        };
        if h.packet_type != quic::PacketType::Initial {
            return QuicStart::NotYet;
        }
        QuicStart::Initial(Box::new(QuicState {
            keys,
            crypto: Reassembler::new(FIRST_FLIGHT_WINDOW),
            initials: 0,
        }))
    }

    /// Reads one client datagram of a QUIC flow; returns true when the flow needs no more
    /// reading (ClientHello found, or given up).
    fn quic_packet(
        &mut self,
        q: &mut QuicState,
        payload: &[u8],
        at: PacketRef,
        label: &mut Option<Label>,
    ) -> bool {
        if !quic::looks_like_long_header(payload) {
            // Short-header packets: the handshake is over.
            return true;
        }
        match quic::decrypt_client_initials(
            payload,
            &q.keys,
            &mut self.quic_plain,
            &mut self.quic_frames,
        ) {
            Ok(0) => return false,
            Ok(n) => {
                self.stats.quic_initials += n as u64;
                q.initials = q.initials.saturating_add(n.min(255) as u8);
            }
            Err(_) => {
                // After version negotiation (or a client that changes its connection
                // ID) the client starts over with keys from its new Initial.
                let fresh = quic::parse_long_header(payload)
                    .ok()
                    .filter(|(h, _)| h.packet_type == quic::PacketType::Initial)
                    .and_then(|(h, _)| quic::InitialKeys::client(h.version, h.dcid));
                q.initials = q.initials.saturating_add(1);
                let restarted = fresh.is_some_and(|keys| {
                    let ok = quic::decrypt_client_initials(
                        payload,
                        &keys,
                        &mut self.quic_plain,
                        &mut self.quic_frames,
                    );
                    match ok {
                        Ok(n) if n > 0 => {
                            q.keys = keys;
                            q.crypto = Reassembler::new(FIRST_FLIGHT_WINDOW);
                            self.stats.quic_initials += n as u64;
                            true
                        }
                        _ => false,
                    }
                });
                if !restarted {
                    self.stats.quic_undecryptable += 1;
                    return q.initials >= MAX_QUIC_INITIALS;
                }
            }
        }
        for f in &self.quic_frames {
            if let Some(d) = self.quic_plain.get(f.data.clone()) {
                q.crypto.insert(f.offset, d);
            }
        }
        match tls::parse_handshake(q.crypto.contiguous()) {
            Ok(tls::Parsed::Hello(h)) => {
                self.stats.quic_client_hellos += 1;
                if let Some(sni) = h.sni.filter(|s| !s.is_empty()) {
                    *label = Some(Label {
                        kind: ObsKind::TlsServerName,
                        host: sni.into(),
                        path: None,
                        user_agent: None,
                        at,
                    });
                }
                true
            }
            Ok(tls::Parsed::NeedMore { needed }) => {
                needed > q.crypto.window() || q.initials >= MAX_QUIC_INITIALS
            }
            Err(_) => true,
        }
    }
}

fn http_kind(h: &http::RequestHead<'_>) -> ObsKind {
    if h.method == b"CONNECT" {
        ObsKind::HttpConnect
    } else {
        ObsKind::HttpRequest
    }
}

/// The names a capture shows, per kind, as tshark would list them: DNS question names,
/// TLS/QUIC server names and HTTP hosts, ASCII-lowercased, without a trailing dot. For tests
/// against tshark and for small tools; the scan uses [`Session`] directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureNames {
    pub dns: BTreeSet<String>,
    pub sni: BTreeSet<String>,
    pub http_host: BTreeSet<String>,
}

pub fn names_in_capture(data: &[u8]) -> Result<CaptureNames, String> {
    let mut reader = super::reader::CaptureReader::new(data).map_err(|e| e.to_string())?;
    let mut session = Session::new(CaptureConfig::default());
    let mut out = CaptureNames::default();
    let mut sink = |o: &Observation<'_>, _: PacketRef| {
        let Some(h) = o.host else { return false };
        // As tshark prints names: control bytes as `\ooo`, other bytes as UTF-8 (lossy);
        // case folded in ASCII only, as DNS does.
        let mut esc = Vec::with_capacity(h.len());
        for &b in h {
            if b < 0x20 || b == 0x7f {
                esc.extend_from_slice(format!("\\{b:03o}").as_bytes());
            } else {
                esc.push(b.to_ascii_lowercase());
            }
        }
        let mut v = String::from_utf8_lossy(&esc).into_owned();
        if v.ends_with('.') {
            v.pop();
        }
        if v.is_empty() {
            return false;
        }
        match o.kind {
            ObsKind::DnsQuery | ObsKind::DnsResponse => out.dns.insert(v),
            ObsKind::TlsServerName => out.sni.insert(v),
            ObsKind::HttpRequest | ObsKind::HttpConnect => out.http_host.insert(v),
            ObsKind::Connection | ObsKind::Software => false,
        };
        false
    };
    // The reader ends by itself after an error it cannot read past.
    while let Some(p) = reader.next_packet() {
        if let Ok(p) = p {
            let _ = session.packet(&p, &mut sink);
        }
    }
    session.finish(&mut sink);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::OwnedObservation;
    use crate::parse::capture::link::linktype;
    use crate::parse::capture::reader::CaptureReader;

    const C: [u8; 4] = [10, 0, 0, 5];
    const S: [u8; 4] = [198, 51, 100, 7];

    /// A raw IPv4 packet (LINKTYPE_RAW) carrying TCP.
    fn tcp4(
        src: [u8; 4],
        dst: [u8; 4],
        ports: (u16, u16),
        seq: u32,
        flags: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut p = ip4_header(src, dst, 6, 20 + payload.len());
        p.extend_from_slice(&ports.0.to_be_bytes());
        p.extend_from_slice(&ports.1.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn udp4(src: [u8; 4], dst: [u8; 4], ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
        let mut p = ip4_header(src, dst, 17, 8 + payload.len());
        p.extend_from_slice(&ports.0.to_be_bytes());
        p.extend_from_slice(&ports.1.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn ip4_header(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> Vec<u8> {
        // Larger than IPv4 allows: 0, as segmentation offload leaves it in captures.
        let total = u16::try_from(20 + len).unwrap_or(0).to_be_bytes();
        let mut p = vec![0x45, 0, total[0], total[1], 0, 0, 0x40, 0, 64, proto, 0, 0];
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// Feeds raw IPv4 packets one second apart (from t=1000 s); returns every observation
    /// with its evidence packet number, and the session.
    fn run(cfg: CaptureConfig, packets: &[Vec<u8>]) -> (Vec<(u64, OwnedObservation)>, Session) {
        let mut s = Session::new(cfg);
        let mut out = Vec::new();
        let mut sink = |o: &Observation<'_>, at: PacketRef| {
            out.push((at.number, o.to_owned()));
            true
        };
        for (i, data) in packets.iter().enumerate() {
            let p = Packet {
                number: i as u64 + 1,
                ts: Some(Timestamp::from_secs(1000 + i as i64)),
                link_type: linktype::RAW,
                data,
                orig_len: data.len() as u32,
            };
            s.packet(&p, &mut sink).unwrap();
        }
        s.finish(&mut sink);
        (out, s)
    }

    /// The TCP payload of frame 4 of arkime tests/pcap/tls13.pcap (Apache-2.0): a 517-byte
    /// ClientHello whose server_name tshark 4.0.17 reads as blog.cloudflare.com.
    fn real_client_hello() -> Vec<u8> {
        let bytes = include_bytes!("../../../tests/data/pcap/corpus/arkime/tls13.pcap");
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        let mut n = 0;
        while let Some(Ok(p)) = r.next_packet() {
            n += 1;
            if n == 4 {
                let d = link::decode(p.link_type, p.data).unwrap();
                return d.payload.to_vec();
            }
        }
        panic!("frame 4 missing")
    }

    fn obs(
        kind: ObsKind,
        host: &str,
        client: &str,
        bytes: Option<(u64, u64)>,
        t: i64,
    ) -> OwnedObservation {
        OwnedObservation {
            kind,
            time: Some(Timestamp::from_secs(t)),
            host: Some(host.into()),
            client: Some(client.into()),
            bytes_out: bytes.map(|b| b.0),
            bytes_in: bytes.map(|b| b.1),
            ..Default::default()
        }
    }

    #[test]
    fn client_hello_split_out_of_order_and_retransmitted() {
        let hello = real_client_hello();
        assert_eq!(hello.len(), 517);
        let isn = 0xfffffff0u32; // the stream wraps the sequence space
        let at = |o: usize| isn.wrapping_add(1).wrapping_add(o as u32);
        let ports = (51000, 443);
        let rev = (443, 51000);
        let packets = vec![
            tcp4(C, S, ports, isn, TCP_SYN, b""),
            tcp4(S, C, rev, 7000, TCP_SYN | TCP_ACK, b""),
            // The last piece first, then the first twice, then the middle.
            tcp4(C, S, ports, at(300), TCP_ACK, &hello[300..]),
            tcp4(C, S, ports, at(0), TCP_ACK, &hello[..100]),
            tcp4(C, S, ports, at(0), TCP_ACK, &hello[..120]),
            tcp4(C, S, ports, at(100), TCP_ACK, &hello[100..300]),
            tcp4(S, C, rev, 7001, TCP_ACK, &[0x16; 1400]),
            tcp4(S, C, rev, 8401, TCP_ACK, &[0x17; 600]),
            tcp4(C, S, ports, at(517), TCP_ACK | TCP_FIN, b""),
            tcp4(S, C, rev, 9001, TCP_ACK | TCP_FIN, b""),
            // Late packets after both FINs neither reopen nor report the flow again.
            tcp4(C, S, ports, at(518), TCP_ACK, b""),
            tcp4(S, C, rev, 8401, TCP_ACK, &[0x17; 600]),
        ];
        let (out, s) = run(CaptureConfig::default(), &packets);
        assert_eq!(
            out,
            [(
                6,
                obs(
                    ObsKind::TlsServerName,
                    "blog.cloudflare.com",
                    "10.0.0.5",
                    Some((517, 2000)),
                    1005
                )
            )]
        );
        let st = s.stats();
        assert_eq!(
            (st.flows, st.tls_client_hellos, st.tls_unreadable),
            (1, 1, 0)
        );
        assert_eq!(s.matched_packets(), 1);
    }

    #[test]
    fn a_flow_seen_without_its_handshake_is_read_from_its_first_segment() {
        let hello = real_client_hello();
        let packets = vec![
            tcp4(C, S, (51001, 8443), 5000, TCP_ACK | 0x08, &hello[..200]),
            tcp4(C, S, (51001, 8443), 5200, TCP_ACK | 0x08, &hello[200..]),
            tcp4(S, C, (8443, 51001), 1, TCP_RST, b""),
        ];
        let (out, _) = run(CaptureConfig::default(), &packets);
        assert_eq!(
            out,
            [(
                2,
                obs(
                    ObsKind::TlsServerName,
                    "blog.cloudflare.com",
                    "10.0.0.5",
                    Some((517, 0)),
                    1001
                )
            )]
        );
    }

    #[test]
    fn http_head_over_two_segments_then_a_second_request() {
        let req1 = b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nUser-Agent: OpenAI/Python 1.54.0\r\nContent-Length: 2\r\n\r\n{}";
        let req2 =
            b"GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\nUser-Agent: curl/8.5.0\r\n\r\n";
        let p = (40000, 80);
        let packets = vec![
            tcp4(C, S, p, 99, TCP_SYN, b""),
            tcp4(C, S, p, 100, TCP_ACK, &req1[..40]),
            tcp4(C, S, p, 140, TCP_ACK, &req1[40..]),
            tcp4(C, S, p, 100 + req1.len() as u32, TCP_ACK, req2),
        ];
        let (out, _) = run(CaptureConfig::default(), &packets);
        let mut second = obs(
            ObsKind::HttpRequest,
            "api.openai.com",
            "10.0.0.5",
            None,
            1003,
        );
        second.path = Some("/v1/models".into());
        second.user_agent = Some("curl/8.5.0".into());
        let mut first = obs(
            ObsKind::HttpRequest,
            "api.openai.com",
            "10.0.0.5",
            Some(((req1.len() + req2.len()) as u64, 0)),
            1002,
        );
        first.path = Some("/v1/chat/completions".into());
        first.user_agent = Some("OpenAI/Python 1.54.0".into());
        // Later requests are reported as they come; the first when the flow ends.
        assert_eq!(out, [(4, second), (3, first)]);
    }

    // arkime tests/pcap/dns-udp.pcap (Apache-2.0), frames 1 and 2: a query for
    // www.github.com and its answer (CNAME github.com, A 192.30.252.128 TTL 4).
    const QUERY: &str = "e03901000001000000000000037777770667697468756203636f6d0000010001";
    const ANSWER: &str = "e03981800001000200040004037777770667697468756203636f6d0000010001\
        c00c00050001000007bc0002c010c01000010001000000040004c01efc80c010000200010000014800140\
        36e7333037031360664796e656374036e657400c01000020001000001480006036e7332c04ec010000200\
        01000001480006036e7334c04ec01000020001000001480006036e7331c04ec06a0001000100000e10000\
        40a025f0cc04a0001000100000e1000040a025f0cc08e0001000100000e1000040a025f0cc07c00010001\
        00000e1000040a025f0c";

    #[test]
    fn dns_over_tcp_two_messages_in_one_segment_and_one_over_two() {
        let (q, a) = (hex(QUERY), hex(ANSWER));
        let framed = |m: &[u8]| {
            let mut v = (m.len() as u16).to_be_bytes().to_vec();
            v.extend_from_slice(m);
            v
        };
        let two_queries = [framed(&q), framed(&q)].concat();
        let answer = framed(&a);
        let p = (53000, 53);
        let r = (53, 53000);
        let packets = vec![
            tcp4(C, S, p, 1, TCP_SYN, b""),
            tcp4(S, C, r, 1, TCP_SYN | TCP_ACK, b""),
            tcp4(C, S, p, 2, TCP_ACK, &two_queries),
            tcp4(S, C, r, 2, TCP_ACK, &answer[..50]),
            tcp4(S, C, r, 52, TCP_ACK, &answer[50..]),
        ];
        let (out, s) = run(CaptureConfig::default(), &packets);
        let q = |n, kind, t| (n, obs(kind, "www.github.com", "10.0.0.5", None, t));
        assert_eq!(
            out,
            [
                q(3, ObsKind::DnsQuery, 1002),
                q(3, ObsKind::DnsQuery, 1002),
                q(5, ObsKind::DnsResponse, 1004),
            ]
        );
        assert_eq!(s.stats().dns_messages, 3);
        // The DNS connection itself is not reported as a connection to a named server.
        assert_eq!(s.stats().named_by_dns_answer, 0);
    }

    #[test]
    fn a_dns_answer_names_later_connections_until_it_expires() {
        let answer = udp4([10, 0, 0, 53], C, (53, 41000), &hex(ANSWER));
        let github = [192, 30, 252, 128];
        let mut packets = vec![answer];
        // Packet 2 at t=1001: a connection with no readable name, within the hold time.
        packets.push(tcp4(C, github, (41001, 443), 1, TCP_ACK, b"\x00\x01binary"));
        // Padding so the next connection starts after the 60 s minimum hold.
        for _ in 0..60 {
            packets.push(udp4([10, 0, 0, 9], [10, 0, 0, 10], (9999, 9998), b"x"));
        }
        let late = packets.len() as u64 + 1;
        packets.push(tcp4(C, github, (41002, 443), 1, TCP_ACK, b"\x00\x01binary"));
        let (out, s) = run(CaptureConfig::default(), &packets);
        assert_eq!(
            out,
            [
                (
                    1,
                    obs(
                        ObsKind::DnsResponse,
                        "www.github.com",
                        "10.0.0.5",
                        None,
                        1000
                    )
                ),
                (
                    2,
                    obs(
                        ObsKind::Connection,
                        "www.github.com",
                        "10.0.0.5",
                        Some((8, 0)),
                        1001
                    )
                ),
            ],
            "packet {late} is past the answer's life"
        );
        assert_eq!(s.stats().named_by_dns_answer, 1);
    }

    #[test]
    fn extra_dns_ports_are_read_as_dns() {
        let q = udp4(C, [10, 0, 0, 53], (41000, 5353), &hex(QUERY));
        let (out, s) = run(CaptureConfig::default(), std::slice::from_ref(&q));
        assert_eq!((out.len(), s.stats().dns_messages), (0, 0));
        let cfg = CaptureConfig {
            dns_ports: vec![53, 5353],
            ..CaptureConfig::default()
        };
        let (out, _) = run(cfg, &[q]);
        assert_eq!(
            out,
            [(
                1,
                obs(ObsKind::DnsQuery, "www.github.com", "10.0.0.5", None, 1000)
            )]
        );
    }

    #[test]
    fn a_full_table_reports_the_least_recently_seen_flows() {
        let cfg = CaptureConfig {
            max_flows: 8,
            ..CaptureConfig::default()
        };
        let mut packets = Vec::new();
        for i in 0..20u16 {
            let req = format!("GET /{i} HTTP/1.1\r\nHost: h{i}.example\r\n\r\n");
            packets.push(tcp4(C, S, (30000 + i, 80), 1, TCP_ACK, req.as_bytes()));
        }
        let (out, s) = run(cfg, &packets);
        let mut hosts: Vec<String> = out.iter().map(|(_, o)| o.host.clone().unwrap()).collect();
        hosts.sort();
        let mut want: Vec<String> = (0..20).map(|i| format!("h{i}.example")).collect();
        want.sort();
        assert_eq!(hosts, want, "every flow reports once, evicted or not");
        assert!(s.open_flows() == 0 && s.stats().flows_evicted >= 12);
        assert_eq!(s.matched_packets(), 20);
    }

    #[test]
    fn truncated_and_odd_packets_are_reasons_not_panics() {
        let mut s = Session::new(CaptureConfig::default());
        let mut sink = |_: &Observation<'_>, _: PacketRef| false;
        let full = tcp4(C, S, (1, 2), 1, TCP_ACK, b"GET / HTTP/1.1\r\n");
        for cut in 0..full.len() {
            let p = Packet {
                number: cut as u64 + 1,
                ts: None,
                link_type: linktype::RAW,
                data: &full[..cut],
                orig_len: full.len() as u32,
            };
            let r = s.packet(&p, &mut sink);
            if cut < 40 {
                assert_eq!(r, Err("truncated packet"), "cut at {cut}");
            }
        }
        s.finish(&mut sink);
    }

    #[test]
    fn mutated_packets_never_panic() {
        let hello = real_client_hello();
        let base = [
            tcp4(C, S, (51000, 443), 9, TCP_SYN, b""),
            tcp4(C, S, (51000, 443), 10, TCP_ACK, &hello[..300]),
            tcp4(C, S, (51000, 443), 310, TCP_ACK, &hello[300..]),
            tcp4(
                C,
                S,
                (40000, 80),
                1,
                TCP_ACK,
                b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
            ),
            tcp4(
                C,
                S,
                (53000, 53),
                1,
                TCP_ACK,
                &[&[0, 32][..], &hex(QUERY)].concat(),
            ),
            udp4(S, C, (53, 41000), &hex(ANSWER)),
            udp4(
                C,
                S,
                (41000, 443),
                &[0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x41, 0],
            ),
        ];
        let mut seed = 0x2545f4914f6cdd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut s = Session::new(CaptureConfig {
            max_flows: 16,
            ..CaptureConfig::default()
        });
        let mut sink = |_: &Observation<'_>, _: PacketRef| true;
        for i in 0..3000u64 {
            let mut p = base[(next() % base.len() as u64) as usize].clone();
            for _ in 0..(next() % 6) {
                let at = (next() % p.len() as u64) as usize;
                p[at] = next() as u8;
            }
            if next() % 5 == 0 {
                p.truncate((next() % p.len() as u64) as usize);
            }
            let pkt = Packet {
                number: i + 1,
                ts: Some(Timestamp::from_secs((next() % 400) as i64)),
                link_type: linktype::RAW,
                data: &p,
                orig_len: p.len() as u32 + (next() % 3) as u32,
            };
            let _ = s.packet(&pkt, &mut sink);
        }
        s.finish(&mut sink);
        assert!(s.matched_packets() <= 3000);
    }

    #[test]
    fn byte_counts_go_past_the_32_bit_sequence_space() {
        // A 5 GiB download seen as 1 MiB segments (offsets wrap past 4 GiB), built one
        // packet at a time.
        let seg = vec![0x17u8; 1 << 20];
        let mut s = Session::new(CaptureConfig::default());
        let mut sink = |_: &Observation<'_>, _: PacketRef| true;
        let mut feed = |s: &mut Session, n: u64, d: Vec<u8>| {
            let p = Packet {
                number: n,
                ts: Some(Timestamp::from_secs(1000)),
                link_type: linktype::RAW,
                data: &d,
                orig_len: d.len() as u32,
            };
            s.packet(&p, &mut sink).unwrap();
        };
        feed(&mut s, 1, tcp4(C, S, (50000, 443), 100, TCP_SYN, b""));
        feed(
            &mut s,
            2,
            tcp4(S, C, (443, 50000), 0xffff_0000, TCP_SYN | TCP_ACK, b""),
        );
        let mut seq = 0xffff_0001u32;
        for i in 0..5 * 1024 {
            feed(&mut s, 3 + i, tcp4(S, C, (443, 50000), seq, TCP_ACK, &seg));
            seq = seq.wrapping_add(1 << 20);
        }
        // A retransmission from the first gigabyte does not count again.
        feed(
            &mut s,
            9000,
            tcp4(S, C, (443, 50000), 0xffff_0001, TCP_ACK, &seg),
        );
        let f = s.flows.values().next().unwrap();
        assert_eq!(f.bytes_in, 5 << 30);
    }

    #[test]
    fn eviction_on_a_timestamp_tie_closes_one_eighth() {
        let cfg = CaptureConfig {
            max_flows: 8,
            ..CaptureConfig::default()
        };
        let mut s = Session::new(cfg);
        let mut sink = |_: &Observation<'_>, _: PacketRef| false;
        for i in 0..9u16 {
            let d = tcp4(C, S, (40000 + i, 443), 1, TCP_SYN, b"");
            let p = Packet {
                number: u64::from(i) + 1,
                ts: Some(Timestamp::from_secs(5)),
                link_type: linktype::RAW,
                data: &d,
                orig_len: d.len() as u32,
            };
            s.packet(&p, &mut sink).unwrap();
        }
        assert_eq!(s.stats().flows_evicted, 1);
        assert_eq!(s.open_flows(), 8);
    }
}
