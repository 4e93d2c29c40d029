//! The binary: exit statuses, stdin, output files and formats, signature commands.

use crate::util::{data, findings, repo, run, s, stdout_records, summary};

#[test]
fn findings_exit_1_and_jsonl_on_stdout() {
    let out = run(
        &["scan", &s(data("scan/access.log")), "--no-progress"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = stdout_records(&out);
    assert_eq!(findings(&recs).len(), 3);
    assert_eq!(recs.last().unwrap()["record_type"], "summary");
    let sum = summary(&recs);
    assert_eq!(sum["totals"]["records"], 8);
    assert_eq!(sum["totals"]["skipped"], 1);
    let f = findings(&recs)[0];
    assert_eq!(f["signature_set"]["sha256"], sum["signature_set"]["sha256"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("AI services seen (3)"), "{err}");
    assert!(
        err.contains("proxy.squid: 8 records: 4 matched, 3 unmatched, 1 skipped"),
        "{err}"
    );
    assert!(
        err.contains("access.log:5: squid"),
        "skip example names file:line: {err}"
    );
}

#[test]
fn fail_on_never_exits_0_and_no_ai_exits_0() {
    let out = run(
        &[
            "scan",
            &s(data("scan/access.log")),
            "--fail-on",
            "never",
            "-q",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "--quiet prints nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = b"1795770002.500     12 10.1.2.3 TCP_MISS/200 830 GET http://www.example.com/ - HIER_DIRECT/93.184.216.34 text/html\n";
    let out = run(&["scan", "-", "-q"], Some(plain));
    assert_eq!(out.status.code(), Some(0));
    let recs = stdout_records(&out);
    assert_eq!(findings(&recs).len(), 0);
    assert_eq!(summary(&recs)["inputs"][0]["path"], "<stdin>");
}

#[test]
fn stdin_is_read_and_detected() {
    let input = std::fs::read(data("scan/access.log")).unwrap();
    let out = run(&["scan", "-", "-q"], Some(&input));
    assert_eq!(out.status.code(), Some(1));
    let recs = stdout_records(&out);
    assert_eq!(findings(&recs).len(), 3);
    assert_eq!(summary(&recs)["inputs"][0]["format"], "proxy.squid");
    assert_eq!(findings(&recs)[0]["evidence"][0]["file"], "<stdin>");
}

#[test]
fn unreadable_input_exits_2_and_the_rest_is_still_scanned() {
    let out = run(
        &[
            "scan",
            "/nonexistent/shadow-ai/input.log",
            &s(data("scan/access.log")),
            "-q",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let recs = stdout_records(&out);
    assert_eq!(findings(&recs).len(), 3);
    let inputs = summary(&recs)["inputs"].as_array().unwrap().clone();
    let bad = inputs
        .iter()
        .find(|i| i["path"] == "/nonexistent/shadow-ai/input.log")
        .unwrap();
    assert_eq!(bad["status"], "error");
    assert!(
        bad["error"].as_str().unwrap().contains("No such file"),
        "{bad}"
    );
}

#[test]
fn output_file_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.json");
    let out = run(
        &[
            "scan",
            &s(data("scan/access.log")),
            "-q",
            "--format-out",
            "json",
            "-o",
            &s(path.clone()),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
    assert_eq!(doc["schema_version"], 1);
    // No temporary file is left beside the output.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["findings.json"]);

    let out = run(
        &[
            "scan",
            &s(data("scan/access.log")),
            "-q",
            "--format-out",
            "table",
        ],
        None,
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let first: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        first,
        [
            "SERVICE", "CATEGORY", "SUBJECT", "EVENTS", "FIRST", "SEEN", "LAST", "SEEN", "ACTIONS"
        ]
    );
    assert!(table.contains("user:alice"), "{table}");
}

#[test]
fn forced_format_reads_what_detection_would_not() {
    let out = run(
        &[
            "scan",
            &s(data("scan/access.log")),
            "--format",
            "no.such",
            "-q",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --format \"no.such\""));
}

#[test]
fn shipped_signatures_check_passes_and_list_shows_them() {
    let out = run(&["signatures", "check", &s(repo("signatures"))], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("all pass"), "{text}");
    let out = run(&["signatures", "list", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let services: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(services.len() >= 60, "{} services", services.len());
    let chatgpt = services
        .iter()
        .find(|s| s["id"] == "openai-chatgpt")
        .unwrap();
    assert_eq!(chatgpt["vendor"], "OpenAI");
}

#[test]
fn broken_signature_folder_is_reported_with_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        "schema = 1\nvendor = \"Acme\"\nvendor_id = \"acme\"\n[[service]]\nid = \"acme-bot\"\nname = \"Bot\"\ncategory = \"chat-assistant\"\ndescription = \"d\"\nindicators = [{ domain = \"gemini.com\", confidence = \"certain\" }]\nexamples = { match = [\"gemini.com\"], no_match = [\"x.example\"] }\n",
    )
    .unwrap();
    let out = run(&["signatures", "check", &s(dir.path())], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("acme.toml: acme-bot: confidence \"certain\" is not one of high, medium, low"),
        "{err}"
    );
}

const ACME: &str = r#"schema = 1
vendor = "Acme"
vendor_id = "acme"

[[service]]
id = "acme-gateway"
name = "Acme LLM gateway"
category = "model-api"
description = "An internal gateway the organisation tracks too."
indicators = [{ host = "www.example.com", confidence = "high" }]
examples = { match = ["www.example.com"], no_match = ["example.com"] }
"#;

#[test]
fn signature_folders_add_to_or_replace_the_builtin_set() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme.toml"), ACME).unwrap();
    let sigs = s(dir.path());
    let log = s(data("scan/access.log"));
    let out = run(&["scan", &log, "-q", "--signatures", &sigs], None);
    let recs = stdout_records(&out);
    let ids: Vec<&str> = findings(&recs)
        .iter()
        .map(|f| f["service"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "acme-gateway",
            "anthropic-claude",
            "openai-api",
            "openai-chatgpt"
        ]
    );
    assert_eq!(
        summary(&recs)["signature_set"]["version"],
        format!("2026.11.27+custom:{sigs}")
    );
    let out = run(
        &[
            "scan",
            &log,
            "-q",
            "--signatures",
            &sigs,
            "--no-builtin-signatures",
        ],
        None,
    );
    let recs = stdout_records(&out);
    let ids: Vec<&str> = findings(&recs)
        .iter()
        .map(|f| f["service"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme-gateway"]);
    assert_eq!(summary(&recs)["signature_set"]["services"], 1);
}

#[test]
fn compressed_stdin_is_decompressed() {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&std::fs::read(data("scan/access.log")).unwrap())
        .unwrap();
    let out = run(&["scan", "-", "-q"], Some(&e.finish().unwrap()));
    let recs = stdout_records(&out);
    assert_eq!(findings(&recs).len(), 3);
    assert_eq!(summary(&recs)["inputs"][0]["compression"], "gzip");
    assert_eq!(summary(&recs)["inputs"][0]["records"], 8);
}

const SANCTION_ALL: &str = r#"schema = 1
[[policy]]
service = "openai-chatgpt"
status = "sanctioned"
reason = "enterprise workspace"
[[policy]]
service = "openai-api"
status = "tolerated"
reason = "API pilot"
[[exclusion]]
id = "bob"
reason = "red team"
users = ["bob"]
"#;

#[test]
fn policy_decides_status_and_exit() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("org.toml");
    std::fs::write(&rules, SANCTION_ALL).unwrap();
    let log = s(data("scan/access.log"));
    // Default policy: nothing is sanctioned.
    let out = run(&["scan", &log], None);
    assert_eq!(out.status.code(), Some(1));
    let recs = stdout_records(&out);
    let st: Vec<&str> = findings(&recs)
        .iter()
        .map(|f| f["policy"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(st, ["blocked_but_used", "unsanctioned", "unsanctioned"]);
    assert_eq!(
        summary(&recs)["policy"]["files"][0],
        "<builtin>/default.toml"
    );
    // With the organisation's rules: sanctioned, tolerated, and bob's blocked Claude use
    // excluded, so nothing fails the default --fail-on.
    let out = run(&["scan", &log, "--rules", &s(rules.clone())], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = stdout_records(&out);
    let st: Vec<(&str, &str, bool)> = findings(&recs)
        .iter()
        .map(|f| {
            (
                f["service"]["id"].as_str().unwrap(),
                f["policy"]["status"].as_str().unwrap(),
                f["policy"]["excluded"].is_object(),
            )
        })
        .collect();
    assert_eq!(
        st,
        [
            ("anthropic-claude", "blocked_but_used", true),
            ("openai-api", "tolerated", false),
            ("openai-chatgpt", "sanctioned", false)
        ]
    );
    assert_eq!(findings(&recs)[2]["policy"]["rule"], "org.toml#policy[0]");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("1 blocked_but_used, 1 sanctioned, 1 tolerated; 1 excluded"),
        "{err}"
    );
    let out = run(
        &[
            "scan",
            &log,
            "-q",
            "--rules",
            &s(rules.clone()),
            "--fail-on",
            "any",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    // A broken rules file stops the scan before it starts.
    std::fs::write(&rules, SANCTION_ALL.replace("openai-api", "openai-apx")).unwrap();
    let out = run(&["scan", &log, "--rules", &s(rules)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("policy[1]: service \"openai-apx\" is not in the signature set")
    );
}

#[test]
fn rules_check_runs_the_shipped_examples() {
    let out = run(
        &["rules", "check", &s(repo("rules/examples/acme.toml"))],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("3 departments, 1 exclusions, 6 policy rules, 8 tests: all pass")
    );
    let out = run(&["rules", "check"], None);
    assert_eq!(out.status.code(), Some(0));
}
