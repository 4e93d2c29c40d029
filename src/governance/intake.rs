//! AI use-case intake entries, pre-filled from discovery: one per service that awaits a
//! decision. The scanner fills in what it observed and leaves what only the requester
//! knows (purpose, data, benefits) as questions.

use super::register::{EvidenceSummary, endpoints_of, evidence_of, groups};
use super::risk::{Exposure, RiskSettings, SubScore, TriageAnswer, assess};
use super::stable_id;
use crate::aggregate::Finding;
use crate::aggregate::ser_time;
use crate::signature::{Governance, SignatureSet};
use crate::time::Timestamp;
use serde::Serialize;

/// Questions the requester must answer before a decision.
pub const QUESTIONS: &[&str] = &[
    "What business problem does this AI service solve, and for which team?",
    "What data is entered into it (public, internal, confidential, personal data, customer data, source code)?",
    "Are the outputs used for decisions about people (hiring, credit, performance, eligibility) or in products?",
    "Is a personal or a corporate account used? Who pays for it?",
    "Which sanctioned alternative was considered, and why does it not fit?",
    "Who will own this use case and review it periodically?",
];

/// What a reviewer can decide.
pub const DECISIONS: &[&str] = &[
    "approve",
    "approve_with_conditions",
    "replace_with_sanctioned_alternative",
    "block",
    "needs_information",
];

#[derive(Clone, Debug, Serialize)]
pub struct ServiceFacts {
    pub service_id: String,
    pub name: String,
    pub vendor: String,
    pub category: String,
    pub description: String,
    pub endpoints: Vec<String>,
    pub governance: Governance,
}

#[derive(Clone, Debug, Serialize)]
pub struct Usage {
    pub departments: Vec<String>,
    /// Up to 25 subjects (user names, else client addresses).
    pub subjects: Vec<String>,
    pub evidence: EvidenceSummary,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Triage {
    pub proposed_tier: u8,
    pub answers: Vec<TriageAnswer>,
    pub recommended_decision: &'static str,
    pub linked_risk_ids: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IntakeEntry {
    pub id: String,
    pub status: &'static str,
    pub use_case_name: String,
    pub summary: String,
    pub service: ServiceFacts,
    pub usage: Usage,
    /// Signals of what data reaches the service: training, retention, volume, uploads,
    /// sensitive departments.
    pub data_exposure: Vec<SubScore>,
    pub triage: Triage,
    pub questions: Vec<&'static str>,
    pub decision_options: Vec<&'static str>,
    pub governance_refs: Vec<&'static str>,
    /// New or recurring across recorded scans (set when a state database is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<crate::state::Lifecycle>,
}

pub fn entries(
    sigs: &SignatureSet,
    findings: &[Finding],
    settings: &RiskSettings,
    register_ids: &[(String, String)],
) -> Vec<IntakeEntry> {
    let mut out = Vec::new();
    for g in groups(sigs, findings, false) {
        let svc = &sigs.services()[g.service];
        let a = assess(
            &Exposure {
                category: &svc.category,
                governance: &svc.governance,
                findings: &g.findings,
            },
            settings,
        );
        let evidence = evidence_of(&g.findings);
        let mut departments: Vec<String> = g
            .findings
            .iter()
            .filter_map(|f| {
                f.policy
                    .as_ref()
                    .and_then(|p| p.department.as_ref())
                    .map(|d| d.name.clone())
            })
            .collect();
        departments.sort();
        departments.dedup();
        let mut subjects: Vec<String> =
            g.findings.iter().map(|f| f.subject.value.clone()).collect();
        subjects.truncate(25);
        let blocked = evidence.statuses.contains_key("blocked_but_used");
        let trusted = svc
            .governance
            .hq_country
            .as_ref()
            .is_none_or(|c| settings.trusted_jurisdictions.contains(c));
        let recommended = if blocked || !trusted {
            "block"
        } else if a.tier == 3 {
            "needs_information"
        } else if svc.governance.enterprise_offering == Some(true) {
            "approve_with_conditions"
        } else {
            "needs_information"
        };
        let data_exposure = a
            .subscores
            .iter()
            .filter(|s| {
                matches!(
                    s.factor,
                    "trains_on_input"
                        | "retention"
                        | "volume_sent"
                        | "uploads"
                        | "sensitive_department"
                        | "account_type"
                )
            })
            .cloned()
            .collect();
        out.push(IntakeEntry {
            id: stable_id("SAI-I-", &["intake/v1", &svc.id]),
            status: "draft_auto",
            use_case_name: format!("{} ({}) use, discovered", svc.name, svc.vendor),
            summary: format!(
                "Auto-drafted from discovery: {}. No intake request exists for it; the purpose and the data involved are unknown.",
                evidence.summary
            ),
            service: ServiceFacts {
                service_id: svc.id.clone(),
                name: svc.name.clone(),
                vendor: svc.vendor.clone(),
                category: svc.category.clone(),
                description: svc.description.clone(),
                endpoints: endpoints_of(&g.findings),
                governance: svc.governance.clone(),
            },
            usage: Usage {
                departments,
                subjects,
                first_seen: g.findings.iter().filter_map(|f| f.first_seen).min(),
                last_seen: g.findings.iter().filter_map(|f| f.last_seen).max(),
                evidence,
            },
            data_exposure,
            triage: Triage {
                proposed_tier: a.tier,
                answers: a.triage,
                recommended_decision: recommended,
                linked_risk_ids: register_ids.iter().filter(|(s, _)| *s == svc.id).map(|(_, id)| id.clone()).collect(),
            },
            questions: QUESTIONS.to_vec(),
            decision_options: DECISIONS.to_vec(),
            governance_refs: vec!["ISO/IEC 42001 6.1.4", "ISO/IEC 42001 A.5.2", "ISO/IEC 42001 A.9.4", "NIST AI RMF GOVERN 1.6", "NIST AI RMF MAP 1.1"],
            lifecycle: None,
        });
    }
    out
}
