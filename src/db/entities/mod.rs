//! sea-orm entities, one file per table. Used only from capability `store.rs` files.

pub mod audit_log;
pub mod organisations;
pub mod users;
