//! Governance outputs built from findings and the policy's verdicts: candidate AI
//! risk-register entries (one per unsanctioned service, per department when configured)
//! and AI use-case intake entries (one per service awaiting a decision).

pub mod frameworks;
pub mod intake;
pub mod register;
pub mod risk;

use crate::aggregate::Finding;
use sha2::{Digest, Sha256};

/// A stable short id from its parts: the same inputs give the same id on every run.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!(
        "{prefix}{}",
        crate::signature::hex_string(&h.finalize()[..6])
    )
}

/// Findings that need governance attention: unsanctioned or blocked-but-used, and not
/// excluded.
pub fn needs_attention(f: &Finding) -> bool {
    f.policy
        .as_ref()
        .is_some_and(|v| v.status.needs_attention() && v.excluded.is_none())
}
