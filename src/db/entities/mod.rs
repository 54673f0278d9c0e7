//! sea-orm entities, one file per table. Used only from capability `store.rs` files.

pub mod ack_events;
pub mod ack_links;
pub mod acknowledgements;
pub mod advisories;
pub mod advisory_attachments;
pub mod advisory_classifications;
pub mod advisory_cves;
pub mod advisory_revisions;
pub mod alert_advisories;
pub mod alert_audience;
pub mod alert_notes;
pub mod alert_revisions;
pub mod alerts;
pub mod api_tokens;
pub mod audit_log;
pub mod classification_changes;
pub mod deliveries;
pub mod follow_ups;
pub mod org_contacts;
pub mod org_products;
pub mod organisations;
pub mod raw_documents;
pub mod sessions;
pub mod sources;
pub mod users;
pub mod worker_state;
