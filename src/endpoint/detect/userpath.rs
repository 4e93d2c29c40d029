//! Path and file helpers shared by the local-AI, agent and secret detectors: the last
//! components of a path as bytes (no allocation), the part of a path inside a user's home,
//! and capped reads.

use crate::endpoint::artifact::DetectError;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path};

/// The last `N` components of `rel` as bytes: `[0]` is the file name, `[1]` its parent …;
/// missing ones are empty. Walks the path from the end only as far as needed.
pub(crate) fn tail<const N: usize>(rel: &Path) -> [&[u8]; N] {
    let mut out: [&[u8]; N] = [b""; N];
    for (slot, c) in out.iter_mut().zip(rel.components().rev()) {
        *slot = comp_bytes(c);
    }
    out
}

fn comp_bytes(c: Component<'_>) -> &[u8] {
    match c {
        Component::Normal(s) => s.as_encoded_bytes(),
        _ => b"",
    }
}

// ASCII case-insensitive comparisons (paths may come from Windows or macOS disks), shared
// with the manifest readers.
pub(crate) use super::manifest_io::{ends_with_ci, eq_ci as eq, starts_with_ci};

/// The part of `rel` inside a user's home folder: after `home/<user>/`, `Users/<user>/`,
/// `Documents and Settings/<user>/` or `root/`. When the walk root is itself a collected home folder (`rel` starts with a dot
/// folder, `AppData` or `Library`), all of `rel`. `None` elsewhere (`usr/…`, `opt/…`).
pub(crate) fn home_rest(rel: &Path) -> Option<&Path> {
    let mut it = rel.components();
    let first = comp_bytes(it.next()?);
    if eq(first, "home") || eq(first, "Users") || eq(first, "Documents and Settings") {
        let user = comp_bytes(it.next()?);
        if user.is_empty() {
            return None;
        }
        return Some(it.as_path());
    }
    if first == b"root" {
        return Some(it.as_path());
    }
    if first.first() == Some(&b'.') || eq(first, "AppData") || eq(first, "Library") {
        return Some(rel);
    }
    None
}

/// The components of `rest` (a home-relative path) when there are at most `N` of them.
pub(crate) fn short_components<const N: usize>(rest: &Path) -> Option<([&[u8]; N], usize)> {
    let mut out: [&[u8]; N] = [b""; N];
    let mut n = 0;
    for c in rest.components() {
        if n == N {
            return None;
        }
        out[n] = comp_bytes(c);
        n += 1;
    }
    Some((out, n))
}

/// `rest` as the `/`-separated string a `Selector::ConfigPath` holds.
pub(crate) fn slash_path(rest: &Path) -> String {
    let mut s = String::new();
    for c in rest.components() {
        if !s.is_empty() {
            s.push('/');
        }
        s.push_str(&String::from_utf8_lossy(comp_bytes(c)));
    }
    s
}

/// Lossy UTF-8 of a path component, for names.
pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A `DetectError` for `path` (root-relative, as artefacts name files).
pub(crate) fn err(path: &Path, reason: String) -> DetectError {
    DetectError {
        path: path.to_path_buf(),
        reason,
    }
}

/// The whole file, refused when larger than `cap` (checked before and while reading).
/// Errors name `rel`; `abs` is only read.
pub(crate) fn read_capped(
    rel: &Path,
    abs: &Path,
    cap: u64,
    what: &str,
) -> Result<Vec<u8>, DetectError> {
    let f = File::open(abs).map_err(|e| err(rel, format!("{what}: {e}")))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > cap {
        return Err(err(rel, format!("{what}: larger than {cap} bytes")));
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| err(rel, format!("{what}: {e}")))?;
    if buf.len() as u64 > cap {
        return Err(err(rel, format!("{what}: larger than {cap} bytes")));
    }
    Ok(buf)
}

/// Up to `buf.len()` bytes from `offset`; returns how many were read (fewer at the end).
pub(crate) fn read_at(f: &mut File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    f.seek(SeekFrom::Start(offset))?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Replaces control characters (a config file's strings reach terminals) and caps the
/// length at `max` characters.
pub(crate) fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 3));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_and_home() {
        let p = Path::new(
            "Users/alice/.ollama/models/manifests/registry.ollama.ai/library/llama3/latest",
        );
        let t: [&[u8]; 6] = tail(p);
        assert_eq!(t[0], b"latest");
        assert_eq!(t[4], b"manifests");
        assert_eq!(t[5], b"models");
        let short: [&[u8]; 3] = tail(Path::new("a/b"));
        assert_eq!(short, [b"b" as &[u8], b"a", b""]);
        assert_eq!(
            home_rest(Path::new("home/bob/.config/goose")),
            Some(Path::new(".config/goose"))
        );
        assert_eq!(
            home_rest(Path::new("users/Bob/AppData")),
            Some(Path::new("AppData"))
        );
        assert_eq!(
            home_rest(Path::new("root/.claude")),
            Some(Path::new(".claude"))
        );
        assert_eq!(home_rest(Path::new(".claude")), Some(Path::new(".claude")));
        assert_eq!(home_rest(Path::new("usr/share/ollama/.ollama")), None);
        assert_eq!(home_rest(Path::new("home")), None);
        assert_eq!(
            slash_path(Path::new("Library/Application Support/Jan")),
            "Library/Application Support/Jan"
        );
        assert_eq!(clean("a\u{1b}[31mb", 100), "a [31mb");
        assert_eq!(clean("abcdef", 3), "abc…");
    }
}
