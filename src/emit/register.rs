//! Candidate risk-register entries as JSON, as CSV, and as a CSV that CISO Assistant's
//! data wizard imports as risk scenarios (5 × 5 ISO 27005 matrix labels, treatment
//! vocabulary open/mitigate/accept/avoid/transfer, newline-separated multi-values).

use super::csv::row;
use crate::governance::register::RegisterEntry;
use std::io::{self, Write};

pub fn write_json(w: &mut dyn Write, entries: &[RegisterEntry]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, entries)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn refs(e: &RegisterEntry) -> String {
    let f = &e.frameworks;
    let ids = |v: &[crate::governance::frameworks::Reference]| {
        v.iter().map(|r| r.id).collect::<Vec<_>>().join(" ")
    };
    let mut s = format!(
        "ISO/IEC 42001 {} {}; NIST AI RMF {}",
        ids(&f.iso42001_clauses),
        ids(&f.iso42001_annex_a),
        f.nist_ai_rmf
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !f.mitre_atlas.is_empty() {
        s += &format!("; MITRE ATLAS {}", ids(&f.mitre_atlas));
    }
    s += &format!(
        "; DASF {}",
        f.dasf.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
    );
    s
}

pub fn write_csv(w: &mut dyn Write, entries: &[RegisterEntry]) -> io::Result<()> {
    row(
        w,
        &[
            "id",
            "title",
            "status",
            "risk_source",
            "service_id",
            "ai_system",
            "vendor",
            "category",
            "department",
            "owner",
            "likelihood",
            "impact",
            "inherent_score",
            "inherent_level",
            "tier",
            "score",
            "treatment",
            "suggested_controls",
            "evidence",
            "finding_ids",
            "first_seen",
            "last_seen",
            "frameworks",
            "intake_id",
            "description",
        ],
    )?;
    for e in entries {
        let a = &e.assessment;
        row(
            w,
            &[
                e.id.clone(),
                e.title.clone(),
                e.status.to_string(),
                e.risk_source.to_string(),
                e.ai_system.service_id.clone(),
                e.ai_system.name.clone(),
                e.ai_system.vendor.clone(),
                e.ai_system.category.clone(),
                e.department.clone().unwrap_or_default(),
                e.owner.clone().unwrap_or_default(),
                a.likelihood.label.to_string(),
                a.impact.label.to_string(),
                a.inherent_score.to_string(),
                a.inherent_level.to_string(),
                a.tier.to_string(),
                a.score.to_string(),
                e.treatment.option.to_string(),
                e.treatment.suggested_controls.join("\n"),
                e.evidence.summary.clone(),
                e.evidence.finding_ids.join(" "),
                e.first_seen.map(|t| t.to_string()).unwrap_or_default(),
                e.last_seen.map(|t| t.to_string()).unwrap_or_default(),
                refs(e),
                e.intake_id.clone(),
                e.description.clone(),
            ],
        )?;
    }
    w.flush()
}

/// CISO Assistant's treatment vocabulary.
fn ciso_treatment(option: &str) -> &'static str {
    match option {
        "modify" => "mitigate",
        "accept" => "accept",
        "avoid" => "avoid",
        "transfer" => "transfer",
        _ => "open",
    }
}

pub fn write_ciso(w: &mut dyn Write, entries: &[RegisterEntry]) -> io::Result<()> {
    row(
        w,
        &[
            "ref_id",
            "name",
            "description",
            "inherent_proba",
            "inherent_impact",
            "existing_controls",
            "current_proba",
            "current_impact",
            "additional_controls",
            "treatment",
            "assets",
            "filtering_labels",
            "justification",
        ],
    )?;
    for e in entries {
        let a = &e.assessment;
        let asset = match &e.department {
            Some(d) => format!("{} ({d})", e.ai_system.name),
            None => e.ai_system.name.clone(),
        };
        let justification = format!(
            "Candidate from shadow-ai findings {}. Tier {} ({}). {}",
            e.evidence.finding_ids.join(" "),
            a.tier,
            a.triage
                .iter()
                .map(|t| format!("{}: {:?}", t.question, t.answer).to_lowercase())
                .collect::<Vec<_>>()
                .join(", "),
            refs(e)
        );
        // CISO Assistant caps the justification at 2000 characters.
        let justification: String = justification.chars().take(2000).collect();
        row(
            w,
            &[
                e.id.clone(),
                e.title.clone(),
                e.description.clone(),
                a.likelihood.label.to_string(),
                a.impact.label.to_string(),
                String::new(),
                a.likelihood.label.to_string(),
                a.impact.label.to_string(),
                e.treatment.suggested_controls.join("\n"),
                ciso_treatment(e.treatment.option).to_string(),
                asset,
                format!("shadow-ai|tier-{}", a.tier),
                justification,
            ],
        )?;
    }
    w.flush()
}
