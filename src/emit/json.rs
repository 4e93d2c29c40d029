//! One JSON document: `{schema_version, signature_set, findings: [...], summary: {...}}`.

use super::SCHEMA_VERSION;
use crate::aggregate::Finding;
use crate::summary::{SignatureSetRef, Summary};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    signature_set: &'a SignatureSetRef,
    findings: &'a [Finding],
    summary: &'a Summary,
}

pub fn write(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        signature_set: &summary.signature_set,
        findings,
        summary,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}
