//! `scan --endpoint`: a realistic endpoint tree built in a temporary folder (real manifest
//! layouts and field names), scanned end to end, with exact findings and the look-alikes
//! that must not match.

use crate::util::{run, s};
use serde_json::Value;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A small macOS-and-Linux-flavoured endpoint: one app bundle, alice's editor and browser,
/// bob's Python project, and look-alikes beside each.
pub(crate) fn endpoint_tree(root: &Path) {
    write(
        root,
        "Applications/ChatGPT.app/Contents/Info.plist",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleDisplayName</key>
	<string>ChatGPT</string>
	<key>CFBundleExecutable</key>
	<string>ChatGPT</string>
	<key>CFBundleIdentifier</key>
	<string>com.openai.chat</string>
	<key>CFBundleShortVersionString</key>
	<string>1.2025.350</string>
	<key>CFBundleVersion</key>
	<string>1765000000</string>
</dict>
</plist>
"#,
    );
    // A look-alike bundle id.
    write(
        root,
        "Applications/ChatGPT Helper.app/Contents/Info.plist",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>CFBundleIdentifier</key><string>com.example.chatgpt-helper</string>
<key>CFBundleShortVersionString</key><string>2.0</string></dict></plist>
"#,
    );
    write(
        root,
        "home/alice/.vscode/extensions/extensions.json",
        r#"[{"identifier":{"id":"github.copilot","uuid":"23c4aeee-f844-43cd-b53e-1113e483f1a6"},"version":"1.250.0","location":{"$mid":1,"fsPath":"/home/alice/.vscode/extensions/github.copilot-1.250.0","path":"/home/alice/.vscode/extensions/github.copilot-1.250.0","scheme":"file"},"relativeLocation":"github.copilot-1.250.0","metadata":{"installedTimestamp":1731000000000,"source":"gallery","id":"23c4aeee-f844-43cd-b53e-1113e483f1a6","publisherId":"7c1c19cd-78eb-4dfb-8999-99caf7679002","publisherDisplayName":"GitHub","targetPlatform":"undefined","isPreReleaseVersion":false,"pinned":false}},
{"identifier":{"id":"notcopilot.notcopilot"},"version":"1.0.0","relativeLocation":"notcopilot.notcopilot-1.0.0","metadata":{"source":"gallery"}}]"#,
    );
    write(
        root,
        "home/alice/.vscode/extensions/github.copilot-1.250.0/package.json",
        r#"{"name":"copilot","displayName":"GitHub Copilot","publisher":"GitHub","version":"1.250.0"}"#,
    );
    write(
        root,
        "home/alice/.vscode/extensions/notcopilot.notcopilot-1.0.0/package.json",
        r#"{"name":"notcopilot","displayName":"Not Copilot","publisher":"notcopilot","version":"1.0.0"}"#,
    );
    let ext = "home/alice/.config/google-chrome/Default/Extensions/fcoeoabgfenejglbffodgkkbkcdhcgfn/1.0.5_0";
    write(
        root,
        &format!("{ext}/manifest.json"),
        r#"{"manifest_version":3,"name":"__MSG_appName__","default_locale":"en","version":"1.0.5","background":{"service_worker":"sw.js"}}"#,
    );
    write(
        root,
        &format!("{ext}/_locales/en/messages.json"),
        r#"{"appName":{"message":"Claude","description":"Extension name"}}"#,
    );
    write(
        root,
        "home/bob/work/assistant/requirements.txt",
        "# service deps\nrequests==2.32.3\nopenai>=1.30  # the API client\nopenai-clone==0.1\n",
    );
    write(
        root,
        "home/bob/work/assistant/.venv/lib/python3.12/site-packages/anthropic-0.39.0.dist-info/METADATA",
        "Metadata-Version: 2.3\nName: anthropic\nVersion: 0.39.0\nSummary: The official Python library for the anthropic API\n\n",
    );
    write(
        root,
        "home/bob/work/assistant/.venv/lib/python3.12/site-packages/anthropics-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: anthropics\nVersion: 1.0\n\n",
    );
    write(
        root,
        "var/lib/dpkg/status",
        "Package: zstd\nStatus: install ok installed\nVersion: 1.5.4+dfsg2-5\nArchitecture: amd64\n\nPackage: curl\nStatus: deinstall ok config-files\nVersion: 7.88.1-10\n\n",
    );
}

/// (service id, subject, matched values) of every finding, sorted.
fn summary_of(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["service"]["id"].as_str().unwrap().to_string(),
                f["subject"]["value"].as_str().unwrap().to_string(),
                f["matched"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["value"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn endpoint_tree_gives_exact_findings_and_no_lookalikes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mac-042");
    endpoint_tree(&root);
    let out = run(
        &[
            "scan",
            "--no-state",
            "-q",
            "--format-out",
            "json",
            "--endpoint",
            &format!("mac-042={}", s(&root)),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = |a: &str, b: &str, c: &[&str]| {
        (
            a.to_string(),
            b.to_string(),
            c.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        summary_of(&doc),
        [
            v("anthropic-api", "bob", &["package:pypi:anthropic 0.39.0"]),
            v(
                "anthropic-claude",
                "alice",
                &["extension:chrome:fcoeoabgfenejglbffodgkkbkcdhcgfn 1.0.5"]
            ),
            v(
                "github-copilot",
                "alice",
                &["extension:vscode:github.copilot 1.250.0"]
            ),
            v("openai-api", "bob", &["package:pypi:openai >=1.30"]),
            // The app bundle is nobody's: the endpoint is the subject.
            v(
                "openai-chatgpt",
                "mac-042",
                &["bundle_id::com.openai.chat 1.2025.350"]
            ),
        ]
    );
    // Evidence names the artefact: endpoint, user, file, kind, version, detail.
    let copilot = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"]["id"] == "github-copilot")
        .unwrap();
    assert_eq!(copilot["subject"]["kind"], "user");
    assert_eq!(copilot["clients"], serde_json::json!(["mac-042"]));
    assert_eq!(copilot["observed_as"], serde_json::json!(["software"]));
    let ev = &copilot["evidence"][0];
    assert!(
        s(Path::new(ev["file"].as_str().unwrap())).starts_with(&s(&root)),
        "{ev}"
    );
    assert_eq!(ev["artifact"]["endpoint"], "mac-042");
    assert_eq!(ev["artifact"]["user"], "alice");
    assert_eq!(ev["artifact"]["kind"], "ide_extension");
    assert_eq!(
        ev["artifact"]["selector"],
        "extension:vscode:github.copilot"
    );
    assert_eq!(ev["artifact"]["version"], "1.250.0");
    assert_eq!(ev["artifact"]["name"], "GitHub Copilot");
    // The Chrome extension's name came from its _locales messages.
    let claude = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"]["id"] == "anthropic-claude")
        .unwrap();
    assert_eq!(claude["evidence"][0]["artifact"]["name"], "Claude");
    // Every artefact is a record; nothing was skipped; the walk is accounted for.
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["format"], "endpoint");
    let c = |k: &str| input[k].as_u64().unwrap();
    assert_eq!(c("records"), c("matched") + c("unmatched") + c("skipped"));
    assert_eq!(c("matched"), 5);
    assert_eq!(c("skipped"), 0);
    assert_eq!(input["endpoint"]["unreadable"], 0);
    assert_eq!(input["endpoint"]["symlinks"], 0);
}

#[test]
fn endpoint_outputs_validate_and_make_a_cyclonedx_bom() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("laptop");
    endpoint_tree(&root);
    let out_dir = dir.path().join("out");
    let out = run(
        &[
            "scan",
            "--no-state",
            "-q",
            "--endpoint",
            &format!("laptop={}", s(&root)),
            "--out-dir",
            &s(&out_dir),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let bom: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("endpoints.cdx.json")).unwrap())
            .unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["component"]["name"], "laptop");
    let names: std::collections::BTreeSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains("anthropic") && names.contains("GitHub Copilot"),
        "{names:?}"
    );
    let services: std::collections::BTreeSet<&str> = bom["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(services.len() >= 4, "{services:?}");
    // A scan without endpoints writes no BOM, and removes a stale one.
    let log = dir.path().join("empty.log");
    std::fs::write(&log, "").unwrap();
    let out = run(
        &[
            "scan",
            "--no-state",
            "-q",
            &s(&log),
            "--out-dir",
            &s(&out_dir),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!out_dir.join("endpoints.cdx.json").exists());
}

/// A key-shaped test value: the scan must report its provider, file, line and fingerprint,
/// never the value.
const FAKE_KEY: &str = "sk-proj-Zq8xT3BlbkFJ4u7vYc2Lm9Pq1Rs5Tu6Vw8Xy0Za3Bc5De7Fg9Hi";

#[test]
fn agents_local_models_and_keys_are_found_and_keys_masked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws-7");
    write(
        &root,
        "home/alice/.claude/settings.json",
        "{\"model\": \"sonnet\"}\n",
    );
    write(
        &root,
        "home/alice/.claude.json",
        &format!(
            r#"{{"numStartups": 3, "mcpServers": {{"github": {{"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{FAKE_KEY}"}}}}}}}}"#
        ),
    );
    write(
        &root,
        "home/bob/work/app/.env",
        &format!("DEBUG=1\nOPENAI_API_KEY={FAKE_KEY}\nANTHROPIC_API_KEY=your-key-here\n"),
    );
    write(
        &root,
        "home/bob/.ollama/models/manifests/registry.ollama.ai/library/llama3.2/latest",
        r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:34bb5ab01051a11372a91f95f3fbbc51173eed8e7f13ec395b9ae9b8bd0e242b","size":561},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":2019377376}]}"#,
    );
    // A GGUF v3 header (magic, version, tensor and metadata counts), padded past 1 MiB.
    let mut gguf = b"GGUF\x03\x00\x00\x00".to_vec();
    gguf.extend_from_slice(&[0u8; 16]);
    gguf.resize(1 << 21, 0);
    let model = root.join("home/carol/models/tinyllama-1.1b-chat.Q4_K_M.gguf");
    std::fs::create_dir_all(model.parent().unwrap()).unwrap();
    std::fs::write(&model, &gguf).unwrap();
    // Look-alikes: a .gguf that is not one, a folder named like a runtime's but empty.
    std::fs::write(
        root.join("home/carol/models/notes.gguf"),
        vec![b'x'; 1 << 21],
    )
    .unwrap();
    write(&root, "home/dave/.ollamax/readme.txt", "not ollama\n");
    let out = run(
        &[
            "scan",
            "--no-state",
            "-q",
            "--format-out",
            "json",
            "--endpoint",
            &format!("ws-7={}", s(&root)),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(FAKE_KEY) && !text.contains(&FAKE_KEY[8..30]),
        "key leaked"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&FAKE_KEY[8..30]));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String)> = summary_of(&doc)
        .into_iter()
        .map(|(svc, subject, _)| (svc, subject))
        .collect();
    let p = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        got,
        [
            p("anthropic-claude-code", "alice"),
            p("local-models-files", "carol"),
            p("ollama-runtime", "bob"),
            p("openai-api", "bob"),
        ]
    );
    let key = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"]["id"] == "openai-api")
        .unwrap();
    let a = &key["evidence"][0]["artifact"];
    assert_eq!(a["kind"], "api_key");
    assert_eq!(a["selector"], "api_key::openai");
    assert_eq!(key["evidence"][0]["line"], 2);
    let detail = a["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("openai sha256:") && detail.contains("sk-pro…"),
        "{detail}"
    );
    // The MCP server of Claude Code is evidence of Claude Code, its token masked.
    let cc = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"]["id"] == "anthropic-claude-code")
        .unwrap();
    let mcp: Vec<&Value> = cc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["artifact"]["kind"] == "mcp_server")
        .collect();
    assert_eq!(mcp.len(), 1, "{cc}");
    assert_eq!(mcp[0]["artifact"]["name"], "github");
    let model = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"]["id"] == "local-models-files")
        .unwrap();
    assert_eq!(model["evidence"][0]["artifact"]["size"], 1 << 21);
    assert!(
        model["evidence"][0]["artifact"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("gguf"),
        "{model}"
    );
}

#[test]
fn missing_endpoint_root_is_an_error_not_a_panic() {
    let out = run(
        &[
            "scan",
            "--no-state",
            "-q",
            "--endpoint",
            "x=/nonexistent/root",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}
