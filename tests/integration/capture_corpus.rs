//! The names `names_in_capture` finds in real captures against what tshark 4.0.17 finds.
//!
//! tshark's values per capture are in tests/data/pcap/expected/<source>/<file>.tsv (captures
//! in tests/data/pcap/corpus) and tests/data/pcap/expected-shared/<source>/<file>.tsv
//! (captures that stay in ../shared/corpus/pcap, LGPL ones never copied here), written by
//! tests/data/pcap/regen-expected.sh, which says how each kind is taken from tshark.
//! Differences that are by design are in tests/data/pcap/known-differences.tsv:
//! `capture<TAB>kind<TAB>value<TAB>ours-only|tshark-only<TAB>reason`, capture and value as
//! the report prints them (control characters as `\u{..}`). The test fails once, listing
//! every other difference in that form, and every listed difference that no longer occurs.

use crate::util::repo;
use sha2::{Digest, Sha256};
use shadow_ai::parse::capture::session::{CaptureNames, names_in_capture};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

const KINDS: [&str; 3] = ["dns", "sni", "http_host"];
const SIDES: [&str; 2] = ["ours-only", "tshark-only"];
const SHARED: &str = "../shared/corpus/pcap";

/// One expected file: the capture it describes and tshark's values per kind.
struct Expected {
    /// The capture's path relative to the repository root, as reports print it.
    capture: String,
    file: PathBuf,
    sha256: String,
    values: [BTreeSet<String>; 3],
    shared: bool,
}

/// A difference: capture, kind, escaped value, side.
type Diff = (String, String, String, String);

/// Control characters written as `\u{..}`, so a value fits on one TSV line and reads the
/// same in the report and in known-differences.tsv. Backslashes stay as they are: tshark
/// itself writes control bytes in DNS names as `\ooo`, and those values read as printed.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// The `.tsv` files under `dir`, sorted, as paths relative to `dir`.
fn tsv_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tsv") {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn read_expected(file: &Path, capture: String, shared: bool) -> Expected {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let sha256 = header
        .strip_prefix("# tshark ")
        .and_then(|h| h.split("; sha256 ").nth(1))
        .unwrap_or_else(|| panic!("{}: no `# tshark …; sha256 …` header", file.display()))
        .to_string();
    let mut values: [BTreeSet<String>; 3] = Default::default();
    for (n, line) in lines.enumerate() {
        let (kind, value) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("{}:{}: not kind<TAB>value", file.display(), n + 2));
        let k = KINDS
            .iter()
            .position(|&x| x == kind)
            .unwrap_or_else(|| panic!("{}:{}: unknown kind {kind:?}", file.display(), n + 2));
        values[k].insert(value.to_string());
    }
    Expected {
        capture,
        file: file.to_path_buf(),
        sha256,
        values,
        shared,
    }
}

/// known-differences.tsv as (capture, kind, value, side) → line number.
fn known_differences() -> BTreeMap<Diff, usize> {
    let path = repo("tests/data/pcap/known-differences.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut known = BTreeMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let n = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let ok = f.len() == 5
            && KINDS.contains(&f[1])
            && SIDES.contains(&f[3])
            && !f[4].trim().is_empty();
        assert!(
            ok,
            "known-differences.tsv:{n}: want capture, kind ({}), value, side ({}), reason: {line:?}",
            KINDS.join("|"),
            SIDES.join("|")
        );
        let key = (f[0].into(), f[1].into(), f[2].into(), f[3].into());
        if let Some(first) = known.insert(key, n) {
            panic!("known-differences.tsv:{n}: same as line {first}");
        }
    }
    known
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn kind_set(names: &CaptureNames, k: usize) -> &BTreeSet<String> {
    match k {
        0 => &names.dns,
        1 => &names.sni,
        _ => &names.http_host,
    }
}

#[test]
fn names_match_tshark() {
    let mut expected = Vec::new();
    let local = repo("tests/data/pcap/expected");
    for rel in tsv_files(&local) {
        let cap = rel.with_extension("");
        let capture = format!("tests/data/pcap/corpus/{}", cap.display());
        expected.push(read_expected(&local.join(&rel), capture, false));
    }
    let shared = repo("tests/data/pcap/expected-shared");
    let shared_present = repo(SHARED).is_dir();
    let mut skipped = 0;
    for rel in tsv_files(&shared) {
        if !shared_present {
            skipped += 1;
            continue;
        }
        let cap = rel.with_extension("");
        let capture = format!("{SHARED}/{}", cap.display());
        expected.push(read_expected(&shared.join(&rel), capture, true));
    }
    assert!(
        expected.len() > 200,
        "only {} expected files: run tests/data/pcap/regen-expected.sh",
        expected.len()
    );
    if skipped > 0 {
        println!("skipped {skipped} shared-corpus captures: ../shared/corpus not present");
    }

    let mut known = known_differences();
    let mut diffs: Vec<Diff> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut used: BTreeSet<Diff> = BTreeSet::new();
    let (mut theirs_n, mut ours_n) = ([0usize; 3], [0usize; 3]);
    let mut shared_n = 0;

    for e in &expected {
        shared_n += usize::from(e.shared);
        let path = repo(&e.capture);
        let raw = match std::fs::read(&path) {
            Ok(raw) => raw,
            Err(err) => {
                problems.push(format!("{}: cannot read: {err}", e.capture));
                continue;
            }
        };
        if sha256_hex(&raw) != e.sha256 {
            problems.push(format!(
                "{}: not the capture {} was made from (sha256 differs): rerun tests/data/pcap/regen-expected.sh",
                e.capture,
                e.file.display()
            ));
            continue;
        }
        // tshark reads gzip-compressed captures itself; the function takes the capture.
        let data = if e.capture.ends_with(".gz") {
            let mut out = Vec::new();
            if let Err(err) = flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out) {
                problems.push(format!("{}: gunzip: {err}", e.capture));
                continue;
            }
            out
        } else {
            raw
        };
        let names = match names_in_capture(&data) {
            Ok(n) => n,
            Err(err) => {
                problems.push(format!("{}: names_in_capture failed: {err}", e.capture));
                continue;
            }
        };
        for (k, kind) in KINDS.iter().enumerate() {
            let ours = kind_set(&names, k);
            let theirs = &e.values[k];
            theirs_n[k] += theirs.len();
            ours_n[k] += ours.len();
            let sides = [
                ("ours-only", ours.difference(theirs)),
                ("tshark-only", theirs.difference(ours)),
            ];
            for (side, values) in sides {
                for v in values {
                    let d: Diff = (e.capture.clone(), kind.to_string(), escape(v), side.into());
                    if known.contains_key(&d) {
                        used.insert(d);
                    } else {
                        diffs.push(d);
                    }
                }
            }
        }
    }

    // Without the shared corpus its known differences are neither used nor stale.
    if !shared_present {
        known.retain(|d, _| !d.0.starts_with(SHARED));
    }
    let stale: Vec<(&Diff, &usize)> = known.iter().filter(|(d, _)| !used.contains(*d)).collect();

    let per_kind = |n: [usize; 3]| {
        KINDS
            .iter()
            .zip(n)
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "capture corpus: {} captures ({} local, {shared_n} shared); tshark values: {}; ours: {}; known differences: {} matched",
        expected.len(),
        expected.len() - shared_n,
        per_kind(theirs_n),
        per_kind(ours_n),
        used.len()
    );

    if diffs.is_empty() && stale.is_empty() && problems.is_empty() {
        return;
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "capture corpus vs tshark: {} unexplained differences, {} stale known differences, {} other problems",
        diffs.len(),
        stale.len(),
        problems.len()
    );
    if !diffs.is_empty() {
        let _ = writeln!(
            report,
            "\nunexplained (capture, kind, value, side); by-design ones go to \
             tests/data/pcap/known-differences.tsv with a reason:"
        );
        for (c, k, v, s) in &diffs {
            let _ = writeln!(report, "{c}\t{k}\t{v}\t{s}");
        }
    }
    if !stale.is_empty() {
        let _ = writeln!(
            report,
            "\nstale: listed in known-differences.tsv but no longer occur:"
        );
        for ((c, k, v, s), n) in &stale {
            let _ = writeln!(report, "line {n}: {c}\t{k}\t{v}\t{s}");
        }
    }
    if !problems.is_empty() {
        let _ = writeln!(report, "\nother problems:");
        for p in &problems {
            let _ = writeln!(report, "{p}");
        }
    }
    panic!("{report}");
}
