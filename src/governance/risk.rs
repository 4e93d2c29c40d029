//! Explainable risk: sub-scores from what the service is and from what was seen, weighted
//! by the organisation's rules; likelihood × impact on a 5 × 5 matrix; and a tier from the
//! three triage questions (consequence of failure, who is affected, significance of the
//! decisions the use informs). Every number comes with its reason.

use crate::aggregate::Finding;
use crate::signature::Governance;
use serde::Serialize;

/// Weights of the sub-scores (`[risk.weights]` in the rules). A factor whose value cannot
/// be observed in the inputs is left out of the weighted average, and says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weights {
    pub trains_on_input: u32,
    pub retention: u32,
    pub jurisdiction: u32,
    pub enterprise_offering: u32,
    pub category: u32,
    pub users: u32,
    pub volume_sent: u32,
    pub uploads: u32,
    pub sensitive_department: u32,
    pub account_type: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            trains_on_input: 3,
            retention: 1,
            jurisdiction: 2,
            enterprise_offering: 1,
            category: 1,
            users: 2,
            volume_sent: 2,
            uploads: 2,
            sensitive_department: 3,
            account_type: 1,
        }
    }
}

/// Risk settings from the rules files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskSettings {
    pub weights: Weights,
    /// HQ countries (ISO 3166-1 alpha-2) whose data-protection regime the organisation
    /// accepts for its data.
    pub trusted_jurisdictions: Vec<String>,
}

impl Default for RiskSettings {
    fn default() -> Self {
        // EU/EEA members, and countries with an EU adequacy decision (as of 2026).
        let trusted = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO \
                       AD AR CA FO GG IL IM JP JE NZ KR CH GB UY US";
        RiskSettings {
            weights: Weights::default(),
            trusted_jurisdictions: trusted.split_whitespace().map(String::from).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubScore {
    pub factor: &'static str,
    /// 0–100; `None` when the inputs cannot show it.
    pub score: Option<u8>,
    pub weight: u32,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rating {
    /// 1–5 on the 5 × 5 matrix.
    pub value: u8,
    pub label: &'static str,
    pub rationale: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TriageAnswer {
    pub question: &'static str,
    pub answer: Level,
    pub reason: String,
}

/// The assessment of one AI system's use by a group of subjects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// Weighted average of the observable sub-scores, 0–100.
    pub score: u8,
    pub subscores: Vec<SubScore>,
    pub likelihood: Rating,
    pub impact: Rating,
    /// likelihood × impact, 1–25.
    pub inherent_score: u8,
    pub inherent_level: &'static str,
    /// 1 (low: light review) to 3 (high: full impact assessment before any approval).
    pub tier: u8,
    pub triage: Vec<TriageAnswer>,
}

/// What the assessment reads about the service and its use.
pub struct Exposure<'a> {
    pub category: &'a str,
    pub governance: &'a Governance,
    pub findings: &'a [&'a Finding],
}

/// Labels of CISO Assistant's `urn:intuitem:risk:matrix:5x5-iso27005` matrix, so the
/// ratings import as they are.
pub const MATRIX: &str = "urn:intuitem:risk:matrix:5x5-iso27005";
const LIKELIHOOD_LABELS: [&str; 5] = [
    "1 - unlikely",
    "2 - rather unlikely",
    "3 - likely",
    "4 - very likely",
    "5 - almost certain",
];
const IMPACT_LABELS: [&str; 5] = [
    "1 - minor",
    "2 - significant",
    "3 - serious",
    "4 - critical",
    "5 - catastrophic",
];

fn weighted(parts: &[&SubScore]) -> Option<u8> {
    let (sum, w) = parts
        .iter()
        .filter_map(|s| s.score.map(|v| (u32::from(v) * s.weight, s.weight)))
        .fold((0u32, 0u32), |(a, b), (x, y)| (a + x, b + y));
    (w > 0).then(|| (sum / w) as u8)
}

fn to_rating(score: Option<u8>, labels: &[&'static str; 5], parts: &[&SubScore]) -> Rating {
    let value = score.map_or(3, |s| (1 + s / 20).min(5));
    let rationale = parts
        .iter()
        .filter(|p| p.score.is_some() && p.weight > 0)
        .map(|p| format!("{}: {}", p.factor, p.reason))
        .collect::<Vec<_>>()
        .join("; ");
    let rationale = if score.is_none() {
        format!("nothing observable; assumed moderate. {rationale}")
    } else {
        rationale
    };
    Rating {
        value,
        label: labels[usize::from(value - 1)],
        rationale,
    }
}

/// How much data-handling weight a category carries (what users typically put in).
fn category_score(category: &str) -> (u8, &'static str) {
    match category {
        "meeting-assistant" => (85, "records and transcribes meetings"),
        "coding-assistant" => (75, "receives source code and secrets in context"),
        "agent-platform" => (80, "acts on systems and data on the user's behalf"),
        "model-api" | "inference-platform" => {
            (70, "programmatic use: bulk data can flow without review")
        }
        "chat-assistant" | "writing-assistant" | "productivity-assistant" => {
            (65, "free-text prompts and uploaded documents")
        }
        "ai-search" | "translation" => (50, "queries and texts to translate"),
        "model-hub" => (40, "models and datasets downloaded or shared"),
        _ => (40, "prompts and generated media"),
    }
}

/// Significance of the decisions the use informs, by category.
fn decision_significance(category: &str) -> (Level, &'static str) {
    match category {
        "agent-platform" | "model-api" | "inference-platform" | "coding-assistant" => (
            Level::High,
            "output flows into products, code or automated processing",
        ),
        "chat-assistant"
        | "writing-assistant"
        | "productivity-assistant"
        | "meeting-assistant"
        | "ai-search" => (Level::Medium, "output informs people's work and decisions"),
        _ => (
            Level::Low,
            "output is media, translation or a downloaded model reviewed by a person",
        ),
    }
}

pub fn assess(e: &Exposure<'_>, settings: &RiskSettings) -> Assessment {
    let w = &settings.weights;
    let g = e.governance;
    let mut subs = Vec::new();
    let (score, reason) = match g.trains_on_user_input.as_deref() {
        Some("yes") => (100, "trains on user input by default".to_string()),
        Some("opt-out") => (70, "trains on user input unless the user opts out".into()),
        Some("opt-in") => (30, "trains on user input only if the user opts in".into()),
        Some("no") => (0, "does not train on user input".into()),
        _ => (60, "training on user input unknown".into()),
    };
    subs.push(SubScore {
        factor: "trains_on_input",
        score: Some(score),
        weight: w.trains_on_input,
        reason,
    });
    let (score, reason) = match &g.data_retention {
        Some(r) => (40, format!("published retention: {r}")),
        None => (60, "retention terms unknown".into()),
    };
    subs.push(SubScore {
        factor: "retention",
        score: Some(score),
        weight: w.retention,
        reason,
    });
    let (score, reason) = match &g.hq_country {
        Some(c) if settings.trusted_jurisdictions.iter().any(|t| t == c) => (
            10,
            format!("operator headquartered in {c} (trusted jurisdiction)"),
        ),
        Some(c) => (
            100,
            format!("operator headquartered in {c}, outside the trusted jurisdictions"),
        ),
        None => (60, "operator's jurisdiction unknown".into()),
    };
    subs.push(SubScore {
        factor: "jurisdiction",
        score: Some(score),
        weight: w.jurisdiction,
        reason,
    });
    let (score, reason) = match g.enterprise_offering {
        Some(true) => (
            30,
            "an enterprise offering exists, but this use is not through a sanctioned contract"
                .to_string(),
        ),
        Some(false) => (80, "no enterprise offering: consumer terms apply".into()),
        None => (50, "enterprise offering unknown".into()),
    };
    subs.push(SubScore {
        factor: "enterprise_offering",
        score: Some(score),
        weight: w.enterprise_offering,
        reason,
    });
    let (score, why) = category_score(e.category);
    subs.push(SubScore {
        factor: "category",
        score: Some(score),
        weight: w.category,
        reason: format!("{}: {why}", e.category),
    });

    let subjects = e.findings.len();
    let users = e
        .findings
        .iter()
        .filter(|f| f.subject.kind == crate::aggregate::SubjectKind::User)
        .count();
    let score = match subjects {
        0..=1 => 20,
        2..=5 => 50,
        6..=20 => 75,
        _ => 100,
    };
    subs.push(SubScore {
        factor: "users",
        score: Some(score),
        weight: w.users,
        reason: format!("{subjects} subjects ({users} named users)"),
    });
    let logged: Vec<u64> = e.findings.iter().filter_map(|f| f.bytes_out).collect();
    let sent: u64 = logged.iter().sum();
    let (score, reason) = if logged.is_empty() {
        (
            None,
            "bytes sent are not logged by these inputs".to_string(),
        )
    } else {
        let s = match sent {
            0..=1_048_575 => 20,
            1_048_576..=104_857_599 => 60,
            _ => 100,
        };
        (Some(s), format!("{sent} bytes sent"))
    };
    subs.push(SubScore {
        factor: "volume_sent",
        score,
        weight: w.volume_sent,
        reason,
    });
    let paths_seen = e
        .findings
        .iter()
        .any(|f| f.observed_as.contains(&"http_request"));
    let uploads: Vec<&str> = e
        .findings
        .iter()
        .flat_map(|f| &f.matched)
        .filter(|m| {
            m.field == crate::signature::Field::Path || m.field == crate::signature::Field::Host
        })
        .map(|m| m.value.as_str())
        .filter(|v| v.contains("upload") || v.contains("/files") || v.contains("attachments"))
        .collect();
    let (score, reason) = if !uploads.is_empty() {
        (
            Some(100),
            format!(
                "upload endpoints used: {}",
                uploads
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else if paths_seen {
        (
            Some(0),
            "URL paths visible and no upload endpoint seen".to_string(),
        )
    } else {
        (
            None,
            "URL paths not visible (DNS, TLS or CONNECT only)".to_string(),
        )
    };
    subs.push(SubScore {
        factor: "uploads",
        score,
        weight: w.uploads,
        reason,
    });
    let depts: Vec<&crate::policy::DepartmentRef> = e
        .findings
        .iter()
        .filter_map(|f| f.policy.as_ref().and_then(|p| p.department.as_ref()))
        .collect();
    let sensitive: Vec<&str> = {
        let mut v: Vec<&str> = depts
            .iter()
            .filter(|d| d.sensitive)
            .map(|d| d.name.as_str())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (score, reason) = if !sensitive.is_empty() {
        (
            Some(100),
            format!("used in sensitive departments: {}", sensitive.join(", ")),
        )
    } else if !depts.is_empty() {
        (Some(0), "no sensitive department involved".to_string())
    } else {
        (None, "no department mapping for these subjects".to_string())
    };
    subs.push(SubScore {
        factor: "sensitive_department",
        score,
        weight: w.sensitive_department,
        reason,
    });
    subs.push(SubScore {
        factor: "account_type",
        score: None,
        weight: w.account_type,
        reason: "personal vs corporate account is not visible in these inputs".into(),
    });

    let by = |names: &[&str]| -> Vec<&SubScore> {
        subs.iter().filter(|s| names.contains(&s.factor)).collect()
    };
    let impact_parts = by(&[
        "trains_on_input",
        "retention",
        "jurisdiction",
        "enterprise_offering",
        "category",
        "sensitive_department",
        "account_type",
    ]);
    let likelihood_parts = by(&["users", "volume_sent", "uploads"]);
    let impact = to_rating(weighted(&impact_parts), &IMPACT_LABELS, &impact_parts);
    let likelihood = to_rating(
        weighted(&likelihood_parts),
        &LIKELIHOOD_LABELS,
        &likelihood_parts,
    );
    let all: Vec<&SubScore> = subs.iter().collect();
    let score = weighted(&all).unwrap_or(50);
    let inherent = likelihood.value * impact.value;
    let inherent_level = match inherent {
        1..=4 => "low",
        5..=9 => "medium",
        10..=16 => "high",
        _ => "critical",
    };

    // Triage.
    let consequence = match impact.value {
        4..=5 => Level::High,
        3 => Level::Medium,
        _ => Level::Low,
    };
    let affected = if !sensitive.is_empty() || subjects > 20 {
        Level::High
    } else if subjects > 5 {
        Level::Medium
    } else {
        Level::Low
    };
    let (significance, sig_why) = decision_significance(e.category);
    let triage = vec![
        TriageAnswer {
            question: "consequence of failure",
            answer: consequence,
            reason: format!(
                "impact {}: data handling, jurisdiction and training terms",
                impact.label
            ),
        },
        TriageAnswer {
            question: "who is affected",
            answer: affected,
            reason: if sensitive.is_empty() {
                format!("{subjects} subjects; no sensitive department")
            } else {
                format!("{subjects} subjects, including {}", sensitive.join(", "))
            },
        },
        TriageAnswer {
            question: "decision significance",
            answer: significance,
            reason: format!("{}: {sig_why}", e.category),
        },
    ];
    let highs = triage.iter().filter(|t| t.answer == Level::High).count();
    let mediums = triage.iter().filter(|t| t.answer == Level::Medium).count();
    let tier = if consequence == Level::High && highs >= 2 || highs == 3 {
        3
    } else if highs >= 1 || mediums >= 2 {
        2
    } else {
        1
    };
    Assessment {
        score,
        subscores: subs,
        likelihood,
        impact,
        inherent_score: inherent,
        inherent_level,
        tier,
        triage,
    }
}
