//! `noroshi bench …`: benchmarks that print their figures. Run them in release mode; the README
//! keeps the latest figures with the command that produced them. Nothing here is asserted in tests.

pub mod classify;
pub mod drill;
pub mod fanout;
pub mod feeds;
pub mod ingest;
pub mod magazine;
pub mod portal;
pub mod search;
pub mod surveys;
pub mod takeover;

use std::time::Duration;

/// The machine the figures come from: CPU model and logical cores (printed first by every
/// benchmark, so a figure copied into the README carries its machine).
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    format!("machine: {model}, {cores} logical cores")
}

/// `12,345/s`
pub fn rate(n: usize, elapsed: Duration) -> String {
    let per_sec = n as f64 / elapsed.as_secs_f64().max(1e-9);
    crate::domain::text::count(per_sec.round() as u64) + "/s"
}

/// The middle of the durations.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The `p`th percentile, nearest rank.
pub fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort_unstable();
    v.get((v.len() * p).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or_default()
}

/// GETs `url` with `cookie` `requests` times, one at a time, after three that warm the caches
/// and the connection; returns each time and the size of the last answer.
pub async fn time_gets(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    requests: usize,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut times = Vec::with_capacity(requests);
    let mut bytes = 0;
    for i in 0..requests + 3 {
        let t = std::time::Instant::now();
        let r = client.get(url).header("Cookie", cookie).send().await?;
        anyhow::ensure!(r.status().is_success(), "{url} answered {}", r.status());
        bytes = r.bytes().await?.len();
        if i >= 3 {
            times.push(t.elapsed());
        }
    }
    Ok((times, bytes))
}
