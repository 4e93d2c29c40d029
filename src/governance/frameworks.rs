//! Framework references cited by register and intake entries. Identifiers as published by
//! ISO/IEC 42001:2023 (clauses, Annex A), NIST AI RMF 1.0 (subcategories), MITRE ATLAS
//! and the Databricks AI Security Framework; titles as CISO Assistant's libraries give them.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub id: &'static str,
    pub title: &'static str,
}

const fn r(id: &'static str, title: &'static str) -> Reference {
    Reference { id, title }
}

/// ISO/IEC 42001 clauses every shadow-AI register entry touches.
pub const ISO42001_CLAUSES: &[Reference] = &[
    r("4.3", "Determining the scope of the AI management system"),
    r("5.2", "AI policy"),
    r("6.1.2", "AI risk assessment"),
    r("6.1.3", "AI risk treatment"),
    r("6.1.4", "AI system impact assessment"),
    r("8.2", "AI risk assessment (operation)"),
];

/// Annex A controls that apply to any unsanctioned use.
pub const ANNEX_A_ALWAYS: &[Reference] = &[
    r("A.2.2", "AI policy"),
    r("A.5.2", "AI system impact assessment process"),
    r("A.9.2", "Processes for responsible use of AI systems"),
    r("A.9.4", "Intended use of the AI system"),
    r("A.10.3", "Suppliers"),
];
/// Programmatic use (APIs, coding assistants, agents): undocumented tooling.
pub const ANNEX_A_TOOLING: Reference = r("A.4.4", "Tooling resources");
/// Data leaves the organisation in volume or from sensitive departments.
pub const ANNEX_A_DATA: Reference = r("A.9.3", "Objectives for responsible use of AI system");
/// The device blocked use, or use went through despite a block: incident communication.
pub const ANNEX_A_INCIDENT: Reference = r("A.8.4", "Communication of incidents");

pub const NIST_ALWAYS: &[Reference] = &[
    r(
        "GOVERN 1.6",
        "Mechanisms are in place to inventory AI systems and are resourced according to organizational risk priorities",
    ),
    r(
        "GOVERN 6.1",
        "Policies and procedures are in place that address AI risks associated with third-party entities",
    ),
    r(
        "MAP 4.1",
        "Approaches for mapping AI technology and legal risks of its components are in place, followed, and documented",
    ),
    r(
        "MANAGE 3.1",
        "AI risks and benefits from third-party resources are regularly monitored, and risk controls are applied and documented",
    ),
];
pub const NIST_DATA: Reference = r(
    "MEASURE 2.10",
    "Privacy risk of the AI system is examined and documented",
);

/// ATLAS only where the evidence supports it: observed API inference traffic.
pub const ATLAS_API_ACCESS: Reference = r("AML.T0040", "AI Model Inference API Access");
pub const DASF_SAAS: Reference = r("Platform 12.6", "Lack of compliance");
pub const DASF_API: Reference = r(
    "Model Serving — Inference requests 9.11",
    "Model Inference API Access",
);
