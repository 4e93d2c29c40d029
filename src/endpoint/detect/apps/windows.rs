//! Windows programs: regedit exports of the Uninstall keys, `Program Files` and per-user
//! `AppData\Local\Programs` folders, and Start Menu shortcuts.
//!
//! A `.reg` export is `Windows Registry Editor Version 5.00` in UTF-16LE with a BOM (what
//! regedit writes; UTF-8 is accepted too) or `REGEDIT4` in the ANSI code page (read as
//! Windows-1252). Sections are `[KEY]`, values `"Name"="string"` (with `\\` and `\"`
//! escapes), `"Name"=dword:0000001`, or `"Name"=hex(N):xx,xx,…` where a line ending in `\`
//! goes on at the next line. `hex(2)` (REG_EXPAND_SZ) and `hex(1)` (REG_SZ) hold UTF-16LE
//! text in version 5 and ANSI text in `REGEDIT4`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{app, clean, components, err, read_capped};
use crate::endpoint::artifact::{ArtifactSink, DetectError, MAX_MANIFEST_BYTES, Selector};

/// `Program Files` folders whose children are programs (x64, x86 on x64, Arm64 Windows).
const PROGRAM_FILES: [&[u8]; 3] = [
    b"Program Files",
    b"Program Files (x86)",
    b"Program Files (Arm)",
];

/// Children of `Program Files` that hold no one program: shared files and the MSIX store.
const NOT_PROGRAMS: [&[u8]; 3] = [b"Common Files", b"WindowsApps", b"ModifiableWindowsApps"];

/// `Program Files/<X>/` and `…/AppData/Local/Programs/<X>/`: a program named by its folder.
pub(super) fn on_dir<'a>(
    rel: &Path,
    name: &[u8],
    parent: &[u8],
    mut up: impl Iterator<Item = &'a [u8]>,
    sink: &mut ArtifactSink<'_>,
) {
    let program = if PROGRAM_FILES.iter().any(|p| parent.eq_ignore_ascii_case(p)) {
        !NOT_PROGRAMS.iter().any(|n| name.eq_ignore_ascii_case(n))
    } else {
        parent.eq_ignore_ascii_case(b"Programs")
            && up.next().is_some_and(|c| c.eq_ignore_ascii_case(b"Local"))
            && up
                .next()
                .is_some_and(|c| c.eq_ignore_ascii_case(b"AppData"))
    };
    if !program || name.starts_with(b".") || name.starts_with(b"$") {
        return;
    }
    if let Some(name) = clean(&String::from_utf8_lossy(name)) {
        sink(app(
            Selector::Executable(name.clone()),
            Some(name),
            None,
            rel,
        ));
    }
}

/// `…/Start Menu/Programs/**/<Name>.lnk`: a program named by its shortcut.
pub(super) fn on_lnk(
    rel: &Path,
    name: &[u8],
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut below_programs = false;
    let mut in_start_menu = false;
    for c in components(rel).skip(1) {
        if below_programs && c.eq_ignore_ascii_case(b"Start Menu") {
            in_start_menu = true;
            break;
        }
        below_programs = c.eq_ignore_ascii_case(b"Programs");
    }
    if !in_start_menu {
        return Ok(());
    }
    let stem = String::from_utf8_lossy(&name[..name.len() - 4]);
    if let Some(stem) = clean(&stem) {
        sink(app(
            Selector::Executable(stem.clone()),
            Some(stem),
            None,
            rel,
        ));
    }
    Ok(())
}

/// A `.reg` file: reports each program under an `…\CurrentVersion\Uninstall\<key>` section
/// that has a `DisplayName` and is not a `SystemComponent`. Files that are not regedit
/// exports are ignored.
pub(super) fn on_reg(
    rel: &Path,
    abs: &Path,
    size: u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut head = [0u8; HEAD_BYTES];
    let n = File::open(abs)
        .and_then(|f| read_up_to(f, &mut head))
        .map_err(|e| err(rel.to_path_buf(), format!(".reg: {e}")))?;
    if sniff(&head[..n]).is_none() {
        return Ok(());
    }
    let bytes = read_capped(rel, abs, size, MAX_MANIFEST_BYTES, ".reg")?;
    let Some((text, format)) = decode(&bytes) else {
        return Ok(());
    };
    parse_reg(&text, format, &mut |e: UninstallEntry| {
        let mut a = app(
            Selector::Executable(e.display_name.clone()),
            Some(e.display_name),
            e.version,
            rel,
        );
        a.line = Some(e.line);
        a.detail = e.publisher;
        sink(a);
    });
    Ok(())
}

fn read_up_to(mut f: File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum RegFormat {
    /// `Windows Registry Editor Version 5.00`: hex strings are UTF-16LE.
    V5,
    /// `REGEDIT4`: hex strings are ANSI.
    V4,
}

const V5_HEADER: &str = "Windows Registry Editor Version 5.00";
/// Enough of the file for the BOM, blank lines and the header in UTF-16.
const HEAD_BYTES: usize = 128;
const V4_HEADER: &str = "REGEDIT4";

/// How the file starts: `(text encoding, format)` when it is a regedit export.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Encoding {
    Utf16Le,
    Utf8,
    Ansi,
}

fn sniff(head: &[u8]) -> Option<(Encoding, RegFormat)> {
    let (enc, body): (Encoding, std::borrow::Cow<'_, str>) =
        if let Some(b) = head.strip_prefix(&[0xFF, 0xFE]) {
            (Encoding::Utf16Le, utf16le(b).into())
        } else if let Some(b) = head.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            (Encoding::Utf8, String::from_utf8_lossy(b))
        } else {
            (Encoding::Ansi, String::from_utf8_lossy(head))
        };
    let body = body.trim_start();
    let format = if body.starts_with(V5_HEADER) {
        RegFormat::V5
    } else if body.starts_with(V4_HEADER) {
        RegFormat::V4
    } else {
        return None;
    };
    Some((enc, format))
}

/// The file as text, when it is a regedit export.
fn decode(bytes: &[u8]) -> Option<(String, RegFormat)> {
    let (enc, format) = sniff(&bytes[..bytes.len().min(HEAD_BYTES)])?;
    let text = match enc {
        Encoding::Utf16Le => utf16le(&bytes[2..]),
        Encoding::Utf8 => String::from_utf8_lossy(&bytes[3..]).into_owned(),
        // No BOM: UTF-8 when it decodes, else the ANSI code page (Windows-1252 assumed).
        Encoding::Ansi => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
        },
    };
    Some((text, format))
}

fn utf16le(b: &[u8]) -> String {
    char::decode_utf16(b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252: Latin-1 except 0x80–0x9F.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// One program from the Uninstall keys.
#[derive(Debug, Default)]
struct UninstallEntry {
    display_name: String,
    version: Option<String>,
    publisher: Option<String>,
    /// 1-based line of the section header.
    line: u64,
}

/// The values of the section being read.
#[derive(Default)]
struct Section {
    /// Whether it is `…\CurrentVersion\Uninstall\<one key>`.
    uninstall: bool,
    line: u64,
    display_name: Option<String>,
    version: Option<String>,
    publisher: Option<String>,
    system_component: bool,
}

impl Section {
    fn finish(self, out: &mut impl FnMut(UninstallEntry)) {
        if !self.uninstall || self.system_component {
            return;
        }
        if let Some(display_name) = self.display_name {
            out(UninstallEntry {
                display_name,
                version: self.version,
                publisher: self.publisher,
                line: self.line,
            });
        }
    }
}

fn parse_reg(text: &str, format: RegFormat, out: &mut impl FnMut(UninstallEntry)) {
    let mut section = Section::default();
    // A value continued over several lines is joined here (without the `\` and the next
    // line's indentation) before it is read.
    let mut logical = String::new();
    let mut string = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i as u64 + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if logical.is_empty() {
            let first = raw.trim_start();
            if first.starts_with('[') {
                std::mem::take(&mut section).finish(out);
                section = open_section(first, line_no);
                continue;
            }
            string = is_string_value(first);
            logical.push_str(first);
        } else {
            logical.push_str(raw.trim_start());
        }
        if continues(&logical, string) {
            logical.pop();
            continue;
        }
        if section.uninstall {
            read_value(&logical, format, &mut section);
        }
        logical.clear();
    }
    if section.uninstall && !logical.is_empty() {
        read_value(&logical, format, &mut section);
    }
    section.finish(out);
}

fn open_section(line: &str, line_no: u64) -> Section {
    let key = line.trim_end();
    let key = key.strip_prefix('[').unwrap_or(key);
    let key = key.strip_suffix(']').unwrap_or(key);
    // `[-KEY]` deletes the key.
    let uninstall = !key.starts_with('-') && is_uninstall_subkey(key);
    Section {
        uninstall,
        line: line_no,
        ..Section::default()
    }
}

/// `…\Microsoft\Windows\CurrentVersion\Uninstall\<one key>`, under any hive or `WOW6432Node`.
fn is_uninstall_subkey(key: &str) -> bool {
    const MARK: &[u8] = b"\\microsoft\\windows\\currentversion\\uninstall\\";
    let k = key.as_bytes();
    let Some(at) = k
        .windows(MARK.len())
        .position(|w| w.eq_ignore_ascii_case(MARK))
    else {
        return false;
    };
    let sub = &k[at + MARK.len()..];
    !sub.is_empty() && !sub.contains(&b'\\')
}

/// Whether a value line's data is a quoted string (`"Name"="…"` or `@="…"`).
fn is_string_value(line: &str) -> bool {
    match value_start(line) {
        Some(v) => v.starts_with('"'),
        None => false,
    }
}

/// The data after `"Name"=` or `@=`.
fn value_start(line: &str) -> Option<&str> {
    let rest = if let Some(r) = line.strip_prefix('@') {
        r
    } else {
        let (_, r) = quoted(line)?;
        r
    };
    rest.trim_start().strip_prefix('=').map(str::trim_start)
}

/// Whether the logical line goes on at the next line: a value other than a quoted string
/// that ends in `\`. regedit wraps only `hex` data; a string's text is never wrapped, so a
/// `\` ending a string line is its text.
fn continues(logical: &str, string: bool) -> bool {
    !string && logical.ends_with('\\')
}

/// A `"…"` string at the start of `s` with `\\` and `\"` unescaped, and the rest after it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => return None,
            },
            c => out.push(c),
        }
    }
    None
}

/// Reads one `"Name"=data` line into the section.
fn read_value(line: &str, format: RegFormat, section: &mut Section) {
    let Some((name, rest)) = quoted(line) else {
        return;
    };
    let Some(data) = rest.trim_start().strip_prefix('=').map(str::trim_start) else {
        return;
    };
    let slot = if name.eq_ignore_ascii_case("DisplayName") {
        &mut section.display_name
    } else if name.eq_ignore_ascii_case("DisplayVersion") {
        &mut section.version
    } else if name.eq_ignore_ascii_case("Publisher") {
        &mut section.publisher
    } else if name.eq_ignore_ascii_case("SystemComponent") {
        section.system_component = dword(data) == Some(1);
        return;
    } else {
        return;
    };
    *slot = string_data(data, format).and_then(|s| clean(&s));
}

/// `dword:0000001`.
fn dword(data: &str) -> Option<u32> {
    let hex = data.strip_prefix("dword:")?.trim();
    u32::from_str_radix(hex, 16).ok()
}

/// A string value: `"…"`, or `hex(2):` / `hex(1):` bytes (UTF-16LE in version 5, ANSI in
/// `REGEDIT4`), up to the first NUL.
fn string_data(data: &str, format: RegFormat) -> Option<String> {
    if data.starts_with('"') {
        return quoted(data).map(|(s, _)| s);
    }
    let lower = data.get(..7).map(str::to_ascii_lowercase)?;
    if lower != "hex(2):" && lower != "hex(1):" {
        return None;
    }
    let mut bytes = Vec::new();
    for part in data[7..].split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        bytes.push(u8::from_str_radix(part, 16).ok()?);
    }
    let s = match format {
        RegFormat::V5 => {
            let s = utf16le(&bytes);
            match s.find('\0') {
                Some(end) => s[..end].to_string(),
                None => s,
            }
        }
        RegFormat::V4 => bytes
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| cp1252(b))
            .collect(),
    };
    Some(s)
}

#[cfg(test)]
pub(super) fn parse_for_test(bytes: &[u8]) -> Vec<(String, Option<String>, Option<String>, u64)> {
    let mut v = Vec::new();
    if let Some((text, format)) = decode(bytes) {
        parse_reg(&text, format, &mut |e: UninstallEntry| {
            v.push((e.display_name, e.version, e.publisher, e.line));
        });
    }
    v
}
