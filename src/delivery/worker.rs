//! The lane workers. A unit of work is one claimed batch: compose every message, send them over
//! up to `mail.connections` connections at once, record every outcome in a few statements.
//! The urgent lane takes only priority 0 (real critical/high alerts), so those never wait behind
//! a drill or a digest; the general lane takes everything, most urgent first.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;

use super::store::{self, Claimed, Result_};
use super::transport::SendOutcome;
use super::{Mailer, Sink};
use crate::context::AppContext;
use crate::workers::Outcome;

/// A priority lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Priority 0 only.
    Urgent,
    /// Every priority, most urgent first.
    All,
}

impl Lane {
    pub fn max_priority(self) -> i16 {
        match self {
            Self::Urgent => 0,
            Self::All => i16::MAX,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Urgent => "mail lane urgent",
            Self::All => "mail lane general",
        }
    }
}

/// Delay before attempt `attempts + 1`: base × 2^(attempts−1), at most six hours, ±20 % jitter
/// so that a relay coming back is not hit by every deferred message at once.
pub fn backoff(base_secs: u64, attempts: u32) -> Duration {
    let exp = 2u64.saturating_pow(attempts.saturating_sub(1).min(20));
    let secs = base_secs.saturating_mul(exp).min(6 * 3600) as f64;
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::from_secs_f64((secs * jitter).max(0.001))
}

/// How many rows to claim at once: what the connections can send soon
/// (`connections × pipeline_depth`), never more than `mail.batch`, and never more than can be
/// sent within half a lease at the configured rate. What a process holds is what another must
/// take over (and mark as possibly sent twice) if it dies, so it is kept to what is in flight.
fn batch_size(ctx: &AppContext) -> usize {
    let m = &ctx.settings.mail;
    let in_flight = (m.connections.max(1) * m.pipeline_depth.max(1)).min(m.batch.max(1));
    if m.rate_per_second == 0 {
        return in_flight;
    }
    let sendable = (u64::from(m.rate_per_second) * m.lease_secs / 2).max(1);
    in_flight.min(usize::try_from(sendable).unwrap_or(usize::MAX))
}

/// One unit: claim, compose, send, record.
#[tracing::instrument(name = "Send a mail batch", skip_all, fields(lane = lane.name()))]
pub async fn try_execute_task(ctx: &AppContext, lane: Lane) -> anyhow::Result<Outcome> {
    let mail = &ctx.settings.mail;
    let started = std::time::Instant::now();
    let now = Utc::now();
    let lease = chrono::Duration::seconds(i64::try_from(mail.lease_secs).unwrap_or(120));
    let claimed = store::claim(
        &ctx.db,
        &ctx.instance,
        lane.max_priority(),
        batch_size(ctx),
        now,
        now + lease,
    )
    .await?;
    if claimed.is_empty() {
        return Ok(Outcome::Idle);
    }
    let claimed_in = started.elapsed();
    let mut revisions: Vec<i64> = claimed.iter().map(|c| c.revision_id).collect();
    revisions.sort_unstable();
    revisions.dedup();
    super::warm_ahead(&ctx.mailer, &ctx.db, &revisions);
    // The heartbeat: while this unit sends, the lease of what it still holds is renewed every
    // third of a lease, so a slow relay never lets another process take a message over.
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    let beat = tokio_util::sync::CancellationToken::new();
    let heartbeat = tokio::spawn(heartbeat(
        ctx.db.clone(),
        Arc::clone(&ctx.instance),
        ids,
        lease,
        beat.clone(),
    ));
    let result = send_claimed(ctx, claimed).await;
    beat.cancel();
    let _ = heartbeat.await;
    let Counts {
        sent,
        deferred,
        failed,
        compose,
        send,
        record,
    } = result?;
    ctx.metrics.record_deliveries("sent", sent);
    ctx.metrics.record_deliveries("deferred", deferred);
    ctx.metrics.record_deliveries("failed", failed);
    let ms = |d: std::time::Duration| d.as_millis() as u64;
    tracing::info!(
        lane = lane.name(),
        sent,
        deferred,
        failed,
        to = %ctx.mailer.describe(),
        claim_ms = ms(claimed_in),
        compose_ms = ms(compose),
        send_ms = ms(send),
        record_ms = ms(record),
        "mail batch done"
    );
    Ok(Outcome::Worked)
}

/// What a unit did, and where its time went.
#[derive(Default)]
struct Counts {
    sent: u64,
    deferred: u64,
    failed: u64,
    compose: std::time::Duration,
    send: std::time::Duration,
    record: std::time::Duration,
}

/// Renews the lease of `ids` (those this process still holds) every third of `lease` until
/// `stop`; a failed renewal is logged and tried again at the next beat.
async fn heartbeat(
    db: sea_orm::DatabaseConnection,
    owner: Arc<str>,
    ids: Vec<i64>,
    lease: chrono::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let every = (lease / 3)
        .to_std()
        .unwrap_or(Duration::from_secs(1))
        .max(Duration::from_millis(100));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(e) = store::renew(&db, &owner, &ids, Utc::now() + lease).await {
            tracing::warn!(error = %format!("{e:#}"), "cannot renew the lease of a mail batch");
        }
    }
}

/// Composes, sends and records a claimed batch `connections × pipeline_depth` messages at a
/// time: outcomes reach the ledger as each slice is done, so a process that dies can have sent
/// at most one slice per lane without recording it.
async fn send_claimed(ctx: &AppContext, claimed: Vec<Claimed>) -> anyhow::Result<Counts> {
    let mail = &ctx.settings.mail;
    let mailer = Arc::clone(&ctx.mailer);
    let slice = (mail.connections.max(1) * mail.pipeline_depth.max(1)).max(1);
    let mut counts = Counts::default();
    super::warm_templates(&mailer, &ctx.db, &claimed).await?;
    let mut rest = claimed;
    while !rest.is_empty() {
        let tail = rest.split_off(slice.min(rest.len()));
        let part = std::mem::replace(&mut rest, tail);
        let t = std::time::Instant::now();
        let mut results: Vec<(i64, Result_)> = Vec::with_capacity(part.len());
        let mut jobs = Vec::with_capacity(part.len());
        for d in part {
            match mailer.compose(&ctx.db, &d).await? {
                Some(c) => jobs.push((d, c)),
                None => results.push((
                    d.id,
                    Result_::Failed {
                        error: format!("revision {} no longer exists", d.revision_id),
                    },
                )),
            }
        }
        counts.compose += t.elapsed();
        let t = std::time::Instant::now();
        let outcomes = send_all(&mailer, jobs, mail.connections).await;
        counts.send += t.elapsed();
        let t = std::time::Instant::now();
        let now = Utc::now();
        for (d, message_id, outcome) in outcomes {
            let attempts = u32::try_from(d.attempts).unwrap_or(0) + 1;
            let result = match outcome {
                SendOutcome::Sent(reply) => {
                    counts.sent += 1;
                    Result_::Sent { reply, message_id }
                }
                SendOutcome::Permanent(error) => {
                    counts.failed += 1;
                    Result_::Failed { error }
                }
                SendOutcome::Transient(error) if attempts >= mail.max_attempts => {
                    counts.failed += 1;
                    Result_::Failed {
                        error: format!("gave up after {attempts} attempts; last: {error}"),
                    }
                }
                SendOutcome::Transient(error) => {
                    counts.deferred += 1;
                    let delay = chrono::Duration::from_std(backoff(mail.retry_base_secs, attempts))
                        .unwrap_or_default();
                    Result_::Deferred {
                        error,
                        next_attempt_at: now + delay,
                    }
                }
            };
            results.push((d.id, result));
        }
        store::record(&ctx.db, &ctx.instance, &results, now).await?;
        counts.record += t.elapsed();
    }
    Ok(counts)
}

/// Sends every job over up to `connections` concurrent connections. Once the relay cannot be
/// reached, the rest of the batch is deferred at once instead of each message waiting for its
/// own connection attempt to fail.
pub async fn send_all(
    mailer: &Arc<Mailer>,
    jobs: Vec<(Claimed, super::Composed)>,
    connections: usize,
) -> Vec<(Claimed, String, SendOutcome)> {
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let down: Arc<std::sync::Mutex<Option<String>>> = Arc::new(std::sync::Mutex::new(None));
    let is_down = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections.clamp(1, jobs.len().max(1)) {
        let (mailer, jobs, next, down, is_down) = (
            Arc::clone(mailer),
            Arc::clone(&jobs),
            Arc::clone(&next),
            Arc::clone(&down),
            Arc::clone(&is_down),
        );
        tasks.spawn(async move {
            let mut out: Vec<(usize, SendOutcome)> = Vec::new();
            let mut conn = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((d, composed)) = jobs.get(i) else {
                    break;
                };
                if is_down.load(Ordering::Relaxed) {
                    let reason = down.lock().ok().and_then(|r| r.clone()).unwrap_or_default();
                    out.push((i, SendOutcome::Transient(reason)));
                    continue;
                }
                mailer.limiter.acquire().await;
                let outcome = match &mailer.sink {
                    Sink::Outbox(o) => o.write(&composed.file_name, &composed.bytes).await,
                    Sink::Relay(relay) => {
                        if conn.is_none() {
                            match relay.checkout().await {
                                Ok(c) => conn = Some(c),
                                Err(e) => {
                                    if let Ok(mut r) = down.lock() {
                                        *r = Some(e.clone());
                                    }
                                    is_down.store(true, Ordering::Relaxed);
                                    out.push((i, SendOutcome::Transient(e)));
                                    continue;
                                }
                            }
                        }
                        match conn.as_mut() {
                            Some(c) => {
                                let from = mailer
                                    .verp
                                    .return_path(d.id)
                                    .parse::<lettre::Address>()
                                    .unwrap_or_else(|_| mailer.envelope_from.clone());
                                let o = relay.send(c, &from, &d.email, &composed.bytes).await;
                                if c.is_broken() {
                                    conn = None;
                                }
                                o
                            }
                            None => SendOutcome::Transient("no connection".into()),
                        }
                    }
                };
                out.push((i, outcome));
            }
            if let (Some(c), Sink::Relay(relay)) = (conn, &mailer.sink) {
                relay.checkin(c);
            }
            out
        });
    }
    let mut outcomes: Vec<Option<SendOutcome>> = vec![None; jobs.len()];
    while let Some(done) = tasks.join_next().await {
        if let Ok(out) = done {
            for (i, o) in out {
                outcomes[i] = Some(o);
            }
        }
    }
    jobs.iter()
        .zip(outcomes)
        .map(|((d, c), o)| {
            // A sender task that panicked left no outcome: retry those rather than lose them.
            let o = o.unwrap_or_else(|| {
                SendOutcome::Transient("the sending task stopped unexpectedly".into())
            });
            (d.clone(), c.message_id.clone(), o)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for attempts in 1..=4u32 {
            let d = backoff(60, attempts).as_secs_f64();
            let base = 60.0 * f64::from(2u32.pow(attempts - 1));
            assert!(d >= base * 0.8 && d <= base * 1.2, "{attempts}: {d}");
        }
        assert!(backoff(60, 40).as_secs_f64() <= 6.0 * 3600.0 * 1.2);
    }
}
