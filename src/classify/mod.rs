//! Classification: for each advisory, its categories, severity, affected products and relevance
//! to local government, with the rules that fired and the text they matched. Rules are a TOML
//! file central staff can edit (`feeds/classification.toml`). Owns `advisory_classifications`,
//! `classification_changes` and `worker_state`; reads advisories through the ingest store and
//! hands classified advisories to the alerts draft policy.

pub mod engine;
pub mod model;
pub mod rules;
pub mod store;

pub use engine::classify;
