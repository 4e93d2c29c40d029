//! The SQLite rpm database (`rpmdb.sqlite`, rpm 4.16+: Fedora 33+, RHEL 9+, openSUSE):
//! table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, each blob one package's header.
//!
//! A header as stored there has no 8-byte magic: a big-endian `u32` index count and `u32`
//! data size, then that many 16-byte index entries (`tag`, `type`, `offset`, `count`, all
//! big-endian `u32`), then the data store the offsets point into. Tags 1000 `NAME`, 1001
//! `VERSION` and 1002 `RELEASE` are type 6 `STRING`: NUL-terminated.
//! (Layout: LSB Core "Package File Format", header structure; checked against a database
//! written by rpm 4.18.)
//!
//! The database is opened read-only and `immutable`, so no lock is taken and nothing (not
//! even a `-shm` or journal file) is written beside it; rpm checkpoints its WAL on exit, so
//! only a transaction still running is missed.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{app, clean, err, parents};
use crate::endpoint::artifact::{ArtifactSink, DetectError, Selector};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TYPE_STRING: u32 = 6;
/// rpm's own limits on a header (`hdrchkTags`, `hdrchkData` in rpm's header.c).
const MAX_TAGS: u32 = 0xffff;
const MAX_DATA: u32 = 256 << 20;

/// `**/var/lib/rpm/rpmdb.sqlite` or `**/usr/lib/sysimage/rpm/rpmdb.sqlite`.
pub(super) fn on_rpmdb(
    rel: &Path,
    abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let mut up = parents(rel);
    let known = up.next() == Some(b"rpm")
        && match (up.next(), up.next()) {
            (Some(b"lib"), Some(b"var")) => true,
            (Some(b"sysimage"), Some(b"lib")) => up.next() == Some(b"usr"),
            _ => false,
        };
    if !known {
        return Ok(());
    }
    let fail = |e: rusqlite::Error| err(rel.to_path_buf(), format!("rpmdb.sqlite: {e}"));
    let conn = open_immutable(abs).map_err(fail)?;
    let mut stmt = conn.prepare("SELECT blob FROM Packages").map_err(fail)?;
    let mut rows = stmt.query([]).map_err(fail)?;
    let (mut total, mut bad) = (0u64, 0u64);
    while let Some(row) = rows.next().map_err(fail)? {
        total += 1;
        let blob = match row.get_ref(0).map(|v| v.as_blob()) {
            Ok(Ok(b)) => b,
            _ => {
                bad += 1;
                continue;
            }
        };
        let Some(h) = read_header(blob) else {
            bad += 1;
            continue;
        };
        // Imported signing keys are stored as pseudo-packages.
        if h.name == "gpg-pubkey" {
            continue;
        }
        let Some(name) = clean(h.name) else {
            bad += 1;
            continue;
        };
        let version = match (h.version, h.release) {
            (Some(v), Some(r)) => clean(&format!("{v}-{r}")),
            (Some(v), None) => clean(v),
            _ => None,
        };
        sink(app(
            Selector::Package {
                ecosystem: "rpm",
                name: name.clone(),
            },
            Some(name),
            version,
            rel,
        ));
    }
    if bad > 0 {
        return Err(err(
            rel.to_path_buf(),
            format!("rpmdb.sqlite: {bad} of {total} package headers unreadable"),
        ));
    }
    Ok(())
}

/// Opens `path` read-only with `immutable=1`: SQLite takes no lock and writes nothing.
fn open_immutable(path: &Path) -> rusqlite::Result<Connection> {
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(uri, flags)
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Header<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub release: Option<&'a str>,
}

/// The name, version and release of one header blob; `None` when it is malformed or has
/// no `NAME`.
pub(super) fn read_header(blob: &[u8]) -> Option<Header<'_>> {
    let be = |at: usize| -> Option<u32> {
        let b = blob.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (n_index, data_len) = (be(0)?, be(4)?);
    if n_index == 0 || n_index > MAX_TAGS || data_len > MAX_DATA {
        return None;
    }
    let index_end = 8 + 16 * n_index as usize;
    let data = blob.get(index_end..index_end.checked_add(data_len as usize)?)?;
    let (mut name, mut version, mut release) = (None, None, None);
    for i in 0..n_index as usize {
        let at = 8 + 16 * i;
        let (tag, ty, offset) = (be(at)?, be(at + 4)?, be(at + 8)?);
        let slot = match tag {
            TAG_NAME => &mut name,
            TAG_VERSION => &mut version,
            TAG_RELEASE => &mut release,
            _ => continue,
        };
        if ty != TYPE_STRING {
            return None;
        }
        let s = data.get(offset as usize..)?;
        let end = memchr::memchr(0, s)?;
        *slot = Some(std::str::from_utf8(&s[..end]).ok()?);
    }
    Some(Header {
        name: name?,
        version,
        release,
    })
}
