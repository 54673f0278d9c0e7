//! Feed throughput: the portal benchmark's database (all 1,788 local governments, N published
//! alerts), a read token of 千代田区, and `wrk` on its organisation feed (the newest 500
//! entries) three ways: conditional GETs answered 304, full answers from the render cache, and
//! full answers rendered every time (render cache off). Prints requests/s and latency.

use std::time::{Duration, Instant};

use anyhow::Context;

use super::portal::{bench_settings, check_load, field, percentile, seed, wrk, wrk_version};
use crate::audit::Actor;
use crate::auth::tokens::{self, NewToken, Scope};
use crate::config::Settings;
use crate::context::AppContext;
use crate::registry::OrgCode;
use crate::startup::Application;

pub async fn run(
    alerts: usize,
    clients: usize,
    seconds: u64,
    settings: &Settings,
) -> anyhow::Result<()> {
    check_load(alerts, clients, seconds)?;
    let wrk_version = wrk_version()?;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let seeded = AppContext::connect(bench_settings(settings, dir.path())).await?;
    let (_, inbox) = seed(&seeded, alerts).await?;
    let chiyoda = crate::registry::store::find_by_code(
        &seeded.db,
        OrgCode::parse("131016").map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .await?
    .context("千代田区 is seeded")?;
    let (token, _) = tokens::create(
        &seeded.db,
        NewToken {
            org: chiyoda.id,
            name: "feed benchmark".into(),
            scopes: vec![Scope::Read],
            days: None,
        },
        &Actor::System,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    seeded.db.clone().close().await?;
    println!(
        "seeded {} alerts over 1,788 local governments in {:.1} s; {} are addressed to 千代田区",
        crate::domain::text::count(alerts as u64),
        started.elapsed().as_secs_f64(),
        crate::domain::text::count(inbox as u64),
    );
    println!(
        "{wrk_version}; {clients} connections, 2 threads, {seconds} s per run after a 2 s warm-up; \
         the hub serves on the same 2 cores"
    );
    for (cached, runs) in [
        (
            true,
            &["conditional GET (304)", "full answer (render cache)"][..],
        ),
        (false, &["full answer (rendered each time)"][..]),
    ] {
        let mut s = bench_settings(settings, dir.path());
        s.database.migrate_on_start = false;
        s.feeds.render_cache_entries = if cached { 256 } else { 0 };
        let ctx = AppContext::connect(s).await?;
        let app = Application::build_with_context(ctx.clone(), ctx.settings.app.roles)?;
        let port = app.port().context("the web role has a port")?;
        let server = tokio::spawn(app.run_until_stopped());
        for (format, label) in [("rss", "RSS"), ("json", "JSON Feed")] {
            let url = format!("http://127.0.0.1:{port}/feeds/{token}/alerts.{format}");
            let first = reqwest::get(&url).await?;
            anyhow::ensure!(
                first.status().is_success(),
                "the feed answered {}",
                first.status()
            );
            let etag = first
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .context("the feed has an ETag")?
                .to_owned();
            let body = first.bytes().await?;
            let entries = if format == "json" {
                serde_json::from_slice::<serde_json::Value>(&body)?["items"]
                    .as_array()
                    .map_or(0, Vec::len)
            } else {
                body.windows(6).filter(|w| w == b"<item>").count()
            };
            for run in runs {
                let headers = if run.starts_with("conditional") {
                    vec![format!("If-None-Match: {etag}")]
                } else {
                    Vec::new()
                };
                wrk(&url, &headers, clients, 2).await?;
                let out = wrk(&url, &headers, clients, seconds).await?;
                let p = |q: &str| percentile(&out, q).unwrap_or_else(|| "?".into());
                println!(
                    "{label:<9} {entries} entries, {} KB: {run:<33} {} requests/s, median {}, p99 {}, {} errors",
                    body.len() / 1024,
                    field(&out, "Requests/sec:").unwrap_or_else(|| "?".into()),
                    p("50%"),
                    p("99%"),
                    field(&out, "Non-2xx or 3xx responses:").unwrap_or_else(|| "0".into()),
                );
            }
        }
        ctx.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    }
    Ok(())
}
