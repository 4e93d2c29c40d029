//! The state database end to end: the binary run repeatedly with `--state`, `history`,
//! `--no-state`, the default location and a database from a newer version.

use crate::util::{data, findings, repo, run, s, stdout_records, summary};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Day 1: alice on ChatGPT, 10.1.2.4 on the OpenAI API, bob's blocked Claude use.
fn day1(dir: &Path) -> PathBuf {
    let log = std::fs::read_to_string(data("scan/access.log")).unwrap();
    let p = dir.join("day1.log");
    std::fs::write(
        &p,
        log.lines().take(4).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    p
}

/// Day 2: alice again, carol on Claude; the API client and bob are gone.
fn day2(dir: &Path) -> PathBuf {
    let p = dir.join("day2.log");
    std::fs::write(
        &p,
        "1795856401.120    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -\n\
         1795856402.000    100 10.1.2.7 TCP_TUNNEL/200 2048 CONNECT claude.ai:443 carol HIER_DIRECT/160.79.104.10 -\n",
    )
    .unwrap();
    p
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo("packaging/schema/findings-v1.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn scan(log: &Path, state: &Path) -> Vec<Value> {
    let out = run(&["scan", &s(log), "-q", "--state", &s(state)], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = stdout_records(&out);
    let v = validator();
    for r in &recs {
        let errors: Vec<String> = v.iter_errors(r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}\n{r:#}");
    }
    recs
}

fn by_subject<'a>(recs: &'a [Value], subject: &str) -> &'a Value {
    findings(recs)
        .into_iter()
        .find(|f| f["subject"]["value"] == subject)
        .unwrap_or_else(|| panic!("no finding for {subject}"))
}

#[test]
fn scans_recorded_twice_and_then_new_input_give_new_recurring_and_gone() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state/state.sqlite");
    let (d1, d2) = (day1(dir.path()), day2(dir.path()));

    let first = scan(&d1, &state);
    assert_eq!(findings(&first).len(), 3);
    for f in findings(&first) {
        assert_eq!(f["lifecycle"]["state"], "new", "{f:#}");
        assert_eq!(f["lifecycle"]["scans_seen"], 1);
        assert_eq!(f["lifecycle"]["first_seen_scan"], 1);
    }
    let l = &summary(&first)["lifecycle"];
    assert_eq!(
        (&l["scan"], &l["runs"], &l["new"], &l["previous_scan"]),
        (
            &Value::from(1),
            &Value::from(1),
            &Value::from(3),
            &Value::Null
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The same input again: the same generation, and the same lifecycles.
    let again = scan(&d1, &state);
    let lifecycles = |recs: &[Value]| -> Vec<Value> {
        findings(recs)
            .iter()
            .map(|f| f["lifecycle"].clone())
            .collect()
    };
    assert_eq!(lifecycles(&again), lifecycles(&first));
    assert_eq!(summary(&again)["lifecycle"]["scan"], 1);
    assert_eq!(summary(&again)["lifecycle"]["runs"], 2);

    // Other input: alice recurs, carol is new, the API client and bob are gone.
    let out_dir = dir.path().join("out");
    let out = run(
        &[
            "scan",
            &s(&d2),
            "-q",
            "--state",
            &s(&state),
            "--out-dir",
            &s(&out_dir),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let second: Vec<Value> = std::fs::read_to_string(out_dir.join("findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let alice = &by_subject(&second, "alice")["lifecycle"];
    assert_eq!(alice["state"], "recurring");
    assert_eq!(alice["scans_seen"], 2);
    assert_eq!(alice["first_seen_scan"], 1);
    assert_eq!(
        alice["first_seen_scan_at"],
        by_subject(&first, "alice")["lifecycle"]["first_seen_scan_at"]
    );
    assert_eq!(
        alice["first_seen_across_scans"],
        by_subject(&first, "alice")["first_seen"]
    );
    assert_eq!(by_subject(&second, "carol")["lifecycle"]["state"], "new");
    let l = &summary(&second)["lifecycle"];
    assert_eq!((&l["scan"], &l["previous_scan"]), (&2.into(), &1.into()));
    let gone: Vec<(&str, &str)> = l["gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["service"].as_str().unwrap(),
                g["subject"]["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gone,
        [("anthropic-claude", "bob"), ("openai-api", "10.1.2.4")]
    );
    let gone_ids: Vec<&Value> = l["gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["id"])
        .collect();
    assert!(gone_ids.contains(&&by_subject(&first, "bob")["id"]));
    // Register and intake entries carry a lifecycle too.
    let register: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("register.json")).unwrap()).unwrap();
    let states: Vec<(&str, &str)> = register
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["ai_system"]["service_id"].as_str().unwrap(),
                e["lifecycle"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("anthropic-claude", "recurring"),
            ("openai-chatgpt", "recurring")
        ]
    );
    assert_eq!(l["register"]["gone"].as_array().unwrap().len(), 1, "{l:#}");
    let intake: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("intake.json")).unwrap()).unwrap();
    assert!(
        intake
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["lifecycle"]["state"] == "recurring")
    );

    // history, newest first.
    let out = run(&["history", "--state", &s(&state), "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let h = stdout_records(&out);
    assert_eq!(h.len(), 2);
    assert_eq!((&h[0]["scan"], &h[1]["scan"]), (&2.into(), &1.into()));
    assert_eq!(h[1]["runs"], 2);
    assert_eq!(h[0]["inputs"][0], s(&d2));
    assert_eq!(h[0]["findings"], 2);
    assert_eq!(h[0]["new"][0]["subject"]["value"], "carol");
    assert_eq!(h[0]["gone"].as_array().unwrap().len(), 2);
    let out = run(&["history", "--state", &s(&state), "--limit", "1"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("scan 2  "), "{text}");
    assert!(
        text.contains("2 findings: 1 new, 1 recurring, 2 gone (since scan 1)"),
        "{text}"
    );
    assert!(text.contains("  + anthropic-claude  user:carol"), "{text}");
    assert!(!text.contains("scan 1  "), "--limit 1: {text}");
}

fn run_with_data_home(args: &[&str], data_home: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shadow-ai"))
        .args(args)
        .env("XDG_DATA_HOME", data_home)
        .output()
        .unwrap()
}

#[test]
fn default_location_and_no_state() {
    let dir = tempfile::tempdir().unwrap();
    let log = day1(dir.path());
    let home = dir.path().join("data");
    let db = home.join("shadow-ai/state.sqlite");

    let out = run_with_data_home(&["scan", &s(&log), "-q", "--no-state"], &home);
    assert_eq!(out.status.code(), Some(1));
    let recs = stdout_records(&out);
    assert!(findings(&recs).iter().all(|f| f.get("lifecycle").is_none()));
    assert!(summary(&recs).get("lifecycle").is_none());
    assert!(!home.exists(), "--no-state writes nothing");

    let out = run_with_data_home(&["scan", &s(&log)], &home);
    assert_eq!(out.status.code(), Some(1));
    assert!(db.exists());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("State {} (scan 1): 3 new", db.display())),
        "{err}"
    );
    let out = run_with_data_home(&["history"], &home);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("scan 1  ")
    );

    // --state and --no-state together make no sense.
    let out = run(&["scan", &s(&log), "--no-state", "--state", &s(&db)], None);
    assert_eq!(out.status.code(), Some(2));
    // history of a database that does not exist creates nothing.
    let missing = dir.path().join("none.sqlite");
    let out = run(&["history", "--state", &s(&missing)], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("No scans recorded")
    );
    assert!(!missing.exists());
}

#[test]
fn a_database_from_a_newer_version_is_refused_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let log = day1(dir.path());
    let state = dir.path().join("state.sqlite");
    scan(&log, &state);
    rusqlite::Connection::open(&state)
        .unwrap()
        .execute(
            "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let out = run(&["scan", &s(&log), "--state", &s(&state)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing scanned");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("state database schema version 2 is newer than this shadow-ai"),
        "{err}"
    );
    assert!(err.contains("nothing scanned"), "{err}");
    let out = run(&["history", "--state", &s(&state)], None);
    assert_eq!(out.status.code(), Some(2));
}
