//! `noroshi bench magazine`: one メールマガジン issue to many self-subscribed readers, DKIM-signed,
//! into postfix's `smtp-sink`, timed from approval to the last ledger row, with the hub's resident
//! memory sampled throughout. The readers are written by the database (`INSERT … SELECT` over a
//! generated series), as publication writes their ledger rows; nothing holds them all in memory.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sea_orm::ConnectionTrait;
use secrecy::SecretString;

use super::fanout::{Sink, check_server_url, dkim_keys, drop_database, fresh_database};
use crate::config::Settings;
use crate::context::AppContext;

/// This process's resident set, in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Writes `n` active subscribers spread over every organisation, in the database.
async fn seed_subscribers(db: &sea_orm::DatabaseConnection, n: usize) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT MIN(id) AS lo, MAX(id) AS hi FROM organisations",
        ))
        .await?
        .context("no organisations")?;
    let (lo, hi): (i64, i64) = (row.try_get("", "lo")?, row.try_get("", "hi")?);
    let span = hi - lo + 1;
    let series = if backend == sea_orm::DatabaseBackend::Postgres {
        format!("SELECT g AS n FROM generate_series(1, {n}) AS g")
    } else {
        format!(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {n}) SELECT n FROM seq"
        )
    };
    let sql = format!(
        "INSERT INTO magazine_subscribers (email, organisation_id, language, encoding, status, \
           confirm_hash, confirm_expires_at, last_mailed_at, created_at, confirmed_at, unsubscribed_at) \
         SELECT 'staff' || CAST(s.n AS TEXT) || '@bench.example.lg.jp', {lo} + (s.n % {span}), \
           'ja', CASE WHEN s.n % 10 = 0 THEN 'iso-2022-jp' ELSE 'utf-8' END, 'active', \
           NULL, NULL, $1, $1, $1, NULL \
         FROM ({series}) AS s"
    );
    db.execute_raw(crate::db::statement(backend, &sql, vec![Utc::now().into()]))
        .await
        .context("cannot write the readers")?;
    Ok(())
}

pub async fn run(
    subscribers: usize,
    database_url: Option<&str>,
    settings: &Settings,
) -> anyhow::Result<()> {
    check_server_url(database_url)?;
    anyhow::ensure!(
        (1..=2_000_000).contains(&subscribers),
        "--subscribers must be from 1 to 2,000,000"
    );
    let sink = Sink::start(false).await?;
    let (rsa, ed) = dkim_keys(settings);
    let mut s = settings.clone();
    let dir = tempfile::tempdir()?;
    s.app.data_dir = dir.path().to_path_buf();
    let db = fresh_database(database_url).await?;
    s.database.url = db.as_ref().map(|(u, _)| SecretString::from(u.clone()));
    s.ingest.poll = false;
    s.classify.auto_drafts = false;
    s.auth.argon2_memory_kib = 64;
    s.auth.argon2_iterations = 1;
    s.mail.smtp_url = Some(SecretString::from(format!(
        "smtp://127.0.0.1:{}",
        sink.port()
    )));
    s.mail.rate_per_second = 0;
    s.mail.dkim_rsa_key = Some(rsa.clone());
    s.mail.dkim_ed25519_key = ed.clone();
    println!(
        "one メールマガジン issue to {} self-subscribed readers over all organisations into {}; DKIM ({}{}); a fresh {} database",
        crate::domain::text::count(subscribers as u64),
        sink.describe(),
        rsa.display(),
        ed.as_ref()
            .map(|e| format!(" + {}", e.display()))
            .unwrap_or_default(),
        if database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let result = one_run(s, subscribers, &sink).await;
    if let Some((_, name)) = &db {
        drop_database(database_url, name).await;
    }
    sink.stop().await;
    result
}

async fn one_run(s: Settings, subscribers: usize, sink: &Sink) -> anyhow::Result<()> {
    let ctx = AppContext::connect(s).await?;
    let seeded = Instant::now();
    seed_subscribers(&ctx.db, subscribers).await?;
    println!("readers written in {:.1} s", seeded.elapsed().as_secs_f64());
    let (operator, approver) = super::fanout::central_pair(&ctx).await?;
    let failed = |e: crate::error::Failure| anyhow::anyhow!("{e}");
    let now = Utc::now();
    let draft = crate::magazine::issue::compose(
        &ctx.db,
        &operator,
        now - chrono::Duration::days(7),
        now,
        now,
    )
    .await
    .map_err(failed)?;
    crate::magazine::issue::edit(
        &ctx.db,
        &operator,
        draft.id,
        &draft.title,
        &"今週の注意喚起と事例をお届けします。各団体の対応状況の報告をお願いします。\n".repeat(20),
        &[],
        now,
    )
    .await
    .map_err(failed)?;
    crate::magazine::issue::submit(&ctx.db, &operator, draft.id, now)
        .await
        .map_err(failed)?;

    let peak = std::sync::Arc::new(std::sync::Mutex::new(rss_mib()));
    let stop = tokio_util::sync::CancellationToken::new();
    let sampler = {
        let (peak, stop) = (std::sync::Arc::clone(&peak), stop.clone());
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                if let Ok(mut p) = peak.lock() {
                    *p = p.max(rss_mib());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let before = sink.accepted().await?;
    let started = Instant::now();
    let published = crate::magazine::issue::approve(&ctx.db, &approver, draft.id, Utc::now())
        .await
        .map_err(failed)?;
    let queued_in = started.elapsed();
    anyhow::ensure!(
        published.copies == subscribers as u64,
        "queued {} of {subscribers}",
        published.copies
    );
    super::fanout::drain_lanes(&ctx).await?;
    let total = started.elapsed();
    stop.cancel();
    let _ = sampler.await;
    let accepted = sink.accepted().await? - before;
    anyhow::ensure!(
        accepted == subscribers as u64,
        "the sink accepted {accepted} of {subscribers} copies"
    );
    let send = total - queued_in;
    let peak = peak.lock().map(|p| *p).unwrap_or_default();
    println!(
        "approval → last ledger row {:.1} s: ledger rows written {} in {:.2} s ({}), sent {} in {:.1} s ({}); resident memory at most {peak:.0} MiB",
        total.as_secs_f64(),
        crate::domain::text::count(subscribers as u64),
        queued_in.as_secs_f64(),
        super::rate(subscribers, queued_in),
        crate::domain::text::count(subscribers as u64),
        send.as_secs_f64(),
        super::rate(subscribers, send),
    );
    Ok(())
}
