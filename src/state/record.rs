//! Recording a scan: find or create its generation, store what it holds, and work out each
//! entity's lifecycle and what is gone. One transaction per scan.

use super::{
    EntryChanges, GoneFinding, GoneSubject, Lifecycle, LifecycleState, LifecycleSummary,
    StateError, Store,
};
use crate::aggregate::Finding;
use crate::governance::intake::IntakeEntry;
use crate::governance::register::RegisterEntry;
use crate::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::HashMap;

/// What a scan was: the generation key and what `history` shows of it.
#[derive(Clone, Debug)]
pub struct ScanRecord {
    pub started: Timestamp,
    pub finished: Timestamp,
    pub tool_version: String,
    pub signatures_version: String,
    pub signatures_sha256: String,
    pub rules_sha256: String,
    /// `None` (standard input): never idempotent.
    pub fingerprint: Option<String>,
    pub inputs: Vec<String>,
    pub inputs_with_errors: u64,
    pub records: u64,
}

/// One entity as a scan saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub id: String,
    pub service_id: String,
    /// Findings: the subject's kind and value.
    pub subject: Option<(String, String)>,
    /// Register entries split by department.
    pub department: Option<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub events: u64,
}

impl Seen {
    fn of_finding(f: &Finding) -> Seen {
        Seen {
            id: f.id.clone(),
            service_id: f.service.id.clone(),
            subject: Some((f.subject.kind.as_str().into(), f.subject.value.clone())),
            department: None,
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            events: f.events,
        }
    }

    fn of_register(e: &RegisterEntry) -> Seen {
        Seen {
            id: e.id.clone(),
            service_id: e.ai_system.service_id.clone(),
            subject: None,
            department: e.department.clone(),
            first_seen: e.first_seen,
            last_seen: e.last_seen,
            events: e.evidence.events,
        }
    }

    fn of_intake(e: &IntakeEntry) -> Seen {
        Seen {
            id: e.id.clone(),
            service_id: e.service.service_id.clone(),
            subject: None,
            department: None,
            first_seen: e.usage.first_seen,
            last_seen: e.usage.last_seen,
            events: e.usage.evidence.events,
        }
    }
}

/// The lifecycle of each entity given to [`Store::record_seen`], in the same order, and the
/// summary.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub summary: LifecycleSummary,
    pub findings: Vec<Lifecycle>,
    pub register: Vec<Lifecycle>,
    pub intake: Vec<Lifecycle>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Finding,
    Register,
    Intake,
}

impl Kind {
    pub(super) fn tag(self) -> &'static str {
        match self {
            Kind::Finding => "finding",
            Kind::Register => "register",
            Kind::Intake => "intake",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Kind::Finding => "findings",
            Kind::Register => "register_entries",
            Kind::Intake => "intake_entries",
        }
    }
}

fn ts(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.0)
}

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

struct KindResult {
    lifecycles: Vec<Lifecycle>,
    new: u64,
    recurring: u64,
    gone: Vec<String>,
}

impl Store {
    /// Records a scan and sets the `lifecycle` of every finding, register entry and intake
    /// entry. Returns the summary's `lifecycle`.
    pub fn record(
        &mut self,
        scan: &ScanRecord,
        findings: &mut [Finding],
        register: &mut [RegisterEntry],
        intake: &mut [IntakeEntry],
    ) -> Result<LifecycleSummary, StateError> {
        let f: Vec<Seen> = findings.iter().map(Seen::of_finding).collect();
        let r: Vec<Seen> = register.iter().map(Seen::of_register).collect();
        let i: Vec<Seen> = intake.iter().map(Seen::of_intake).collect();
        let rec = self.record_seen(scan, &f, &r, &i)?;
        for (x, l) in findings.iter_mut().zip(rec.findings) {
            x.lifecycle = Some(l);
        }
        for (x, l) in register.iter_mut().zip(rec.register) {
            x.lifecycle = Some(l);
        }
        for (x, l) in intake.iter_mut().zip(rec.intake) {
            x.lifecycle = Some(l);
        }
        Ok(rec.summary)
    }

    /// Records a scan that saw these entities (see the module doc for the rules).
    pub fn record_seen(
        &mut self,
        scan: &ScanRecord,
        findings: &[Seen],
        register: &[Seen],
        intake: &[Seen],
    ) -> Result<Recorded, StateError> {
        let path = self.path.clone();
        let sq = |e| StateError::Sqlite(path.clone(), e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sq)?;
        let existing: Option<(i64, i64)> = match &scan.fingerprint {
            Some(fp) => tx
                .query_row(
                    "SELECT id, runs FROM scans WHERE input_fingerprint = ?1 AND tool_version = ?2
                     AND signatures_sha256 = ?3 AND rules_sha256 = ?4",
                    params![
                        fp,
                        scan.tool_version,
                        scan.signatures_sha256,
                        scan.rules_sha256
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sq)?,
            None => None,
        };
        let inputs = serde_json::to_string(&scan.inputs).unwrap_or_else(|_| "[]".into());
        let (g, runs) = match existing {
            Some((id, runs)) => {
                tx.execute(
                    "UPDATE scans SET last_started = ?2, last_finished = ?3, runs = runs + 1,
                     signatures_version = ?4, inputs = ?5, inputs_with_errors = ?6, records = ?7
                     WHERE id = ?1",
                    params![
                        id,
                        scan.started.0,
                        scan.finished.0,
                        scan.signatures_version,
                        inputs,
                        n(scan.inputs_with_errors),
                        n(scan.records)
                    ],
                )
                .map_err(sq)?;
                (id, runs + 1)
            }
            None => {
                tx.execute(
                    "INSERT INTO scans (started, finished, last_started, last_finished, runs,
                     tool_version, signatures_version, signatures_sha256, rules_sha256,
                     input_fingerprint, inputs, inputs_with_errors, records,
                     findings, new, recurring, gone, register_entries, intake_entries)
                     VALUES (?1, ?2, ?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, 0, 0, 0, 0, 0)",
                    params![
                        scan.started.0,
                        scan.finished.0,
                        scan.tool_version,
                        scan.signatures_version,
                        scan.signatures_sha256,
                        scan.rules_sha256,
                        scan.fingerprint,
                        inputs,
                        n(scan.inputs_with_errors),
                        n(scan.records)
                    ],
                )
                .map_err(sq)?;
                (tx.last_insert_rowid(), 1)
            }
        };
        let prev = previous(&tx, g).map_err(sq)?;
        let fr = record_kind(&tx, Kind::Finding, g, prev, findings).map_err(sq)?;
        let rr = record_kind(&tx, Kind::Register, g, prev, register).map_err(sq)?;
        let ir = record_kind(&tx, Kind::Intake, g, prev, intake).map_err(sq)?;
        let gone = match prev {
            Some(p) => gone_findings(&tx, p, g).map_err(sq)?,
            None => Vec::new(),
        };
        tx.execute(
            "UPDATE scans SET findings = ?2, new = ?3, recurring = ?4, gone = ?5,
             register_entries = ?6, intake_entries = ?7 WHERE id = ?1",
            params![
                g,
                n(fr.new + fr.recurring),
                n(fr.new),
                n(fr.recurring),
                n(gone.len() as u64),
                n(rr.new + rr.recurring),
                n(ir.new + ir.recurring)
            ],
        )
        .map_err(sq)?;
        tx.commit().map_err(sq)?;
        Ok(Recorded {
            summary: LifecycleSummary {
                scan: g as u64,
                runs: runs as u64,
                previous_scan: prev.map(|p| p as u64),
                new: fr.new,
                recurring: fr.recurring,
                gone,
                register: EntryChanges {
                    new: rr.new,
                    recurring: rr.recurring,
                    gone: rr.gone,
                },
                intake: EntryChanges {
                    new: ir.new,
                    recurring: ir.recurring,
                    gone: ir.gone,
                },
            },
            findings: fr.lifecycles,
            register: rr.lifecycles,
            intake: ir.lifecycles,
        })
    }
}

/// The generation "gone" is measured against: the largest id below `g`.
pub(super) fn previous(c: &Connection, g: i64) -> rusqlite::Result<Option<i64>> {
    c.query_row("SELECT max(id) FROM scans WHERE id < ?1", [g], |r| r.get(0))
}

/// Ids of `kind` held by generation `prev` and not by `g`, sorted.
pub(super) fn gone_ids(
    c: &Connection,
    kind: Kind,
    prev: i64,
    g: i64,
) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare(
        "SELECT s.entity_id FROM sightings s WHERE s.scan_id = ?1 AND s.kind = ?3
         AND NOT EXISTS (SELECT 1 FROM sightings c
                         WHERE c.scan_id = ?2 AND c.kind = ?3 AND c.entity_id = s.entity_id)
         ORDER BY s.entity_id",
    )?;
    st.query_map(params![prev, g, kind.tag()], |r| r.get(0))?
        .collect()
}

/// Findings held by `prev` and not by `g`, by service then subject.
pub(super) fn gone_findings(
    c: &Connection,
    prev: i64,
    g: i64,
) -> rusqlite::Result<Vec<GoneFinding>> {
    let mut st = c.prepare(
        "SELECT s.entity_id, f.service_id, f.subject_kind, f.subject, s.last_seen
         FROM sightings s JOIN findings f ON f.id = s.entity_id
         WHERE s.scan_id = ?1 AND s.kind = 'finding'
         AND NOT EXISTS (SELECT 1 FROM sightings c
                         WHERE c.scan_id = ?2 AND c.kind = 'finding' AND c.entity_id = s.entity_id)
         ORDER BY f.service_id, f.subject_kind, f.subject, s.entity_id",
    )?;
    st.query_map(params![prev, g], |r| {
        Ok(GoneFinding {
            id: r.get(0)?,
            service: r.get(1)?,
            subject: GoneSubject {
                kind: r.get(2)?,
                value: r.get(3)?,
            },
            last_seen: r.get::<_, Option<i64>>(4)?.map(Timestamp),
        })
    })?
    .collect()
}

fn record_kind(
    c: &Connection,
    kind: Kind,
    g: i64,
    prev: Option<i64>,
    seen: &[Seen],
) -> rusqlite::Result<KindResult> {
    let tag = kind.tag();
    // What this generation already holds (a rescan): those states stay.
    let held: HashMap<String, LifecycleState> = {
        let mut st =
            c.prepare("SELECT entity_id, state FROM sightings WHERE scan_id = ?1 AND kind = ?2")?;
        st.query_map(params![g, tag], |r| {
            Ok((r.get(0)?, LifecycleState::parse(&r.get::<_, String>(1)?)))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut prior = c.prepare(
        "SELECT EXISTS (SELECT 1 FROM sightings WHERE kind = ?1 AND entity_id = ?2 AND scan_id < ?3)",
    )?;
    let mut put = c.prepare(
        "INSERT INTO sightings (scan_id, kind, entity_id, state, first_seen, last_seen, events)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (scan_id, kind, entity_id) DO UPDATE SET
             first_seen = excluded.first_seen, last_seen = excluded.last_seen, events = excluded.events",
    )?;
    let mut entity = c.prepare(match kind {
        Kind::Finding => {
            "INSERT INTO findings (id, service_id, subject_kind, subject,
                 first_seen_scan, last_seen_scan, scans_seen, events_total)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0)
             ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id,
                 subject_kind = excluded.subject_kind, subject = excluded.subject"
        }
        Kind::Register => {
            "INSERT INTO register_entries (id, service_id, department,
                 first_seen_scan, last_seen_scan, scans_seen, events_total)
             VALUES (?1, ?2, ?3, 0, 0, 0, 0)
             ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id,
                 department = excluded.department"
        }
        Kind::Intake => {
            "INSERT INTO intake_entries (id, service_id,
                 first_seen_scan, last_seen_scan, scans_seen, events_total)
             VALUES (?1, ?2, 0, 0, 0, 0)
             ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id"
        }
    })?;
    let table = kind.table();
    let mut refresh = c.prepare(&format!(
        "UPDATE {table} SET first_seen_scan = a.f, last_seen_scan = a.l, first_seen = a.fs,
             last_seen = a.ls, scans_seen = a.n, events_total = a.e
         FROM (SELECT min(scan_id) AS f, max(scan_id) AS l, min(first_seen) AS fs,
                      max(last_seen) AS ls, count(*) AS n, coalesce(sum(events), 0) AS e
               FROM sightings WHERE kind = ?1 AND entity_id = ?2) AS a
         WHERE {table}.id = ?2 AND a.n > 0"
    ))?;
    let mut states: HashMap<&str, LifecycleState> = HashMap::with_capacity(seen.len());
    for s in seen {
        if states.contains_key(s.id.as_str()) {
            continue;
        }
        let state = match held.get(&s.id) {
            Some(&st) => st,
            None => {
                if prior.query_row(params![tag, s.id, g], |r| r.get::<_, bool>(0))? {
                    LifecycleState::Recurring
                } else {
                    LifecycleState::New
                }
            }
        };
        states.insert(&s.id, state);
        put.execute(params![
            g,
            tag,
            s.id,
            state.as_str(),
            ts(s.first_seen),
            ts(s.last_seen),
            n(s.events)
        ])?;
        match kind {
            Kind::Finding => {
                let (k, v) = s.subject.clone().unwrap_or_default();
                entity.execute(params![s.id, s.service_id, k, v])?
            }
            Kind::Register => entity.execute(params![s.id, s.service_id, s.department])?,
            Kind::Intake => entity.execute(params![s.id, s.service_id])?,
        };
        refresh.execute(params![tag, s.id])?;
    }
    // Entities the generation held and this run did not produce leave it.
    let mut drop_sighting =
        c.prepare("DELETE FROM sightings WHERE scan_id = ?1 AND kind = ?2 AND entity_id = ?3")?;
    let mut drop_entity = c.prepare(&format!(
        "DELETE FROM {table} WHERE id = ?2
         AND NOT EXISTS (SELECT 1 FROM sightings WHERE kind = ?1 AND entity_id = ?2)"
    ))?;
    for id in held.keys().filter(|id| !states.contains_key(id.as_str())) {
        drop_sighting.execute(params![g, tag, id])?;
        drop_entity.execute(params![tag, id])?;
        refresh.execute(params![tag, id])?;
    }
    let mut life = c.prepare(
        "SELECT count(*), min(scan_id), min(first_seen) FROM sightings
         WHERE kind = ?1 AND entity_id = ?2 AND scan_id <= ?3",
    )?;
    let mut started_of = c.prepare("SELECT started FROM scans WHERE id = ?1")?;
    let mut started: HashMap<i64, i64> = HashMap::new();
    let mut lifecycles = Vec::with_capacity(seen.len());
    let mut computed: HashMap<&str, Lifecycle> = HashMap::with_capacity(seen.len());
    for s in seen {
        if let Some(l) = computed.get(s.id.as_str()) {
            lifecycles.push(l.clone());
            continue;
        }
        let (count, first_scan, first_seen): (i64, i64, Option<i64>) = life
            .query_row(params![tag, s.id, g], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        let at = match started.get(&first_scan) {
            Some(&t) => t,
            None => {
                let t: i64 = started_of.query_row([first_scan], |r| r.get(0))?;
                started.insert(first_scan, t);
                t
            }
        };
        let l = Lifecycle {
            state: states[s.id.as_str()],
            first_seen_scan: first_scan as u64,
            first_seen_scan_at: Timestamp(at),
            scans_seen: count as u64,
            first_seen_across_scans: first_seen.map(Timestamp),
        };
        computed.insert(&s.id, l.clone());
        lifecycles.push(l);
    }
    let new = states
        .values()
        .filter(|s| **s == LifecycleState::New)
        .count() as u64;
    let gone = match prev {
        Some(p) => gone_ids(c, kind, p, g)?,
        None => Vec::new(),
    };
    Ok(KindResult {
        lifecycles,
        new,
        recurring: states.len() as u64 - new,
        gone,
    })
}
