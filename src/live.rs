//! Live capture (`scan --interface`): libpcap reads an interface on a thread of its own,
//! feeding the same capture session and matching as a capture file; a small tokio runtime
//! on the calling thread waits for SIGINT/SIGTERM and the flush timer. Each flush asks the
//! capture thread for a snapshot of everything so far, and the caller writes it as a file
//! scan's output; a signal ends the capture, closes the open flows and writes the last one.

use crate::aggregate::{Aggregator, Evidence, EvidenceRef};
use crate::parse::capture::reader::Packet;
use crate::parse::capture::session::{CaptureConfig, Session};
use crate::scan::{self, CaptureMatch, ScanOutput};
use crate::signature::{Hit, MatchScratch, SignatureSet};
use crate::summary::{InputStatus, InputSummary, LiveStats, SkipExample};
use crate::time::Timestamp;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc as tmpsc;

/// Bytes kept of each packet: all of it (headers and the first flight are what is read).
const SNAPLEN: i32 = 65_535;
/// Packets are handed over in batches at least this often (the kernel closes a ring block
/// after this long). Measured on loopback: per-packet delivery (immediate mode) dropped a
/// third of 20,000 packets/s; batches dropped none of 260,000/s.
const BATCH_TIMEOUT_MS: i32 = 100;
/// Kernel ring for packets not read yet: a 1 GiB burst of 64 KiB loopback segments in
/// 0.4 s lost 31% with libpcap's default 2 MiB, 0.4–7% with 16 MiB, none with 32 MiB.
const BUFFER_BYTES: i32 = 32 << 20;

#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub interface: String,
    /// BPF filter (tcpdump syntax).
    pub bpf: Option<String>,
    pub promiscuous: bool,
    pub flush_every: Duration,
    pub capture: CaptureConfig,
}

impl LiveOptions {
    /// The input's name in summaries and evidence: not a file.
    pub fn input_name(&self) -> String {
        format!("live:{}", self.interface)
    }
}

/// Why a live capture could not start.
#[derive(Debug)]
pub struct LiveError(pub String);

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the caller's publish step is told about a snapshot.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Flush {
    /// A periodic snapshot; the capture goes on.
    Periodic,
    /// The last one: the capture has stopped and every flow is closed.
    Final,
}

/// An opened capture with its signal handlers in place, ready to [`Live::run`].
pub struct Live {
    opts: LiveOptions,
    cap: pcap::Capture<pcap::Active>,
    rt: tokio::runtime::Runtime,
    sigint: Signal,
    sigterm: Signal,
}

enum Request {
    Flush,
    Stop,
}

/// The capture thread's state, cloned out at each flush.
struct Snapshot {
    agg: Aggregator,
    input: InputSummary,
    last: bool,
}

impl Live {
    /// Installs the signal handlers (so a signal from now on ends the capture cleanly),
    /// then opens the interface and sets the filter.
    pub fn open(opts: LiveOptions) -> Result<Live, LiveError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LiveError(format!("cannot start the runtime: {e}")))?;
        let (sigint, sigterm) = {
            let _in_rt = rt.enter();
            let on = |k: SignalKind, name: &str| {
                signal(k).map_err(|e| LiveError(format!("cannot handle {name}: {e}")))
            };
            (
                on(SignalKind::interrupt(), "SIGINT")?,
                on(SignalKind::terminate(), "SIGTERM")?,
            )
        };
        let iface = &opts.interface;
        let cant = |e: pcap::Error| LiveError(format!("cannot capture on {iface:?}: {e}"));
        let mut cap = pcap::Capture::from_device(iface.as_str())
            .map_err(cant)?
            .snaplen(SNAPLEN)
            .promisc(opts.promiscuous)
            .buffer_size(BUFFER_BYTES)
            .timeout(BATCH_TIMEOUT_MS)
            .open()
            .map_err(cant)?;
        if let Some(f) = &opts.bpf {
            cap.filter(f, true)
                .map_err(|e| LiveError(format!("--bpf {f:?}: {e}")))?;
        }
        Ok(Live {
            opts,
            cap,
            rt,
            sigint,
            sigterm,
        })
    }

    /// Captures until SIGINT or SIGTERM (or a capture error), calling `publish` with the
    /// findings so far every `flush_every` and once at the end. `publish` returns false to
    /// stop early (its reader has gone). A capture error ends up in the last snapshot as an
    /// incomplete input.
    pub fn run(
        self,
        sigs: &SignatureSet,
        publish: &mut dyn FnMut(ScanOutput, Flush) -> bool,
    ) -> Result<(), LiveError> {
        let Live {
            opts,
            mut cap,
            rt,
            mut sigint,
            mut sigterm,
        } = self;
        let started = Instant::now();
        let started_at = Some(wall_clock());
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let control = Control {
            requests: req_tx,
            breaker: cap.breakloop_handle(),
        };
        let (snap_tx, mut snap_rx) = tmpsc::unbounded_channel::<Snapshot>();
        let name = opts.input_name();
        let locate = |e: EvidenceRef| Evidence {
            file: name.clone(),
            line: None,
            packet: Some(e.line),
            time: e.time,
            artifact: None,
        };
        let build = |s: Snapshot| {
            let mut out = scan::assemble(s.agg, vec![s.input], sigs, &locate, started_at, 1);
            out.summary.duration_ms = started.elapsed().as_millis() as u64;
            out
        };
        std::thread::scope(|scope| {
            let opts = &opts;
            let capture = std::thread::Builder::new()
                .name("capture".into())
                .spawn_scoped(scope, move || {
                    let link_type = cap.get_datalink().0 as u32;
                    Capturer::new(opts, link_type, sigs).run(cap, &req_rx, &snap_tx);
                })
                .map_err(|e| LiveError(format!("cannot start the capture thread: {e}")))?;
            let res = rt.block_on(async {
                let mut tick = tokio::time::interval_at(
                    tokio::time::Instant::now() + opts.flush_every,
                    opts.flush_every,
                );
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut stopping = false;
                loop {
                    let stop = tokio::select! {
                        _ = sigint.recv(), if !stopping => true,
                        _ = sigterm.recv(), if !stopping => true,
                        _ = tick.tick(), if !stopping => {
                            control.ask(Request::Flush);
                            false
                        }
                        snap = snap_rx.recv() => {
                            let Some(snap) = snap else {
                                return Err(LiveError(
                                    "internal error: the capture thread stopped; the findings since the last flush are lost".into(),
                                ));
                            };
                            if snap.last {
                                publish(build(snap), Flush::Final);
                                return Ok(());
                            }
                            // A snapshot asked for before a stop is superseded by the last one.
                            !stopping && !publish(build(snap), Flush::Periodic)
                        }
                    };
                    if stop && !stopping {
                        stopping = true;
                        control.ask(Request::Stop);
                    }
                }
            });
            // Stops the capture thread if it still runs (here or, on a panic, in unwinding).
            drop(control);
            let _ = capture.join();
            res
        })
    }
}

/// Requests to the capture thread. A read waits for packets as long as none come (on
/// Linux libpcap's timeout does not end it), so each request also breaks the read off.
struct Control {
    requests: mpsc::Sender<Request>,
    breaker: pcap::BreakLoop,
}

impl Control {
    fn ask(&self, r: Request) {
        let _ = self.requests.send(r);
        self.breaker.breakloop();
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.ask(Request::Stop);
    }
}

/// Now, as a capture timestamp.
fn wall_clock() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64),
    )
}

/// The capture thread: reads packets into a session, and answers requests between them.
struct Capturer<'a> {
    opts: &'a LiveOptions,
    link_type: u32,
    sigs: &'a SignatureSet,
    session: Session,
    matching: Matching,
    /// Packets read so far (the next one's number is one more).
    packets: u64,
    stats: InputSummary,
    skips: Vec<SkipExample>,
    /// libpcap's counters are 32-bit and wrap: totals are summed from differences.
    pcap_last: (u32, u32, u32),
    pcap_total: (u64, u64, u64),
    flushes: u64,
}

/// How a read went.
enum Read {
    Packet,
    /// None waiting (non-blocking), none from before the stop, or broken off for a request.
    Nothing,
    Failed(pcap::Error),
}

impl<'a> Capturer<'a> {
    fn new(opts: &'a LiveOptions, link_type: u32, sigs: &'a SignatureSet) -> Self {
        Capturer {
            opts,
            link_type,
            sigs,
            session: Session::new(opts.capture.clone()),
            matching: Matching::default(),
            packets: 0,
            stats: InputSummary {
                path: opts.input_name(),
                format: Some("capture.live"),
                compression: "none",
                ..Default::default()
            },
            skips: Vec::new(),
            pcap_last: (0, 0, 0),
            pcap_total: (0, 0, 0),
            flushes: 0,
        }
    }

    fn run(
        mut self,
        mut cap: pcap::Capture<pcap::Active>,
        requests: &mpsc::Receiver<Request>,
        out: &tmpsc::UnboundedSender<Snapshot>,
    ) {
        loop {
            match requests.try_recv() {
                Ok(Request::Flush) => {
                    // Flows idle since the last packet close now, not at the next packet.
                    self.session.advance(wall_clock());
                    let mut m = self.matching.sink(self.sigs);
                    self.session.sweep(&mut |o, at| m.observe(o, at));
                    self.stats.counts.observations += m.observations;
                    self.count_pcap(&mut cap);
                    let _ = out.send(self.snapshot(false));
                }
                Ok(Request::Stop) => {
                    self.drain(cap);
                    break;
                }
                Err(mpsc::TryRecvError::Disconnected) => return,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if let Read::Failed(e) = self.read(&mut cap, None) {
                self.stats.status = InputStatus::Incomplete;
                self.stats.error = Some(format!("capture stopped: {e}"));
                self.count_pcap(&mut cap);
                break;
            }
        }
        let mut m = self.matching.sink(self.sigs);
        self.session.finish(&mut |o, at| m.observe(o, at));
        self.stats.counts.observations += m.observations;
        let _ = out.send(self.snapshot(true));
    }

    /// Reads the packets that came before the stop. The kernel hands packets over in
    /// batches closed every `BATCH_TIMEOUT_MS`, so after that long they are all readable;
    /// they are read without waiting, up to the first that came after the stop.
    fn drain(&mut self, cap: pcap::Capture<pcap::Active>) {
        let stop = wall_clock();
        std::thread::sleep(Duration::from_millis(BATCH_TIMEOUT_MS as u64 + 50));
        // On failure the handle is gone: libpcap's counts stay as at the last flush.
        if let Ok(mut cap) = cap.setnonblock() {
            while let Read::Packet = self.read(&mut cap, Some(stop)) {}
            self.count_pcap(&mut cap);
        }
    }

    /// Reads one packet into the session; with `until`, only one captured before then.
    fn read(&mut self, cap: &mut pcap::Capture<pcap::Active>, until: Option<Timestamp>) -> Read {
        let p = match cap.next_packet() {
            Ok(p) => p,
            // Broken off for a request (libpcap's PCAP_ERROR_BREAK), or a timeout.
            Err(pcap::Error::NoMorePackets | pcap::Error::TimeoutExpired) => return Read::Nothing,
            Err(e) => return Read::Failed(e),
        };
        let tv = p.header.ts;
        // time_t and suseconds_t are 32-bit on some targets.
        #[allow(clippy::useless_conversion)]
        let ts = i64::from(tv.tv_sec)
            .checked_mul(1_000_000)
            .and_then(|s| s.checked_add(i64::from(tv.tv_usec)))
            .map(Timestamp);
        if let (Some(until), Some(ts)) = (until, ts)
            && ts > until
        {
            return Read::Nothing;
        }
        self.packets += 1;
        let number = self.packets;
        let pkt = Packet {
            number,
            ts,
            link_type: self.link_type,
            data: p.data,
            orig_len: p.header.len,
        };
        let mut m = self.matching.sink(self.sigs);
        let st = &mut self.stats;
        st.counts.bytes_read += p.data.len() as u64;
        match self.session.packet(&pkt, &mut |o, at| m.observe(o, at)) {
            Ok(()) => st.counts.records += 1,
            Err(reason) => scan::skip_at(
                st,
                &mut self.skips,
                SkipExample {
                    line: None,
                    packet: Some(number),
                    offset: None,
                    reason,
                },
            ),
        }
        st.counts.observations += m.observations;
        Read::Packet
    }

    /// Adds what libpcap counted since the last call.
    fn count_pcap(&mut self, cap: &mut pcap::Capture<pcap::Active>) {
        if let Ok(s) = cap.stats() {
            let (r, d, i) = self.pcap_last;
            self.pcap_total.0 += u64::from(s.received.wrapping_sub(r));
            self.pcap_total.1 += u64::from(s.dropped.wrapping_sub(d));
            self.pcap_total.2 += u64::from(s.if_dropped.wrapping_sub(i));
            self.pcap_last = (s.received, s.dropped, s.if_dropped);
        }
    }

    /// Everything so far.
    fn snapshot(&mut self, last: bool) -> Snapshot {
        self.flushes += 1;
        let mut input = self.stats.clone();
        let c = &mut input.counts;
        c.bytes_decoded = c.bytes_read;
        c.matched = self.session.matched_packets();
        c.unmatched = c.records.saturating_sub(c.skipped + c.matched);
        input.skip_examples = self.skips.clone();
        input.capture = Some(self.session.stats());
        input.live = Some(LiveStats {
            interface: self.opts.interface.clone(),
            filter: self.opts.bpf.clone(),
            received: self.pcap_total.0,
            dropped: self.pcap_total.1,
            if_dropped: self.pcap_total.2,
            flushes: self.flushes,
        });
        Snapshot {
            agg: self.matching.agg.clone(),
            input,
            last,
        }
    }
}

/// The findings so far and the matcher's reused buffers.
#[derive(Default)]
struct Matching {
    agg: Aggregator,
    scratch: MatchScratch,
    hits: Vec<Hit>,
}

impl Matching {
    /// The session's sink; the live input is input 0.
    fn sink<'s>(&'s mut self, sigs: &'s SignatureSet) -> CaptureMatch<'s> {
        CaptureMatch {
            sigs,
            agg: &mut self.agg,
            scratch: &mut self.scratch,
            hits: &mut self.hits,
            input: 0,
            observations: 0,
        }
    }
}
