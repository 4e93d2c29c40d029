//! `shadow-ai history`: the recorded scans, newest first, and what changed in each.

use super::record::{Kind, gone_findings, gone_ids, previous};
use super::{GoneFinding, GoneSubject, StateError, Store, ser_ts};
use crate::aggregate::ser_time;
use crate::time::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;
use std::fmt::Write as _;

/// Lines of changes shown per scan in the text listing (`--json` lists all).
const MAX_CHANGES_SHOWN: usize = 10;
/// Inputs named per scan in the text listing.
const MAX_INPUTS_SHOWN: usize = 3;

#[derive(Clone, Debug, Serialize)]
pub struct SignatureSetRef {
    pub version: String,
    pub sha256: String,
}

/// A finding that appeared in, or left, a generation.
#[derive(Clone, Debug, Serialize)]
pub struct ChangedFinding {
    pub id: String,
    pub service: String,
    pub subject: GoneSubject,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntryHistory {
    pub entries: u64,
    pub new: Vec<String>,
    pub gone: Vec<String>,
}

/// One generation, as `history` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryEntry {
    pub scan: u64,
    /// When the generation first ran.
    #[serde(serialize_with = "ser_ts")]
    pub started: Timestamp,
    #[serde(serialize_with = "ser_ts")]
    pub finished: Timestamp,
    /// Its latest run (the same as the first unless it was rescanned).
    #[serde(serialize_with = "ser_ts")]
    pub last_started: Timestamp,
    #[serde(serialize_with = "ser_ts")]
    pub last_finished: Timestamp,
    pub runs: u64,
    pub tool_version: String,
    pub signature_set: SignatureSetRef,
    pub rules_sha256: String,
    /// Null for a scan of standard input.
    pub input_fingerprint: Option<String>,
    pub inputs: Vec<String>,
    pub inputs_with_errors: u64,
    pub records: u64,
    pub findings: u64,
    pub previous_scan: Option<u64>,
    pub new: Vec<ChangedFinding>,
    pub recurring: u64,
    pub gone: Vec<ChangedFinding>,
    pub register: EntryHistory,
    pub intake: EntryHistory,
}

impl Store {
    /// The latest `limit` generations, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>, StateError> {
        history(&self.conn, limit).map_err(|e| self.err(e))
    }
}

fn history(c: &Connection, limit: usize) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut st = c.prepare(
        "SELECT id, started, finished, last_started, last_finished, runs, tool_version,
                signatures_version, signatures_sha256, rules_sha256, input_fingerprint, inputs,
                inputs_with_errors, records
         FROM scans ORDER BY id DESC LIMIT ?1",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<HistoryEntry> = st
        .query_map([limit], |r| {
            let inputs: String = r.get(11)?;
            Ok(HistoryEntry {
                scan: r.get::<_, i64>(0)? as u64,
                started: Timestamp(r.get(1)?),
                finished: Timestamp(r.get(2)?),
                last_started: Timestamp(r.get(3)?),
                last_finished: Timestamp(r.get(4)?),
                runs: r.get::<_, i64>(5)? as u64,
                tool_version: r.get(6)?,
                signature_set: SignatureSetRef {
                    version: r.get(7)?,
                    sha256: r.get(8)?,
                },
                rules_sha256: r.get(9)?,
                input_fingerprint: r.get(10)?,
                inputs: serde_json::from_str(&inputs).unwrap_or_default(),
                inputs_with_errors: r.get::<_, i64>(12)? as u64,
                records: r.get::<_, i64>(13)? as u64,
                findings: 0,
                previous_scan: None,
                new: Vec::new(),
                recurring: 0,
                gone: Vec::new(),
                register: EntryHistory {
                    entries: 0,
                    new: Vec::new(),
                    gone: Vec::new(),
                },
                intake: EntryHistory {
                    entries: 0,
                    new: Vec::new(),
                    gone: Vec::new(),
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut counts = c.prepare(
        "SELECT count(*), coalesce(sum(state = 'recurring'), 0) FROM sightings
         WHERE scan_id = ?1 AND kind = ?2",
    )?;
    let mut new_ids = c.prepare(
        "SELECT entity_id FROM sightings WHERE scan_id = ?1 AND kind = ?2 AND state = 'new'
         ORDER BY entity_id",
    )?;
    let mut new_findings = c.prepare(
        "SELECT s.entity_id, f.service_id, f.subject_kind, f.subject, s.first_seen, s.last_seen
         FROM sightings s JOIN findings f ON f.id = s.entity_id
         WHERE s.scan_id = ?1 AND s.kind = 'finding' AND s.state = 'new'
         ORDER BY f.service_id, f.subject_kind, f.subject, s.entity_id",
    )?;
    let mut first_seen_in =
        c.prepare("SELECT first_seen FROM sightings WHERE scan_id = ?1 AND kind = 'finding' AND entity_id = ?2")?;
    let mut out = Vec::with_capacity(rows.len());
    for mut h in rows {
        let g = h.scan as i64;
        let prev = previous(c, g)?;
        h.previous_scan = prev.map(|p| p as u64);
        let (total, recurring): (i64, i64) = counts
            .query_row(params![g, Kind::Finding.tag()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        h.findings = total as u64;
        h.recurring = recurring as u64;
        h.new = new_findings
            .query_map([g], |r| {
                Ok(ChangedFinding {
                    id: r.get(0)?,
                    service: r.get(1)?,
                    subject: GoneSubject {
                        kind: r.get(2)?,
                        value: r.get(3)?,
                    },
                    first_seen: r.get::<_, Option<i64>>(4)?.map(Timestamp),
                    last_seen: r.get::<_, Option<i64>>(5)?.map(Timestamp),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        if let Some(p) = prev {
            for GoneFinding {
                id,
                service,
                subject,
                last_seen,
            } in gone_findings(c, p, g)?
            {
                let first_seen: Option<i64> =
                    first_seen_in.query_row(params![p, id], |r| r.get(0))?;
                h.gone.push(ChangedFinding {
                    id,
                    service,
                    subject,
                    first_seen: first_seen.map(Timestamp),
                    last_seen,
                });
            }
        }
        for (kind, e) in [
            (Kind::Register, &mut h.register),
            (Kind::Intake, &mut h.intake),
        ] {
            let (total, _): (i64, i64) =
                counts.query_row(params![g, kind.tag()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            e.entries = total as u64;
            e.new = new_ids
                .query_map(params![g, kind.tag()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if let Some(p) = prev {
                e.gone = gone_ids(c, kind, p, g)?;
            }
        }
        out.push(h);
    }
    Ok(out)
}

/// Terminal-safe: control characters from logs (subjects, paths) are shown escaped.
fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The listing for people: one block per generation, newest first.
pub fn render_text(entries: &[HistoryEntry]) -> String {
    let mut out = String::new();
    for (i, h) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "scan {}  {}", h.scan, h.started);
        if h.runs > 1 {
            let _ = write!(out, "  ({} runs, last {})", h.runs, h.last_started);
        }
        if h.input_fingerprint.is_none() {
            // Only standard input and live captures (`live:IFACE`) have no fingerprint.
            let live = h.inputs.iter().any(|p| p.starts_with("live:"));
            out.push_str(if live {
                "  (live capture)"
            } else {
                "  (standard input)"
            });
        }
        out.push('\n');
        let shown: Vec<String> = h
            .inputs
            .iter()
            .take(MAX_INPUTS_SHOWN)
            .map(|p| clean(p))
            .collect();
        let _ = write!(out, "  inputs: {}", shown.join(", "));
        if h.inputs.len() > MAX_INPUTS_SHOWN {
            let _ = write!(out, " and {} more", h.inputs.len() - MAX_INPUTS_SHOWN);
        }
        if h.inputs_with_errors > 0 {
            let _ = write!(out, " ({} could not be read)", h.inputs_with_errors);
        }
        let _ = writeln!(out, "; {} records", h.records);
        let _ = write!(
            out,
            "  {} findings: {} new, {} recurring, {} gone",
            h.findings,
            h.new.len(),
            h.recurring,
            h.gone.len()
        );
        match h.previous_scan {
            Some(p) => {
                let _ = write!(out, " (since scan {p})");
            }
            None => out.push_str(" (first scan)"),
        }
        let _ = writeln!(
            out,
            "; register {} ({} new, {} gone); intake {} ({} new, {} gone)",
            h.register.entries,
            h.register.new.len(),
            h.register.gone.len(),
            h.intake.entries,
            h.intake.new.len(),
            h.intake.gone.len()
        );
        for (mark, list) in [("+", &h.new), ("-", &h.gone)] {
            for f in list.iter().take(MAX_CHANGES_SHOWN) {
                let _ = writeln!(
                    out,
                    "  {mark} {}  {}:{}",
                    clean(&f.service),
                    f.subject.kind,
                    clean(&f.subject.value)
                );
            }
            if list.len() > MAX_CHANGES_SHOWN {
                let _ = writeln!(
                    out,
                    "  {mark} … and {} more (history --json lists all)",
                    list.len() - MAX_CHANGES_SHOWN
                );
            }
        }
    }
    out
}
