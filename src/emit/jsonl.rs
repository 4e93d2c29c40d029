//! Native JSON Lines: one `finding` record per line, then one `summary` record. Every
//! record names the schema version and the signature set it was made with.

use super::SCHEMA_VERSION;
use crate::aggregate::Finding;
use crate::summary::{SignatureSetRef, Summary};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct FindingRecord<'a> {
    record_type: &'static str,
    schema_version: u32,
    #[serde(flatten)]
    finding: &'a Finding,
    signature_set: &'a SignatureSetRef,
}

#[derive(Serialize)]
struct SummaryRecord<'a> {
    record_type: &'static str,
    schema_version: u32,
    #[serde(flatten)]
    summary: &'a Summary,
}

pub fn write(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    for f in findings {
        let rec = FindingRecord {
            record_type: "finding",
            schema_version: SCHEMA_VERSION,
            finding: f,
            signature_set: &summary.signature_set,
        };
        serde_json::to_writer(&mut *w, &rec)?;
        w.write_all(b"\n")?;
    }
    serde_json::to_writer(
        &mut *w,
        &SummaryRecord {
            record_type: "summary",
            schema_version: SCHEMA_VERSION,
            summary,
        },
    )?;
    w.write_all(b"\n")?;
    w.flush()
}
