//! Turns signature hits into findings: one per (service, subject), with counts, volumes,
//! actions, the values that matched and a few evidence references. Each worker owns an
//! [`Aggregator`]; they are merged at the end, and the merge is order-independent so the
//! output does not depend on thread timing.

use crate::observation::{Action, ObsKind, Observation};
use crate::signature::{Confidence, Field, Governance, Hit, SignatureSet};
use crate::time::Timestamp;
use rustc_hash::FxHashMap;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Evidence kept per finding, earliest first.
pub const MAX_EVIDENCE: usize = 5;
/// Distinct matched values shown per finding (the most frequent).
pub const MAX_VALUES: usize = 32;
/// Distinct matched values counted per finding: the smallest by (field, value). Any
/// total order keeps the result independent of which thread saw what: a value among the
/// globally smallest is never evicted anywhere, so its count is exact.
const VALUES_COUNTED: usize = 256;
/// Distinct client addresses kept per user subject.
pub const MAX_CLIENTS: usize = 16;
const VALUE_CHARS: usize = 256;

/// Where an observation came from: input, part of the input (a byte range parsed on its
/// own), and line number within that part (packet number for captures). Parts are
/// resolved to file lines at the end.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EvidenceRef {
    pub input: u32,
    pub part: u32,
    pub line: u64,
    pub time: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// An authenticated user name from the log.
    User,
    /// The client address, when no user is known.
    Client,
    /// Neither is logged.
    Unknown,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::Client => "client",
            SubjectKind::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug)]
struct MatchedValue {
    field: Field,
    /// Raw bytes, cut at `VALUE_CHARS`; made text when the finding is built.
    value: Box<[u8]>,
    indicator: usize,
    events: u64,
}

#[derive(Clone, Debug)]
struct Acc {
    service: usize,
    subject_kind: SubjectKind,
    subject: Box<str>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    events: u64,
    responses: u64,
    bytes_out: Option<u64>,
    bytes_in: Option<u64>,
    actions: [u64; 4],
    kinds: u8,
    best: Option<Confidence>,
    supporting_only: bool,
    values: Vec<MatchedValue>,
    /// Value hits in total, kept or not.
    value_hits: u64,
    evidence: Vec<EvidenceRef>,
    clients: Vec<Box<str>>,
    clients_dropped: bool,
}

/// Clone: a live capture reports its findings so far while it goes on adding to them.
#[derive(Clone, Default)]
pub struct Aggregator {
    index: FxHashMap<Box<[u8]>, usize>,
    accs: Vec<Acc>,
    key: Vec<u8>,
}

fn text(b: &[u8]) -> Box<str> {
    let s = String::from_utf8_lossy(&b[..b.len().min(VALUE_CHARS)]);
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .into_boxed_str()
}

/// The subject as it will be shown: a user, else the client, else unknown. Cleaned first,
/// so a name of only control bytes falls through rather than becoming empty, and names that
/// differ only in such bytes are one subject.
fn subject_of(o: &Observation<'_>) -> (SubjectKind, Box<str>) {
    let usable = |v: Option<&[u8]>| {
        v.filter(|b| *b != b"-")
            .map(text)
            .filter(|t| !t.trim().is_empty())
    };
    if let Some(u) = usable(o.user) {
        (SubjectKind::User, u)
    } else if let Some(c) = usable(o.client) {
        (SubjectKind::Client, c)
    } else {
        (SubjectKind::Unknown, "unknown".into())
    }
}

/// Inserts `v` into `list` kept sorted and bounded at `cap`, evicting the largest. Returns
/// whether anything was dropped (`v` itself or an evicted element).
fn insert_bounded<T: Ord>(list: &mut Vec<T>, v: T, cap: usize) -> bool {
    match list.binary_search(&v) {
        Ok(_) => false,
        Err(pos) if pos < cap => {
            list.insert(pos, v);
            if list.len() > cap {
                list.pop();
                return true;
            }
            false
        }
        Err(_) => true,
    }
}

/// Folds a value hit into the bounded, sorted value list.
fn add_value(values: &mut Vec<MatchedValue>, v: MatchedValue) {
    match values.binary_search_by(|x| (x.field, &x.value[..]).cmp(&(v.field, &v.value[..]))) {
        Ok(i) => {
            values[i].events += v.events;
            // The same value reached through two indicators: the choice must not depend
            // on which came first.
            values[i].indicator = values[i].indicator.min(v.indicator);
        }
        Err(pos) if pos < VALUES_COUNTED => {
            values.insert(pos, v);
            values.truncate(VALUES_COUNTED);
        }
        Err(_) => {}
    }
}

fn action_index(a: Action) -> usize {
    Action::ALL.iter().position(|x| *x == a).unwrap_or(0)
}

const KINDS: [ObsKind; 7] = [
    ObsKind::DnsQuery,
    ObsKind::DnsResponse,
    ObsKind::HttpRequest,
    ObsKind::HttpConnect,
    ObsKind::TlsServerName,
    ObsKind::Connection,
    ObsKind::Software,
];

fn kind_bit(k: ObsKind) -> u8 {
    1 << KINDS.iter().position(|x| *x == k).unwrap_or(0)
}

fn add_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

impl Aggregator {
    /// Records that `o` fired `hit`. `host` is the normalised host the matcher saw (for a
    /// software hit: the artefact as shown).
    pub fn add(
        &mut self,
        sigs: &SignatureSet,
        hit: &Hit,
        o: &Observation<'_>,
        host: &[u8],
        ev: EvidenceRef,
    ) {
        let (kind, subject) = subject_of(o);
        self.key.clear();
        self.key
            .extend_from_slice(&(hit.service as u32).to_le_bytes());
        self.key.push(kind as u8);
        self.key.extend_from_slice(subject.as_bytes());
        let idx = match self.index.get(&self.key[..]) {
            Some(&i) => i,
            None => {
                let i = self.accs.len();
                self.accs.push(Acc {
                    service: hit.service,
                    subject_kind: kind,
                    subject,
                    first: None,
                    last: None,
                    events: 0,
                    responses: 0,
                    bytes_out: None,
                    bytes_in: None,
                    actions: [0; 4],
                    kinds: 0,
                    best: None,
                    supporting_only: true,
                    values: Vec::new(),
                    value_hits: 0,
                    evidence: Vec::new(),
                    clients: Vec::new(),
                    clients_dropped: false,
                });
                self.index.insert(self.key.as_slice().into(), i);
                i
            }
        };
        let acc = &mut self.accs[idx];
        let ind = &sigs.indicators()[hit.indicator];
        if !ind.supporting {
            acc.supporting_only = false;
            acc.best = acc.best.max(Some(ind.confidence));
        }
        if let Some(t) = o.time {
            acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
            acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
        }
        if o.kind.counts_as_event() {
            acc.events += 1;
        } else {
            acc.responses += 1;
        }
        acc.bytes_out = add_opt(acc.bytes_out, o.bytes_out);
        acc.bytes_in = add_opt(acc.bytes_in, o.bytes_in);
        acc.actions[action_index(o.action)] += 1;
        acc.kinds |= kind_bit(o.kind);
        if acc.evidence.len() < MAX_EVIDENCE {
            acc.evidence.push(ev);
        } else if let Some(max) = acc.evidence.iter_mut().max()
            && ev < *max
        {
            *max = ev;
        }
        let value: &[u8] = match hit.field {
            Field::Host => host,
            // Drop the query: it can carry API keys and personal data.
            Field::Path => o
                .path
                .map(|p| &p[..memchr::memchr(b'?', p).unwrap_or(p.len())])
                .unwrap_or(b""),
            Field::UserAgent => o.user_agent.unwrap_or(b""),
            // The caller passes the artefact as shown (selector and version).
            Field::Software => host,
        };
        let value = &value[..value.len().min(VALUE_CHARS)];
        acc.value_hits += 1;
        add_value(
            &mut acc.values,
            MatchedValue {
                field: hit.field,
                value: value.into(),
                indicator: hit.indicator,
                events: 1,
            },
        );
        if kind == SubjectKind::User
            && let Some(c) = o.client.map(text).filter(|c| !c.is_empty())
        {
            acc.clients_dropped |= insert_bounded(&mut acc.clients, c, MAX_CLIENTS);
        }
    }

    /// Folds `other` into `self`.
    pub fn merge(&mut self, other: Aggregator) {
        for acc in other.accs {
            self.key.clear();
            self.key
                .extend_from_slice(&(acc.service as u32).to_le_bytes());
            self.key.push(acc.subject_kind as u8);
            self.key.extend_from_slice(acc.subject.as_bytes());
            let Some(&i) = self.index.get(&self.key[..]) else {
                self.index
                    .insert(self.key.as_slice().into(), self.accs.len());
                self.accs.push(acc);
                continue;
            };
            let a = &mut self.accs[i];
            a.first = match (a.first, acc.first) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            a.last = a.last.max(acc.last);
            a.events += acc.events;
            a.responses += acc.responses;
            a.bytes_out = add_opt(a.bytes_out, acc.bytes_out);
            a.bytes_in = add_opt(a.bytes_in, acc.bytes_in);
            for (x, y) in a.actions.iter_mut().zip(acc.actions) {
                *x += y;
            }
            a.kinds |= acc.kinds;
            a.best = a.best.max(acc.best);
            a.supporting_only &= acc.supporting_only;
            a.evidence.extend(acc.evidence);
            a.evidence.sort();
            a.evidence.truncate(MAX_EVIDENCE);
            a.value_hits += acc.value_hits;
            for v in acc.values {
                add_value(&mut a.values, v);
            }
            for c in acc.clients {
                a.clients_dropped |= insert_bounded(&mut a.clients, c, MAX_CLIENTS);
            }
            a.clients_dropped |= acc.clients_dropped;
        }
    }

    /// Builds the findings, sorted by service then subject. `locate` turns an evidence
    /// reference into (file, line). Returns the findings and how many (service, subject)
    /// pairs were seen only through supporting indicators (not reported as findings).
    pub fn finish(
        self,
        sigs: &SignatureSet,
        locate: &dyn Fn(EvidenceRef) -> Evidence,
    ) -> (Vec<Finding>, u64) {
        let mut supporting_only = 0;
        let mut out = Vec::with_capacity(self.accs.len());
        for mut a in self.accs {
            if a.supporting_only {
                supporting_only += 1;
                continue;
            }
            let svc = &sigs.services()[a.service];
            a.evidence.sort();
            a.values.sort_by(|x, y| {
                y.events
                    .cmp(&x.events)
                    .then_with(|| (x.field, &x.value).cmp(&(y.field, &y.value)))
            });
            a.values.truncate(MAX_VALUES);
            let shown_hits: u64 = a.values.iter().map(|v| v.events).sum();
            let actions = Action::ALL
                .iter()
                .zip(a.actions)
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.as_str(), n))
                .collect();
            out.push(Finding {
                id: finding_id(&svc.id, a.subject_kind, &a.subject),
                service: ServiceRef {
                    id: svc.id.clone(),
                    name: svc.name.clone(),
                    vendor: svc.vendor.clone(),
                    category: svc.category.clone(),
                    governance: svc.governance.clone(),
                },
                subject: Subject {
                    kind: a.subject_kind,
                    value: a.subject.into(),
                },
                clients: a.clients.into_iter().map(Into::into).collect(),
                clients_truncated: a.clients_dropped,
                first_seen: a.first,
                last_seen: a.last,
                events: a.events,
                dns_responses: a.responses,
                bytes_out: a.bytes_out,
                bytes_in: a.bytes_in,
                actions,
                observed_as: KINDS
                    .iter()
                    .filter(|k| a.kinds & kind_bit(**k) != 0)
                    .map(|k| k.as_str())
                    .collect(),
                confidence: a.best.unwrap_or(Confidence::Low),
                matched: a
                    .values
                    .into_iter()
                    .map(|v| Matched {
                        field: v.field,
                        value: text(&v.value).into(),
                        indicator: sigs.indicators()[v.indicator].label.clone(),
                        confidence: sigs.indicators()[v.indicator].confidence,
                        events: v.events,
                    })
                    .collect(),
                matched_values_dropped: a.value_hits - shown_hits,
                evidence: a.evidence.into_iter().map(locate).collect(),
                policy: None,
                lifecycle: None,
            });
        }
        out.sort_by(|x, y| {
            (&x.service.id, x.subject.kind, &x.subject.value).cmp(&(
                &y.service.id,
                y.subject.kind,
                &y.subject.value,
            ))
        });
        (out, supporting_only)
    }
}

/// Same service and subject give the same id on every run and every machine.
pub fn finding_id(service: &str, kind: SubjectKind, subject: &str) -> String {
    let mut h = Sha256::new();
    for part in ["shadow-ai/finding/v1", service, kind.as_str(), subject] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    format!("saf-{}", crate::signature::hex_string(&d[..12]))
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceRef {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub category: String,
    pub governance: Governance,
}

#[derive(Clone, Debug, Serialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Matched {
    pub field: Field,
    pub value: String,
    pub indicator: String,
    pub confidence: Confidence,
    pub events: u64,
}

/// A line of a log, or a packet of a capture, that showed a use.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based packet number (tshark's frame number), for captures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<u64>,
    /// When the record or packet was logged, when it says.
    #[serde(serialize_with = "ser_time", skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// For an endpoint finding: the artefact `file` shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<EvidenceArtifact>,
}

/// What was found on an endpoint, as evidence.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceArtifact {
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `app`, `ide_extension`, `browser_extension`, `package`, `local_runtime`, `model`,
    /// `agent`, `mcp_server`, `api_key`.
    pub kind: &'static str,
    /// The selector the signature set matched, e.g. `extension:vscode:github.copilot`.
    pub selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Evidence {
    /// `file:line` or `file#packet`.
    pub fn location(&self) -> String {
        match (self.line, self.packet) {
            (Some(l), _) => format!("{}:{l}", self.file),
            (None, Some(p)) => format!("{}#{p}", self.file),
            (None, None) => self.file.clone(),
        }
    }
}

/// One service used by one subject, as seen across every input of a scan.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub id: String,
    pub service: ServiceRef,
    pub subject: Subject,
    /// Client addresses a user was seen from (user subjects only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub clients_truncated: bool,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Timestamp>,
    /// Requests, queries and connections (DNS responses are counted apart).
    pub events: u64,
    pub dns_responses: u64,
    /// Bytes client → server, when the inputs log it.
    pub bytes_out: Option<u64>,
    /// Bytes server → client, when the inputs log it.
    pub bytes_in: Option<u64>,
    pub actions: BTreeMap<&'static str, u64>,
    pub observed_as: Vec<&'static str>,
    pub confidence: Confidence,
    pub matched: Vec<Matched>,
    #[serde(skip_serializing_if = "is_zero")]
    pub matched_values_dropped: u64,
    pub evidence: Vec<Evidence>,
    /// The organisation's policy on this use (set after aggregation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::policy::Verdict>,
    /// New or recurring across recorded scans (set when a state database is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<crate::state::Lifecycle>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub fn ser_time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}
