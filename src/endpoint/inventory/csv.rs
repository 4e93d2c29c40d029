//! CSV software inventories exported from EDR and MDM consoles, read through a column
//! mapping.
//!
//! # Built-in mappings (headers verified against the vendors' documentation)
//!
//! | name | export | columns used |
//! |---|---|---|
//! | `intune-discovered-apps` | Intune *Apps › Monitor › Discovered apps › Export*, and the Graph export reports `AppInvRawData`, `AppInvByDevice`, `DevicesByAppInv` (`ApplicationKey, ApplicationName, ApplicationPublisher, ApplicationShortVersion, ApplicationVersion, DeviceId, DeviceName, OSDescription, OSVersion, Platform, UserId, EmailAddress, UserName`) | endpoint `DeviceName`; user `EmailAddress`, else `UserName`; name `ApplicationName`; version `ApplicationVersion`, else `ApplicationShortVersion`; publisher `ApplicationPublisher` |
//! | `defender-software-inventory` | Microsoft Defender Vulnerability Management `DeviceTvmSoftwareInventory` (advanced hunting, Sentinel) and the `SoftwareInventoryByMachine` export (`DeviceId, DeviceName, OSPlatform, OSVersion, OSArchitecture, SoftwareVendor, SoftwareName, SoftwareVersion, EndOfSupportStatus, EndOfSupportDate, ProductCodeCpe`) | endpoint `DeviceName`; name `SoftwareName`; version `SoftwareVersion`; publisher `SoftwareVendor` |
//!
//! A header matches a built-in mapping when it has the mapping's name and endpoint columns
//! ([`sniff_csv_inventory`]). Header names are compared ignoring case and everything but
//! letters and digits, so the console's display headers (`Application Name`, `Device name`)
//! match the API's (`ApplicationName`, `DeviceName`). Jamf Pro, CrowdStrike Falcon and other
//! consoles export the columns the operator chose, so they need a mapping file.
//!
//! # Mapping file (`--inventory-map FILE`, TOML)
//!
//! ```toml
//! schema = 1                      # optional; 1 is the only version
//! name = "jamf-applications"      # optional label for messages
//! delimiter = ","                 # optional: ",", ";", "\t" or "|"; default: `sep=` line or sniffed
//! ecosystem = "pypi"              # optional: the ecosystem of every package row, when no column says
//!
//! [columns]                       # header names; a list means "the first non-empty of these"
//! endpoint  = "Computer Name"
//! user      = ["Username", "Email Address"]
//! name      = "Application Title" # display name; with no bundle_id / package, an app by this name
//! version   = "Application Version"
//! publisher = "Publisher"
//! bundle_id = "Bundle ID"         # macOS bundle identifier: the row is an app `BundleId`
//! package   = "Package Name"      # a package name: the row is a package in `ecosystem`
//! ecosystem = "Package Manager"   # pypi/pip/python, npm/node, cargo, go, deb/dpkg, rpm, brew, snap, flatpak
//! path      = "Application Path"
//! ```
//!
//! Every key is optional but one of `name`, `bundle_id` and `package`; unknown keys are
//! errors. Every column a mapping file names must be in the header (a typo is an error, not
//! an empty inventory); a list needs one of its columns present.
//!
//! # What a row becomes
//!
//! * a non-empty `bundle_id`: App, `Selector::BundleId`;
//! * else, when the row's `ecosystem` value (or the file's `ecosystem`) names a package
//!   ecosystem: Package in it, named by `package`, else `name` (normalised as
//!   [`package_name`] does);
//! * else a non-empty `name`: App, `Selector::Executable(name)` (an `ecosystem` value that
//!   names none, such as `Application` or `Win32`, leaves the row an app);
//! * else skipped (`no name`); a `package` with no ecosystem is skipped too.
//!
//! `detail` is the publisher for apps; `path` the path column, else the CSV file; `line` the
//! line the record starts on. The user is the user column, else the home folder in the path.
//!
//! # The reader
//!
//! Hand-written (about 100 lines, no dependency): RFC 4180 quoting with `""` escapes and
//! quoted delimiters and line breaks, CRLF, LF or CR line ends, a UTF-8 BOM, UTF-16 with a
//! BOM (Excel's "Unicode text"), Windows-1252 when the bytes are not UTF-8 (Excel's plain
//! "CSV" in Western locales), Excel's `sep=;` first line, and the delimiter sniffed from the
//! header (`,` `;` tab `|`: Excel writes `;` where the decimal mark is a comma). Lenient
//! where exports are sloppy: text after a closing quote is kept, short rows are padded; a
//! quote left open at the end of the file skips that record. The `csv` crate would do the
//! same parsing, but the encoding, `sep=` and sniffing around it are the larger part, and the
//! project's other CSV code (the emitters) is hand-written too.

use super::{InventoryRow, InventoryStats, ecosystem, package_name, user_from_path};
use crate::endpoint::artifact::{Artifact, ArtifactKind, Selector};
use serde::Deserialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The built-in mappings, by name.
pub const BUILTIN: [&str; 2] = ["intune-discovered-apps", "defender-software-inventory"];

/// Largest mapping file read.
const MAX_MAP_BYTES: u64 = 1 << 20;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Field {
    Endpoint,
    User,
    Name,
    Version,
    Publisher,
    BundleId,
    Package,
    Ecosystem,
    Path,
}

const FIELDS: [(Field, &str); 9] = [
    (Field::Endpoint, "endpoint"),
    (Field::User, "user"),
    (Field::Name, "name"),
    (Field::Version, "version"),
    (Field::Publisher, "publisher"),
    (Field::BundleId, "bundle_id"),
    (Field::Package, "package"),
    (Field::Ecosystem, "ecosystem"),
    (Field::Path, "path"),
];

/// Which columns hold what: a built-in mapping or one read from a mapping file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMap {
    /// The mapping's name (a built-in's, the file's `name`, or the file's path).
    pub name: String,
    delimiter: Option<u8>,
    default_ecosystem: Option<&'static str>,
    /// Candidate header names per field, in [`FIELDS`] order.
    columns: [Vec<String>; 9],
    /// Mapping files: every named column must be in the header. Built-ins: only
    /// `required`.
    strict: bool,
    required: &'static [Field],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    schema: Option<u32>,
    name: Option<String>,
    delimiter: Option<String>,
    ecosystem: Option<String>,
    columns: RawColumns,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumns {
    endpoint: Option<OneOrMany>,
    user: Option<OneOrMany>,
    name: Option<OneOrMany>,
    version: Option<OneOrMany>,
    publisher: Option<OneOrMany>,
    bundle_id: Option<OneOrMany>,
    package: Option<OneOrMany>,
    ecosystem: Option<OneOrMany>,
    path: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl ColumnMap {
    /// A built-in mapping by name (see [`BUILTIN`]).
    pub fn builtin(name: &str) -> Option<ColumnMap> {
        let v = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let (name, columns, required): (&str, [Vec<String>; 9], &'static [Field]) = match name {
            "intune-discovered-apps" => (
                "intune-discovered-apps",
                [
                    v(&["DeviceName"]),
                    v(&["EmailAddress", "UserName"]),
                    v(&["ApplicationName"]),
                    v(&["ApplicationVersion", "ApplicationShortVersion"]),
                    v(&["ApplicationPublisher"]),
                    vec![],
                    vec![],
                    vec![],
                    vec![],
                ],
                &[Field::Endpoint, Field::Name],
            ),
            "defender-software-inventory" => (
                "defender-software-inventory",
                [
                    v(&["DeviceName"]),
                    vec![],
                    v(&["SoftwareName"]),
                    v(&["SoftwareVersion"]),
                    v(&["SoftwareVendor"]),
                    vec![],
                    vec![],
                    vec![],
                    vec![],
                ],
                &[Field::Endpoint, Field::Name],
            ),
            _ => return None,
        };
        Some(ColumnMap {
            name: name.to_owned(),
            delimiter: None,
            default_ecosystem: None,
            columns,
            strict: false,
            required,
        })
    }

    /// Reads a mapping file (see the module doc). Errors name the file and the key.
    pub fn load(path: &Path) -> Result<ColumnMap, String> {
        use std::io::Read;
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_MAP_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if text.len() as u64 > MAX_MAP_BYTES {
            return Err(format!("{}: larger than 1 MiB", path.display()));
        }
        Self::from_toml(&text, &path.display().to_string())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a mapping from TOML text; `label` names it when the text has no `name`.
    pub fn from_toml(text: &str, label: &str) -> Result<ColumnMap, String> {
        let raw: RawMap = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        if let Some(s) = raw.schema
            && s != 1
        {
            return Err(format!("schema: {s} is not supported (expected 1)"));
        }
        let delimiter = match raw.delimiter.as_deref() {
            None => None,
            Some(",") => Some(b','),
            Some(";") => Some(b';'),
            Some("\t" | "\\t" | "tab") => Some(b'\t'),
            Some("|") => Some(b'|'),
            Some(d) => {
                return Err(format!(
                    "delimiter: {d:?} is not one of \",\", \";\", \"\\t\", \"|\""
                ));
            }
        };
        let default_ecosystem = match raw.ecosystem.as_deref() {
            None => None,
            Some(e) => Some(ecosystem(e).ok_or_else(|| {
                format!(
                    "ecosystem: {e:?} is not a package ecosystem (pypi, npm, cargo, go, deb, \
                     rpm, brew, snap, flatpak)"
                )
            })?),
        };
        let c = raw.columns;
        let raw_cols = [
            c.endpoint,
            c.user,
            c.name,
            c.version,
            c.publisher,
            c.bundle_id,
            c.package,
            c.ecosystem,
            c.path,
        ];
        let mut columns: [Vec<String>; 9] = Default::default();
        for (i, raw) in raw_cols.into_iter().enumerate() {
            let list = match raw {
                None => continue,
                Some(OneOrMany::One(s)) => vec![s],
                Some(OneOrMany::Many(v)) => v,
            };
            let key = FIELDS[i].1;
            if list.is_empty() {
                return Err(format!("columns.{key}: empty list"));
            }
            if let Some(bad) = list.iter().find(|s| norm(s).is_empty()) {
                return Err(format!("columns.{key}: {bad:?} is not a column name"));
            }
            columns[i] = list;
        }
        if [Field::Name, Field::BundleId, Field::Package]
            .iter()
            .all(|f| columns[*f as usize].is_empty())
        {
            return Err("columns: name, bundle_id or package is needed".to_owned());
        }
        Ok(ColumnMap {
            name: raw.name.unwrap_or_else(|| label.to_owned()),
            delimiter,
            default_ecosystem,
            columns,
            strict: true,
            required: &[],
        })
    }

    /// Each field's header indexes, in the mapping's order of preference.
    fn resolve(&self, header: &[String]) -> Result<[Vec<usize>; 9], String> {
        let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
        let mut out: [Vec<usize>; 9] = Default::default();
        for (i, cands) in self.columns.iter().enumerate() {
            for c in cands {
                let n = norm(c);
                if let Some(ix) = normed.iter().position(|h| *h == n) {
                    out[i].push(ix);
                }
            }
            let needed = self.strict || self.required.contains(&FIELDS[i].0);
            if needed && !cands.is_empty() && out[i].is_empty() {
                return Err(format!(
                    "mapping {}: columns.{} ({}) not in the header ({})",
                    self.name,
                    FIELDS[i].1,
                    cands.join(" | "),
                    header.join(", ")
                ));
            }
        }
        Ok(out)
    }
}

impl ColumnMap {
    /// Whether the header at the start of `head` has every column this mapping names.
    pub fn matches_header(&self, head: &[u8]) -> bool {
        let text = decode(head, true);
        let (body, sep) = split_sep_line(&text);
        let delim = sep
            .or(self.delimiter)
            .unwrap_or_else(|| sniff_delimiter(body));
        let mut reader = Reader::new(body, delim);
        let mut header = Vec::new();
        reader.next_nonblank(&mut header).is_some() && self.resolve(&header).is_ok()
    }
}

/// The built-in mapping whose columns the file's header has, if any.
pub fn sniff_csv_inventory(head: &[u8]) -> Option<&'static str> {
    let text = decode(head, true);
    let (body, sep) = split_sep_line(&text);
    let delim = sep.unwrap_or_else(|| sniff_delimiter(body));
    let mut reader = Reader::new(body, delim);
    let mut header = Vec::new();
    reader.next_nonblank(&mut header)?;
    BUILTIN
        .into_iter()
        .find(|name| ColumnMap::builtin(name).is_some_and(|m| m.resolve(&header).is_ok()))
}

/// Reads a CSV inventory through `map`, or through the built-in mapping its header matches
/// when `map` is `None`. `Err` when no mapping fits the header; bad records are counted.
pub fn parse_csv_inventory(
    data: &[u8],
    file: &Path,
    map: Option<&ColumnMap>,
    out: &mut dyn FnMut(InventoryRow),
) -> Result<InventoryStats, String> {
    let mut stats = InventoryStats::default();
    let text = decode(data, false);
    let (body, sep) = split_sep_line(&text);
    let delim = sep
        .or(map.and_then(|m| m.delimiter))
        .unwrap_or_else(|| sniff_delimiter(body));
    let mut reader = Reader::new(body, delim);
    if sep.is_some() {
        reader.line = 2;
    }
    let mut header = Vec::new();
    if reader.next_nonblank(&mut header).is_none() {
        return Ok(stats);
    }
    let builtin;
    let map = match map {
        Some(m) => m,
        None => {
            builtin = BUILTIN
                .into_iter()
                .filter_map(ColumnMap::builtin)
                .find(|m| m.resolve(&header).is_ok())
                .ok_or_else(|| {
                    format!(
                        "no built-in mapping ({}) matches the header ({}); give a column \
                         mapping (--inventory-map)",
                        BUILTIN.join(", "),
                        header.join(", ")
                    )
                })?;
            &builtin
        }
    };
    let cols = map.resolve(&header)?;
    let mut fields = Vec::new();
    while let Some((line, complete)) = reader.next_nonblank(&mut fields) {
        if !complete {
            stats.skip("unterminated quoted field");
            continue;
        }
        let get = |f: Field| -> Option<&str> {
            cols[f as usize]
                .iter()
                .filter_map(|&i| fields.get(i))
                .map(|v| v.trim())
                .find(|v| !v.is_empty())
        };
        match row(map, &get, file, line) {
            Ok(r) => {
                stats.used();
                out(r);
            }
            Err(reason) => stats.skip(reason),
        }
    }
    Ok(stats)
}

fn row<'a>(
    map: &ColumnMap,
    get: &dyn Fn(Field) -> Option<&'a str>,
    file: &Path,
    line: u64,
) -> Result<InventoryRow, &'static str> {
    let name = get(Field::Name);
    let package = get(Field::Package);
    let eco_value = get(Field::Ecosystem);
    let eco = eco_value.and_then(ecosystem).or(map.default_ecosystem);
    let path = get(Field::Path);
    let own = |s: &str| s.to_owned();
    let publisher = get(Field::Publisher).map(own);
    let (kind, selector, display, detail) = if let Some(b) = get(Field::BundleId) {
        (
            ArtifactKind::App,
            Selector::BundleId(b.to_owned()),
            name.unwrap_or(b),
            publisher,
        )
    } else if let (Some(eco), Some(pkg)) = (eco, package.or(name)) {
        (
            ArtifactKind::Package,
            Selector::Package {
                ecosystem: eco,
                name: package_name(eco, pkg),
            },
            name.unwrap_or(pkg),
            None,
        )
    } else if package.is_some() {
        return Err(if eco_value.is_some() {
            "unknown ecosystem"
        } else {
            "package without ecosystem"
        });
    } else if let Some(n) = name {
        (
            ArtifactKind::App,
            Selector::Executable(n.to_owned()),
            n,
            publisher,
        )
    } else {
        return Err("no name");
    };
    let user = get(Field::User)
        .map(own)
        .or_else(|| path.and_then(user_from_path));
    Ok(InventoryRow {
        endpoint: get(Field::Endpoint).map(own),
        user,
        artifact: Artifact {
            kind,
            selector,
            name: Some(display.to_owned()),
            version: get(Field::Version).map(own),
            path: path.map_or_else(|| file.to_path_buf(), PathBuf::from),
            line: Some(line),
            size: None,
            detail,
        },
    })
}

/// A header name as compared: lower case, letters and digits only.
fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text of a CSV file: UTF-8 (BOM dropped), UTF-16 with a BOM, else Windows-1252.
/// `head`: the data is the start of a file, perhaps cut inside a UTF-8 character.
fn decode(data: &[u8], head: bool) -> Cow<'_, str> {
    if let Some(rest) = data.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8_or_1252(rest, head);
    }
    if let Some(rest) = data.strip_prefix(b"\xFF\xFE") {
        return Cow::Owned(utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = data.strip_prefix(b"\xFE\xFF") {
        return Cow::Owned(utf16(rest, u16::from_be_bytes));
    }
    utf8_or_1252(data, head)
}

fn utf16(data: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = data.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn utf8_or_1252(data: &[u8], head: bool) -> Cow<'_, str> {
    match std::str::from_utf8(data) {
        Ok(s) => Cow::Borrowed(s),
        // A UTF-8 head cut inside a character is still UTF-8.
        Err(e) if head && e.error_len().is_none() => {
            Cow::Borrowed(std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default())
        }
        Err(_) => Cow::Owned(data.iter().map(|&b| cp1252(b)).collect()),
    }
}

/// Windows-1252: Latin-1 except 0x80–0x9F.
fn cp1252(b: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    match b {
        0x80..=0x9F => char::from_u32(u32::from(HIGH[usize::from(b - 0x80)])).unwrap_or('\u{FFFD}'),
        _ => char::from(b),
    }
}

/// Excel's `sep=X` first line: the rest of the text and the delimiter it names.
fn split_sep_line(text: &str) -> (&str, Option<u8>) {
    let first = text.split(['\n', '\r']).next().unwrap_or("");
    let t = first.trim_matches([' ', '"']);
    let tb = t.as_bytes();
    if tb.len() == 5 && tb[..4].eq_ignore_ascii_case(b"sep=") {
        let d = tb[4];
        if matches!(d, b',' | b';' | b'\t' | b'|') {
            let rest = &text[first.len()..];
            let rest = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
                .or_else(|| rest.strip_prefix('\r'))
                .unwrap_or(rest);
            return (rest, Some(d));
        }
    }
    (text, None)
}

/// The delimiter of the header line: the most frequent of `,` `;` tab `|` outside quotes
/// (ties in that order); `,` for a one-column file.
fn sniff_delimiter(text: &str) -> u8 {
    const CANDS: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &b in text.as_bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = CANDS.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..4).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    CANDS[best]
}

/// RFC 4180 records from text.
struct Reader<'a> {
    s: &'a str,
    pos: usize,
    /// The 1-based line `pos` is on.
    line: u64,
    delim: u8,
}

impl<'a> Reader<'a> {
    fn new(s: &'a str, delim: u8) -> Self {
        Reader {
            s,
            pos: 0,
            line: 1,
            delim,
        }
    }

    /// The next record that is not a blank line: (the line it starts on, whether its quotes
    /// were closed).
    fn next_nonblank(&mut self, fields: &mut Vec<String>) -> Option<(u64, bool)> {
        loop {
            let r = self.next(fields)?;
            if !(fields.len() == 1 && fields[0].trim().is_empty()) {
                return Some(r);
            }
        }
    }

    fn next(&mut self, fields: &mut Vec<String>) -> Option<(u64, bool)> {
        fields.clear();
        let b = self.s.as_bytes();
        if self.pos >= b.len() {
            return None;
        }
        let start = self.line;
        let mut complete = true;
        loop {
            let mut f = String::new();
            if b.get(self.pos) == Some(&b'"') {
                self.pos += 1;
                loop {
                    let Some(i) = memchr::memchr(b'"', &b[self.pos..]) else {
                        self.take(&mut f, b.len());
                        complete = false;
                        break;
                    };
                    self.take(&mut f, self.pos + i);
                    self.pos += 1;
                    if b.get(self.pos) == Some(&b'"') {
                        f.push('"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            // An unquoted field, or what follows a closing quote (kept: lenient).
            let end = b[self.pos..]
                .iter()
                .position(|&c| c == self.delim || c == b'\n' || c == b'\r')
                .map_or(b.len(), |i| self.pos + i);
            f.push_str(&self.s[self.pos..end]);
            self.pos = end;
            fields.push(f);
            match b.get(self.pos) {
                None => return Some((start, complete)),
                Some(&c) if c == self.delim => {
                    self.pos += 1;
                    if self.pos >= b.len() {
                        fields.push(String::new());
                        return Some((start, complete));
                    }
                }
                Some(b'\r') => {
                    self.pos += 1;
                    if b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Some((start, complete));
                }
                Some(_) => {
                    self.pos += 1;
                    self.line += 1;
                    return Some((start, complete));
                }
            }
        }
    }

    /// Appends quoted text up to `end` to `f`, counting the line breaks in it.
    fn take(&mut self, f: &mut String, end: usize) {
        let part = &self.s[self.pos..end];
        self.line += memchr::memchr_iter(b'\n', part.as_bytes()).count() as u64;
        f.push_str(part);
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8], map: Option<&ColumnMap>) -> (Vec<InventoryRow>, InventoryStats) {
        let mut rows = Vec::new();
        let stats =
            parse_csv_inventory(data, Path::new("/tmp/apps.csv"), map, &mut |r| rows.push(r))
                .unwrap();
        assert_eq!(stats.records, stats.used + stats.skipped_total());
        assert_eq!(stats.used, rows.len() as u64);
        (rows, stats)
    }

    fn records(text: &str, delim: u8) -> Vec<(u64, bool, Vec<String>)> {
        let mut r = Reader::new(text, delim);
        let mut f = Vec::new();
        let mut out = Vec::new();
        while let Some((line, ok)) = r.next(&mut f) {
            out.push((line, ok, f.clone()));
        }
        out
    }

    fn app(name: &str) -> Selector {
        Selector::Executable(name.to_owned())
    }

    #[test]
    fn reader_quoting() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let got = records(
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",x\"y,\n\"\",,\r\nlast,\"open",
            b',',
        );
        assert_eq!(
            got,
            vec![
                (1, true, s(&["a", "b,c", "say \"hi\""])),
                (2, true, s(&["multi\nline", "x\"y", ""])),
                (4, true, s(&["", "", ""])),
                (5, false, s(&["last", "open"])),
            ]
        );
        // Text after a closing quote is kept; a trailing delimiter at EOF is an empty field;
        // a lone CR ends a line.
        assert_eq!(
            records("\"ab\"cd;e;\rf", b';'),
            vec![(1, true, s(&["abcd", "e", ""])), (2, true, s(&["f"]))]
        );
        assert_eq!(records("x,", b','), vec![(1, true, s(&["x", ""]))]);
        assert!(records("", b',').is_empty());
    }

    #[test]
    fn delimiters_and_encodings() {
        assert_eq!(sniff_delimiter("a;b;\"c,d,e\"\n1,2,3,4,5"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("one"), b',');
        assert_eq!(split_sep_line("sep=;\r\na;b"), ("a;b", Some(b';')));
        assert_eq!(split_sep_line("\"sep=|\"\nx"), ("x", Some(b'|')));
        assert_eq!(split_sep_line("sepx=;\na"), ("sepx=;\na", None));
        assert_eq!(decode(b"\xEF\xBB\xBFh\xC3\xA9", false), "hé");
        assert_eq!(
            decode(b"Caf\xE9 \x93q\x94", false),
            "Café \u{201C}q\u{201D}"
        );
        assert_eq!(decode(b"\xFF\xFEa\0,\0b\0", false), "a,b");
        assert_eq!(decode(b"\xFE\xFF\0a\0;\0b", false), "a;b");
        assert_eq!(decode(b"ok\xC3", true), "ok");
        assert_eq!(decode(b"ok\xC3", false), "ok\u{c3}");
    }

    /// Intune Discovered apps (`AppInvRawData` columns, as the Graph export writes them):
    /// quoted values with commas, quotes and a line break, CRLF, a BOM.
    #[test]
    fn intune_builtin() {
        let data = "\u{feff}ApplicationKey,ApplicationName,ApplicationPublisher,ApplicationShortVersion,ApplicationVersion,DeviceId,DeviceName,OSDescription,OSVersion,Platform,UserId,EmailAddress,UserName\r\n\
            \"0000f8b5c2a1\",\"ChatGPT\",\"OpenAI\",\"1.2025.014\",\"1.2025.014\",\"d1\",\"LAPTOP-7F3K2\",\"Windows 11 Enterprise\",\"10.0.26100.2894\",\"Windows\",\"u1\",\"alice@example.com\",\"Alice Smith\"\r\n\
            \"0000aa\",\"Ollama version 0.5.7\",\"Ollama\",\"\",\"0.5.7\",\"d2\",\"MAC-42\",\"macOS\",\"15.2\",\"macOS\",\"u2\",\"\",\"Bob, Jr.\"\r\n\
            \"0000bb\",\"Claude \"\"Desktop\"\"\nBeta\",\"Anthropic, PBC\",\"0.7\",\"\",\"d3\",\"LAPTOP-9\",\"\",\"\",\"Windows\",\"\",\"\",\"\"\r\n\
            \"0000cc\",\"\",\"Nobody\",\"1\",\"1\",\"d4\",\"LAPTOP-9\",\"\",\"\",\"Windows\",\"\",\"\",\"\"\r\n";
        assert_eq!(
            sniff_csv_inventory(data.as_bytes()),
            Some("intune-discovered-apps")
        );
        let (rows, stats) = parse(data.as_bytes(), None);
        let want = vec![
            InventoryRow {
                endpoint: Some("LAPTOP-7F3K2".into()),
                user: Some("alice@example.com".into()),
                artifact: Artifact {
                    kind: ArtifactKind::App,
                    selector: app("ChatGPT"),
                    name: Some("ChatGPT".into()),
                    version: Some("1.2025.014".into()),
                    path: PathBuf::from("/tmp/apps.csv"),
                    line: Some(2),
                    size: None,
                    detail: Some("OpenAI".into()),
                },
            },
            InventoryRow {
                endpoint: Some("MAC-42".into()),
                user: Some("Bob, Jr.".into()),
                artifact: Artifact {
                    kind: ArtifactKind::App,
                    selector: app("Ollama version 0.5.7"),
                    name: Some("Ollama version 0.5.7".into()),
                    version: Some("0.5.7".into()),
                    path: PathBuf::from("/tmp/apps.csv"),
                    line: Some(3),
                    size: None,
                    detail: Some("Ollama".into()),
                },
            },
            InventoryRow {
                endpoint: Some("LAPTOP-9".into()),
                user: None,
                artifact: Artifact {
                    kind: ArtifactKind::App,
                    selector: app("Claude \"Desktop\"\nBeta"),
                    name: Some("Claude \"Desktop\"\nBeta".into()),
                    version: Some("0.7".into()),
                    path: PathBuf::from("/tmp/apps.csv"),
                    line: Some(4),
                    size: None,
                    detail: Some("Anthropic, PBC".into()),
                },
            },
        ];
        assert_eq!(rows, want);
        assert_eq!(stats.skipped.get("no name"), Some(&1));
        assert_eq!(stats.records, 4);
    }

    /// The console's display headers (spaces, other case) and Excel's semicolons.
    #[test]
    fn intune_display_headers_semicolons() {
        let data = "Application Name;Application Version;Device Name;Device ID;OS\n\"Perplexity; AI\";2.1;PC-1;x;Windows\n";
        assert_eq!(
            sniff_csv_inventory(data.as_bytes()),
            Some("intune-discovered-apps")
        );
        let (rows, _) = parse(data.as_bytes(), None);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].artifact.selector, app("Perplexity; AI"));
        assert_eq!(rows[0].endpoint.as_deref(), Some("PC-1"));
        assert_eq!(rows[0].artifact.detail, None);
    }

    /// Defender `DeviceTvmSoftwareInventory` exported from advanced hunting (UTF-8 with BOM).
    #[test]
    fn defender_builtin() {
        let data = "\u{feff}DeviceId,DeviceName,OSPlatform,OSVersion,OSArchitecture,SoftwareVendor,SoftwareName,SoftwareVersion,EndOfSupportStatus,EndOfSupportDate,ProductCodeCpe\n\
            9f3c,laptop-7f3k2.contoso.com,Windows11,10.0,x64,openai,chatgpt,1.2025.14.0,,,Not Available\n\
            9f3c,laptop-7f3k2.contoso.com,Windows11,10.0,x64,microsoft,visual_studio_code,1.96.2.0,,,cpe:2.3:a:microsoft:visual_studio_code:1.96.2.0:*:*:*:*:*:*:*\n";
        assert_eq!(
            sniff_csv_inventory(data.as_bytes()),
            Some("defender-software-inventory")
        );
        let (rows, _) = parse(data.as_bytes(), None);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].endpoint.as_deref(),
            Some("laptop-7f3k2.contoso.com")
        );
        assert_eq!(rows[0].artifact.selector, app("chatgpt"));
        assert_eq!(rows[0].artifact.version.as_deref(), Some("1.2025.14.0"));
        assert_eq!(rows[0].artifact.detail.as_deref(), Some("openai"));
        assert_eq!(rows[1].artifact.line, Some(3));
    }

    #[test]
    fn unknown_header_needs_a_map() {
        let data = b"Computer Name,Application Title\nmac-1,ChatGPT\n";
        assert_eq!(sniff_csv_inventory(data), None);
        let e = parse_csv_inventory(data, Path::new("f"), None, &mut |_| {}).unwrap_err();
        assert!(e.contains("--inventory-map"), "{e}");
        // Not even a header: nothing to read.
        let (rows, stats) = parse(b"\r\n\n", None);
        assert!(rows.is_empty());
        assert_eq!(stats.records, 0);
    }

    /// A Jamf-style export through a mapping file: bundle ids, packages with an ecosystem
    /// column, a fixed ecosystem, user from the path, `sep=` line, tabs.
    #[test]
    fn mapping_file() {
        let toml = r#"
            schema = 1
            name = "jamf"
            [columns]
            endpoint = "Computer Name"
            user = ["Username", "Email"]
            name = "Application Title"
            version = "Application Version"
            bundle_id = "Bundle ID"
            package = "Package"
            ecosystem = "Package Manager"
            path = "Path"
        "#;
        let map = ColumnMap::from_toml(toml, "x").unwrap();
        assert_eq!(map.name, "jamf");
        let data = "sep=\t\nComputer Name\tUsername\tEmail\tApplication Title\tApplication Version\tBundle ID\tPackage\tPackage Manager\tPath\n\
            mac-1\t\tcarol@example.com\tChatGPT\t1.2025.014\tcom.openai.chat\t\t\t/Applications/ChatGPT.app\n\
            mac-1\t\t\tLangChain\t0.3.14\t\tLangChain_Core\tpip\t/Users/dave/venv/lib/python3.12/site-packages\n\
            mac-1\t\t\t@openai/codex\t0.1.0\t\t\tNPM\t\n\
            mac-1\t\t\tCursor\t0.44\t\t\tApplication\t\n\
            mac-1\t\t\tx\t1\t\tsomething\tmystery\t\n\
            mac-1\t\t\t\t1\t\tllama\t\t\n";
        let (rows, stats) = parse(data.as_bytes(), Some(&map));
        let sel: Vec<_> = rows
            .iter()
            .map(|r| (r.artifact.selector.clone(), r.user.clone(), r.artifact.line))
            .collect();
        assert_eq!(
            sel,
            vec![
                (
                    Selector::BundleId("com.openai.chat".into()),
                    Some("carol@example.com".into()),
                    Some(3)
                ),
                (
                    Selector::Package {
                        ecosystem: "pypi",
                        name: "langchain-core".into()
                    },
                    Some("dave".into()),
                    Some(4)
                ),
                (
                    Selector::Package {
                        ecosystem: "npm",
                        name: "@openai/codex".into()
                    },
                    None,
                    Some(5)
                ),
                (app("Cursor"), None, Some(6)),
            ]
        );
        assert_eq!(
            rows[0].artifact.path,
            PathBuf::from("/Applications/ChatGPT.app")
        );
        assert_eq!(rows[0].artifact.name.as_deref(), Some("ChatGPT"));
        assert_eq!(rows[1].artifact.name.as_deref(), Some("LangChain"));
        assert_eq!(rows[2].artifact.path, PathBuf::from("/tmp/apps.csv"));
        assert_eq!(stats.skipped.get("unknown ecosystem"), Some(&1));
        assert_eq!(stats.skipped.get("package without ecosystem"), Some(&1));
    }

    #[test]
    fn mapping_errors() {
        let err = |t: &str| ColumnMap::from_toml(t, "m").unwrap_err();
        assert!(err("[columns]\nendpoint = \"Host\"").contains("name, bundle_id or package"));
        assert!(err("[columns]\nname = \"A\"\nversoin = \"V\"").contains("unknown field"));
        assert!(err("delimiter = \":\"\n[columns]\nname = \"A\"").contains("delimiter"));
        assert!(err("ecosystem = \"maven\"\n[columns]\nname = \"A\"").contains("ecosystem"));
        assert!(err("schema = 2\n[columns]\nname = \"A\"").contains("schema"));
        assert!(err("[columns]\nname = []").contains("empty list"));
        assert!(err("[columns]\nname = \" \"").contains("not a column name"));
        // A named column missing from the header is an error, not an empty inventory.
        let map = ColumnMap::from_toml(
            "ecosystem = \"npm\"\ndelimiter = \"|\"\n[columns]\nname = \"Pkg\"\nversion = \"Ver\"",
            "m",
        )
        .unwrap();
        let e = parse_csv_inventory(
            b"Pkg|Version\nopenai|4\n",
            Path::new("f"),
            Some(&map),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(
            e.contains("columns.version (Ver) not in the header (Pkg, Version)"),
            "{e}"
        );
        let (rows, _) = parse(b"Pkg|Ver\nOpenAI|4.77.0\n", Some(&map));
        assert_eq!(
            rows[0].artifact.selector,
            Selector::Package {
                ecosystem: "npm",
                name: "openai".into()
            }
        );
        // Loading from a file names the file.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("map.toml");
        std::fs::write(&p, "[columns]\nname = 3").unwrap();
        let e = ColumnMap::load(&p).unwrap_err();
        assert!(e.starts_with(&p.display().to_string()), "{e}");
        std::fs::write(&p, "[columns]\nname = \"A\"").unwrap();
        assert_eq!(ColumnMap::load(&p).unwrap().name, p.display().to_string());
    }

    #[test]
    fn unterminated_and_windows_1252() {
        let data = b"DeviceName,SoftwareName,SoftwareVendor\nPC-\xC9t\xE9,caf\xE9,x\nPC-2,\"open";
        let (rows, stats) = parse(data, None);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].endpoint.as_deref(), Some("PC-\u{c9}t\u{e9}"));
        assert_eq!(stats.skipped.get("unterminated quoted field"), Some(&1));
    }

    #[test]
    fn no_panic_on_garbage() {
        let good =
            "sep=;\n\"DeviceName\";SoftwareName;SoftwareVendor\r\n\"a\"\"b\";\"c\nd\";e\r\n;;\n"
                .as_bytes();
        let map = ColumnMap::from_toml("[columns]\nname = \"SoftwareName\"", "m").unwrap();
        for cut in 0..good.len() {
            let _ = parse_csv_inventory(&good[..cut], Path::new("f"), None, &mut |_| {});
            let _ = parse_csv_inventory(&good[..cut], Path::new("f"), Some(&map), &mut |_| {});
            let _ = sniff_csv_inventory(&good[..cut]);
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..500 {
            let mut buf = good.to_vec();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed as usize) % buf.len();
                buf[i] = [b'"', b';', b'\r', b'\n', 0xFF, 0xFE, (seed >> 40) as u8]
                    [(seed >> 8) as usize % 7];
            }
            let _ = parse_csv_inventory(&buf, Path::new("f"), None, &mut |_| {});
            let _ = sniff_csv_inventory(&buf);
        }
    }
}
