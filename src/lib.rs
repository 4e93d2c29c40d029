//! shadow-ai: finds unsanctioned use of external AI services in logs and turns it into
//! governance work.
//!
//! Data flows one way: sources → parsers → observations → signature engine → aggregation →
//! emitters. See `ARCHITECTURE.md` in the design notes for the full picture.
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod cli;
pub mod emit;
pub mod endpoint;
pub mod governance;
#[cfg(feature = "live-capture")]
pub mod live;
pub mod observation;
pub mod parse;
pub mod policy;
pub mod scan;
pub mod signature;
pub mod source;
pub mod state;
pub mod summary;
pub mod time;
