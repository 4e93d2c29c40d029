//! Signature files as written (serde). Validation lives in `compile.rs`.
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub schema: u32,
    pub vendor: String,
    pub vendor_id: String,
    #[serde(default)]
    pub service: Vec<RawService>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    #[serde(default)]
    pub governance: RawGovernance,
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
    pub examples: RawExamples,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGovernance {
    pub hq_country: Option<String>,
    pub trains_on_user_input: Option<String>,
    pub data_retention: Option<String>,
    pub enterprise_offering: Option<bool>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// One indicator: exactly one selector key (`domain`, `host`, `host_pattern`, `path`,
/// `user_agent`, or a software selector) plus its qualifiers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub domain: Option<String>,
    pub host: Option<String>,
    pub host_pattern: Option<String>,
    pub path: Option<String>,
    pub user_agent: Option<String>,
    /// Software selectors: accepted and validated now, matched by the endpoint inputs.
    pub package: Option<String>,
    pub ecosystem: Option<String>,
    pub bundle_id: Option<String>,
    pub extension: Option<String>,
    pub store: Option<String>,
    pub executable: Option<String>,
    pub confidence: String,
    #[serde(default)]
    pub supporting: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExamples {
    #[serde(rename = "match")]
    pub matches: Vec<RawExample>,
    pub no_match: Vec<RawExample>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawExample {
    Host(String),
    Typed(RawTypedExample),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTypedExample {
    pub url: Option<String>,
    pub user_agent: Option<String>,
}
