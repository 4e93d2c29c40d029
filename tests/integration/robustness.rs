//! Hostile and awkward inputs through the engine: each test pins a bug an engine review found.

use crate::util::data;
use shadow_ai::scan::{self, ScanOptions};
use shadow_ai::signature::{SignatureSet, SignatureSource};
use shadow_ai::source::expand;
use std::io::Write;
use std::path::PathBuf;

fn sigs() -> SignatureSet {
    SignatureSource::builtin().compile().unwrap()
}

fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> scan::ScanOutput {
    let (inputs, errors) = expand(paths);
    scan::run(&inputs, &errors, &sigs(), opts)
}

/// Findings, per-input counters and skipped-line numbers: what must not change.
type View = (
    serde_json::Value,
    Vec<(u64, u64, u64, u64, u64, u64)>,
    Vec<Vec<u64>>,
);

fn view(o: &scan::ScanOutput) -> View {
    (
        serde_json::to_value(&o.findings).unwrap(),
        o.summary
            .inputs
            .iter()
            .map(|i| {
                let c = &i.counts;
                (
                    c.lines,
                    c.meta_lines,
                    c.records,
                    c.matched,
                    c.unmatched,
                    c.skipped,
                )
            })
            .collect(),
        o.summary
            .inputs
            .iter()
            .map(|i| i.skip_examples.iter().filter_map(|e| e.line).collect())
            .collect(),
    )
}

/// Split scans at many range sizes over awkward content (CRLF, blank lines, long lines,
/// skipped lines) give what one sequential pass gives.
#[test]
fn split_ranges_with_awkward_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let good = "1795770001.120    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -";
    let mut f = std::fs::File::create(&path).unwrap();
    for i in 0..400 {
        let u = format!("user{}", i % 13);
        match i % 7 {
            0 => write!(f, "{}\r\n", good.replace("alice", &u)).unwrap(),
            1 => writeln!(f).unwrap(),
            2 => writeln!(f, "garbage line {i}").unwrap(),
            3 => writeln!(f, "{}{}", good.replace("alice", &u), " ".repeat(i % 50)).unwrap(),
            4 => writeln!(f, "{}", "x".repeat(300)).unwrap(),
            _ => writeln!(
                f,
                "{}",
                good.replace("alice", &u)
                    .replace("chatgpt.com", &format!("h{i}.claude.ai"))
            )
            .unwrap(),
        }
    }
    write!(f, "{}\r", good).unwrap();
    drop(f);
    let seq = scan_paths(
        std::slice::from_ref(&path),
        &ScanOptions {
            threads: 1,
            split_bytes: 0,
            max_line: 200,
            ..ScanOptions::default()
        },
    );
    let want = view(&seq);
    for split in [1u64, 2, 3, 7, 64, 101, 199, 200, 201, 255, 1000, 4096] {
        let par = scan_paths(
            std::slice::from_ref(&path),
            &ScanOptions {
                threads: 3,
                split_bytes: split,
                max_line: 200,
                ..ScanOptions::default()
            },
        );
        assert_eq!(view(&par), want, "split {split}");
    }
}

/// The findings must not depend on thread timing. With more than 32 distinct matched
/// values (or 16 clients) per finding spread over several inputs, which ones are kept
/// depends on which worker ran which input and on the merge order.
#[test]
fn capped_values_and_clients_do_not_depend_on_thread_timing() {
    let dir = tempfile::tempdir().unwrap();
    for f in 0..8 {
        let mut w = std::fs::File::create(dir.path().join(format!("f{f}.log"))).unwrap();
        for i in 0..40 {
            writeln!(w, "1795770001.{i:03}    245 10.1.{f}.{i} TCP_TUNNEL/200 5120 CONNECT h{f}x{i}.chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -").unwrap();
        }
    }
    let one = scan_paths(
        &[dir.path().to_path_buf()],
        &ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
    );
    let want = serde_json::to_value(&one.findings).unwrap();
    for run in 0..30 {
        let par = scan_paths(
            &[dir.path().to_path_buf()],
            &ScanOptions {
                threads: 8,
                ..ScanOptions::default()
            },
        );
        assert_eq!(
            serde_json::to_value(&par.findings).unwrap(),
            want,
            "run {run}"
        );
    }
}

/// A corrupt or truncated gzip file in a folder is a read error, not an unknown format
/// passed over with exit status 0.
#[test]
fn truncated_gzip_in_a_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(data("scan/access.log")).unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&src).unwrap();
    let gz = e.finish().unwrap();
    std::fs::write(dir.path().join("access.log.1.gz"), &gz[..40]).unwrap();
    let out = scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default());
    let i = &out.summary.inputs[0];
    assert!(out.had_errors, "{:?} {:?}", i.status, i.error);
}

/// A symbolic link to a log file inside a scanned folder is read (README: "Symbolic links
/// to files are followed"), and a dangling one is reported.
#[test]
fn symlinked_files_in_folders_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("logs");
    std::fs::create_dir(&sub).unwrap();
    std::os::unix::fs::symlink(data("scan/access.log"), sub.join("access.log")).unwrap();
    let out = scan_paths(std::slice::from_ref(&sub), &ScanOptions::default());
    assert_eq!(
        out.summary.inputs.len(),
        1,
        "the linked log was silently passed over"
    );
}

/// A user name made only of control characters gives an empty subject, which the
/// shipped schema forbids (subject.value minLength 1).
#[test]
fn subject_is_never_empty() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    std::fs::write(&p, "1795770001.120    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 %01 HIER_DIRECT/104.18.32.47 -\n").unwrap();
    let out = scan_paths(&[p], &ScanOptions::default());
    assert_eq!(out.findings.len(), 1);
    assert!(
        !out.findings[0].subject.value.is_empty(),
        "{:?}",
        out.findings[0].subject
    );
}

/// An uncompressed input is not "decompressed": --max-decompressed should not cut it.
#[test]
fn decompression_cap_does_not_apply_to_plain_files() {
    let out = scan_paths(
        &[data("scan/access.log")],
        &ScanOptions {
            max_decompressed: 300,
            ..ScanOptions::default()
        },
    );
    assert!(!out.had_errors, "{:?}", out.summary.inputs[0].error);
}

fn one_line(line: &[u8]) -> scan::ScanOutput {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    std::fs::write(&p, line).unwrap();
    scan_paths(&[p], &ScanOptions::default())
}

/// An empty log (just rotated) named on the command line is not an unreadable input.
#[test]
fn empty_named_file_is_not_an_error() {
    for content in [&b""[..], b"\n"] {
        let out = one_line(content);
        assert!(!out.had_errors, "{:?}", out.summary.inputs[0].error);
    }
}

/// A client address with bytes that are not UTF-8 is listed once, not once per event.
#[test]
fn clients_are_not_duplicated() {
    let out = one_line(&b"1795770001.120 245 10.1.2.\xff TCP_TUNNEL/200 5 CONNECT chatgpt.com:443 alice HIER_DIRECT/1.2.3.4 -\n".repeat(3));
    assert_eq!(
        out.findings[0].clients.len(),
        1,
        "{:?}",
        out.findings[0].clients
    );
}

/// IDN input is normalised, trailing dot included (U+3002 maps to `.`).
#[test]
fn idn_trailing_dot_is_ignored() {
    let out = one_line("1795770001.120    245 10.1.2.3 TCP_TUNNEL/200 5 CONNECT chatgpt.com. bob HIER_DIRECT/1.2.3.4 -\n1795770001.120    245 10.1.2.3 TCP_TUNNEL/200 5 CONNECT chatgpt.com。 alice HIER_DIRECT/1.2.3.4 -\n".as_bytes());
    assert_eq!(out.summary.inputs[0].counts.records, 2);
    assert_eq!(
        out.findings.len(),
        2,
        "only bob's ASCII trailing dot matched"
    );
}

/// Timestamps in findings match the schema's four-digit year.
#[test]
fn absurd_epoch_does_not_break_the_timestamp_format() {
    let out = one_line(b"1795770001.120    245 10.1.2.3 TCP_TUNNEL/200 5 CONNECT chatgpt.com:443 alice HIER_DIRECT/1.2.3.4 -\n999999999999.000    245 10.1.2.3 TCP_TUNNEL/200 5 CONNECT chatgpt.com:443 alice HIER_DIRECT/1.2.3.4 -\n");
    let t = out.findings[0].last_seen.unwrap().to_string();
    assert_eq!(t.find('-'), Some(4), "{t}");
}

/// Per-service byte totals saturate like per-finding ones (debug builds panic here).
#[test]
fn service_byte_totals_do_not_overflow() {
    let mut s = Vec::new();
    for i in 0..20 {
        s.extend(format!("1795770001.120 245 10.1.2.3 TCP_TUNNEL/200 999999999999999999 CONNECT chatgpt.com:443 u{i} HIER_DIRECT/1.2.3.4 -\n").bytes());
    }
    let out = one_line(&s);
    assert_eq!(out.summary.services[0].bytes_in, Some(u64::MAX));
}

/// A UTF-8 byte-order mark (Windows editors, PowerShell exports) is not part of line 1.
#[test]
fn byte_order_mark_is_skipped() {
    let mut content = b"\xEF\xBB\xBF".to_vec();
    content.extend(std::fs::read(data("scan/access.log")).unwrap());
    let out = one_line(&content);
    let i = &out.summary.inputs[0];
    assert_eq!(
        (i.format, i.counts.records, i.counts.skipped),
        (Some("proxy.squid"), 8, 1)
    );
    assert_eq!(
        out.findings
            .iter()
            .find(|f| f.subject.value == "alice")
            .unwrap()
            .evidence[0]
            .line,
        Some(1)
    );
}

/// The same pattern, path or user agent in two services is refused, like a host or domain.
#[test]
fn duplicate_indicators_across_services_are_refused() {
    let mut src = SignatureSource::default();
    let file = |vendor: &str| {
        format!(
            "schema = 1\nvendor = \"{vendor}\"\nvendor_id = \"{vendor}\"\n[[service]]\nid = \"{vendor}-x\"\nname = \"X\"\ncategory = \"model-api\"\ndescription = \"d\"\nindicators = [{{ path = \"/v9/infer\", host = \"api.example.net\", confidence = \"high\" }}]\nexamples = {{ match = [{{ url = \"https://api.example.net/v9/infer\" }}], no_match = [\"example.org\"] }}\n"
        )
    };
    src.add_text("aa.toml", &file("aa"));
    src.add_text("bb.toml", &file("bb"));
    let errs = src.compile().unwrap_err();
    assert_eq!(
        errs[0].0,
        "bb.toml: bb-x: \"path:api.example.net/v9/infer\" is also claimed by aa-x (aa.toml); an indicator belongs to one service"
    );
}
