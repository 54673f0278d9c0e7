//! Classifying generated advisories with the shipped rules, in memory.

use std::collections::HashSet;
use std::time::Instant;

use crate::classify::model::AdvisoryView;
use crate::classify::rules::Rules;
use crate::config::Settings;
use crate::ingest::normalise::normalise;
use crate::ingest::parse::{Format, Input, parse};

pub fn run(n: usize, settings: &Settings) -> anyhow::Result<()> {
    let rules = Rules::load(&settings.classify.rules)?;
    let feed = super::ingest::generate_feed(n);
    let parsed = parse(
        Format::JvnRss,
        Input {
            bytes: &feed,
            content_type: None,
            origin: "bench",
        },
    )?;
    let views: Vec<AdvisoryView> = parsed
        .items
        .into_iter()
        .map(|a| AdvisoryView::from_normalised(&normalise(a)))
        .collect();
    // Every fifth advisory's CVE is "known exploited", so the KEV raise runs too.
    let kev: HashSet<String> = views
        .iter()
        .step_by(5)
        .flat_map(|v| v.cves.clone())
        .collect();
    println!(
        "classifying {} generated advisories with rules {}",
        crate::domain::text::count(n as u64),
        rules.version
    );
    let mut runs = Vec::new();
    let mut severities = std::collections::BTreeMap::new();
    for round in 0..5 {
        let started = Instant::now();
        for v in &views {
            let c = crate::classify::classify(&rules, v, &kev);
            if round == 0 {
                *severities.entry(c.severity.label_ja()).or_insert(0usize) += 1;
            }
        }
        runs.push(started.elapsed());
    }
    let mut sorted = runs.clone();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let list: Vec<String> = runs
        .iter()
        .map(|d| format!("{} ms", d.as_millis()))
        .collect();
    println!(
        "classification: {:>10}  (median of 5: {})",
        super::rate(n, median),
        list.join(", ")
    );
    println!("severities: {severities:?}");
    Ok(())
}
