//! The scale tier under a crash: one alert fanned out by several real hub processes
//! (`noroshi serve --roles workers`) sharing one PostgreSQL database, one of them killed with
//! SIGKILL mid-send. What the sink itself recorded (not the ledger) says who got the message
//! twice and who got nothing; the ledger must mark every recipient who got it twice.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::ConnectionTrait;
use secrecy::SecretString;

use crate::config::Settings;
use crate::context::AppContext;
use crate::smtp_sink::SmtpSink;

/// What one crash run found.
struct Outcome {
    send: Duration,
    in_flight_at_kill: i64,
    twice: usize,
    missing: usize,
    unmarked_twice: usize,
    marked: i64,
    last_after_kill: Duration,
}

/// `processes` workers, one killed `kill_after` seconds after approval; three runs.
pub async fn run(
    recipients: usize,
    connections: usize,
    processes: usize,
    kill_after: f64,
    database_url: &str,
    settings: &Settings,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        (2..=8).contains(&processes),
        "--processes must be from 2 to 8"
    );
    anyhow::ensure!(
        (0.0..=60.0).contains(&kill_after),
        "--kill-one-after must be from 0 to 60 seconds"
    );
    println!(
        "take-over: one alert to {} recipients, {processes} `serve --roles workers` processes on PostgreSQL, \
         {connections} connections per lane, one process killed (SIGKILL) {kill_after} s after approval; \
         lease {} s; the in-process SMTP sink records every recipient",
        crate::domain::text::count(recipients as u64),
        settings.mail.lease_secs,
    );
    for i in 1..=3 {
        let o = one_run(
            recipients,
            connections,
            processes,
            kill_after,
            database_url,
            settings,
        )
        .await?;
        println!(
            "run {i}: {} sent in {:.2} s ({}); in flight at the kill {}; sent twice {} (all marked: {}); \
             missing {}; marked possible duplicate {}; last row {:.2} s after the kill",
            crate::domain::text::count(recipients as u64),
            o.send.as_secs_f64(),
            super::rate(recipients, o.send),
            o.in_flight_at_kill,
            o.twice,
            if o.unmarked_twice == 0 { "yes" } else { "NO" },
            o.missing,
            o.marked,
            o.last_after_kill.as_secs_f64(),
        );
        anyhow::ensure!(o.missing == 0, "{} recipients got nothing", o.missing);
    }
    Ok(())
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .context("no row")?;
    Ok(row.try_get("", "n")?)
}

async fn one_run(
    recipients: usize,
    connections: usize,
    processes: usize,
    kill_after: f64,
    server: &str,
    settings: &Settings,
) -> anyhow::Result<Outcome> {
    let sink = SmtpSink::start_on("127.0.0.1:0".parse().context("loopback")?, true).await?;
    let dir = tempfile::tempdir()?;
    let (db_url, name) = super::fanout::fresh_database(Some(server))
        .await?
        .context("a database")?;
    let mut s = settings.clone();
    s.app.data_dir = dir.path().to_path_buf();
    s.database.url = Some(SecretString::from(db_url.clone()));
    s.ingest.poll = false;
    s.classify.auto_drafts = false;
    s.auth.argon2_memory_kib = 64;
    s.auth.argon2_iterations = 1;
    s.mail.dkim_rsa_key = None;
    s.mail.dkim_ed25519_key = None;
    let ctx = AppContext::connect(s.clone()).await?;
    let (draft, approver) = super::fanout::prepare(&ctx, recipients).await?;
    let exe = std::env::current_exe().context("cannot find the noroshi binary")?;
    let mut children = Vec::new();
    for _ in 0..processes {
        let child = tokio::process::Command::new(&exe)
            .args(["serve", "--roles", "workers", "--no-migrate"])
            .env("NOROSHI__DATABASE__URL", &db_url)
            .env("NOROSHI__APP__DATA_DIR", dir.path())
            .env(
                "NOROSHI__MAIL__SMTP_URL",
                format!("smtp://127.0.0.1:{}", sink.port()),
            )
            .env("NOROSHI__MAIL__CONNECTIONS", connections.to_string())
            .env("NOROSHI__MAIL__LEASE_SECS", s.mail.lease_secs.to_string())
            .env("NOROSHI__INGEST__POLL", "false")
            .env("NOROSHI__CLASSIFY__AUTO_DRAFTS", "false")
            .env("NOROSHI__LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start a worker process")?;
        children.push(child);
    }
    // Let the workers start before the alert goes out.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let started = Instant::now();
    crate::alerts::publish::approve(&ctx.db, &ctx.rules, draft, &approver, None).await?;
    tokio::time::sleep(Duration::from_secs_f64(kill_after)).await;
    let victim = children.remove(0);
    let pid = victim.id().context("the worker has a pid")?;
    nix_kill(pid)?;
    let killed_at = Instant::now();
    // A claim the process sent just before it died may still be committing on the server:
    // count what it holds once that has settled.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let in_flight_at_kill = count(
        &ctx.db,
        &format!(
            "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'sending' AND lease_owner LIKE '%:{pid}:%'"
        ),
    )
    .await?;
    drop(victim);
    // Wait until every row has settled.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let open = count(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM deliveries WHERE status NOT IN ('sent', 'failed')",
        )
        .await?;
        if open == 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{open} deliveries still open after 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settled = Instant::now();
    let send = settled - started;
    // The sink's own record: who got how many.
    let mut got: HashMap<String, usize> = HashMap::new();
    for t in sink.received() {
        for r in t.rcpt_to {
            *got.entry(r).or_default() += 1;
        }
    }
    let rows = crate::delivery::store::for_alert(&ctx.db, draft).await?;
    let missing = rows
        .iter()
        .filter(|r| got.get(&r.email).copied().unwrap_or(0) == 0)
        .count();
    let twice: Vec<&String> = got
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(e, _)| e)
        .collect();
    let marked: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|r| r.possible_duplicate)
        .map(|r| r.email.as_str())
        .collect();
    let unmarked_twice = twice
        .iter()
        .filter(|e| !marked.contains(e.as_str()))
        .count();
    for mut c in children {
        let _ = c.kill().await;
    }
    ctx.db.clone().close().await.ok();
    super::fanout::drop_database(Some(server), &name).await;
    Ok(Outcome {
        send,
        in_flight_at_kill,
        twice: twice.len(),
        missing,
        unmarked_twice,
        marked: marked.len() as i64,
        last_after_kill: settled.saturating_duration_since(killed_at),
    })
}

fn nix_kill(pid: u32) -> anyhow::Result<()> {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .context("cannot run kill")?;
    anyhow::ensure!(status.success(), "kill -KILL {pid} failed");
    Ok(())
}
