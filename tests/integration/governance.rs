//! Register and intake entries from a scan with the example organisation's policy.

use crate::util::{data, repo, run, s, sorted_names};

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
owner = "gov@example.com"
[[policy]]
service = "anthropic-claude"
status = "blocked"
reason = "not assessed"
owner = "ciso@example.com"
[risk]
trusted_jurisdictions = ["US"]
"#;

#[test]
fn out_dir_writes_register_and_intake_with_stable_ids() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("org.toml");
    std::fs::write(&rules, ORG).unwrap();
    let out = dir.path().join("out");
    let args = [
        "scan",
        &s(data("scan/access.log")),
        "-q",
        "--rules",
        &s(rules.clone()),
        "--out-dir",
        &s(out.clone()),
    ];
    let res = run(&args, None);
    assert_eq!(
        res.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(res.stdout.is_empty());
    let names = sorted_names(&out);
    assert_eq!(
        names,
        [
            "findings.ecs.jsonl",
            "findings.json",
            "findings.jsonl",
            "findings.ocsf.jsonl",
            "findings.txt",
            "intake",
            "intake.json",
            "register-ciso-assistant.csv",
            "register.csv",
            "register.json",
            "report.html"
        ]
    );
    let register: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("register.json")).unwrap()).unwrap();
    let entries = register.as_array().unwrap();
    // openai-api is sanctioned: no entry. ChatGPT (unsanctioned) and Claude (blocked, and
    // the proxy logged a block: blocked_but_used) each get one.
    let ids: Vec<&str> = entries
        .iter()
        .map(|e| e["ai_system"]["service_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["anthropic-claude", "openai-chatgpt"]);
    let claude = &entries[0];
    assert_eq!(claude["status"], "candidate");
    assert_eq!(claude["risk_source"], "shadow AI");
    assert_eq!(
        claude["title"],
        "Unsanctioned use of Claude (Anthropic) by 1 subject"
    );
    assert_eq!(claude["treatment"]["option"], "avoid");
    assert_eq!(claude["owner"], "ciso@example.com");
    assert_eq!(claude["evidence"]["statuses"]["blocked_but_used"], 1);
    let annex: Vec<&str> = claude["frameworks"]["iso42001_annex_a"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        annex,
        ["A.2.2", "A.5.2", "A.9.2", "A.9.4", "A.10.3", "A.8.4"]
    );
    let clauses: Vec<&str> = claude["frameworks"]["iso42001_clauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(clauses, ["4.3", "5.2", "6.1.2", "6.1.3", "6.1.4", "8.2"]);
    // No API traffic was seen for a chat assistant: no ATLAS technique is claimed.
    assert_eq!(claude["frameworks"]["mitre_atlas"], serde_json::json!([]));
    let chat = &entries[1];
    // Alice is in a sensitive department, so the sensitive-department factor is 100.
    let sub = chat["assessment"]["subscores"].as_array().unwrap();
    let sens = sub
        .iter()
        .find(|x| x["factor"] == "sensitive_department")
        .unwrap();
    assert_eq!(
        (sens["score"].as_u64(), sens["reason"].as_str()),
        (Some(100), Some("used in sensitive departments: Research"))
    );
    let uploads = sub.iter().find(|x| x["factor"] == "uploads").unwrap();
    assert!(
        uploads["score"].is_null(),
        "CONNECT only: uploads are not visible"
    );
    let triage: Vec<(&str, &str)> = chat["assessment"]["triage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["question"].as_str().unwrap(),
                t["answer"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(triage[1], ("who is affected", "high"));
    assert_eq!(triage[2], ("decision significance", "medium"));

    let intake: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("intake.json")).unwrap()).unwrap();
    let intake = intake.as_array().unwrap();
    assert_eq!(intake.len(), 2);
    assert_eq!(intake[0]["triage"]["recommended_decision"], "block");
    assert_eq!(intake[0]["triage"]["linked_risk_ids"][0], claude["id"]);
    assert_eq!(claude["intake_id"], intake[0]["id"]);
    let md = std::fs::read_to_string(out.join("intake").join(format!(
        "{}-openai-chatgpt.md",
        intake[1]["id"].as_str().unwrap()
    )))
    .unwrap();
    assert!(
        md.starts_with("# AI use-case intake: ChatGPT (OpenAI) use, discovered\n"),
        "{md}"
    );
    assert!(md.contains("## Questions for the requester"), "{md}");
    assert!(
        md.contains("- [ ] replace_with_sanctioned_alternative"),
        "{md}"
    );

    let ciso = std::fs::read_to_string(out.join("register-ciso-assistant.csv")).unwrap();
    let header = ciso.lines().next().unwrap();
    assert_eq!(
        header,
        "ref_id,name,description,inherent_proba,inherent_impact,existing_controls,current_proba,current_impact,additional_controls,treatment,assets,filtering_labels,justification"
    );
    assert!(ciso.contains(",avoid,Claude,shadow-ai|tier-"), "{ciso}");

    // A second run gives the same ids, and a service that left the scan loses its Markdown.
    std::fs::write(
        out.join("intake").join("SAI-I-000000000000-gone.md"),
        "stale",
    )
    .unwrap();
    run(&args, None);
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("register.json")).unwrap()).unwrap();
    let id = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(id(&register), id(&again));
    assert!(
        !out.join("intake")
            .join("SAI-I-000000000000-gone.md")
            .exists()
    );
}

#[test]
fn example_policy_on_example_logs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let res = run(
        &[
            "scan",
            &s(repo("examples")),
            "-q",
            "--rules",
            &s(repo("rules/examples/acme.toml")),
            "--out-dir",
            &s(out.clone()),
            "--outputs",
            "register-json,intake-json",
        ],
        None,
    );
    assert_eq!(res.status.code(), Some(1));
    let names = sorted_names(&out);
    assert_eq!(names, ["intake.json", "register.json"]);
    let register: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("register.json")).unwrap()).unwrap();
    for e in register.as_array().unwrap() {
        let a = &e["assessment"];
        let (l, i) = (
            a["likelihood"]["value"].as_u64().unwrap(),
            a["impact"]["value"].as_u64().unwrap(),
        );
        assert_eq!(a["inherent_score"].as_u64().unwrap(), l * i, "{}", e["id"]);
        assert!((1..=3).contains(&a["tier"].as_u64().unwrap()));
        assert_eq!(a["triage"].as_array().unwrap().len(), 3);
        assert!(e["id"].as_str().unwrap().starts_with("SAI-R-"));
        // Every service in the register is one the policy does not sanction.
        assert_ne!(e["ai_system"]["service_id"], "microsoft-365-copilot");
    }
    // DeepSeek is blocked by the example policy and the proxy logged blocks.
    let ds = register
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ai_system"]["service_id"] == "deepseek-chat")
        .unwrap();
    assert_eq!(ds["treatment"]["option"], "avoid");
    assert_eq!(ds["owner"], "ciso@acme.example");
}
