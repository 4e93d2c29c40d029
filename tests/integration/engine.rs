//! The scan engine through the library: findings, counts, splitting, decompression.

use crate::util::data;
use shadow_ai::aggregate::Finding;
use shadow_ai::scan::{self, ScanOptions};
use shadow_ai::signature::{SignatureSet, SignatureSource};
use shadow_ai::source::expand;
use std::io::Write;
use std::path::{Path, PathBuf};

fn sigs() -> SignatureSet {
    SignatureSource::builtin()
        .compile()
        .expect("built-in signatures compile")
}

fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> scan::ScanOutput {
    let (inputs, errors) = expand(paths);
    scan::run(&inputs, &errors, &sigs(), opts)
}

fn find<'a>(fs: &'a [Finding], service: &str, subject: &str) -> &'a Finding {
    fs.iter()
        .find(|f| f.service.id == service && f.subject.value == subject)
        .unwrap_or_else(|| {
            panic!(
                "no finding {service}/{subject} in {:?}",
                fs.iter()
                    .map(|f| (&f.service.id, &f.subject.value))
                    .collect::<Vec<_>>()
            )
        })
}

#[test]
fn squid_fixture_gives_exact_findings_and_counts() {
    let out = scan_paths(&[data("scan/access.log")], &ScanOptions::default());
    let f = &out.findings;
    let ids: Vec<(&str, &str)> = f
        .iter()
        .map(|f| (f.service.id.as_str(), f.subject.value.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("anthropic-claude", "bob"),
            ("openai-api", "10.1.2.4"),
            ("openai-chatgpt", "alice")
        ]
    );

    let chat = find(f, "openai-chatgpt", "alice");
    assert_eq!(chat.events, 2);
    assert_eq!(chat.bytes_in, Some(6144));
    assert_eq!(chat.bytes_out, None);
    assert_eq!(
        chat.first_seen.unwrap().to_string(),
        "2026-11-27T09:00:01.120Z"
    );
    assert_eq!(chat.last_seen.unwrap().to_string(), "2026-11-27T09:00:05Z");
    assert_eq!(chat.actions.get("allowed"), Some(&2));
    assert_eq!(chat.clients, ["10.1.2.3"]);
    assert_eq!(chat.observed_as, ["http_connect"]);
    let values: Vec<(&str, &str, u64)> = chat
        .matched
        .iter()
        .map(|m| (m.value.as_str(), m.indicator.as_str(), m.events))
        .collect();
    assert_eq!(
        values,
        [
            ("ab.chatgpt.com", "domain:chatgpt.com", 1),
            ("chatgpt.com", "domain:chatgpt.com", 1)
        ]
    );
    let ev: Vec<u64> = chat.evidence.iter().filter_map(|e| e.line).collect();
    assert_eq!(ev, [1, 6]);
    assert!(
        chat.evidence[0]
            .file
            .ends_with("tests/data/scan/access.log")
    );

    let claude = find(f, "anthropic-claude", "bob");
    assert_eq!(claude.actions.get("blocked"), Some(&1));
    assert_eq!(claude.actions.get("allowed"), None);

    let s = &out.summary.inputs[0];
    assert_eq!(s.format, Some("proxy.squid"));
    assert_eq!(
        (
            s.counts.records,
            s.counts.matched,
            s.counts.unmatched,
            s.counts.skipped
        ),
        (8, 4, 3, 1)
    );
    assert_eq!(
        s.counts.records,
        s.counts.matched + s.counts.unmatched + s.counts.skipped
    );
    assert_eq!(s.skip_examples.len(), 1);
    assert_eq!(s.skip_examples[0].line, Some(5));
    assert!(!out.had_errors);
}

#[test]
fn finding_ids_are_stable_and_distinct() {
    let a = scan_paths(&[data("scan/access.log")], &ScanOptions::default());
    let b = scan_paths(
        &[data("scan/access.log")],
        &ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
    );
    let ids = |o: &scan::ScanOutput| o.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(
        shadow_ai::aggregate::finding_id(
            "openai-chatgpt",
            shadow_ai::aggregate::SubjectKind::User,
            "alice"
        ),
        find(&a.findings, "openai-chatgpt", "alice").id
    );
    let mut unique = ids(&a);
    unique.dedup();
    assert_eq!(unique.len(), a.findings.len());
}

/// A large log scanned in byte ranges on two threads gives exactly what one sequential
/// pass gives, evidence line numbers included.
#[test]
fn split_ranges_match_a_sequential_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let src = std::fs::read(data("scan/access.log")).unwrap();
    let mut f = std::fs::File::create(&path).unwrap();
    for i in 0..3000 {
        // Vary the users so findings depend on which lines land in which range.
        let text = String::from_utf8_lossy(&src).replace("alice", &format!("user{}", i % 7));
        f.write_all(text.as_bytes()).unwrap();
    }
    drop(f);
    let seq = scan_paths(
        std::slice::from_ref(&path),
        &ScanOptions {
            threads: 1,
            split_bytes: 0,
            ..ScanOptions::default()
        },
    );
    let par = scan_paths(
        std::slice::from_ref(&path),
        &ScanOptions {
            threads: 2,
            split_bytes: 4099,
            ..ScanOptions::default()
        },
    );
    assert_eq!(
        serde_json::to_value(&seq.findings).unwrap(),
        serde_json::to_value(&par.findings).unwrap()
    );
    let (s, p) = (&seq.summary.inputs[0], &par.summary.inputs[0]);
    assert_eq!(
        (
            s.counts.lines,
            s.counts.records,
            s.counts.matched,
            s.counts.unmatched,
            s.counts.skipped
        ),
        (24000, 24000, 12000, 9000, 3000)
    );
    assert_eq!(
        (
            p.counts.lines,
            p.counts.records,
            p.counts.matched,
            p.counts.unmatched,
            p.counts.skipped
        ),
        (
            s.counts.lines,
            s.counts.records,
            s.counts.matched,
            s.counts.unmatched,
            s.counts.skipped
        )
    );
    assert_eq!(p.counts.bytes_read, std::fs::metadata(&path).unwrap().len());
    assert_eq!(
        s.skip_examples
            .iter()
            .filter_map(|e| e.line)
            .collect::<Vec<_>>(),
        [5, 13, 21, 29, 37]
    );
    assert_eq!(
        p.skip_examples
            .iter()
            .filter_map(|e| e.line)
            .collect::<Vec<_>>(),
        [5, 13, 21, 29, 37]
    );
}

fn compressed_copies(dir: &Path) -> Vec<PathBuf> {
    let src = std::fs::read(data("scan/access.log")).unwrap();
    // Two gzip members, as `cat a.gz b.gz` makes: both halves must be read.
    let (a, b) = src.split_at(src.len() / 2);
    let mut gz = Vec::new();
    for part in [a, b] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(part).unwrap();
        gz.extend(e.finish().unwrap());
    }
    let zst = zstd::encode_all(&src[..], 3).unwrap();
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(&src).unwrap();
    let bz = e.finish().unwrap();
    // Names say nothing: the content decides.
    let mut paths = Vec::new();
    for (name, bytes) in [("one.txt", gz), ("two.dat", zst), ("three", bz)] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    paths
}

#[test]
fn compressed_inputs_are_detected_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let paths = compressed_copies(dir.path());
    let out = scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default());
    assert!(!out.had_errors);
    let mut comp: Vec<(&str, Option<&str>, u64, u64)> = out
        .summary
        .inputs
        .iter()
        .map(|i| (i.compression, i.format, i.counts.records, i.counts.matched))
        .collect();
    comp.sort();
    assert_eq!(
        comp,
        [
            ("bzip2", Some("proxy.squid"), 8, 4),
            ("gzip", Some("proxy.squid"), 8, 4),
            ("zstd", Some("proxy.squid"), 8, 4)
        ]
    );
    let chat = find(&out.findings, "openai-chatgpt", "alice");
    assert_eq!(chat.events, 6);
    assert_eq!(paths.len(), 3);
}

#[test]
fn decompression_cap_is_an_error_that_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    compressed_copies(dir.path());
    let out = scan_paths(
        &[dir.path().join("one.txt")],
        &ScanOptions {
            max_decompressed: 300,
            ..ScanOptions::default()
        },
    );
    assert!(out.had_errors);
    let i = &out.summary.inputs[0];
    assert_eq!(i.status, shadow_ai::summary::InputStatus::Incomplete);
    assert!(
        i.error
            .as_deref()
            .unwrap()
            .contains("exceeds the cap of 300 bytes"),
        "{:?}",
        i.error
    );
    assert_eq!(i.counts.records, 2);
}

#[test]
fn unknown_files_in_folders_are_passed_over_but_named_ones_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "shopping list\nmilk\neggs\n").unwrap();
    std::fs::copy(data("scan/access.log"), dir.path().join("access.log")).unwrap();
    let out = scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default());
    assert!(!out.had_errors);
    let notes = out
        .summary
        .inputs
        .iter()
        .find(|i| i.path.ends_with("notes.txt"))
        .unwrap();
    assert_eq!(notes.status, shadow_ai::summary::InputStatus::UnknownFormat);
    assert_eq!(out.summary.totals.inputs_unknown_format, 1);
    let out = scan_paths(&[dir.path().join("notes.txt")], &ScanOptions::default());
    assert!(out.had_errors);
    assert!(
        out.summary.inputs[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("no known format")
    );
}

/// Every fixture is detected as its own format from content alone, and the sidecar
/// provenance files are passed over as unknown.
#[test]
fn every_fixture_is_detected_as_its_format() {
    let out = scan_paths(
        &[data("dns"), data("proxy"), data("zeek")],
        &ScanOptions::default(),
    );
    assert!(!out.had_errors);
    let mut got: Vec<(String, &str)> = Vec::new();
    for i in &out.summary.inputs {
        let name = i.path.rsplit('/').next().unwrap().to_string();
        if name.ends_with(".provenance") || name.ends_with(".expected") {
            assert_eq!(
                i.status,
                shadow_ai::summary::InputStatus::UnknownFormat,
                "{name}"
            );
            continue;
        }
        assert_eq!(i.counts.skipped, 0, "{name}: {:?}", i.skip_examples);
        assert_eq!(
            i.counts.records,
            i.counts.matched + i.counts.unmatched + i.counts.skipped
        );
        got.push((name, i.format.unwrap_or("-")));
    }
    let want = [
        ("bind-variants.log", "dns.bind"),
        ("dnsmasq.log", "dns.dnsmasq"),
        ("logstash-patterns-bind9-spec.log", "dns.bind"),
        ("pihole.log", "dns.dnsmasq"),
        ("unbound.log", "dns.unbound"),
        ("logstash-patterns-squid3-spec.log", "proxy.squid"),
        ("squid-combined.log", "proxy.squid-clf"),
        ("squid-variants.log", "proxy.squid"),
        ("squid-escapes.log", "proxy.squid"),
        ("squid-syslog.log", "proxy.squid"),
        ("squid-combined-escapes.log", "proxy.squid-clf"),
        ("squid-combined-syslog.log", "proxy.squid-clf"),
    ];
    for (name, format) in want {
        assert!(
            got.contains(&(name.to_string(), format)),
            "{name} not detected as {format}: {got:?}"
        );
    }
    let zeek: Vec<&str> = got
        .iter()
        .filter(|(n, _)| n.contains("__") || n.starts_with("own-"))
        .map(|(_, f)| *f)
        .collect();
    assert_eq!(zeek.len(), 14);
    assert!(zeek.iter().all(|f| *f == "zeek.tsv"), "{got:?}");
    let json: Vec<&str> = got
        .iter()
        .filter(|(n, _)| n.ends_with(".json.log"))
        .map(|(_, f)| *f)
        .collect();
    assert_eq!(json, ["zeek.json"; 4]);
}

#[test]
fn a_file_named_twice_is_read_once() {
    let out = scan_paths(
        &[
            data("scan/access.log"),
            data("scan"),
            data("scan/../scan/access.log"),
        ],
        &ScanOptions::default(),
    );
    let logs: Vec<_> = out
        .summary
        .inputs
        .iter()
        .filter(|i| i.path.ends_with("access.log"))
        .collect();
    assert_eq!(logs.len(), 1);
    assert_eq!(find(&out.findings, "openai-chatgpt", "alice").events, 2);
}
