//! What the lane workers share (the job itself is `jobs::mail`): lanes, retry backoff, the lease
//! heartbeat, and sending a composed batch over up to `mail.connections` connections at once.
//! The urgent lane takes only priority 0 (real critical/high alerts), so those never wait behind
//! a drill or a digest; the general lane takes everything, most urgent first.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;

use super::store::{self, Claimed};
use super::transport::{SendOutcome, Step};
use super::{Mailer, Sink};

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

/// Renews the lease of `ids` (those this process still holds) every third of `lease` until
/// `stop`; a failed renewal is logged and tried again at the next beat.
pub async fn heartbeat(
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

/// The rest of the batch is deferred at once, for `reason`.
fn give_up(down: &std::sync::Mutex<Option<String>>, is_down: &AtomicBool, reason: String) {
    if let Ok(mut r) = down.lock() {
        *r = Some(reason);
    }
    is_down.store(true, Ordering::Relaxed);
}

/// Reports an outcome to the relay's pace; when the relay asked us to slow down, the rest of the
/// batch waits for the pause to end.
fn observe(
    mailer: &Mailer,
    outcome: &SendOutcome,
    down: &std::sync::Mutex<Option<String>>,
    is_down: &AtomicBool,
) {
    if let (Some(until), SendOutcome::Transient(reply)) = (mailer.limiter.note(outcome), outcome) {
        tracing::warn!(%until, reply = %reply, "the relay asked us to slow down: sending is paused");
        give_up(
            down,
            is_down,
            format!("the relay asked us to wait until {until}: {reply}"),
        );
    }
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
            // The message whose DATA the relay accepted; its content goes with the next
            // message's envelope (one round trip a message) or, at the end, alone.
            let mut pending: Option<usize> = None;
            'next: loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((d, composed)) = jobs.get(i) else {
                    break;
                };
                if let Some(until) = mailer.limiter.paused_until()
                    && !is_down.load(Ordering::Relaxed)
                {
                    let last = mailer.limiter.status().last.unwrap_or_default();
                    give_up(
                        &down,
                        &is_down,
                        format!("the relay asked us to wait until {until}: {last}"),
                    );
                }
                if is_down.load(Ordering::Relaxed) {
                    let reason = down.lock().ok().and_then(|r| r.clone()).unwrap_or_default();
                    out.push((i, SendOutcome::Transient(reason)));
                    continue;
                }
                mailer.limiter.acquire().await;
                let outcome = match &mailer.sink {
                    Sink::Outbox(o) => o.write(&composed.file_name, &composed.bytes).await,
                    Sink::Relay(relay) => 'relay: {
                        // A second try only when the first never reached the relay.
                        for _ in 0..2 {
                            if conn.is_none() {
                                match relay.checkout().await {
                                    Ok(c) => conn = Some(c),
                                    Err(e) => {
                                        if let Ok(mut r) = down.lock() {
                                            *r = Some(e.clone());
                                        }
                                        is_down.store(true, Ordering::Relaxed);
                                        break 'relay SendOutcome::Transient(e);
                                    }
                                }
                            }
                            let Some(c) = conn.as_mut() else {
                                break 'relay SendOutcome::Transient("no connection".into());
                            };
                            let from = mailer
                                .verp
                                .return_path(d.id)
                                .parse::<lettre::Address>()
                                .unwrap_or_else(|_| mailer.envelope_from.clone());
                            let previous = pending.take();
                            let (before, step) = relay
                                .step(
                                    c,
                                    previous.map(|p| jobs[p].1.bytes.as_slice()),
                                    &from,
                                    &d.email,
                                    &composed.bytes,
                                )
                                .await;
                            if let (Some(p), Some(o)) = (previous, before) {
                                observe(&mailer, &o, &down, &is_down);
                                out.push((p, o));
                            }
                            if c.is_broken() {
                                conn = None;
                            }
                            match step {
                                Step::Accepted if conn.is_some() => {
                                    pending = Some(i);
                                    continue 'next;
                                }
                                Step::Accepted => {
                                    break 'relay SendOutcome::Transient(
                                        "the connection broke before the message".into(),
                                    );
                                }
                                Step::Done(o) => break 'relay o,
                                Step::NotSent => {}
                            }
                        }
                        SendOutcome::Transient(
                            "the connection broke twice before the message".into(),
                        )
                    }
                };
                observe(&mailer, &outcome, &down, &is_down);
                out.push((i, outcome));
            }
            if let (Some(p), Some(c), Sink::Relay(relay)) = (pending, conn.as_mut(), &mailer.sink) {
                let o = relay.finish(c, &jobs[p].1.bytes).await;
                observe(&mailer, &o, &down, &is_down);
                out.push((p, o));
            }
            if let (Some(c), Sink::Relay(relay)) = (conn, &mailer.sink)
                && !c.is_broken()
            {
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
