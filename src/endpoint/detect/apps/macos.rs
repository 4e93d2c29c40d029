//! macOS application bundles: `<Name>.app/Contents/Info.plist`, XML, binary (`bplist00`) or
//! old-style ASCII.

use std::io::Cursor;
use std::path::Path;

use plist::{Dictionary, Value};

use super::{app, clean, err, read_capped};
use crate::endpoint::artifact::{ArtifactSink, Descend, DetectError, MAX_MANIFEST_BYTES, Selector};

/// A folder whose name ends in `.app`: when it holds `Contents/Info.plist`, reports the
/// bundle and skips its contents (helpers and frameworks inside are part of the app).
/// Anything else named `*.app` (a web project, say) is walked as usual.
pub(super) fn on_app_bundle(
    rel: &Path,
    abs: &Path,
    name: &[u8],
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    // Neither `Contents` nor `Info.plist` may be a symlink (it could lead out of the root).
    let contents = abs.join("Contents");
    if !std::fs::symlink_metadata(&contents).is_ok_and(|m| m.is_dir()) {
        return Ok(Descend::Yes);
    }
    let plist_abs = contents.join("Info.plist");
    let Ok(meta) = std::fs::symlink_metadata(&plist_abs) else {
        return Ok(Descend::Yes);
    };
    if !meta.is_file() {
        return Ok(Descend::Yes);
    }
    let plist_rel = rel.join("Contents").join("Info.plist");
    let bytes = read_capped(
        &plist_rel,
        &plist_abs,
        meta.len(),
        MAX_MANIFEST_BYTES,
        "Info.plist",
    )?;
    let value = Value::from_reader(Cursor::new(bytes)).map_err(|_| {
        err(
            plist_rel.clone(),
            "Info.plist: not a plist (XML, binary or ASCII)",
        )
    })?;
    let Some(dict) = value.as_dictionary() else {
        return Err(err(plist_rel, "Info.plist: not a dictionary"));
    };

    // The folder name without `.app`: the name Finder shows when the plist names none.
    let stem = String::from_utf8_lossy(&name[..name.len() - 4]);
    let selector = match string(dict, "CFBundleIdentifier") {
        Some(id) => Selector::BundleId(id.to_ascii_lowercase()),
        None => match clean(&stem) {
            Some(stem) => Selector::Executable(stem),
            None => return Err(err(plist_rel, "Info.plist: no CFBundleIdentifier")),
        },
    };
    let display = string(dict, "CFBundleDisplayName")
        .or_else(|| string(dict, "CFBundleName"))
        .or_else(|| clean(&stem));
    let version =
        string(dict, "CFBundleShortVersionString").or_else(|| string(dict, "CFBundleVersion"));
    let mut a = app(selector, display, version, rel);
    a.detail = string(dict, "CFBundleExecutable");
    sink(a);
    Ok(Descend::Skip)
}

/// A string value (numbers too: some bundles write `CFBundleVersion` as an integer).
fn string(dict: &Dictionary, key: &str) -> Option<String> {
    match dict.get(key)? {
        Value::String(s) => clean(s),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        _ => None,
    }
}
