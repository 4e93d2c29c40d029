//! The run summary: what was read, matched and skipped, per input and in total. It goes
//! with every output, so nothing read is silently lost.

use crate::aggregate::{Finding, ser_time};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many skipped lines are listed by file and line per input.
pub const MAX_SKIP_EXAMPLES: usize = 5;

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InputStatus {
    #[default]
    Scanned,
    /// Read in part: an error stopped it (the counts cover what was read).
    Incomplete,
    /// Could not be opened or read at all.
    Error,
    /// In a folder, in no format the scanner knows; passed over.
    UnknownFormat,
}

/// Where a skipped record was: a line of a log, or a packet (and byte offset) of a capture.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SkipExample {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    pub reason: &'static str,
}

impl SkipExample {
    /// `:line`, `#packet` or `@offset`, to follow the file name.
    pub fn location(&self) -> String {
        match (self.line, self.packet, self.offset) {
            (Some(l), _, _) => format!(":{l}"),
            (None, Some(p), _) => format!("#{p}"),
            (None, None, Some(o)) => format!(" at byte {o}"),
            _ => String::new(),
        }
    }

    /// `line 5`, `packet 3` or `byte 1234`.
    pub fn describe(&self) -> String {
        match (self.line, self.packet, self.offset) {
            (Some(l), _, _) => format!("line {l}"),
            (None, Some(p), _) => format!("packet {p}"),
            (None, None, Some(o)) => format!("byte {o}"),
            _ => String::new(),
        }
    }
}

/// What was read. `records = matched + unmatched + skipped` always holds.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Bytes read from the file (compressed size for compressed inputs).
    pub bytes_read: u64,
    /// Bytes after decompression.
    pub bytes_decoded: u64,
    pub lines: u64,
    /// Headers, comments and blank lines: not records.
    pub meta_lines: u64,
    pub records: u64,
    pub matched: u64,
    pub unmatched: u64,
    pub skipped: u64,
    pub observations: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.bytes_read += o.bytes_read;
        self.bytes_decoded += o.bytes_decoded;
        self.lines += o.lines;
        self.meta_lines += o.meta_lines;
        self.records += o.records;
        self.matched += o.matched;
        self.unmatched += o.unmatched;
        self.skipped += o.skipped;
        self.observations += o.observations;
    }
}

/// One input: its format and counts, why lines were skipped, and any error.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub status: InputStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    pub compression: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skip_reasons: BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_examples: Vec<SkipExample>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a packet capture: what was read beyond packets (flows, handshakes, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<crate::parse::capture::session::CaptureStats>,
    /// For an endpoint: what the walk saw (folders, files, links, what was passed over or
    /// could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<crate::endpoint::walk::WalkStats>,
    /// For a live capture: the interface, and what libpcap itself counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveStats>,
}

/// What libpcap reported for a live capture (`pcap_stats`), since it started. Packets it
/// dropped never reached the scanner, so they are in no other count.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LiveStats {
    pub interface: String,
    /// The BPF filter in force, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Packets the filter accepted (`ps_recv`; on Linux it includes those dropped, and on
    /// the loopback interface counts each packet twice, sent and received).
    pub received: u64,
    /// Dropped because the capture buffer was full: the scanner fell behind (`ps_drop`).
    pub dropped: u64,
    /// Dropped by the interface or its driver (`ps_ifdrop`; 0 where not reported).
    pub if_dropped: u64,
    /// Snapshots written so far, this one included.
    pub flushes: u64,
}

impl InputSummary {
    pub fn add_counts(&mut self, o: &InputSummary) {
        self.counts.add(&o.counts);
        if let Some(c) = &o.capture {
            self.capture.get_or_insert_with(Default::default).add(c);
        }
        for (k, v) in &o.skip_reasons {
            *self.skip_reasons.entry(k).or_default() += v;
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub inputs: u64,
    pub inputs_with_errors: u64,
    pub inputs_unknown_format: u64,
    #[serde(flatten)]
    pub counts: Counts,
    pub findings: u64,
    /// (service, subject) pairs seen only through supporting indicators: not findings.
    pub supporting_only: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub category: String,
    pub users: u64,
    pub clients: u64,
    pub unknown_subjects: u64,
    pub events: u64,
    pub blocked: u64,
    pub bytes_out: Option<u64>,
    pub bytes_in: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SignatureSetRef {
    pub version: String,
    pub sha256: String,
    pub services: usize,
}

/// Which rules decided, and how many findings ended in each state.
#[derive(Clone, Debug, Serialize)]
pub struct PolicySummary {
    pub files: Vec<String>,
    pub sha256: String,
    /// The day approvals were checked against (expiry).
    pub as_of: String,
    pub statuses: BTreeMap<&'static str, u64>,
    pub excluded: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub tool: &'static str,
    pub tool_version: &'static str,
    #[serde(serialize_with = "ser_time")]
    pub started: Option<Timestamp>,
    pub duration_ms: u64,
    pub threads: usize,
    pub signature_set: SignatureSetRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicySummary>,
    pub totals: Totals,
    pub services: Vec<ServiceSummary>,
    pub inputs: Vec<InputSummary>,
    /// New, recurring and gone findings against the recorded scans (with a state
    /// database only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<crate::state::LifecycleSummary>,
}

impl Summary {
    /// Per-service roll-up of the findings, most users first.
    pub fn services_from(findings: &[Finding]) -> Vec<ServiceSummary> {
        use crate::aggregate::SubjectKind;
        let mut by: BTreeMap<&str, ServiceSummary> = BTreeMap::new();
        for f in findings {
            let s = by.entry(&f.service.id).or_insert_with(|| ServiceSummary {
                id: f.service.id.clone(),
                name: f.service.name.clone(),
                vendor: f.service.vendor.clone(),
                category: f.service.category.clone(),
                users: 0,
                clients: 0,
                unknown_subjects: 0,
                events: 0,
                blocked: 0,
                bytes_out: None,
                bytes_in: None,
            });
            match f.subject.kind {
                SubjectKind::User => s.users += 1,
                SubjectKind::Client => s.clients += 1,
                SubjectKind::Unknown => s.unknown_subjects += 1,
            }
            s.events += f.events;
            s.blocked += f.actions.get("blocked").copied().unwrap_or(0);
            for (acc, v) in [
                (&mut s.bytes_out, f.bytes_out),
                (&mut s.bytes_in, f.bytes_in),
            ] {
                if let Some(v) = v {
                    *acc = Some(acc.unwrap_or(0).saturating_add(v));
                }
            }
        }
        let mut v: Vec<_> = by.into_values().collect();
        v.sort_by(|a, b| {
            (b.users + b.clients)
                .cmp(&(a.users + a.clients))
                .then(b.events.cmp(&a.events))
                .then(a.id.cmp(&b.id))
        });
        v
    }
}
