//! Installed desktop applications and system packages ([`ArtifactKind::App`]).
//!
//! Every source below is recognised by its file or folder name and the last few components
//! of the path relative to the walk root, so a disk of any OS can be scanned from any OS:
//!
//! | source | path (relative to the root) | selector |
//! | --- | --- | --- |
//! | macOS bundle | `**/<Name>.app/` (its `Contents/Info.plist`) | `BundleId` (lower-cased), else `Executable(<Name>)` |
//! | Windows uninstall keys | `**/*.reg` (a regedit export) | `Executable(DisplayName)` |
//! | Windows programs | `**/Program Files*/<X>/`, `**/AppData/Local/Programs/<X>/` | `Executable(<X>)` |
//! | Windows Start Menu | `**/Start Menu/Programs/**/*.lnk` | `Executable(<stem>)` |
//! | Linux `.desktop` | `**/{usr,usr/local,.local}/share/applications/*.desktop`, flatpak and snapd exports | `Executable(Name)` |
//! | `/opt` | `opt/<X>/` (at the root) | `Executable(<X>)` |
//! | snap | `snap/<name>/<rev>/meta/snap.yaml` (at the root), `**/var/lib/snapd/snaps/<name>_<rev>.snap` | `Package{snap}` |
//! | flatpak | `**/flatpak/app/<app-id>/` (system and per-user) | `Package{flatpak}` |
//! | dpkg | `**/var/lib/dpkg/status` | `Package{deb}` |
//! | rpm | `**/{var/lib,usr/lib/sysimage}/rpm/rpmdb.sqlite` | `Package{rpm}` |
//!
//! Names compare ASCII-case-insensitively where the source OS does (Windows, macOS) and
//! exactly where it does not (Linux).

mod linux;
mod macos;
mod rpmdb;
mod windows;

use super::manifest_io::{ends_with_ci, file_name};
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, Selector,
};

/// Most bytes read from a package database that is read whole (dpkg `status`): a desktop with
/// a few thousand packages has 3–10 MiB, past the per-manifest cap.
const MAX_INVENTORY_BYTES: u64 = 64 << 20;

/// Longest name, version or detail kept from a manifest, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// Every regular file the walker meets.
pub fn on_file(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    // Dispatch on the last byte first: most files end in none of these, and are left
    // before the path is even split into components.
    if !matches!(
        rel.as_os_str().as_encoded_bytes().last(),
        Some(b'g' | b'G' | b'k' | b'K' | b'p' | b'l' | b's' | b'e')
    ) {
        return Ok(());
    }
    let name = file_name(rel);
    match name.last() {
        Some(b'g' | b'G') if ends_with_ci(name, ".reg") => windows::on_reg(rel, abs, size(), sink),
        Some(b'k' | b'K') if ends_with_ci(name, ".lnk") => windows::on_lnk(rel, name, sink),
        Some(b'p') if name.ends_with(b".desktop") => linux::on_desktop(rel, abs, size(), sink),
        Some(b'l') if name == b"snap.yaml" => linux::on_snap_yaml(rel, abs, size(), sink),
        Some(b'p') if name.ends_with(b".snap") => linux::on_snap_file(rel, name, sink),
        Some(b's') if name == b"status" => linux::on_dpkg_status(rel, abs, size(), sink),
        Some(b'e') if name == b"rpmdb.sqlite" => rpmdb::on_rpmdb(rel, abs, sink),
        _ => Ok(()),
    }
}

/// Every folder, before the walker goes in.
pub fn on_dir(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    let name = file_name(rel);
    if ends_with_ci(name, ".app") {
        return macos::on_app_bundle(rel, abs, name, sink);
    }
    let mut up = parents(rel);
    let Some(parent) = up.next() else {
        return Ok(Descend::Yes);
    };
    windows::on_dir(rel, name, parent, up.clone(), sink);
    linux::on_dir(rel, name, parent, up, sink);
    Ok(Descend::Yes)
}

/// The components above the last one, nearest first.
fn parents(rel: &Path) -> impl Iterator<Item = &[u8]> + Clone {
    let mut it = components(rel);
    it.next();
    it
}

/// The normal components of `rel`, last first.
fn components(rel: &Path) -> impl Iterator<Item = &[u8]> + Clone {
    rel.components().rev().filter_map(|c| match c {
        Component::Normal(s) => Some(s.as_encoded_bytes()),
        _ => None,
    })
}

fn err(path: PathBuf, reason: impl Into<String>) -> DetectError {
    DetectError {
        path,
        reason: reason.into(),
    }
}

/// Reads a whole file of at most `cap` bytes (`size` is the walker's, checked again while
/// reading since the file may grow).
fn read_capped(
    rel: &Path,
    abs: &Path,
    size: u64,
    cap: u64,
    what: &str,
) -> Result<Vec<u8>, DetectError> {
    if size > cap {
        return Err(err(
            rel.to_path_buf(),
            format!("{what}: larger than {} MiB", cap >> 20),
        ));
    }
    let file = File::open(abs).map_err(|e| err(rel.to_path_buf(), format!("{what}: {e}")))?;
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| err(rel.to_path_buf(), format!("{what}: {e}")))?;
    if buf.len() as u64 > cap {
        return Err(err(
            rel.to_path_buf(),
            format!("{what}: larger than {} MiB", cap >> 20),
        ));
    }
    Ok(buf)
}

/// A field value as kept in an artefact: trimmed, control characters dropped, at most
/// [`MAX_FIELD_CHARS`] characters; `None` when nothing is left.
fn clean(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let out: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect();
    let out = out.trim_end();
    (!out.is_empty()).then(|| out.to_string())
}

/// An `App` artefact with no line or size.
fn app(selector: Selector, name: Option<String>, version: Option<String>, path: &Path) -> Artifact {
    Artifact {
        kind: ArtifactKind::App,
        selector,
        name,
        version,
        path: path.to_path_buf(),
        line: None,
        size: None,
        detail: None,
    }
}

#[cfg(test)]
mod tests;
