//! Mail that belongs to no alert, one recipient each: notices to the hub administrators (a
//! privileged account was reset or disabled), contact-confirmation requests (連絡先確認) and
//! the mails of incident reports (each 報 to the prefecture and the desk, reminders), which
//! carry their report's id so the rows are that report's per-recipient ledger. Owns
//! `admin_notices`; a capability queues a notice in the transaction of the change it reports,
//! and the worker sends it. Never reads other capabilities' tables.

pub mod once;
pub mod store;
pub mod worker;
