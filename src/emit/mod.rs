//! Output formats, one file each, and atomic writing of output files.

pub mod json;
pub mod jsonl;
pub mod summary_text;
pub mod table;

use crate::aggregate::Finding;
use crate::summary::Summary;
use std::io::{self, Write};
use std::path::Path;

/// Version of the native finding and summary records (see `schema/`).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line: findings, then the run summary.
    Jsonl,
    /// One JSON document with the findings and the run summary.
    Json,
    /// A plain-text table for people.
    Table,
}

pub fn write(
    format: OutputFormat,
    w: &mut dyn Write,
    findings: &[Finding],
    summary: &Summary,
) -> io::Result<()> {
    match format {
        OutputFormat::Jsonl => jsonl::write(w, findings, summary),
        OutputFormat::Json => json::write(w, findings, summary),
        OutputFormat::Table => table::write(w, findings, summary),
    }
}

/// Writes `path` atomically: a temporary file in the same folder, flushed and synced, then
/// renamed over the target, so a reader never sees half a file.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("output path names no file"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
