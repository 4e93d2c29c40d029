//! AI use-case intake entries as JSON, and as Markdown a reviewer can read and fill in.

use crate::governance::intake::IntakeEntry;
use std::fmt::Write as _;
use std::io::{self, Write};

pub fn write_json(w: &mut dyn Write, entries: &[IntakeEntry]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, entries)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Markdown-safe: no table or heading syntax can be injected from logged values.
fn md(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| {
            if "\\`*_[]<>|#".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// One entry as a Markdown document.
pub fn markdown(e: &IntakeEntry) -> String {
    let mut s = String::new();
    let svc = &e.service;
    let g = &svc.governance;
    let _ = writeln!(s, "# AI use-case intake: {}\n", md(&e.use_case_name));
    let _ = writeln!(
        s,
        "- **Intake id:** `{}`\n- **Status:** {} (pre-filled by shadow-ai; a requester completes it)",
        e.id, e.status
    );
    let _ = writeln!(
        s,
        "- **Proposed tier:** {} — recommended decision: {}\n",
        e.triage.proposed_tier, e.triage.recommended_decision
    );
    let _ = writeln!(s, "{}\n", md(&e.summary));
    let _ = writeln!(s, "## The service\n");
    let _ = writeln!(
        s,
        "{} by {} ({}). {}\n",
        md(&svc.name),
        md(&svc.vendor),
        svc.category,
        md(&svc.description)
    );
    let facts = [
        ("Headquarters", g.hq_country.clone()),
        ("Trains on user input", g.trains_on_user_input.clone()),
        ("Data retention", g.data_retention.clone()),
        (
            "Enterprise offering",
            g.enterprise_offering
                .map(|b| if b { "yes".into() } else { "no".into() }),
        ),
    ];
    for (k, v) in facts {
        let _ = writeln!(
            s,
            "- **{k}:** {}",
            v.as_deref().map_or("unknown".to_string(), md)
        );
    }
    if !g.sources.is_empty() {
        let _ = writeln!(
            s,
            "- **Sources:** {}",
            g.sources
                .iter()
                .map(|u| md(u))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        s,
        "- **Endpoints seen:** {}\n",
        svc.endpoints
            .iter()
            .map(|h| format!("`{}`", md(h)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let u = &e.usage;
    let _ = writeln!(s, "## Who uses it, and how much\n");
    let _ = writeln!(s, "- {}", md(&u.evidence.summary));
    let dates = |t: Option<crate::time::Timestamp>| t.map_or("-".to_string(), |t| t.to_string());
    let _ = writeln!(
        s,
        "- First seen {}, last seen {}",
        dates(u.first_seen),
        dates(u.last_seen)
    );
    if !u.departments.is_empty() {
        let _ = writeln!(s, "- Departments: {}", md(&u.departments.join(", ")));
    }
    let _ = writeln!(
        s,
        "- Subjects: {}",
        u.subjects
            .iter()
            .map(|x| md(x))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "- Findings: {}\n",
        u.evidence
            .finding_ids
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "## Data exposure signals\n");
    let _ = writeln!(s, "| signal | score | why |\n|---|---|---|");
    for d in &e.data_exposure {
        let score = d.score.map_or("not visible".to_string(), |v| v.to_string());
        let _ = writeln!(s, "| {} | {score} | {} |", d.factor, md(&d.reason));
    }
    let _ = writeln!(
        s,
        "\n## Triage (proposed tier {})\n",
        e.triage.proposed_tier
    );
    for t in &e.triage.answers {
        let _ = writeln!(
            s,
            "- **{}:** {:?} — {}",
            t.question,
            t.answer,
            md(&t.reason)
        );
    }
    if !e.triage.linked_risk_ids.is_empty() {
        let _ = writeln!(
            s,
            "- Linked risk-register candidates: {}",
            e.triage.linked_risk_ids.join(", ")
        );
    }
    let _ = writeln!(s, "\n## Questions for the requester\n");
    for (i, q) in e.questions.iter().enumerate() {
        let _ = writeln!(s, "{}. {q}\n   - Answer: _to be completed_", i + 1);
    }
    let _ = writeln!(s, "\n## Decision\n");
    for d in &e.decision_options {
        let _ = writeln!(s, "- [ ] {d}");
    }
    let _ = writeln!(s, "\nReferences: {}", e.governance_refs.join("; "));
    s
}

/// Every entry in one stream, separated by rules (for `--output`; `--out-dir` writes one
/// file per service).
pub fn write_md(w: &mut dyn Write, entries: &[IntakeEntry]) -> io::Result<()> {
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            w.write_all(b"\n---\n\n")?;
        }
        w.write_all(markdown(e).as_bytes())?;
    }
    w.flush()
}
