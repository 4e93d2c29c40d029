//! What the extension and package detectors share: path-component tests that do not
//! allocate, capped reads that refuse symlinks, tolerant JSON and text decoding, line
//! numbers from byte offsets, and loose version ordering.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::endpoint::artifact::{Artifact, ArtifactSink, DetectError, MAX_MANIFEST_BYTES};

/// Runs a detector hook that builds its paths from `abs` (where it reads), and reports
/// them relative to the walk root like the walker's `rel`: `abs` is for reading only.
/// Nothing is computed unless something is reported.
pub(crate) fn report_rel<T>(
    abs: &Path,
    rel: &Path,
    sink: &mut ArtifactSink<'_>,
    hook: impl FnOnce(&mut ArtifactSink<'_>) -> Result<T, DetectError>,
) -> Result<T, DetectError> {
    let mut out = |mut a: Artifact| {
        a.path = reported(&a.path, abs, rel);
        sink(a);
    };
    hook(&mut out).map_err(|mut e| {
        e.path = reported(&e.path, abs, rel);
        e
    })
}

/// `path` (under `abs`'s walk root) made relative to that root.
fn reported(path: &Path, abs: &Path, rel: &Path) -> PathBuf {
    let root = abs.ancestors().nth(rel.components().count());
    match root.and_then(|r| path.strip_prefix(r).ok()) {
        Some(p) => p.to_path_buf(),
        None => path.to_path_buf(),
    }
}

/// The last component of `p` as bytes (empty for `""` or `..`).
pub(crate) fn file_name(p: &Path) -> &[u8] {
    p.file_name().map_or(&[], OsStr::as_encoded_bytes)
}

/// The name of the `n`-th folder above `p` (`n = 0` is `p`'s own name); empty when the
/// path is shorter.
pub(crate) fn ancestor_name(p: &Path, n: usize) -> &[u8] {
    let mut cur = p;
    for _ in 0..n {
        match cur.parent() {
            Some(parent) => cur = parent,
            None => return &[],
        }
    }
    file_name(cur)
}

/// ASCII case-insensitive equality: Windows and macOS file systems ignore case.
pub(crate) fn eq_ci(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

pub(crate) fn ends_with_ci(a: &[u8], suffix: &str) -> bool {
    a.len() >= suffix.len() && eq_ci(&a[a.len() - suffix.len()..], suffix)
}

pub(crate) fn starts_with_ci(a: &[u8], prefix: &str) -> bool {
    a.len() >= prefix.len() && eq_ci(&a[..prefix.len()], prefix)
}

/// Whether any folder of `p` is called `name` (case-insensitively).
pub(crate) fn has_component_ci(p: &Path, name: &str) -> bool {
    p.components().any(|c| match c {
        Component::Normal(s) => eq_ci(s.as_encoded_bytes(), name),
        _ => false,
    })
}

/// `p` with `/` separators, for details and messages.
pub(crate) fn slash_path(p: &Path) -> String {
    let mut out = String::new();
    for c in p.components() {
        if let Component::Normal(s) = c {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(&s.to_string_lossy());
        }
    }
    out
}

pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn error(path: &Path, reason: String) -> DetectError {
    DetectError {
        path: path.to_path_buf(),
        reason,
    }
}

fn label(path: &Path) -> Cow<'_, str> {
    path.file_name()
        .map_or(Cow::Borrowed("file"), OsStr::to_string_lossy)
}

fn too_large(path: &Path) -> DetectError {
    error(
        path,
        format!(
            "{}: larger than {} MiB, not read",
            label(path),
            MAX_MANIFEST_BYTES >> 20
        ),
    )
}

fn io_error(path: &Path, e: &io::Error) -> DetectError {
    error(path, format!("{}: {}", label(path), e.kind()))
}

/// Reads a file the walker handed over (a regular file under the root), at most
/// `MAX_MANIFEST_BYTES`.
pub(crate) fn read_file(abs: &Path, size: u64) -> Result<Vec<u8>, DetectError> {
    if size > MAX_MANIFEST_BYTES {
        return Err(too_large(abs));
    }
    read_capped(abs, MAX_MANIFEST_BYTES, true)
}

/// Reads at most `max` bytes from the start of a file (the headers of a METADATA file whose
/// long description may be large).
pub(crate) fn read_head(abs: &Path, max: u64) -> Result<Vec<u8>, DetectError> {
    read_capped(abs, max, false)
}

fn read_capped(abs: &Path, max: u64, whole: bool) -> Result<Vec<u8>, DetectError> {
    let file = File::open(abs).map_err(|e| io_error(abs, &e))?;
    let mut buf = Vec::new();
    file.take(max + u64::from(whole))
        .read_to_end(&mut buf)
        .map_err(|e| io_error(abs, &e))?;
    if whole && buf.len() as u64 > max {
        return Err(too_large(abs));
    }
    Ok(buf)
}

/// Reads `dir/name` that a detector looks for itself: `None` when it is absent, a symlink
/// (it could point out of the root) or not a regular file. Returns the bytes and the
/// file's path.
pub(crate) fn read_child(
    dir: &Path,
    name: &str,
) -> Result<Option<(Vec<u8>, PathBuf)>, DetectError> {
    read_child_capped(dir, name, None)
}

/// As `read_child`, but only the first `max` bytes, whatever the file's size.
pub(crate) fn read_child_head(
    dir: &Path,
    name: &str,
    max: u64,
) -> Result<Option<(Vec<u8>, PathBuf)>, DetectError> {
    read_child_capped(dir, name, Some(max))
}

fn read_child_capped(
    dir: &Path,
    name: &str,
    head: Option<u64>,
) -> Result<Option<(Vec<u8>, PathBuf)>, DetectError> {
    let path = dir.join(name);
    let meta = match fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, &e)),
    };
    if !meta.file_type().is_file() {
        return Ok(None);
    }
    let bytes = match head {
        Some(max) => read_capped(&path, max, false)?,
        None if meta.len() > MAX_MANIFEST_BYTES => return Err(too_large(&path)),
        None => read_capped(&path, MAX_MANIFEST_BYTES, true)?,
    };
    Ok(Some((bytes, path)))
}

/// Whether `abs` is a real folder (not a symlink to one).
pub(crate) fn is_real_dir(abs: &Path) -> bool {
    fs::symlink_metadata(abs).is_ok_and(|m| m.file_type().is_dir())
}

/// The real (non-symlink) entries of a folder that are folders (`want_dir`) or regular
/// files, at most `cap` of them, sorted by name so results do not depend on the file
/// system's order.
pub(crate) fn list(
    dir: &Path,
    want_dir: bool,
    cap: usize,
) -> Result<Vec<std::ffi::OsString>, DetectError> {
    let rd = fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let Ok(ft) = entry.file_type() else { continue };
        if (want_dir && ft.is_dir()) || (!want_dir && ft.is_file()) {
            out.push(entry.file_name());
            if out.len() >= cap {
                break;
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Text in the encodings editors and shells write: UTF-8 with or without BOM, UTF-16 with
/// BOM (PowerShell 5 `pip freeze > requirements.txt`). Invalid bytes become U+FFFD.
pub(crate) fn decode_text(b: &[u8]) -> Cow<'_, str> {
    fn utf16(b: &[u8], le: bool) -> Cow<'static, str> {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        Cow::Owned(String::from_utf16_lossy(&units))
    }
    match b {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest),
        _ => String::from_utf8_lossy(b),
    }
}

/// JSON as browsers and editors accept it: a BOM, and (on a second try) `//` and `/* */`
/// comments and trailing commas, which Chromium's manifest reader allows. The error names
/// the file and whether it was cut short, nothing that varies with the content, so that
/// the walker's reason counts stay few.
pub(crate) fn parse_json(b: &[u8], path: &Path) -> Result<serde_json::Value, DetectError> {
    let text = decode_text(b);
    match serde_json::from_str(&text) {
        Ok(v) => Ok(v),
        Err(first) => serde_json::from_str(&strip_json_extensions(&text)).map_err(|_| {
            let what = if first.is_eof() {
                "not JSON (cut short)"
            } else {
                "not JSON"
            };
            error(path, format!("{}: {what}", label(path)))
        }),
    }
}

/// Removes comments and commas before `]`/`}`, outside strings.
fn strip_json_extensions(text: &str) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_str = true;
                out.push(c);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b']' | b'}' => {
                while out.last().is_some_and(|x| x.is_ascii_whitespace()) {
                    out.pop();
                }
                if out.last() == Some(&b',') {
                    out.pop();
                }
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Maps byte offsets to 1-based line numbers.
pub(crate) struct Lines {
    newlines: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        Lines {
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        }
    }

    pub(crate) fn line_of(&self, offset: usize) -> u64 {
        self.newlines.partition_point(|&nl| nl < offset) as u64 + 1
    }
}

/// Orders version strings by their numeric parts first (`1.10.0` > `1.9.2`), then text;
/// good enough to pick the newest of several installed copies.
pub(crate) fn version_cmp(a: &str, b: &str) -> Ordering {
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (pa, pb) = (split(a), split(b));
    for (x, y) in pa.iter().zip(pb.iter()) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Greater,
            (Err(_), Ok(_)) => Ordering::Less,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len())
}

/// A JSON value as a non-empty trimmed string.
pub(crate) fn json_str(v: Option<&serde_json::Value>) -> Option<&str> {
    v.and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        let p = Path::new("home/u/.vscode/extensions");
        assert_eq!(file_name(p), b"extensions");
        assert_eq!(ancestor_name(p, 1), b".vscode");
        assert_eq!(ancestor_name(p, 3), b"home");
        assert_eq!(ancestor_name(p, 4), b"");
        assert_eq!(ancestor_name(p, 9), b"");
        assert!(has_component_ci(p, ".VSCODE"));
        assert_eq!(slash_path(p), "home/u/.vscode/extensions");
    }

    #[test]
    fn reported_paths_are_root_relative() {
        let abs = Path::new("/mnt/img/home/u/.vscode/extensions");
        let rel = Path::new("home/u/.vscode/extensions");
        let mut got = Vec::new();
        let mut sink = |a: Artifact| got.push(a.path);
        let r: Result<(), DetectError> = report_rel(abs, rel, &mut sink, |sink| {
            sink(Artifact {
                kind: crate::endpoint::artifact::ArtifactKind::IdeExtension,
                selector: crate::endpoint::artifact::Selector::None,
                name: None,
                version: None,
                path: abs.join("a/package.json"),
                line: None,
                size: None,
                detail: None,
            });
            Err(error(&abs.join("extensions.json"), "x".into()))
        });
        assert_eq!(got, [rel.join("a/package.json")]);
        assert_eq!(r.unwrap_err().path, rel.join("extensions.json"));
    }

    #[test]
    fn json_relaxed() {
        let v = parse_json(
            b"\xEF\xBB\xBF{\"a\": \"x//y\", // c\n /* d */ \"b\": [1, 2,],}",
            Path::new("m.json"),
        )
        .unwrap();
        assert_eq!(v["a"], "x//y");
        assert_eq!(v["b"][1], 2);
        let e = parse_json(b"{\"a\":", Path::new("d/m.json")).unwrap_err();
        assert_eq!(e.reason, "m.json: not JSON (cut short)");
        assert_eq!(e.path, Path::new("d/m.json"));
        let e = parse_json(b"{\"a\" 1}", Path::new("m.json")).unwrap_err();
        assert_eq!(e.reason, "m.json: not JSON");
    }

    #[test]
    fn text_encodings() {
        assert_eq!(decode_text(b"\xFF\xFEa\0=\0"), "a=");
        assert_eq!(decode_text(b"\xFE\xFF\0a\0="), "a=");
        assert_eq!(decode_text(b"\xEF\xBB\xBFab"), "ab");
        assert_eq!(decode_text(b"a\xFFb"), "a\u{FFFD}b");
    }

    #[test]
    fn lines_and_versions() {
        let l = Lines::new("a\nbb\nc");
        assert_eq!(l.line_of(0), 1);
        assert_eq!(l.line_of(2), 2);
        assert_eq!(l.line_of(5), 3);
        assert_eq!(version_cmp("1.10.0", "1.9.2"), Ordering::Greater);
        assert_eq!(version_cmp("1.0.0", "1.0.0.1"), Ordering::Less);
        assert_eq!(version_cmp("2.0", "2.0"), Ordering::Equal);
    }
}
