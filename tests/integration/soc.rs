//! SOC formats (`--format-out ocsf`, `--format-out ecs`) from a real scan: the required
//! OCSF Detection Finding attributes and exact ids, the ECS categorization and field names.
//! Field lists come from the research notes (`research/outputs.md` §1.3, §2.2–2.4).

use crate::util::{data, run, sorted_names};
use serde_json::{Value, json};
use shadow_ai::emit::ocsf::OcsfVersion;
use shadow_ai::emit::{self, EmitOptions, OutputFormat, Report};
use shadow_ai::policy::{Day, RuleSource};
use shadow_ai::scan::{self, ScanOptions};
use shadow_ai::signature::SignatureSource;
use shadow_ai::source::expand;

/// An organisation's policy: the API sanctioned, Claude blocked, alice in a sensitive
/// department.
const ORG: &str = r#"schema = 1
[[department]]
id = "research"
name = "Research"
sensitive = true
users = ["alice"]
[[policy]]
service = "openai-api"
status = "sanctioned"
reason = "enterprise API contract"
[[policy]]
service = "anthropic-claude"
status = "blocked"
reason = "not assessed"
"#;

/// Scans the Squid fixture and applies `rules` (the shipped policy when `None`), as the
/// scan command does.
fn scan_fixture(rules: Option<&str>) -> scan::ScanOutput {
    let sigs = SignatureSource::builtin()
        .compile()
        .expect("built-in signatures compile");
    let (inputs, errors) = expand(&[data("scan/access.log")]);
    let mut out = scan::run(&inputs, &errors, &sigs, &ScanOptions::default());
    let mut src = match rules {
        None => RuleSource::builtin(),
        Some(_) => RuleSource::default(),
    };
    if let Some(text) = rules {
        src.add_text("org.toml", text);
    }
    let (policy, _) = src.compile(&sigs).expect("rules compile");
    let today = Day::of(out.summary.started.unwrap());
    out.summary.policy = Some(policy.apply(&mut out.findings, today));
    out
}

fn lines(format: OutputFormat, out: &scan::ScanOutput, opts: &EmitOptions) -> Vec<Value> {
    let report = Report {
        findings: &out.findings,
        summary: &out.summary,
        register: &[],
        intake: &[],
        trend: &[],
        inventory: &[],
    };
    let mut buf = Vec::new();
    emit::write(format, &mut buf, &report, opts).unwrap();
    String::from_utf8(buf)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect()
}

/// JSON kinds of OCSF types: integer_t / long_t / timestamp_t, string_t, objects.
#[derive(Copy, Clone, Debug)]
enum Kind {
    Int,
    Str,
    Obj,
}

/// What Detection Finding 1.8.0 requires (notes §1.3): the class's required attributes,
/// then those required in `finding_info` and `metadata`.
const OCSF_REQUIRED: &[(&str, Kind)] = &[
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

fn ms(t: shadow_ai::time::Timestamp) -> i64 {
    t.0.div_euclid(1000)
}

#[test]
fn ocsf_detection_findings() {
    let out = scan_fixture(None);
    let recs = lines(OutputFormat::Ocsf, &out, &EmitOptions::default());
    // One record per finding and nothing else: no summary record.
    assert_eq!(recs.len(), out.findings.len());
    assert_eq!(recs.len(), 3);
    let started = ms(out.summary.started.unwrap());
    for (r, f) in recs.iter().zip(&out.findings) {
        for (path, kind) in OCSF_REQUIRED {
            let v = get(r, path).unwrap_or_else(|| panic!("{path} missing in {r}"));
            let ok = match kind {
                Kind::Int => v.is_i64() || v.is_u64(),
                Kind::Str => v.is_string(),
                Kind::Obj => v.is_object(),
            };
            assert!(ok, "{path} = {v} is not {kind:?}");
        }
        assert_eq!(r["class_uid"], 2004);
        assert_eq!(r["category_uid"], 2);
        assert_eq!(r["type_uid"], 200401);
        assert_eq!(r["activity_id"], 1);
        assert_eq!(r["status_id"], 1);
        assert_eq!(r["finding_info"]["uid"], f.id.as_str());
        assert_eq!(r["metadata"]["version"], "1.8.0");
        assert_eq!(
            r["time"], started,
            "the scan's start: when the finding was made"
        );
        assert_eq!(r["count"], f.events);
        assert_eq!(r["start_time"], ms(f.first_seen.unwrap()));
        assert_eq!(r["end_time"], ms(f.last_seen.unwrap()));
        assert_eq!(
            r["unmapped"]["shadow_ai"]["signature_set"]["sha256"],
            out.summary.signature_set.sha256.as_str()
        );
    }
    let by = |service: &str| {
        recs.iter()
            .find(|r| r["finding_info"]["analytic"]["uid"] == service)
            .unwrap_or_else(|| panic!("no {service} record"))
    };
    // The shipped policy sanctions nothing. bob's only attempt was denied by the proxy
    // (TCP_DENIED/403): use of a blocked service, but nothing reached it.
    let claude = by("anthropic-claude");
    assert_eq!(
        claude["finding_info"]["title"],
        "Blocked AI service used: Claude"
    );
    assert_eq!(claude["is_alert"], true);
    assert_eq!(claude["severity_id"], 2);
    assert_eq!(claude["disposition_id"], 2);
    assert_eq!(claude["action_id"], 2);
    assert_eq!(claude["metadata"]["profiles"], json!(["security_control"]));
    assert_eq!(claude["evidences"][0]["actor"]["user"]["name"], "bob");
    assert_eq!(claude["evidences"][0]["src_endpoint"]["ip"], "10.1.2.5");
    // A client without a user name, unsanctioned.
    let api = by("openai-api");
    assert_eq!(
        (&api["severity_id"], &api["disposition_id"]),
        (&json!(3), &json!(1))
    );
    assert_eq!(
        api["finding_info"]["tags"][0],
        json!({ "name": "sanction_status", "value": "unsanctioned" })
    );
    assert_eq!(api["evidences"][0]["src_endpoint"]["ip"], "10.1.2.4");
    assert!(api["evidences"][0].get("actor").is_none());
    assert_eq!(
        api["evidences"][0]["dst_endpoint"]["hostname"],
        "api.openai.com"
    );
    // alice: two hosts under one indicator, two log lines.
    let chat = by("openai-chatgpt");
    let obs: Vec<(&Value, &Value)> = chat["observables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (&o["type_id"], &o["value"]))
        .collect();
    assert_eq!(
        obs,
        [
            (&json!(4), &json!("alice")),
            (&json!(2), &json!("10.1.2.3")),
            (&json!(1), &json!("ab.chatgpt.com")),
            (&json!(1), &json!("chatgpt.com")),
        ]
    );
    let refs: Vec<&str> = chat["evidences"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["uid"].as_str())
        .collect();
    assert_eq!(refs.len(), 2);
    assert!(refs[0].ends_with("access.log:1") && refs[1].ends_with("access.log:6"));
}

#[test]
fn ocsf_severity_follows_the_policy() {
    let out = scan_fixture(Some(ORG));
    let recs = lines(OutputFormat::Ocsf, &out, &EmitOptions::default());
    let got: Vec<(&str, u64, bool, &str)> = recs
        .iter()
        .map(|r| {
            (
                r["finding_info"]["analytic"]["uid"].as_str().unwrap(),
                r["severity_id"].as_u64().unwrap(),
                r["is_alert"].as_bool().unwrap(),
                r["unmapped"]["shadow_ai"]["policy"]["status"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // Blocked by rule and by the proxy: every attempt failed.
            ("anthropic-claude", 2, true, "blocked_but_used"),
            ("openai-api", 1, false, "sanctioned"),
            // Unsanctioned, by a member of a sensitive department.
            ("openai-chatgpt", 4, true, "unsanctioned"),
        ]
    );
    let api = &recs[1];
    assert!(api.get("remediation").is_none());
    assert_eq!(
        api["finding_info"]["title"],
        "Sanctioned AI service in use: OpenAI API"
    );
}

#[test]
fn ocsf_target_version_is_honoured() {
    let out = scan_fixture(None);
    let old = EmitOptions {
        ocsf_version: OcsfVersion::V1_4_0,
    };
    for r in lines(OutputFormat::Ocsf, &out, &old) {
        assert_eq!(r["metadata"]["version"], "1.4.0");
        // Evidence name/uid came in 1.5.0, resource roles in 1.6.0.
        for e in r["evidences"].as_array().unwrap() {
            assert!(e.get("name").is_none() && e.get("uid").is_none(), "{e}");
        }
        assert!(r["resources"][0].get("role_id").is_none());
    }
}

/// ECS 9.4.0 fields the notes list (§2.3 and §2.4's alert), flattened.
#[rustfmt::skip]
const ECS_NOTES_FIELDS: &[&str] = &[
    "@timestamp", "ecs.version", "message", "event.kind", "event.category", "event.type",
    "event.outcome", "event.id", "event.action", "event.dataset", "event.module",
    "event.provider", "event.severity", "event.risk_score", "event.risk_score_norm",
    "event.created", "event.start", "event.end", "event.reason", "event.reference", "event.url",
    "dns.question.name", "dns.question.registered_domain", "dns.question.type", "dns.type",
    "dns.response_code", "dns.resolved_ip", "url.domain", "url.registered_domain", "url.full",
    "url.original", "url.path", "destination.domain", "destination.ip", "destination.port",
    "destination.registered_domain", "source.ip", "source.port", "source.domain", "user.name",
    "user.id", "user.domain", "user.email", "host.name", "host.hostname", "host.id", "host.ip",
    "host.os.type", "observer.vendor", "observer.product", "observer.type", "observer.name",
    "observer.version", "rule.id", "rule.uuid", "rule.name", "rule.category", "rule.ruleset",
    "rule.version", "rule.description", "rule.reference", "rule.author", "rule.license",
    "threat.framework", "threat.tactic.id", "threat.tactic.name", "threat.tactic.reference",
    "threat.technique.id", "threat.technique.name", "threat.technique.reference",
    "threat.technique.subtechnique.id", "threat.technique.subtechnique.name",
    "threat.technique.subtechnique.reference", "package.name", "package.version",
    "package.path", "package.installed", "process.name", "process.executable",
    "related.hosts", "related.ip", "related.user", "tags",
];
/// ECS fields outside the notes' list the emitter writes (documented in `emit/ecs.rs`).
const ECS_EXTRA_FIELDS: &[&str] = &[
    "source.bytes",
    "destination.bytes",
    "network.bytes",
    "user_agent.original",
    "event.duration",
];
/// `labels` takes free keys; `shadow_ai` is the documented custom namespace.
const ECS_FREE_PREFIXES: &[&str] = &["labels.", "shadow_ai."];

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

#[test]
fn ecs_alert_documents() {
    let out = scan_fixture(None);
    let docs = lines(OutputFormat::Ecs, &out, &EmitOptions::default());
    assert_eq!(docs.len(), out.findings.len());
    for (d, f) in docs.iter().zip(&out.findings) {
        let mut paths = Vec::new();
        leaves(d, "", &mut paths);
        for p in &paths {
            assert!(
                ECS_NOTES_FIELDS.contains(&p.as_str())
                    || ECS_EXTRA_FIELDS.contains(&p.as_str())
                    || ECS_FREE_PREFIXES.iter().any(|x| p.starts_with(x)),
                "{p}: not an ECS 9.4.0 field the emitter may write"
            );
        }
        assert_eq!(d["event"]["kind"], "alert");
        assert_eq!(d["event"]["id"], f.id.as_str());
        assert_eq!(d["ecs"]["version"], "9.4.0");
        assert_eq!(d["event"]["dataset"], "shadow_ai.finding");
        assert_eq!(d["@timestamp"], d["event"]["end"], "the last activity");
        assert_eq!(
            d["rule"]["version"],
            out.summary.signature_set.version.as_str()
        );
    }
    let cat = |service: &str| {
        let d = docs
            .iter()
            .find(|d| d["rule"]["id"] == service)
            .unwrap_or_else(|| panic!("no {service} document"));
        (
            d["event"]["category"].clone(),
            d["event"]["type"].clone(),
            d["event"]["outcome"].clone(),
            d,
        )
    };
    let (c, t, o, bob) = cat("anthropic-claude");
    assert_eq!(
        (c, t, o),
        (
            json!(["network", "web"]),
            json!(["info", "denied"]),
            json!("failure")
        )
    );
    assert_eq!(bob["user"]["name"], "bob");
    assert_eq!(bob["destination"]["domain"], "claude.ai");
    let (c, t, o, api) = cat("openai-api");
    assert_eq!(
        (c, t, o),
        (
            json!(["network", "web"]),
            json!(["info", "allowed"]),
            json!("success")
        )
    );
    assert_eq!(api["source"]["ip"], "10.1.2.4");
    assert!(api.get("user").is_none());
    assert_eq!(api["destination"]["bytes"], 20480);
    let (_, _, _, alice) = cat("openai-chatgpt");
    assert_eq!(alice["@timestamp"], "2026-11-27T09:00:05Z");
    assert_eq!(alice["event"]["start"], "2026-11-27T09:00:01.120Z");
}

#[test]
fn cli_soc_formats() {
    let log = data("scan/access.log").display().to_string();
    let out = run(
        &[
            "scan",
            &log,
            "--format-out",
            "ocsf",
            "--ocsf-version",
            "1.6.0",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "findings");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let recs: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| r["metadata"]["version"] == "1.6.0"));
    // The run summary still goes to standard error.
    assert!(String::from_utf8_lossy(&out.stderr).contains("Total: "));

    let out = run(&["scan", &log, "-q", "--format-out", "ecs"], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3);
    assert!(stdout.lines().all(|l| l.contains(r#""kind":"alert""#)));

    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = run(
        &[
            "scan",
            &log,
            "-q",
            "--out-dir",
            &out_dir.display().to_string(),
            "--outputs",
            "ocsf,ecs",
            "--ocsf-version",
            "1.7.0",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let names = sorted_names(&out_dir);
    assert_eq!(names, ["findings.ecs.jsonl", "findings.ocsf.jsonl"]);
    let ocsf = std::fs::read_to_string(out_dir.join("findings.ocsf.jsonl")).unwrap();
    assert_eq!(ocsf.lines().count(), 3);
    assert!(ocsf.contains(r#""version":"1.7.0""#));

    let out = run(
        &[
            "scan",
            &log,
            "--format-out",
            "ocsf",
            "--ocsf-version",
            "1.3.0",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unsupported version is refused"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1.4.0, 1.5.0, 1.6.0, 1.7.0, 1.8.0"), "{err}");
}
