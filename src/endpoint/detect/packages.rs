//! Library packages, installed or declared: PyPI, npm, crates.io and Go modules. Every
//! package is reported; the signature set decides which are AI SDKs.
//!
//! - Python installed: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` (folder or file) and
//!   `*.egg/EGG-INFO/PKG-INFO`, read when the walker reaches the folder (then skipped).
//!   The other folders directly in a `site-packages`/`dist-packages` (package code) are
//!   skipped unread: nothing in them names a package.
//! - Python declared: `requirements*.txt`/`*.in` (and any `.txt`/`.in` in a
//!   `requirements/` folder), `pyproject.toml` (PEP 621, PEP 735 groups, Poetry, uv),
//!   `Pipfile`; locked: `Pipfile.lock`, `poetry.lock`, `uv.lock`.
//! - npm installed: `node_modules/<name>/package.json`, `node_modules/@scope/<name>/
//!   package.json` at any depth (pnpm's `.pnpm` store included). A package folder's own
//!   subfolders other than `node_modules` (`dist/`, `src/`, `lib/` …) are skipped.
//! - npm declared: a project's `package.json`; locked: `package-lock.json` /
//!   `npm-shrinkwrap.json` (v1 `dependencies`, v2/v3 `packages`), `yarn.lock` (classic and
//!   Berry), `pnpm-lock.yaml` (v5 to v9).
//! - Cargo: `Cargo.toml` dependency tables (incl. `target.*`, `workspace.dependencies`,
//!   `package = "…"` renames); `Cargo.lock`. Go: `go.mod` `require` lines and blocks.
//!
//! Manifests inside dependency trees and caches (`node_modules`, `site-packages`,
//! `~/.cargo/registry`, `~/.cargo/git`, the Go module cache `pkg/mod`, `~/.rustup`) are not
//! read as declarations: they are other people's projects.
//!
//! `version` is what the source states: the installed or locked version, or the
//! requirement as written in a manifest (`>=1.30`, `^4.0.0`, `0.20`, `v1.2.3`).

use crate::signature::software::pep503;
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Component, Path};

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use super::manifest_io::{
    Lines, ancestor_name, decode_text, ends_with_ci, eq_ci, error, file_name, has_component_ci,
    is_real_dir, json_str, lossy, parse_json, read_child_head, read_file, read_head, report_rel,
    slash_path, starts_with_ci,
};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, Selector,
};

/// Core-metadata headers come first; the long description after them can be large.
const METADATA_HEAD: u64 = 64 << 10;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Source {
    Requirements,
    Pyproject,
    Pipfile,
    PipfileLock,
    PyLock,
    NpmLock,
    YarnLock,
    PnpmLock,
    CargoToml,
    CargoLock,
    GoMod,
    EggInfoFile,
}

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
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let name = file_name(rel);
    let source = match name {
        b"package.json" => return package_json(rel, abs, size, sink),
        b"package-lock.json" | b"npm-shrinkwrap.json" => Source::NpmLock,
        b"yarn.lock" => Source::YarnLock,
        b"pnpm-lock.yaml" => Source::PnpmLock,
        b"Cargo.toml" => Source::CargoToml,
        b"Cargo.lock" => Source::CargoLock,
        b"go.mod" => Source::GoMod,
        b"pyproject.toml" => Source::Pyproject,
        b"Pipfile" => Source::Pipfile,
        b"Pipfile.lock" => Source::PipfileLock,
        b"poetry.lock" | b"uv.lock" => Source::PyLock,
        _ if is_requirements(rel, name) => Source::Requirements,
        _ if ends_with_ci(name, ".egg-info") => Source::EggInfoFile,
        _ => return Ok(()),
    };
    if source == Source::EggInfoFile {
        // setuptools' single-file form of PKG-INFO.
        let bytes = read_head(abs, METADATA_HEAD)?;
        let root = rel.parent().unwrap_or(Path::new(""));
        return python_metadata(&bytes, abs, root, sink);
    }
    if in_dependency_tree(rel) {
        return Ok(());
    }
    let bytes = read_file(abs, size())?;
    let text = decode_text(&bytes);
    match source {
        Source::Requirements => requirements(&text, abs, sink),
        Source::Pyproject => pyproject(&text, abs, sink)?,
        Source::Pipfile => pipfile(&text, abs, sink)?,
        Source::PipfileLock => pipfile_lock(&bytes, abs, sink)?,
        Source::PyLock => py_lock(&text, abs, sink)?,
        Source::NpmLock => npm_lock(&bytes, abs, sink)?,
        Source::YarnLock => yarn_lock(&text, abs, sink),
        Source::PnpmLock => pnpm_lock(&text, abs, sink),
        Source::CargoToml => cargo_toml(&text, abs, sink)?,
        Source::CargoLock => cargo_lock(&text, abs, sink)?,
        Source::GoMod => go_mod(&text, abs, sink),
        Source::EggInfoFile => {}
    }
    Ok(())
}

fn dir_hook(rel: &Path, abs: &Path, sink: &mut ArtifactSink<'_>) -> Result<Descend, DetectError> {
    let name = file_name(rel);
    let parent = ancestor_name(rel, 1);
    if ends_with_ci(name, ".dist-info") {
        python_installed(abs, "METADATA", rel.parent(), sink)?;
        return Ok(Descend::Skip);
    }
    if ends_with_ci(name, ".egg-info") {
        python_installed(abs, "PKG-INFO", rel.parent(), sink)?;
        return Ok(Descend::Skip);
    }
    if eq_ci(parent, "site-packages") || eq_ci(parent, "dist-packages") {
        let egg_info = abs.join("EGG-INFO");
        if ends_with_ci(name, ".egg") && is_real_dir(&egg_info) {
            python_installed(&egg_info, "PKG-INFO", rel.parent(), sink)?;
        }
        return Ok(Descend::Skip);
    }
    Ok(npm_descend(rel, name, parent))
}

// ---------------------------------------------------------------------------------------
// Shared

fn package(
    ecosystem: &'static str,
    name: &str,
    version: Option<&str>,
    path: &Path,
    line: Option<u64>,
    detail: &str,
) -> Artifact {
    let selector_name = if ecosystem == "pypi" {
        pep503(name)
    } else {
        name.to_owned()
    };
    Artifact {
        kind: ArtifactKind::Package,
        selector: Selector::Package {
            ecosystem,
            name: selector_name,
        },
        name: Some(name.to_owned()),
        version: version
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        path: path.to_path_buf(),
        line,
        size: None,
        detail: Some(detail.to_owned()),
    }
}


/// Whether `rel` lies in a tree of downloaded dependencies or caches, whose manifests are
/// not the user's declarations.
fn in_dependency_tree(rel: &Path) -> bool {
    let mut prev: &[u8] = b"";
    for c in rel.components() {
        let Component::Normal(s) = c else { continue };
        let s = s.as_encoded_bytes();
        if eq_ci(s, "node_modules")
            || eq_ci(s, "site-packages")
            || eq_ci(s, "dist-packages")
            || eq_ci(s, ".rustup")
            || (eq_ci(prev, ".cargo") && (eq_ci(s, "registry") || eq_ci(s, "git")))
            || (eq_ci(prev, "pkg") && eq_ci(s, "mod"))
        {
            return true;
        }
        prev = s;
    }
    false
}

fn toml_doc<'t>(text: &'t str, path: &Path) -> Result<DeTable<'t>, DetectError> {
    match DeTable::parse(text) {
        Ok(doc) => Ok(doc.into_inner()),
        Err(e) => Err(error(
            path,
            format!(
                "{}: not TOML: {}",
                lossy(file_name(path)),
                e.message().lines().next().unwrap_or("")
            ),
        )),
    }
}

fn tget<'a, 't>(t: &'a DeTable<'t>, key: &str) -> Option<&'a DeValue<'t>> {
    t.get(key).map(|v| v.get_ref())
}

fn ttable<'a, 't>(t: &'a DeTable<'t>, key: &str) -> Option<&'a DeTable<'t>> {
    tget(t, key).and_then(DeValue::as_table)
}

fn tstr<'a>(t: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    tget(t, key).and_then(DeValue::as_str)
}

// ---------------------------------------------------------------------------------------
// Python

fn python_installed(
    dir_abs: &Path,
    file: &str,
    root: Option<&Path>,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let Some((bytes, path)) = read_child_head(dir_abs, file, METADATA_HEAD)? else {
        return Ok(());
    };
    python_metadata(&bytes, &path, root.unwrap_or(Path::new("")), sink)
}

/// Core metadata (RFC 822 headers): `Name` and `Version`.
fn python_metadata(
    bytes: &[u8],
    path: &Path,
    root: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let text = decode_text(bytes);
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if name.is_none() && k.trim().eq_ignore_ascii_case("name") && !v.is_empty() {
            name = Some(v);
        } else if version.is_none() && k.trim().eq_ignore_ascii_case("version") {
            version = Some(v);
        }
    }
    let Some(name) = name else {
        return Err(error(
            path,
            format!("{}: no Name header", lossy(file_name(path))),
        ));
    };
    let detail = format!("installed {}", slash_path(root));
    sink(package("pypi", name, version, path, None, &detail));
    Ok(())
}

fn is_requirements(rel: &Path, name: &[u8]) -> bool {
    let ext_ok = ends_with_ci(name, ".txt") || ends_with_ci(name, ".in");
    ext_ok
        && (starts_with_ci(name, "requirements")
            || ends_with_ci(name, "requirements.txt")
            || ends_with_ci(name, "requirements.in")
            || eq_ci(ancestor_name(rel, 1), "requirements"))
}

/// A PEP 508 requirement: its name and version specifier (without extras, URL or
/// environment marker). `None` for what is not a named requirement (a URL, a path, a
/// wheel file name).
fn pep508(s: &str) -> Option<(&str, Option<&str>)> {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    let name = &s[..end];
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    if [".whl", ".zip", ".tar.gz", ".tgz", ".egg"]
        .iter()
        .any(|x| lower.ends_with(x))
    {
        return None;
    }
    let mut rest = s[end..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        rest = extras[extras.find(']')? + 1..].trim_start();
    }
    let ok = rest.is_empty()
        || rest.starts_with(['<', '>', '=', '!', '~', '(', ';', '@', ','])
        || rest.starts_with("--");
    if !ok {
        return None;
    }
    if rest.starts_with('@') {
        return Some((name, None));
    }
    let spec = rest
        .split([';', '#'])
        .next()
        .unwrap_or("")
        .split(" --")
        .next()
        .unwrap_or("")
        .trim();
    let spec = spec.strip_prefix("--").map_or(spec, |_| "");
    let spec = spec
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(spec)
        .trim();
    Some((name, (!spec.is_empty()).then_some(spec)))
}

/// pip requirements files: one requirement a line, `\` continuations, `#` comments
/// (at the start or after whitespace), option lines (`-r`, `-c`, `-e`, `--index-url` …)
/// ignored, per-requirement options (`--hash=…`) dropped.
fn requirements(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) {
    let mut lines = text.lines().enumerate();
    while let Some((i, first)) = lines.next() {
        let mut logical: Cow<'_, str> = Cow::Borrowed(first);
        while let Some(head) = logical.trim_end().strip_suffix('\\') {
            let mut joined = head.to_owned();
            let Some((_, next)) = lines.next() else {
                logical = Cow::Owned(joined);
                break;
            };
            joined.push(' ');
            joined.push_str(next);
            logical = Cow::Owned(joined);
        }
        let line = strip_comment(&logical).trim();
        if line.is_empty() || line.starts_with('-') {
            continue;
        }
        if let Some((name, spec)) = pep508(line) {
            sink(package(
                "pypi",
                name,
                spec,
                path,
                Some(i as u64 + 1),
                "declared",
            ));
        }
    }
}

fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn pyproject(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    let doc = toml_doc(text, path)?;
    let lines = Lines::new(text);
    let pep508_array = |v: &DeValue<'_>, detail: &str, sink: &mut ArtifactSink<'_>| {
        for item in v.as_array().map_or(&[][..], |a| &a[..]) {
            let Some(s) = item.get_ref().as_str() else {
                continue;
            };
            if let Some((name, spec)) = pep508(s) {
                let line = lines.line_of(item.span().start);
                sink(package("pypi", name, spec, path, Some(line), detail));
            }
        }
    };
    if let Some(project) = ttable(&doc, "project") {
        if let Some(deps) = tget(project, "dependencies") {
            pep508_array(deps, "declared", sink);
        }
        for (_, group) in ttable(project, "optional-dependencies")
            .into_iter()
            .flatten()
        {
            pep508_array(group.get_ref(), "declared optional", sink);
        }
    }
    // PEP 735; entries may also be `{include-group = "…"}` tables.
    for (group, deps) in ttable(&doc, "dependency-groups").into_iter().flatten() {
        pep508_array(
            deps.get_ref(),
            &format!("declared {}", group.get_ref()),
            sink,
        );
    }
    let tool = ttable(&doc, "tool");
    if let Some(uv) = tool.and_then(|t| ttable(t, "uv")) {
        if let Some(deps) = tget(uv, "dev-dependencies") {
            pep508_array(deps, "declared dev", sink);
        }
    }
    if let Some(poetry) = tool.and_then(|t| ttable(t, "poetry")) {
        let mut tables: Vec<(&DeTable<'_>, String)> = Vec::new();
        if let Some(t) = ttable(poetry, "dependencies") {
            tables.push((t, "declared".into()));
        }
        if let Some(t) = ttable(poetry, "dev-dependencies") {
            tables.push((t, "declared dev".into()));
        }
        for (g, gt) in ttable(poetry, "group").into_iter().flatten() {
            if let Some(t) = gt
                .get_ref()
                .as_table()
                .and_then(|t| ttable(t, "dependencies"))
            {
                tables.push((t, format!("declared {}", g.get_ref())));
            }
        }
        for (t, detail) in tables {
            for (k, v) in t {
                let name = k.get_ref();
                if name.eq_ignore_ascii_case("python") {
                    continue;
                }
                let version = match v.get_ref() {
                    DeValue::String(s) => Some(s.as_ref()),
                    DeValue::Table(spec) => tstr(spec, "version"),
                    _ => None,
                };
                let line = lines.line_of(k.span().start);
                sink(package("pypi", name, version, path, Some(line), &detail));
            }
        }
    }
    Ok(())
}

fn pipfile(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    let doc = toml_doc(text, path)?;
    let lines = Lines::new(text);
    for (section, detail) in [("packages", "declared"), ("dev-packages", "declared dev")] {
        for (k, v) in ttable(&doc, section).into_iter().flatten() {
            let version = match v.get_ref() {
                DeValue::String(s) => Some(s.as_ref()),
                DeValue::Table(spec) => tstr(spec, "version"),
                _ => None,
            };
            let version = version.filter(|v| v.trim() != "*");
            let line = lines.line_of(k.span().start);
            sink(package(
                "pypi",
                k.get_ref(),
                version,
                path,
                Some(line),
                detail,
            ));
        }
    }
    Ok(())
}

fn pipfile_lock(bytes: &[u8], path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    let doc = parse_json(bytes, path)?;
    for (section, detail) in [("default", "locked"), ("develop", "locked dev")] {
        for (name, v) in doc
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let version = json_str(v.get("version")).map(|s| s.trim_start_matches("=="));
            sink(package("pypi", name, version, path, None, detail));
        }
    }
    Ok(())
}

/// `poetry.lock` and `uv.lock`: `[[package]]` tables with `name` and `version`.
fn py_lock(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    lock_packages(text, path, "pypi", sink)
}

fn lock_packages(
    text: &str,
    path: &Path,
    ecosystem: &'static str,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let doc = toml_doc(text, path)?;
    let packages = tget(&doc, "package")
        .and_then(DeValue::as_array)
        .map_or(&[][..], |a| &a[..]);
    for p in packages {
        let Some(t) = p.get_ref().as_table() else {
            continue;
        };
        if let Some(name) = tstr(t, "name") {
            sink(package(
                ecosystem,
                name,
                tstr(t, "version"),
                path,
                None,
                "locked",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// npm

/// Which folders under `node_modules` the walker need not enter.
fn npm_descend(rel: &Path, name: &[u8], parent: &[u8]) -> Descend {
    if eq_ci(parent, "node_modules") {
        // `.bin` (links), `.cache`, `.vite`, `.prisma` …: no packages. pnpm's store is.
        if name.first() == Some(&b'.') && !eq_ci(name, ".pnpm") {
            return Descend::Skip;
        }
        return Descend::Yes;
    }
    let grand = ancestor_name(rel, 2);
    let in_package =
        (eq_ci(grand, "node_modules") && !parent.starts_with(b"@") && !parent.starts_with(b"."))
            || (grand.starts_with(b"@") && eq_ci(ancestor_name(rel, 3), "node_modules"));
    if in_package && !eq_ci(name, "node_modules") {
        Descend::Skip
    } else {
        Descend::Yes
    }
}

fn package_json(
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let folder = ancestor_name(rel, 1);
    let above = ancestor_name(rel, 2);
    let installed =
        if eq_ci(above, "node_modules") && !folder.starts_with(b".") && !folder.starts_with(b"@") {
            Some((2, lossy(folder)))
        } else if above.starts_with(b"@") && eq_ci(ancestor_name(rel, 3), "node_modules") {
            Some((3, format!("{}/{}", lossy(above), lossy(folder))))
        } else {
            None
        };
    if let Some((up, folder_name)) = installed {
        let bytes = read_file(abs, size())?;
        let text = decode_text(&bytes);
        // node_modules holds thousands of these: take the two fields without building the
        // whole document, and fall back to the tolerant reader for odd files.
        let (name, version) = match serde_json::from_str::<NameVersion<'_>>(&text) {
            Ok(nv) => (
                nv.name.map(Cow::into_owned),
                nv.version.map(Cow::into_owned),
            ),
            Err(_) => {
                let doc = parse_json(&bytes, abs)?;
                let field = |k: &str| json_str(doc.get(k)).map(str::to_owned);
                (field("name"), field("version"))
            }
        };
        // An aliased install (`my-alias@npm:openai`) keeps the real name in package.json.
        let name = name.filter(|n| !n.trim().is_empty()).unwrap_or(folder_name);
        let mut root = rel;
        for _ in 0..up {
            root = root.parent().unwrap_or(Path::new(""));
        }
        let detail = format!("installed {}", slash_path(root));
        sink(package(
            "npm",
            &name,
            version.as_deref(),
            abs,
            None,
            &detail,
        ));
        return Ok(());
    }
    // Inside a package (its dist/ or test fixtures), or in a cache: not a project.
    if has_component_ci(rel, "node_modules") || in_dependency_tree(rel) {
        return Ok(());
    }
    let bytes = read_file(abs, size())?;
    let doc = parse_json(&bytes, abs)?;
    let text = decode_text(&bytes);
    let lines = Lines::new(&text);
    for (section, detail) in [
        ("dependencies", "declared"),
        ("devDependencies", "declared dev"),
        ("optionalDependencies", "declared optional"),
    ] {
        let Some(deps) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        let section_at = json_key_offset(&text, section, 0);
        for (key, spec) in deps {
            let spec = spec.as_str().unwrap_or("");
            let (name, version) = npm_alias(key, spec);
            let line = section_at
                .and_then(|from| json_key_offset(&text, key, from))
                .map(|off| lines.line_of(off));
            sink(package("npm", name, Some(version), abs, line, detail));
        }
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct NameVersion<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
}

/// `"alias": "npm:real@range"` installs `real`.
fn npm_alias<'a>(key: &'a str, spec: &'a str) -> (&'a str, &'a str) {
    if let Some(target) = spec.strip_prefix("npm:") {
        if let Some(at) = target.get(1..).and_then(|t| t.find('@')) {
            return (&target[..at + 1], &target[at + 2..]);
        }
        return (target, "");
    }
    (key, spec)
}

/// Byte offset of `"key"` used as an object key (followed by `:`), at or after `from`.
fn json_key_offset(text: &str, key: &str, from: usize) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let mut at = from;
    while let Some(found) = text.get(at..)?.find(&needle) {
        let start = at + found;
        let after = text[start + needle.len()..].trim_start();
        if after.starts_with(':') {
            return Some(start);
        }
        at = start + needle.len();
    }
    None
}

fn npm_lock(bytes: &[u8], path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    let doc = parse_json(bytes, path)?;
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let is_true = |v: &Value, k: &str| v.get(k).and_then(Value::as_bool) == Some(true);
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        // v2/v3: keys are install paths, `node_modules/a/node_modules/@s/b`.
        for (key, val) in packages {
            let Some(at) = key.rfind("node_modules/") else {
                continue;
            };
            if is_true(val, "link") {
                continue;
            }
            let name = json_str(val.get("name")).unwrap_or(&key[at + 13..]);
            let version = json_str(val.get("version")).unwrap_or("");
            if name.is_empty() || !seen.insert((name, version)) {
                continue;
            }
            let detail = if is_true(val, "dev") {
                "locked dev"
            } else {
                "locked"
            };
            sink(package("npm", name, Some(version), path, None, detail));
        }
        return Ok(());
    }
    // v1: a nested `dependencies` tree.
    let mut stack: Vec<&serde_json::Map<String, Value>> = Vec::new();
    if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
        stack.push(deps);
    }
    while let Some(map) = stack.pop() {
        for (key, val) in map {
            let version = json_str(val.get("version")).unwrap_or("");
            let (name, version) = npm_alias(key, version);
            if seen.insert((name, version)) {
                let detail = if is_true(val, "dev") {
                    "locked dev"
                } else {
                    "locked"
                };
                sink(package("npm", name, Some(version), path, None, detail));
            }
            if let Some(sub) = val.get("dependencies").and_then(Value::as_object) {
                stack.push(sub);
            }
        }
    }
    Ok(())
}

/// The package name of a yarn/pnpm descriptor `name@range` or `@scope/name@range`
/// (`alias@npm:real@range` gives `real`).
fn descriptor_name(spec: &str) -> Option<&str> {
    let at = spec.get(1..)?.find('@')? + 1;
    let (name, range) = (&spec[..at], &spec[at + 1..]);
    if let Some(target) = range.strip_prefix("npm:") {
        if target.get(1..).is_some_and(|t| t.contains('@')) {
            return descriptor_name(target);
        }
    }
    Some(name)
}

/// `yarn.lock`, classic (`"a@^1", a@^1.2:` / `  version "1.2.3"`) and Berry
/// (`"a@npm:^1":` / `  version: 1.2.3`).
fn yarn_lock(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut current: Option<(&str, u64)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            current = None;
            let Some(head) = line.trim_end().strip_suffix(':') else {
                continue;
            };
            let first = head
                .split(", ")
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            if first == "__metadata" {
                continue;
            }
            current = descriptor_name(first).map(|n| (n, i as u64 + 1));
            continue;
        }
        let Some((name, line_no)) = current else {
            continue;
        };
        let Some(v) = line
            .trim_start()
            .strip_prefix("version")
            .filter(|v| v.starts_with([' ', ':', '"']))
        else {
            continue;
        };
        let v = v.trim_start_matches(':').trim().trim_matches('"');
        current = None;
        if seen.insert((name, v)) {
            sink(package("npm", name, Some(v), path, Some(line_no), "locked"));
        }
    }
}

/// `pnpm-lock.yaml` `packages:` keys: v5 `/name/1.2.3` or `/@s/n/1.2.3_peer`, v6
/// `/name@1.2.3(peer)`, v9 `name@1.2.3`.
fn pnpm_lock(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut v5 = false;
    let mut in_packages = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            if let Some(v) = line.strip_prefix("lockfileVersion:") {
                let v = v.trim().trim_matches(['\'', '"']);
                v5 = v.starts_with('5') || v.starts_with('4') || v.starts_with('3');
            }
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages {
            continue;
        }
        // Keys are indented by exactly two spaces.
        let Some(key) = line.strip_prefix("  ") else {
            continue;
        };
        if key.starts_with([' ', '\t']) {
            continue;
        }
        let Some(key) = key.trim_end().strip_suffix(':') else {
            continue;
        };
        let key = key.trim_matches(['\'', '"']);
        let key = key.strip_prefix('/').unwrap_or(key);
        let key = key.split('(').next().unwrap_or(key);
        let (name, version) = if v5 {
            let Some((n, v)) = key.rsplit_once('/') else {
                continue;
            };
            (n, v.split('_').next().unwrap_or(v))
        } else {
            let Some(at) = key.get(1..).and_then(|k| k.find('@')) else {
                continue;
            };
            (&key[..at + 1], &key[at + 2..])
        };
        if !name.is_empty() && seen.insert((name, version)) {
            sink(package(
                "npm",
                name,
                Some(version),
                path,
                Some(i as u64 + 1),
                "locked",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cargo and Go

fn cargo_toml(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    const SECTIONS: &[(&str, &str)] = &[
        ("dependencies", "declared"),
        ("dev-dependencies", "declared dev"),
        ("dev_dependencies", "declared dev"),
        ("build-dependencies", "declared build"),
        ("build_dependencies", "declared build"),
    ];
    let doc = toml_doc(text, path)?;
    let lines = Lines::new(text);
    let mut tables: Vec<(&DeTable<'_>, &str)> = Vec::new();
    for (section, detail) in SECTIONS {
        if let Some(t) = ttable(&doc, section) {
            tables.push((t, detail));
        }
    }
    for (_, target) in ttable(&doc, "target").into_iter().flatten() {
        let Some(target) = target.get_ref().as_table() else {
            continue;
        };
        for (section, detail) in SECTIONS {
            if let Some(t) = ttable(target, section) {
                tables.push((t, detail));
            }
        }
    }
    if let Some(t) = ttable(&doc, "workspace").and_then(|w| ttable(w, "dependencies")) {
        tables.push((t, "declared"));
    }
    for (t, detail) in tables {
        for (k, v) in t {
            let key = k.get_ref().as_ref();
            let (name, version) = match v.get_ref() {
                DeValue::String(s) => (key, Some(s.as_ref())),
                DeValue::Table(spec) => {
                    (tstr(spec, "package").unwrap_or(key), tstr(spec, "version"))
                }
                _ => (key, None),
            };
            let line = lines.line_of(k.span().start);
            sink(package("cargo", name, version, path, Some(line), detail));
        }
    }
    Ok(())
}

fn cargo_lock(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) -> Result<(), DetectError> {
    lock_packages(text, path, "cargo", sink)
}

/// `require path version [// indirect]`, single or in a `require ( … )` block.
fn go_mod(text: &str, path: &Path, sink: &mut ArtifactSink<'_>) {
    let mut in_block = false;
    for (i, raw) in text.lines().enumerate() {
        let (code, comment) = match raw.find("//") {
            Some(at) => (&raw[..at], &raw[at + 2..]),
            None => (raw, ""),
        };
        let code = code.trim();
        let spec = if in_block {
            if code.starts_with(')') {
                in_block = false;
                continue;
            }
            code
        } else if let Some(rest) = code.strip_prefix("require") {
            let rest = rest.trim_start();
            if rest.starts_with('(') {
                in_block = true;
                continue;
            }
            if rest.len() == code.len() - "require".len() && !rest.is_empty() {
                // `requirex …` is not a require directive.
                continue;
            }
            rest
        } else {
            continue;
        };
        let mut words = spec.split_whitespace();
        let (Some(module), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let module = module.trim_matches('"');
        let detail = if comment.trim() == "indirect" || comment.trim().starts_with("indirect;") {
            "declared indirect"
        } else {
            "declared"
        };
        sink(package(
            "go",
            module,
            Some(version),
            path,
            Some(i as u64 + 1),
            detail,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    fn write(root: &Path, rel: &str, content: &[u8]) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    struct Walked {
        arts: Vec<Artifact>,
        errs: Vec<DetectError>,
        skipped: Vec<String>,
        visited_files: usize,
    }

    /// The walker's contract: on_dir before entering, skip where told, on_file for files.
    /// Artefacts sorted by (path, line, selector): JSON object order is not the file's.
    fn walk(root: &Path) -> Walked {
        fn go(root: &Path, rel: &Path, w: &mut Walked) {
            let ctx = EndpointCtx::default();
            let mut entries: Vec<_> = fs::read_dir(root.join(rel))
                .unwrap()
                .map(|e| e.unwrap())
                .collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let r = rel.join(e.file_name());
                let a = root.join(&r);
                let ft = e.file_type().unwrap();
                let mut found = Vec::new();
                let mut sink = |x: Artifact| found.push(x);
                if ft.is_dir() {
                    let res = on_dir(&ctx, &r, &a, &mut sink);
                    w.arts.append(&mut found);
                    match res {
                        Ok(Descend::Skip) => w.skipped.push(r.to_string_lossy().into_owned()),
                        Ok(Descend::Yes) => go(root, &r, w),
                        Err(x) => {
                            w.errs.push(x);
                            go(root, &r, w)
                        }
                    }
                } else if ft.is_file() {
                    w.visited_files += 1;
                    let size = e.metadata().unwrap().len();
                    let res = on_file(&ctx, &r, &a, &|| size, &mut sink);
                    w.arts.append(&mut found);
                    if let Err(x) = res {
                        w.errs.push(x);
                    }
                }
            }
        }
        let mut w = Walked {
            arts: Vec::new(),
            errs: Vec::new(),
            skipped: Vec::new(),
            visited_files: 0,
        };
        go(root, Path::new(""), &mut w);
        w.arts.sort_by(|a, b| {
            (&a.path, a.line, &a.selector, &a.version).cmp(&(
                &b.path,
                b.line,
                &b.selector,
                &b.version,
            ))
        });
        w
    }

    fn p(
        eco: &'static str,
        sel: &str,
        name: &str,
        version: Option<&str>,
        path: &str,
        line: Option<u64>,
        detail: &str,
    ) -> Artifact {
        Artifact {
            kind: ArtifactKind::Package,
            selector: Selector::Package {
                ecosystem: eco,
                name: sel.into(),
            },
            name: Some(name.into()),
            version: version.map(Into::into),
            path: PathBuf::from(path),
            line,
            size: None,
            detail: Some(detail.into()),
        }
    }

    // Header block shaped like the METADATA of a wheel built by hatchling (Metadata-Version
    // 2.3); the body is made up.
    const METADATA: &str = "Metadata-Version: 2.3\nName: openai\nVersion: 1.30.1\nSummary: The official Python library for the openai API\nProject-URL: Homepage, https://github.com/openai/openai-python\nAuthor-email: OpenAI <support@openai.com>\nLicense: Apache-2.0\nRequires-Python: >=3.7.1\nRequires-Dist: anyio<5,>=3.5.0\nRequires-Dist: httpx<1,>=0.23.0\nProvides-Extra: datalib\nRequires-Dist: numpy>=1; extra == 'datalib'\nDescription-Content-Type: text/markdown\n\n# OpenAI Python API library\n\nName: not-a-header\n";

    #[test]
    fn python_installed_and_skips() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let sp = "home/alice/proj/.venv/lib/python3.12/site-packages";
        write(
            r,
            &format!("{sp}/openai-1.30.1.dist-info/METADATA"),
            METADATA.as_bytes(),
        );
        write(
            r,
            &format!("{sp}/openai-1.30.1.dist-info/RECORD"),
            b"openai/__init__.py,,\n",
        );
        write(r, &format!("{sp}/openai/__init__.py"), b"");
        write(r, &format!("{sp}/openai/lib/big.py"), b"");
        // Look-alike and a name needing PEP 503 normalisation.
        write(
            r,
            &format!("{sp}/openai_clone-0.1.dist-info/METADATA"),
            b"Metadata-Version: 2.1\r\nName: openai_clone\r\nVersion: 0.1\r\n\r\n",
        );
        write(
            r,
            &format!("{sp}/Google_Generative_AI-0.5.4.dist-info/METADATA"),
            b"Metadata-Version: 2.1\nName: Google.Generative_AI\nVersion: 0.5.4\n",
        );
        // Legacy forms: an egg-info folder, an egg-info file, an egg.
        let dp = "usr/lib/python3/dist-packages";
        write(
            r,
            &format!("{dp}/tiktoken-0.7.0.egg-info/PKG-INFO"),
            b"Metadata-Version: 1.1\nName: tiktoken\nVersion: 0.7.0\n",
        );
        write(
            r,
            &format!("{dp}/anthropic-0.3.egg-info"),
            b"Metadata-Version: 1.0\nName: anthropic\nVersion: 0.3\n",
        );
        write(
            r,
            &format!("{dp}/cohere-4.0-py3.11.egg/EGG-INFO/PKG-INFO"),
            b"Metadata-Version: 1.1\nName: cohere\nVersion: 4.0\n",
        );
        // A requirements file inside an installed package is not a declaration.
        write(r, &format!("{sp}/openai/requirements.txt"), b"httpx\n");
        let w = walk(r);
        assert!(w.errs.is_empty(), "{:?}", w.errs);
        let inst = |root: &str| format!("installed {root}");
        #[rustfmt::skip]
        let want = vec![
            p("pypi", "google-generative-ai", "Google.Generative_AI", Some("0.5.4"), &format!("{sp}/Google_Generative_AI-0.5.4.dist-info/METADATA"), None, &inst(sp)),
            p("pypi", "openai", "openai", Some("1.30.1"), &format!("{sp}/openai-1.30.1.dist-info/METADATA"), None, &inst(sp)),
            p("pypi", "openai-clone", "openai_clone", Some("0.1"), &format!("{sp}/openai_clone-0.1.dist-info/METADATA"), None, &inst(sp)),
            p("pypi", "anthropic", "anthropic", Some("0.3"), &format!("{dp}/anthropic-0.3.egg-info"), None, &inst(dp)),
            p("pypi", "cohere", "cohere", Some("4.0"), &format!("{dp}/cohere-4.0-py3.11.egg/EGG-INFO/PKG-INFO"), None, &inst(dp)),
            p("pypi", "tiktoken", "tiktoken", Some("0.7.0"), &format!("{dp}/tiktoken-0.7.0.egg-info/PKG-INFO"), None, &inst(dp)),
        ];
        assert_eq!(w.arts, want);
        assert!(w.skipped.contains(&format!("{sp}/openai")));
        assert!(w.skipped.contains(&format!("{sp}/openai-1.30.1.dist-info")));
        // Only the egg-info file was handed to on_file; package bodies were never entered.
        assert_eq!(w.visited_files, 1);
    }

    #[test]
    fn requirements_files() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let req = "# AI deps\n\
openai==1.30.1  # pinned\n\
anthropic[vertex,bedrock] >= 0.25 ; python_version >= \"3.8\"\n\
-r base.txt\n\
--index-url https://pypi.org/simple\n\
-e git+https://github.com/x/openai-clone.git#egg=openai-clone\n\
git+https://github.com/foo/bar.git\n\
./vendor/pkg\n\
https://example.com/pkg-1.0-py3-none-any.whl\n\
pkg-1.0-py3-none-any.whl\n\
langchain_openai\n\
google-generativeai~=0.5 \\\n\
    --hash=sha256:0123456789abcdef\n\
tiktoken @ https://files.pythonhosted.org/packages/tiktoken-0.7.0.tar.gz\n\
openai-clone (>=2.0)\n\
Mistralai#no-space-comment\n\
\n";
        write(r, "proj/requirements-dev.txt", req.as_bytes());
        // PowerShell 5 `pip freeze > requirements.txt` writes UTF-16LE with a BOM.
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "groq==0.9.0\r\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        write(r, "proj/requirements/prod.txt", &utf16);
        write(r, "proj/notes.txt", b"openai\n");
        let w = walk(r);
        assert!(w.errs.is_empty(), "{:?}", w.errs);
        let f = "proj/requirements-dev.txt";
        #[rustfmt::skip]
        let want = vec![
            p("pypi", "groq", "groq", Some("==0.9.0"), "proj/requirements/prod.txt", Some(1), "declared"),
            p("pypi", "openai", "openai", Some("==1.30.1"), f, Some(2), "declared"),
            p("pypi", "anthropic", "anthropic", Some(">= 0.25"), f, Some(3), "declared"),
            p("pypi", "langchain-openai", "langchain_openai", None, f, Some(11), "declared"),
            p("pypi", "google-generativeai", "google-generativeai", Some("~=0.5"), f, Some(12), "declared"),
            p("pypi", "tiktoken", "tiktoken", None, f, Some(14), "declared"),
            p("pypi", "openai-clone", "openai-clone", Some(">=2.0"), f, Some(15), "declared"),
            // Not line 16: `#` without whitespace before it is no comment to pip, and
            // `Mistralai#…` is no requirement.
        ];
        assert_eq!(w.arts, want);
    }

    #[test]
    fn pyproject_pipfile_and_python_locks() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let pep621 = r#"[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "my-agent"
version = "0.1.0"
dependencies = [
    "openai>=1.30",
    "anthropic[vertex]==0.28.0; python_version >= '3.9'",
    "openai-clone",
]

[project.optional-dependencies]
local = ["llama-cpp-python>=0.2"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
"#;
        write(r, "a/pyproject.toml", pep621.as_bytes());
        let poetry = r#"[tool.poetry]
name = "bot"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
langchain-openai = "^0.1.8"
Cohere = { version = "^5.5", optional = true }
mylib = { git = "https://github.com/me/mylib.git" }

[tool.poetry.group.dev.dependencies]
pytest = "^8.0"
"#;
        write(r, "b/pyproject.toml", poetry.as_bytes());
        write(
            r,
            "c/Pipfile",
            b"[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\nopenai = \"*\"\ngroq = {version = \"==0.9.0\"}\n\n[dev-packages]\nblack = \"==24.4.2\"\n",
        );
        write(
            r,
            "c/Pipfile.lock",
            br#"{"_meta":{"hash":{"sha256":"x"}},"default":{"openai":{"hashes":["sha256:1"],"version":"==1.30.1"}},"develop":{"black":{"version":"==24.4.2"}}}"#,
        );
        write(
            r,
            "b/poetry.lock",
            b"# This file is automatically @generated by Poetry 1.8.2 and should not be changed by hand.\n\n[[package]]\nname = \"langchain-openai\"\nversion = \"0.1.8\"\ndescription = \"x\"\noptional = false\npython-versions = \"<4.0,>=3.8.1\"\nfiles = []\n\n[metadata]\nlock-version = \"2.0\"\n",
        );
        write(
            r,
            "a/uv.lock",
            b"version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"openai\"\nversion = \"1.30.1\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
        );
        let w = walk(r);
        assert!(w.errs.is_empty(), "{:?}", w.errs);
        #[rustfmt::skip]
        let want = vec![
            p("pypi", "openai", "openai", Some(">=1.30"), "a/pyproject.toml", Some(9), "declared"),
            p("pypi", "anthropic", "anthropic", Some("==0.28.0"), "a/pyproject.toml", Some(10), "declared"),
            p("pypi", "openai-clone", "openai-clone", None, "a/pyproject.toml", Some(11), "declared"),
            p("pypi", "llama-cpp-python", "llama-cpp-python", Some(">=0.2"), "a/pyproject.toml", Some(15), "declared optional"),
            p("pypi", "pytest", "pytest", Some(">=8"), "a/pyproject.toml", Some(18), "declared test"),
            p("pypi", "openai", "openai", Some("1.30.1"), "a/uv.lock", None, "locked"),
            p("pypi", "langchain-openai", "langchain-openai", Some("0.1.8"), "b/poetry.lock", None, "locked"),
            p("pypi", "langchain-openai", "langchain-openai", Some("^0.1.8"), "b/pyproject.toml", Some(7), "declared"),
            p("pypi", "cohere", "Cohere", Some("^5.5"), "b/pyproject.toml", Some(8), "declared"),
            p("pypi", "mylib", "mylib", None, "b/pyproject.toml", Some(9), "declared"),
            p("pypi", "pytest", "pytest", Some("^8.0"), "b/pyproject.toml", Some(12), "declared dev"),
            p("pypi", "openai", "openai", None, "c/Pipfile", Some(5), "declared"),
            p("pypi", "groq", "groq", Some("==0.9.0"), "c/Pipfile", Some(6), "declared"),
            p("pypi", "black", "black", Some("==24.4.2"), "c/Pipfile", Some(9), "declared dev"),
            p("pypi", "black", "black", Some("24.4.2"), "c/Pipfile.lock", None, "locked dev"),
            p("pypi", "openai", "openai", Some("1.30.1"), "c/Pipfile.lock", None, "locked"),
        ];
        assert_eq!(w.arts, want);
    }

    // package-lock.json v3 as npm 9/10 writes it (fields trimmed to the ones npm always
    // writes; integrity values shortened).
    const LOCK_V3: &str = r#"{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "web", "version": "1.0.0", "dependencies": { "openai": "^4.47.1" } },
    "node_modules/openai": {
      "version": "4.47.1",
      "resolved": "https://registry.npmjs.org/openai/-/openai-4.47.1.tgz",
      "integrity": "sha512-abc",
      "dependencies": { "@types/node": "^18.11.18" },
      "bin": { "openai": "bin/cli" }
    },
    "node_modules/openai/node_modules/@types/node": {
      "version": "18.19.33",
      "resolved": "https://registry.npmjs.org/@types/node/-/node-18.19.33.tgz",
      "integrity": "sha512-def"
    },
    "node_modules/@anthropic-ai/sdk": { "version": "0.22.0", "dev": true },
    "node_modules/ai-alias": { "name": "ai", "version": "3.1.0" },
    "packages/ui": { "name": "@web/ui", "version": "0.0.0" },
    "node_modules/@web/ui": { "resolved": "packages/ui", "link": true }
  }
}"#;

    #[test]
    fn npm_installed_declared_locked() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let pj = r#"{
  "name": "web",
  "private": true,
  "dependencies": {
    "openai": "^4.47.1",
    "my-claude": "npm:@anthropic-ai/sdk@^0.22.0"
  },
  "devDependencies": {
    "openai-clone": "1.0.0"
  }
}"#;
        write(r, "web/package.json", pj.as_bytes());
        write(r, "web/package-lock.json", LOCK_V3.as_bytes());
        let nm = "web/node_modules";
        write(
            r,
            &format!("{nm}/openai/package.json"),
            br#"{"name":"openai","version":"4.47.1","main":"index.js"}"#,
        );
        write(
            r,
            &format!("{nm}/openai/dist/package.json"),
            br#"{"type":"module"}"#,
        );
        write(r, &format!("{nm}/openai/src/index.ts"), b"");
        write(
            r,
            &format!("{nm}/openai/node_modules/@types/node/package.json"),
            br#"{"name":"@types/node","version":"18.19.33"}"#,
        );
        write(
            r,
            &format!("{nm}/@anthropic-ai/sdk/package.json"),
            br#"{"name":"@anthropic-ai/sdk","version":"0.22.0"}"#,
        );
        write(r, &format!("{nm}/@anthropic-ai/sdk/lib/x.js"), b"");
        write(r, &format!("{nm}/.bin/openai"), b"");
        // No usable name: the folder names the package.
        write(
            r,
            &format!("{nm}/odd/package.json"),
            br#"{"name":["x"],"version":"2.0"}"#,
        );
        write(
            r,
            &format!("{nm}/odd2/package.json"),
            b"\xEF\xBB\xBF{\"version\":\"3\"}",
        );
        write(r, &format!("{nm}/.cache/x/package.json"), b"{}");
        // pnpm store layout.
        write(
            r,
            "p/node_modules/.pnpm/openai@4.0.0/node_modules/openai/package.json",
            br#"{"name":"openai","version":"4.0.0"}"#,
        );
        let w = walk(r);
        assert!(w.errs.is_empty(), "{:?}", w.errs);
        let lock = "web/package-lock.json";
        #[rustfmt::skip]
        let want = vec![
            p("npm", "openai", "openai", Some("4.0.0"), "p/node_modules/.pnpm/openai@4.0.0/node_modules/openai/package.json", None, "installed p/node_modules/.pnpm/openai@4.0.0/node_modules"),
            p("npm", "@anthropic-ai/sdk", "@anthropic-ai/sdk", Some("0.22.0"), &format!("{nm}/@anthropic-ai/sdk/package.json"), None, "installed web/node_modules"),
            p("npm", "odd", "odd", Some("2.0"), &format!("{nm}/odd/package.json"), None, "installed web/node_modules"),
            p("npm", "odd2", "odd2", Some("3"), &format!("{nm}/odd2/package.json"), None, "installed web/node_modules"),
            p("npm", "@types/node", "@types/node", Some("18.19.33"), &format!("{nm}/openai/node_modules/@types/node/package.json"), None, "installed web/node_modules/openai/node_modules"),
            p("npm", "openai", "openai", Some("4.47.1"), &format!("{nm}/openai/package.json"), None, "installed web/node_modules"),
            p("npm", "@anthropic-ai/sdk", "@anthropic-ai/sdk", Some("0.22.0"), lock, None, "locked dev"),
            p("npm", "@types/node", "@types/node", Some("18.19.33"), lock, None, "locked"),
            p("npm", "ai", "ai", Some("3.1.0"), lock, None, "locked"),
            p("npm", "openai", "openai", Some("4.47.1"), lock, None, "locked"),
            p("npm", "openai", "openai", Some("^4.47.1"), "web/package.json", Some(5), "declared"),
            p("npm", "@anthropic-ai/sdk", "@anthropic-ai/sdk", Some("^0.22.0"), "web/package.json", Some(6), "declared"),
            p("npm", "openai-clone", "openai-clone", Some("1.0.0"), "web/package.json", Some(9), "declared dev"),
        ];
        assert_eq!(w.arts, want);
        for s in [
            "web/node_modules/openai/dist",
            "web/node_modules/openai/src",
            "web/node_modules/@anthropic-ai/sdk/lib",
            "web/node_modules/.bin",
            "web/node_modules/.cache",
        ] {
            assert!(w.skipped.contains(&s.to_owned()), "{s}: {:?}", w.skipped);
        }
    }

    #[test]
    fn npm_lock_v1_yarn_pnpm() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(
            r,
            "v1/package-lock.json",
            br#"{"name":"x","lockfileVersion":1,"requires":true,"dependencies":{"openai":{"version":"3.3.0","requires":{"axios":"^0.26.0"},"dependencies":{"axios":{"version":"0.26.1"}}},"alias":{"version":"npm:cohere-ai@7.0.0","dev":true}}}"#,
        );
        let yarn_classic = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\"@anthropic-ai/sdk@^0.20.0\", \"@anthropic-ai/sdk@^0.20.1\":\n  version \"0.20.9\"\n  resolved \"https://registry.yarnpkg.com/@anthropic-ai/sdk/-/sdk-0.20.9.tgz#abc\"\n  integrity sha512-x\n  dependencies:\n    version-ish \"^1.0.0\"\n\nopenai@^4.0.0:\n  version \"4.47.1\"\n  resolved \"https://registry.yarnpkg.com/openai/-/openai-4.47.1.tgz\"\n";
        write(r, "y1/yarn.lock", yarn_classic.as_bytes());
        let yarn_berry = "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"openai@npm:^4.47.1\":\n  version: 4.47.1\n  resolution: \"openai@npm:4.47.1\"\n  checksum: 10c0/abc\n  languageName: node\n  linkType: hard\n\n\"my-ai@npm:ai@^3.1.0\":\n  version: 3.1.0\n  resolution: \"ai@npm:3.1.0\"\n";
        write(r, "y2/yarn.lock", yarn_berry.as_bytes());
        let pnpm9 = "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\nimporters:\n\n  .:\n    dependencies:\n      openai:\n        specifier: ^4.47.1\n        version: 4.47.1\n\npackages:\n\n  '@anthropic-ai/sdk@0.22.0':\n    resolution: {integrity: sha512-x}\n\n  openai@4.47.1:\n    resolution: {integrity: sha512-y}\n    hasBin: true\n\nsnapshots:\n\n  openai@4.47.1(zod@3.23.8):\n    dependencies:\n      zod: 3.23.8\n";
        write(r, "p9/pnpm-lock.yaml", pnpm9.as_bytes());
        let pnpm6 = "lockfileVersion: '6.0'\n\npackages:\n\n  /langchain@0.2.0(openai@4.47.1):\n    resolution: {integrity: sha512-z}\n    dev: false\n";
        write(r, "p6/pnpm-lock.yaml", pnpm6.as_bytes());
        let pnpm5 = "lockfileVersion: 5.4\n\npackages:\n\n  /@google/generative-ai/0.11.0_zod@3.23.8:\n    resolution: {integrity: sha512-w}\n";
        write(r, "p5/pnpm-lock.yaml", pnpm5.as_bytes());
        let w = walk(r);
        assert!(w.errs.is_empty(), "{:?}", w.errs);
        #[rustfmt::skip]
        let want = vec![
            p("npm", "@google/generative-ai", "@google/generative-ai", Some("0.11.0"), "p5/pnpm-lock.yaml", Some(5), "locked"),
            p("npm", "langchain", "langchain", Some("0.2.0"), "p6/pnpm-lock.yaml", Some(5), "locked"),
            p("npm", "@anthropic-ai/sdk", "@anthropic-ai/sdk", Some("0.22.0"), "p9/pnpm-lock.yaml", Some(16), "locked"),
            p("npm", "openai", "openai", Some("4.47.1"), "p9/pnpm-lock.yaml", Some(19), "locked"),
            p("npm", "axios", "axios", Some("0.26.1"), "v1/package-lock.json", None, "locked"),
            p("npm", "cohere-ai", "cohere-ai", Some("7.0.0"), "v1/package-lock.json", None, "locked dev"),
            p("npm", "openai", "openai", Some("3.3.0"), "v1/package-lock.json", None, "locked"),
            p("npm", "@anthropic-ai/sdk", "@anthropic-ai/sdk", Some("0.20.9"), "y1/yarn.lock", Some(5), "locked"),
            p("npm", "openai", "openai", Some("4.47.1"), "y1/yarn.lock", Some(12), "locked"),
            p("npm", "openai", "openai", Some("4.47.1"), "y2/yarn.lock", Some(7), "locked"),
            p("npm", "ai", "ai", Some("3.1.0"), "y2/yarn.lock", Some(14), "locked"),
        ];
        assert_eq!(w.arts, want);
    }

    #[test]
    fn cargo_and_go() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let cargo = r#"[package]
name = "bot"
version = "0.1.0"
edition = "2021"

[dependencies]
async-openai = "0.23"
oai = { package = "openai-api-rs", version = "5.0.2" }
serde = { workspace = true }
local = { path = "../local" }

[dev-dependencies.openai-clone]
version = "1"

[target.'cfg(unix)'.build-dependencies]
cc = "1.0"

[workspace.dependencies]
serde = "1.0.203"
"#;
        write(r, "rs/Cargo.toml", cargo.as_bytes());
        write(
            r,
            "rs/Cargo.lock",
            b"# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n[[package]]\nname = \"async-openai\"\nversion = \"0.23.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc\"\ndependencies = [\n \"reqwest\",\n]\n\n[[package]]\nname = \"bot\"\nversion = \"0.1.0\"\n",
        );
        let gomod = "module example.com/bot\n\ngo 1.22\n\nrequire github.com/sashabaranov/go-openai v1.24.1\n\nrequire (\n\tgithub.com/anthropics/anthropic-sdk-go v0.2.0-alpha.4\n\t\"github.com/google/generative-ai-go\" v0.13.0\n\tgolang.org/x/net v0.25.0 // indirect\n)\n\nreplace github.com/x/y => ../y\n";
        write(r, "go/go.mod", gomod.as_bytes());
        // The cargo registry and the Go module cache are dependencies, not projects.
        write(
            r,
            "home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/async-openai-0.23.1/Cargo.toml",
            cargo.as_bytes(),
        );
        write(
            r,
            "home/u/go/pkg/mod/github.com/x/y@v1.0.0/go.mod",
            gomod.as_bytes(),
        );
        let w = walk(r);
        assert!(w.errs.is_empty(), "{:?}", w.errs);
        let gm = "go/go.mod";
        let ct = "rs/Cargo.toml";
        #[rustfmt::skip]
        let want = vec![
            p("go", "github.com/sashabaranov/go-openai", "github.com/sashabaranov/go-openai", Some("v1.24.1"), gm, Some(5), "declared"),
            p("go", "github.com/anthropics/anthropic-sdk-go", "github.com/anthropics/anthropic-sdk-go", Some("v0.2.0-alpha.4"), gm, Some(8), "declared"),
            p("go", "github.com/google/generative-ai-go", "github.com/google/generative-ai-go", Some("v0.13.0"), gm, Some(9), "declared"),
            p("go", "golang.org/x/net", "golang.org/x/net", Some("v0.25.0"), gm, Some(10), "declared indirect"),
            p("cargo", "async-openai", "async-openai", Some("0.23.1"), "rs/Cargo.lock", None, "locked"),
            p("cargo", "bot", "bot", Some("0.1.0"), "rs/Cargo.lock", None, "locked"),
            p("cargo", "async-openai", "async-openai", Some("0.23"), ct, Some(7), "declared"),
            p("cargo", "openai-api-rs", "openai-api-rs", Some("5.0.2"), ct, Some(8), "declared"),
            p("cargo", "serde", "serde", None, ct, Some(9), "declared"),
            p("cargo", "local", "local", None, ct, Some(10), "declared"),
            p("cargo", "openai-clone", "openai-clone", Some("1"), ct, Some(12), "declared dev"),
            p("cargo", "cc", "cc", Some("1.0"), ct, Some(16), "declared build"),
            p("cargo", "serde", "serde", Some("1.0.203"), ct, Some(19), "declared"),
        ];
        assert_eq!(w.arts, want);
    }

    #[test]
    fn pep503_and_pep508() {
        assert_eq!(pep503("Google.Generative__AI"), "google-generative-ai");
        assert_eq!(pep503("  zope.interface "), "zope-interface");
        assert_eq!(pep508("openai"), Some(("openai", None)));
        assert_eq!(
            pep508("openai[datalib]>=1,<2;python_version<'4'"),
            Some(("openai", Some(">=1,<2")))
        );
        assert_eq!(pep508("name @ https://x/y.whl"), Some(("name", None)));
        assert_eq!(pep508("https://x/y.whl"), None);
        assert_eq!(pep508("openai[oops"), None);
        assert_eq!(pep508("C:\\wheels\\x.whl"), None);
    }

    #[test]
    fn garbage_does_not_panic() {
        let junk: &[&[u8]] = &[
            b"",
            b"\xff\xfe\xff",
            b"{",
            b"[1,2",
            b"[[package]\nname=",
            b"\"a@:\n  version",
            b"packages:\n  '':\n  /:\n  @:\n  '@':\n",
            b"lockfileVersion: 5\npackages:\n  /:\n  nover:\n",
            b"require (\nx\n",
            b"require\nrequire x\n",
            b"x\\\n\\\n\\",
            b"Name:\n\n",
            b"{\"packages\":{\"node_modules/\":{},\"node_modules/x\":7},\"dependencies\":{\"a\":{\"version\":\"npm:@\"}}}",
            b"{\"dependencies\":{\"a\":{\"version\":\"npm:\"},\"b\":7},\"devDependencies\":[]}",
            b"[dependencies]\nx = 7\n[target]\ny = 1\n[workspace]\ndependencies = 3\n",
            b"[project]\ndependencies = \"x\"\noptional-dependencies = [1]\n[tool.poetry]\ngroup = 5\n",
        ];
        // Every parser over every prefix of every junk input, in memory.
        let rel = Path::new("x");
        let mut n = 0usize;
        let mut sink = |_: Artifact| n += 1;
        for j in junk {
            for cut in 0..=j.len() {
                let b = &j[..cut];
                let text = decode_text(b);
                requirements(&text, rel, &mut sink);
                yarn_lock(&text, rel, &mut sink);
                pnpm_lock(&text, rel, &mut sink);
                go_mod(&text, rel, &mut sink);
                let _ = pyproject(&text, rel, &mut sink);
                let _ = pipfile(&text, rel, &mut sink);
                let _ = pipfile_lock(b, rel, &mut sink);
                let _ = py_lock(&text, rel, &mut sink);
                let _ = npm_lock(b, rel, &mut sink);
                let _ = cargo_toml(&text, rel, &mut sink);
                let _ = cargo_lock(&text, rel, &mut sink);
                let _ = python_metadata(b, rel, rel, &mut sink);
                let _ = pep508(&text);
            }
        }
        // And through the hooks, as files.
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let names = [
            "package.json",
            "package-lock.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "Cargo.toml",
            "Cargo.lock",
            "go.mod",
            "pyproject.toml",
            "Pipfile",
            "Pipfile.lock",
            "uv.lock",
            "requirements.txt",
            "x.egg-info",
        ];
        for (i, j) in junk.iter().enumerate() {
            for n in names {
                write(r, &format!("p{i}/{n}"), j);
                write(r, &format!("p{i}/node_modules/q/{n}"), j);
            }
            write(r, &format!("p{i}/site-packages/x.dist-info/METADATA"), j);
        }
        let w = walk(r);
        assert!(!w.errs.is_empty());
        assert!(w.errs.iter().all(|e| !e.reason.is_empty()));
        let reasons: Vec<_> = w.errs.iter().map(|e| e.reason.as_str()).collect();
        assert!(reasons.contains(&"METADATA: no Name header"), "{reasons:?}");
        assert!(
            reasons.contains(&"x.egg-info: no Name header"),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("Cargo.toml: not TOML: ")),
            "{reasons:?}"
        );
        assert!(reasons.contains(&"package-lock.json: not JSON (cut short)"));
        assert!(reasons.contains(&"package-lock.json: not JSON"));
    }
}
