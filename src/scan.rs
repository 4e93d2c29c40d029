//! The scan engine: plans jobs over the inputs, runs them on every core, and folds the
//! per-thread results into findings and a summary.
//!
//! A job is a whole input, or, for a large uncompressed file in a format with no state
//! between lines, one byte range of it, so a single big log still uses every core.
//! Line numbers in ranges are resolved once all ranges are counted.

use crate::aggregate::{Aggregator, Evidence, EvidenceArtifact, EvidenceRef, Finding};
use crate::endpoint::inventory::csv::{self as inv_csv, ColumnMap};
use crate::endpoint::inventory::{InventoryRow, osquery};
use crate::endpoint::run::{EndpointInput, FoundArtifact, Recorder, key_of, scan_endpoint};
use crate::observation::Observation;
use crate::parse::capture::reader::{self as capture_reader, CaptureReader};
use crate::parse::capture::session::{CaptureConfig, PacketRef, Session};
use crate::parse::{Format, FormatCtx, LineKind, ParseError};
use crate::signature::{Hit, MatchScratch, SignatureSet};
use crate::source::decompress::{Capped, Compression, Prefetch};
use crate::source::detect::{self, Detected, HEAD_BYTES};
use crate::source::lines::{Counting, Line, LineReader};
use crate::source::{Input, InputError, InputPath};
use crate::summary::{
    InputStatus, InputSummary, MAX_SKIP_EXAMPLES, SignatureSetRef, SkipExample, Summary, Totals,
};
use crate::time::Timestamp;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Read every input as this format instead of detecting it.
    pub format: Option<&'static Format>,
    pub threads: usize,
    /// Lines longer than this are skipped (and counted) rather than buffered.
    pub max_line: usize,
    /// Cap on decompressed bytes per input.
    pub max_decompressed: u64,
    /// Uncompressed files at least this large are split into ranges of this size.
    pub split_bytes: u64,
    pub progress: bool,
    /// Year for timestamps that omit it; default: each file's modification year.
    pub year: Option<i32>,
    /// How packet captures are read.
    pub capture: CaptureConfig,
    /// How endpoints are walked.
    pub walk: crate::endpoint::walk::WalkOptions,
    /// The column mapping CSV inventories are read through (`--inventory-map`), beside
    /// the built-in ones.
    pub inventory_map: Option<Arc<ColumnMap>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            format: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_line: 1 << 20,
            max_decompressed: 64 << 30,
            split_bytes: 64 << 20,
            progress: false,
            year: None,
            capture: CaptureConfig::default(),
            walk: crate::endpoint::walk::WalkOptions::default(),
            inventory_map: None,
        }
    }
}

pub struct ScanOutput {
    pub findings: Vec<Finding>,
    /// Endpoint artefacts that matched a service (evidence of endpoint findings).
    pub artifacts: Vec<FoundArtifact>,
    pub summary: Summary,
    /// Some input could not be read in full (exit status 2).
    pub had_errors: bool,
}

enum Job {
    Whole {
        input: usize,
    },
    Part {
        input: usize,
        part: u32,
        start: u64,
        end: u64,
        format: &'static Format,
    },
}

/// What one job learnt about its input.
struct JobResult {
    input: usize,
    part: u32,
    stats: InputSummary,
    /// Skipped records (part-relative line numbers).
    skips: Vec<SkipExample>,
    status: InputStatus,
    /// Inventory rows that matched (evidence of endpoint findings, and the CycloneDX BOM).
    artifacts: Vec<FoundArtifact>,
}

enum InventoryKind {
    Osquery,
    /// A CSV export, through the user's mapping or (None) the built-in one its header fits.
    Csv(Option<Arc<ColumnMap>>),
}

/// Largest inventory export read (they are read whole).
const MAX_INVENTORY_BYTES: u64 = 1 << 30;

/// Scans `inputs` with `sigs`. `input_errors` are paths that could not be listed; they
/// appear in the summary as errors.
pub fn run(
    inputs: &[Input],
    input_errors: &[InputError],
    sigs: &SignatureSet,
    opts: &ScanOptions,
) -> ScanOutput {
    run_with_endpoints(inputs, input_errors, &[], sigs, opts)
}

/// [`run`], and walks `endpoints` for installed AI software.
pub fn run_with_endpoints(
    inputs: &[Input],
    input_errors: &[InputError],
    endpoints: &[EndpointInput],
    sigs: &SignatureSet,
    opts: &ScanOptions,
) -> ScanOutput {
    let started = Instant::now();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| Timestamp(d.as_micros() as i64));
    let jobs = plan(inputs, opts);
    let progress_bytes = Arc::new(AtomicU64::new(0));
    let done = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = opts.threads.max(1).min(jobs.len().max(1));
    let mut agg = Aggregator::default();
    std::thread::scope(|scope| {
        let progress = opts.progress.then(|| {
            let total: u64 = inputs.iter().map(|i| i.size).sum();
            let pb = progress_bytes.clone();
            let done = &done;
            scope.spawn(move || show_progress(total, &pb, done))
        });
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut w = Worker {
                        sigs,
                        opts,
                        agg: Aggregator::default(),
                        scratch: MatchScratch::default(),
                        hits: Vec::new(),
                    };
                    loop {
                        let j = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(j) else { break };
                        let r = w.run_job(job, &inputs[job_input(job)], &progress_bytes);
                        results.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                    }
                    w.agg
                })
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok(a) => agg.merge(a),
                Err(_) => {
                    use std::io::Write as _;
                    let msg = "shadow-ai: internal error: a worker thread panicked; its findings are lost\n";
                    let _ = std::io::stderr().lock().write_all(msg.as_bytes());
                }
            }
        }
        done.store(true, Ordering::Relaxed);
        if let Some(p) = progress {
            let _ = p.join();
        }
    });
    // Endpoints walk with every core themselves, one after another.
    let mut artifacts = Vec::new();
    let mut endpoint_summaries = Vec::new();
    for (k, ep) in endpoints.iter().enumerate() {
        let input = (inputs.len() + k) as u32;
        let (mut summary, stats) =
            scan_endpoint(ep, input, sigs, &opts.walk, &mut agg, &mut artifacts);
        summary.endpoint = Some(stats);
        endpoint_summaries.push(summary);
    }
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|r| (r.input, r.part));
    let mut inventory_artifacts = Vec::new();
    for r in &mut results {
        inventory_artifacts.append(&mut r.artifacts);
    }
    // Lines before each part, per input, to turn part-relative lines into file lines.
    // Every job yields one result, so after the sort parts are 0, 1, 2, … per input.
    let mut line_base: Vec<Vec<u64>> = vec![Vec::new(); inputs.len()];
    let mut running = vec![0u64; inputs.len()];
    for r in &results {
        line_base[r.input].push(running[r.input]);
        running[r.input] += r.stats.counts.lines;
    }
    let mut is_capture = vec![false; inputs.len()];
    for r in &results {
        is_capture[r.input] |= r.stats.capture.is_some();
    }
    let locate = |e: EvidenceRef| {
        if e.input as usize >= inputs.len() {
            return artifact_evidence(&artifacts, e.line);
        }
        let file = inputs[e.input as usize].path.to_string();
        if is_capture[e.input as usize] {
            return Evidence {
                file,
                line: None,
                packet: Some(e.line),
                time: e.time,
                artifact: None,
            };
        }
        let base = line_base[e.input as usize]
            .get(e.part as usize)
            .copied()
            .unwrap_or(0);
        Evidence {
            file,
            line: Some(base + e.line),
            packet: None,
            time: e.time,
            artifact: None,
        }
    };
    let mut summaries: Vec<InputSummary> = inputs
        .iter()
        .map(|i| InputSummary {
            path: i.path.to_string(),
            compression: Compression::None.as_str(),
            ..Default::default()
        })
        .collect();
    for r in &results {
        let s = &mut summaries[r.input];
        s.add_counts(&r.stats);
        if r.stats.format.is_some() {
            s.format = r.stats.format;
        }
        if r.stats.compression != Compression::None.as_str() {
            s.compression = r.stats.compression;
        }
        if r.stats.error.is_some() && s.error.is_none() {
            s.error = r.stats.error.clone();
        }
        if r.status != InputStatus::Scanned {
            s.status = r.status.clone();
        }
        let base = line_base[r.input]
            .get(r.part as usize)
            .copied()
            .unwrap_or(0);
        for ex in &r.skips {
            if s.skip_examples.len() < MAX_SKIP_EXAMPLES {
                let mut ex = ex.clone();
                ex.line = ex.line.map(|l| base + l);
                s.skip_examples.push(ex);
            }
        }
    }
    summaries.extend(endpoint_summaries);
    for e in input_errors {
        summaries.push(InputSummary {
            path: e.path.clone(),
            status: InputStatus::Error,
            compression: Compression::None.as_str(),
            error: Some(e.message.clone()),
            ..Default::default()
        });
    }
    let mut out = assemble(agg, summaries, sigs, &locate, started_at, threads);
    out.summary.duration_ms = started.elapsed().as_millis() as u64;
    out.artifacts = artifacts;
    out.artifacts.append(&mut inventory_artifacts);
    out
}

/// Builds the findings and the summary from the merged hits and the per-input summaries:
/// the last step of a file scan, and of each live-capture flush.
pub(crate) fn assemble(
    agg: Aggregator,
    inputs: Vec<InputSummary>,
    sigs: &SignatureSet,
    locate: &dyn Fn(EvidenceRef) -> Evidence,
    started: Option<Timestamp>,
    threads: usize,
) -> ScanOutput {
    let (findings, supporting_only) = agg.finish(sigs, locate);
    let mut totals = Totals {
        findings: findings.len() as u64,
        supporting_only,
        ..Default::default()
    };
    let mut had_errors = false;
    for s in &inputs {
        totals.inputs += 1;
        match s.status {
            InputStatus::Error | InputStatus::Incomplete => {
                totals.inputs_with_errors += 1;
                had_errors = true;
            }
            InputStatus::UnknownFormat => totals.inputs_unknown_format += 1,
            InputStatus::Scanned => {}
        }
        totals.counts.add(&s.counts);
    }
    let summary = Summary {
        tool: "shadow-ai",
        tool_version: env!("CARGO_PKG_VERSION"),
        started,
        duration_ms: 0,
        threads,
        signature_set: SignatureSetRef {
            version: sigs.version().to_string(),
            sha256: sigs.sha256().to_string(),
            services: sigs.services().len(),
        },
        policy: None,
        totals,
        services: Summary::services_from(&findings),
        inputs,
        lifecycle: None,
    };
    ScanOutput {
        findings,
        artifacts: Vec::new(),
        summary,
        had_errors,
    }
}

fn job_input(j: &Job) -> usize {
    match j {
        Job::Whole { input } | Job::Part { input, .. } => *input,
    }
}

/// Large plain files in a splittable format become ranges; everything else is whole.
/// Largest work first so the last job to finish is a small one.
fn plan(inputs: &[Input], opts: &ScanOptions) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let split = match &input.path {
            InputPath::File(p) if opts.split_bytes > 0 && input.size >= opts.split_bytes * 2 => {
                splittable_format(p, opts)
            }
            _ => None,
        };
        match split {
            Some(format) => {
                let parts = input.size.div_ceil(opts.split_bytes);
                for part in 0..parts {
                    let start = part * opts.split_bytes;
                    let end = (start + opts.split_bytes).min(input.size);
                    jobs.push((
                        end - start,
                        Job::Part {
                            input: i,
                            part: part as u32,
                            start,
                            end,
                            format,
                        },
                    ));
                }
            }
            None => jobs.push((input.size, Job::Whole { input: i })),
        }
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.0));
    jobs.into_iter().map(|(_, j)| j).collect()
}

/// The format of `path` if it is uncompressed and splittable.
fn splittable_format(path: &std::path::Path, opts: &ScanOptions) -> Option<&'static Format> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)
        .ok()?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .ok()?;
    if Compression::sniff(&head) != Compression::None {
        return None;
    }
    let format = match opts.format {
        Some(f) => f,
        None => match detect::detect(&head) {
            Detected::Format(f) => f,
            Detected::Unknown { .. } => return None,
        },
    };
    format.splittable.then_some(format)
}

fn show_progress(total: u64, bytes: &AtomicU64, done: &AtomicBool) {
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    ) {
        pb.set_style(style);
    }
    while !done.load(Ordering::Relaxed) {
        pb.set_position(bytes.load(Ordering::Relaxed));
        std::thread::sleep(Duration::from_millis(100));
    }
    pb.finish_and_clear();
}

struct Worker<'a> {
    sigs: &'a SignatureSet,
    opts: &'a ScanOptions,
    agg: Aggregator,
    scratch: MatchScratch,
    hits: Vec<Hit>,
}

impl Worker<'_> {
    fn run_job(&mut self, job: &Job, input: &Input, progress: &Arc<AtomicU64>) -> JobResult {
        let (input_idx, part) = match job {
            Job::Whole { input } => (*input, 0),
            Job::Part { input, part, .. } => (*input, *part),
        };
        let mut r = JobResult {
            input: input_idx,
            part,
            stats: InputSummary {
                compression: Compression::None.as_str(),
                ..Default::default()
            },
            skips: Vec::new(),
            status: InputStatus::Scanned,
            artifacts: Vec::new(),
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match job {
            Job::Whole { .. } => self.whole(input, input_idx, &mut r, progress),
            Job::Part {
                start, end, format, ..
            } => self.part(
                input, input_idx, part, *start, *end, format, &mut r, progress,
            ),
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                // Lines of a log, packets of a capture: some were read.
                r.status = if r.stats.counts.lines > 0 || r.stats.counts.records > 0 {
                    InputStatus::Incomplete
                } else {
                    InputStatus::Error
                };
                r.stats.error = Some(e.to_string());
            }
            Err(_) => {
                r.status = InputStatus::Incomplete;
                r.stats.error = Some(format!(
                    "internal error (a parser bug) after line {} of this part; the rest was not read",
                    r.stats.counts.lines
                ));
            }
        }
        r
    }

    fn ctx(&self, input: &Input) -> FormatCtx {
        let year = self.opts.year.or(input.mtime_year).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1970, |d| Timestamp::from_secs(d.as_secs() as i64).year())
        });
        FormatCtx { default_year: year }
    }

    fn whole(
        &mut self,
        input: &Input,
        idx: usize,
        r: &mut JobResult,
        progress: &Arc<AtomicU64>,
    ) -> io::Result<()> {
        let raw: Box<dyn Read + Send> = match &input.path {
            InputPath::Stdin => Box::new(io::stdin()),
            InputPath::File(p) => Box::new(std::fs::File::open(p)?),
        };
        let mut raw = Counting {
            inner: raw,
            counter: progress.clone(),
        };
        // Sniff compression from the first bytes, then put them back in front.
        let mut magic = Vec::with_capacity(8);
        (&mut raw).take(8).read_to_end(&mut magic)?;
        let compression = Compression::sniff(&magic);
        r.stats.compression = compression.as_str();
        let bytes_read = Arc::new(AtomicU64::new(0));
        let shared = SharedCount {
            inner: io::Cursor::new(magic).chain(raw),
            total: bytes_read.clone(),
        };
        // The cap guards against compression bombs; plain input is read as it comes.
        let cap = if compression == Compression::None {
            u64::MAX
        } else {
            self.opts.max_decompressed
        };
        let decoded = Capped::new(compression.decoder(shared)?, cap);
        // Decompression runs ahead on its own thread; plain input needs no second thread.
        let decoded: Box<dyn Read> = if compression == Compression::None {
            Box::new(decoded)
        } else {
            Box::new(Prefetch::new(decoded))
        };
        let mut lines = LineReader::new(decoded, self.opts.max_line);
        // Windows tools write a UTF-8 byte-order mark; it is not part of the first line.
        lines.peek(4);
        lines.skip_prefix(b"\xEF\xBB\xBF");
        let head = lines.peek(HEAD_BYTES);
        if head.iter().all(u8::is_ascii_whitespace) {
            // Empty (a log just rotated): nothing to detect, nothing skipped.
            r.stats.counts.lines = memchr::memchr_iter(b'\n', head).count() as u64;
            r.stats.counts.meta_lines = r.stats.counts.lines;
            r.stats.counts.bytes_read = bytes_read.load(Ordering::Relaxed);
            r.stats.counts.bytes_decoded = head.len() as u64;
            return match lines.take_error() {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        if capture_reader::sniff(head) {
            if let Some(e) = lines.take_error() {
                return Err(e);
            }
            let res = self.capture(lines.into_read(), idx, r);
            r.stats.counts.bytes_read = bytes_read.load(Ordering::Relaxed);
            return res;
        }
        let inventory = if osquery::sniff_osquery(head) {
            Some(InventoryKind::Osquery)
        } else if inv_csv::sniff_csv_inventory(head).is_some() {
            Some(InventoryKind::Csv(None))
        } else if let Some(map) = &self.opts.inventory_map
            && map.matches_header(head)
        {
            Some(InventoryKind::Csv(Some(map.clone())))
        } else {
            None
        };
        if let Some(kind) = inventory {
            if let Some(e) = lines.take_error() {
                return Err(e);
            }
            let res = self.inventory(lines.into_read(), kind, input, idx, r);
            r.stats.counts.bytes_read = bytes_read.load(Ordering::Relaxed);
            return res;
        }
        let detected = detect::detect(head);
        // A read error in the head (a corrupt or truncated gzip) is that error, not an
        // unknown format.
        if matches!(detected, Detected::Unknown { .. })
            && self.opts.format.is_none()
            && let Some(e) = lines.take_error()
        {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot read the start of the input: {e}"),
            ));
        }
        let format = match self.opts.format {
            Some(f) => f,
            None => match detected {
                Detected::Format(f) => f,
                Detected::Unknown { guesses, binary } => {
                    let what = if binary {
                        "binary data"
                    } else {
                        "no known format"
                    };
                    let closest: Vec<String> =
                        guesses.iter().map(|(id, s)| format!("{id} {s}%")).collect();
                    let closest = if closest.is_empty() {
                        String::new()
                    } else {
                        format!(" (closest: {})", closest.join(", "))
                    };
                    let msg = format!("{what}{closest}; use --format to name one");
                    r.stats.counts.bytes_read = bytes_read.load(Ordering::Relaxed);
                    if input.explicit {
                        return Err(io::Error::other(msg));
                    }
                    r.status = InputStatus::UnknownFormat;
                    r.stats.error = Some(msg);
                    return Ok(());
                }
            },
        };
        r.stats.format = Some(format.id);
        self.parse_lines(&mut lines, format, input, idx, 0, u64::MAX, r);
        r.stats.counts.bytes_read = bytes_read.load(Ordering::Relaxed);
        r.stats.counts.bytes_decoded = lines.offset();
        match lines.take_error() {
            Some(e) => Err(io::Error::new(
                e.kind(),
                format!("after {} bytes of decoded input: {e}", lines.offset()),
            )),
            None => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn part(
        &mut self,
        input: &Input,
        idx: usize,
        part: u32,
        start: u64,
        end: u64,
        format: &'static Format,
        r: &mut JobResult,
        progress: &Arc<AtomicU64>,
    ) -> io::Result<()> {
        let InputPath::File(path) = &input.path else {
            return Err(io::Error::other("only files are split"));
        };
        let mut file = std::fs::File::open(path)?;
        // Start one byte early: the line holding `start` belongs to the previous part,
        // unless the byte before `start` ends a line.
        let from = start.saturating_sub(1);
        file.seek(SeekFrom::Start(from))?;
        let raw = Counting {
            inner: file,
            counter: progress.clone(),
        };
        let mut lines = LineReader::new(raw, self.opts.max_line);
        if start > 0 {
            lines.next_line();
        }
        r.stats.format = Some(format.id);
        self.parse_lines(&mut lines, format, input, idx, part, end - from, r);
        // Parts cover the file exactly once.
        r.stats.counts.bytes_read = end - start;
        r.stats.counts.bytes_decoded = end - start;
        match lines.take_error() {
            Some(e) => Err(io::Error::new(
                e.kind(),
                format!("at byte {} or later: {e}", start),
            )),
            None => Ok(()),
        }
    }

    /// Reads a software inventory export (osquery results, an EDR/MDM CSV) whole: every
    /// row is a record; rows whose software a signature names are findings on the row's
    /// endpoint and user.
    fn inventory(
        &mut self,
        src: impl Read,
        kind: InventoryKind,
        input: &Input,
        idx: usize,
        r: &mut JobResult,
    ) -> io::Result<()> {
        let mut data = Vec::new();
        src.take(MAX_INVENTORY_BYTES + 1).read_to_end(&mut data)?;
        if data.len() as u64 > MAX_INVENTORY_BYTES {
            return Err(io::Error::other(format!(
                "an inventory export larger than {} MiB is not read",
                MAX_INVENTORY_BYTES >> 20
            )));
        }
        let file = std::path::PathBuf::from(input.path.to_string());
        // An export that names no endpoint (a bare `osqueryi --json` result) is named after
        // its file.
        let fallback = file.file_stem().map_or_else(
            || "unknown".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let sigs = self.sigs;
        let agg = &mut self.agg;
        let found = &mut r.artifacts;
        let st = &mut r.stats;
        let mut on_row = |row: InventoryRow| {
            let endpoint = row.endpoint.unwrap_or_else(|| fallback.clone());
            let key = key_of(&row.artifact, std::path::Path::new("/"));
            let line = row.artifact.line.unwrap_or(1);
            let to = Recorder { sigs, agg, found };
            to.record(
                key,
                &endpoint,
                row.user.as_deref(),
                row.artifact,
                idx as u32,
                line,
                &mut st.counts,
            );
        };
        let (format, res) = match kind {
            InventoryKind::Osquery => (
                "inventory.osquery",
                osquery::parse_osquery(&data, &file, &mut on_row),
            ),
            InventoryKind::Csv(map) => (
                "inventory.csv",
                inv_csv::parse_csv_inventory(&data, &file, map.as_deref(), &mut on_row),
            ),
        };
        st.format = Some(format);
        st.counts.bytes_decoded = data.len() as u64;
        let stats = res.map_err(io::Error::other)?;
        st.counts.records = stats.records;
        st.counts.skipped = stats.skipped_total();
        for (reason, n) in stats.skipped {
            *st.skip_reasons.entry(reason).or_default() += n;
        }
        Ok(())
    }

    /// Reads a packet capture: every packet is a record; connections report when they
    /// end, so a packet read earlier may count as matched later.
    fn capture(&mut self, src: impl Read, idx: usize, r: &mut JobResult) -> io::Result<()> {
        // The reader asks for a record header, then its body: buffer, or that is two
        // system calls per packet.
        let src = io::BufReader::with_capacity(256 << 10, src);
        let mut reader = CaptureReader::new(src).map_err(|e| {
            io::Error::new(
                e.io.unwrap_or(io::ErrorKind::InvalidData),
                format!("not a readable capture: {e}"),
            )
        })?;
        r.stats.format = Some(match reader.format() {
            capture_reader::CaptureFormat::Pcap => "capture.pcap",
            capture_reader::CaptureFormat::PcapNg => "capture.pcapng",
        });
        let mut session = Session::new(self.opts.capture.clone());
        let mut m = CaptureMatch {
            sigs: self.sigs,
            agg: &mut self.agg,
            scratch: &mut self.scratch,
            hits: &mut self.hits,
            input: idx as u32,
            observations: 0,
        };
        let mut sink = |o: &Observation<'_>, at: PacketRef| m.observe(o, at);
        let st = &mut r.stats;
        let mut stopped = None;
        while let Some(p) = reader.next_packet() {
            match p {
                Ok(p) => {
                    let number = p.number;
                    match session.packet(&p, &mut sink) {
                        Ok(()) => st.counts.records += 1,
                        Err(reason) => skip_at(
                            st,
                            &mut r.skips,
                            SkipExample {
                                line: None,
                                packet: Some(number),
                                offset: None,
                                reason,
                            },
                        ),
                    }
                }
                // A record cut short by the end of the input, or one the reader can step
                // over: counted, and reading goes on.
                Err(e)
                    if e.io.is_none() && (!e.ends_input || e.reason.starts_with("truncated")) =>
                {
                    skip_at(
                        st,
                        &mut r.skips,
                        SkipExample {
                            line: None,
                            packet: None,
                            offset: Some(e.offset),
                            reason: e.reason,
                        },
                    )
                }
                Err(e) => stopped = Some(e),
            }
        }
        session.finish(&mut sink);
        st.counts.observations += m.observations;
        st.counts.matched = session.matched_packets();
        st.counts.unmatched = st.counts.records - st.counts.skipped - st.counts.matched;
        st.counts.bytes_decoded = reader.position();
        st.capture = Some(session.stats());
        match stopped {
            Some(e) => Err(io::Error::new(
                e.io.unwrap_or(io::ErrorKind::InvalidData),
                format!("{e}; the rest of the input was not read"),
            )),
            None => Ok(()),
        }
    }

    /// Feeds lines to a fresh parser until the input ends or a line starts at or past
    /// `stop` (an offset in `lines`' terms).
    #[allow(clippy::too_many_arguments)]
    fn parse_lines<R: Read>(
        &mut self,
        lines: &mut LineReader<R>,
        format: &'static Format,
        input: &Input,
        idx: usize,
        part: u32,
        stop: u64,
        r: &mut JobResult,
    ) {
        let mut parser = (format.new_parser)(&self.ctx(input));
        let sigs = self.sigs;
        let st = &mut r.stats;
        let mut line_no = 0u64;
        loop {
            if lines.offset() >= stop {
                break;
            }
            let Some(line) = lines.next_line() else {
                break;
            };
            line_no += 1;
            st.counts.lines += 1;
            let text = match line {
                Line::Text(t) => t,
                Line::TooLong => {
                    skip(
                        st,
                        &mut r.skips,
                        line_no,
                        ParseError("line longer than --max-line; skipped"),
                    );
                    continue;
                }
            };
            if text.iter().all(u8::is_ascii_whitespace) {
                st.counts.meta_lines += 1;
                continue;
            }
            let mut matched = false;
            let mut observations = 0u64;
            let (agg, scratch, hits) = (&mut self.agg, &mut self.scratch, &mut self.hits);
            let ev = EvidenceRef {
                input: idx as u32,
                part,
                line: line_no,
                time: None,
            };
            let res = parser.parse_line(text, &mut |o: &Observation<'_>| {
                observations += 1;
                sigs.match_into(o, scratch, hits);
                if !hits.is_empty() {
                    matched = true;
                    let ev = EvidenceRef { time: o.time, ..ev };
                    for h in hits.iter() {
                        agg.add(sigs, h, o, &scratch.host, ev);
                    }
                }
            });
            st.counts.observations += observations;
            match res {
                Ok(LineKind::Meta) => st.counts.meta_lines += 1,
                Ok(LineKind::Record) => {
                    st.counts.records += 1;
                    if matched {
                        st.counts.matched += 1;
                    } else {
                        st.counts.unmatched += 1;
                    }
                }
                Err(e) => skip(st, &mut r.skips, line_no, e),
            }
        }
    }
}

fn skip(st: &mut InputSummary, skips: &mut Vec<SkipExample>, line: u64, e: ParseError) {
    skip_at(
        st,
        skips,
        SkipExample {
            line: Some(line),
            packet: None,
            offset: None,
            reason: e.0,
        },
    );
}

/// Counts a skipped record and keeps it as an example while there is room.
pub(crate) fn skip_at(st: &mut InputSummary, skips: &mut Vec<SkipExample>, ex: SkipExample) {
    st.counts.records += 1;
    st.counts.skipped += 1;
    *st.skip_reasons.entry(ex.reason).or_default() += 1;
    if skips.len() < MAX_SKIP_EXAMPLES {
        skips.push(ex);
    }
}

/// A capture session's sink: matches each observation against the signatures and adds the
/// hits to `agg`, the evidence being the packet (`input`'s packet number). Shared by
/// capture files and live capture.
pub(crate) struct CaptureMatch<'a> {
    pub sigs: &'a SignatureSet,
    pub agg: &'a mut Aggregator,
    pub scratch: &'a mut MatchScratch,
    pub hits: &'a mut Vec<Hit>,
    pub input: u32,
    /// Observations seen so far.
    pub observations: u64,
}

impl CaptureMatch<'_> {
    /// Returns whether `o` matched a signature.
    pub fn observe(&mut self, o: &Observation<'_>, at: PacketRef) -> bool {
        self.observations += 1;
        self.sigs.match_into(o, self.scratch, self.hits);
        let ev = EvidenceRef {
            input: self.input,
            part: 0,
            line: at.number,
            time: at.time,
        };
        for h in self.hits.iter() {
            self.agg.add(self.sigs, h, o, &self.scratch.host, ev);
        }
        !self.hits.is_empty()
    }
}

/// Publishes a byte count where the caller can read it after the reader is moved away.
struct SharedCount<R> {
    inner: R,
    total: Arc<AtomicU64>,
}

impl<R: Read> Read for SharedCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Evidence for an endpoint finding: artefact `line` (1-based) of the scan's list.
fn artifact_evidence(found: &[FoundArtifact], line: u64) -> Evidence {
    let Some(f) = found.get((line as usize).wrapping_sub(1)) else {
        return Evidence {
            file: String::new(),
            line: None,
            packet: None,
            time: None,
            artifact: None,
        };
    };
    let a = &f.artifact;
    Evidence {
        file: a.path.display().to_string(),
        line: a.line,
        packet: None,
        time: None,
        artifact: Some(EvidenceArtifact {
            endpoint: f.endpoint.clone(),
            user: f.user.clone(),
            kind: a.kind.as_str(),
            selector: f.key.clone(),
            name: a.name.clone(),
            version: a.version.clone(),
            size: a.size,
            detail: a.detail.clone(),
        }),
    }
}
