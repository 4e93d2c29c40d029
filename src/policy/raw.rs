//! Rule files as written (serde). Validation lives in `compile.rs`.
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    pub schema: u32,
    #[serde(default)]
    pub department: Vec<RawDepartment>,
    #[serde(default)]
    pub exclusion: Vec<RawExclusion>,
    #[serde(default)]
    pub policy: Vec<RawPolicy>,
    #[serde(default)]
    pub test: Vec<RawTest>,
    pub risk: Option<RawRisk>,
    pub register: Option<RawRegister>,
}

/// `[risk]`: weights of the sub-scores and the jurisdictions the organisation trusts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    pub weights: Option<RawWeights>,
    pub trusted_jurisdictions: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeights {
    pub trains_on_input: Option<u32>,
    pub retention: Option<u32>,
    pub jurisdiction: Option<u32>,
    pub enterprise_offering: Option<u32>,
    pub category: Option<u32>,
    pub users: Option<u32>,
    pub volume_sent: Option<u32>,
    pub uploads: Option<u32>,
    pub sensitive_department: Option<u32>,
    pub account_type: Option<u32>,
}

/// `[register]`: how candidate register entries are cut.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegister {
    /// One entry per service and department instead of one per service.
    #[serde(default)]
    pub per_department: bool,
}

/// Who belongs to a department: users, client subnets, endpoint names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub endpoints: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepartment {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Handles sensitive data (raises risk later).
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExclusion {
    pub id: String,
    pub reason: String,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Only these services (default: all).
    #[serde(default)]
    pub services: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// A service id, or `*` for every service in `categories` (or every service).
    pub service: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub status: String,
    #[serde(default)]
    pub scope: Option<RawScope>,
    pub owner: Option<String>,
    pub reason: String,
    /// Next review date (YYYY-MM-DD).
    pub review: Option<String>,
    /// Approval end (YYYY-MM-DD): after it the rule no longer sanctions or tolerates.
    pub expires: Option<String>,
}

/// A rule test: a service used by a subject on a date gives a status (and department).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTest {
    pub service: String,
    pub user: Option<String>,
    pub client: Option<String>,
    pub date: String,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default)]
    pub allowed: bool,
    pub expect: String,
    pub department: Option<String>,
    pub excluded: Option<String>,
}
