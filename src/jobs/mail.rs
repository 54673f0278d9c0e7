//! The mail lanes' job. A unit of work is one claimed batch: compose every message (the alerts'
//! mail builds the bytes), send them over up to `mail.connections` connections at once (the
//! delivery transport), record every outcome in a few statements.

use std::sync::Arc;

use chrono::Utc;

use crate::context::AppContext;
use crate::delivery::store::{self, Claimed, Result_};
use crate::delivery::transport::SendOutcome;
use crate::delivery::worker::{self, Lane};
use crate::workers::Outcome;

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
    let mut revisions: Vec<i64> = claimed.iter().filter_map(|c| c.revision_id).collect();
    revisions.sort_unstable();
    revisions.dedup();
    crate::alerts::mail::warm_ahead(&ctx.alert_mail, &ctx.mailer, &ctx.db, &revisions);
    // The heartbeat: while this unit sends, the lease of what it still holds is renewed every
    // third of a lease, so a slow relay never lets another process take a message over.
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    let beat = tokio_util::sync::CancellationToken::new();
    let heartbeat = tokio::spawn(worker::heartbeat(
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

/// Composes, sends and records a claimed batch `connections × pipeline_depth` messages at a
/// time: outcomes reach the ledger as each slice is done, so a process that dies can have sent
/// at most one slice per lane without recording it.
async fn send_claimed(ctx: &AppContext, claimed: Vec<Claimed>) -> anyhow::Result<Counts> {
    let mail = &ctx.settings.mail;
    let mailer = Arc::clone(&ctx.mailer);
    let slice = (mail.connections.max(1) * mail.pipeline_depth.max(1)).max(1);
    let mut counts = Counts::default();
    crate::alerts::mail::warm_templates(&ctx.alert_mail, &mailer, &ctx.db, &claimed).await?;
    let mut rest = claimed;
    while !rest.is_empty() {
        let tail = rest.split_off(slice.min(rest.len()));
        let part = std::mem::replace(&mut rest, tail);
        let t = std::time::Instant::now();
        let mut results: Vec<(i64, Result_)> = Vec::with_capacity(part.len());
        let mut jobs = Vec::with_capacity(part.len());
        for d in part {
            let composed = if d.magazine_issue_id.is_some() {
                ctx.magazine_mail.compose(&mailer, &ctx.db, &d).await?
            } else {
                ctx.alert_mail.compose(&mailer, &ctx.db, &d).await?
            };
            match composed {
                Some(c) => jobs.push((d, c)),
                None => results.push((
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
        counts.compose += t.elapsed();
        let t = std::time::Instant::now();
        let outcomes = worker::send_all(&mailer, jobs, mail.connections).await;
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
                    let delay =
                        chrono::Duration::from_std(worker::backoff(mail.retry_base_secs, attempts))
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
