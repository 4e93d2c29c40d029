//! Endpoints as an input (issue 5): installed and stored AI software found by walking a
//! file tree, and inventory exports (osquery, EDR/MDM CSV) that list it.

pub mod artifact;
pub mod detect;
pub mod inventory;
pub mod run;
pub mod walk;
