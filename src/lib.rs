//! Noroshi (狼煙): the advisory distribution hub for Japanese local governments (自治体CEPTOAR).
//!
//! One folder per capability; `startup` builds the application from `config` and hands every
//! handler one `context::AppContext`; `jobs` hands each worker step only what it uses, so no
//! capability imports the context. The README's Layout and Security model sections say how the
//! parts fit and who may use what (`web::access`); `tests/integration/layers.rs` keeps the layers.

pub mod acks;
pub mod alerts;
pub mod api;
pub mod audit;
pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cache;
pub mod cases;
pub mod classify;
pub mod cli;
pub mod config;
pub mod contacts;
pub mod context;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod drills;
pub mod error;
pub mod feeds;
pub mod files;
pub mod health;
pub mod inbound;
pub mod ingest;
pub mod inquiries;
pub mod inventory;
pub mod jobs;
pub mod keys;
pub mod magazine;
pub mod maildir;
pub mod notices;
pub mod portal;
pub mod registry;
pub mod reports;
pub mod search;
/// A recording SMTP server for the tests and the benchmarks (not in release images).
#[cfg(feature = "bench")]
pub mod smtp_sink;
pub mod startup;
pub mod surveys;
pub mod telemetry;
pub mod time;
pub mod web;
pub mod workers;
pub mod yearly;
