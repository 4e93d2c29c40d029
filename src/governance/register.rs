//! Candidate AI risk-register entries: one per unsanctioned service (per department when
//! the rules ask for it), with evidence, likelihood × impact, tier, proposed treatment and
//! the framework references that apply. Status is always `candidate`: a person decides.

use super::frameworks::{self as fw, Reference};
use super::risk::{Assessment, Exposure, MATRIX, RiskSettings, assess};
use super::{needs_attention, stable_id};
use crate::aggregate::{Evidence, Finding, SubjectKind, ser_time};
use crate::policy::Status;
use crate::signature::{Governance, SignatureSet};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct AiSystem {
    pub service_id: String,
    pub name: String,
    pub vendor: String,
    pub category: String,
    pub description: String,
    /// Hosts the use was seen on.
    pub endpoints: Vec<String>,
    pub governance: Governance,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvidenceSummary {
    pub finding_ids: Vec<String>,
    pub subjects: usize,
    pub users: usize,
    pub clients: usize,
    pub events: u64,
    pub blocked: u64,
    pub bytes_out: Option<u64>,
    pub bytes_in: Option<u64>,
    pub statuses: BTreeMap<&'static str, u64>,
    /// A few lines an analyst can open.
    pub samples: Vec<Evidence>,
    pub summary: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Treatment {
    /// `modify`, `avoid`, `transfer` or `accept` (ISO 31000 vocabulary as CISO Assistant
    /// names it: mitigate = modify).
    pub option: &'static str,
    pub rationale: String,
    pub suggested_controls: Vec<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FrameworkRefs {
    pub iso42001_clauses: Vec<Reference>,
    pub iso42001_annex_a: Vec<Reference>,
    pub nist_ai_rmf: Vec<Reference>,
    pub mitre_atlas: Vec<Reference>,
    pub dasf: Vec<Reference>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegisterEntry {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: &'static str,
    pub risk_source: &'static str,
    pub ai_system: AiSystem,
    pub department: Option<String>,
    pub evidence: EvidenceSummary,
    pub matrix: &'static str,
    pub assessment: Assessment,
    pub treatment: Treatment,
    pub frameworks: FrameworkRefs,
    /// From the deciding policy rule; empty for triage when no rule names one.
    pub owner: Option<String>,
    pub intake_id: String,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Timestamp>,
    /// New or recurring across recorded scans (set when a state database is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<crate::state::Lifecycle>,
}

/// Findings of one service (and department, when split) that need attention.
pub(crate) struct Group<'a> {
    pub service: usize,
    pub department: Option<String>,
    pub findings: Vec<&'a Finding>,
}

/// Groups the findings that need attention by service, and by department if asked.
pub(crate) fn groups<'a>(
    sigs: &SignatureSet,
    findings: &'a [Finding],
    per_department: bool,
) -> Vec<Group<'a>> {
    let mut by: BTreeMap<(usize, Option<String>), Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| needs_attention(f)) {
        let Some(service) = sigs.services().iter().position(|s| s.id == f.service.id) else {
            continue;
        };
        let dept = if per_department {
            f.policy
                .as_ref()
                .and_then(|p| p.department.as_ref())
                .map(|d| d.name.clone())
        } else {
            None
        };
        by.entry((service, dept)).or_default().push(f);
    }
    by.into_iter()
        .map(|((service, department), findings)| Group {
            service,
            department,
            findings,
        })
        .collect()
}

pub(crate) fn evidence_of(findings: &[&Finding]) -> EvidenceSummary {
    let count = |k| findings.iter().filter(|f| f.subject.kind == k).count();
    let sum = |get: fn(&Finding) -> Option<u64>| -> Option<u64> {
        let v: Vec<u64> = findings.iter().filter_map(|f| get(f)).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let mut statuses = BTreeMap::new();
    for f in findings {
        if let Some(p) = &f.policy {
            *statuses.entry(p.status.as_str()).or_insert(0) += 1;
        }
    }
    let mut samples: Vec<Evidence> = findings
        .iter()
        .flat_map(|f| f.evidence.iter().take(1).cloned())
        .collect();
    samples.truncate(5);
    let events = findings.iter().map(|f| f.events).sum();
    let blocked = findings
        .iter()
        .map(|f| f.actions.get("blocked").copied().unwrap_or(0))
        .sum();
    let (users, clients) = (count(SubjectKind::User), count(SubjectKind::Client));
    let bytes_out = sum(|f| f.bytes_out);
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut summary = format!(
        "{events} events by {} ({}, {})",
        plural(findings.len(), "subject", "subjects"),
        plural(users, "named user", "named users"),
        plural(clients, "client address", "client addresses")
    );
    if blocked > 0 {
        summary += &format!("; {blocked} blocked by the device");
    }
    if let Some(b) = bytes_out {
        summary += &format!("; {b} bytes sent");
    }
    EvidenceSummary {
        finding_ids: findings.iter().map(|f| f.id.clone()).collect(),
        subjects: findings.len(),
        users,
        clients,
        events,
        blocked,
        bytes_out,
        bytes_in: sum(|f| f.bytes_in),
        statuses,
        samples,
        summary,
    }
}

pub(crate) fn endpoints_of(findings: &[&Finding]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .flat_map(|f| &f.matched)
        .filter(|m| m.field == crate::signature::Field::Host)
        .map(|m| m.value.clone())
        .collect();
    v.sort();
    v.dedup();
    v.truncate(20);
    v
}

fn treatment(
    a: &Assessment,
    blocked_but_used: bool,
    trusted: bool,
    enterprise: Option<bool>,
) -> Treatment {
    if blocked_but_used {
        return Treatment {
            option: "avoid",
            rationale: "the service is blocked, yet it was used or attempts were logged".into(),
            suggested_controls: vec![
                "Enforce the block at the proxy, DNS resolver and firewall",
                "Investigate how the block was bypassed (personal devices, DoH, VPN)",
                "Offer a sanctioned alternative for the need behind the attempts",
            ],
        };
    }
    if !trusted {
        return Treatment {
            option: "avoid",
            rationale: "the operator is outside the trusted jurisdictions".into(),
            suggested_controls: vec![
                "Block the service at the proxy and DNS resolver",
                "Offer a sanctioned alternative",
                "Inform the users of the decision and the reason",
            ],
        };
    }
    if a.tier == 1 {
        return Treatment {
            option: "accept",
            rationale: "tier 1: low consequence, few people, low decision significance".into(),
            suggested_controls: vec![
                "Record the use case through the AI intake process",
                "Keep monitoring with scheduled scans",
            ],
        };
    }
    if enterprise == Some(true) {
        return Treatment {
            option: "transfer",
            rationale:
                "an enterprise offering exists: contract terms can carry the data-protection duties"
                    .into(),
            suggested_controls: vec![
                "Contract the enterprise tier with a data processing agreement and no-training terms",
                "Enforce single sign-on and tenant restrictions so only the corporate tenant is used",
                "Update the AI policy and inform users of the sanctioned route",
            ],
        };
    }
    Treatment {
        option: "modify",
        rationale: "reduce exposure while the use case goes through intake".into(),
        suggested_controls: vec![
            "Route use through a sanctioned AI gateway or alternative",
            "DLP rules for prompts and uploads to AI services",
            "User awareness briefing on the AI acceptable-use policy",
        ],
    }
}

/// Builds the candidate register entries.
pub fn entries(
    sigs: &SignatureSet,
    findings: &[Finding],
    settings: &RiskSettings,
    per_department: bool,
) -> Vec<RegisterEntry> {
    let mut out = Vec::new();
    for g in groups(sigs, findings, per_department) {
        let svc = &sigs.services()[g.service];
        let exposure = Exposure {
            category: &svc.category,
            governance: &svc.governance,
            findings: &g.findings,
        };
        let assessment = assess(&exposure, settings);
        let evidence = evidence_of(&g.findings);
        let blocked_but_used = g.findings.iter().any(|f| {
            f.policy
                .as_ref()
                .is_some_and(|p| p.status == Status::BlockedButUsed)
        });
        let trusted = svc
            .governance
            .hq_country
            .as_ref()
            .is_none_or(|c| settings.trusted_jurisdictions.contains(c));
        let treatment = treatment(
            &assessment,
            blocked_but_used,
            trusted,
            svc.governance.enterprise_offering,
        );
        let programmatic = matches!(
            svc.category.as_str(),
            "model-api" | "inference-platform" | "coding-assistant" | "agent-platform"
        );
        let data_signal = assessment.subscores.iter().any(|s| {
            matches!(s.factor, "uploads" | "volume_sent" | "sensitive_department")
                && s.score.is_some_and(|v| v >= 60)
        });
        let mut annex: Vec<Reference> = fw::ANNEX_A_ALWAYS.to_vec();
        if programmatic {
            annex.push(fw::ANNEX_A_TOOLING);
        }
        if data_signal {
            annex.push(fw::ANNEX_A_DATA);
        }
        if blocked_but_used {
            annex.push(fw::ANNEX_A_INCIDENT);
        }
        let mut nist = fw::NIST_ALWAYS.to_vec();
        if data_signal {
            nist.push(fw::NIST_DATA);
        }
        // ATLAS only where the evidence shows API inference traffic (a path on an API host).
        let api_traffic = programmatic
            && g.findings.iter().any(|f| {
                f.observed_as.contains(&"http_request")
                    || f.matched
                        .iter()
                        .any(|m| m.field == crate::signature::Field::Path)
            });
        let atlas = if api_traffic {
            vec![fw::ATLAS_API_ACCESS]
        } else {
            vec![]
        };
        let dasf = if programmatic {
            vec![fw::DASF_SAAS, fw::DASF_API]
        } else {
            vec![fw::DASF_SAAS]
        };
        let dept_key = g.department.clone().unwrap_or_default();
        let owner = g
            .findings
            .iter()
            .find_map(|f| f.policy.as_ref().and_then(|p| p.owner.clone()));
        let whom = match (&g.department, evidence.subjects) {
            (Some(d), _) => format!("in {d}"),
            (None, 1) => "by 1 subject".to_string(),
            (None, n) => format!("by {n} subjects"),
        };
        // "OpenAI API (OpenAI)" reads twice; name the vendor only where it adds something.
        let system = if svc.name.contains(&svc.vendor) || svc.vendor.starts_with("Unknown") {
            svc.name.clone()
        } else {
            format!("{} ({})", svc.name, svc.vendor)
        };
        out.push(RegisterEntry {
            id: stable_id("SAI-R-", &["register/v1", &svc.id, &dept_key]),
            title: format!("Unsanctioned use of {system} {whom}"),
            description: format!(
                "Because {} is used outside the AI use-case intake process ({}), data entered into it may be processed, retained or used for training by {} under terms the organisation has not assessed, leading to confidentiality, compliance and decision-quality risks. {}",
                svc.name,
                evidence.summary,
                svc.vendor,
                svc.description
            ),
            status: "candidate",
            risk_source: "shadow AI",
            ai_system: AiSystem {
                service_id: svc.id.clone(),
                name: svc.name.clone(),
                vendor: svc.vendor.clone(),
                category: svc.category.clone(),
                description: svc.description.clone(),
                endpoints: endpoints_of(&g.findings),
                governance: svc.governance.clone(),
            },
            department: g.department.clone(),
            first_seen: g.findings.iter().filter_map(|f| f.first_seen).min(),
            last_seen: g.findings.iter().filter_map(|f| f.last_seen).max(),
            evidence,
            matrix: MATRIX,
            assessment,
            treatment,
            frameworks: FrameworkRefs {
                iso42001_clauses: fw::ISO42001_CLAUSES.to_vec(),
                iso42001_annex_a: annex,
                nist_ai_rmf: nist,
                mitre_atlas: atlas,
                dasf,
            },
            owner,
            intake_id: stable_id("SAI-I-", &["intake/v1", &svc.id]),
            lifecycle: None,
        });
    }
    out
}
