//! The HTML report: what it shows for the Squid fixture, that it can load nothing, that
//! hostile values from logs and rules stay text, and the trend block through the library.

use crate::util::{data, run, s, stdout_records, summary};
use shadow_ai::emit::Report;
use shadow_ai::emit::html::{self, TrendPoint};
use shadow_ai::scan::{self, ScanOptions};
use shadow_ai::signature::SignatureSource;
use shadow_ai::source::expand;
use shadow_ai::time::Timestamp;

/// Runs a scan that writes HTML to stdout; returns the page and the exit status.
fn html_of(args: &[&str]) -> (String, Option<i32>) {
    let mut all = vec!["scan", "--format-out", "html", "-q", "--no-state"];
    all.extend_from_slice(args);
    let out = run(&all, None);
    (String::from_utf8(out.stdout).unwrap(), out.status.code())
}

/// How many elements `tag` open and close: each must close (no tag is left open by a
/// value that slipped through unescaped).
fn assert_balanced(h: &str, tags: &[&str]) {
    for tag in tags {
        let open = h.matches(&format!("<{tag} ")).count() + h.matches(&format!("<{tag}>")).count();
        let close = h.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
}

/// The page can fetch nothing: a strict CSP, no script, no external reference.
fn assert_self_contained(h: &str) {
    assert!(h.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    ));
    for banned in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "url(",
        " href=\"http",
    ] {
        assert!(!h.contains(banned), "the page contains {banned:?}");
    }
    // The only URL is the SVG namespace, which is a name, not a request.
    let urls = h.matches("http://").count() + h.matches("https://").count();
    assert_eq!(
        urls,
        h.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
}

#[test]
fn squid_fixture_report_shows_figures_charts_tables_and_run_summary() {
    let log = s(data("scan/access.log"));
    let (h, code) = html_of(&[&log]);
    // The report is an output like any other: the exit status still says unsanctioned use.
    assert_eq!(code, Some(1));
    assert!(h.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{h}");
    assert!(h.trim_end().ends_with("</html>"));
    assert_self_contained(&h);
    assert_balanced(
        &h,
        &[
            "html", "head", "body", "main", "section", "table", "tr", "td", "svg", "g", "figure",
            "span", "div", "p",
        ],
    );

    // Header: scan time, signature set version and sha, rules files (escaped).
    let recs = stdout_records(&run(&["scan", &log, "-q"], None));
    let sum = summary(&recs);
    let sig = &sum["signature_set"];
    let sha = sig["sha256"].as_str().unwrap();
    assert!(h.contains(&format!(
        "<dd id=\"signature-set\">{} · {} services",
        sig["version"].as_str().unwrap(),
        sig["services"]
    )));
    assert!(h.contains(&format!(
        "<code title=\"sha256 {sha}\">sha256 {}</code>",
        &sha[..12]
    )));
    assert!(
        h.contains("<code>&lt;builtin&gt;/default.toml</code>"),
        "{h}"
    );
    let started = sum["started"].as_str().unwrap();
    assert!(
        h.contains(&format!(
            "<dd id=\"scan-started\">{} {} UTC</dd>",
            &started[..10],
            &started[11..16]
        )),
        "{started}"
    );

    // Key figures.
    for (id, v) in [
        ("services", 3),
        ("subjects", 3),
        ("unsanctioned", 2),
        ("blocked-but-used", 1),
        ("records", 8),
    ] {
        assert!(
            h.contains(&format!(
                "id=\"kpi-{id}\" data-value=\"{v}\"><span class=\"v\">{v}</span>"
            )),
            "kpi {id}"
        );
    }
    assert!(h.contains("= 4 matched + 3 unmatched + 1 skipped"));
    assert!(h.contains("2 named users · 1 client address"));

    // Charts: services by users (coloured by verdict) and by volume.
    let users = section(&h, "chart-users");
    assert_eq!(users.matches("<g class=\"bar\">").count(), 3);
    assert!(users.contains("<title>Claude: 1 blocked but used</title>"));
    assert!(users.contains("<title>ChatGPT: 1 unsanctioned</title>"));
    let volume = section(&h, "chart-volume");
    let order: Vec<usize> = ["OpenAI API", "ChatGPT", "Claude"]
        .iter()
        .map(|n| volume.find(&format!("<title>{n}</title>")).unwrap())
        .collect();
    assert!(order.is_sorted(), "largest volume first");
    assert!(volume.contains(">20.0 KiB</text>"));
    assert!(volume.contains("<title>OpenAI API: 20480 bytes received</title>"));

    // No history kept yet.
    assert!(h.contains("No history yet (run scheduled scans with <code>--state</code>)."));
    assert!(!h.contains("id=\"chart-trend\""));

    // Candidate register entries and intake.
    let reg = section(&h, "register-table");
    assert_eq!(reg.matches("<td class=\"id\">SAI-R-").count(), 3);
    assert!(reg.contains("Unsanctioned use of Claude (Anthropic) by 1 subject"));
    assert!(reg.contains("<strong>avoid</strong>"));
    assert!(reg.contains("2 × 3 = <span class=\"lvl lvl-medium\">6 medium</span>"));
    assert!(reg.contains("<span class=\"badge tier tier-2\">Tier 2</span>"));
    assert!(reg.contains("<span class=\"muted\">unassigned</span>"));
    let intake = section(&h, "intake-table");
    assert_eq!(intake.matches("<td class=\"id\">SAI-I-").count(), 3);
    assert!(intake.contains("<td>approve with conditions</td>"));
    assert!(intake.contains("<td>block</td>"));

    // Findings: needs attention first, blocked-but-used at the top.
    let f = section(&h, "findings-table");
    assert_eq!(f.matches("<tr data-finding=\"saf-").count(), 3);
    let bob = f.find("<span class=\"kind\">user</span>bob").unwrap();
    let alice = f.find("<span class=\"kind\">user</span>alice").unwrap();
    let client = f
        .find("<span class=\"kind\">client</span>10.1.2.4")
        .unwrap();
    assert!(bob < alice && alice < client);
    assert!(f.contains("<span class=\"badge st-blocked_but_used\">blocked but used</span>"));
    assert!(f.contains("<time datetime=\"2026-11-27T09:00:01.120Z\">2026-11-27 09:00:01</time>"));
    assert!(f.contains("<td class=\"n\">2</td>"));

    // Run summary per input, and the total.
    let inputs = section(&h, "inputs-table");
    assert!(inputs.contains(&format!(
        "<code>{log}</code></td><td>proxy.squid</td><td class=\"n\">8</td><td class=\"n\">4</td>\
         <td class=\"n\">3</td><td class=\"n\">1</td>"
    )));
    assert!(inputs.contains("1 × squid: bad timestamp <span class=\"muted\">(line 5)</span>"));
    assert!(inputs.contains("<tfoot><tr><td>Total: 1 input</td>"));
}

/// The text from the element with `id` to the end of its table or figure.
fn section<'a>(h: &'a str, id: &str) -> &'a str {
    let start = h
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &h[start..];
    let end = ["</table>", "</figure>"]
        .iter()
        .filter_map(|t| rest.find(t))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn out_dir_writes_report_html() {
    let dir = tempfile::tempdir().unwrap();
    let log = s(data("scan/access.log"));
    let d = s(dir.path());
    let out = run(
        &["scan", &log, "-q", "--out-dir", &d, "--outputs", "html"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.html"]);
    let h = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_self_contained(&h);
    assert!(h.contains("id=\"kpi-records\" data-value=\"8\""));
    // And it is part of the default set.
    let all = tempfile::tempdir().unwrap();
    run(&["scan", &log, "-q", "--out-dir", &s(all.path())], None);
    assert!(all.path().join("report.html").is_file());
}

#[test]
fn hostile_values_from_logs_rules_and_paths_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    // A file name, two user names and a department, owner and reason that try to inject
    // markup; Squid decodes the %-escaped user.
    let log = dir.path().join("\"><img src=x onerror=alert(5)>.log");
    std::fs::write(
        &log,
        "1795770001.120 245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 <script>alert(1)</script> HIER_DIRECT/104.18.32.47 -\n\
         1795770002.120 245 10.1.2.9 TCP_TUNNEL/200 5120 CONNECT claude.ai:443 %22%3E%3Cimg%20src=x%20onerror=alert(2)%3E HIER_DIRECT/104.18.32.47 -\n",
    )
    .unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"schema = 1
[[department]]
id = "rd"
name = "R&D <script>alert(3)</script>"
users = ["<script>*", "\"*"]
[[policy]]
service = "openai-chatgpt"
status = "unsanctioned"
owner = "\"><img src=x onerror=alert(4)>"
reason = "<b>not approved</b>"
"#,
    )
    .unwrap();
    let (h, code) = html_of(&[&s(log), "--rules", &s(rules)]);
    assert_eq!(code, Some(1));
    assert_self_contained(&h);
    assert_balanced(
        &h,
        &["section", "table", "tr", "td", "span", "div", "svg", "g"],
    );
    assert!(!h.contains("alert(1)</script>") && !h.contains("<img"));
    assert!(
        h.contains("<span class=\"kind\">user</span>&lt;script&gt;alert(1)&lt;/script&gt;</td>")
    );
    assert!(h.contains(
        "<span class=\"kind\">user</span>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</td>"
    ));
    assert!(h.contains("&quot;&gt;&lt;img src=x onerror=alert(5)&gt;.log</code>"));
    assert!(h.contains("R&amp;D &lt;script&gt;alert(3)&lt;/script&gt;"));
    assert!(h.contains("<td>&quot;&gt;&lt;img src=x onerror=alert(4)&gt;</td>"));
    // In the SVG charts too (tooltips and labels).
    assert!(h.contains("<title>ChatGPT: 1 unsanctioned</title>"));
    assert_eq!(
        h.matches("onerror").count(),
        h.matches("onerror=alert(").count()
    );
    for n in 1..=5 {
        assert!(h.contains(&format!("alert({n})")), "value {n} is shown");
    }
}

#[test]
fn trend_block_shows_the_history_it_is_given() {
    let sigs = SignatureSource::builtin().compile().unwrap();
    let (inputs, errors) = expand(&[data("scan/access.log")]);
    let out = scan::run(&inputs, &errors, &sigs, &ScanOptions::default());
    let report = Report {
        findings: &out.findings,
        summary: &out.summary,
        register: &[],
        intake: &[],
        trend: &[],
        inventory: &[],
    };
    let none = html::render(&report, &[]);
    assert!(none.contains("id=\"no-history\""));
    // Without rules, findings carry no verdict and nothing is registered.
    assert!(none.contains("<title>ChatGPT: 1 no verdict</title>"));
    assert!(none.contains("No unsanctioned or blocked-but-used AI use: nothing to register."));

    let day = |d: i64| Timestamp::from_secs(1_795_737_600 + d * 86_400);
    let history = [
        TrendPoint {
            scan_started: day(-2),
            findings: 5,
            new: 5,
            gone: 0,
        },
        TrendPoint {
            scan_started: day(-1),
            findings: 4,
            new: 1,
            gone: 2,
        },
        TrendPoint {
            scan_started: day(0),
            findings: 3,
            new: 0,
            gone: 1,
        },
    ];
    let h = html::render(&report, &history);
    assert!(!h.contains("No history yet"));
    assert!(h.contains(
        "3 scans kept; the latest has 3 findings, 0 new and 1 gone since the scan before."
    ));
    let chart = section(&h, "chart-trend");
    assert_eq!(chart.matches("<g class=\"scan\">").count(), 3);
    assert!(chart.contains("<title>2026-11-26 00:00 UTC: 4 findings, 1 new, 2 gone</title>"));
    let table = section(&h, "trend-table");
    // Latest first.
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].contains("2026-11-27 00:00:00") && rows[2].contains("2026-11-25 00:00:00"));
    assert!(rows[1].contains("<td class=\"n\">4</td><td class=\"n\">1</td><td class=\"n\">2</td>"));
    assert_self_contained(&h);
    assert_balanced(&h, &["section", "table", "tr", "svg", "g", "div"]);
}

/// With a state database, the report's trend block shows the recorded scans.
#[test]
fn recorded_scans_fill_the_trend() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let (log, other) = (s(data("scan/access.log")), dir.path().join("other.log"));
    std::fs::write(
        &other,
        std::fs::read(data("scan/access.log"))
            .unwrap()
            .split(|&b| b == b'\n')
            .take(3)
            .collect::<Vec<_>>()
            .join(&b'\n'),
    )
    .unwrap();
    let st = s(state);
    for input in [s(other), log] {
        let out = run(
            &["scan", &input, "-q", "--state", &st, "--format-out", "html"],
            None,
        );
        let h = String::from_utf8(out.stdout).unwrap();
        assert!(h.contains("Trend across scans"), "no trend section");
        if input.ends_with("access.log") {
            assert!(
                !h.contains("No history yet"),
                "second scan: the history is there"
            );
            assert!(
                h.contains("id=\"trend-table\""),
                "a table of the recorded scans"
            );
        }
    }
}
