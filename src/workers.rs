//! The shape every background worker shares: a public step that does one unit of work, and a
//! loop that calls it until the hub stops. A stop is only noticed between units, so a unit in
//! flight always finishes. Tests call the step directly until it reports `Idle`.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Did a unit of work; there may be more, so call again at once.
    Worked,
    /// Nothing to do; wait before asking again.
    Idle,
}

/// How a worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Pause after an idle step.
    pub idle: Duration,
    /// First pause after a failed step; doubles per consecutive failure.
    pub backoff: Duration,
    /// Longest pause after failures.
    pub max_backoff: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(1),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl Pace {
    fn after_failures(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// Calls `step` until `stop` is cancelled, never interrupting a step.
pub async fn run_until_stopped<F, Fut>(
    name: &'static str,
    stop: CancellationToken,
    pace: Pace,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Outcome>>,
{
    tracing::info!(worker = name, "worker started");
    let mut failures = 0u32;
    while !stop.is_cancelled() {
        let pause = match step().await {
            Ok(Outcome::Worked) => {
                failures = 0;
                continue;
            }
            Ok(Outcome::Idle) => {
                failures = 0;
                pace.idle
            }
            Err(e) => {
                failures += 1;
                let pause = pace.after_failures(failures);
                tracing::error!(worker = name, failures, retry_in = ?pause, error = format!("{e:#}"), "worker step failed");
                pause
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!(worker = name, "worker stopped");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_stop_during_a_step_lets_the_step_finish() {
        let stop = CancellationToken::new();
        let finished = Arc::new(AtomicU32::new(0));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let mut started_tx = Some(started_tx);
        let f = Arc::clone(&finished);
        let worker = tokio::spawn(run_until_stopped(
            "test",
            stop.clone(),
            Pace::default(),
            move || {
                let f = Arc::clone(&f);
                let tx = started_tx.take();
                async move {
                    if let Some(tx) = tx {
                        let _ = tx.send(());
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    f.fetch_add(1, Ordering::SeqCst);
                    Ok(Outcome::Idle)
                }
            },
        ));
        let _ = started_rx.await;
        stop.cancel();
        let _ = worker.await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            1,
            "the unit in flight completed"
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let pace = Pace {
            idle: Duration::from_secs(1),
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
        };
        assert_eq!(pace.after_failures(1), Duration::from_secs(1));
        assert_eq!(pace.after_failures(3), Duration::from_secs(4));
        assert_eq!(pace.after_failures(30), Duration::from_secs(10));
    }
}
