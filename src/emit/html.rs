//! The HTML report for governance leads: one self-contained file (inline CSS, inline SVG
//! charts, no script, no external asset, a CSP that forbids fetching anything) with the
//! key figures, the services by users and by volume, the trend across scans, the candidate
//! register and intake entries, the findings and what was read from each input.
//!
//! Every value that comes from logs, rules or signatures goes through [`esc`].

use super::Report;
use super::svg::{self, Bar, Segment};
use crate::aggregate::{Finding, SubjectKind};
use crate::policy::Status;
use crate::summary::{InputStatus, Summary};
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

/// The page may load nothing: no script, no font, no image but inline data, no request.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
/// Findings listed in the table (needs-attention first); the others are counted.
pub const MAX_FINDING_ROWS: usize = 2000;
/// Services drawn in each chart (the others are counted).
pub const MAX_CHART_BARS: usize = 15;

/// One earlier scan, for the trend: when it started, how many findings it had, how many
/// of them were new since the scan before, and how many had gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrendPoint {
    pub scan_started: Timestamp,
    pub findings: u64,
    pub new: u64,
    pub gone: u64,
}

/// HTML-escapes text for element content and quoted attribute values. Control
/// characters and bidirectional overrides (which could make a logged name read as
/// something else) are shown as `\u{…}` escapes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `2026-11-27 09:00 UTC`.
pub fn day_time(t: Timestamp) -> String {
    let (y, mo, d, h, mi, _, _) = t.to_civil();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// `2026-11-27 09:00:01`, in a `<time>` element carrying the exact instant.
fn time_cell(t: Option<Timestamp>) -> String {
    match t {
        Some(t) => {
            let (y, mo, d, h, mi, s, _) = t.to_civil();
            format!("<time datetime=\"{t}\">{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}</time>")
        }
        None => "<span class=\"muted\">—</span>".into(),
    }
}

/// `1,234,567`.
pub fn num(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `4.0 MiB`.
pub fn bytes(n: u64) -> String {
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

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", num(n), if n == 1 { one } else { many })
}

/// Order of the policy states, most urgent first, with their colours; `None` is a finding
/// no rule judged (library use without a policy).
const STATES: [(Option<Status>, &str, &str); 6] = [
    (Some(Status::BlockedButUsed), "blocked but used", "#c92a2a"),
    (Some(Status::Unsanctioned), "unsanctioned", "#e8590c"),
    (Some(Status::Blocked), "blocked", "#5c677d"),
    (Some(Status::Tolerated), "tolerated", "#e0a100"),
    (Some(Status::Sanctioned), "sanctioned", "#2f9e44"),
    (None, "no verdict", "#7c8db5"),
];

fn state_rank(f: &Finding) -> usize {
    let s = f.policy.as_ref().map(|p| p.status);
    STATES.iter().position(|(st, _, _)| *st == s).unwrap_or(0)
}

fn needs_attention(f: &Finding) -> bool {
    crate::governance::needs_attention(f)
}

fn status_badge(f: &Finding) -> String {
    let (st, label, _) = STATES[state_rank(f)];
    let class = st.map_or("none", Status::as_str);
    let mut s = format!("<span class=\"badge st-{class}\">{label}</span>");
    if let Some(p) = &f.policy {
        if p.expired {
            s += " <span class=\"note\">approval expired</span>";
        }
        if let Some(x) = &p.excluded {
            let _ = write!(
                s,
                " <span class=\"badge excluded\" title=\"{}\">excluded</span>",
                esc(&x.reason)
            );
        }
    }
    s
}

fn tier_badge(tier: u8) -> String {
    format!("<span class=\"badge tier tier-{tier}\">Tier {tier}</span>")
}

/// `approve_with_conditions` → `approve with conditions`.
fn words(s: &str) -> String {
    esc(&s.replace('_', " "))
}

/// `3 - likely` → `likely`.
fn rating_words(label: &str) -> &str {
    label.split_once(" - ").map_or(label, |(_, w)| w)
}

fn dash_if_empty(s: String) -> String {
    if s.is_empty() {
        "<span class=\"muted\">—</span>".into()
    } else {
        s
    }
}

const STYLE: &str = r#"
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--soft:#f5f7fa;--accent:#3b5bdb;
--bbu:#c92a2a;--uns:#e8590c;--blk:#5c677d;--tol:#e0a100;--san:#2f9e44}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#eef1f5;color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 24px 48px}
header.top{background:#1b2a4a;color:#fff;padding:26px 0 22px}
header.top .in{max-width:1180px;margin:0 auto;padding:0 24px}
.kicker{text-transform:uppercase;letter-spacing:.12em;font-size:11px;color:#a9b8d9;margin:0 0 4px}
h1{font-size:26px;margin:0 0 14px;font-weight:650}
.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:8px 28px;margin:0}
.meta div{min-width:0}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:#a9b8d9}
.meta dd{margin:0;overflow-wrap:anywhere}
.meta code{color:#fff;background:rgba(255,255,255,.1);padding:0 4px;border-radius:3px;white-space:nowrap}
.meta .sub{color:#a9b8d9}
nav.toc{margin:18px 0 0;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px}
nav.toc a{color:#dbe4ff;text-decoration:none;border-bottom:1px solid rgba(219,228,255,.35)}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:18px 0;box-shadow:0 1px 2px rgba(16,24,40,.04)}
h2{font-size:17px;margin:0 0 4px;font-weight:650}
h3{font-size:14px;margin:0 0 8px;font-weight:600;color:var(--muted)}
p.lead{margin:0 0 14px;color:var(--muted)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:0}
.kpi{background:#fff;border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:8px;padding:12px 14px}
.kpi .v{display:block;font-size:28px;font-weight:700;line-height:1.15;font-variant-numeric:tabular-nums}
.kpi .k{display:block;font-weight:600}
.kpi .s{display:block;font-size:12px;color:var(--muted)}
.kpi.bad{border-left-color:var(--bbu)}.kpi.bad .v{color:var(--bbu)}
.kpi.warn{border-left-color:var(--uns)}.kpi.warn .v{color:#c2410c}
.kpi.ok{border-left-color:var(--san)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:20px}
.charts figure{margin:0;min-width:0}
svg.chart{max-width:100%;height:auto;display:block}
.trendgrid{display:grid;grid-template-columns:minmax(0,720px) minmax(280px,1fr);gap:24px;align-items:start}
.trendgrid figure{margin:0;min-width:0}
@media (max-width:1000px){.trendgrid{grid-template-columns:1fr}}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin:6px 0 0;padding:0;list-style:none}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.empty{background:var(--soft);border:1px dashed #cbd2d9;border-radius:8px;padding:14px 16px;color:var(--muted);margin:0}
.empty code{color:var(--ink)}
.tw{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;background:var(--soft);white-space:nowrap}
tbody tr:nth-child(even) td{background:#fafbfc}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.id,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
td.id{white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
td.w{overflow-wrap:break-word;min-width:8em}
td.subj{min-width:13em}
td.svc{min-width:9em}
td.svc .sub{white-space:nowrap}
td.path{min-width:15em}
tfoot td{font-weight:600;border-top:2px solid var(--line)}
.muted{color:var(--muted)}
.sub{display:block;color:var(--muted);font-size:12px}
.note{font-size:12px;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid transparent}
.st-blocked_but_used{background:#ffe3e3;color:#a61e1e;border-color:#ffc9c9}
.st-unsanctioned{background:#fff0e6;color:#b04000;border-color:#ffd8a8}
.st-blocked{background:#e9ecef;color:#3e4756;border-color:#dee2e6}
.st-tolerated{background:#fff9db;color:#8a6100;border-color:#ffec99}
.st-sanctioned{background:#ebfbee;color:#237032;border-color:#b2f2bb}
.st-none{background:#edf2ff;color:#364fc7}
.excluded{background:#f1f3f5;color:#495057;border-color:#ced4da;font-weight:500}
.tier-3{background:#ffe3e3;color:#a61e1e}.tier-2{background:#fff0e6;color:#b04000}.tier-1{background:#ebfbee;color:#237032}
.lvl{font-weight:600}.lvl-critical{color:#a61e1e}.lvl-high{color:#c2410c}.lvl-medium{color:#8a6100}.lvl-low{color:#237032}
.kind{display:inline-block;font-size:10px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border:1px solid var(--line);border-radius:3px;padding:0 4px;margin-right:6px;vertical-align:1px}
.alert{border-left:4px solid var(--bbu);background:#fff5f5;padding:10px 14px;border-radius:6px;margin:18px 0 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:28px}
@media (max-width:640px){main{padding:12px}.charts{grid-template-columns:1fr}}
@media print{
@page{margin:14mm 12mm}
body{background:#fff;font-size:11px}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
header.top{background:#fff;color:var(--ink);padding:0 0 8px;border-bottom:2px solid var(--ink)}
header.top .in,main{max-width:none;padding:0}
.kicker,.meta dt,.meta .sub{color:var(--muted)}
.meta code{color:var(--ink);background:none;padding:0}
nav.toc{display:none}
section{border:0;box-shadow:none;padding:0;margin:16px 0;border-radius:0}
h2{break-after:avoid}
figure,.kpi,tr{break-inside:avoid}
thead{display:table-header-group}
.tw{overflow:visible}
.charts{grid-template-columns:1fr 1fr;gap:12px}
.trendgrid{grid-template-columns:3fr 2fr;gap:12px}
.kpis{grid-template-columns:repeat(5,1fr)}
tbody tr:nth-child(even) td{background:none}
table{font-size:10px}
th{font-size:8.5px}
th,td{padding:4px 6px}
.sub,.note,.kpi .s,.badge{font-size:9px}
td.id,code{font-size:9px}
.kpi{padding:8px 10px}
.kpi .v{font-size:20px}
h1{font-size:20px}
h2{font-size:14px}
p.lead{font-size:10px}
h3{font-size:11px}
.legend{font-size:9px}
}
"#;

/// Renders the report. `trend` is the scan history, oldest first (empty: none kept yet).
pub fn render(r: &Report<'_>, trend: &[TrendPoint]) -> String {
    let s = r.summary;
    let mut h = String::with_capacity(64 * 1024 + r.findings.len() * 600);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <title>Shadow AI report — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        s.tool,
        esc(s.tool_version),
        s.started.map_or_else(|| "scan".to_string(), day_time)
    );
    header(&mut h, s);
    h.push_str("<main>\n");
    if s.totals.inputs_with_errors > 0 {
        let _ = writeln!(
            h,
            "<p class=\"alert\" role=\"alert\"><strong>{} could not be read in full.</strong> \
             The figures cover what was read; see <a href=\"#inputs\">Inputs</a>.</p>",
            plural(s.totals.inputs_with_errors, "input", "inputs")
        );
    }
    figures(&mut h, r);
    services(&mut h, r);
    trend_section(&mut h, trend);
    register(&mut h, r);
    intake(&mut h, r);
    findings(&mut h, r.findings);
    inputs(&mut h, s);
    let _ = write!(
        h,
        "</main>\n<footer>Generated by {} {} from logs only: every figure is evidence for a person to judge, \
         not a decision. Register and intake entries are candidates.</footer>\n</body>\n</html>\n",
        s.tool,
        esc(s.tool_version)
    );
    h
}

pub fn write(w: &mut dyn Write, r: &Report<'_>, trend: &[TrendPoint]) -> io::Result<()> {
    w.write_all(render(r, trend).as_bytes())?;
    w.flush()
}

fn header(h: &mut String, s: &Summary) {
    let sig = &s.signature_set;
    let short = &sig.sha256[..12.min(sig.sha256.len())];
    let started = s
        .started
        .map_or_else(|| "unknown".to_string(), |t| esc(&day_time(t)));
    let _ = write!(
        h,
        "<header class=\"top\"><div class=\"in\">\n<p class=\"kicker\">shadow-ai · AI use discovered in logs</p>\n\
         <h1>Shadow AI report</h1>\n<dl class=\"meta\">\n\
         <div><dt>Scan started</dt><dd id=\"scan-started\">{started}</dd></div>\n\
         <div><dt>Duration</dt><dd>{} ms on {}</dd></div>\n\
         <div><dt>Signature set</dt><dd id=\"signature-set\">{} · {} services<span class=\"sub\"><code title=\"sha256 {}\">sha256 {}</code></span></dd></div>\n",
        num(s.duration_ms),
        plural(s.threads as u64, "thread", "threads"),
        esc(&sig.version),
        num(sig.services as u64),
        esc(&sig.sha256),
        esc(short),
    );
    match &s.policy {
        Some(p) => {
            let files = if p.files.is_empty() {
                "built-in default".to_string()
            } else {
                p.files
                    .iter()
                    .map(|f| format!("<code>{}</code>", esc(f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                h,
                "<div><dt>Rules</dt><dd id=\"rules\">{files}<span class=\"sub\">as of {} · <code title=\"sha256 {}\">sha256 {}</code></span></dd></div>",
                esc(&p.as_of),
                esc(&p.sha256),
                esc(&p.sha256[..12.min(p.sha256.len())])
            );
        }
        None => h.push_str("<div><dt>Rules</dt><dd id=\"rules\">none applied</dd></div>\n"),
    }
    let _ = write!(
        h,
        "<div><dt>Tool</dt><dd>{} {}</dd></div>\n</dl>\n\
         <nav class=\"toc\" aria-label=\"Sections\"><a href=\"#figures\">Key figures</a><a href=\"#services\">Services</a>\
         <a href=\"#trend\">Trend</a><a href=\"#register\">Risk register</a><a href=\"#intake\">Intake</a>\
         <a href=\"#findings\">Findings</a><a href=\"#inputs\">Inputs</a></nav>\n</div></header>\n",
        s.tool,
        esc(s.tool_version)
    );
}

fn kpi(h: &mut String, id: &str, class: &str, value: u64, name: &str, sub: &str) {
    let _ = writeln!(
        h,
        "<div class=\"kpi{class}\" id=\"kpi-{id}\" data-value=\"{value}\"><span class=\"v\">{}</span>\
         <span class=\"k\">{name}</span><span class=\"s\">{sub}</span></div>",
        num(value)
    );
}

fn figures(h: &mut String, r: &Report<'_>) {
    let s = r.summary;
    let c = &s.totals.counts;
    let subjects: BTreeSet<(SubjectKind, &str)> = r
        .findings
        .iter()
        .map(|f| (f.subject.kind, f.subject.value.as_str()))
        .collect();
    let users = subjects
        .iter()
        .filter(|(k, _)| *k == SubjectKind::User)
        .count() as u64;
    let count = |st: Status| {
        r.findings
            .iter()
            .filter(|f| {
                f.policy
                    .as_ref()
                    .is_some_and(|p| p.status == st && p.excluded.is_none())
            })
            .count() as u64
    };
    let (unsanctioned, bbu) = (count(Status::Unsanctioned), count(Status::BlockedButUsed));
    let excluded = r
        .findings
        .iter()
        .filter(|f| f.policy.as_ref().is_some_and(|p| p.excluded.is_some()))
        .count() as u64;
    h.push_str(
        "<section id=\"figures\" aria-labelledby=\"h-figures\"><h2 id=\"h-figures\">Key figures</h2>\n",
    );
    let _ = writeln!(
        h,
        "<p class=\"lead\">{}, one per service and subject, from {}{}.</p>\n<div class=\"kpis\">",
        plural(r.findings.len() as u64, "finding", "findings"),
        plural(s.totals.inputs, "input", "inputs"),
        if excluded > 0 {
            format!(
                "; {} excluded by the rules (listed, not counted below)",
                num(excluded)
            )
        } else {
            String::new()
        }
    );
    kpi(
        h,
        "services",
        "",
        s.services.len() as u64,
        "AI services",
        &format!(
            "{} awaiting a decision",
            plural(r.intake.len() as u64, "service", "services")
        ),
    );
    kpi(
        h,
        "subjects",
        "",
        subjects.len() as u64,
        "Subjects",
        &format!(
            "{} · {}",
            plural(users, "named user", "named users"),
            plural(
                subjects.len() as u64 - users,
                "client address",
                "client addresses"
            )
        ),
    );
    kpi(
        h,
        "unsanctioned",
        if unsanctioned > 0 { " warn" } else { " ok" },
        unsanctioned,
        "Unsanctioned",
        "findings no rule allows",
    );
    kpi(
        h,
        "blocked-but-used",
        if bbu > 0 { " bad" } else { " ok" },
        bbu,
        "Blocked but used",
        "findings of blocked services",
    );
    kpi(
        h,
        "records",
        "",
        c.records,
        "Records read",
        &format!(
            "= {} matched + {} unmatched + {} skipped",
            num(c.matched),
            num(c.unmatched),
            num(c.skipped)
        ),
    );
    h.push_str("</div>\n</section>\n");
}

fn legend(items: &[(&str, &str)]) -> String {
    let mut s = String::from("<ul class=\"legend\">");
    for (label, color) in items {
        let _ = write!(s, "<li><i style=\"background:{color}\"></i>{label}</li>");
    }
    s.push_str("</ul>");
    s
}

fn services(h: &mut String, r: &Report<'_>) {
    h.push_str(
        "<section id=\"services\" aria-labelledby=\"h-services\"><h2 id=\"h-services\">AI services</h2>\n",
    );
    if r.summary.services.is_empty() {
        h.push_str(
            "<p class=\"empty\">No external AI service use found in these logs.</p>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"lead\">Who uses which service, coloured by what the rules say, and how much data \
         went each way. {} in all.</p>\n<div class=\"charts\">",
        plural(r.summary.services.len() as u64, "service", "services")
    );
    // Subjects per service and state.
    let mut by_state: BTreeMap<&str, [u64; STATES.len()]> = BTreeMap::new();
    for f in r.findings {
        by_state.entry(&f.service.id).or_default()[state_rank(f)] += 1;
    }
    let users: Vec<Bar> = r
        .summary
        .services
        .iter()
        .take(MAX_CHART_BARS)
        .map(|svc| {
            let counts = by_state.get(svc.id.as_str()).copied().unwrap_or_default();
            let total: u64 = counts.iter().sum();
            Bar {
                label: svc.name.clone(),
                segments: STATES
                    .iter()
                    .zip(counts)
                    .map(|((_, name, color), value)| Segment { value, name, color })
                    .collect(),
                value_text: plural(total, "subject", "subjects"),
            }
        })
        .collect();
    let present: Vec<(&str, &str)> = STATES
        .iter()
        .enumerate()
        .filter(|(i, _)| by_state.values().any(|c| c[*i] > 0))
        .map(|(_, (_, l, c))| (*l, *c))
        .collect();
    let more = |n: usize, fewest: &str| {
        if n > MAX_CHART_BARS {
            format!(
                "<p class=\"note\">The {} services with the {fewest} are not drawn; all are in the findings table.</p>",
                n - MAX_CHART_BARS
            )
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        h,
        "<figure id=\"chart-users\"><h3>By users (users and client addresses)</h3>{}\n{}{}</figure>",
        svg::hbars("AI services by number of users", &users),
        legend(&present),
        more(r.summary.services.len(), "fewest users")
    );
    // Volume: bytes sent and received, largest first.
    let mut vol: Vec<_> = r
        .summary
        .services
        .iter()
        .filter(|s| s.bytes_out.is_some() || s.bytes_in.is_some())
        .collect();
    vol.sort_by_key(|s| std::cmp::Reverse(s.bytes_out.unwrap_or(0) + s.bytes_in.unwrap_or(0)));
    let with_volume = vol.len();
    let bars: Vec<Bar> = vol
        .into_iter()
        .take(MAX_CHART_BARS)
        .map(|svc| {
            let (o, i) = (svc.bytes_out.unwrap_or(0), svc.bytes_in.unwrap_or(0));
            Bar {
                label: svc.name.clone(),
                segments: vec![
                    Segment {
                        value: o,
                        name: "bytes sent",
                        color: "#3b5bdb",
                    },
                    Segment {
                        value: i,
                        name: "bytes received",
                        color: "#91a7ff",
                    },
                ],
                value_text: bytes(o + i),
            }
        })
        .collect();
    if bars.is_empty() {
        h.push_str(
            "<figure id=\"chart-volume\"><h3>By volume</h3><p class=\"empty\">These logs record no byte counts \
             (DNS logs never do).</p></figure>\n",
        );
    } else {
        let _ = writeln!(
            h,
            "<figure id=\"chart-volume\"><h3>By volume (bytes sent and received)</h3>{}\n{}{}</figure>",
            svg::hbars("AI services by bytes transferred", &bars),
            legend(&[("sent", "#3b5bdb"), ("received", "#91a7ff")]),
            more(with_volume, "least volume")
        );
    }
    h.push_str("</div>\n</section>\n");
}

fn trend_section(h: &mut String, trend: &[TrendPoint]) {
    h.push_str(
        "<section id=\"trend\" aria-labelledby=\"h-trend\"><h2 id=\"h-trend\">Trend across scans</h2>\n",
    );
    if trend.is_empty() {
        h.push_str(
            "<p class=\"empty\" id=\"no-history\">No history yet (run scheduled scans with <code>--state</code>).</p>\n</section>\n",
        );
        return;
    }
    let last = &trend[trend.len() - 1];
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} kept; the latest has {}, {} new and {} gone since the scan before.</p>",
        plural(trend.len() as u64, "scan", "scans"),
        plural(last.findings, "finding", "findings"),
        num(last.new),
        num(last.gone)
    );
    let _ = writeln!(
        h,
        "<div class=\"trendgrid\"><figure id=\"chart-trend\">{}\n{}</figure>",
        svg::trend(trend),
        legend(&[
            ("findings", svg::COLOR_FINDINGS),
            ("of which new", svg::COLOR_NEW),
            ("gone (below the axis)", svg::COLOR_GONE)
        ])
    );
    h.push_str(
        "<div class=\"tw\"><table id=\"trend-table\"><thead><tr><th>Scan started</th><th class=\"n\">Findings</th>\
         <th class=\"n\">New</th><th class=\"n\">Gone</th></tr></thead><tbody>\n",
    );
    for p in trend.iter().rev().take(10) {
        let _ = writeln!(
            h,
            "<tr><td class=\"t\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            time_cell(Some(p.scan_started)),
            num(p.findings),
            num(p.new),
            num(p.gone)
        );
    }
    h.push_str("</tbody></table></div></div>\n</section>\n");
}

fn register(h: &mut String, r: &Report<'_>) {
    h.push_str(
        "<section id=\"register\" aria-labelledby=\"h-register\"><h2 id=\"h-register\">Candidate risk-register entries</h2>\n",
    );
    if r.register.is_empty() {
        h.push_str("<p class=\"empty\">No unsanctioned or blocked-but-used AI use: nothing to register.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"lead\">{}, one per unsanctioned service{}. A person decides; likelihood × impact on the \
         5 × 5 ISO 27005 matrix.</p>",
        plural(r.register.len() as u64, "candidate", "candidates"),
        if r.register.iter().any(|e| e.department.is_some()) {
            " and department"
        } else {
            ""
        }
    );
    h.push_str(
        "<div class=\"tw\"><table id=\"register-table\"><thead><tr><th>ID</th><th>Title</th><th>Tier</th>\
         <th>Likelihood × impact</th><th>Treatment</th><th>Owner</th></tr></thead><tbody>\n",
    );
    // Most serious first.
    let mut entries: Vec<_> = r.register.iter().collect();
    entries.sort_by(|x, y| {
        let (a, b) = (&x.assessment, &y.assessment);
        (b.tier, b.inherent_score, &x.title).cmp(&(a.tier, a.inherent_score, &y.title))
    });
    for e in entries {
        let a = &e.assessment;
        let _ = writeln!(
            h,
            "<tr><td class=\"id\">{}</td><td class=\"w\">{}<span class=\"sub\">{}</span></td><td>{}</td>\
             <td><span title=\"likelihood: {}&#10;impact: {}\">{} × {} = <span class=\"lvl lvl-{}\">{} {}</span></span>\
             <span class=\"sub\">likelihood: {} · impact: {}</span></td>\
             <td><strong>{}</strong><span class=\"sub\">{}</span></td><td>{}</td></tr>",
            esc(&e.id),
            esc(&e.title),
            esc(&e.evidence.summary),
            tier_badge(a.tier),
            esc(&a.likelihood.rationale),
            esc(&a.impact.rationale),
            a.likelihood.value,
            a.impact.value,
            esc(a.inherent_level),
            a.inherent_score,
            esc(a.inherent_level),
            esc(rating_words(a.likelihood.label)),
            esc(rating_words(a.impact.label)),
            esc(e.treatment.option),
            esc(&e.treatment.rationale),
            e.owner.as_deref().map_or_else(
                || "<span class=\"muted\">unassigned</span>".to_string(),
                esc
            ),
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn intake(h: &mut String, r: &Report<'_>) {
    h.push_str(
        "<section id=\"intake\" aria-labelledby=\"h-intake\"><h2 id=\"h-intake\">Intake candidates</h2>\n",
    );
    if r.intake.is_empty() {
        h.push_str("<p class=\"empty\">No service awaits a decision.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} pre-filled from discovery; the requester answers the open questions \
         (purpose, data, owner) before a decision.</p>",
        plural(r.intake.len() as u64, "use case", "use cases")
    );
    h.push_str(
        "<div class=\"tw\"><table id=\"intake-table\"><thead><tr><th>ID</th><th>Service</th><th>Proposed tier</th>\
         <th>Recommended decision</th><th>Departments</th><th class=\"n\">Subjects</th></tr></thead><tbody>\n",
    );
    for e in r.intake {
        let depts = e
            .usage
            .departments
            .iter()
            .map(|d| esc(d))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            h,
            "<tr><td class=\"id\">{}</td><td class=\"w\">{}<span class=\"sub\">{} · {}</span></td><td>{}</td>\
             <td>{}</td><td class=\"w\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&e.id),
            esc(&e.service.name),
            esc(&e.service.vendor),
            esc(&e.service.category),
            tier_badge(e.triage.proposed_tier),
            words(e.triage.recommended_decision),
            dash_if_empty(depts),
            num(e.usage.evidence.subjects as u64)
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn findings(h: &mut String, all: &[Finding]) {
    h.push_str(
        "<section id=\"findings\" aria-labelledby=\"h-findings\"><h2 id=\"h-findings\">Findings</h2>\n",
    );
    if all.is_empty() {
        h.push_str("<p class=\"empty\">No findings.</p>\n</section>\n");
        return;
    }
    let mut rows: Vec<&Finding> = all.iter().collect();
    rows.sort_by(|a, b| {
        (
            !needs_attention(a),
            state_rank(a),
            &a.service.name,
            &a.subject.value,
        )
            .cmp(&(
                !needs_attention(b),
                state_rank(b),
                &b.service.name,
                &b.subject.value,
            ))
    });
    let shown = rows.len().min(MAX_FINDING_ROWS);
    let _ = writeln!(
        h,
        "<p class=\"lead\">One per service and subject, those needing attention first{}. Times are UTC.</p>",
        if shown < rows.len() {
            format!(
                "; the first {} of {} are listed (all are in <code>findings.jsonl</code>)",
                num(shown as u64),
                num(rows.len() as u64)
            )
        } else {
            String::new()
        }
    );
    h.push_str(
        "<div class=\"tw\"><table id=\"findings-table\"><thead><tr><th>Service</th><th>Subject</th><th>Department</th>\
         <th>Status</th><th class=\"n\">Events</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>\n",
    );
    for f in &rows[..shown] {
        let dept = f
            .policy
            .as_ref()
            .and_then(|p| p.department.as_ref())
            .map(|d| esc(&d.name))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr data-finding=\"{}\"><td class=\"svc\">{}<span class=\"sub\">{}</span></td><td class=\"w subj\"><span class=\"kind\">{}</span>{}</td>\
             <td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
            esc(&f.id),
            esc(&f.service.name),
            esc(&f.service.category),
            f.subject.kind.as_str(),
            esc(&f.subject.value),
            dash_if_empty(dept),
            status_badge(f),
            num(f.events),
            time_cell(f.first_seen),
            time_cell(f.last_seen)
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn inputs(h: &mut String, s: &Summary) {
    let t = &s.totals;
    h.push_str(
        "<section id=\"inputs\" aria-labelledby=\"h-inputs\"><h2 id=\"h-inputs\">Inputs</h2>\n",
    );
    let _ = writeln!(
        h,
        "<p class=\"lead\">What was read from each input: records = matched + unmatched + skipped; \
         header and blank lines ({}) are not records.</p>",
        num(t.counts.meta_lines)
    );
    h.push_str(
        "<div class=\"tw\"><table id=\"inputs-table\"><thead><tr><th>Input</th><th>Format</th><th class=\"n\">Records</th>\
         <th class=\"n\">Matched</th><th class=\"n\">Unmatched</th><th class=\"n\">Skipped</th><th>Errors and skipped lines</th>\
         </tr></thead><tbody>\n",
    );
    for i in &s.inputs {
        let format = match (i.format, i.compression) {
            (Some(f), "none") => esc(f),
            (Some(f), c) => format!("{} <span class=\"muted\">({})</span>", esc(f), esc(c)),
            (None, _) => "<span class=\"muted\">—</span>".into(),
        };
        let mut notes = Vec::new();
        match i.status {
            InputStatus::Error => notes.push(format!(
                "<span class=\"badge st-blocked_but_used\">error</span> {}",
                esc(i.error.as_deref().unwrap_or("unreadable"))
            )),
            InputStatus::Incomplete => notes.push(format!(
                "<span class=\"badge st-blocked_but_used\">incomplete</span> {}",
                esc(i.error.as_deref().unwrap_or("read in part"))
            )),
            InputStatus::UnknownFormat => notes.push(format!(
                "<span class=\"badge st-blocked\">not scanned</span> {}",
                esc(i.error.as_deref().unwrap_or("unknown format"))
            )),
            InputStatus::Scanned => {
                if let Some(e) = &i.error {
                    notes.push(esc(e));
                }
            }
        }
        for (reason, n) in &i.skip_reasons {
            let lines: Vec<String> = i
                .skip_examples
                .iter()
                .filter(|x| x.reason == *reason)
                .map(|x| x.describe())
                .collect();
            notes.push(format!(
                "{} × {}{}",
                num(*n),
                esc(reason),
                if lines.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"muted\">({})</span>", esc(&lines.join(", ")))
                }
            ));
        }
        let counts = if matches!(i.status, InputStatus::Error | InputStatus::UnknownFormat) {
            "<td class=\"n muted\">—</td>".repeat(4)
        } else {
            format!(
                "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                num(i.counts.records),
                num(i.counts.matched),
                num(i.counts.unmatched),
                num(i.counts.skipped)
            )
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"w path\"><code>{}</code></td><td>{format}</td>{counts}<td class=\"w\">{}</td></tr>",
            esc(&i.path),
            dash_if_empty(notes.join("<br>"))
        );
    }
    let _ = writeln!(
        h,
        "</tbody><tfoot><tr><td>Total: {}</td><td></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr></tfoot></table></div>\n</section>",
        plural(t.inputs, "input", "inputs"),
        num(t.counts.records),
        num(t.counts.matched),
        num(t.counts.unmatched),
        num(t.counts.skipped),
        if t.inputs_with_errors > 0 {
            plural(
                t.inputs_with_errors,
                "input with errors",
                "inputs with errors",
            )
        } else {
            String::new()
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            esc("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(esc("a'b&c"), "a&#39;b&amp;c");
        assert_eq!(esc("&amp;"), "&amp;amp;");
        assert_eq!(esc("plain ünïcode 用户"), "plain ünïcode 用户");
    }

    #[test]
    fn escapes_controls_and_bidi_overrides() {
        assert_eq!(esc("a\u{0}b\nc\u{1b}[31m"), "a\\u{0}b\\u{a}c\\u{1b}[31m");
        // "evil\u{202e}gpj.exe" would read as "evilexe.jpg".
        assert_eq!(esc("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(esc("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn nothing_escaped_can_open_a_tag_or_leave_an_attribute() {
        for hostile in [
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "' onmouseover='alert(1)",
            "</textarea></style></title><svg onload=alert(1)>",
        ] {
            let e = esc(hostile);
            assert!(!e.contains(['<', '>', '"', '\'']), "{e}");
        }
    }

    #[test]
    fn numbers_and_sizes() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1000), "1,000");
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(bytes(74), "74 B");
        assert_eq!(bytes(4 * 1024 * 1024), "4.0 MiB");
        assert_eq!(
            day_time(Timestamp::from_secs(1_795_770_001)),
            "2026-11-27 09:00 UTC"
        );
    }
}
