//! sea-orm entities, one file per table. Used only from capability `store.rs` files.

pub mod advisories;
pub mod advisory_attachments;
pub mod advisory_cves;
pub mod advisory_revisions;
pub mod audit_log;
pub mod organisations;
pub mod raw_documents;
pub mod sources;
pub mod users;
