//! Notices to the hub administrators: mail that belongs to no alert (a privileged account was
//! reset or disabled). Owns `admin_notices`; a capability queues a notice in the transaction of
//! the change it reports, and the worker sends it. Never reads other capabilities' tables.

pub mod store;
pub mod worker;
