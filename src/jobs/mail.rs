//! The mail lanes' job. A unit claims a batch (what the connections can send soon), composes it
//! (the alerts' or the magazine's mail builds the bytes), sends it over up to `mail.connections`
//! connections at once (the delivery transport) and records every outcome in a few statements —
//! and, while the queue stays full, goes on with the next batch, claimed and composed while the
//! previous one was on the wire.

use crate::domain::ids::RevisionId;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;

use crate::context::AppContext;
use crate::delivery::store::{self, Claimed, Result_};
use crate::delivery::transport::SendOutcome;
use crate::delivery::worker::{self, Lane};
use crate::workers::Outcome;

/// How many rows to claim at once: what the connections can send soon
/// (`connections × pipeline_depth`), never more than `mail.batch`, and never more than can be
/// sent within half a lease at the configured rate. What a lane holds — this batch and the one
/// claimed ahead — is what another process must take over (and mark as possibly sent twice) if
/// this one dies, so it is kept to what is in flight.
fn batch_size(ctx: &AppContext) -> usize {
    let m = &ctx.settings.mail;
    let in_flight = (m.connections.max(1) * m.pipeline_depth.max(1)).min(m.batch.max(1));
    if m.rate_per_second == 0 {
        return in_flight;
    }
    let sendable = (u64::from(m.rate_per_second) * m.lease_secs / 2).max(1);
    in_flight.min(usize::try_from(sendable).unwrap_or(usize::MAX))
}

/// How long one unit keeps going batch after batch while the queue is full. A worker step is
/// never interrupted, so this bounds how long a shutdown waits for a lane.
const UNIT_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// One unit: claim, compose, send, record — batch after batch for up to [`UNIT_TIME`] while the
/// queue is full, the next batch claimed and composed while the current one is on the wire.
/// What a process holds is then at most two batches a lane; what it has sent without recording
/// stays one batch a lane, because a batch is recorded before the next is sent.
#[tracing::instrument(name = "Send mail batches", skip_all, fields(lane = lane.name()))]
pub async fn try_execute_task(ctx: &AppContext, lane: Lane) -> anyhow::Result<Outcome> {
    send_batches(ctx, lane, usize::MAX).await
}

/// At most `at_most` batches of one unit (`try_execute_task` takes as many as [`UNIT_TIME`]
/// allows); the next one is claimed ahead only when it will be sent.
pub async fn send_batches(ctx: &AppContext, lane: Lane, at_most: usize) -> anyhow::Result<Outcome> {
    let Some(mut batch) = prepare(ctx, lane).await? else {
        return Ok(Outcome::Idle);
    };
    let until = std::time::Instant::now() + UNIT_TIME;
    let mut left = at_most.saturating_sub(1);
    loop {
        let ahead = (batch.full && left > 0 && std::time::Instant::now() < until).then(|| {
            let ctx = ctx.clone();
            tokio::spawn(async move { prepare(&ctx, lane).await })
        });
        left = left.saturating_sub(1);
        let done = deliver(ctx, lane, batch).await;
        let next = match ahead {
            Some(h) => h.await.context("claiming ahead panicked")?,
            None => Ok(None),
        };
        if let Err(e) = done {
            if let Ok(Some(next)) = next {
                next.give_back(ctx).await;
            }
            return Err(e);
        }
        match next? {
            Some(next) => batch = next,
            None => return Ok(Outcome::Worked),
        }
    }
}

/// A claimed batch, composed, its lease kept alive until it is recorded.
struct Batch {
    /// As many rows as were asked for: there may be more.
    full: bool,
    ids: Vec<i64>,
    jobs: Vec<(Claimed, crate::delivery::Composed)>,
    /// Rows that cannot be composed (their revision or issue is gone), settled as failed.
    unsendable: Vec<(i64, Result_)>,
    heartbeat: (
        tokio_util::sync::CancellationToken,
        tokio::task::JoinHandle<()>,
    ),
    claim: std::time::Duration,
    compose: std::time::Duration,
}

impl Batch {
    async fn stop_heartbeat(&mut self) {
        self.heartbeat.0.cancel();
        let _ = (&mut self.heartbeat.1).await;
    }

    /// Returns the rows unsent, for any process to claim at once.
    async fn give_back(mut self, ctx: &AppContext) {
        self.stop_heartbeat().await;
        if let Err(e) = store::release(&ctx.db, &ctx.instance, &self.ids).await {
            tracing::warn!(error = %format!("{e:#}"), "cannot give back a batch claimed ahead; its lease will expire");
        }
    }
}

/// Claims a batch and composes its messages; `None` when nothing is due, or while the relay has
/// asked us to wait.
async fn prepare(ctx: &AppContext, lane: Lane) -> anyhow::Result<Option<Batch>> {
    if ctx.mailer.limiter.paused_until().is_some() {
        return Ok(None);
    }
    let mail = &ctx.settings.mail;
    let started = std::time::Instant::now();
    let now = Utc::now();
    let lease = chrono::Duration::seconds(i64::try_from(mail.lease_secs).unwrap_or(120));
    let limit = batch_size(ctx);
    let claimed = store::claim(
        &ctx.db,
        &ctx.instance,
        lane.max_priority(),
        limit,
        now,
        now + lease,
    )
    .await?;
    if claimed.is_empty() {
        return Ok(None);
    }
    let claim = started.elapsed();
    // The heartbeat: until the batch is recorded, the lease of what it still holds is renewed
    // every third of a lease, so a slow relay never lets another process take a message over.
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    let beat = tokio_util::sync::CancellationToken::new();
    let heartbeat = tokio::spawn(worker::heartbeat(
        ctx.db.clone(),
        Arc::clone(&ctx.instance),
        ids.clone(),
        lease,
        beat.clone(),
    ));
    let mut batch = Batch {
        full: claimed.len() >= limit,
        ids,
        jobs: Vec::with_capacity(claimed.len()),
        unsendable: Vec::new(),
        heartbeat: (beat, heartbeat),
        claim,
        compose: std::time::Duration::ZERO,
    };
    let t = std::time::Instant::now();
    if let Err(e) = compose(ctx, claimed, &mut batch).await {
        batch.give_back(ctx).await;
        return Err(e);
    }
    batch.compose = t.elapsed();
    Ok(Some(batch))
}

/// The messages of `claimed`, into `batch`.
async fn compose(ctx: &AppContext, claimed: Vec<Claimed>, batch: &mut Batch) -> anyhow::Result<()> {
    let mailer = &ctx.mailer;
    let mut revisions: Vec<RevisionId> = claimed.iter().filter_map(|c| c.revision_id).collect();
    revisions.sort_unstable();
    revisions.dedup();
    crate::alerts::mail::warm_ahead(&ctx.alert_mail, mailer, &ctx.db, &revisions);
    crate::alerts::mail::warm_templates(&ctx.alert_mail, mailer, &ctx.db, &claimed).await?;
    let vouched = ctx.magazine_mail.vouched(&ctx.db, &claimed).await?;
    for d in claimed {
        let composed = if d.magazine_issue_id.is_some() {
            ctx.magazine_mail
                .compose(mailer, &ctx.db, &d, vouched.contains(&d.id))
                .await?
        } else {
            ctx.alert_mail.compose(mailer, &ctx.db, &d).await?
        };
        match composed {
            Some(c) => batch.jobs.push((d, c)),
            None => batch.unsendable.push((
                d.id,
                Result_::Failed {
                    error: match (d.revision_id, d.magazine_issue_id) {
                        (Some(r), _) => format!("revision {r} no longer exists"),
                        (None, Some(i)) => {
                            format!("magazine issue {i} is not published or no longer exists")
                        }
                        (None, None) => format!("delivery {} is of nothing to send", d.id),
                    },
                },
            )),
        }
    }
    Ok(())
}

/// How long a sent batch's outcomes wait for the database to come back before they are given up
/// (the rows are then taken over and sent again, marked as possible duplicates).
const RECORD_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends a composed batch over up to `mail.connections` connections and records every outcome.
async fn deliver(ctx: &AppContext, lane: Lane, mut batch: Batch) -> anyhow::Result<()> {
    let mail = &ctx.settings.mail;
    let t = std::time::Instant::now();
    let jobs = std::mem::take(&mut batch.jobs);
    let outcomes = worker::send_all(&ctx.mailer, jobs, mail.connections).await;
    let send = t.elapsed();
    let t = std::time::Instant::now();
    let now = Utc::now();
    let mut counts = Counts::default();
    let mut results = std::mem::take(&mut batch.unsendable);
    counts.failed += results.len() as u64;
    // The relay asked us to wait: what did not go waits for the pause to end, not as an attempt.
    let paused = ctx.mailer.limiter.paused_until();
    for (d, message_id, outcome) in outcomes {
        let attempts = u32::try_from(d.attempts).unwrap_or(0) + 1;
        // Tried again after the back-off; marked when it may have arrived (same Message-ID).
        let retry = |error: String, possible_duplicate: bool| Result_::Deferred {
            error,
            next_attempt_at: now
                + chrono::Duration::from_std(worker::backoff(mail.retry_base_secs, attempts))
                    .unwrap_or_default(),
            possible_duplicate,
        };
        let result = match outcome {
            // A pause is not the message's attempt: it never gives up for one.
            SendOutcome::Transient(error) if let Some(until) = paused => {
                counts.deferred += 1;
                Result_::Paused { error, until }
            }
            SendOutcome::Transient(error) | SendOutcome::Unconfirmed(error)
                if attempts >= mail.max_attempts =>
            {
                counts.failed += 1;
                Result_::Failed {
                    error: format!("gave up after {attempts} attempts; last: {error}"),
                }
            }
            SendOutcome::Sent(reply) => {
                counts.sent += 1;
                Result_::Sent { reply, message_id }
            }
            SendOutcome::Permanent(error) => {
                counts.failed += 1;
                Result_::Failed { error }
            }
            SendOutcome::Unconfirmed(error) => {
                counts.deferred += 1;
                retry(error, true)
            }
            SendOutcome::Transient(error) => {
                counts.deferred += 1;
                retry(error, false)
            }
        };
        results.push((d.id, result));
    }
    // What was sent is known only here: while the database is away (a restart, a failover),
    // keep trying to write it down rather than let the rows be taken over and sent again.
    let give_up_at = std::time::Instant::now() + RECORD_PATIENCE;
    let mut wait = std::time::Duration::from_millis(200);
    let recorded = loop {
        match store::record(&ctx.db, &ctx.instance, &results, now).await {
            Err(e)
                if crate::db::is_unavailable(&e)
                    && std::time::Instant::now() + wait < give_up_at =>
            {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "the database is away: the batch's outcomes wait to be recorded"
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(2));
            }
            other => break other,
        }
    };
    batch.stop_heartbeat().await;
    recorded?;
    let record = t.elapsed();
    ctx.metrics.record_deliveries("sent", counts.sent);
    ctx.metrics.record_deliveries("deferred", counts.deferred);
    ctx.metrics.record_deliveries("failed", counts.failed);
    let ms = |d: std::time::Duration| d.as_millis() as u64;
    tracing::info!(
        lane = lane.name(),
        sent = counts.sent,
        deferred = counts.deferred,
        failed = counts.failed,
        to = %ctx.mailer.describe(),
        claim_ms = ms(batch.claim),
        compose_ms = ms(batch.compose),
        send_ms = ms(send),
        record_ms = ms(record),
        "mail batch done"
    );
    Ok(())
}

/// What a batch did.
#[derive(Default)]
struct Counts {
    sent: u64,
    deferred: u64,
    failed: u64,
}
