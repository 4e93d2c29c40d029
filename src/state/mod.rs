//! The state store: a SQLite database that remembers scans, so that a scheduled scan can
//! say which findings are new, which recur and which are gone.
//!
//! # Where, and when it is written
//!
//! Every `scan` records itself unless `--no-state` is given: in `--state FILE` when named,
//! else in `$XDG_DATA_HOME/shadow-ai/state.sqlite` (an absolute `XDG_DATA_HOME` only, as
//! the XDG spec says), else in `~/.local/share/shadow-ai/state.sqlite`. A system service
//! (root, systemd `StateDirectory=shadow-ai`) passes `--state
//! /var/lib/shadow-ai/state.sqlite`. With neither variable set and no `--state`, the scan
//! records nothing (and says so unless `--quiet`). The database is opened (and its schema checked) before the
//! scan reads anything, so a bad `--state` stops the scan before it starts; a failure to
//! record after the scan still writes the outputs (without `lifecycle`) and exits 2.
//!
//! The file is created with mode 0600 (SQLite gives its journal the same mode), and a
//! folder it has to create with 0700: findings name people. An existing file keeps its
//! mode.
//!
//! # Generations
//!
//! A *generation* is one row of `scans`. Its key is (input fingerprint, tool version,
//! signature set SHA-256, rules SHA-256). The input fingerprint is the SHA-256 over
//!
//! * the options that change what is read: `--format`, `--year`, `--max-line`,
//!   `--max-decompressed`, and
//! * the inputs after folders are expanded, sorted, each as (canonical path, size,
//!   modification time in nanoseconds), plus the paths that could not be listed.
//!
//! The file contents are not hashed: a file rewritten to the same size within the same
//! mtime tick looks unchanged. A scan that reads standard input (`-`) has no fingerprint
//! and always starts a new generation: stdin scans are never idempotent.
//!
//! A scan whose key equals that of an existing generation, any earlier one and not only
//! the latest, is a *rescan*: it adds no row to `scans`. It updates that generation's row
//! (`runs` + 1, `last_started`, `last_finished`, the counts) and its membership, and it
//! reports what that generation reports.
//!
//! # Lifecycle
//!
//! Findings, register entries and intake entries are *entities*, each keyed by its stable
//! id (`saf-…`, `SAI-R-…`, `SAI-I-…`). For an entity present in generation G:
//!
//! * `state` is decided the first time the entity is recorded in G: `new` when no
//!   generation older than G (smaller id) holds it, else `recurring`. It is stored and
//!   never rewritten, so rescanning G gives the same state whatever ran in between: a
//!   finding new in G stays `new` when G's inputs are scanned again, and is `recurring` in
//!   every later generation (a scan of other inputs) that holds it.
//! * `scans_seen` counts the generations with id ≤ G that hold it (G included).
//! * `first_seen_scan` is the oldest such generation and `first_seen_scan_at` the time
//!   that generation first ran.
//! * `first_seen_across_scans` is the earliest log time of the entity over the
//!   generations ≤ G (null when no input carried a time).
//!
//! An entity held by G's predecessor (the generation with the largest id below G) and not
//! by G is *gone* in G. Gone findings are listed in the summary (`summary.lifecycle.gone`),
//! never as findings; gone register and intake entries are listed by id.
//!
//! Every value above depends only on generations ≤ G, so a rescan of an old generation
//! says what its first run said. The one exception: a generation's membership is what
//! its latest run produced. Findings depend only on the key, so a rescan finds the same
//! ones; register and intake entries also depend on the day (an approval that expired
//! makes a service need attention again), so a rescan can add an entry (its state is
//! decided as above) or drop one (it leaves G).
//!
//! A scan in which an input could not be read is recorded like any other (`history`
//! counts its unreadable inputs, and they are part of its fingerprint): findings only that
//! input held show as gone, and as recurring once it is read again.
//!
//! # Tables
//!
//! `meta` (`schema_version`, `application`); `scans` (one row per generation);
//! `sightings` (generation × entity: the stored state, the entity's first and last log
//! time and events in that generation); `findings`, `register_entries`, `intake_entries`
//! (one row per entity: what it is, and `first_seen_scan`, `last_seen_scan`,
//! `first_seen`, `last_seen`, `scans_seen`, `events_total` over all generations,
//! recomputed from `sightings` on every write; `events_total` adds up each generation's
//! count, so inputs that two generations share count twice). Times are microseconds since
//! the Unix epoch, UTC.
//!
//! Each scan is written in one `BEGIN IMMEDIATE` transaction: a concurrent scan waits
//! (up to 10 s) rather than interleaving. A database whose `schema_version` is newer than
//! this build knows is refused with an error naming both versions; a SQLite file that is
//! not a shadow-ai state database is refused too.

mod history;
mod record;

pub use history::{ChangedFinding, EntryHistory, HistoryEntry, render_text as render_history};
pub use record::{Recorded, ScanRecord, Seen};

use crate::aggregate::ser_time;
use crate::source::{Input, InputError, InputPath};
use crate::time::Timestamp;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Version of the database layout this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;
const APPLICATION: &str = "shadow-ai";
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA_V1: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    started INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    last_started INTEGER NOT NULL,
    last_finished INTEGER NOT NULL,
    runs INTEGER NOT NULL,
    tool_version TEXT NOT NULL,
    signatures_version TEXT NOT NULL,
    signatures_sha256 TEXT NOT NULL,
    rules_sha256 TEXT NOT NULL,
    input_fingerprint TEXT,
    inputs TEXT NOT NULL,
    inputs_with_errors INTEGER NOT NULL,
    records INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    new INTEGER NOT NULL,
    recurring INTEGER NOT NULL,
    gone INTEGER NOT NULL,
    register_entries INTEGER NOT NULL,
    intake_entries INTEGER NOT NULL
);
CREATE UNIQUE INDEX scans_generation
    ON scans (input_fingerprint, tool_version, signatures_sha256, rules_sha256)
    WHERE input_fingerprint IS NOT NULL;
CREATE TABLE sightings (
    scan_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('finding', 'register', 'intake')),
    entity_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('new', 'recurring')),
    first_seen INTEGER,
    last_seen INTEGER,
    events INTEGER NOT NULL,
    PRIMARY KEY (scan_id, kind, entity_id)
) WITHOUT ROWID;
CREATE INDEX sightings_entity ON sightings (kind, entity_id, scan_id);
CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    first_seen_scan INTEGER NOT NULL,
    last_seen_scan INTEGER NOT NULL,
    first_seen INTEGER,
    last_seen INTEGER,
    scans_seen INTEGER NOT NULL,
    events_total INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE register_entries (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    department TEXT,
    first_seen_scan INTEGER NOT NULL,
    last_seen_scan INTEGER NOT NULL,
    first_seen INTEGER,
    last_seen INTEGER,
    scans_seen INTEGER NOT NULL,
    events_total INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE intake_entries (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    first_seen_scan INTEGER NOT NULL,
    last_seen_scan INTEGER NOT NULL,
    first_seen INTEGER,
    last_seen INTEGER,
    scans_seen INTEGER NOT NULL,
    events_total INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Whether an entity is seen for the first time in its generation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleState {
    New,
    Recurring,
}

impl LifecycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::New => "new",
            LifecycleState::Recurring => "recurring",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "new" {
            LifecycleState::New
        } else {
            LifecycleState::Recurring
        }
    }
}

/// Where an entity (finding, register or intake entry) stands across the recorded scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    pub state: LifecycleState,
    /// Id of the oldest generation (row of `shadow-ai history`) that holds the entity.
    pub first_seen_scan: u64,
    #[serde(serialize_with = "ser_ts")]
    pub first_seen_scan_at: Timestamp,
    /// Generations up to and including this one that hold the entity.
    pub scans_seen: u64,
    /// Earliest log time of the entity over those generations.
    #[serde(serialize_with = "ser_time")]
    pub first_seen_across_scans: Option<Timestamp>,
}

/// A finding of the previous generation that this one no longer holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoneFinding {
    pub id: String,
    /// Service id.
    pub service: String,
    pub subject: GoneSubject,
    /// Its last log time in the generation that last held it.
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoneSubject {
    pub kind: String,
    pub value: String,
}

/// New, recurring and gone register or intake entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntryChanges {
    pub new: u64,
    pub recurring: u64,
    pub gone: Vec<String>,
}

/// What the state store says of a scan as a whole (`summary.lifecycle`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LifecycleSummary {
    /// The generation this scan recorded into.
    pub scan: u64,
    /// How many times that generation has been scanned (1: this is its first run).
    pub runs: u64,
    /// The generation "gone" is measured against; null for the first one.
    pub previous_scan: Option<u64>,
    pub new: u64,
    pub recurring: u64,
    pub gone: Vec<GoneFinding>,
    pub register: EntryChanges,
    pub intake: EntryChanges,
}

fn ser_ts<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// Why the state database could not be used.
#[derive(Debug)]
pub enum StateError {
    /// The database was written by a newer shadow-ai.
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// A SQLite database, but not one of ours.
    NotOurs(PathBuf),
    Io(PathBuf, std::io::Error),
    Sqlite(PathBuf, rusqlite::Error),
    Invalid(PathBuf, String),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::NewerSchema {
                path,
                found,
                supported,
            } => write!(
                f,
                "{}: state database schema version {found} is newer than this shadow-ai ({}) supports ({supported}); use a newer shadow-ai, or another --state file",
                path.display(),
                env!("CARGO_PKG_VERSION")
            ),
            StateError::NotOurs(p) => write!(
                f,
                "{}: a SQLite database, but not a shadow-ai state database; name another --state file",
                p.display()
            ),
            StateError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            StateError::Sqlite(p, e) => write!(f, "{}: {e}", p.display()),
            StateError::Invalid(p, m) => write!(f, "{}: {m}", p.display()),
        }
    }
}

impl std::error::Error for StateError {}

/// The default database: `$XDG_DATA_HOME/shadow-ai/state.sqlite`, else
/// `$HOME/.local/share/shadow-ai/state.sqlite`; `None` when neither is set.
pub fn default_path() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = env("XDG_DATA_HOME").or_else(|| env("HOME").map(|h| h.join(".local/share")))?;
    Some(base.join("shadow-ai").join("state.sqlite"))
}

/// The input fingerprint of a scan (see the module doc); `None` when it reads standard
/// input. `options` names the scan options that change what is read.
pub fn fingerprint(inputs: &[Input], errors: &[InputError], options: &str) -> Option<String> {
    let mut lines = Vec::with_capacity(inputs.len() + errors.len());
    for i in inputs {
        let InputPath::File(p) = &i.path else {
            return None;
        };
        let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        let (size, mtime) = match std::fs::metadata(p) {
            Ok(m) => (
                m.len(),
                m.modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos()),
            ),
            Err(_) => (0, 0),
        };
        lines.push(format!("file\0{}\0{size}\0{mtime}", canon.display()));
    }
    for e in errors {
        lines.push(format!("error\0{}", e.path));
    }
    lines.sort();
    let mut h = Sha256::new();
    h.update(b"shadow-ai/inputs/v1\0");
    h.update(options.as_bytes());
    h.update([0]);
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    Some(crate::signature::hex_string(&h.finalize()))
}

/// An open state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens `path` for recording, creating it (mode 0600) and its folder (0700) when
    /// missing, and the schema when the file is new.
    pub fn open(path: &Path) -> Result<Store, StateError> {
        let io = |e| StateError::Io(path.to_path_buf(), e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(io)?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        match o.open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        let mut store = Store::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        store.prepare(true)?;
        Ok(store)
    }

    /// Opens the database with `mode` and the busy timeout every command uses.
    fn connect(path: &Path, mode: OpenFlags) -> Result<Store, StateError> {
        let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| StateError::Sqlite(path.to_path_buf(), e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store.err(e))?;
        Ok(store)
    }

    /// Opens `path` to read; `None` when it does not exist or holds no scan yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>, StateError> {
        if !path.exists() {
            return Ok(None);
        }
        let mut store = Store::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        Ok(store.prepare(false)?.then_some(store))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> StateError {
        StateError::Sqlite(self.path.clone(), e)
    }

    /// Checks the schema, creating it in an empty database when `write`. Returns whether
    /// the database holds the schema.
    fn prepare(&mut self, write: bool) -> Result<bool, StateError> {
        let path = self.path.clone();
        let sq = |e| StateError::Sqlite(path.clone(), e);
        let behavior = if write {
            TransactionBehavior::Immediate
        } else {
            TransactionBehavior::Deferred
        };
        let tx = self.conn.transaction_with_behavior(behavior).map_err(sq)?;
        let tables: i64 = tx
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(sq)?;
        let has_meta: bool = tx
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(sq)?
            > 0;
        if !has_meta {
            if tables > 0 {
                return Err(StateError::NotOurs(path.clone()));
            }
            if !write {
                return Ok(false);
            }
            tx.execute_batch(SCHEMA_V1).map_err(sq)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('application', ?2), ('created_by', ?3)",
                rusqlite::params![
                    SCHEMA_VERSION.to_string(),
                    APPLICATION,
                    concat!("shadow-ai ", env!("CARGO_PKG_VERSION"))
                ],
            )
            .map_err(sq)?;
            tx.commit().map_err(sq)?;
            return Ok(true);
        }
        let meta = |k: &str| -> Result<Option<String>, StateError> {
            use rusqlite::OptionalExtension;
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                .optional()
                .map_err(sq)
        };
        if meta("application")?.as_deref() != Some(APPLICATION) {
            return Err(StateError::NotOurs(path.clone()));
        }
        let version = meta("schema_version")?;
        let found: i64 = version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                StateError::Invalid(
                    path.clone(),
                    format!("meta.schema_version is {version:?}, not a number"),
                )
            })?;
        if found > SCHEMA_VERSION {
            return Err(StateError::NewerSchema {
                path: path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < 1 {
            return Err(StateError::Invalid(
                path.clone(),
                format!("meta.schema_version {found} is not a version shadow-ai ever wrote"),
            ));
        }
        // Version 1 is the only one so far: nothing to migrate.
        tx.commit().map_err(sq)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
