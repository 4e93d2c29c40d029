//! Command line: arguments (clap derive) and the commands they run.

pub mod args;

/// `println!` / `eprintln!` panic when the reader has gone (`shadow-ai … | head`); these
/// don't, so the exit status stays the contract.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}
macro_rules! warn {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

// After the macros, which it uses.
pub mod generate;

use crate::emit;
use crate::parse::{FORMATS, format_by_id};
use crate::policy::{Day, Policy, RuleSource};
use crate::scan::{self, ScanOptions};
use crate::signature::{SignatureSet, SignatureSource};
#[cfg(feature = "live-capture")]
use args::FlushInterval;
use args::{Args, Command, FailOn, HistoryArgs, RulesCommand, ScanArgs, SigCommand};
use std::io::{self, IsTerminal, Write};

/// Exit statuses: a contract for schedulers and CI.
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const CLEAN: u8 = 0;
    /// A finding at or above `--fail-on` (or a failed check).
    pub const FINDINGS: u8 = 1;
    /// An input or the configuration could not be read.
    pub const ERROR: u8 = 2;
}

pub fn run(args: Args) -> u8 {
    match args.command {
        Command::Scan(a) => scan_cmd(a),
        Command::Signatures { command } => match command {
            SigCommand::Check { dirs, no_builtin } => check_cmd(&dirs, no_builtin),
            SigCommand::List {
                signatures,
                no_builtin_signatures,
                json,
            } => match load_signatures(&signatures, no_builtin_signatures) {
                Ok(set) => list_cmd(&set, json),
                Err(code) => code,
            },
        },
        Command::Rules {
            command: RulesCommand::Check { paths, signatures },
        } => {
            let sigs = match load_signatures(&signatures, false) {
                Ok(s) => s,
                Err(code) => return code,
            };
            rules_check_cmd(&paths, &sigs)
        }
        Command::History(a) => history_cmd(a),
        Command::Formats => {
            for f in FORMATS {
                say!(
                    "{:<18} {}{}",
                    f.id,
                    f.description,
                    if f.splittable { "" } else { " (read in order)" }
                );
            }
            // Recognised by their magic bytes, whatever --format says.
            say!(
                "{:<18} pcap capture (both byte orders, µs/ns): DNS, TLS/QUIC server names, HTTP, flows",
                "capture.pcap"
            );
            say!(
                "{:<18} pcapng capture (sections, interfaces, link types): as capture.pcap",
                "capture.pcapng"
            );
            // Read whole; osquery results by their JSON shape, CSV exports by their header.
            for (id, what) in [
                (
                    "inventory.osquery",
                    "osquery results (osqueryi --json, osqueryd logs): installed software",
                ),
                (
                    "inventory.csv",
                    "EDR/MDM software inventory CSV (Intune, Defender, --inventory-map)",
                ),
                (
                    "endpoint",
                    "a file tree walked with --endpoint: apps, extensions, packages, local AI, agents, keys",
                ),
            ] {
                say!("{id:<18} {what}");
            }
            exit::CLEAN
        }
        Command::Generate { command } => generate::run(&command),
    }
}

fn load_signatures(dirs: &[std::path::PathBuf], no_builtin: bool) -> Result<SignatureSet, u8> {
    let mut src = SignatureSource::default();
    if !no_builtin {
        src.add_builtin();
    }
    for d in dirs {
        if let Err(e) = src.add_dir(d) {
            warn!("shadow-ai: signatures: {e}");
            return Err(exit::ERROR);
        }
    }
    src.compile().map_err(|errors| {
        for e in &errors {
            warn!("shadow-ai: signatures: {e}");
        }
        warn!(
            "shadow-ai: {} signature problems; nothing scanned",
            errors.len()
        );
        exit::ERROR
    })
}

fn load_rules(
    paths: &[std::path::PathBuf],
    sigs: &SignatureSet,
) -> Result<(Policy, Vec<crate::policy::compile::RuleTest>), u8> {
    let mut src = if paths.is_empty() {
        RuleSource::builtin()
    } else {
        RuleSource::default()
    };
    for p in paths {
        if let Err(e) = src.add_path(p) {
            warn!("shadow-ai: rules: {e}");
            return Err(exit::ERROR);
        }
    }
    src.compile(sigs).map_err(|errors| {
        for e in &errors {
            warn!("shadow-ai: rules: {e}");
        }
        warn!("shadow-ai: {} rule problems", errors.len());
        exit::ERROR
    })
}

fn rules_check_cmd(paths: &[std::path::PathBuf], sigs: &SignatureSet) -> u8 {
    let (policy, tests) = match load_rules(paths, sigs) {
        Ok(p) => p,
        Err(_) => return exit::FINDINGS,
    };
    let failures = crate::policy::compile::run_tests(&policy, sigs, &tests);
    for f in &failures {
        warn!("shadow-ai: rules: {f}");
    }
    if failures.is_empty() {
        say!(
            "rules {} (sha256 {}): {} departments, {} exclusions, {} policy rules, {} tests: all pass",
            policy.files.join(", "),
            policy.sha256,
            policy.departments.len(),
            policy.exclusions.len(),
            policy.rules.len(),
            tests.len()
        );
        exit::CLEAN
    } else {
        say!("{} of {} rule tests fail", failures.len(), tests.len());
        exit::FINDINGS
    }
}

fn check_cmd(dirs: &[std::path::PathBuf], no_builtin: bool) -> u8 {
    // With folders named, check those alone unless asked to combine them with the defaults.
    let set = match load_signatures(dirs, no_builtin || !dirs.is_empty()) {
        Ok(s) => s,
        Err(_) => return exit::FINDINGS,
    };
    let failures = set.check_examples();
    for f in &failures {
        warn!("shadow-ai: signatures: {f}");
    }
    let examples: usize = set
        .services()
        .iter()
        .map(|s| s.examples_match.len() + s.examples_no_match.len())
        .sum();
    if failures.is_empty() {
        say!(
            "signatures {} (sha256 {}): {} services, {} indicators, {} examples: all pass",
            set.version(),
            set.sha256(),
            set.services().len(),
            set.indicators().len(),
            examples
        );
        exit::CLEAN
    } else {
        say!("{} of {examples} examples fail", failures.len());
        exit::FINDINGS
    }
}

fn list_cmd(set: &SignatureSet, json: bool) -> u8 {
    let mut out = io::stdout().lock();
    let res = (|| -> io::Result<()> {
        for (i, s) in set.services().iter().enumerate() {
            let inds: Vec<&str> = set
                .indicators()
                .iter()
                .filter(|ind| ind.service == i)
                .map(|ind| ind.label.as_str())
                .collect();
            if json {
                let v = serde_json::json!({
                    "id": s.id, "name": s.name, "vendor": s.vendor, "category": s.category,
                    "description": s.description, "governance": s.governance, "indicators": inds,
                });
                writeln!(out, "{v}")?;
            } else {
                writeln!(
                    out,
                    "{:<36} {:<22} {:<20} {}",
                    s.id,
                    s.category,
                    s.vendor,
                    inds.join(" ")
                )?;
            }
        }
        out.flush()
    })();
    match res {
        Ok(()) => exit::CLEAN,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::CLEAN,
        Err(e) => {
            warn!("shadow-ai: {e}");
            exit::ERROR
        }
    }
}

fn scan_cmd(a: ScanArgs) -> u8 {
    #[cfg(not(feature = "live-capture"))]
    if a.interface.is_some() {
        warn!("shadow-ai: this build has no live capture; rebuild with --features live-capture");
        return exit::ERROR;
    }
    let format = match a.format.as_deref() {
        None => None,
        Some(id) => match format_by_id(id) {
            Some(f) => Some(f),
            None => {
                let ids: Vec<&str> = FORMATS.iter().map(|f| f.id).collect();
                warn!(
                    "shadow-ai: unknown --format {id:?}; known: {}",
                    ids.join(", ")
                );
                return exit::ERROR;
            }
        },
    };
    const MAX_LINE_LIMIT: u64 = 256 << 20;
    if a.max_line.0 == 0 || a.max_line.0 > MAX_LINE_LIMIT {
        warn!("shadow-ai: --max-line must be between 1 byte and 256M");
        return exit::ERROR;
    }
    let sigs = match load_signatures(&a.signatures, a.no_builtin_signatures) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (policy, _) = match load_rules(&a.rules, &sigs) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // The state database is opened before anything is read, so a bad one stops the scan.
    let store = match state_path(a.state.as_deref(), a.no_state, a.quiet) {
        None => None,
        Some(path) => match crate::state::Store::open(&path) {
            Ok(s) => Some(s),
            Err(e) => {
                warn!("shadow-ai: state: {e}; nothing scanned");
                return exit::ERROR;
            }
        },
    };
    let mut publisher = Publisher {
        a: &a,
        policy,
        store,
    };
    let mut opts = scan_options(&a, format);
    if let Some(path) = &a.inventory_map {
        match crate::endpoint::inventory::csv::ColumnMap::load(path) {
            Ok(m) => opts.inventory_map = Some(std::sync::Arc::new(m)),
            Err(e) => {
                warn!("shadow-ai: --inventory-map {}: {e}", path.display());
                return exit::ERROR;
            }
        }
    }
    #[cfg(feature = "live-capture")]
    if let Some(iface) = &a.interface {
        return live_cmd(&a, iface, opts.capture, &sigs, &mut publisher);
    }
    let (out, fingerprint) = scan_inputs(&a, &opts, &sigs, publisher.store.is_some());
    publisher
        .publish(&sigs, out, fingerprint, Stage::Whole)
        .status
}

/// The scan options the arguments give.
fn scan_options(a: &ScanArgs, format: Option<&'static crate::parse::Format>) -> ScanOptions {
    let mut opts = ScanOptions {
        format,
        progress: !a.no_progress && !a.quiet && io::stderr().is_terminal(),
        year: a.year,
        max_line: a.max_line.0 as usize,
        max_decompressed: a.max_decompressed.0,
        ..ScanOptions::default()
    };
    if let Some(t) = a.threads {
        opts.threads = t.max(1);
    }
    for &p in &a.dns_port {
        if !opts.capture.dns_ports.contains(&p) {
            opts.capture.dns_ports.push(p);
        }
    }
    opts.capture.max_flows = a.max_flows.max(1);
    opts.walk.threads = opts.threads;
    opts.walk.one_filesystem = !a.all_filesystems;
    opts.walk.skip.extend(a.endpoint_skip.iter().cloned());
    opts
}

/// Inputs → findings and summary: lists the PATHs and scans them. Also returns the
/// inputs' fingerprint for the state database when `fingerprint` is asked for.
fn scan_inputs(
    a: &ScanArgs,
    opts: &ScanOptions,
    sigs: &SignatureSet,
    fingerprint: bool,
) -> (scan::ScanOutput, Option<String>) {
    let (inputs, input_errors) = crate::source::expand(&a.paths);
    // An endpoint's tree has no cheap fingerprint: a scan with endpoints is always recorded.
    let fingerprint = (fingerprint && a.endpoint.is_empty()).then(|| {
        let options = format!(
            "format={:?};year={:?};max_line={};max_decompressed={};dns_port={:?};max_flows={}",
            a.format, a.year, a.max_line.0, a.max_decompressed.0, a.dns_port, a.max_flows
        );
        crate::state::fingerprint(&inputs, &input_errors, &options)
    });
    let endpoints: Vec<_> = a
        .endpoint
        .iter()
        .map(|e| crate::endpoint::run::EndpointInput::parse(e))
        .collect();
    let out = scan::run_with_endpoints(&inputs, &input_errors, &endpoints, sigs, opts);
    (out, fingerprint.flatten())
}

/// Which publication of a scan's results this is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// A file scan's only one: recorded in the state database, summary on stderr.
    Whole,
    /// A live capture's periodic snapshot: outputs only, one line on stderr.
    #[cfg_attr(not(feature = "live-capture"), allow(dead_code))]
    Flush,
    /// A live capture's last snapshot: as a file scan's.
    #[cfg_attr(not(feature = "live-capture"), allow(dead_code))]
    Final,
}

/// What publishing gave: the exit status, and whether standard output has lost its reader.
struct Published {
    status: u8,
    #[cfg_attr(not(feature = "live-capture"), allow(dead_code))]
    stdout_gone: bool,
}

/// Findings and summary → policy verdicts, register, intake, state, outputs. Shared by file
/// scans and every live-capture flush.
struct Publisher<'a> {
    a: &'a ScanArgs,
    policy: Policy,
    store: Option<crate::state::Store>,
}

impl Publisher<'_> {
    fn publish(
        &mut self,
        sigs: &SignatureSet,
        mut out: scan::ScanOutput,
        fingerprint: Option<String>,
        stage: Stage,
    ) -> Published {
        let a = self.a;
        let policy = &self.policy;
        // Approvals are judged as of the day the scan started.
        let today = Day::of(out.summary.started.unwrap_or(crate::time::Timestamp(0)));
        out.summary.policy = Some(policy.apply(&mut out.findings, today));
        let mut register = crate::governance::register::entries(
            sigs,
            &out.findings,
            &policy.risk,
            policy.register_per_department,
        );
        let register_ids: Vec<(String, String)> = register
            .iter()
            .map(|e| (e.ai_system.service_id.clone(), e.id.clone()))
            .collect();
        let mut intake =
            crate::governance::intake::entries(sigs, &out.findings, &policy.risk, &register_ids);
        let mut state_failed = false;
        // A live capture is one scan: recorded once, at its end.
        if stage != Stage::Flush
            && let Some(store) = &mut self.store
        {
            let now = crate::time::Timestamp(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros() as i64),
            );
            let record = crate::state::ScanRecord {
                started: out.summary.started.unwrap_or(now),
                finished: now,
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                signatures_version: sigs.version().to_string(),
                signatures_sha256: sigs.sha256().to_string(),
                rules_sha256: policy.sha256.clone(),
                fingerprint,
                inputs: out.summary.inputs.iter().map(|i| i.path.clone()).collect(),
                inputs_with_errors: out.summary.totals.inputs_with_errors,
                records: out.summary.totals.counts.records,
            };
            match store.record(&record, &mut out.findings, &mut register, &mut intake) {
                Ok(l) => out.summary.lifecycle = Some(l),
                Err(e) => {
                    warn!("shadow-ai: state: {e}; this scan is not recorded");
                    state_failed = true;
                }
            }
        }
        let store = &self.store;
        // The report's trend: the recorded scans, oldest first.
        let trend: Vec<emit::html::TrendPoint> = store
            .as_ref()
            .and_then(|s| s.history(30).ok())
            .map(|h| {
                h.iter()
                    .rev()
                    .map(|e| emit::html::TrendPoint {
                        scan_started: e.started,
                        findings: e.findings,
                        new: e.new.len() as u64,
                        gone: e.gone.len() as u64,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let inventory = crate::endpoint::run::inventory(sigs, &out.artifacts);
        let report = emit::Report {
            findings: &out.findings,
            summary: &out.summary,
            register: &register,
            intake: &intake,
            trend: &trend,
            inventory: &inventory,
        };
        let emit_opts = emit::EmitOptions {
            ocsf_version: a.ocsf_version,
        };
        let mut stdout_gone = false;
        let written = match (&a.output, &a.out_dir) {
            (_, Some(dir)) => {
                let formats = if a.outputs.is_empty() {
                    emit::OutputFormat::ALL
                } else {
                    &a.outputs[..]
                };
                emit::write_dir(dir, formats, &report, &emit_opts)
                    .map(|_| ())
                    .map_err(|e| format!("{}: {e}", dir.display()))
            }
            (Some(path), None) => {
                emit::write_atomic(path, |w| emit::write(a.format_out, w, &report, &emit_opts))
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
            (None, None) => {
                let mut stdout = io::BufWriter::new(io::stdout().lock());
                match emit::write(a.format_out, &mut stdout, &report, &emit_opts)
                    .and_then(|()| stdout.flush())
                {
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
                    Err(_) => {
                        stdout_gone = true;
                        Ok(())
                    }
                    Ok(()) => Ok(()),
                }
            }
        };
        if !a.quiet {
            if stage == Stage::Flush {
                warn!("{}", flush_line(&out));
            } else {
                let _ = io::stderr()
                    .lock()
                    .write_all(emit::summary_text::render(&out.summary).as_bytes());
                if let (Some(store), Some(l)) = (store, &out.summary.lifecycle) {
                    warn!("{}", state_line(store.path(), l));
                }
            }
        }
        let status = if let Err(e) = written {
            warn!("shadow-ai: cannot write output: {e}");
            exit::ERROR
        } else if out.had_errors || state_failed {
            exit::ERROR
        } else if out.findings.iter().any(|f| fails(a.fail_on, f)) {
            exit::FINDINGS
        } else {
            exit::CLEAN
        };
        Published {
            status,
            stdout_gone,
        }
    }
}

/// Whether a finding reaches `--fail-on`.
fn fails(fail_on: FailOn, f: &crate::aggregate::Finding) -> bool {
    let Some(v) = &f.policy else {
        return fail_on == FailOn::Any;
    };
    v.excluded.is_none()
        && match fail_on {
            FailOn::Any => true,
            FailOn::Unsanctioned => v.status.needs_attention(),
            FailOn::BlockedButUsed => v.status == crate::policy::Status::BlockedButUsed,
            FailOn::Never => false,
        }
}

/// One line on stderr per live-capture flush.
fn flush_line(out: &scan::ScanOutput) -> String {
    let t = &out.summary.totals;
    let mut line = format!(
        "shadow-ai: {} packets: {} matched, {} skipped; {} findings",
        t.counts.records, t.counts.matched, t.counts.skipped, t.findings
    );
    if let Some(l) = out.summary.inputs.first().and_then(|i| i.live.as_ref()) {
        line += &format!(
            "; libpcap on {}: {} received, {} dropped, {} dropped by the interface",
            l.interface.escape_debug(),
            l.received,
            l.dropped,
            l.if_dropped
        );
    }
    line
}

/// `scan --interface`: captures until a signal, publishing every `--flush-every`.
#[cfg(feature = "live-capture")]
fn live_cmd(
    a: &ScanArgs,
    iface: &str,
    capture: crate::parse::capture::session::CaptureConfig,
    sigs: &SignatureSet,
    publisher: &mut Publisher<'_>,
) -> u8 {
    use crate::live::{Flush, Live, LiveOptions};
    let opts = LiveOptions {
        interface: iface.to_string(),
        bpf: a.bpf.clone(),
        promiscuous: a.promiscuous,
        flush_every: a.flush_every.unwrap_or(FlushInterval::DEFAULT).0,
        capture,
    };
    let flush_secs = opts.flush_every.as_secs();
    let live = match Live::open(opts) {
        Ok(l) => l,
        Err(e) => {
            warn!("shadow-ai: {e}");
            return exit::ERROR;
        }
    };
    if !a.quiet {
        let filter = match &a.bpf {
            Some(f) => format!(" (filter {f:?})"),
            None => String::new(),
        };
        warn!(
            "shadow-ai: capturing on {}{filter}; writing findings every {}s; stop with Ctrl-C or SIGTERM",
            iface.escape_debug(),
            flush_secs
        );
    }
    let mut status = exit::CLEAN;
    let mut flush_failed = false;
    let res = live.run(sigs, &mut |out, flush| {
        let stage = match flush {
            Flush::Periodic => Stage::Flush,
            Flush::Final => Stage::Final,
        };
        let p = publisher.publish(sigs, out, None, stage);
        match flush {
            // A periodic flush that could not be written still fails the run at its end.
            Flush::Periodic => flush_failed |= p.status == exit::ERROR,
            Flush::Final => status = p.status,
        }
        !p.stdout_gone
    });
    if let Err(e) = res {
        warn!("shadow-ai: {e}");
        return exit::ERROR;
    }
    if flush_failed { exit::ERROR } else { status }
}

/// Which state database a command uses: `--state`, else the default one; `None` with
/// `--no-state`, or when there is no default (warned unless `quiet`).
fn state_path(
    explicit: Option<&std::path::Path>,
    no_state: bool,
    quiet: bool,
) -> Option<std::path::PathBuf> {
    if no_state {
        return None;
    }
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let p = crate::state::default_path();
    if p.is_none() && !quiet {
        warn!(
            "shadow-ai: warning: neither XDG_DATA_HOME nor HOME is set, so this scan is not recorded; pass --state FILE (or --no-state)"
        );
    }
    p
}

/// One line on stderr after a recorded scan.
fn state_line(path: &std::path::Path, l: &crate::state::LifecycleSummary) -> String {
    let run = if l.runs > 1 {
        format!("scan {} again: same inputs, run {}", l.scan, l.runs)
    } else {
        format!("scan {}", l.scan)
    };
    let since = match l.previous_scan {
        Some(p) => format!(" since scan {p}"),
        None => String::new(),
    };
    format!(
        "\nState {} ({run}): {} new, {} recurring, {} gone{since}.",
        path.display(),
        l.new,
        l.recurring,
        l.gone.len()
    )
}

fn history_cmd(a: HistoryArgs) -> u8 {
    let Some(path) = a.state.or_else(crate::state::default_path) else {
        warn!(
            "shadow-ai: neither XDG_DATA_HOME nor HOME is set; name the database with --state FILE"
        );
        return exit::ERROR;
    };
    let store = match crate::state::Store::open_read_only(&path) {
        Ok(Some(s)) => s,
        Ok(None) => {
            if !a.json {
                say!("No scans recorded in {}.", path.display());
            }
            return exit::CLEAN;
        }
        Err(e) => {
            warn!("shadow-ai: state: {e}");
            return exit::ERROR;
        }
    };
    let entries = match store.history(a.limit) {
        Ok(h) => h,
        Err(e) => {
            warn!("shadow-ai: state: {e}");
            return exit::ERROR;
        }
    };
    let mut out = io::stdout().lock();
    let res = (|| -> io::Result<()> {
        if a.json {
            for h in &entries {
                serde_json::to_writer(&mut out, h)?;
                out.write_all(b"\n")?;
            }
        } else if entries.is_empty() {
            writeln!(out, "No scans recorded in {}.", path.display())?;
        } else {
            out.write_all(crate::state::render_history(&entries).as_bytes())?;
        }
        out.flush()
    })();
    match res {
        Ok(()) => exit::CLEAN,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::CLEAN,
        Err(e) => {
            warn!("shadow-ai: {e}");
            exit::ERROR
        }
    }
}
