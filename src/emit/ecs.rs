//! Elastic Common Schema alert documents as JSON Lines: one per finding.
//!
//! Targets ECS 9.4.0 (`ecs.version`), using the fields and allowed values the research
//! notes list (`research/outputs.md` §2.2–2.4) plus four long-standing ECS fields the
//! scanner has data for: `source.bytes`, `destination.bytes`, `network.bytes` and
//! `user_agent.original`.
//!
//! | ECS | from |
//! |---|---|
//! | `event.kind` | `alert`: raised by a detection outside the Elastic Stack |
//! | `event.category` | `network`, plus `web` when seen in proxy (HTTP) logs; `package` for software found on endpoints |
//! | `event.type` | `info`, plus `allowed` / `denied` when the logging device's decisions agree (both are expected types of `network`) |
//! | `event.action`, `event.outcome` | the device's decisions: `ai-service-allowed` / `success`, `ai-service-blocked` / `failure`, else `ai-service-use` / `unknown` |
//! | `@timestamp` | last seen: ECS takes it from the source events; `event.created` is when the scan started |
//! | `event.start`, `event.end`, `event.duration` | first / last seen, and the time between (ns) |
//! | `event.id` | the finding id (`saf-…`, stable across runs) |
//! | `event.severity`, `event.risk_score(_norm)` | see [`risk_score`] |
//! | `rule.*` | the service's signature: `id` = service id, `version` = signature set version |
//! | `user.name` / `source.ip` | the subject (a user, or a client address) |
//! | `destination.domain`, `url.domain`, `url.path`, `dns.question.name`, `user_agent.original` | the values that matched (most frequent first) |
//! | `source.bytes`, `destination.bytes`, `network.bytes` | bytes out / in, and their sum when both are logged |
//! | `related.*` | every host, address and user, for pivoting |
//! | `labels`, `tags` | the service id, category and vendor and the policy's `sanction_status`, as keywords; `shadow-ai` |
//! | `shadow_ai.*` | custom fields for what ECS has no field for: the service and its governance facts, the policy verdict, per-action counts, matched values with their indicators, log references, the signature set |
//!
//! `threat.*` is not written: ECS puts MITRE ATT&CK/ATLAS techniques there, and the
//! research notes give them only where evidence of an attack supports it; using an AI
//! service is not one. The custom namespace `shadow_ai` is lower-case snake case like ECS
//! names and collides with no ECS field set.
//!
//! There is no summary document: an ECS index of alerts holds one document per alert, and
//! a run summary is not an event of any ECS kind. The summary goes to standard error as
//! text, and in full to the native `jsonl` and `json` outputs.

use super::ocsf::{
    DeviceOutcome, device_outcome, dns_only, indicators, is_ip, message, native_facts, rule_name,
    severity, status,
};
use crate::aggregate::{Finding, SubjectKind};
use crate::signature::Field;
use crate::summary::Summary;
use crate::time::Timestamp;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// ECS version the documents follow (latest release the research notes read).
pub const ECS_VERSION: &str = "9.4.0";
pub const EVENT_MODULE: &str = "shadow_ai";
pub const EVENT_DATASET: &str = "shadow_ai.finding";

/// `event.severity` and `event.risk_score` for a finding.
///
/// `event.severity` is "the original severity of the event" in the producer's scale: the
/// OCSF `severity_id` (1 Informational to 4 High; see [`super::ocsf::severity`]). `event.risk_score`
/// and `risk_score_norm` use the scale of Elastic's detection rules, so Elastic Security
/// sorts these alerts with its own: low 21, medium 47, high 73, critical 99.
pub fn risk_score(f: &Finding) -> (u8, u8) {
    let (sev, _) = severity(f);
    let score = match sev {
        0..=2 => 21,
        3 => 47,
        4 => 73,
        _ => 99,
    };
    (sev, score)
}

/// RFC 3339 in UTC to the millisecond, the precision of an Elasticsearch `date`.
pub fn date(t: Timestamp) -> String {
    Timestamp(t.0.div_euclid(1000) * 1000).to_string()
}

fn seen_via_http(f: &Finding) -> bool {
    f.observed_as
        .iter()
        .any(|k| matches!(*k, "http_request" | "http_connect"))
}

/// The categorization fields of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Categorization {
    pub category: Vec<&'static str>,
    pub types: Vec<&'static str>,
    pub action: &'static str,
    pub outcome: &'static str,
}

/// `event.category`, `event.type`, `event.action` and `event.outcome` for a finding.
pub fn categorization(f: &Finding) -> Categorization {
    // Software found on an endpoint is a `package` event; everything else was seen on the
    // network.
    let on_network = f.observed_as.iter().any(|k| *k != "software");
    let mut category = if on_network { vec!["network"] } else { vec![] };
    if seen_via_http(f) {
        category.push("web");
    }
    if f.observed_as.contains(&"software") {
        category.push("package");
    }
    let mut types = vec!["info"];
    let (action, outcome) = match device_outcome(f) {
        Some(DeviceOutcome::Allowed) => {
            types.push("allowed");
            ("ai-service-allowed", "success")
        }
        Some(DeviceOutcome::Blocked) => {
            types.push("denied");
            ("ai-service-blocked", "failure")
        }
        None => ("ai-service-use", "unknown"),
    };
    Categorization {
        category,
        types,
        action,
        outcome,
    }
}

fn first_value(f: &Finding, field: Field) -> Option<&str> {
    f.matched
        .iter()
        .find(|m| m.field == field)
        .map(|m| m.value.as_str())
}

fn insert(m: &mut Map<String, Value>, key: &str, v: impl Into<Value>) {
    m.insert(key.to_string(), v.into());
}

/// The ECS document for one finding.
pub fn document(f: &Finding, summary: &Summary) -> Value {
    let cat = categorization(f);
    let (sev, score) = risk_score(f);
    let started = summary.started.map(date);

    let mut event = Map::new();
    insert(&mut event, "kind", "alert");
    insert(&mut event, "category", json!(cat.category));
    insert(&mut event, "type", json!(cat.types));
    insert(&mut event, "action", cat.action);
    insert(&mut event, "outcome", cat.outcome);
    insert(&mut event, "id", f.id.as_str());
    insert(&mut event, "module", EVENT_MODULE);
    insert(&mut event, "dataset", EVENT_DATASET);
    insert(&mut event, "severity", sev);
    insert(&mut event, "risk_score", score);
    insert(&mut event, "risk_score_norm", score);
    insert(
        &mut event,
        "reason",
        format!(
            "Matched indicators of signature {}: {}",
            f.service.id,
            indicators(f).join(", ")
        ),
    );
    if let Some(t) = &started {
        insert(&mut event, "created", t.as_str());
    }
    if let Some(t) = f.first_seen {
        insert(&mut event, "start", date(t));
    }
    if let Some(t) = f.last_seen {
        insert(&mut event, "end", date(t));
    }
    if let (Some(a), Some(b)) = (f.first_seen, f.last_seen) {
        insert(
            &mut event,
            "duration",
            (b.0 - a.0).max(0).saturating_mul(1000),
        );
    }

    // Required: the last activity, else the first, else the scan's start, else the epoch.
    let timestamp = f
        .last_seen
        .or(f.first_seen)
        .or(summary.started)
        .unwrap_or(Timestamp(0));

    let mut doc = Map::new();
    insert(&mut doc, "@timestamp", date(timestamp));
    insert(&mut doc, "ecs", json!({ "version": ECS_VERSION }));
    insert(&mut doc, "message", message(f));
    insert(&mut doc, "tags", json!(["shadow-ai"]));
    insert(
        &mut doc,
        "labels",
        json!({
            "ai_service_id": f.service.id,
            "ai_service_category": f.service.category,
            "ai_service_vendor": f.service.vendor,
            "sanction_status": status(f).as_str(),
        }),
    );
    insert(&mut doc, "event", Value::Object(event));
    insert(
        &mut doc,
        "observer",
        json!({
            "vendor": super::VENDOR,
            "product": summary.tool,
            "type": "sensor",
            "version": summary.tool_version,
        }),
    );
    insert(
        &mut doc,
        "rule",
        json!({
            "id": f.service.id,
            "name": rule_name(f),
            "category": f.service.category,
            "ruleset": "shadow-ai-signatures",
            "version": summary.signature_set.version,
        }),
    );

    let mut related_hosts: Vec<&str> = Vec::new();
    let mut related_ip: Vec<&str> = Vec::new();
    let mut source = Map::new();
    match f.subject.kind {
        SubjectKind::User => {
            insert(&mut doc, "user", json!({ "name": f.subject.value }));
            if let [c] = f.clients.as_slice() {
                insert(
                    &mut source,
                    if is_ip(c) { "ip" } else { "domain" },
                    c.as_str(),
                );
            }
            for c in &f.clients {
                if is_ip(c) {
                    related_ip.push(c);
                } else {
                    related_hosts.push(c);
                }
            }
        }
        SubjectKind::Client => {
            let c = f.subject.value.as_str();
            if is_ip(c) {
                insert(&mut source, "ip", c);
                related_ip.push(c);
            } else {
                insert(&mut source, "domain", c);
                related_hosts.push(c);
            }
        }
        SubjectKind::Unknown => {}
    }
    if let Some(b) = f.bytes_out {
        insert(&mut source, "bytes", b);
    }
    if !source.is_empty() {
        insert(&mut doc, "source", Value::Object(source));
    }

    let host = first_value(f, Field::Host);
    let mut destination = Map::new();
    if let Some(h) = host {
        insert(&mut destination, "domain", h);
    }
    if let Some(b) = f.bytes_in {
        insert(&mut destination, "bytes", b);
    }
    if !destination.is_empty() {
        insert(&mut doc, "destination", Value::Object(destination));
    }
    if let (Some(o), Some(i)) = (f.bytes_out, f.bytes_in) {
        insert(&mut doc, "network", json!({ "bytes": o.saturating_add(i) }));
    }
    let path = first_value(f, Field::Path);
    if seen_via_http(f) && (host.is_some() || path.is_some()) {
        let mut url = Map::new();
        if let Some(h) = host {
            insert(&mut url, "domain", h);
        }
        if let Some(p) = path {
            insert(&mut url, "path", p);
        }
        insert(&mut doc, "url", Value::Object(url));
    }
    if let (true, Some(h)) = (dns_only(f), host) {
        insert(&mut doc, "dns", json!({ "question": { "name": h } }));
    }
    if let Some(ua) = first_value(f, Field::UserAgent) {
        insert(&mut doc, "user_agent", json!({ "original": ua }));
    }

    for m in &f.matched {
        if m.field == Field::Host && !related_hosts.contains(&m.value.as_str()) {
            related_hosts.push(&m.value);
        }
    }
    let mut related = Map::new();
    if !related_hosts.is_empty() {
        insert(&mut related, "hosts", json!(related_hosts));
    }
    if !related_ip.is_empty() {
        insert(&mut related, "ip", json!(related_ip));
    }
    if f.subject.kind == SubjectKind::User {
        insert(&mut related, "user", json!([f.subject.value]));
    }
    if !related.is_empty() {
        insert(&mut doc, "related", Value::Object(related));
    }

    insert(&mut doc, "shadow_ai", custom(f, summary));
    Value::Object(doc)
}

/// The `shadow_ai.*` custom fields: the native facts, with the matched values.
fn custom(f: &Finding, summary: &Summary) -> Value {
    let mut m = native_facts(f, summary);
    m["matched"] = json!(f.matched);
    m
}

/// Writes one ECS document per line, and nothing else (see the module notes on the
/// summary).
pub fn write(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *w, &document(f, summary))?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Matched, Subject};
    use crate::emit::ocsf::tests::{finding, summary, verdict};
    use crate::policy::Status;
    use crate::signature::Confidence;
    use std::collections::BTreeMap;

    /// ECS 9.4.0 fields the research notes list (§2.3, and §2.4's alert), flattened.
    #[rustfmt::skip]
    const NOTES_FIELDS: &[&str] = &[
        "@timestamp", "ecs.version", "message", "event.kind", "event.category", "event.type",
        "event.outcome", "event.id", "event.action", "event.dataset", "event.module",
        "event.provider", "event.severity", "event.risk_score", "event.risk_score_norm",
        "event.created", "event.start", "event.end", "event.reason", "event.reference",
        "event.url", "dns.question.name", "dns.question.registered_domain",
        "dns.question.type", "dns.type", "dns.response_code", "dns.resolved_ip", "url.domain",
        "url.registered_domain", "url.full", "url.original", "url.path", "destination.domain",
        "destination.ip", "destination.port", "destination.registered_domain", "source.ip",
        "source.port", "source.domain", "user.name", "user.id", "user.domain", "user.email",
        "host.name", "host.hostname", "host.id", "host.ip", "host.os.type", "observer.vendor",
        "observer.product", "observer.type", "observer.name", "observer.version", "rule.id",
        "rule.uuid", "rule.name", "rule.category", "rule.ruleset", "rule.version",
        "rule.description", "rule.reference", "rule.author", "rule.license",
        "threat.framework", "threat.tactic.id", "threat.tactic.name",
        "threat.tactic.reference", "threat.technique.id", "threat.technique.name",
        "threat.technique.reference", "threat.technique.subtechnique.id",
        "threat.technique.subtechnique.name", "threat.technique.subtechnique.reference",
        "package.name", "package.version", "package.path", "package.installed", "process.name",
        "process.executable", "related.hosts", "related.ip", "related.user", "tags",
    ];
    /// ECS 9.4.0 fields outside the notes' list that the emitter writes, each an ECS field
    /// since 1.x: bytes per direction and in total, the user agent, the event's duration.
    #[rustfmt::skip]
    const EXTRA_FIELDS: &[&str] = &[
        "source.bytes", "destination.bytes", "network.bytes", "user_agent.original",
        "event.duration",
    ];
    /// Object fields whose keys are free: ECS `labels` (keyword values), and the custom
    /// namespace.
    const FREE_PREFIXES: &[&str] = &["labels.", "shadow_ai."];

    /// `event.type` values ECS 9.4.0 expects with each category the emitter uses (§2.2).
    #[rustfmt::skip]
    fn expected_types(category: &str) -> &'static [&'static str] {
        match category {
            "network" => &[
                "access", "allowed", "connection", "denied", "end", "info", "protocol",
                "start",
            ],
            "web" => &["access", "error", "info"],
            "package" => &["access", "change", "deletion", "info", "installation", "start"],
            other => panic!("category {other} not expected"),
        }
    }

    /// Leaf field paths of a document (arrays of scalars are leaves).
    fn leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(c, &p, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }

    fn check_fields(d: &Value) {
        let mut paths = Vec::new();
        leaves(d, "", &mut paths);
        for p in &paths {
            assert!(
                NOTES_FIELDS.contains(&p.as_str())
                    || EXTRA_FIELDS.contains(&p.as_str())
                    || FREE_PREFIXES.iter().any(|x| p.starts_with(x)),
                "{p}: not an ECS 9.4.0 field the emitter may write"
            );
        }
        let cats = d["event"]["category"].as_array().unwrap();
        for t in d["event"]["type"].as_array().unwrap() {
            assert!(
                cats.iter()
                    .any(|c| expected_types(c.as_str().unwrap()).contains(&t.as_str().unwrap())),
                "event.type {t} expected by none of {cats:?}"
            );
        }
        assert!(
            ["success", "failure", "unknown"].contains(&d["event"]["outcome"].as_str().unwrap())
        );
    }

    #[test]
    fn proxy_finding_allowed() {
        let f = finding();
        let d = document(&f, &summary());
        check_fields(&d);
        assert_eq!(d["event"]["kind"], "alert");
        assert_eq!(d["event"]["category"], json!(["network", "web"]));
        assert_eq!(d["event"]["type"], json!(["info", "allowed"]));
        assert_eq!(d["event"]["action"], "ai-service-allowed");
        assert_eq!(d["event"]["outcome"], "success");
        assert_eq!(d["event"]["module"], "shadow_ai");
        assert_eq!(d["event"]["dataset"], "shadow_ai.finding");
        assert_eq!(d["event"]["id"], f.id.as_str());
        assert_eq!(
            (&d["event"]["severity"], &d["event"]["risk_score"]),
            (&json!(3), &json!(47))
        );
        assert_eq!(d["ecs"]["version"], "9.4.0");
        assert_eq!(d["@timestamp"], "2026-11-27T09:00:05Z");
        assert_eq!(d["event"]["start"], "2026-11-27T09:00:01.120Z");
        assert_eq!(d["event"]["end"], "2026-11-27T09:00:05Z");
        assert_eq!(d["event"]["duration"], 3_880_000_000_u64);
        assert_eq!(d["event"]["created"], "2026-11-27T17:20:00Z");
        assert_eq!(d["rule"]["id"], "openai-chatgpt");
        assert_eq!(d["rule"]["version"], "2026.11.27");
        assert_eq!(d["user"]["name"], "alice");
        assert_eq!(d["source"]["ip"], "10.1.2.3");
        assert_eq!(
            d["destination"],
            json!({ "domain": "ab.chatgpt.com", "bytes": 6144 })
        );
        assert!(d.get("network").is_none(), "bytes out not logged");
        assert_eq!(d["url"]["domain"], "ab.chatgpt.com");
        assert!(d.get("dns").is_none());
        assert_eq!(d["user_agent"]["original"], "codex_cli_rs/0.46.0");
        assert_eq!(
            d["related"]["hosts"],
            json!(["ab.chatgpt.com", "chatgpt.com"])
        );
        assert_eq!(d["related"]["user"], json!(["alice"]));
        assert_eq!(d["observer"]["product"], "shadow-ai");
        assert_eq!(
            d["shadow_ai"]["service"]["governance"]["trains_on_user_input"],
            "opt-out"
        );
        assert_eq!(d["labels"]["ai_service_id"], "openai-chatgpt");
        assert_eq!(
            d["labels"]["sanction_status"], "unsanctioned",
            "no policy applied"
        );
        assert!(d.get("threat").is_none());
    }

    #[test]
    fn dns_finding_blocked() {
        let mut f = finding();
        f.subject = Subject {
            kind: SubjectKind::Client,
            value: "192.168.1.34".into(),
        };
        f.clients.clear();
        f.observed_as = vec!["dns_query", "dns_response"];
        f.actions = BTreeMap::from([("blocked", 2), ("unknown", 2)]);
        f.bytes_in = None;
        f.matched.truncate(1);
        let d = document(&f, &summary());
        check_fields(&d);
        assert_eq!(d["event"]["kind"], "alert");
        assert_eq!(d["event"]["category"], json!(["network"]));
        assert_eq!(d["event"]["type"], json!(["info", "denied"]));
        assert_eq!(d["event"]["action"], "ai-service-blocked");
        assert_eq!(d["event"]["outcome"], "failure");
        assert_eq!(
            (&d["event"]["severity"], &d["event"]["risk_score"]),
            (&json!(2), &json!(21))
        );
        assert_eq!(d["source"], json!({ "ip": "192.168.1.34" }));
        assert!(d.get("user").is_none() && d.get("url").is_none());
        assert_eq!(d["dns"]["question"]["name"], "ab.chatgpt.com");
        assert_eq!(d["destination"]["domain"], "ab.chatgpt.com");
        assert_eq!(d["related"]["ip"], json!(["192.168.1.34"]));
    }

    #[test]
    fn mixed_decisions_bytes_and_path() {
        let mut f = finding();
        f.actions = BTreeMap::from([("allowed", 1), ("blocked", 1)]);
        f.bytes_out = Some(100);
        f.clients = vec!["10.0.0.1".into(), "vpn-gw".into()];
        f.matched = vec![Matched {
            field: Field::Path,
            value: "/backend-api/codex/".into(),
            indicator: "path:/backend-api/codex/".into(),
            confidence: Confidence::High,
            events: 2,
        }];
        let d = document(&f, &summary());
        check_fields(&d);
        assert_eq!(d["event"]["type"], json!(["info"]));
        assert_eq!(d["event"]["action"], "ai-service-use");
        assert_eq!(d["event"]["outcome"], "unknown");
        assert_eq!(
            d["source"],
            json!({ "bytes": 100 }),
            "two clients: no single source"
        );
        assert_eq!(d["destination"], json!({ "bytes": 6144 }));
        assert_eq!(d["network"]["bytes"], 6244);
        assert_eq!(d["url"], json!({ "path": "/backend-api/codex/" }));
        assert_eq!(d["related"]["ip"], json!(["10.0.0.1"]));
        assert_eq!(d["related"]["hosts"], json!(["vpn-gw"]));
    }

    #[test]
    fn policy_verdict_sets_scores_and_labels() {
        let mut f = finding();
        f.policy = Some(verdict(Status::Sanctioned));
        let d = document(&f, &summary());
        check_fields(&d);
        assert_eq!(
            (&d["event"]["severity"], &d["event"]["risk_score"]),
            (&json!(1), &json!(21))
        );
        assert_eq!(d["labels"]["sanction_status"], "sanctioned");
        assert_eq!(d["shadow_ai"]["policy"]["rule"], "org.toml#policy[1]");
        let mut v = verdict(Status::BlockedButUsed);
        v.department.as_mut().unwrap().sensitive = true;
        f.policy = Some(v);
        f.actions = BTreeMap::from([("allowed", 3), ("blocked", 1)]);
        let d = document(&f, &summary());
        assert_eq!(
            (&d["event"]["severity"], &d["event"]["risk_score"]),
            (&json!(4), &json!(73))
        );
        assert_eq!(d["event"]["type"], json!(["info"]), "decisions differ");
    }

    #[test]
    fn writes_one_document_per_line_and_no_summary() {
        let fs = [finding()];
        let mut out = Vec::new();
        write(&mut out, &fs, &summary()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let d: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(d["event"]["kind"], "alert");
    }
}
