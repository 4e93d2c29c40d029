//! The state store against a temporary database.

use super::*;

fn t(s: i64) -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + s)
}

fn finding(id: &str, service: &str, subject: &str, first: i64, last: i64) -> Seen {
    Seen {
        id: id.into(),
        service_id: service.into(),
        subject: Some(("user".into(), subject.into())),
        department: None,
        first_seen: Some(t(first)),
        last_seen: Some(t(last)),
        events: 2,
    }
}

fn entry(id: &str, service: &str) -> Seen {
    Seen {
        id: id.into(),
        service_id: service.into(),
        subject: None,
        department: None,
        first_seen: None,
        last_seen: None,
        events: 1,
    }
}

fn scan(fingerprint: Option<&str>, at: i64) -> ScanRecord {
    ScanRecord {
        started: t(at),
        finished: t(at + 1),
        tool_version: "0.1.0".into(),
        signatures_version: "test".into(),
        signatures_sha256: "a".repeat(64),
        rules_sha256: "b".repeat(64),
        fingerprint: fingerprint.map(Into::into),
        inputs: vec![format!("/logs/{}", fingerprint.unwrap_or("-"))],
        inputs_with_errors: 0,
        records: 10,
    }
}

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/state.sqlite");
    (dir, path)
}

fn states(r: &Recorded) -> Vec<(LifecycleState, u64, u64)> {
    r.findings
        .iter()
        .map(|l| (l.state, l.scans_seen, l.first_seen_scan))
        .collect()
}

fn gone(r: &Recorded) -> Vec<&str> {
    r.summary.gone.iter().map(|g| g.id.as_str()).collect()
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

use LifecycleState::{New, Recurring};

#[test]
fn new_then_recurring_then_gone_across_three_scans() {
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    let a = || finding("saf-a", "openai-chatgpt", "alice", 100, 200);
    let b = || finding("saf-b", "anthropic-claude", "bob", 50, 60);
    let c = || finding("saf-c", "openai-api", "carol", 500, 600);

    let r1 = s
        .record_seen(&scan(Some("day1"), 1000), &[a(), b()], &[], &[])
        .unwrap();
    assert_eq!(r1.summary.scan, 1);
    assert_eq!(r1.summary.runs, 1);
    assert_eq!(r1.summary.previous_scan, None);
    assert_eq!(states(&r1), [(New, 1, 1), (New, 1, 1)]);
    assert_eq!((r1.summary.new, r1.summary.recurring), (2, 0));
    assert!(r1.summary.gone.is_empty());
    assert_eq!(r1.findings[0].first_seen_scan_at, t(1000));
    assert_eq!(r1.findings[0].first_seen_across_scans, Some(t(100)));

    // A earlier in day 2's logs than in day 1's: first_seen_across_scans follows.
    let mut a2 = a();
    a2.first_seen = Some(t(40));
    let r2 = s
        .record_seen(&scan(Some("day2"), 2000), &[a2, c()], &[], &[])
        .unwrap();
    assert_eq!(r2.summary.scan, 2);
    assert_eq!(r2.summary.previous_scan, Some(1));
    assert_eq!(states(&r2), [(Recurring, 2, 1), (New, 1, 2)]);
    assert_eq!(r2.findings[0].first_seen_scan_at, t(1000));
    assert_eq!(r2.findings[0].first_seen_across_scans, Some(t(40)));
    assert_eq!(r2.findings[1].first_seen_scan_at, t(2000));
    assert_eq!((r2.summary.new, r2.summary.recurring), (1, 1));
    assert_eq!(gone(&r2), ["saf-b"]);
    let g = &r2.summary.gone[0];
    assert_eq!(
        (
            g.service.as_str(),
            g.subject.kind.as_str(),
            g.subject.value.as_str()
        ),
        ("anthropic-claude", "user", "bob")
    );
    assert_eq!(g.last_seen, Some(t(60)));

    let r3 = s
        .record_seen(&scan(Some("day3"), 3000), &[c()], &[], &[])
        .unwrap();
    assert_eq!(r3.summary.scan, 3);
    assert_eq!(states(&r3), [(Recurring, 2, 2)]);
    assert_eq!(gone(&r3), ["saf-a"]);

    // The per-finding table spans every generation.
    let row = |id: &str| -> (i64, i64, i64, Option<i64>, Option<i64>, i64) {
        s.conn
            .query_row(
                "SELECT first_seen_scan, last_seen_scan, scans_seen, first_seen, last_seen, events_total
                 FROM findings WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .unwrap()
    };
    assert_eq!(row("saf-a"), (1, 2, 2, Some(t(40).0), Some(t(200).0), 4));
    assert_eq!(row("saf-b"), (1, 1, 1, Some(t(50).0), Some(t(60).0), 2));
    assert_eq!(row("saf-c").0, 2);
    assert_eq!(row("saf-c").1, 3);

    // History: newest first, with what changed.
    let h = s.history(10).unwrap();
    assert_eq!(
        h.iter().map(|e| e.scan).collect::<Vec<_>>(),
        [3, 2, 1],
        "{h:#?}"
    );
    assert_eq!(
        h[1].new.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["saf-c"]
    );
    assert_eq!(
        h[1].gone.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["saf-b"]
    );
    assert_eq!((h[1].findings, h[1].recurring), (2, 1));
    assert_eq!(h[0].gone[0].id, "saf-a");
    assert_eq!(h[2].previous_scan, None);
    let text = render_history(&h[..2]);
    assert!(text.contains("scan 3  "), "{text}");
    assert!(
        text.contains("1 findings: 0 new, 1 recurring, 1 gone (since scan 2)"),
        "{text}"
    );
    assert!(text.contains("  - openai-chatgpt  user:alice"), "{text}");
    assert!(text.contains("  + openai-api  user:carol"), "{text}");
    assert_eq!(s.history(1).unwrap().len(), 1);
}

#[test]
fn rescanning_the_same_inputs_reuses_the_generation_and_keeps_states() {
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    let a = || finding("saf-a", "openai-chatgpt", "alice", 100, 200);
    let b = || finding("saf-b", "anthropic-claude", "bob", 50, 60);

    let first = s
        .record_seen(&scan(Some("day1"), 1000), &[a()], &[], &[])
        .unwrap();
    let again = s
        .record_seen(&scan(Some("day1"), 1100), &[a()], &[], &[])
        .unwrap();
    assert_eq!(count(&s, "SELECT count(*) FROM scans"), 1);
    assert_eq!(again.summary.scan, 1);
    assert_eq!(again.summary.runs, 2);
    assert_eq!(again.findings, first.findings, "same lifecycle, still new");
    assert_eq!(again.findings[0].state, New);
    assert_eq!(
        again.findings[0].first_seen_scan_at,
        t(1000),
        "first run's time"
    );

    // Another generation: A recurs there.
    let r2 = s
        .record_seen(&scan(Some("day2"), 2000), &[a(), b()], &[], &[])
        .unwrap();
    assert_eq!(states(&r2), [(Recurring, 2, 1), (New, 1, 2)]);

    // Day 1's inputs once more, after day 2: still generation 1, A still new and seen in
    // one generation up to it, nothing gone (it has no predecessor).
    let back = s
        .record_seen(&scan(Some("day1"), 3000), &[a()], &[], &[])
        .unwrap();
    assert_eq!((back.summary.scan, back.summary.runs), (1, 3));
    assert_eq!(back.findings, first.findings);
    assert_eq!(back.summary.previous_scan, None);
    assert!(back.summary.gone.is_empty());
    assert_eq!(count(&s, "SELECT count(*) FROM scans"), 2);
    // ... and the finding's totals still span both generations.
    assert_eq!(
        count(&s, "SELECT scans_seen FROM findings WHERE id = 'saf-a'"),
        2
    );
    assert_eq!(
        count(&s, "SELECT last_seen_scan FROM findings WHERE id = 'saf-a'"),
        2
    );
    // Day 2 again: as its first run said.
    let r2b = s
        .record_seen(&scan(Some("day2"), 4000), &[a(), b()], &[], &[])
        .unwrap();
    assert_eq!(r2b.findings, r2.findings);
    assert_eq!(r2b.summary.runs, 2);
    let h = s.history(10).unwrap();
    assert_eq!((h[1].scan, h[1].runs, h[1].last_started), (1, 3, t(3000)));
    assert_eq!(h[1].started, t(1000));

    // Other rules, a newer tool or standard input: a new generation each time.
    let mut other_rules = scan(Some("day1"), 5000);
    other_rules.rules_sha256 = "c".repeat(64);
    assert_eq!(
        s.record_seen(&other_rules, &[a()], &[], &[])
            .unwrap()
            .summary
            .scan,
        3
    );
    let mut newer_tool = scan(Some("day1"), 5100);
    newer_tool.tool_version = "0.2.0".into();
    assert_eq!(
        s.record_seen(&newer_tool, &[a()], &[], &[])
            .unwrap()
            .summary
            .scan,
        4
    );
    for (at, id) in [(6000, 5), (6100, 6)] {
        let r = s.record_seen(&scan(None, at), &[a()], &[], &[]).unwrap();
        assert_eq!((r.summary.scan, r.summary.runs), (id, 1));
        assert_eq!(r.findings[0].state, Recurring);
    }
}

#[test]
fn register_and_intake_entries_get_lifecycles_and_a_rescan_updates_membership() {
    let (_dir, path) = db();
    let mut s = Store::open(&path).unwrap();
    let f = [finding("saf-a", "openai-chatgpt", "alice", 1, 2)];
    let r1 = s
        .record_seen(
            &scan(Some("day1"), 1000),
            &f,
            &[entry("SAI-R-1", "openai-chatgpt")],
            &[entry("SAI-I-1", "openai-chatgpt")],
        )
        .unwrap();
    assert_eq!(r1.register[0].state, New);
    assert_eq!(r1.intake[0].state, New);
    assert_eq!(r1.summary.register.new, 1);
    let r2 = s
        .record_seen(
            &scan(Some("day2"), 2000),
            &f,
            &[entry("SAI-R-2", "anthropic-claude")],
            &[entry("SAI-I-1", "openai-chatgpt")],
        )
        .unwrap();
    assert_eq!(r2.register[0].state, New);
    assert_eq!(r2.intake[0].state, Recurring);
    assert_eq!(r2.summary.register.gone, ["SAI-R-1"]);
    assert!(r2.summary.intake.gone.is_empty());
    // Day 2 rescanned later: an approval expired meanwhile, so SAI-R-1 is back and the
    // intake entry is no longer produced. The kept entry keeps its state; the added one
    // is recurring (generation 1 held it); the dropped one leaves the generation.
    let r2b = s
        .record_seen(
            &scan(Some("day2"), 3000),
            &f,
            &[
                entry("SAI-R-2", "anthropic-claude"),
                entry("SAI-R-1", "openai-chatgpt"),
            ],
            &[],
        )
        .unwrap();
    assert_eq!(r2b.summary.scan, 2);
    assert_eq!(
        r2b.register.iter().map(|l| l.state).collect::<Vec<_>>(),
        [New, Recurring]
    );
    assert!(r2b.summary.register.gone.is_empty());
    assert_eq!(r2b.summary.intake.gone, ["SAI-I-1"]);
    assert_eq!(
        count(
            &s,
            "SELECT scans_seen FROM intake_entries WHERE id = 'SAI-I-1'"
        ),
        1
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM sightings WHERE scan_id = 2 AND kind = 'intake'"
        ),
        0
    );
}

#[test]
fn a_newer_schema_is_refused_and_foreign_databases_too() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    {
        let c = Connection::open(&path).unwrap();
        c.execute(
            "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    }
    for err in [
        Store::open(&path).err().unwrap(),
        Store::open_read_only(&path).err().unwrap(),
    ] {
        assert!(
            matches!(
                err,
                StateError::NewerSchema {
                    found: 99,
                    supported: 1,
                    ..
                }
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("schema version 99 is newer than this shadow-ai"),
            "{msg}"
        );
    }

    let other = path.with_file_name("other.sqlite");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (x)")
        .unwrap();
    assert!(matches!(
        Store::open(&other).err().unwrap(),
        StateError::NotOurs(_)
    ));
    let junk = path.with_file_name("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    assert!(Store::open(&junk).is_err());
}

#[test]
fn a_new_database_is_private_and_reading_creates_nothing() {
    let (dir, path) = db();
    assert!(Store::open_read_only(&path).unwrap().is_none());
    assert!(!path.exists(), "history must not create the database");
    let s = Store::open(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
    assert_eq!(
        count(
            &s,
            "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'"
        ),
        SCHEMA_VERSION
    );
    drop(s);
    let r = Store::open_read_only(&path).unwrap().unwrap();
    assert!(r.history(5).unwrap().is_empty());
    drop(dir);
}

#[test]
fn fingerprint_follows_files_and_options_and_not_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    std::fs::write(&a, "one\n").unwrap();
    std::fs::write(&b, "two\n").unwrap();
    let fp = |paths: &[&Path], options: &str| {
        let args: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
        let (inputs, errors) = crate::source::expand(&args);
        fingerprint(&inputs, &errors, options)
    };
    let ab = fp(&[&a, &b], "o").unwrap();
    assert_eq!(fp(&[&b, &a], "o").unwrap(), ab, "order does not matter");
    assert_eq!(fp(&[dir.path()], "o").unwrap(), ab, "a folder is its files");
    assert_ne!(fp(&[&a, &b], "p").unwrap(), ab);
    assert_ne!(fp(&[&a], "o").unwrap(), ab);
    std::fs::write(&b, "two and more\n").unwrap();
    assert_ne!(fp(&[&a, &b], "o").unwrap(), ab);
    assert_ne!(
        fp(&[&a, Path::new("/nonexistent/x.log")], "o").unwrap(),
        fp(&[&a], "o").unwrap()
    );
    assert_eq!(fp(&[&a, Path::new("-")], "o"), None);
}
