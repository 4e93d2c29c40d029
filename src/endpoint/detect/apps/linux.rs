//! Linux applications: freedesktop `.desktop` entries, `/opt/<X>`, snaps, flatpaks, and the
//! dpkg status database. Linux paths compare exactly (case-sensitive).

use std::path::Path;

use memchr::memchr;

use super::{MAX_INVENTORY_BYTES, app, clean, components, err, parents, read_capped};
use crate::endpoint::artifact::{ArtifactSink, DetectError, MAX_MANIFEST_BYTES, Selector};

/// `opt/<X>/` at the root, and `**/flatpak/app/<app-id>/` (system `var/lib/flatpak`, or
/// per-user `.local/share/flatpak`).
pub(super) fn on_dir<'a>(
    rel: &Path,
    name: &[u8],
    parent: &[u8],
    mut up: impl Iterator<Item = &'a [u8]>,
    sink: &mut ArtifactSink<'_>,
) {
    if parent == b"opt" {
        if up.next().is_none() && !name.starts_with(b".") {
            if let Some(n) = clean(&String::from_utf8_lossy(name)) {
                sink(app(Selector::Executable(n.clone()), Some(n), None, rel));
            }
        }
    } else if parent == b"app" && up.next() == Some(b"flatpak") && is_app_id(name) {
        // is_app_id allows ASCII only.
        let id = String::from_utf8_lossy(name).into_owned();
        sink(app(
            Selector::Package {
                ecosystem: "flatpak",
                name: id.clone(),
            },
            Some(id),
            None,
            rel,
        ));
    }
}

/// A flatpak application id: reverse-DNS, at least two dots' worth of ASCII names.
fn is_app_id(s: &[u8]) -> bool {
    s.len() <= 255
        && s.iter().filter(|&&b| b == b'.').count() >= 2
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !s.starts_with(b".")
        && !s.ends_with(b".")
}

/// Where `.desktop` files of installed applications live, as the folders above
/// `applications/`, nearest first.
const DESKTOP_DIRS: [&[&[u8]]; 6] = [
    &[b"share", b"usr"],
    &[b"share", b"local", b"usr"],
    &[b"share", b".local"],
    &[b"share", b"exports", b"flatpak", b"lib", b"var"],
    &[b"share", b"exports", b"flatpak", b"share", b".local"],
    &[b"desktop", b"snapd", b"lib", b"var"],
];

/// A `.desktop` file directly in one of [`DESKTOP_DIRS`]`/applications/`.
pub(super) fn on_desktop(
    rel: &Path,
    abs: &Path,
    size: u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut up = parents(rel);
    if up.next() != Some(b"applications") {
        return Ok(());
    }
    if !DESKTOP_DIRS
        .iter()
        .any(|dirs| up.clone().take(dirs.len()).eq(dirs.iter().copied()))
    {
        return Ok(());
    }
    let bytes = read_capped(rel, abs, size, MAX_MANIFEST_BYTES, ".desktop")?;
    let text = String::from_utf8_lossy(&bytes);
    let entry = parse_desktop(&text)
        .ok_or_else(|| err(rel.to_path_buf(), ".desktop: no [Desktop Entry] Name"))?;
    if entry.hidden || entry.kind.as_deref().is_some_and(|t| t != "Application") {
        return Ok(());
    }
    let Some(name) = clean(&entry.name) else {
        return Err(err(rel.to_path_buf(), ".desktop: empty Name"));
    };
    let detail = if let Some(id) = entry.flatpak.as_deref().and_then(clean) {
        Some(format!("flatpak:{id}"))
    } else if let Some(snap) = entry.snap.as_deref().and_then(clean) {
        Some(format!("snap:{snap}"))
    } else {
        entry
            .exec
            .as_deref()
            .and_then(exec_program)
            .and_then(|p| clean(&p))
    };
    let mut a = app(Selector::Executable(name.clone()), Some(name), None, rel);
    a.detail = detail;
    sink(a);
    Ok(())
}

#[derive(Debug, Default)]
struct DesktopEntry {
    name: String,
    exec: Option<String>,
    kind: Option<String>,
    hidden: bool,
    flatpak: Option<String>,
    snap: Option<String>,
}

/// The `[Desktop Entry]` group's keys that matter; `None` without a `Name`.
fn parse_desktop(text: &str) -> Option<DesktopEntry> {
    let mut e = DesktopEntry::default();
    let mut name = None;
    let mut in_entry = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(group) = line.strip_prefix('[') {
            if in_entry {
                break; // the group ends; actions follow.
            }
            in_entry = group.strip_suffix(']') == Some("Desktop Entry");
            continue;
        }
        if !in_entry {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unescape(value.trim());
        match key.trim_end() {
            "Name" => name = Some(value),
            "Exec" => e.exec = Some(value),
            "Type" => e.kind = Some(value),
            "Hidden" => e.hidden = value == "true",
            "X-Flatpak" => e.flatpak = Some(value),
            "X-SnapInstanceName" => e.snap = Some(value),
            _ => {}
        }
    }
    e.name = name?;
    Some(e)
}

/// The desktop-entry string escapes: `\s`, `\n`, `\t`, `\r`, `\\`.
fn unescape(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// The program an `Exec` line runs, by file name: its first word (double quotes and their
/// `\` escapes understood), past an `env` and its `VAR=value` words.
pub(super) fn exec_program(exec: &str) -> Option<String> {
    let mut rest = exec;
    let mut after_env = false;
    loop {
        let (word, tail) = next_word(rest)?;
        rest = tail;
        let base = word.rsplit('/').next().unwrap_or(&word);
        if !after_env && base == "env" {
            after_env = true;
            continue;
        }
        if after_env {
            // `-u NAME` / `--unset NAME` take a word; other options and `VAR=value` do not.
            if word == "-u" || word == "--unset" {
                rest = next_word(rest)?.1;
                continue;
            }
            if word.starts_with('-') || (word.contains('=') && !word.starts_with('/')) {
                continue;
            }
        }
        return (!base.is_empty()).then(|| base.to_string());
    }
}

fn next_word(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some((_, e)) = chars.next() {
                    word.push(e);
                }
            }
            c if c.is_whitespace() && !quoted => return Some((word, &s[i..])),
            c => word.push(c),
        }
    }
    Some((word, ""))
}

/// `snap/<name>/<revision>/meta/snap.yaml` at the root (where snapd mounts each revision).
pub(super) fn on_snap_yaml(
    rel: &Path,
    abs: &Path,
    size: u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut c = components(rel);
    let (Some(_), Some(b"meta"), Some(rev), Some(dir), Some(b"snap"), None) =
        (c.next(), c.next(), c.next(), c.next(), c.next(), c.next())
    else {
        return Ok(());
    };
    if !is_revision(rev) {
        return Ok(());
    }
    let bytes = read_capped(rel, abs, size, MAX_MANIFEST_BYTES, "snap.yaml")?;
    let text = String::from_utf8_lossy(&bytes);
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("name:") {
            name = name.or_else(|| yaml_scalar(v));
        } else if let Some(v) = line.strip_prefix("version:") {
            version = version.or_else(|| yaml_scalar(v));
        }
    }
    // The folder is the instance name (`<name>_<key>` for a parallel install).
    let dir = String::from_utf8_lossy(dir);
    let fallback = dir.split('_').next().unwrap_or(&dir);
    let Some(name) = name.or_else(|| clean(fallback)) else {
        return Ok(());
    };
    sink(app(
        Selector::Package {
            ecosystem: "snap",
            name: name.clone(),
        },
        Some(name),
        version,
        rel,
    ));
    Ok(())
}

/// A plain YAML scalar: trimmed, one level of quotes removed, a trailing comment dropped.
fn yaml_scalar(v: &str) -> Option<String> {
    let v = v.trim();
    let v = if let Some(q) = v.strip_prefix('\'') {
        q.split('\'').next().unwrap_or("")
    } else if let Some(q) = v.strip_prefix('"') {
        q.split('"').next().unwrap_or("")
    } else {
        v.split(" #").next().unwrap_or("")
    };
    clean(v)
}

/// A snap revision folder: a store revision (`105`) or a local one (`x1`).
fn is_revision(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"x").unwrap_or(s);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// `**/var/lib/snapd/snaps/<name>_<revision>.snap`: the snap files snapd mounts (seen
/// where the mounts themselves are not: a disk image, a one-filesystem walk).
pub(super) fn on_snap_file(
    rel: &Path,
    name: &[u8],
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut up = parents(rel);
    if !(up.next() == Some(b"snaps")
        && up.next() == Some(b"snapd")
        && up.next() == Some(b"lib")
        && up.next() == Some(b"var"))
    {
        return Ok(());
    }
    let stem = &name[..name.len() - 5];
    let Some(us) = stem.iter().rposition(|&b| b == b'_') else {
        return Ok(());
    };
    let (instance, rev) = (&stem[..us], &stem[us + 1..]);
    if !is_revision(rev) {
        return Ok(());
    }
    let instance = String::from_utf8_lossy(instance);
    let Some(snap) = instance.split('_').next().and_then(clean) else {
        return Ok(());
    };
    let mut a = app(
        Selector::Package {
            ecosystem: "snap",
            name: snap.clone(),
        },
        Some(snap),
        None,
        rel,
    );
    a.detail = Some(format!("revision {}", String::from_utf8_lossy(rev)));
    sink(a);
    Ok(())
}

/// `**/var/lib/dpkg/status`: each package whose `Status` ends in `installed`.
pub(super) fn on_dpkg_status(
    rel: &Path,
    abs: &Path,
    size: u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut up = parents(rel);
    if !(up.next() == Some(b"dpkg") && up.next() == Some(b"lib") && up.next() == Some(b"var")) {
        return Ok(());
    }
    let bytes = read_capped(rel, abs, size, MAX_INVENTORY_BYTES, "dpkg status")?;
    parse_dpkg(&bytes, &mut |p: DpkgPackage<'_>| {
        let name = String::from_utf8_lossy(p.name);
        let Some(name) = clean(&name) else { return };
        let version = p.version.and_then(|v| clean(&String::from_utf8_lossy(v)));
        let mut a = app(
            Selector::Package {
                ecosystem: "deb",
                name: name.clone(),
            },
            Some(name),
            version,
            rel,
        );
        a.line = Some(p.line);
        sink(a);
    });
    Ok(())
}

struct DpkgPackage<'a> {
    name: &'a [u8],
    version: Option<&'a [u8]>,
    /// 1-based line of the stanza's first field.
    line: u64,
}

#[derive(Default)]
struct Stanza<'a> {
    name: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    installed: bool,
    line: u64,
}

impl<'a> Stanza<'a> {
    fn finish(self, out: &mut impl FnMut(DpkgPackage<'a>)) {
        if let (true, Some(name)) = (self.installed, self.name) {
            out(DpkgPackage {
                name,
                version: self.version,
                line: self.line,
            });
        }
    }
}

/// RFC 822-like stanzas separated by blank lines; continuation lines start with a space or
/// tab. Field names are case-insensitive.
fn parse_dpkg<'a>(text: &'a [u8], out: &mut impl FnMut(DpkgPackage<'a>)) {
    let mut stanza = Stanza::default();
    let mut rest = text;
    let mut line_no = 0u64;
    while !rest.is_empty() {
        line_no += 1;
        let (line, tail) = match memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        rest = tail;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            std::mem::take(&mut stanza).finish(out);
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue;
        }
        if stanza.line == 0 {
            stanza.line = line_no;
        }
        let Some(colon) = memchr(b':', line) else {
            continue;
        };
        let (field, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if field.eq_ignore_ascii_case(b"Package") {
            stanza.name = Some(value);
        } else if field.eq_ignore_ascii_case(b"Version") {
            stanza.version = Some(value);
        } else if field.eq_ignore_ascii_case(b"Status") {
            stanza.installed = value.rsplit(|&b| b == b' ').next() == Some(b"installed");
        }
    }
    stanza.finish(out);
}
