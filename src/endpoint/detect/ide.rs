//! IDE extensions: the VS Code family (VS Code, VSCodium, Cursor, Windsurf, Trae, Kiro,
//! Antigravity, Positron, code-server; desktop and remote-server folders) and JetBrains
//! plugins.
//!
//! VS Code family: the whole `<editor dir>/extensions` folder is read when the walker
//! reaches it: `extensions.json` (minus what `.obsolete` marks for deletion), then every
//! extension folder's `package.json` that the JSON does not list, so a stale or missing
//! `extensions.json` still finds everything. One artefact per (editor folder, id); the
//! folder is then skipped.
//!
//! JetBrains: each plugin folder under a product's plugins directory (`<Product><version>`
//! under `JetBrains/`, plugins in `plugins/` except on Linux since 2020.1, where
//! `~/.local/share/JetBrains/<Product><version>/` is itself the plugins directory). The id,
//! name and version come from `META-INF/plugin.xml` inside the plugin's jar (a minimal
//! central-directory reader over `flate2`, no zip crate); when no jar has one, the folder
//! name stands in for the id.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::read::DeflateDecoder;
use serde_json::Value;

use super::manifest_io::{
    ancestor_name, ends_with_ci, eq_ci, error, file_name, is_real_dir, json_str, list, lossy,
    parse_json, read_child, report_rel, starts_with_ci, version_cmp,
};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, MAX_MANIFEST_BYTES,
    Selector,
};

/// Most entries read from one extensions or plugins folder.
const MAX_ENTRIES: usize = 20_000;
/// Most jars of one JetBrains plugin opened while looking for `plugin.xml`.
const MAX_JARS: usize = 64;
const PLUGIN_XML: &[u8] = b"META-INF/plugin.xml";

/// Every regular file the walker meets; returns at once for the ones this module does not
/// read. Paths in artefacts and errors are relative to the walk root.
pub fn on_file(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    report_rel(abs, rel, sink, |sink| file_hook(rel, abs, size, sink))
}

/// Every folder, before the walker goes in: `Descend::Skip` for folders read whole here.
pub fn on_dir(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    report_rel(abs, rel, sink, |sink| dir_hook(rel, abs, sink))
}

fn file_hook(
    rel: &Path,
    abs: &Path,
    _size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    // A plugin shipped as one jar sits directly in the plugins directory.
    let name = file_name(rel);
    if !ends_with_ci(name, ".jar") {
        return Ok(());
    }
    let Some(product) = rel.parent().and_then(jetbrains_plugins_dir) else {
        return Ok(());
    };
    let stem = lossy(&name[..name.len() - 4]);
    match jar_entry(abs, PLUGIN_XML) {
        Ok(Some(xml)) => {
            emit_plugin(sink, &plugin_xml(&xml), &stem, product, abs.to_path_buf());
            Ok(())
        }
        // A jar without plugin.xml in a plugins directory is a library, not a plugin.
        Ok(None) => Ok(()),
        Err(reason) => Err(error(abs, format!("plugin jar: {reason}"))),
    }
}

fn dir_hook(rel: &Path, abs: &Path, sink: &mut ArtifactSink<'_>) -> Result<Descend, DetectError> {
    let name = file_name(rel);
    if eq_ci(name, "extensions") {
        if let Some(editor) = vscode_editor(rel) {
            read_vscode_extensions(abs, editor, sink)?;
            return Ok(Descend::Skip);
        }
        return Ok(Descend::Yes);
    }
    // One extension's folder: already read with its `extensions` folder (the walker only
    // gets here when that read reported an error and so did not skip).
    if eq_ci(ancestor_name(rel, 1), "extensions") && rel.parent().and_then(vscode_editor).is_some()
    {
        return Ok(Descend::Skip);
    }
    if name.first() == Some(&b'.') || eq_ci(name, "plugins") {
        return Ok(Descend::Yes);
    }
    if let Some(product) = rel.parent().and_then(jetbrains_plugins_dir) {
        read_jetbrains_plugin(abs, product, sink)?;
        return Ok(Descend::Skip);
    }
    Ok(Descend::Yes)
}

// ---------------------------------------------------------------------------------------
// VS Code family

/// The editor whose extensions folder `ext_rel` (a folder named `extensions`) is.
fn vscode_editor(ext_rel: &Path) -> Option<&'static str> {
    const FOLDERS: &[(&str, &str)] = &[
        (".vscode", "vscode"),
        (".vscode-insiders", "vscode"),
        (".vscode-server", "vscode"),
        (".vscode-server-insiders", "vscode"),
        (".vscode-oss", "vscodium"),
        (".cursor", "cursor"),
        (".cursor-server", "cursor"),
        (".windsurf", "windsurf"),
        (".windsurf-next", "windsurf"),
        (".windsurf-server", "windsurf"),
        (".windsurf-next-server", "windsurf"),
        (".trae", "trae"),
        (".trae-cn", "trae"),
        (".trae-server", "trae"),
        (".trae-cn-server", "trae"),
        (".kiro", "kiro"),
        (".kiro-server", "kiro"),
        (".antigravity", "antigravity"),
        (".antigravity-server", "antigravity"),
        (".positron", "positron"),
        (".positron-server", "positron"),
    ];
    let parent = ancestor_name(ext_rel, 1);
    if let Some((_, editor)) = FOLDERS.iter().find(|(dir, _)| eq_ci(parent, dir)) {
        return Some(editor);
    }
    // .vscodium, .vscodium-server, .vscodium-insiders, .vscodium-server-insiders
    if starts_with_ci(parent, ".vscodium") {
        return Some("vscodium");
    }
    // ~/.local/share/code-server/extensions
    if eq_ci(parent, "code-server") && eq_ci(ancestor_name(ext_rel, 2), "share") {
        return Some("code-server");
    }
    None
}

/// One extension folder's `package.json`, as far as it names the extension.
struct VsManifest {
    id: Option<String>,
    version: Option<String>,
    display: Option<String>,
    path: PathBuf,
}

fn read_vscode_extensions(
    abs: &Path,
    editor: &'static str,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut first_err: Option<DetectError> = None;
    let note = |e: DetectError, first_err: &mut Option<DetectError>| {
        first_err.get_or_insert(e);
    };

    // `.obsolete` maps folder names pending deletion to true.
    let mut obsolete: HashSet<String> = HashSet::new();
    match read_child(abs, ".obsolete") {
        Ok(Some((bytes, path))) => match parse_json(&bytes, &path) {
            Ok(Value::Object(map)) => {
                obsolete.extend(
                    map.into_iter()
                        .filter(|(_, v)| v.as_bool() != Some(false))
                        .map(|(k, _)| k.to_ascii_lowercase()),
                );
            }
            Ok(_) => note(
                error(&path, ".obsolete: not a JSON object".into()),
                &mut first_err,
            ),
            Err(e) => note(e, &mut first_err),
        },
        Ok(None) => {}
        Err(e) => note(e, &mut first_err),
    }

    let mut seen: HashSet<String> = HashSet::new();
    let mut listed: HashSet<String> = HashSet::new();
    match read_child(abs, "extensions.json") {
        Ok(Some((bytes, json_path))) => match parse_json(&bytes, &json_path) {
            Ok(Value::Array(entries)) => {
                for entry in &entries {
                    let Some(id) = json_str(entry.pointer("/identifier/id")) else {
                        continue;
                    };
                    let folder = json_str(entry.get("relativeLocation"))
                        .map(str::to_owned)
                        .or_else(|| location_folder(entry.get("location")))
                        .filter(|f| plain_name(f));
                    if let Some(f) = &folder {
                        let lower = f.to_ascii_lowercase();
                        if obsolete.contains(&lower) {
                            continue;
                        }
                        listed.insert(lower);
                    }
                    let id = id.to_ascii_lowercase();
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                    let manifest = match folder {
                        Some(f) => match read_vs_manifest(&abs.join(&f)) {
                            Ok(m) => m,
                            Err(e) => {
                                note(e, &mut first_err);
                                None
                            }
                        },
                        None => None,
                    };
                    let version = json_str(entry.get("version"))
                        .map(str::to_owned)
                        .or_else(|| manifest.as_ref().and_then(|m| m.version.clone()));
                    let (display, path) = match manifest {
                        Some(m) => (m.display, m.path),
                        None => (None, json_path.clone()),
                    };
                    sink(vs_artifact(id, display, version, path, editor));
                }
            }
            Ok(_) => note(
                error(&json_path, "extensions.json: not a JSON array".into()),
                &mut first_err,
            ),
            Err(e) => note(e, &mut first_err),
        },
        Ok(None) => {}
        Err(e) => note(e, &mut first_err),
    }

    // Folders the JSON does not list (installed by copying, or a stale JSON). Where two
    // versions of one extension remain, the newer one counts.
    let folders = match list(abs, true, MAX_ENTRIES) {
        Ok(f) => f,
        Err(e) => {
            note(e, &mut first_err);
            Vec::new()
        }
    };
    let mut extra: HashMap<String, VsManifest> = HashMap::new();
    for folder in folders {
        let f = folder.to_string_lossy();
        let lower = f.to_ascii_lowercase();
        if f.starts_with('.') || obsolete.contains(&lower) || listed.contains(&lower) {
            continue;
        }
        let m = match read_vs_manifest(&abs.join(&folder)) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                note(e, &mut first_err);
                continue;
            }
        };
        let Some(id) = m.id.clone() else { continue };
        if seen.contains(&id) {
            continue;
        }
        let newer = extra.get(&id).is_none_or(|old| {
            version_cmp(
                m.version.as_deref().unwrap_or(""),
                old.version.as_deref().unwrap_or(""),
            )
            .is_gt()
        });
        if newer {
            extra.insert(id, m);
        }
    }
    let mut extra: Vec<(String, VsManifest)> = extra.into_iter().collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, m) in extra {
        sink(vs_artifact(id, m.display, m.version, m.path, editor));
    }
    first_err.map_or(Ok(()), Err)
}

fn vs_artifact(
    id: String,
    name: Option<String>,
    version: Option<String>,
    path: PathBuf,
    editor: &'static str,
) -> Artifact {
    Artifact {
        kind: ArtifactKind::IdeExtension,
        selector: Selector::Extension {
            store: "vscode",
            id,
        },
        name,
        version,
        path,
        line: None,
        size: None,
        detail: Some(editor.to_owned()),
    }
}

/// The folder an `extensions.json` `location` (a URI object, or a path in old files)
/// names.
fn location_folder(loc: Option<&Value>) -> Option<String> {
    let path = match loc? {
        Value::String(s) => s.as_str(),
        v => json_str(v.get("path")).or_else(|| json_str(v.get("fsPath")))?,
    };
    let last = path
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()?;
    Some(last.to_owned())
}

/// A single path component (never `..` or a path that leaves the extensions folder).
fn plain_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

/// Reads `<folder>/package.json`; `None` when the folder is not a real folder or has no
/// manifest.
fn read_vs_manifest(dir: &Path) -> Result<Option<VsManifest>, DetectError> {
    if !is_real_dir(dir) {
        return Ok(None);
    }
    let Some((bytes, path)) = read_child(dir, "package.json")? else {
        return Ok(None);
    };
    let pkg = parse_json(&bytes, &path)?;
    let id = match (json_str(pkg.get("publisher")), json_str(pkg.get("name"))) {
        (Some(p), Some(n)) => Some(format!("{p}.{n}").to_ascii_lowercase()),
        _ => None,
    };
    Ok(Some(VsManifest {
        id,
        version: json_str(pkg.get("version")).map(str::to_owned),
        display: display_name(&pkg, dir),
        path,
    }))
}

/// `displayName`, resolved through `package.nls.json` when it is a `%key%` placeholder.
fn display_name(pkg: &Value, dir: &Path) -> Option<String> {
    let dn = json_str(pkg.get("displayName"))?;
    let Some(key) = dn.strip_prefix('%').and_then(|s| s.strip_suffix('%')) else {
        return Some(dn.to_owned());
    };
    let (bytes, path) = read_child(dir, "package.nls.json").ok()??;
    let nls = parse_json(&bytes, &path).ok()?;
    let v = nls.get(key)?;
    json_str(Some(v))
        .or_else(|| json_str(v.get("message")))
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------
// JetBrains

/// The product folder name (`IntelliJIdea2024.1`) when `dir` is a JetBrains plugins
/// directory:
/// - `…/JetBrains/<Product><ver>/plugins` (Windows `AppData/Roaming`, macOS `Library/
///   Application Support`, and `~/.config` when set up so), likewise `…/Google/
///   AndroidStudio<ver>/plugins`;
/// - `~/.local/share/JetBrains/<Product><ver>` (Linux since 2020.1);
/// - `~/.<Product><ver>/config/plugins` (before 2020.1).
fn jetbrains_plugins_dir(dir: &Path) -> Option<&str> {
    let name = file_name(dir);
    let vendor_ok = |vendor: &[u8], product: &str| {
        eq_ci(vendor, "JetBrains")
            || (eq_ci(vendor, "Google") && starts_with_ci(product.as_bytes(), "AndroidStudio"))
    };
    if eq_ci(name, "plugins") {
        let parent = dir.parent()?;
        if let Some(product) = product_of(parent) {
            if vendor_ok(ancestor_name(dir, 2), product) {
                return Some(product);
            }
        }
        if eq_ci(file_name(parent), "config") {
            let old = parent.parent()?;
            let n = old.file_name()?.to_str()?;
            if n.starts_with('.') && is_product_dir(n) {
                return Some(&n[1..]);
            }
        }
        return None;
    }
    let product = product_of(dir)?;
    (vendor_ok(ancestor_name(dir, 1), product) && eq_ci(ancestor_name(dir, 2), "share"))
        .then_some(product)
}

/// `<letters><yyyy>.<n>[.<n>]`, with an optional leading dot (pre-2020 home folders):
/// `IntelliJIdea2024.1`, `PyCharmCE2023.3`, `AndroidStudio2024.1.1`; not `Toolbox`.
fn product_of(p: &Path) -> Option<&str> {
    let n = p.file_name()?.to_str()?;
    is_product_dir(n).then_some(n)
}

fn is_product_dir(n: &str) -> bool {
    let n = n.strip_prefix('.').unwrap_or(n);
    let Some(d) = n.find(|c: char| c.is_ascii_digit()) else {
        return false;
    };
    let (letters, ver) = n.split_at(d);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let mut parts = ver.split('.');
    let year_ok = parts
        .next()
        .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    let mut rest = 0;
    for p in parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        rest += 1;
    }
    year_ok && rest >= 1
}

fn read_jetbrains_plugin(
    abs: &Path,
    product: &str,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let folder = lossy(file_name(abs));
    // An unpacked plugin may carry its descriptor outside a jar.
    let meta_abs = abs.join("META-INF");
    if is_real_dir(&meta_abs) {
        if let Some((xml, path)) = read_child(&meta_abs, "plugin.xml")? {
            emit_plugin(sink, &plugin_xml(&xml), &folder, product, path);
            return Ok(());
        }
    }
    let lib_abs = abs.join("lib");
    if !is_real_dir(&lib_abs) {
        return Ok(());
    }
    let mut jars: Vec<_> = list(&lib_abs, false, MAX_ENTRIES)?
        .into_iter()
        .filter(|n| ends_with_ci(n.as_encoded_bytes(), ".jar"))
        .collect();
    if jars.is_empty() {
        return Ok(());
    }
    // The descriptor is usually in the jar named after the plugin: try those first.
    let lower = folder.to_ascii_lowercase();
    jars.sort_by_key(|n| !n.to_string_lossy().to_ascii_lowercase().starts_with(&lower));
    let mut first_err = None;
    for jar in jars.iter().take(MAX_JARS) {
        match jar_entry(&lib_abs.join(jar), PLUGIN_XML) {
            Ok(Some(xml)) => {
                emit_plugin(sink, &plugin_xml(&xml), &folder, product, lib_abs.join(jar));
                return Ok(());
            }
            Ok(None) => {}
            Err(reason) => {
                first_err.get_or_insert_with(|| {
                    error(&lib_abs.join(jar), format!("plugin jar: {reason}"))
                });
            }
        }
    }
    // Jars but no readable descriptor: still a plugin, named by its folder.
    sink(Artifact {
        kind: ArtifactKind::IdeExtension,
        selector: Selector::Extension {
            store: "jetbrains",
            id: folder,
        },
        name: None,
        version: None,
        path: abs.to_path_buf(),
        line: None,
        size: None,
        detail: Some(format!("{product}; id from folder name")),
    });
    first_err.map_or(Ok(()), Err)
}

fn emit_plugin(
    sink: &mut ArtifactSink<'_>,
    xml: &PluginXml,
    fallback_id: &str,
    product: &str,
    path: PathBuf,
) {
    // plugin.xml: "If the <id> is not specified, the <name> is used as the id".
    let (id, detail) = match xml.id.as_ref().or(xml.name.as_ref()) {
        Some(id) => (id.clone(), product.to_owned()),
        None => (
            fallback_id.to_owned(),
            format!("{product}; id from folder name"),
        ),
    };
    sink(Artifact {
        kind: ArtifactKind::IdeExtension,
        selector: Selector::Extension {
            store: "jetbrains",
            id,
        },
        name: xml.name.clone(),
        version: xml.version.clone(),
        path,
        line: None,
        size: None,
        detail: Some(detail),
    });
}

#[derive(Debug, Default, PartialEq)]
struct PluginXml {
    id: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

/// `<id>`, `<name>` and `<version>` directly under the root element of a plugin.xml.
/// A small tag scanner: comments, processing instructions, CDATA and the five XML
/// entities are handled; nested elements of the same names (in `<extensions>`) are not
/// taken.
fn plugin_xml(bytes: &[u8]) -> PluginXml {
    let text = String::from_utf8_lossy(bytes);
    let s = text.as_ref();
    let mut out = PluginXml::default();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = s[i..].find('<') {
        let at = i + off;
        let rest = &s[at..];
        if let Some(r) = rest.strip_prefix("<!--") {
            i = at + 4 + r.find("-->").map_or(r.len(), |e| e + 3);
            continue;
        }
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            i = at + 9 + r.find("]]>").map_or(r.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            i = at + rest.find('>').map_or(rest.len(), |e| e + 1);
            continue;
        }
        let Some(end) = tag_end(rest) else { break };
        let tag = &rest[1..end];
        i = at + end + 1;
        if tag.starts_with('/') {
            depth = depth.saturating_sub(1);
            continue;
        }
        if tag.ends_with('/') {
            continue;
        }
        depth += 1;
        if depth != 2 {
            continue;
        }
        let tag_name = tag.split(|c: char| c.is_whitespace()).next().unwrap_or("");
        let slot = match tag_name {
            "id" => &mut out.id,
            "name" => &mut out.name,
            "version" => &mut out.version,
            _ => continue,
        };
        let close = format!("</{tag_name}");
        let Some(len) = s[i..].find(&close) else {
            break;
        };
        if slot.is_none() {
            *slot = xml_text(&s[i..i + len]);
        }
    }
    out
}

/// Index of the `>` closing a start or end tag, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn xml_text(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let text = if let Some(inner) = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        inner.to_owned()
    } else {
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp..];
            let Some(semi) = after.find(';').filter(|&n| n <= 10) else {
                out.push('&');
                rest = &after[1..];
                continue;
            };
            let ent = &after[1..semi];
            let decoded = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => ent
                    .strip_prefix("#x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            match decoded {
                Some(c) => {
                    out.push(c);
                    rest = &after[semi + 1..];
                }
                None => {
                    out.push('&');
                    rest = &after[1..];
                }
            }
        }
        out.push_str(rest);
        out
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

// ---------------------------------------------------------------------------------------
// Jar (zip) reading: just enough to pull one small entry.

fn le16(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 2)
        .map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le32(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 4)
        .map(|s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
}

/// The uncompressed bytes of entry `want` of the zip at `path`, `None` when absent.
/// Stored and deflated entries; zip64 archives (over 65,535 entries or 4 GiB) are refused.
fn jar_entry(path: &Path, want: &[u8]) -> Result<Option<Vec<u8>>, String> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const CEN: u64 = 0x0201_4b50;
    const LOC: u64 = 0x0403_4b50;
    let io = |e: std::io::Error| e.kind().to_string();
    let mut f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len < 22 {
        return Err("not a zip archive".into());
    }
    let tail_len = len.min(22 + 0xFFFF);
    f.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = Vec::new();
    (&mut f).take(tail_len).read_to_end(&mut tail).map_err(io)?;
    let eocd = (0..=tail.len().saturating_sub(22))
        .rev()
        .find(|&i| tail[i..].starts_with(&EOCD))
        .ok_or("not a zip archive")?;
    let bad = || "corrupt zip central directory".to_owned();
    let cd_size = le32(&tail, eocd + 12).ok_or_else(bad)?;
    let cd_off = le32(&tail, eocd + 16).ok_or_else(bad)?;
    if cd_size == 0xFFFF_FFFF || cd_off == 0xFFFF_FFFF {
        return Err("zip64 archive not read".into());
    }
    if cd_size > MAX_MANIFEST_BYTES {
        return Err("zip central directory too large".into());
    }
    if cd_off.checked_add(cd_size).is_none_or(|end| end > len) {
        return Err(bad());
    }
    f.seek(SeekFrom::Start(cd_off)).map_err(io)?;
    let mut cd = Vec::new();
    (&mut f).take(cd_size).read_to_end(&mut cd).map_err(io)?;
    let mut pos = 0usize;
    while pos + 46 <= cd.len() {
        if le32(&cd, pos) != Some(CEN) {
            return Err(bad());
        }
        let field = |off: usize| le16(&cd, pos + off).ok_or_else(bad);
        let flags = field(8)?;
        let method = field(10)?;
        let csize = le32(&cd, pos + 20).ok_or_else(bad)?;
        let usize_ = le32(&cd, pos + 24).ok_or_else(bad)?;
        let (nlen, elen, clen) = (
            field(28)? as usize,
            field(30)? as usize,
            field(32)? as usize,
        );
        let local = le32(&cd, pos + 42).ok_or_else(bad)?;
        let name = cd.get(pos + 46..pos + 46 + nlen).ok_or_else(bad)?;
        if name == want {
            if flags & 1 != 0 {
                return Err("encrypted zip entry".into());
            }
            if usize_ > MAX_MANIFEST_BYTES || csize > MAX_MANIFEST_BYTES {
                return Err("zip entry too large".into());
            }
            f.seek(SeekFrom::Start(local)).map_err(io)?;
            let mut head = [0u8; 30];
            f.read_exact(&mut head).map_err(io)?;
            if le32(&head, 0) != Some(LOC) {
                return Err("corrupt zip local header".into());
            }
            let skip = le16(&head, 26).unwrap_or(0) + le16(&head, 28).unwrap_or(0);
            f.seek(SeekFrom::Current(skip as i64)).map_err(io)?;
            let raw = (&mut f).take(csize);
            let mut out = Vec::new();
            match method {
                0 => raw
                    .take(MAX_MANIFEST_BYTES)
                    .read_to_end(&mut out)
                    .map_err(io)?,
                8 => DeflateDecoder::new(raw)
                    .take(MAX_MANIFEST_BYTES)
                    .read_to_end(&mut out)
                    .map_err(|_| "corrupt deflate data".to_owned())?,
                m => return Err(format!("zip compression method {m} not supported")),
            };
            return Ok(Some(out));
        }
        pos += 46 + nlen + elen + clen;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    fn write(root: &Path, rel: &str, content: &[u8]) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    /// Runs both hooks over a tree the way the walker does: on_dir before entering, skip
    /// where told, on_file for every file.
    fn walk(root: &Path) -> (Vec<Artifact>, Vec<DetectError>, Vec<String>) {
        let ctx = EndpointCtx::default();
        let mut arts = Vec::new();
        let mut errs = Vec::new();
        let mut skipped = Vec::new();
        fn go(
            ctx: &EndpointCtx,
            root: &Path,
            rel: &Path,
            arts: &mut Vec<Artifact>,
            errs: &mut Vec<DetectError>,
            skipped: &mut Vec<String>,
        ) {
            let mut entries: Vec<_> = fs::read_dir(root.join(rel))
                .unwrap()
                .map(|e| e.unwrap())
                .collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let r = rel.join(e.file_name());
                let a = root.join(&r);
                let ft = e.file_type().unwrap();
                let mut sink = |x: Artifact| arts.push(x);
                if ft.is_dir() {
                    match on_dir(ctx, &r, &a, &mut sink) {
                        Ok(Descend::Skip) => skipped.push(r.to_string_lossy().into_owned()),
                        Ok(Descend::Yes) => go(ctx, root, &r, arts, errs, skipped),
                        Err(x) => {
                            errs.push(x);
                            go(ctx, root, &r, arts, errs, skipped)
                        }
                    }
                } else if ft.is_file() {
                    let size = e.metadata().unwrap().len();
                    if let Err(x) = on_file(ctx, &r, &a, &|| size, &mut sink) {
                        errs.push(x);
                    }
                }
            }
        }
        go(
            &ctx,
            root,
            Path::new(""),
            &mut arts,
            &mut errs,
            &mut skipped,
        );
        (arts, errs, skipped)
    }

    fn vs(id: &str, name: Option<&str>, version: &str, path: &str, editor: &str) -> Artifact {
        Artifact {
            kind: ArtifactKind::IdeExtension,
            selector: Selector::Extension {
                store: "vscode",
                id: id.into(),
            },
            name: name.map(Into::into),
            version: Some(version.into()),
            path: PathBuf::from(path),
            line: None,
            size: None,
            detail: Some(editor.into()),
        }
    }

    /// The shape of a VS Code 1.9x `extensions.json` entry (field names and nesting as
    /// VS Code writes them; ids and uuids made up for the test).
    fn vscode_entry(id: &str, version: &str, folder: &str, home: &str) -> String {
        format!(
            r#"{{"identifier":{{"id":"{id}","uuid":"23c4aeee-f844-43cd-b53e-1113e483f1a6"}},"version":"{version}","location":{{"$mid":1,"fsPath":"{home}/.vscode/extensions/{folder}","external":"file://{home}/.vscode/extensions/{folder}","path":"{home}/.vscode/extensions/{folder}","scheme":"file"}},"relativeLocation":"{folder}","metadata":{{"installedTimestamp":1718012345678,"pinned":false,"source":"gallery","id":"23c4aeee-f844-43cd-b53e-1113e483f1a6","publisherId":"7c1c19cd-78eb-4dfb-8999-99caf7679002","publisherDisplayName":"GitHub","targetPlatform":"undefined","updated":true,"isPreReleaseVersion":false,"hasPreReleaseVersion":false,"preRelease":false}}}}"#
        )
    }

    fn vs_package(publisher: &str, name: &str, version: &str, display: &str) -> String {
        format!(
            r#"{{"name":"{name}","displayName":"{display}","description":"test","version":"{version}","publisher":"{publisher}","engines":{{"vscode":"^1.90.0"}},"main":"./dist/extension.js","contributes":{{}}}}"#
        )
    }

    #[test]
    fn vscode_json_obsolete_folders_and_nls() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let ext = "home/alice/.vscode/extensions";
        let entries = [
            vscode_entry(
                "GitHub.copilot",
                "1.234.0",
                "github.copilot-1.234.0",
                "/home/alice",
            ),
            vscode_entry(
                "GitHub.copilot-chat",
                "0.17.0",
                "github.copilot-chat-0.17.0",
                "/home/alice",
            ),
            // Pending deletion: listed in .obsolete.
            vscode_entry(
                "openai.chatgpt",
                "0.4.0",
                "openai.chatgpt-0.4.0-linux-x64",
                "/home/alice",
            ),
            // Look-alike id.
            vscode_entry(
                "someone.notcopilot",
                "0.0.1",
                "someone.notcopilot-0.0.1",
                "/home/alice",
            ),
        ];
        write(
            r,
            &format!("{ext}/extensions.json"),
            format!("[{}]", entries.join(",")).as_bytes(),
        );
        write(
            r,
            &format!("{ext}/.obsolete"),
            br#"{"openai.chatgpt-0.4.0-linux-x64":true}"#,
        );
        write(
            r,
            &format!("{ext}/github.copilot-1.234.0/package.json"),
            vs_package("GitHub", "copilot", "1.234.0", "GitHub Copilot").as_bytes(),
        );
        // displayName through package.nls.json, in the {message, comment} form.
        write(
            r,
            &format!("{ext}/github.copilot-chat-0.17.0/package.json"),
            vs_package("GitHub", "copilot-chat", "0.17.0", "%displayName%").as_bytes(),
        );
        write(
            r,
            &format!("{ext}/github.copilot-chat-0.17.0/package.nls.json"),
            br#"{"displayName":{"message":"GitHub Copilot Chat","comment":["x"]}}"#,
        );
        write(
            r,
            &format!("{ext}/openai.chatgpt-0.4.0-linux-x64/package.json"),
            vs_package("openai", "chatgpt", "0.4.0", "Codex").as_bytes(),
        );
        // Not in extensions.json (copied in): found by its folder; two versions, the
        // newer wins; the older is not obsolete.
        write(
            r,
            &format!("{ext}/continue.continue-0.8.40-linux-x64/package.json"),
            vs_package("Continue", "continue", "0.8.40", "Continue").as_bytes(),
        );
        write(
            r,
            &format!("{ext}/continue.continue-0.8.9-linux-x64/package.json"),
            vs_package("Continue", "continue", "0.8.9", "Continue").as_bytes(),
        );
        // A folder without a package.json is not an extension; a temp folder is skipped.
        fs::create_dir_all(r.join(ext).join("broken-1.0")).unwrap();
        write(
            r,
            &format!("{ext}/.4f1e2a/package.json"),
            vs_package("x", "y", "1", "Y").as_bytes(),
        );
        // Cursor: no extensions.json at all.
        write(
            r,
            "home/alice/.cursor/extensions/anysphere.cursorpyright-1.0.3/package.json",
            vs_package("anysphere", "cursorpyright", "1.0.3", "Cursor Pyright").as_bytes(),
        );
        // A project's .vscode folder is not an extensions folder.
        write(
            r,
            "home/alice/proj/.vscode/extensions.json",
            br#"{"recommendations":["github.copilot"]}"#,
        );

        let (arts, errs, skipped) = walk(r);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            arts,
            vec![
                vs(
                    "anysphere.cursorpyright",
                    Some("Cursor Pyright"),
                    "1.0.3",
                    "home/alice/.cursor/extensions/anysphere.cursorpyright-1.0.3/package.json",
                    "cursor"
                ),
                vs(
                    "github.copilot",
                    Some("GitHub Copilot"),
                    "1.234.0",
                    &format!("{ext}/github.copilot-1.234.0/package.json"),
                    "vscode"
                ),
                vs(
                    "github.copilot-chat",
                    Some("GitHub Copilot Chat"),
                    "0.17.0",
                    &format!("{ext}/github.copilot-chat-0.17.0/package.json"),
                    "vscode"
                ),
                // Listed, but its folder is gone: reported from the JSON.
                vs(
                    "someone.notcopilot",
                    None,
                    "0.0.1",
                    &format!("{ext}/extensions.json"),
                    "vscode"
                ),
                vs(
                    "continue.continue",
                    Some("Continue"),
                    "0.8.40",
                    &format!("{ext}/continue.continue-0.8.40-linux-x64/package.json"),
                    "vscode"
                ),
            ]
        );
        assert_eq!(
            skipped,
            vec!["home/alice/.cursor/extensions".to_owned(), format!("{ext}")]
        );
    }

    #[test]
    fn vscode_family_folders() {
        let cases = [
            ("home/u/.vscode-server/extensions", Some("vscode")),
            ("home/u/.vscode-insiders/extensions", Some("vscode")),
            ("home/u/.vscode-oss/extensions", Some("vscodium")),
            ("home/u/.vscodium-server/extensions", Some("vscodium")),
            ("Users/u/.Cursor/extensions", Some("cursor")),
            ("home/u/.windsurf-server/extensions", Some("windsurf")),
            ("home/u/.trae-cn/extensions", Some("trae")),
            ("home/u/.kiro/extensions", Some("kiro")),
            (
                "home/u/.local/share/code-server/extensions",
                Some("code-server"),
            ),
            ("home/u/.gemini/extensions", None),
            ("home/u/code-server/extensions", None),
        ];
        for (p, want) in cases {
            assert_eq!(vscode_editor(Path::new(p)), want, "{p}");
        }
    }

    /// A zip written by hand: stored or deflated entries, as a jar tool writes them.
    fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data, deflate) in entries {
            let body = if *deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            let method: u16 = if *deflate { 8 } else { 0 };
            let off = out.len() as u32;
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, crc (not checked)
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&0u16.to_le_bytes());
            cd.extend_from_slice(&method.to_le_bytes());
            cd.extend_from_slice(&[0; 8]);
            cd.extend_from_slice(&(body.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 12]); // extra, comment, disk, attrs
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// Shape of a Marketplace plugin's descriptor (element names per the IntelliJ
    /// Platform plugin.xml reference; values made up).
    const COPILOT_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- <id>commented.out</id> -->
<idea-plugin require-restart="true">
  <id>com.github.copilot</id>
  <name>GitHub Copilot</name>
  <version>1.5.21.6667</version>
  <vendor email="support@github.com" url="https://github.com">GitHub</vendor>
  <description><![CDATA[<p>Your AI pair programmer &amp; more</p>]]></description>
  <depends>com.intellij.modules.platform</depends>
  <extensions defaultExtensionNs="com.intellij">
    <thing><id>nested.not.taken</id></thing>
  </extensions>
</idea-plugin>
"#;

    fn jb(
        id: &str,
        name: Option<&str>,
        version: Option<&str>,
        path: &str,
        detail: &str,
    ) -> Artifact {
        Artifact {
            kind: ArtifactKind::IdeExtension,
            selector: Selector::Extension {
                store: "jetbrains",
                id: id.into(),
            },
            name: name.map(Into::into),
            version: version.map(Into::into),
            path: PathBuf::from(path),
            line: None,
            size: None,
            detail: Some(detail.into()),
        }
    }

    #[test]
    fn jetbrains_plugins() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let copilot_jar = zip(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n", false),
            ("META-INF/plugin.xml", COPILOT_XML.as_bytes(), true),
        ]);
        // Linux 2020.1+: plugins directly in ~/.local/share/JetBrains/<Product><ver>/.
        let lin = "home/alice/.local/share/JetBrains/IntelliJIdea2024.1";
        write(
            r,
            &format!("{lin}/github-copilot-intellij/lib/core.jar"),
            &zip(&[("com/x/A.class", b"\xca\xfe", false)]),
        );
        write(
            r,
            &format!("{lin}/github-copilot-intellij/lib/github-copilot-intellij-1.5.21.jar"),
            &copilot_jar,
        );
        // Windows: AppData/Roaming/JetBrains/<Product><ver>/plugins/<plugin>; jar without a
        // descriptor: the folder name stands in.
        let win = "Users/bob/AppData/Roaming/JetBrains/PyCharm2023.3/plugins";
        write(
            r,
            &format!("{win}/NotCopilot/lib/notcopilot.jar"),
            &zip(&[("a.txt", b"x", false)]),
        );
        // A single-jar plugin, stored (not deflated), <id> absent: <name> is the id.
        write(
            r,
            &format!("{win}/single.jar"),
            &zip(&[(
                "META-INF/plugin.xml",
                b"<idea-plugin><name>Tabnine &amp; Co</name><version>1.0</version></idea-plugin>",
                false,
            )]),
        );
        // Toolbox is not a product folder; a folder with no jars is no plugin.
        write(
            r,
            "home/alice/.local/share/JetBrains/Toolbox/apps/x/lib/y.jar",
            &copilot_jar,
        );
        fs::create_dir_all(r.join(lin).join("empty-plugin")).unwrap();

        let (arts, errs, skipped) = walk(r);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            arts,
            vec![
                jb(
                    "NotCopilot",
                    None,
                    None,
                    &format!("{win}/NotCopilot"),
                    "PyCharm2023.3; id from folder name"
                ),
                jb(
                    "Tabnine & Co",
                    Some("Tabnine & Co"),
                    Some("1.0"),
                    &format!("{win}/single.jar"),
                    "PyCharm2023.3"
                ),
                jb(
                    "com.github.copilot",
                    Some("GitHub Copilot"),
                    Some("1.5.21.6667"),
                    &format!(
                        "{lin}/github-copilot-intellij/lib/github-copilot-intellij-1.5.21.jar"
                    ),
                    "IntelliJIdea2024.1"
                ),
            ]
        );
        assert!(skipped.contains(&format!("{lin}/github-copilot-intellij")));
        assert!(skipped.contains(&format!("{lin}/empty-plugin")));
    }

    #[test]
    fn plugins_dir_shapes() {
        let yes = [
            (
                "Users/u/Library/Application Support/JetBrains/WebStorm2024.2/plugins",
                "WebStorm2024.2",
            ),
            (
                "home/u/.config/JetBrains/GoLand2024.1/plugins",
                "GoLand2024.1",
            ),
            (
                "home/u/.local/share/JetBrains/PyCharmCE2023.3",
                "PyCharmCE2023.3",
            ),
            (
                "Users/u/AppData/Roaming/Google/AndroidStudio2024.1.1/plugins",
                "AndroidStudio2024.1.1",
            ),
            (
                "home/u/.IntelliJIdea2019.3/config/plugins",
                "IntelliJIdea2019.3",
            ),
        ];
        for (p, want) in yes {
            assert_eq!(jetbrains_plugins_dir(Path::new(p)), Some(want), "{p}");
        }
        for p in [
            "home/u/.local/share/JetBrains/Toolbox",
            "home/u/.config/JetBrains/GoLand2024.1",
            "home/u/.config/Other/GoLand2024.1/plugins",
            "home/u/.local/share/Google/Chrome2024.1",
            "home/u/proj/plugins",
        ] {
            assert_eq!(jetbrains_plugins_dir(Path::new(p)), None, "{p}");
        }
    }

    #[test]
    fn plugin_xml_fields() {
        assert_eq!(
            plugin_xml(COPILOT_XML.as_bytes()),
            PluginXml {
                id: Some("com.github.copilot".into()),
                name: Some("GitHub Copilot".into()),
                version: Some("1.5.21.6667".into()),
            }
        );
        assert_eq!(
            plugin_xml(b"<idea-plugin><id><![CDATA[a.b]]></id><name>A &#38; &#x42;</name>"),
            PluginXml {
                id: Some("a.b".into()),
                name: Some("A & B".into()),
                version: None,
            }
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let ext = "home/u/.vscode/extensions";
        write(r, &format!("{ext}/extensions.json"), b"[{\"identifier\":");
        write(r, &format!("{ext}/.obsolete"), b"[1,2]");
        write(
            r,
            &format!("{ext}/a.b-1.0/package.json"),
            b"\xff\xfe\x00garbage",
        );
        write(
            r,
            &format!("{ext}/c.d-1.0/package.json"),
            br#"{"publisher":7,"name":null}"#,
        );
        write(
            r,
            &format!("{ext}/e.f-1.0/package.json"),
            br#"{"publisher":"e","name":"f","displayName":"%missing%"}"#,
        );
        let lin = "home/u/.local/share/JetBrains/IntelliJIdea2024.1";
        let good = zip(&[("META-INF/plugin.xml", b"<idea-plugin><id>x</id>", true)]);
        write(
            r,
            &format!("{lin}/p/lib/trunc.jar"),
            &good[..good.len() / 2],
        );
        write(r, &format!("{lin}/q/lib/q.jar"), b"PK\x05\x06");
        let mut bad_cd = good.clone();
        let n = bad_cd.len();
        bad_cd[n - 6] = 0xF0; // central directory offset far beyond the end
        write(r, &format!("{lin}/s/lib/s.jar"), &bad_cd);
        let mut bad_deflate = good.clone();
        bad_deflate[30 + 19] ^= 0xFF;
        write(r, &format!("{lin}/v/lib/v.jar"), &bad_deflate);
        for cut in 0..good.len() {
            let p = r.join("cut.jar");
            fs::write(&p, &good[..cut]).unwrap();
            let _ = jar_entry(&p, PLUGIN_XML);
        }
        for cut in 0..COPILOT_XML.len() {
            let _ = plugin_xml(&COPILOT_XML.as_bytes()[..cut]);
        }
        let (arts, errs, skipped) = walk(r);
        let ids: Vec<_> = arts
            .iter()
            .map(|a| match &a.selector {
                Selector::Extension { id, .. } => id.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(ids, ["p", "q", "s", "v", "e.f"]);
        assert_eq!(arts[4].name, None);
        let reasons: Vec<_> = errs.iter().map(|e| e.reason.as_str()).collect();
        assert!(
            reasons.contains(&"plugin jar: not a zip archive"),
            "{reasons:?}"
        );
        assert!(reasons.contains(&"plugin jar: corrupt zip central directory"));
        // One error per folder read: the first one met. The walker then enters the
        // extensions folder, but not the extension folders already read.
        assert!(reasons.contains(&".obsolete: not a JSON object"));
        assert!(skipped.contains(&format!("{ext}/e.f-1.0")), "{skipped:?}");
        fs::remove_file(r.join(ext).join(".obsolete")).unwrap();
        let (_, errs, _) = walk(r);
        assert!(
            errs.iter()
                .any(|e| e.reason == "extensions.json: not JSON (cut short)"
                    && e.path == Path::new(ext).join("extensions.json")),
            "{errs:?}"
        );
    }
}
