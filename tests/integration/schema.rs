//! Output validated against the JSON Schema shipped in packaging/schema.

use crate::util::{data, repo, run, stdout_records};

fn schema() -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(repo("packaging/schema/findings-v1.schema.json")).unwrap(),
    )
    .unwrap()
}

fn check(validator: &jsonschema::Validator, v: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{v:#}");
}

#[test]
fn jsonl_records_validate() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let out = run(
        &[
            "scan",
            &data("scan/access.log").display().to_string(),
            "/nonexistent/x.log",
            "-q",
        ],
        None,
    );
    let recs = stdout_records(&out);
    assert_eq!(recs.len(), 4);
    for r in &recs {
        check(&validator, r);
    }
    // The schema is strict enough to reject a record that breaks the contract.
    let mut bad = recs[0].clone();
    bad["events"] = serde_json::json!(-1);
    assert!(!validator.is_valid(&bad));
    let mut bad = recs[0].clone();
    bad["surprise"] = serde_json::json!(true);
    assert!(!validator.is_valid(&bad));
}

#[test]
fn json_document_validates() {
    let mut s = schema();
    s.as_object_mut().unwrap().remove("oneOf");
    s["$ref"] = serde_json::json!("#/$defs/document");
    let validator = jsonschema::validator_for(&s).unwrap();
    let out = run(
        &[
            "scan",
            &data("scan/access.log").display().to_string(),
            "-q",
            "--format-out",
            "json",
        ],
        None,
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check(&validator, &doc);
}

/// Capture findings (packet evidence, capture statistics, `connection` observations, skipped
/// records located by byte offset) fit the same schema.
#[test]
fn capture_records_validate() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut inside the last record, so a skip example carries a byte offset.
    let full = std::fs::read(data("pcap/ai/clients.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &full[..full.len() - 10]).unwrap();
    let out = run(
        &[
            "scan",
            &data("pcap/ai/clients.pcap").display().to_string(),
            &data("pcap/ai/chromium.pcapng").display().to_string(),
            &cut.display().to_string(),
            "-q",
        ],
        None,
    );
    let recs = stdout_records(&out);
    let observed: std::collections::BTreeSet<String> = recs
        .iter()
        .filter_map(|r| r["observed_as"].as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert!(observed.contains("connection") && observed.contains("tls_server_name"));
    let summary = recs.last().unwrap();
    let cut_input = summary["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("cut.pcap"))
        .unwrap();
    assert!(cut_input["skip_examples"][0]["offset"].is_u64());
    for r in &recs {
        check(&validator, r);
    }
}

/// Endpoint findings (artefact evidence, walk statistics, `software` observations) fit the
/// schema too.
#[test]
fn endpoint_records_validate() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    crate::endpoint::endpoint_tree(dir.path());
    let out = run(
        &[
            "scan",
            "-q",
            "--no-state",
            "--endpoint",
            &format!("pc={}", dir.path().display()),
        ],
        None,
    );
    let recs = stdout_records(&out);
    assert_eq!(recs.len(), 6, "5 findings and the summary");
    for r in &recs {
        check(&validator, r);
    }
}
