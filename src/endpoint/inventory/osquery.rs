//! osquery results as an inventory: `osqueryi --json` output and the `osqueryd` results log.
//!
//! Envelopes read (osquery `docs/wiki/deployment/logging.md`, `using-osqueryi.md`):
//!
//! * `osqueryi --json "SELECT …"`: one JSON array of flat row objects, every value a string.
//! * The daemon's results log, one JSON object a line:
//!   - event format: `{"action":"added"|"removed","columns":{…},"name":"<query>",
//!     "hostIdentifier":…,"calendarTime":…,"unixTime":…,"epoch":…,"counter":…,"numerics":false}`
//!     (older versions write `hostname` instead of `hostIdentifier`);
//!   - snapshot format: `"action":"snapshot","snapshot":[{…},…]`;
//!   - batch format (`--logger_event_type=false`): `"diffResults":{"added":[…],"removed":[…]}`.
//!
//!   `decorations` (an object of strings) may carry the host name. With `numerics: true` the
//!   row values may be JSON numbers; both are read.
//! * Also accepted: the same envelopes collected into one JSON array, and flat rows one a line
//!   (`jq -c '.[]'` of an `osqueryi` result).
//!
//! The query name in the daemon log is the operator's choice, so the table is recognised by
//! its columns (osquery `specs/**/*.table`), and only when the columns say nothing
//! distinctive (`SELECT name, version FROM …`) by a table name inside the query name.
//!
//! | table | artefact | selector | name / version | path | detail |
//! |---|---|---|---|---|---|
//! | `programs` (Windows) | App | `Executable(name)` | `name` / `version` | `install_location` | `publisher` |
//! | `apps` (macOS) | App | `BundleId(bundle_identifier)`, else `Executable` | `display_name`, `bundle_name` or `name` less `.app` / `bundle_short_version`, else `bundle_version` | `path` | — |
//! | `deb_packages` | Package | `deb`, lower case | `name` / `version` | the inventory file | — |
//! | `rpm_packages` | Package | `rpm` | `name` / `version-release` | the inventory file | — |
//! | `homebrew_packages` | Package | `brew` | `name` / `version` | `path` | `type` (`formula`, `cask`) |
//! | `chrome_extensions` | BrowserExtension | `chrome`, `identifier` lower case | `name` / `version` | `path` | `browser_type (profile)` |
//! | `firefox_addons` (`type` = `extension` only) | BrowserExtension | `firefox`, `identifier` | `name` / `version` | `path` | — |
//! | `vscode_extensions` | IdeExtension | `vscode`, `name` (the extension id `publisher.name`) lower case | `name` / `version` | `path` | `vscode_edition` |
//! | `python_packages` | Package | `pypi`, PEP 503 | `name` / `version` | `path` | — |
//! | `npm_packages` | Package | `npm`, lower case | `name` / `version` | `path` | — |
//!
//! `line` is the 1-based line of the results-log record (`None` inside a JSON array). The
//! endpoint is the envelope's `hostIdentifier`, `hostname` or `decorations.hostname` /
//! `computer_name` (a UUID-shaped identifier, from `--host_identifier=uuid`, is used only
//! when nothing else names the host), else a `hostname`-like column of the row. The user is a
//! `username` column, else the home folder in the row's path, else `uid:<uid>`.
//!
//! Not installed, so counted as skipped: `removed` rows, dpkg packages whose status is not
//! `installed`, Firefox add-ons of another type (themes, dictionaries, locales).

use super::{InventoryRow, InventoryStats, package_name, pep503, user_from_path};
use crate::endpoint::artifact::{Artifact, ArtifactKind, Selector};
use serde::de::{SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// Whether the first bytes of a file look like osquery output: an envelope key of the
/// results log, or a column only osquery's inventory tables have, inside a JSON array or
/// object.
pub fn sniff_osquery(head: &[u8]) -> bool {
    let h = trim_start(strip_bom(head));
    match h.first() {
        Some(b'{') => {}
        Some(b'[') if matches!(trim_start(&h[1..]).first(), Some(b'{')) => {}
        _ => return false,
    }
    const MARKERS: [&str; 18] = [
        "\"hostIdentifier\"",
        "\"calendarTime\"",
        "\"unixTime\"",
        "\"diffResults\"",
        "\"bundle_identifier\"",
        "\"bundle_short_version\"",
        "\"identifying_number\"",
        "\"uninstall_string\"",
        "\"install_location\"",
        "\"browser_type\"",
        "\"profile_path\"",
        "\"vscode_edition\"",
        "\"publisher_id\"",
        "\"admindir\"",
        "\"package_group\"",
        "\"auto_updates\"",
        "\"source_url\"",
        "\"max_depth\"",
    ];
    let h = &h[..h.len().min(64 * 1024)];
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(h, m.as_bytes()).is_some())
}

/// Reads osquery results (see the module doc) and calls `out` for each installed thing.
/// `Err` only when the file is not osquery JSON at all; a bad line or row inside it is
/// counted in the stats.
pub fn parse_osquery(
    data: &[u8],
    file: &Path,
    out: &mut dyn FnMut(InventoryRow),
) -> Result<InventoryStats, String> {
    let data = strip_bom(data);
    let mut p = Parser {
        file,
        out,
        stats: InventoryStats::default(),
        objects: 0,
    };
    match trim_start(data).first() {
        None => Ok(p.stats),
        Some(b'[') => {
            let mut de = serde_json::Deserializer::from_slice(data);
            let res = serde::Deserializer::deserialize_seq(&mut de, Elements { p: &mut p })
                .and_then(|()| de.end());
            match res {
                Ok(()) if p.objects == 0 && p.stats.records > 0 => {
                    Err("not osquery JSON: array elements are not objects".to_owned())
                }
                Ok(()) => Ok(p.stats),
                Err(e) if p.objects == 0 => Err(format!("not osquery JSON: {e}")),
                Err(_) => {
                    p.stats.skip("JSON syntax error (truncated file?)");
                    Ok(p.stats)
                }
            }
        }
        Some(b'{') => p.lines(data).map(|()| p.stats),
        Some(_) => Err(
            "not osquery JSON: expected a JSON array (osqueryi --json) or JSON \
                        lines (osqueryd results log)"
                .to_owned(),
        ),
    }
}

struct Parser<'a> {
    file: &'a Path,
    out: &'a mut dyn FnMut(InventoryRow),
    stats: InventoryStats,
    /// JSON objects met (records or rows), to tell osquery output from other JSON.
    objects: u64,
}

impl Parser<'_> {
    /// The results log: one JSON object a line. A file whose first object does not fit on
    /// one line (pretty-printed) is read as a stream of JSON values instead. `Err` when no
    /// line is JSON.
    fn lines(&mut self, data: &[u8]) -> Result<(), String> {
        let mut line_no = 0u64;
        let mut good = false;
        let mut first_err: Option<(u64, serde_json::Error)> = None;
        for raw in data.split(|&b| b == b'\n') {
            line_no += 1;
            let line = trim_start(trim_end(raw));
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(m)) => {
                    good = true;
                    self.record(&m, Some(line_no));
                }
                Ok(_) => {
                    good = true;
                    self.stats.skip("not a JSON object");
                }
                Err(e) => {
                    if !good && first_err.is_none() && self.stream(data) {
                        return Ok(());
                    }
                    first_err.get_or_insert((line_no, e));
                    self.stats.skip("line is not JSON");
                }
            }
        }
        match first_err {
            Some((n, e)) if !good => Err(format!("not osquery JSON: line {n}: {e}")),
            _ => Ok(()),
        }
    }

    /// Concatenated or pretty-printed JSON objects, with the line each starts on. `false`,
    /// having read nothing, when the first value is not JSON.
    fn stream(&mut self, data: &[u8]) -> bool {
        let mut it = serde_json::Deserializer::from_slice(data).into_iter::<Value>();
        let mut counted = 0usize; // bytes whose newlines are in `line`
        let mut line = 1u64;
        let mut any = false;
        loop {
            let before = it.byte_offset();
            let Some(next) = it.next() else { break };
            let start = data.len() - trim_start(&data[before..]).len();
            line += memchr::memchr_iter(b'\n', &data[counted..start]).count() as u64;
            counted = start;
            match next {
                Ok(Value::Object(m)) => self.record(&m, Some(line)),
                Ok(_) => self.stats.skip("not a JSON object"),
                Err(_) if !any => return false,
                Err(_) => {
                    self.stats.skip("JSON syntax error (truncated file?)");
                    break;
                }
            }
            any = true;
        }
        any
    }

    /// One results-log record (any of the three formats) or one flat row.
    fn record(&mut self, rec: &Map<String, Value>, line: Option<u64>) {
        self.objects += 1;
        let is_envelope = rec.contains_key("columns")
            || rec.contains_key("snapshot")
            || rec.contains_key("diffResults")
            || rec.contains_key("action");
        if !is_envelope {
            self.row(rec, None, None, line);
            return;
        }
        let host = envelope_host(rec);
        let query = rec.get("name").and_then(Value::as_str);
        let action = rec.get("action").and_then(Value::as_str);
        let mut had_rows = false;
        if let Some(cols) = rec.get("columns") {
            had_rows = true;
            match cols {
                _ if action == Some("removed") => self.stats.skip("removed row"),
                Value::Object(row) => self.row(row, host.as_deref(), query, line),
                _ => self.stats.skip("not a JSON object"),
            }
        }
        if let Some(snap) = rec.get("snapshot") {
            had_rows = true;
            self.rows(snap, host.as_deref(), query, line);
        }
        if let Some(diff) = rec.get("diffResults") {
            had_rows = true;
            if let Some(added) = diff.get("added") {
                self.rows(added, host.as_deref(), query, line);
            }
            if let Some(Value::Array(removed)) = diff.get("removed") {
                for _ in removed {
                    self.stats.skip("removed row");
                }
            }
        }
        if !had_rows {
            self.stats.skip("record without rows");
        }
    }

    fn rows(&mut self, rows: &Value, host: Option<&str>, query: Option<&str>, line: Option<u64>) {
        match rows {
            Value::Array(rows) => {
                for r in rows {
                    match r {
                        Value::Object(row) => self.row(row, host, query, line),
                        _ => self.stats.skip("not a JSON object"),
                    }
                }
            }
            _ => self.stats.skip("not a JSON object"),
        }
    }

    fn row(
        &mut self,
        row: &Map<String, Value>,
        host: Option<&str>,
        query: Option<&str>,
        line: Option<u64>,
    ) {
        let r = Row(row);
        let Some(table) = detect(&r, query) else {
            self.stats.skip("not an inventory table");
            return;
        };
        match artifact(table, &r, self.file, line) {
            Ok((artifact, path_col)) => {
                let user = r
                    .get("username")
                    .map(Cow::into_owned)
                    .or_else(|| path_col.as_deref().and_then(user_from_path))
                    .or_else(|| r.get("uid").map(|u| format!("uid:{u}")));
                let endpoint = host.map(str::to_owned).or_else(|| {
                    [
                        "hostname",
                        "host_hostname",
                        "computer_name",
                        "host_display_name",
                    ]
                    .iter()
                    .find_map(|k| r.get(k))
                    .map(Cow::into_owned)
                });
                self.stats.used();
                (self.out)(InventoryRow {
                    endpoint,
                    user,
                    artifact,
                });
            }
            Err(reason) => self.stats.skip(reason),
        }
    }
}

/// Streams the elements of a top-level JSON array, so a large `osqueryi` result is never
/// held whole as a `Value`.
struct Elements<'p, 'a> {
    p: &'p mut Parser<'a>,
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of osquery rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            match v {
                Value::Object(m) => self.p.record(&m, None),
                _ => self.p.stats.skip("not a JSON object"),
            }
        }
        Ok(())
    }
}

/// The host a results-log record names. `--host_identifier=uuid` makes `hostIdentifier` a
/// UUID; a name from the decorations is better then.
fn envelope_host(rec: &Map<String, Value>) -> Option<String> {
    let deco = rec.get("decorations").and_then(Value::as_object);
    let candidates = [
        rec.get("hostIdentifier"),
        rec.get("hostname"),
        deco.and_then(|d| d.get("hostname")),
        deco.and_then(|d| d.get("computer_name")),
        deco.and_then(|d| d.get("local_hostname")),
        deco.and_then(|d| d.get("host_hostname")),
    ];
    let names = || {
        candidates
            .iter()
            .filter_map(|v| v.and_then(Value::as_str))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    names()
        .find(|s| !is_uuid(s))
        .or_else(|| names().next())
        .map(str::to_owned)
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Table {
    Programs,
    Apps,
    DebPackages,
    RpmPackages,
    HomebrewPackages,
    ChromeExtensions,
    FirefoxAddons,
    VscodeExtensions,
    PythonPackages,
    NpmPackages,
}

/// Table names, longest first so `homebrew_packages` is not taken for a shorter name inside
/// it.
const TABLE_NAMES: [(&str, Table); 10] = [
    ("homebrew_packages", Table::HomebrewPackages),
    ("chrome_extensions", Table::ChromeExtensions),
    ("vscode_extensions", Table::VscodeExtensions),
    ("python_packages", Table::PythonPackages),
    ("firefox_addons", Table::FirefoxAddons),
    ("deb_packages", Table::DebPackages),
    ("rpm_packages", Table::RpmPackages),
    ("npm_packages", Table::NpmPackages),
    ("programs", Table::Programs),
    ("apps", Table::Apps),
];

/// A row as osquery writes it: string values (numbers with `numerics: true`).
struct Row<'a>(&'a Map<String, Value>);

impl<'a> Row<'a> {
    fn has(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }

    /// The trimmed value, `None` when absent, empty or not a scalar.
    fn get(&self, k: &str) -> Option<Cow<'a, str>> {
        match self.0.get(k)? {
            Value::String(s) => {
                let t = s.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
            _ => None,
        }
    }
}

/// Which table a row comes from: by the columns only one table has, then by what its path
/// looks like, then by a table name inside the query name.
fn detect(r: &Row<'_>, query: Option<&str>) -> Option<Table> {
    let any = |cols: &[&str]| cols.iter().any(|c| r.has(c));
    if any(&[
        "browser_type",
        "profile_path",
        "referenced_identifier",
        "permissions_json",
        "from_webstore",
        "manifest_hash",
    ]) {
        return Some(Table::ChromeExtensions);
    }
    if any(&["vscode_edition", "publisher_id"]) || (r.has("uuid") && r.has("installed_at")) {
        return Some(Table::VscodeExtensions);
    }
    if any(&[
        "bundle_identifier",
        "bundle_short_version",
        "bundle_executable",
        "bundle_version",
        "bundle_name",
    ]) {
        return Some(Table::Apps);
    }
    if r.has("identifier") && any(&["creator", "source_url", "autoupdate", "visible"]) {
        return Some(Table::FirefoxAddons);
    }
    if any(&[
        "identifying_number",
        "uninstall_string",
        "install_location",
        "install_source",
        "upgrade_code",
        "package_family_name",
    ]) {
        return Some(Table::Programs);
    }
    if any(&["admindir", "maintainer", "section", "priority", "revision"]) {
        return Some(Table::DebPackages);
    }
    if any(&["release", "sha1", "package_group"]) {
        return Some(Table::RpmPackages);
    }
    if any(&["auto_updates", "app_name"]) || (r.has("prefix") && r.has("type")) {
        return Some(Table::HomebrewPackages);
    }
    if any(&["homepage", "depth", "max_depth"]) {
        return Some(Table::NpmPackages);
    }
    if r.has("summary") {
        return Some(Table::PythonPackages);
    }
    if let Some(p) = r.get("path") {
        let p = p.replace('\\', "/");
        if p.contains("/Cellar/") || p.contains("/Caskroom/") {
            return Some(Table::HomebrewPackages);
        }
        if p.contains("/node_modules/") {
            return Some(Table::NpmPackages);
        }
        if p.ends_with(".dist-info")
            || p.ends_with(".egg-info")
            || p.contains("/site-packages/")
            || p.contains("/dist-packages/")
        {
            return Some(Table::PythonPackages);
        }
        if p.trim_end_matches('/').ends_with(".app") {
            return Some(Table::Apps);
        }
    }
    let q = query?.to_ascii_lowercase();
    TABLE_NAMES
        .iter()
        .find(|(name, _)| q.contains(name))
        .map(|&(_, t)| t)
}

/// The artefact a row shows, and the path column it came with (for the user); or why the
/// row is skipped.
fn artifact(
    table: Table,
    r: &Row<'_>,
    file: &Path,
    line: Option<u64>,
) -> Result<(Artifact, Option<String>), &'static str> {
    let s = |k: &str| r.get(k).map(Cow::into_owned);
    let name = s("name");
    let version = s("version");
    let path_col = match table {
        Table::Programs => s("install_location"),
        Table::DebPackages | Table::RpmPackages => None,
        _ => s("path"),
    };
    let mut name_out = name.clone();
    let mut version_out = version.clone();
    let mut detail = None;
    let (kind, selector) = match table {
        Table::Programs => {
            let name = name.ok_or("no name")?;
            detail = s("publisher");
            (ArtifactKind::App, Selector::Executable(name))
        }
        Table::Apps => {
            let display = s("display_name")
                .or_else(|| s("bundle_name"))
                .or_else(|| name.map(|n| n.strip_suffix(".app").unwrap_or(&n).to_owned()));
            version_out = s("bundle_short_version").or_else(|| s("bundle_version"));
            name_out = display.clone();
            match s("bundle_identifier") {
                Some(id) => (ArtifactKind::App, Selector::BundleId(id)),
                None => (
                    ArtifactKind::App,
                    Selector::Executable(display.ok_or("no name")?),
                ),
            }
        }
        Table::DebPackages => {
            if let Some(status) = r.get("status") {
                if status.split_whitespace().last() != Some("installed") {
                    return Err("dpkg status not installed");
                }
            }
            let name = name.ok_or("no name")?;
            package("deb", &name)
        }
        Table::RpmPackages => {
            if let (Some(v), Some(rel)) = (&version, r.get("release")) {
                version_out = Some(format!("{v}-{rel}"));
            }
            package("rpm", &name.ok_or("no name")?)
        }
        Table::HomebrewPackages => {
            detail = s("type");
            package("brew", &name.ok_or("no name")?)
        }
        Table::PythonPackages => {
            let name = name.ok_or("no name")?;
            (
                ArtifactKind::Package,
                Selector::Package {
                    ecosystem: "pypi",
                    name: pep503(&name),
                },
            )
        }
        Table::NpmPackages => package("npm", &name.ok_or("no name")?),
        Table::ChromeExtensions => {
            let id = s("identifier")
                .or_else(|| s("referenced_identifier"))
                .ok_or("no extension id")?;
            detail = s("browser_type").map(|b| match r.get("profile") {
                Some(p) => format!("{b} ({p})"),
                None => b,
            });
            (
                ArtifactKind::BrowserExtension,
                Selector::Extension {
                    store: "chrome",
                    id: id.to_ascii_lowercase(),
                },
            )
        }
        Table::FirefoxAddons => {
            // Firefox 57–60 wrote `webextension` for what later versions call `extension`.
            if r.get("type")
                .is_some_and(|t| t != "extension" && t != "webextension")
            {
                return Err("firefox add-on not an extension");
            }
            let id = s("identifier").ok_or("no extension id")?;
            (
                ArtifactKind::BrowserExtension,
                Selector::Extension {
                    store: "firefox",
                    id,
                },
            )
        }
        Table::VscodeExtensions => {
            // osquery ≥ 5.3 reads `identifier.id` (`publisher.name`) into `name`; older
            // versions read package.json's bare `name`, so fall back to the folder name
            // (`publisher.name-1.2.3[-platform]`).
            let id = name
                .clone()
                .filter(|n| n.contains('.'))
                .or_else(|| path_col.as_deref().and_then(vscode_id_from_folder))
                .ok_or("no extension id")?;
            detail = s("vscode_edition");
            name_out = Some(name.unwrap_or_else(|| id.clone()));
            (
                ArtifactKind::IdeExtension,
                Selector::Extension {
                    store: "vscode",
                    id: id.to_ascii_lowercase(),
                },
            )
        }
    };
    let path = path_col
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_else(|| file.to_path_buf());
    Ok((
        Artifact {
            kind,
            selector,
            name: name_out,
            version: version_out,
            path,
            line,
            size: None,
            detail,
        },
        path_col,
    ))
}

fn package(ecosystem: &'static str, name: &str) -> (ArtifactKind, Selector) {
    (
        ArtifactKind::Package,
        Selector::Package {
            ecosystem,
            name: package_name(ecosystem, name),
        },
    )
}

/// `publisher.name` from an extension folder `…/publisher.name-1.2.3[-platform]`: the part
/// before the first `-` that a digit follows.
fn vscode_id_from_folder(path: &str) -> Option<String> {
    let folder = path
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()?;
    let b = folder.as_bytes();
    let cut = (1..b.len())
        .find(|&i| b[i - 1] == b'-' && b[i].is_ascii_digit())
        .map_or(folder.len(), |i| i - 1);
    let id = &folder[..cut];
    (id.contains('.') && !id.starts_with('.')).then(|| id.to_owned())
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &b[..b.len() - n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &str) -> (Vec<InventoryRow>, InventoryStats) {
        let mut rows = Vec::new();
        let stats = parse_osquery(data.as_bytes(), Path::new("/tmp/inv.json"), &mut |r| {
            rows.push(r)
        })
        .unwrap();
        assert_eq!(stats.records, stats.used + stats.skipped_total());
        assert_eq!(stats.used, rows.len() as u64);
        (rows, stats)
    }

    // One argument per field of the expected row keeps the tables of expectations readable.
    #[allow(clippy::too_many_arguments)]
    fn row(
        endpoint: Option<&str>,
        user: Option<&str>,
        kind: ArtifactKind,
        selector: Selector,
        name: Option<&str>,
        version: Option<&str>,
        path: &str,
        line: Option<u64>,
        detail: Option<&str>,
    ) -> InventoryRow {
        InventoryRow {
            endpoint: endpoint.map(str::to_owned),
            user: user.map(str::to_owned),
            artifact: Artifact {
                kind,
                selector,
                name: name.map(str::to_owned),
                version: version.map(str::to_owned),
                path: PathBuf::from(path),
                line,
                size: None,
                detail: detail.map(str::to_owned),
            },
        }
    }

    fn ext(store: &'static str, id: &str) -> Selector {
        Selector::Extension {
            store,
            id: id.to_owned(),
        }
    }

    fn pkg(ecosystem: &'static str, name: &str) -> Selector {
        Selector::Package {
            ecosystem,
            name: name.to_owned(),
        }
    }

    /// `osqueryi --json` output: an array of flat rows, every value a string, shaped as
    /// osquery 5 prints it (columns per `specs/*.table`).
    #[test]
    fn osqueryi_array_of_tables() {
        let data = r#"[
  {"name":"ChatGPT.app","path":"/Applications/ChatGPT.app","bundle_executable":"ChatGPT","bundle_identifier":"com.openai.chat","bundle_name":"ChatGPT","bundle_short_version":"1.2025.014","bundle_version":"1736543","bundle_package_type":"APPL","environment":"","element":"","compiler":"","development_region":"en","display_name":"ChatGPT","info_string":"","minimum_system_version":"14.0","category":"public.app-category.productivity","applescript_enabled":"0","copyright":"","last_opened_time":"1736900000.0"},
  {"name":"Claude.app","path":"/Users/alice/Applications/Claude.app","bundle_executable":"Claude","bundle_identifier":"com.anthropic.claudefordesktop","bundle_name":"Claude","bundle_short_version":"0.7.8","bundle_version":"0.7.8","display_name":"","last_opened_time":"-1.0"},
  {"name":"Ollama","version":"0.5.7","install_location":"C:\\Users\\bob\\AppData\\Local\\Programs\\Ollama\\","install_source":"","language":"","publisher":"Ollama","uninstall_string":"\"C:\\Users\\bob\\AppData\\Local\\Programs\\Ollama\\unins000.exe\"","install_date":"20250115","identifying_number":"{44E83376-CE68-45EB-8FC1-393500EB558C}_is1","package_family_name":"","upgrade_code":""},
  {"browser_type":"chrome","uid":"501","name":"Claude","profile":"Person 1","profile_path":"/Users/alice/Library/Application Support/Google/Chrome/Default","referenced_identifier":"fcoeoabgfenejglbffodgkkbkcdhcgfn","identifier":"fcoeoabgfenejglbffodgkkbkcdhcgfn","version":"1.0.12","description":"Claude in Chrome","default_locale":"en","current_locale":"en","update_url":"https://clients2.google.com/service/update2/crx","author":"","persistent":"0","path":"/Users/alice/Library/Application Support/Google/Chrome/Default/Extensions/fcoeoabgfenejglbffodgkkbkcdhcgfn/1.0.12_0/","permissions":"sidePanel, storage","from_webstore":"true","state":"1","install_time":"13381234567000000","install_timestamp":"1736760967","referenced":"1"},
  {"uid":"1000","name":"Sider: Chat with all AI","identifier":"sider@vidline.com","creator":"","type":"extension","version":"4.23.0","description":"","source_url":"https://addons.mozilla.org/firefox/downloads/file/4400000/sider.xpi","visible":"1","active":"1","disabled":"0","autoupdate":"1","location":"app-profile","path":"/home/carol/.mozilla/firefox/abcd1234.default-release/extensions/sider@vidline.com.xpi"},
  {"uid":"1000","name":"Dark Theme","identifier":"firefox-compact-dark@mozilla.org","creator":"Mozilla","type":"theme","version":"1.3","source_url":"","visible":"1","active":"0","disabled":"1","autoupdate":"1","location":"app-builtin","path":""},
  {"name":"GitHub.copilot","uuid":"23c4aeee-f844-43cd-b53e-1113e483f1a6","version":"1.250.0","path":"/Users/alice/.vscode/extensions/github.copilot-1.250.0","publisher":"GitHub","publisher_id":"7c1c19cd-78eb-4dfb-8999-99caf7679002","installed_at":"1736000000000","prerelease":"0","uid":"501","vscode_edition":"vscode"},
  {"name":"openai","version":"1.59.7","summary":"The official Python library for the openai API","author":"","license":"","path":"/home/carol/.local/lib/python3.12/site-packages/openai-1.59.7.dist-info/","directory":"/home/carol/.local/lib/python3.12/site-packages","uid":"1000"},
  {"name":"Google_GenerativeAI","version":"0.8.3","summary":"","author":"","license":"","path":"/usr/lib/python3/dist-packages/google_generativeai-0.8.3.dist-info/","directory":"/usr/lib/python3/dist-packages"},
  {"name":"@anthropic-ai/sdk","version":"0.33.1","description":"The official TypeScript library for the Anthropic API","author":"Anthropic","license":"MIT","homepage":"https://github.com/anthropics/anthropic-sdk-typescript","path":"/usr/local/lib/node_modules/@anthropic-ai/sdk/package.json","directory":"/usr/local/lib/node_modules","depth":"0","max_depth":"2"},
  {"name":"ollama","version":"0.5.7","source":"","size":"12345","arch":"amd64","revision":"1","status":"install ok installed","maintainer":"x","section":"utils","priority":"optional","admindir":"/var/lib/dpkg"},
  {"name":"gpt-engineer","version":"0.3","source":"","size":"1","arch":"all","revision":"","status":"deinstall ok config-files","maintainer":"x","section":"python","priority":"optional","admindir":"/var/lib/dpkg"},
  {"name":"llama-cpp","version":"b4500","release":"1.fc41","source":"llama-cpp-b4500-1.fc41.src.rpm","size":"1","sha1":"","arch":"x86_64","epoch":"","install_time":"1736000000","vendor":"Fedora Project","package_group":"Unspecified"},
  {"name":"ollama","path":"/opt/homebrew/Cellar/ollama/0.5.7","version":"0.5.7","type":"formula","auto_updates":"0","app_name":"","prefix":"/opt/homebrew"},
  {"name":"chatgpt","path":"/opt/homebrew/Caskroom/chatgpt/1.2025.014","version":"1.2025.014","type":"cask","auto_updates":"1","app_name":"ChatGPT.app","prefix":"/opt/homebrew"},
  {"pid":"1","name":"launchd","path":"/sbin/launchd"}
]"#;
        let (rows, stats) = parse(data);
        let file = "/tmp/inv.json";
        use ArtifactKind::*;
        let want = vec![
            row(
                None,
                None,
                App,
                Selector::BundleId("com.openai.chat".into()),
                Some("ChatGPT"),
                Some("1.2025.014"),
                "/Applications/ChatGPT.app",
                None,
                None,
            ),
            row(
                None,
                Some("alice"),
                App,
                Selector::BundleId("com.anthropic.claudefordesktop".into()),
                Some("Claude"),
                Some("0.7.8"),
                "/Users/alice/Applications/Claude.app",
                None,
                None,
            ),
            row(
                None,
                Some("bob"),
                App,
                Selector::Executable("Ollama".into()),
                Some("Ollama"),
                Some("0.5.7"),
                "C:\\Users\\bob\\AppData\\Local\\Programs\\Ollama\\",
                None,
                Some("Ollama"),
            ),
            row(
                None,
                Some("alice"),
                BrowserExtension,
                ext("chrome", "fcoeoabgfenejglbffodgkkbkcdhcgfn"),
                Some("Claude"),
                Some("1.0.12"),
                "/Users/alice/Library/Application Support/Google/Chrome/Default/Extensions/fcoeoabgfenejglbffodgkkbkcdhcgfn/1.0.12_0/",
                None,
                Some("chrome (Person 1)"),
            ),
            row(
                None,
                Some("carol"),
                BrowserExtension,
                ext("firefox", "sider@vidline.com"),
                Some("Sider: Chat with all AI"),
                Some("4.23.0"),
                "/home/carol/.mozilla/firefox/abcd1234.default-release/extensions/sider@vidline.com.xpi",
                None,
                None,
            ),
            row(
                None,
                Some("alice"),
                IdeExtension,
                ext("vscode", "github.copilot"),
                Some("GitHub.copilot"),
                Some("1.250.0"),
                "/Users/alice/.vscode/extensions/github.copilot-1.250.0",
                None,
                Some("vscode"),
            ),
            row(
                None,
                Some("carol"),
                Package,
                pkg("pypi", "openai"),
                Some("openai"),
                Some("1.59.7"),
                "/home/carol/.local/lib/python3.12/site-packages/openai-1.59.7.dist-info/",
                None,
                None,
            ),
            row(
                None,
                None,
                Package,
                pkg("pypi", "google-generativeai"),
                Some("Google_GenerativeAI"),
                Some("0.8.3"),
                "/usr/lib/python3/dist-packages/google_generativeai-0.8.3.dist-info/",
                None,
                None,
            ),
            row(
                None,
                None,
                Package,
                pkg("npm", "@anthropic-ai/sdk"),
                Some("@anthropic-ai/sdk"),
                Some("0.33.1"),
                "/usr/local/lib/node_modules/@anthropic-ai/sdk/package.json",
                None,
                None,
            ),
            row(
                None,
                None,
                Package,
                pkg("deb", "ollama"),
                Some("ollama"),
                Some("0.5.7"),
                file,
                None,
                None,
            ),
            row(
                None,
                None,
                Package,
                pkg("rpm", "llama-cpp"),
                Some("llama-cpp"),
                Some("b4500-1.fc41"),
                file,
                None,
                None,
            ),
            row(
                None,
                None,
                Package,
                pkg("brew", "ollama"),
                Some("ollama"),
                Some("0.5.7"),
                "/opt/homebrew/Cellar/ollama/0.5.7",
                None,
                Some("formula"),
            ),
            row(
                None,
                None,
                Package,
                pkg("brew", "chatgpt"),
                Some("chatgpt"),
                Some("1.2025.014"),
                "/opt/homebrew/Caskroom/chatgpt/1.2025.014",
                None,
                Some("cask"),
            ),
        ];
        assert_eq!(rows, want);
        assert_eq!(stats.records, 16);
        let skipped: Vec<_> = stats.skipped.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            skipped,
            vec![
                ("dpkg status not installed", 1),
                ("firefox add-on not an extension", 1),
                ("not an inventory table", 1),
            ]
        );
    }

    /// The daemon's results log: event lines (added and removed, `numerics: false`), a
    /// snapshot line and a batch line, with decorations, as `osqueryd` writes them.
    #[test]
    fn daemon_results_log_formats() {
        let data = concat!(
            r#"{"name":"pack_inventory_chrome","hostIdentifier":"laptop-alice.corp.example","calendarTime":"Tue Jan 14 10:02:11 2025 UTC","unixTime":1736848931,"epoch":0,"counter":3,"numerics":false,"decorations":{"host_uuid":"4740D59F-699E-5B29-960B-979AAF9BBEEB","hostname":"laptop-alice"},"columns":{"browser_type":"edge","identifier":"ofpnmcalabcbjgholdjcjblkibolbppb","name":"Monica - ChatGPT AI Assistant","path":"C:\\Users\\alice\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Extensions\\ofpnmcalabcbjgholdjcjblkibolbppb\\7.2.1_0\\","profile":"Profile 1","uid":"1001","version":"7.2.1"},"action":"added"}"#,
            "\n",
            r#"{"name":"pack_inventory_chrome","hostIdentifier":"laptop-alice.corp.example","calendarTime":"Tue Jan 14 10:02:11 2025 UTC","unixTime":1736848931,"epoch":0,"counter":3,"numerics":false,"decorations":{"hostname":"laptop-alice"},"columns":{"browser_type":"edge","identifier":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","name":"Old","path":"","profile":"","uid":"1001","version":"1.0"},"action":"removed"}"#,
            "\r\n",
            "\n",
            r#"{"snapshot":[{"name":"continue.continue","uuid":"1","version":"0.9.250","path":"/home/dev/.vscode-server/extensions/continue.continue-0.9.250-linux-x64","publisher":"Continue","publisher_id":"x","installed_at":"1","prerelease":"0","uid":"1000","vscode_edition":"vscode"},{"name":"saoudrizwan.claude-dev","uuid":"2","version":"3.2.0","path":"/home/dev/.cursor/extensions/saoudrizwan.claude-dev-3.2.0","publisher":"Cline","publisher_id":"y","installed_at":"2","prerelease":"0","uid":"1000","vscode_edition":"cursor"}],"action":"snapshot","name":"vscode","hostIdentifier":"9F2B6C1E-3A44-4B8D-9E77-0C5D2A1B3C4D","calendarTime":"Tue Jan 14 10:05:00 2025 UTC","unixTime":1736849100,"epoch":0,"counter":0,"numerics":false,"decorations":{"computer_name":"devbox"}}"#,
            "\n",
            r#"{"diffResults":{"added":[{"name":"langchain","version":"0.3.14","summary":"Building applications with LLMs","author":"","license":"MIT","path":"/opt/venv/lib/python3.11/site-packages/langchain-0.3.14.dist-info","directory":"/opt/venv/lib/python3.11/site-packages","uid":"0"}],"removed":[{"name":"openai","version":"0.28.0","summary":"","author":"","license":"","path":"/opt/venv/lib/python3.11/site-packages/openai-0.28.0.dist-info","directory":"/opt/venv/lib/python3.11/site-packages","uid":"0"}]},"name":"py","hostname":"build-01","calendarTime":"Tue Jan 14 10:06:00 2025 UTC","unixTime":"1736849160","epoch":"0","counter":"1","numerics":false}"#,
            "\n",
            "this line is not json\n",
            r#"{"name":"procs","hostIdentifier":"build-01","columns":{"pid":"1","name":"init","path":"/sbin/init"},"action":"added"}"#,
            "\n",
        );
        let (rows, stats) = parse(data);
        use ArtifactKind::*;
        let want = vec![
            row(
                Some("laptop-alice.corp.example"),
                Some("alice"),
                BrowserExtension,
                ext("chrome", "ofpnmcalabcbjgholdjcjblkibolbppb"),
                Some("Monica - ChatGPT AI Assistant"),
                Some("7.2.1"),
                "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Extensions\\ofpnmcalabcbjgholdjcjblkibolbppb\\7.2.1_0\\",
                Some(1),
                Some("edge (Profile 1)"),
            ),
            row(
                Some("devbox"),
                Some("dev"),
                IdeExtension,
                ext("vscode", "continue.continue"),
                Some("continue.continue"),
                Some("0.9.250"),
                "/home/dev/.vscode-server/extensions/continue.continue-0.9.250-linux-x64",
                Some(4),
                Some("vscode"),
            ),
            row(
                Some("devbox"),
                Some("dev"),
                IdeExtension,
                ext("vscode", "saoudrizwan.claude-dev"),
                Some("saoudrizwan.claude-dev"),
                Some("3.2.0"),
                "/home/dev/.cursor/extensions/saoudrizwan.claude-dev-3.2.0",
                Some(4),
                Some("cursor"),
            ),
            row(
                Some("build-01"),
                Some("uid:0"),
                Package,
                pkg("pypi", "langchain"),
                Some("langchain"),
                Some("0.3.14"),
                "/opt/venv/lib/python3.11/site-packages/langchain-0.3.14.dist-info",
                Some(5),
                None,
            ),
        ];
        assert_eq!(rows, want);
        let skipped: Vec<_> = stats.skipped.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            skipped,
            vec![
                ("line is not JSON", 1),
                ("not an inventory table", 1),
                ("removed row", 2),
            ]
        );
        assert_eq!(stats.records, 8);
    }

    /// `numerics: true` writes numbers as JSON numbers; a bare UUID host identifier with no
    /// decorations is still the endpoint; a minimal `SELECT name, version` is recognised by
    /// the query name.
    #[test]
    fn numerics_uuid_host_and_query_name_hint() {
        let data = concat!(
            r#"{"name":"pack_software_deb_packages","hostIdentifier":"9f2b6c1e-3a44-4b8d-9e77-0c5d2a1b3c4d","unixTime":1736849160,"numerics":true,"columns":{"name":"Python3-OpenAI","version":"1.59.7"},"action":"added"}"#,
            "\n",
            r#"{"name":"x","hostIdentifier":"h","numerics":true,"columns":{"name":"openai","version":"1.0","summary":"","uid":0,"path":"/root/.local/lib/python3.11/site-packages/openai-1.0.dist-info"},"action":"added"}"#,
            "\n",
            r#"{"name":"mystery","hostIdentifier":"h","columns":{"name":"x","version":"1"},"action":"added"}"#,
        );
        let (rows, stats) = parse(data);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].endpoint.as_deref(),
            Some("9f2b6c1e-3a44-4b8d-9e77-0c5d2a1b3c4d")
        );
        assert_eq!(rows[0].artifact.selector, pkg("deb", "python3-openai"));
        assert_eq!(rows[0].artifact.path, PathBuf::from("/tmp/inv.json"));
        assert_eq!(rows[0].artifact.line, Some(1));
        assert_eq!(rows[1].user.as_deref(), Some("root"));
        assert_eq!(rows[1].artifact.line, Some(2));
        assert_eq!(stats.skipped.get("not an inventory table"), Some(&1));
    }

    /// Look-alikes: a column set from another table, a VS Code row from an old osquery with
    /// a bare package.json name, `uid` without a path, and a flat NDJSON row with a host
    /// column.
    #[test]
    fn edge_rows() {
        let data = concat!(
            r#"{"name":"copilot","uuid":"","version":"1.0","path":"/Users/a/.vscode/extensions/github.copilot-1.0.0","publisher":"GitHub","installed_at":"0","uid":"501"}"#,
            "\n",
            r#"{"name":"notcopilot","version":"1.0","path":"/x/notcopilot","uuid":"u","installed_at":"0"}"#,
            "\n",
            r#"{"host_hostname":"mac-7","name":"Cursor.app","path":"/Applications/Cursor.app","bundle_identifier":"com.todesktop.230313mzl4w4u92","bundle_short_version":"0.44.11"}"#,
            "\n",
            r#"{"name":"ext","identifier":"x@y","type":"extension","version":"1","creator":"","uid":"1000"}"#,
            "\n",
            r#"{"name":"old","identifier":"old@y","type":"webextension","version":"1","creator":""}"#,
            "\n",
            r#"{"name":"dict","identifier":"en-US@dictionaries.addons.mozilla.org","type":"dictionary","version":"1","creator":""}"#,
            "\n",
        );
        let (rows, stats) = parse(data);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[3].artifact.selector, ext("firefox", "old@y"));
        assert_eq!(
            stats.skipped.get("firefox add-on not an extension"),
            Some(&1)
        );
        assert_eq!(rows[0].artifact.selector, ext("vscode", "github.copilot"));
        assert_eq!(rows[0].artifact.name.as_deref(), Some("copilot"));
        assert_eq!(rows[0].user.as_deref(), Some("a"));
        assert_eq!(rows[1].endpoint.as_deref(), Some("mac-7"));
        assert_eq!(
            rows[1].artifact.selector,
            Selector::BundleId("com.todesktop.230313mzl4w4u92".into())
        );
        assert_eq!(rows[2].user.as_deref(), Some("uid:1000"));
        assert_eq!(rows[2].artifact.path, PathBuf::from("/tmp/inv.json"));
        assert_eq!(stats.skipped.get("no extension id"), Some(&1));
    }

    #[test]
    fn pretty_printed_objects_and_empty_files() {
        let data = "{\n  \"action\": \"snapshot\",\n  \"snapshot\": [{\"name\":\"openai\",\"version\":\"1\",\"summary\":\"\"}],\n  \"hostIdentifier\": \"h1\"\n}\n\n{\n  \"action\": \"added\",\n  \"columns\": {\"name\":\"x.y\",\"vscode_edition\":\"vscode\",\"version\":\"2\"},\n  \"hostIdentifier\": \"h2\"\n}\n";
        let (rows, _) = parse(data);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].artifact.line, Some(1));
        assert_eq!(rows[1].artifact.line, Some(7));
        assert_eq!(rows[1].endpoint.as_deref(), Some("h2"));
        let (rows, stats) = parse("  \n");
        assert!(rows.is_empty());
        assert_eq!(stats, InventoryStats::default());
        let (rows, _) = parse("\u{feff}[]");
        assert!(rows.is_empty());
    }

    #[test]
    fn not_osquery() {
        for bad in ["hello", "{not json", "[1, 2", "<xml/>"] {
            assert!(
                parse_osquery(bad.as_bytes(), Path::new("f"), &mut |_| {}).is_err(),
                "{bad}"
            );
        }
        // A truncated array after some rows keeps the rows.
        let mut n = 0;
        let stats = parse_osquery(
            br#"[{"name":"openai","version":"1","summary":""},{"name":"x"#,
            Path::new("f"),
            &mut |_| n += 1,
        )
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            stats.skipped.get("JSON syntax error (truncated file?)"),
            Some(&1)
        );
    }

    #[test]
    fn sniffing() {
        assert!(sniff_osquery(
            b"\xEF\xBB\xBF[\n  {\"bundle_identifier\":\"com.openai.chat\"}"
        ));
        assert!(sniff_osquery(
            br#"{"name":"q","hostIdentifier":"h","columns":{}}"#
        ));
        assert!(sniff_osquery(br#"{"diffResults":{"added":[]}}"#));
        assert!(!sniff_osquery(br#"{"name":"openai","version":"1.0.0"}"#));
        assert!(!sniff_osquery(b"[1,2,3]"));
        assert!(!sniff_osquery(b"DeviceName,SoftwareName"));
        assert!(!sniff_osquery(b""));
    }

    #[test]
    fn vscode_folder_ids() {
        let f = vscode_id_from_folder;
        assert_eq!(
            f("/h/.vscode/extensions/ms-python.python-2024.1.0").as_deref(),
            Some("ms-python.python")
        );
        assert_eq!(
            f("C:\\u\\.vscode\\extensions\\github.copilot-chat-0.23.2\\").as_deref(),
            Some("github.copilot-chat")
        );
        assert_eq!(f("/x/notcopilot").as_deref(), None);
        assert_eq!(f("").as_deref(), None);
    }

    /// Garbage and truncations of a real-shaped log never panic.
    #[test]
    fn no_panic_on_garbage() {
        let good = br#"{"name":"q","hostIdentifier":"h","decorations":{"hostname":"h"},"snapshot":[{"name":"a","bundle_identifier":"b","path":"/Users/x/A.app"}],"diffResults":{"added":[1,{"name":"openai","summary":""}],"removed":3},"columns":[],"action":"snapshot"}"#;
        for cut in 0..good.len() {
            let _ = parse_osquery(&good[..cut], Path::new("f"), &mut |_| {});
            let mut arr = b"[".to_vec();
            arr.extend_from_slice(&good[..cut]);
            let _ = parse_osquery(&arr, Path::new("f"), &mut |_| {});
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let mut buf = good.to_vec();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed as usize) % buf.len();
                buf[i] = (seed >> 32) as u8;
            }
            let _ = parse_osquery(&buf, Path::new("f"), &mut |_| {});
            let _ = sniff_osquery(&buf);
        }
    }
}
