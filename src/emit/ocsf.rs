//! OCSF Detection Finding (class 2004) as JSON Lines: one `Create` record per finding.
//!
//! The attribute names, enumerations and requirements follow the research notes
//! (`research/outputs.md` §1, read from the OCSF schema source of each version). The target
//! version is a choice ([`OcsfVersion`], `--ocsf-version`, default 1.8.0, the latest stable
//! release); `metadata.version` names it and attributes that version lacks are left out.
//!
//! How a finding maps:
//!
//! | OCSF | from |
//! |---|---|
//! | `finding_info.uid` | the finding id (`saf-…`, stable across runs) |
//! | `finding_info.analytic` | the service's signature: `uid` = service id, `type_id` 1 Rule, `version` = signature set version, `desc` = the indicators that matched |
//! | `finding_info.first_seen_time` / `last_seen_time`, `start_time` / `end_time` | first / last seen (epoch ms) |
//! | `finding_info.title`, `types`, `tags` | the policy's verdict: `sanction_status`, `policy_rule`, `department`, `excluded` |
//! | `time` | when this scan created the finding: the scan's start (see [`record_time`]) |
//! | `count` | events (requests, queries, connections) |
//! | `severity_id`, `confidence_id` | the policy status and the match confidence: see [`severity`] and [`confidence`] |
//! | `status_id`, `is_alert` | 1 New, or 3 Suppressed for a subject the policy excludes; an alert when the use needs attention ([`needs_attention`]) |
//! | `remediation.desc` | what to do, when the use needs attention |
//! | `resources[0]` | the AI service: `uid` = service id, `name`, `type` "AI Service", `role_id` 1 Target |
//! | `evidences[]` | one per matched value (host → `dst_endpoint.hostname`, and `query.hostname` when seen only in DNS; path → `url.path`; user agent → `http_request.user_agent`), then one per log line (`uid` = `file:line`); each names the subject: `actor.user.name` for a user, `src_endpoint.ip` for a client address |
//! | `observables[]` | hostnames (1), IP addresses (2), the user name (4), user agents (16) |
//! | `action_id` / `disposition_id` | what the logging device did, when all its decisions agree (Security Control profile, listed in `metadata.profiles`) |
//! | `unmapped.shadow_ai` | what OCSF has no attribute for: the service's governance facts, the policy verdict, bytes out/in, per-action counts, the native subject, clients, log references, the signature set |
//!
//! The subject goes in `evidences[]` because Detection Finding has no top-level
//! `src_endpoint`, and its top-level `actor` belongs to the Host profile, which describes the
//! device a finding is about; a log line only names a user or an address.
//!
//! There is no summary record: OCSF has no class for a scan's run summary, and a record of
//! another shape in the stream would break consumers that expect only class 2004. The
//! summary goes to standard error as text, and in full to the native `jsonl` and `json`
//! outputs.

use crate::aggregate::{Finding, SubjectKind};
use crate::policy::Status;
use crate::signature::{Confidence, Field};
use crate::summary::Summary;
use crate::time::Timestamp;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// Findings category.
pub const CATEGORY_UID: u32 = 2;
/// Detection Finding = category × 1000 + 4.
pub const CLASS_UID: u32 = CATEGORY_UID * 1000 + 4;
/// Activity `Create`: the scanner reports each finding as new.
pub const ACTIVITY_CREATE: u32 = 1;
/// `class_uid * 100 + activity_id`, as the schema defines it.
pub const TYPE_UID: u64 = CLASS_UID as u64 * 100 + ACTIVITY_CREATE as u64;
/// Finding `status_id` New: every finding of a scan, unless…
pub const STATUS_NEW: u32 = 1;
/// …the policy excludes its subject: `status_id` Suppressed.
pub const STATUS_SUPPRESSED: u32 = 3;

/// The OCSF versions the emitter can target: 1.4.0 to 1.8.0. Detection Finding exists from
/// 1.1.0, but 1.1.0–1.3.0 lack `is_alert` (and 1.1.0–1.2.0 lack `evidences[].url` and
/// `http_request`); those releases were not checked attribute by attribute, so they are
/// refused rather than half supported.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum OcsfVersion {
    #[value(name = "1.4.0")]
    V1_4_0,
    #[value(name = "1.5.0")]
    V1_5_0,
    #[value(name = "1.6.0")]
    V1_6_0,
    #[value(name = "1.7.0")]
    V1_7_0,
    /// Latest stable release (2026-03-16).
    #[default]
    #[value(name = "1.8.0")]
    V1_8_0,
}

/// Attributes the emitter writes that not every supported version defines, with the first
/// version that does (paths without array indices). Everything else it writes exists in
/// every supported version: checked against the schema source of 1.4.0–1.7.0 and the
/// resolved 1.8.0 tables of the research notes.
pub const SINCE: &[(&str, OcsfVersion)] = &[
    ("evidences.name", OcsfVersion::V1_5_0),
    ("evidences.uid", OcsfVersion::V1_5_0),
    ("resources.role_id", OcsfVersion::V1_6_0),
    ("resources.role", OcsfVersion::V1_6_0),
];

impl OcsfVersion {
    pub const ALL: [OcsfVersion; 5] = [
        OcsfVersion::V1_4_0,
        OcsfVersion::V1_5_0,
        OcsfVersion::V1_6_0,
        OcsfVersion::V1_7_0,
        OcsfVersion::V1_8_0,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OcsfVersion::V1_4_0 => "1.4.0",
            OcsfVersion::V1_5_0 => "1.5.0",
            OcsfVersion::V1_6_0 => "1.6.0",
            OcsfVersion::V1_7_0 => "1.7.0",
            OcsfVersion::V1_8_0 => "1.8.0",
        }
    }

    /// Whether this version defines `attr` (a path from [`SINCE`]; any other path: yes).
    pub fn has(self, attr: &str) -> bool {
        SINCE
            .iter()
            .find(|(a, _)| *a == attr)
            .is_none_or(|(_, since)| self >= *since)
    }
}

impl std::fmt::Display for OcsfVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OcsfVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OcsfVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = OcsfVersion::ALL.iter().map(|v| v.as_str()).collect();
                format!(
                    "unsupported OCSF version {s:?}; supported: {}",
                    known.join(", ")
                )
            })
    }
}

/// The policy status a finding is reported under: its verdict's, or unsanctioned when no
/// policy was applied (the shipped policy sanctions nothing).
pub fn status(f: &Finding) -> Status {
    f.policy.as_ref().map_or(Status::Unsanctioned, |v| v.status)
}

/// The policy excludes the subject (a test account, the AI team): reported, never alerted.
pub fn excluded(f: &Finding) -> bool {
    f.policy.as_ref().is_some_and(|v| v.excluded.is_some())
}

/// The use needs governance attention: unsanctioned, or a blocked service used, and the
/// subject not excluded.
pub fn needs_attention(f: &Finding) -> bool {
    status(f).needs_attention() && !excluded(f)
}

/// OCSF `severity_id` and its caption for a finding.
///
/// The research notes (outputs.md §1.4) suggest 1 for sanctioned use, 2 or 3 for an
/// unsanctioned consumer AI service with no data evidence, 4 once sensitive data is
/// involved, 5 for mass or regulated-data exposure. The scanner sees no data, so it stays
/// within 1–4:
///
/// | policy status | severity |
/// |---|---|
/// | sanctioned | 1 Informational |
/// | tolerated; blocked by a rule, with no sign that traffic went through | 2 Low |
/// | unsanctioned | 3 Medium |
/// | blocked but used: the device blocked attempts, or traffic reached a blocked service | 4 High |
///
/// then, in this order: a use needing attention by a subject of a department the policy
/// marks sensitive is one step higher (at most 4 High: the nearest thing to sensitive-data
/// evidence the logs give); a low-confidence match is one step lower; when every decision
/// the logging device took was a block, nothing reached the service, so at most 2 Low; an
/// excluded subject is 1 Informational. Severity is impact, not certainty: certainty goes
/// in `confidence_id` ([`confidence`]).
pub fn severity(f: &Finding) -> (u8, &'static str) {
    let mut id: u8 = match status(f) {
        Status::Sanctioned => 1,
        Status::Tolerated | Status::Blocked => 2,
        Status::Unsanctioned => 3,
        Status::BlockedButUsed => 4,
    };
    let sensitive = f
        .policy
        .as_ref()
        .and_then(|v| v.department.as_ref())
        .is_some_and(|d| d.sensitive);
    if sensitive && status(f).needs_attention() {
        id = (id + 1).min(4);
    }
    if f.confidence == Confidence::Low {
        id = id.saturating_sub(1).max(1);
    }
    if device_outcome(f) == Some(DeviceOutcome::Blocked) {
        id = id.min(2);
    }
    if excluded(f) {
        id = 1;
    }
    (id, severity_caption(id))
}

fn severity_caption(id: u8) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        _ => "Unknown",
    }
}

/// OCSF `confidence_id` and caption: the scanner's confidence maps one to one
/// (1 Low, 2 Medium, 3 High).
pub fn confidence(c: Confidence) -> (u8, &'static str) {
    match c {
        Confidence::Low => (1, "Low"),
        Confidence::Medium => (2, "Medium"),
        Confidence::High => (3, "High"),
    }
}

/// What the logging device (proxy, resolver) did with a finding's events.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeviceOutcome {
    Allowed,
    Blocked,
}

/// The device's decision, when it logged one and its decisions agree. Events with no
/// logged action are passed over (a DNS query line says nothing; the reply line says
/// whether it was blocked), and so are authentication challenges. Allowed and blocked
/// events together give `None`.
pub fn device_outcome(f: &Finding) -> Option<DeviceOutcome> {
    let n = |k: &str| f.actions.get(k).copied().unwrap_or(0);
    match (n("allowed"), n("blocked")) {
        (a, 0) if a > 0 => Some(DeviceOutcome::Allowed),
        (0, b) if b > 0 => Some(DeviceOutcome::Blocked),
        _ => None,
    }
}

/// Epoch milliseconds (OCSF `timestamp_t`).
pub fn epoch_ms(t: Timestamp) -> i64 {
    t.0.div_euclid(1000)
}

/// OCSF `time` for a finding. The dictionary defines it as "the normalized event occurrence
/// time or the finding creation time": for a finding, its creation (research notes §1.3;
/// the window of contributing events goes in `start_time` / `end_time`). A finding is created
/// by the scan that reports it, so this is the scan's start, the same for every record of
/// a run. If the summary has no start time, the last seen time stands in, then the first,
/// then the epoch, because `time` is required.
pub fn record_time(f: &Finding, summary: &Summary) -> i64 {
    summary
        .started
        .or(f.last_seen)
        .or(f.first_seen)
        .map_or(0, epoch_ms)
}

/// Whether a logged client address is an IP address (OCSF `ip_t`, ECS `ip`); anything
/// else is written as a host name so that a typed field never gets a value it rejects.
pub fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// How a logged client is typed: (observable `type_id`, its caption, the
/// `network_endpoint` attribute that holds it). An IP address is 2 / `ip`; anything else
/// (a host name) is 1 / `hostname`.
fn client_kind(c: &str) -> (u8, &'static str, &'static str) {
    if is_ip(c) {
        (2, "IP Address", "ip")
    } else {
        (1, "Hostname", "hostname")
    }
}

/// `src_endpoint` for a logged client.
fn endpoint(c: &str) -> Value {
    let (_, _, attr) = client_kind(c);
    json!({ attr: c })
}

fn subject_evidence(f: &Finding) -> Map<String, Value> {
    let mut m = Map::new();
    match f.subject.kind {
        SubjectKind::User => {
            m.insert(
                "actor".into(),
                json!({ "user": { "name": f.subject.value } }),
            );
            // A user seen from one address: that address is the source of every event.
            if let [c] = f.clients.as_slice() {
                m.insert("src_endpoint".into(), endpoint(c));
            }
        }
        SubjectKind::Client => {
            m.insert("src_endpoint".into(), endpoint(&f.subject.value));
        }
        SubjectKind::Unknown => {}
    }
    m
}

/// Seen only in DNS logs: the matched host was a DNS question.
pub fn dns_only(f: &Finding) -> bool {
    !f.observed_as.is_empty()
        && f.observed_as
            .iter()
            .all(|k| matches!(*k, "dns_query" | "dns_response"))
}

fn data_sources(f: &Finding) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = f
        .observed_as
        .iter()
        .map(|k| match *k {
            "dns_query" | "dns_response" => "dns",
            "http_request" | "http_connect" => "proxy",
            "tls_server_name" => "tls",
            "connection" => "network",
            "software" => "endpoint",
            other => other,
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The indicators that matched (`selector:value`), sorted, each once.
pub fn indicators(f: &Finding) -> Vec<&str> {
    let mut v: Vec<&str> = f.matched.iter().map(|m| m.indicator.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Name of the detection rule: the service's signature (OCSF `analytic.name`, ECS
/// `rule.name`).
pub fn rule_name(f: &Finding) -> String {
    format!("AI service signature: {}", f.service.name)
}

fn subject_phrase(f: &Finding) -> String {
    match f.subject.kind {
        SubjectKind::User => format!("User {}", f.subject.value),
        SubjectKind::Client => format!("Client {}", f.subject.value),
        SubjectKind::Unknown => "An unattributed client".to_string(),
    }
}

/// One-sentence account of the finding, shared by OCSF `message` and ECS `message`.
pub fn message(f: &Finding) -> String {
    let window = match (f.first_seen, f.last_seen) {
        (Some(a), Some(b)) if a == b => format!(" at {a}"),
        (Some(a), Some(b)) => format!(" between {a} and {b}"),
        _ => String::new(),
    };
    let (verb, blocked) = match device_outcome(f) {
        Some(DeviceOutcome::Blocked) => ("tried to use", "; every attempt was blocked"),
        _ => ("used", ""),
    };
    format!(
        "{} {verb} {} ({}, {}) in {} event{}{window}{blocked}; policy: {}.",
        subject_phrase(f),
        f.service.name,
        f.service.vendor,
        f.service.category,
        f.events,
        if f.events == 1 { "" } else { "s" },
        status(f).as_str(),
    )
}

/// `finding_info.title`: what was found, by policy status.
fn title(f: &Finding) -> String {
    let what = match status(f) {
        Status::Sanctioned => "Sanctioned AI service in use",
        Status::Tolerated => "Tolerated AI service in use",
        Status::Unsanctioned => "Unsanctioned AI service used",
        Status::Blocked => "Use of an AI service the policy blocks",
        Status::BlockedButUsed => "Blocked AI service used",
    };
    format!("{what}: {}", f.service.name)
}

/// The policy's word on the finding, for people.
fn policy_sentence(f: &Finding) -> String {
    match &f.policy {
        None => "No policy was applied: it is reported as unsanctioned.".to_string(),
        Some(v) => {
            let mut s = format!("Policy: {} ({}", v.status.as_str(), v.reason);
            if let Some(r) = &v.rule {
                s += &format!("; rule {r}");
            }
            s += ").";
            if let Some(x) = &v.excluded {
                s += &format!(" The subject is excluded ({}: {}).", x.id, x.reason);
            }
            s
        }
    }
}

/// `finding_info.tags`: the policy's verdict as key/value pairs a SIEM can filter on.
fn tags(f: &Finding) -> Vec<Value> {
    let mut t = vec![json!({ "name": "sanction_status", "value": status(f).as_str() })];
    if let Some(v) = &f.policy {
        if let Some(r) = &v.rule {
            t.push(json!({ "name": "policy_rule", "value": r }));
        }
        if let Some(d) = &v.department {
            t.push(json!({ "name": "department", "value": d.id }));
        }
        if let Some(x) = &v.excluded {
            t.push(json!({ "name": "excluded", "value": x.id }));
        }
    }
    t
}

/// `remediation.desc` for a use that needs attention.
fn remediation(f: &Finding) -> Option<String> {
    if !needs_attention(f) {
        return None;
    }
    Some(match status(f) {
        Status::BlockedButUsed => format!(
            "{} is blocked: confirm the block holds on every path to the service (proxy, DNS, \
             direct connections) and follow up with the user on the attempts.",
            f.service.name
        ),
        _ => format!(
            "Confirm whether the use of {} is approved; route it through the AI use-case \
             intake, then sanction, restrict or block the service under the AI policy.",
            f.service.name
        ),
    })
}

/// The OCSF record for one finding.
pub fn record(f: &Finding, summary: &Summary, version: OcsfVersion) -> Value {
    let (severity_id, severity) = severity(f);
    let (confidence_id, confidence) = confidence(f.confidence);
    // An excluded subject's finding is reviewed and benign by the policy's own account.
    let (status_id, status_caption) = if excluded(f) {
        (STATUS_SUPPRESSED, "Suppressed")
    } else {
        (STATUS_NEW, "New")
    };
    let first = f.first_seen.map(epoch_ms);
    let last = f.last_seen.map(epoch_ms);
    let subject = subject_evidence(f);

    let mut finding_info = json!({
        "uid": f.id,
        "title": title(f),
        "desc": format!(
            "Use of {} ({}), a {} service, found in logs. {}",
            f.service.name,
            f.service.vendor,
            f.service.category,
            policy_sentence(f)
        ),
        "types": if needs_attention(f) {
            ["Shadow AI", "Unsanctioned Application"]
        } else if status(f) == Status::Tolerated {
            ["AI Service Use", "Tolerated Application"]
        } else {
            ["AI Service Use", "Sanctioned Application"]
        },
        "tags": tags(f),
        "data_sources": data_sources(f),
        "analytic": {
            "uid": f.service.id,
            "name": rule_name(f),
            "type_id": 1,
            "type": "Rule",
            "category": f.service.category,
            "version": summary.signature_set.version,
            "desc": format!("Matched indicators: {}", indicators(f).join(", ")),
        },
    });
    if let Some(t) = first {
        finding_info["first_seen_time"] = t.into();
    }
    if let Some(t) = last {
        finding_info["last_seen_time"] = t.into();
    }

    let mut evidences = Vec::new();
    let mut observables = Vec::new();
    let mut observe = |name: String, type_id: u8, type_: &str, value: &str| {
        observables
            .push(json!({ "name": name, "type_id": type_id, "type": type_, "value": value }));
    };
    match f.subject.kind {
        SubjectKind::User => {
            observe(
                "evidences[0].actor.user.name".into(),
                4,
                "User Name",
                &f.subject.value,
            );
            if let [c] = f.clients.as_slice() {
                let (id, caption, attr) = client_kind(c);
                observe(format!("evidences[0].src_endpoint.{attr}"), id, caption, c);
            } else {
                // Several addresses: none is the source of every event, so they are only
                // listed under `unmapped`.
                for (j, c) in f.clients.iter().enumerate() {
                    let (id, caption, _) = client_kind(c);
                    observe(format!("unmapped.shadow_ai.clients[{j}]"), id, caption, c);
                }
            }
        }
        SubjectKind::Client => {
            let c = f.subject.value.as_str();
            let (id, caption, attr) = client_kind(c);
            observe(format!("evidences[0].src_endpoint.{attr}"), id, caption, c);
        }
        SubjectKind::Unknown => {}
    }
    let dns = dns_only(f);
    for m in &f.matched {
        let i = evidences.len();
        let mut e = subject.clone();
        if version.has("evidences.name") {
            e.insert("name".into(), m.field.as_str().into());
        }
        match m.field {
            Field::Host => {
                e.insert("dst_endpoint".into(), json!({ "hostname": m.value }));
                if dns {
                    e.insert("query".into(), json!({ "hostname": m.value }));
                }
                observe(
                    format!("evidences[{i}].dst_endpoint.hostname"),
                    1,
                    "Hostname",
                    &m.value,
                );
            }
            Field::Path => {
                e.insert("url".into(), json!({ "path": m.value }));
            }
            Field::UserAgent => {
                e.insert("http_request".into(), json!({ "user_agent": m.value }));
                observe(
                    format!("evidences[{i}].http_request.user_agent"),
                    16,
                    "HTTP User-Agent",
                    &m.value,
                );
            }
            Field::Software => {}
        }
        e.insert(
            "data".into(),
            json!({
                "field": m.field.as_str(),
                "value": m.value,
                "indicator": m.indicator,
                "confidence": m.confidence.as_str(),
                "events": m.events,
            }),
        );
        evidences.push(Value::Object(e));
    }
    for r in &f.evidence {
        let mut e = subject.clone();
        if version.has("evidences.name") {
            let name = if r.packet.is_some() {
                "packet"
            } else {
                "log_line"
            };
            e.insert("name".into(), name.into());
        }
        if version.has("evidences.uid") {
            e.insert("uid".into(), r.location().into());
        }
        e.insert("data".into(), serde_json::to_value(r).unwrap_or_default());
        evidences.push(Value::Object(e));
    }

    let mut metadata = json!({
        "version": version.as_str(),
        "product": {
            "name": summary.tool,
            "vendor_name": super::VENDOR,
            "version": summary.tool_version,
        },
        "labels": ["shadow-ai"],
    });

    let mut rec = json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "confidence_id": confidence_id,
        "confidence": confidence,
        "status_id": status_id,
        "status": status_caption,
        "is_alert": needs_attention(f),
        "time": record_time(f, summary),
        "timezone_offset": 0,
        "count": f.events,
        "message": message(f),
        "finding_info": finding_info,
        "resources": [resource(f, version)],
        "evidences": evidences,
        "observables": observables,
        "unmapped": { "shadow_ai": native_facts(f, summary) },
    });
    if let Some(t) = first {
        rec["start_time"] = t.into();
    }
    if let Some(t) = last {
        rec["end_time"] = t.into();
    }
    if let Some(desc) = remediation(f) {
        rec["remediation"] = json!({ "desc": desc });
    }
    if let Some(o) = device_outcome(f) {
        let (action_id, action, disposition_id, disposition) = match o {
            DeviceOutcome::Allowed => (1, "Allowed", 1, "Allowed"),
            DeviceOutcome::Blocked => (2, "Denied", 2, "Blocked"),
        };
        rec["action_id"] = action_id.into();
        rec["action"] = action.into();
        rec["disposition_id"] = disposition_id.into();
        rec["disposition"] = disposition.into();
        metadata["profiles"] = json!(["security_control"]);
    }
    rec["metadata"] = metadata;
    rec
}

/// The AI service as the finding's target resource.
fn resource(f: &Finding, version: OcsfVersion) -> Value {
    let mut r = json!({
        "uid": f.service.id,
        "name": f.service.name,
        "type": "AI Service",
        "data": { "vendor": f.service.vendor, "category": f.service.category },
    });
    if version.has("resources.role_id") {
        r["role_id"] = json!(1);
        r["role"] = json!("Target");
    }
    r
}

/// The finding's own facts that the SOC schemas have no attribute for: OCSF
/// `unmapped.shadow_ai` and (with the matched values added) ECS `shadow_ai.*`. Field names
/// are those of the native JSON Lines records.
pub(crate) fn native_facts(f: &Finding, summary: &Summary) -> Value {
    let mut m = json!({
        "finding_id": f.id,
        "subject": f.subject,
        "service": f.service,
        "events": f.events,
        "dns_responses": f.dns_responses,
        "actions": f.actions,
        "observed_as": f.observed_as,
        "confidence": f.confidence,
        "evidence": f.evidence,
        "signature_set": {
            "version": summary.signature_set.version,
            "sha256": summary.signature_set.sha256,
        },
    });
    if let Some(b) = f.bytes_out {
        m["bytes_out"] = b.into();
    }
    if let Some(b) = f.bytes_in {
        m["bytes_in"] = b.into();
    }
    if !f.clients.is_empty() {
        m["clients"] = json!(f.clients);
    }
    if f.clients_truncated {
        m["clients_truncated"] = true.into();
    }
    if f.matched_values_dropped > 0 {
        m["matched_values_dropped"] = f.matched_values_dropped.into();
    }
    if let Some(v) = &f.policy {
        m["policy"] = json!(v);
    }
    m
}

/// Writes one Detection Finding per line, and nothing else (see the module notes on the
/// summary).
pub fn write(
    w: &mut dyn Write,
    findings: &[Finding],
    summary: &Summary,
    version: OcsfVersion,
) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *w, &record(f, summary, version))?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aggregate::{Evidence, Matched, ServiceRef, Subject};
    use crate::policy::{DepartmentRef, ExclusionRef, Verdict};
    use crate::signature::Governance;
    use crate::summary::{SignatureSetRef, Totals};
    use std::collections::BTreeMap;

    /// 2026-11-27T09:00:01.120Z, the first line of tests/data/scan/access.log.
    const T0: i64 = 1_795_770_001_120_000;
    /// The scan's start in these tests: a fixed time, never the clock.
    const STARTED: i64 = 1_795_800_000_000_000;

    pub(crate) fn summary() -> Summary {
        Summary {
            tool: "shadow-ai",
            tool_version: "0.1.0",
            started: Some(Timestamp(STARTED)),
            duration_ms: 12,
            threads: 2,
            signature_set: SignatureSetRef {
                version: "2026.11.27".into(),
                sha256: "ab".repeat(32),
                services: 120,
            },
            policy: None,
            totals: Totals::default(),
            services: Vec::new(),
            inputs: Vec::new(),
            lifecycle: None,
        }
    }

    /// A user reaching ChatGPT through a proxy, as the Squid fixture gives it.
    pub(crate) fn finding() -> Finding {
        Finding {
            id: crate::aggregate::finding_id("openai-chatgpt", SubjectKind::User, "alice"),
            service: ServiceRef {
                id: "openai-chatgpt".into(),
                name: "ChatGPT".into(),
                vendor: "OpenAI".into(),
                category: "chat-assistant".into(),
                governance: Governance {
                    hq_country: Some("US".into()),
                    trains_on_user_input: Some("opt-out".into()),
                    data_retention: Some("30 days after deletion".into()),
                    enterprise_offering: Some(true),
                    sources: vec!["https://openai.com/enterprise-privacy/".into()],
                },
            },
            subject: Subject {
                kind: SubjectKind::User,
                value: "alice".into(),
            },
            clients: vec!["10.1.2.3".into()],
            clients_truncated: false,
            first_seen: Some(Timestamp(T0)),
            last_seen: Some(Timestamp(T0 + 3_880_000)),
            events: 2,
            dns_responses: 0,
            bytes_out: None,
            bytes_in: Some(6144),
            actions: BTreeMap::from([("allowed", 2)]),
            observed_as: vec!["http_connect"],
            confidence: Confidence::High,
            matched: vec![
                Matched {
                    field: Field::Host,
                    value: "ab.chatgpt.com".into(),
                    indicator: "domain:chatgpt.com".into(),
                    confidence: Confidence::High,
                    events: 1,
                },
                Matched {
                    field: Field::Host,
                    value: "chatgpt.com".into(),
                    indicator: "domain:chatgpt.com".into(),
                    confidence: Confidence::High,
                    events: 1,
                },
                Matched {
                    field: Field::UserAgent,
                    value: "codex_cli_rs/0.46.0".into(),
                    indicator: "user_agent:codex_cli_rs/".into(),
                    confidence: Confidence::Medium,
                    events: 1,
                },
            ],
            matched_values_dropped: 0,
            evidence: vec![
                Evidence {
                    file: "logs/access.log".into(),
                    line: Some(1),
                    packet: None,
                    time: None,
                    artifact: None,
                },
                Evidence {
                    file: "logs/access.log".into(),
                    line: Some(6),
                    packet: None,
                    time: None,
                    artifact: None,
                },
            ],
            policy: None,
            lifecycle: None,
        }
    }

    /// A verdict as the policy gives it: `status`, decided by a rule unless unsanctioned.
    pub(crate) fn verdict(status: Status) -> Verdict {
        let ruled = status != Status::Unsanctioned;
        Verdict {
            status,
            rule: ruled.then(|| "org.toml#policy[1]".to_string()),
            reason: if ruled {
                "enterprise contract".into()
            } else {
                "no policy rule covers this service for this subject".into()
            },
            owner: None,
            review: None,
            expires: None,
            expired: false,
            department: Some(DepartmentRef {
                id: "sales".into(),
                name: "Sales".into(),
                sensitive: false,
            }),
            excluded: None,
        }
    }

    #[derive(Copy, Clone, Debug)]
    enum Kind {
        Int,
        Str,
        Obj,
    }

    fn is(v: &Value, k: Kind) -> bool {
        match k {
            Kind::Int => v.is_i64() || v.is_u64(),
            Kind::Str => v.is_string(),
            Kind::Obj => v.is_object(),
        }
    }

    /// Required attributes of Detection Finding 1.8.0 (research notes §1.3: the class's
    /// required attributes, then those required inside `finding_info` and `metadata`),
    /// with their OCSF types: integer_t / long_t / timestamp_t → Int, string_t → Str.
    const REQUIRED_1_8_0: &[(&str, Kind)] = &[
        ("activity_id", Kind::Int),
        ("category_uid", Kind::Int),
        ("class_uid", Kind::Int),
        ("finding_info", Kind::Obj),
        ("metadata", Kind::Obj),
        ("severity_id", Kind::Int),
        ("time", Kind::Int),
        ("type_uid", Kind::Int),
        ("finding_info.uid", Kind::Str),
        ("metadata.version", Kind::Str),
        ("metadata.product", Kind::Obj),
    ];

    fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(v, |v, k| v.get(k))
    }

    /// Attributes each object the emitter writes may hold in 1.8.0: the resolved tables of
    /// the research notes (§1.3, the Security Control profile attributes, §1.6 for `actor`).
    #[rustfmt::skip]
    fn allowed(object: &str) -> &'static [&'static str] {
        match object {
            "" => &[
                "activity_id", "category_uid", "class_uid", "finding_info", "metadata",
                "severity_id", "time", "type_uid", "confidence_id", "evidences", "is_alert",
                "message", "observables", "resources", "status_code", "status_detail",
                "status_id", "timezone_offset", "activity_name", "anomaly_analyses",
                "category_name", "class_name", "comment", "confidence", "confidence_score",
                "count", "device", "duration", "end_time", "enrichments", "impact",
                "impact_id", "impact_score", "malware", "malware_scan_info", "raw_data",
                "raw_data_hash", "raw_data_size", "remediation", "risk_details", "risk_level",
                "risk_level_id", "risk_score", "severity", "start_time", "status", "type_name",
                "unmapped", "vendor_attributes", "vulnerabilities",
                // security_control profile
                "action", "action_id", "attacks", "authorizations", "disposition",
                "disposition_id", "firewall_rule", "policy",
            ],
            "finding_info" => &[
                "analytic", "attack_graph", "attacks", "created_time", "data_sources", "desc",
                "first_seen_time", "kill_chain", "last_seen_time", "modified_time", "product",
                "product_uid", "related_analytics", "related_events", "related_events_count",
                "src_url", "tags", "title", "traits", "types", "uid", "uid_alt",
            ],
            "analytic" => &[
                "name", "uid", "algorithm", "category", "desc", "related_analytics", "state",
                "state_id", "type", "type_id", "version",
            ],
            "metadata" => &[
                "correlation_uid", "extensions", "labels", "log_name", "logged_time",
                "original_event_uid", "original_time", "processed_time", "product", "profiles",
                "reporter", "tags", "tenant_uid", "uid", "version",
            ],
            "product" => &[
                "name", "uid", "cpe_name", "feature", "lang", "path", "url_string",
                "vendor_name", "version",
            ],
            "evidences" => &[
                "name", "uid", "actor", "api", "connection_info", "container", "data",
                "database", "databucket", "device", "dst_endpoint", "email", "file",
                "http_request", "http_response", "ja4_fingerprint_list", "job", "process",
                "query", "resources", "script", "src_endpoint", "tls", "url", "user",
                "verdict", "verdict_id",
            ],
            "actor" => &["user", "process"],
            "user" => &[
                "name", "uid", "account", "domain", "email_addr", "full_name", "type_id",
            ],
            "network_endpoint" => &["name", "uid", "domain", "hostname", "ip", "port", "type_id"],
            "dns_query" => &[
                "class", "packet_uid", "type", "hostname", "opcode", "opcode_id",
            ],
            "http_request" => &[
                "args", "body_length", "http_headers", "http_method", "length", "referrer",
                "uid", "url", "user_agent", "version", "x_forwarded_for",
            ],
            "url" => &[
                "categories", "category_ids", "domain", "hostname", "path", "port",
                "query_string", "resource_type", "scheme", "subdomain", "url_string",
            ],
            "observable" => &[
                "event_uid", "name", "reputation", "type", "type_id", "type_uid", "value",
            ],
            "resource_details" => &[
                "name", "uid", "created_time", "data", "labels", "modified_time", "tags",
                "type", "uid_alt", "criticality", "group", "hostname", "ip", "namespace",
                "owner", "role", "role_id", "version",
            ],
            "remediation" => &[
                "cis_controls", "desc", "kb_article_list", "kb_articles", "references",
            ],
            "key_value_object" => &["name", "value", "values"],
            other => panic!("no attribute table for {other}"),
        }
    }

    /// The object type of an attribute the emitter nests, or `None` for free-form JSON
    /// (`unmapped`, `data`) and scalars.
    fn object_of(parent: &str, attr: &str) -> Option<&'static str> {
        Some(match (parent, attr) {
            ("", "finding_info") => "finding_info",
            ("", "metadata") => "metadata",
            ("", "evidences") => "evidences",
            ("", "observables") => "observable",
            ("", "resources") => "resource_details",
            ("", "remediation") => "remediation",
            ("finding_info", "analytic") => "analytic",
            ("finding_info", "tags") => "key_value_object",
            ("metadata", "product") => "product",
            ("evidences", "actor") => "actor",
            ("evidences", "user") | ("actor", "user") => "user",
            ("evidences", "src_endpoint" | "dst_endpoint") => "network_endpoint",
            ("evidences", "query") => "dns_query",
            ("evidences", "http_request") => "http_request",
            ("evidences", "url") => "url",
            _ => return None,
        })
    }

    /// Every attribute of `v` (an `object`) is one 1.8.0 defines; returns the paths seen.
    fn check_names(object: &str, v: &Value, path: &str, seen: &mut Vec<String>) {
        let Value::Object(m) = v else {
            panic!("{path} is not an object")
        };
        for (k, child) in m {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            assert!(
                allowed(object).contains(&k.as_str()),
                "{p}: not an attribute of {object:?} in OCSF 1.8.0"
            );
            seen.push(p.clone());
            if let Some(sub) = object_of(object, k) {
                match child {
                    Value::Array(items) => {
                        for (i, it) in items.iter().enumerate() {
                            check_names(sub, it, &format!("{p}[{i}]"), seen);
                        }
                    }
                    _ => check_names(sub, child, &p, seen),
                }
            }
        }
    }

    fn rec(f: &Finding) -> Value {
        record(f, &summary(), OcsfVersion::default())
    }

    #[test]
    fn required_attributes_have_their_types() {
        let r = rec(&finding());
        for (path, kind) in REQUIRED_1_8_0 {
            let v = get(&r, path).unwrap_or_else(|| panic!("{path} missing"));
            assert!(is(v, *kind), "{path} = {v} is not {kind:?}");
        }
        // Required inside the objects the emitter fills.
        assert!(r["finding_info"]["analytic"]["type_id"].is_u64());
        assert!(r["remediation"]["desc"].is_string());
        for o in r["observables"].as_array().unwrap() {
            assert!(o["type_id"].is_u64(), "{o}");
        }
        assert!(get(&r, "metadata.product.name").unwrap().is_string());
    }

    #[test]
    fn classification_and_ids_are_exact() {
        let f = finding();
        let r = rec(&f);
        assert_eq!(r["class_uid"], 2004);
        assert_eq!(r["category_uid"], 2);
        assert_eq!(r["type_uid"], 200401);
        assert_eq!(r["activity_id"], 1);
        assert_eq!(r["status_id"], 1);
        assert_eq!(r["status"], "New");
        assert_eq!(r["severity_id"], 3);
        assert_eq!(r["severity"], "Medium");
        assert_eq!(r["confidence_id"], 3);
        // The stable id: the same service and subject give it on every run.
        assert_eq!(
            r["finding_info"]["uid"],
            crate::aggregate::finding_id("openai-chatgpt", SubjectKind::User, "alice")
        );
        assert!(f.id.starts_with("saf-"));
        assert_eq!(r["metadata"]["version"], "1.8.0");
        assert_eq!(r["metadata"]["product"]["name"], "shadow-ai");
        assert_eq!(r["count"], 2);
        assert_eq!(r["finding_info"]["analytic"]["uid"], "openai-chatgpt");
        assert_eq!(r["finding_info"]["analytic"]["version"], "2026.11.27");
    }

    #[test]
    fn times_are_epoch_milliseconds() {
        let r = rec(&finding());
        assert_eq!(r["time"], STARTED / 1000);
        assert_eq!(r["start_time"], T0 / 1000);
        assert_eq!(r["end_time"], (T0 + 3_880_000) / 1000);
        assert_eq!(r["finding_info"]["first_seen_time"], 1_795_770_001_120_i64);
        assert_eq!(r["finding_info"]["last_seen_time"], 1_795_770_005_000_i64);
        // No scan start: the last activity stands in.
        let mut s = summary();
        s.started = None;
        let r = record(&finding(), &s, OcsfVersion::default());
        assert_eq!(r["time"], 1_795_770_005_000_i64);
    }

    #[test]
    fn every_attribute_exists_in_1_8_0() {
        let mut f = finding();
        let mut seen = Vec::new();
        check_names("", &rec(&f), "", &mut seen);
        // And in the other shapes: a client subject seen in DNS and blocked, a path match.
        f.subject = Subject {
            kind: SubjectKind::Client,
            value: "192.168.1.34".into(),
        };
        f.clients.clear();
        f.observed_as = vec!["dns_query", "dns_response"];
        f.actions = BTreeMap::from([("blocked", 2), ("unknown", 2)]);
        f.matched[2] = Matched {
            field: Field::Path,
            value: "/backend-api/codex/".into(),
            indicator: "path:/backend-api/codex/".into(),
            confidence: Confidence::High,
            events: 1,
        };
        check_names("", &rec(&f), "", &mut seen);
        for p in [
            "evidences[0].actor.user.name",
            "evidences[0].src_endpoint.ip",
            "evidences[0].dst_endpoint.hostname",
            "evidences[0].query.hostname",
            "evidences[2].http_request.user_agent",
            "evidences[2].url.path",
            "disposition_id",
            "unmapped",
        ] {
            assert!(seen.iter().any(|s| s == p), "{p} never emitted: {seen:?}");
        }
    }

    #[test]
    fn subject_matched_values_and_log_lines_are_evidence() {
        let r = rec(&finding());
        let ev = r["evidences"].as_array().unwrap();
        assert_eq!(ev.len(), 3 + 2);
        assert_eq!(ev[0]["actor"]["user"]["name"], "alice");
        assert_eq!(ev[0]["src_endpoint"]["ip"], "10.1.2.3");
        assert_eq!(ev[0]["dst_endpoint"]["hostname"], "ab.chatgpt.com");
        assert_eq!(ev[0]["data"]["indicator"], "domain:chatgpt.com");
        assert!(ev[0].get("query").is_none(), "not seen in DNS");
        assert_eq!(ev[2]["http_request"]["user_agent"], "codex_cli_rs/0.46.0");
        assert_eq!(ev[3]["uid"], "logs/access.log:1");
        assert_eq!(
            ev[4]["data"],
            json!({ "file": "logs/access.log", "line": 6 })
        );
        let obs: Vec<(u64, &str, &str)> = r["observables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["type_id"].as_u64().unwrap(),
                    o["name"].as_str().unwrap(),
                    o["value"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            obs,
            [
                (4, "evidences[0].actor.user.name", "alice"),
                (2, "evidences[0].src_endpoint.ip", "10.1.2.3"),
                (1, "evidences[0].dst_endpoint.hostname", "ab.chatgpt.com"),
                (1, "evidences[1].dst_endpoint.hostname", "chatgpt.com"),
                (
                    16,
                    "evidences[2].http_request.user_agent",
                    "codex_cli_rs/0.46.0"
                ),
            ]
        );
        let res = &r["resources"][0];
        assert_eq!(
            (&res["uid"], &res["name"], &res["role_id"]),
            (&json!("openai-chatgpt"), &json!("ChatGPT"), &json!(1))
        );
        let sa = &r["unmapped"]["shadow_ai"];
        assert_eq!(sa["service"]["governance"]["hq_country"], "US");
        assert_eq!(sa["bytes_in"], 6144);
        assert!(sa.get("bytes_out").is_none());
        assert_eq!(sa["actions"], json!({ "allowed": 2 }));
        assert_eq!(sa["signature_set"]["version"], "2026.11.27");
    }

    #[test]
    fn device_decisions_give_disposition_and_severity() {
        let mut f = finding();
        let r = rec(&f);
        assert_eq!(
            (&r["action_id"], &r["disposition_id"]),
            (&json!(1), &json!(1))
        );
        assert_eq!(r["metadata"]["profiles"], json!(["security_control"]));

        f.actions = BTreeMap::from([("blocked", 1), ("auth_required", 1), ("unknown", 3)]);
        let r = rec(&f);
        assert_eq!(
            (&r["action_id"], &r["disposition_id"]),
            (&json!(2), &json!(2))
        );
        assert_eq!(
            (&r["action"], &r["disposition"]),
            (&json!("Denied"), &json!("Blocked"))
        );
        assert_eq!(r["severity_id"], 2, "nothing reached the service");

        f.actions = BTreeMap::from([("allowed", 1), ("blocked", 1)]);
        let r = rec(&f);
        assert!(r.get("action_id").is_none() && r.get("disposition_id").is_none());
        assert!(r["metadata"].get("profiles").is_none());
        assert_eq!(r["severity_id"], 3);

        f.actions = BTreeMap::from([("unknown", 4)]);
        assert!(rec(&f).get("disposition_id").is_none());

        f.confidence = Confidence::Low;
        assert_eq!(rec(&f)["severity_id"], 2);
        assert_eq!(rec(&f)["confidence_id"], 1);
    }

    #[test]
    fn clients_that_are_not_addresses_are_hostnames() {
        let mut f = finding();
        f.subject = Subject {
            kind: SubjectKind::Client,
            value: "laptop-0231".into(),
        };
        f.clients.clear();
        let r = rec(&f);
        assert_eq!(
            r["evidences"][0]["src_endpoint"],
            json!({ "hostname": "laptop-0231" })
        );
        assert_eq!(r["observables"][0]["type_id"], 1);
        assert_eq!(
            r["observables"][0]["name"],
            "evidences[0].src_endpoint.hostname"
        );
    }

    #[test]
    fn older_versions_leave_out_what_they_lack() {
        let f = finding();
        for v in OcsfVersion::ALL {
            let r = record(&f, &summary(), v);
            assert_eq!(r["metadata"]["version"], v.as_str());
            let has = |path: &str| {
                let (arr, attr) = path.split_once('.').unwrap();
                r[arr]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o.get(attr).is_some())
            };
            for (path, since) in SINCE {
                assert_eq!(has(path), v >= *since, "{path} in {v}");
            }
        }
    }

    #[test]
    fn policy_status_sets_severity_alert_and_title() {
        let with = |status: Status, sensitive: bool, allowed_blocked: (u64, u64)| {
            let mut f = finding();
            let mut v = verdict(status);
            v.department.as_mut().unwrap().sensitive = sensitive;
            f.policy = Some(v);
            let (a, b) = allowed_blocked;
            f.actions = [("allowed", a), ("blocked", b)]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect();
            rec(&f)
        };
        let sev = |r: &Value| {
            (
                r["severity_id"].as_u64().unwrap(),
                r["is_alert"].as_bool().unwrap(),
            )
        };
        assert_eq!(sev(&with(Status::Sanctioned, false, (2, 0))), (1, false));
        assert_eq!(sev(&with(Status::Tolerated, false, (2, 0))), (2, false));
        assert_eq!(sev(&with(Status::Unsanctioned, false, (2, 0))), (3, true));
        assert_eq!(sev(&with(Status::Unsanctioned, true, (2, 0))), (4, true));
        assert_eq!(sev(&with(Status::Blocked, false, (0, 0))), (2, false));
        assert_eq!(sev(&with(Status::BlockedButUsed, false, (1, 1))), (4, true));
        assert_eq!(sev(&with(Status::BlockedButUsed, true, (1, 1))), (4, true));
        // Every attempt blocked: nothing reached the service.
        assert_eq!(sev(&with(Status::BlockedButUsed, true, (0, 3))), (2, true));
        // A sensitive department does not raise sanctioned use.
        assert_eq!(sev(&with(Status::Sanctioned, true, (2, 0))), (1, false));

        let r = with(Status::Sanctioned, false, (2, 0));
        assert_eq!(
            r["finding_info"]["title"],
            "Sanctioned AI service in use: ChatGPT"
        );
        assert_eq!(
            r["finding_info"]["types"],
            json!(["AI Service Use", "Sanctioned Application"])
        );
        assert!(r.get("remediation").is_none());
        assert_eq!(
            r["finding_info"]["tags"],
            json!([
                { "name": "sanction_status", "value": "sanctioned" },
                { "name": "policy_rule", "value": "org.toml#policy[1]" },
                { "name": "department", "value": "sales" },
            ])
        );
        assert_eq!(r["unmapped"]["shadow_ai"]["policy"]["status"], "sanctioned");
        let r = with(Status::BlockedButUsed, false, (1, 1));
        assert_eq!(
            r["finding_info"]["title"],
            "Blocked AI service used: ChatGPT"
        );
        assert!(
            r["remediation"]["desc"]
                .as_str()
                .unwrap()
                .contains("is blocked")
        );
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .ends_with("policy: blocked_but_used.")
        );
    }

    #[test]
    fn excluded_subjects_are_suppressed_not_alerted() {
        let mut f = finding();
        let mut v = verdict(Status::Unsanctioned);
        v.excluded = Some(ExclusionRef {
            id: "ai-team".into(),
            reason: "evaluates AI services".into(),
        });
        f.policy = Some(v);
        let r = rec(&f);
        assert_eq!(r["status_id"], STATUS_SUPPRESSED);
        assert_eq!(r["status"], "Suppressed");
        assert_eq!(r["severity_id"], 1);
        assert_eq!(r["is_alert"], false);
        assert!(r.get("remediation").is_none());
        assert!(
            r["finding_info"]["tags"]
                .as_array()
                .unwrap()
                .contains(&json!({ "name": "excluded", "value": "ai-team" }))
        );
    }

    #[test]
    fn versions_parse_and_print() {
        assert_eq!(OcsfVersion::default().as_str(), "1.8.0");
        for v in OcsfVersion::ALL {
            assert_eq!(v.as_str().parse::<OcsfVersion>(), Ok(v));
            assert_eq!(
                <OcsfVersion as clap::ValueEnum>::from_str(v.as_str(), false),
                Ok(v)
            );
        }
        let e = "1.3.0".parse::<OcsfVersion>().unwrap_err();
        assert!(e.contains("1.4.0, 1.5.0, 1.6.0, 1.7.0, 1.8.0"), "{e}");
    }

    #[test]
    fn writes_one_finding_per_line_and_no_summary() {
        let fs = [finding(), finding()];
        let mut out = Vec::new();
        write(&mut out, &fs, &summary(), OcsfVersion::default()).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l["class_uid"] == 2004));
    }
}
