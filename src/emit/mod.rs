//! Output formats, one file each, and atomic writing of output files.

mod csv;
pub mod cyclonedx;
pub mod ecs;
pub mod html;
pub mod intake;
pub mod json;
pub mod jsonl;
pub mod ocsf;
pub mod register;
pub mod summary_text;
mod svg;
pub mod table;

use crate::aggregate::Finding;
use crate::governance::intake::IntakeEntry;
use crate::governance::register::RegisterEntry;
use crate::summary::Summary;
use std::io::{self, Write};
use std::path::Path;

/// Version of the native finding and summary records (see `packaging/schema/`).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a scan produced, for the emitters to choose from.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    pub register: &'a [RegisterEntry],
    pub intake: &'a [IntakeEntry],
    /// Recorded scans, oldest first (empty without a state database).
    pub trend: &'a [html::TrendPoint],
    /// What endpoint walks and inventories found, per endpoint (empty without endpoints).
    pub inventory: &'a [cyclonedx::EndpointInventory],
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line: findings, then the run summary.
    Jsonl,
    /// One JSON document with the findings and the run summary.
    Json,
    /// A plain-text table for people.
    Table,
    /// Candidate AI risk-register entries (JSON array).
    RegisterJson,
    /// Candidate AI risk-register entries (CSV).
    RegisterCsv,
    /// Candidate risk-register entries as a CSV CISO Assistant imports as risk scenarios.
    RegisterCiso,
    /// AI use-case intake entries (JSON array).
    IntakeJson,
    /// AI use-case intake entries (Markdown; one file per service with --out-dir).
    IntakeMd,
    /// OCSF Detection Finding (class 2004), one per line; no summary record.
    Ocsf,
    /// Elastic Common Schema alerts (`event.kind: alert`), one per line; no summary record.
    Ecs,
    /// One self-contained HTML report for governance leads (inline CSS and SVG, no script,
    /// loads nothing).
    Html,
    /// CycloneDX 1.6 JSON of the AI software found on endpoints (apps, extensions,
    /// packages, models) and the external services it talks to. With --out-dir, written only
    /// when endpoints or inventories were scanned.
    Cyclonedx,
}

impl OutputFormat {
    /// The formats `--out-dir` writes by default, in order.
    pub const ALL: &[OutputFormat] = &[
        OutputFormat::Jsonl,
        OutputFormat::Json,
        OutputFormat::Table,
        OutputFormat::RegisterJson,
        OutputFormat::RegisterCsv,
        OutputFormat::RegisterCiso,
        OutputFormat::IntakeJson,
        OutputFormat::IntakeMd,
        OutputFormat::Ocsf,
        OutputFormat::Ecs,
        OutputFormat::Html,
        OutputFormat::Cyclonedx,
    ];

    /// File name under `--out-dir` (a folder for per-service Markdown).
    pub fn file_name(self) -> &'static str {
        match self {
            OutputFormat::Jsonl => "findings.jsonl",
            OutputFormat::Json => "findings.json",
            OutputFormat::Table => "findings.txt",
            OutputFormat::RegisterJson => "register.json",
            OutputFormat::RegisterCsv => "register.csv",
            OutputFormat::RegisterCiso => "register-ciso-assistant.csv",
            OutputFormat::IntakeJson => "intake.json",
            OutputFormat::IntakeMd => "intake",
            OutputFormat::Ocsf => "findings.ocsf.jsonl",
            OutputFormat::Ecs => "findings.ecs.jsonl",
            OutputFormat::Html => "report.html",
            OutputFormat::Cyclonedx => "endpoints.cdx.json",
        }
    }
}

/// Settings of the emitters that the report does not carry.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// OCSF schema version `--format-out ocsf` targets (`--ocsf-version`).
    pub ocsf_version: ocsf::OcsfVersion,
}

/// Vendor name the SOC formats give the scanner (OCSF `metadata.product.vendor_name`, ECS
/// `observer.vendor`); the product name and version come from the summary.
pub const VENDOR: &str = "shadow-ai";

pub fn write(
    format: OutputFormat,
    w: &mut dyn Write,
    r: &Report<'_>,
    opts: &EmitOptions,
) -> io::Result<()> {
    match format {
        OutputFormat::Jsonl => jsonl::write(w, r.findings, r.summary),
        OutputFormat::Json => json::write(w, r.findings, r.summary),
        OutputFormat::Table => table::write(w, r.findings, r.summary),
        OutputFormat::RegisterJson => register::write_json(w, r.register),
        OutputFormat::RegisterCsv => register::write_csv(w, r.register),
        OutputFormat::RegisterCiso => register::write_ciso(w, r.register),
        OutputFormat::IntakeJson => intake::write_json(w, r.intake),
        OutputFormat::IntakeMd => intake::write_md(w, r.intake),
        OutputFormat::Ocsf => ocsf::write(w, r.findings, r.summary, opts.ocsf_version),
        OutputFormat::Ecs => ecs::write(w, r.findings, r.summary),
        // No scan history is kept yet: the trend section says so.
        OutputFormat::Html => html::write(w, r, r.trend),
        OutputFormat::Cyclonedx => cyclonedx::write(w, r.inventory),
    }
}

/// Writes each of `formats` into `dir` (created if missing), every file atomically.
/// Per-service Markdown goes to `dir/intake/<intake id>.md`; files of services no longer
/// present are removed, so the folder always mirrors the latest scan.
pub fn write_dir(
    dir: &Path,
    formats: &[OutputFormat],
    r: &Report<'_>,
    opts: &EmitOptions,
) -> io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for &f in formats {
        let path = dir.join(f.file_name());
        if f == OutputFormat::IntakeMd {
            std::fs::create_dir_all(&path)?;
            let mut keep = Vec::new();
            for e in r.intake {
                let name = format!("{}-{}.md", e.id, e.service.service_id);
                write_atomic(&path.join(&name), |w| {
                    w.write_all(intake::markdown(e).as_bytes())
                })?;
                keep.push(std::ffi::OsString::from(name));
            }
            for old in std::fs::read_dir(&path)?.filter_map(Result::ok) {
                let n = old.file_name();
                if n.to_string_lossy().starts_with("SAI-I-")
                    && n.to_string_lossy().ends_with(".md")
                    && !keep.contains(&n)
                {
                    std::fs::remove_file(old.path())?;
                }
            }
        } else if f == OutputFormat::Cyclonedx && r.inventory.is_empty() {
            // No endpoint in this scan: no bill of materials (and none left from before).
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            continue;
        } else {
            write_atomic(&path, |w| write(f, w, r, opts))?;
        }
        written.push(path);
    }
    Ok(written)
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
        // Findings name people: a replaced file keeps the permissions it was given.
        if let Ok(m) = std::fs::metadata(path) {
            file.set_permissions(m.permissions())?;
        }
        let mut w = io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
