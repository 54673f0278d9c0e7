//! `noroshi bench …`: benchmarks that print their figures. Run them in release mode; the README
//! keeps the latest figures with the command that produced them. Nothing here is asserted in tests.

pub mod classify;
pub mod drill;
pub mod fanout;
pub mod feeds;
pub mod ingest;
pub mod portal;
pub mod search;
pub mod surveys;
pub mod takeover;

use std::time::Duration;

/// `12,345/s`
pub fn rate(n: usize, elapsed: Duration) -> String {
    let per_sec = n as f64 / elapsed.as_secs_f64().max(1e-9);
    crate::domain::text::count(per_sec.round() as u64) + "/s"
}
