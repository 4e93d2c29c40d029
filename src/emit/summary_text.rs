//! The human summary printed on stderr after a scan.

use crate::summary::{InputStatus, Summary};
use std::fmt::Write as _;

/// Terminal-safe: control characters from input (paths, reasons) are shown escaped.
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

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub fn render(s: &Summary) -> String {
    let t = &s.totals;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "shadow-ai {}: {} inputs, {} read, {} ms, {} threads; signatures {} ({} services, sha256 {})",
        s.tool_version,
        t.inputs,
        bytes(t.counts.bytes_read),
        s.duration_ms,
        s.threads,
        s.signature_set.version,
        s.signature_set.services,
        &s.signature_set.sha256[..12.min(s.signature_set.sha256.len())]
    );
    if s.services.is_empty() {
        let _ = writeln!(out, "\nNo external AI service use found.");
    } else {
        let _ = writeln!(out, "\nAI services seen ({}):", s.services.len());
        let name_w = s
            .services
            .iter()
            .map(|v| clean(&v.name).chars().count())
            .max()
            .unwrap_or(0);
        let cat_w = s
            .services
            .iter()
            .map(|v| v.category.len())
            .max()
            .unwrap_or(0);
        for svc in &s.services {
            let mut who = Vec::new();
            if svc.users > 0 {
                who.push(format!("{} users", svc.users));
            }
            if svc.clients > 0 {
                who.push(format!("{} hosts", svc.clients));
            }
            if svc.unknown_subjects > 0 {
                who.push("unattributed".to_string());
            }
            let mut extra = String::new();
            if svc.blocked > 0 {
                extra += &format!(", {} blocked", svc.blocked);
            }
            if let Some(b) = svc.bytes_out {
                extra += &format!(", {} sent", bytes(b));
            }
            if let Some(b) = svc.bytes_in {
                extra += &format!(", {} received", bytes(b));
            }
            let _ = writeln!(
                out,
                "  {:<name_w$}  {:<cat_w$}  {:>7} events  {}{}",
                clean(&svc.name),
                clean(&svc.category),
                svc.events,
                who.join(", "),
                extra
            );
        }
    }
    if let Some(p) = &s.policy {
        let states: Vec<String> = p.statuses.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let excluded = if p.excluded > 0 {
            format!("; {} excluded", p.excluded)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "\nPolicy ({}, as of {}): {}{excluded}",
            clean(&p.files.join(", ")),
            p.as_of,
            if states.is_empty() {
                "no findings".to_string()
            } else {
                states.join(", ")
            }
        );
    }
    let _ = writeln!(out, "\nInputs:");
    for i in &s.inputs {
        let path = clean(&i.path);
        match i.status {
            InputStatus::Error => {
                let _ = writeln!(
                    out,
                    "  {path}: ERROR: {}",
                    clean(i.error.as_deref().unwrap_or("unreadable"))
                );
                continue;
            }
            InputStatus::UnknownFormat => {
                let _ = writeln!(
                    out,
                    "  {path}: not scanned: {}",
                    clean(i.error.as_deref().unwrap_or("unknown format"))
                );
                continue;
            }
            _ => {}
        }
        let comp = if i.compression == "none" {
            String::new()
        } else {
            format!(", {}", i.compression)
        };
        let unit = if i.capture.is_some() {
            "packets"
        } else {
            "records"
        };
        let _ = writeln!(
            out,
            "  {path}: {}{comp}: {} {unit}: {} matched, {} unmatched, {} skipped",
            i.format.unwrap_or("?"),
            i.counts.records,
            i.counts.matched,
            i.counts.unmatched,
            i.counts.skipped
        );
        if let Some(c) = &i.capture {
            let _ = writeln!(
                out,
                "    {} flows ({} evicted), {} DNS messages, {} TLS and {} QUIC ClientHellos, {} HTTP requests, {} named by DNS answers; unreadable: {} DNS, {} TLS, {} QUIC; {} QUIC of unknown version",
                c.flows,
                c.flows_evicted,
                c.dns_messages,
                c.tls_client_hellos,
                c.quic_client_hellos,
                c.http_requests,
                c.named_by_dns_answer,
                c.dns_malformed,
                c.tls_unreadable,
                c.quic_undecryptable,
                c.quic_unknown_version
            );
        }
        if let Some(l) = &i.live {
            let filter = match &l.filter {
                Some(f) => format!(" (filter {:?})", clean(f)),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "    libpcap on {}{filter}: {} received, {} dropped (buffer full), {} dropped by the interface",
                clean(&l.interface),
                l.received,
                l.dropped,
                l.if_dropped
            );
        }
        for ex in &i.skip_examples {
            let _ = writeln!(out, "    skipped {path}{}: {}", ex.location(), ex.reason);
        }
        if i.counts.skipped > i.skip_examples.len() as u64 {
            let _ = writeln!(
                out,
                "    … {} more skipped",
                i.counts.skipped - i.skip_examples.len() as u64
            );
        }
        if let Some(e) = &i.error {
            let _ = writeln!(out, "    ERROR: {}", clean(e));
        }
    }
    let _ = writeln!(
        out,
        "\nTotal: {} records = {} matched + {} unmatched + {} skipped ({} header/blank lines); {} findings{}",
        t.counts.records,
        t.counts.matched,
        t.counts.unmatched,
        t.counts.skipped,
        t.counts.meta_lines,
        t.findings,
        if t.inputs_with_errors > 0 {
            format!("; {} inputs with errors", t.inputs_with_errors)
        } else {
            String::new()
        }
    );
    out
}
