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
    pub config_path: Option<String>,
    pub api_key: Option<String>,
    pub model_format: Option<String>,
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
    Typed(Box<RawTypedExample>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTypedExample {
    pub url: Option<String>,
    pub user_agent: Option<String>,
    pub package: Option<String>,
    pub ecosystem: Option<String>,
    pub bundle_id: Option<String>,
    pub extension: Option<String>,
    pub store: Option<String>,
    pub executable: Option<String>,
    pub config_path: Option<String>,
    pub api_key: Option<String>,
    pub model_format: Option<String>,
}

/// The software selector of an indicator or an example table.
#[derive(Debug, Default)]
pub struct RawSoftware {
    pub package: Option<String>,
    pub ecosystem: Option<String>,
    pub bundle_id: Option<String>,
    pub extension: Option<String>,
    pub store: Option<String>,
    pub executable: Option<String>,
    pub config_path: Option<String>,
    pub api_key: Option<String>,
    pub model_format: Option<String>,
}

impl RawSoftware {
    /// The selector's normalised key; `Ok(None)` when no software key is set.
    pub fn key(&self) -> Result<Option<String>, String> {
        let one = |kind: &str, q: Option<&String>, v: &String, need: &str| {
            let q = match (q, need) {
                (Some(q), _) => q.as_str(),
                (None, "") => "",
                (None, need) => return Err(format!("a {kind} needs a `{need}`")),
            };
            super::software::key(kind, q, v).map(Some)
        };
        let set = [
            self.package.is_some(),
            self.bundle_id.is_some(),
            self.extension.is_some(),
            self.executable.is_some(),
            self.config_path.is_some(),
            self.api_key.is_some(),
            self.model_format.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if set > 1 {
            return Err("give one software selector per indicator or example".into());
        }
        if let Some(p) = &self.package {
            one("package", self.ecosystem.as_ref(), p, "ecosystem")
        } else if let Some(e) = &self.extension {
            one("extension", self.store.as_ref(), e, "store")
        } else if let Some(b) = &self.bundle_id {
            one("bundle_id", None, b, "")
        } else if let Some(x) = &self.executable {
            one("executable", None, x, "")
        } else if let Some(c) = &self.config_path {
            one("config_path", None, c, "")
        } else if let Some(k) = &self.api_key {
            one("api_key", None, k, "")
        } else if let Some(f) = &self.model_format {
            one("model_format", None, f, "")
        } else if self.ecosystem.is_some() || self.store.is_some() {
            Err("`ecosystem` goes with `package`, `store` with `extension`".into())
        } else {
            Ok(None)
        }
    }
}

macro_rules! software_of {
    ($t:ty) => {
        impl $t {
            pub fn software(&self) -> RawSoftware {
                RawSoftware {
                    package: self.package.clone(),
                    ecosystem: self.ecosystem.clone(),
                    bundle_id: self.bundle_id.clone(),
                    extension: self.extension.clone(),
                    store: self.store.clone(),
                    executable: self.executable.clone(),
                    config_path: self.config_path.clone(),
                    api_key: self.api_key.clone(),
                    model_format: self.model_format.clone(),
                }
            }
        }
    };
}
software_of!(RawIndicator);
software_of!(RawTypedExample);
