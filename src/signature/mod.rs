//! The signature set: external AI services and the typed indicators that reveal their use.
//!
//! Files are read in two steps, as the style guide asks: `raw` (serde, unknown keys
//! rejected) → `compile` (validated, normalised, indexed, no I/O). `set` does the matching.

pub(crate) mod compile;
pub mod host;
mod raw;
mod set;
pub mod software;

pub use compile::{LoadError, SignatureSource, hex as hex_string};
pub use set::{Hit, MatchScratch};

use serde::Serialize;

/// Built-in signature files, embedded at build time from `signatures/`.
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_signatures.rs"));
}

pub const CATEGORIES: &[&str] = &[
    "chat-assistant",
    "model-api",
    "coding-assistant",
    "ai-search",
    "image-generation",
    "video-generation",
    "audio-generation",
    "model-hub",
    "inference-platform",
    "writing-assistant",
    "productivity-assistant",
    "meeting-assistant",
    "agent-platform",
    "translation",
    "local-ai",
];

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Facts about a service that governance reviews need.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Governance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hq_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trains_on_user_input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_retention: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_offering: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// What an example or an observation offers to match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Example {
    Host(String),
    Url(String),
    UserAgent(String),
    /// A software selector's normalised key (see [`software::key`]).
    Software(String),
}

impl std::fmt::Display for Example {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Example::Host(h) => write!(f, "host {h:?}"),
            Example::Url(u) => write!(f, "url {u:?}"),
            Example::UserAgent(u) => write!(f, "user_agent {u:?}"),
            Example::Software(k) => write!(f, "software {k:?}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub vendor_id: String,
    pub category: String,
    pub description: String,
    pub governance: Governance,
    pub examples_match: Vec<Example>,
    pub examples_no_match: Vec<Example>,
    /// Signature file the service came from (for messages).
    pub file: String,
}

/// Which part of an observation an indicator looks at.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Host,
    Path,
    UserAgent,
    Software,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Host => "host",
            Field::Path => "path",
            Field::UserAgent => "user_agent",
            Field::Software => "software",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Indicator {
    pub service: usize,
    pub field: Field,
    /// `selector:value` as written, e.g. `domain:openai.com`, shown in findings.
    pub label: String,
    pub confidence: Confidence,
    pub supporting: bool,
}

pub use set::SignatureSet;
