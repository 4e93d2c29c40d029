//! A plain-text table of findings for people at a terminal.

use crate::aggregate::Finding;
use crate::summary::Summary;
use std::io::{self, Write};

pub fn write(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    let rows: Vec<[String; 7]> = findings
        .iter()
        .map(|f| {
            let actions: Vec<String> = f.actions.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            [
                f.service.name.clone(),
                f.service.category.clone(),
                format!("{}:{}", f.subject.kind.as_str(), f.subject.value),
                f.events.to_string(),
                f.first_seen.map_or_else(|| "-".into(), |t| t.to_string()),
                f.last_seen.map_or_else(|| "-".into(), |t| t.to_string()),
                actions.join(" "),
            ]
        })
        .collect();
    let header = [
        "SERVICE",
        "CATEGORY",
        "SUBJECT",
        "EVENTS",
        "FIRST SEEN",
        "LAST SEEN",
        "ACTIONS",
    ];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |w: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<width$}  ", width = widths[i]));
            }
        }
        writeln!(w, "{}", s.trim_end())
    };
    line(w, &header)?;
    for r in &rows {
        line(w, &r.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    writeln!(
        w,
        "\n{} findings; {} records read: {} matched, {} unmatched, {} skipped; signatures {} ({})",
        findings.len(),
        summary.totals.counts.records,
        summary.totals.counts.matched,
        summary.totals.counts.unmatched,
        summary.totals.counts.skipped,
        summary.signature_set.version,
        &summary.signature_set.sha256[..12.min(summary.signature_set.sha256.len())]
    )?;
    w.flush()
}
