//! The pace a relay is sent at (`mail.rate_per_second`, and pauses when the relay asks for
//! them), enforced where messages are sent, per process; and the .eml outbox used when no relay
//! is set.

#[allow(unused_imports)]
use super::*;

/// How long a relay that asked us to slow down is left alone at first; doubled on each further
/// request, at most [`MAX_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);
/// After a pause the configured pace is halved, and recovers by doubling every this long.
const RECOVERY: Duration = Duration::from_secs(30);

/// The pace of one relay, shared by every lane of a process: at most `mail.rate_per_second`
/// (a token bucket holding a quarter of a second's worth, so no 10 s window goes more than
/// 2.5 % over), and, when the relay says it is overloaded (`421`, or `4.7.x` with words of a
/// rate), a pause with exponential back-off and jitter, then the pace halved and recovering.
pub struct RateLimiter {
    per_second: f64,
    state: Mutex<(f64, Instant)>,
    /// When the current pause ends (Unix milliseconds; 0: none). Read for every message, so an
    /// atomic rather than a lock.
    paused_until_ms: std::sync::atomic::AtomicI64,
    /// Requests to slow down since the last message the relay accepted.
    strikes: std::sync::atomic::AtomicU32,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    throttled_at: Option<Instant>,
    last: Option<String>,
}

/// A relay's state, for the admin page and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayStatus {
    /// Until when nothing is sent (the relay asked us to wait).
    pub paused_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Requests to slow down since the last accepted message.
    pub strikes: u32,
    /// The relay's last such answer.
    pub last: Option<String>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            state: Mutex::new((f64::from(per_second).min(1.0), Instant::now())),
            paused_until_ms: std::sync::atomic::AtomicI64::new(0),
            strikes: std::sync::atomic::AtomicU32::new(0),
            health: Mutex::new(Health::default()),
        }
    }

    /// Whether a relay's transient answer is about the relay as a whole (it is overloaded or
    /// limits our rate) rather than about one recipient (greylisting, a full mailbox).
    pub fn is_throttle(reply: &str) -> bool {
        let reply = reply.trim_start();
        if reply.starts_with("421") {
            return true;
        }
        let lower = reply.to_ascii_lowercase();
        reply.starts_with('4')
            && lower.contains(" 4.7.")
            && ["rate", "too many", "throttl", "slow down", "limit"]
                .iter()
                .any(|w| lower.contains(w))
    }

    /// What an outcome says about the relay: accepted, it is well; asked to slow down, it is
    /// paused — returns when the pause ends. Every sender (the lanes, the notices) reports here.
    pub fn note(&self, outcome: &SendOutcome) -> Option<chrono::DateTime<chrono::Utc>> {
        match outcome {
            SendOutcome::Sent(_) => {
                self.accepted();
                None
            }
            SendOutcome::Transient(reply) if Self::is_throttle(reply) => Some(self.throttle(reply)),
            _ => None,
        }
    }

    /// The relay asked us to slow down: nothing more goes until the pause ends (1 s, doubled on
    /// each further request, at most 5 min, ±20 %); returns when it ends.
    pub fn throttle(&self, reply: &str) -> chrono::DateTime<chrono::Utc> {
        use std::sync::atomic::Ordering;
        // One pause at a time: every task of a batch may see the same answer.
        let Ok(mut h) = self.health.lock() else {
            return chrono::Utc::now();
        };
        if let Some(until) = self.paused_until() {
            return until;
        }
        let strikes = self
            .strikes
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        let exp = 2u32.saturating_pow(strikes.saturating_sub(1).min(16));
        let base = FIRST_PAUSE.saturating_mul(exp).min(MAX_PAUSE);
        let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.8..1.2);
        let pause = chrono::Duration::from_std(base.mul_f64(jitter)).unwrap_or_default();
        let until = chrono::Utc::now() + pause;
        self.paused_until_ms
            .store(until.timestamp_millis(), Ordering::Relaxed);
        h.throttled_at = Some(Instant::now());
        h.last = Some(reply.chars().take(300).collect());
        until
    }

    /// The relay accepted a message: the next request to slow down starts from the first pause.
    pub fn accepted(&self) {
        use std::sync::atomic::Ordering;
        if self.strikes.load(Ordering::Relaxed) > 0 {
            self.strikes.store(0, Ordering::Relaxed);
        }
    }

    /// When the current pause ends, if the relay is paused.
    pub fn paused_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let ms = self
            .paused_until_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        (ms > chrono::Utc::now().timestamp_millis())
            .then(|| chrono::DateTime::from_timestamp_millis(ms))
            .flatten()
    }

    pub fn status(&self) -> RelayStatus {
        RelayStatus {
            paused_until: self.paused_until(),
            strikes: self.strikes.load(std::sync::atomic::Ordering::Relaxed),
            last: self.health.lock().ok().and_then(|h| h.last.clone()),
        }
    }

    /// The pace now: the configured one, halved after a pause and doubling back every 30 s.
    fn per_second_now(&self) -> f64 {
        let since = self
            .health
            .lock()
            .ok()
            .and_then(|h| h.throttled_at)
            .map(|t| t.elapsed());
        match since {
            Some(d) if d < RECOVERY * 4 => {
                let factor = 0.5 * 2f64.powf(d.as_secs_f64() / RECOVERY.as_secs_f64());
                self.per_second * factor.min(1.0)
            }
            _ => self.per_second,
        }
    }

    /// Waits until one more message may go.
    pub async fn acquire(&self) {
        if self.per_second <= 0.0 {
            return;
        }
        loop {
            let per_second = self.per_second_now();
            let wait = {
                let Ok(mut s) = self.state.lock() else { return };
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * per_second;
                s.0 = (s.0 + refill).min((per_second / 4.0).max(1.0));
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.0) / per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Writes messages as .eml files when no relay is configured.
pub struct Outbox {
    pub dir: PathBuf,
}

impl Outbox {
    pub async fn write(&self, name: &str, message: &[u8]) -> SendOutcome {
        if let Err(e) = tokio::fs::create_dir_all(&self.dir).await {
            return SendOutcome::Transient(format!("cannot create {}: {e}", self.dir.display()));
        }
        let path = self.dir.join(format!("{name}.eml"));
        // Whole or not at all: a full disk leaves no half message for anyone to pick up.
        let (p, m) = (path.clone(), message.to_vec());
        match tokio::task::spawn_blocking(move || crate::files::write_replacing(&p, &m, 0o644))
            .await
        {
            Ok(Ok(())) => SendOutcome::Sent(format!("written to {}", path.display())),
            Ok(Err(e)) => SendOutcome::Transient(format!("{e:#}")),
            Err(e) => SendOutcome::Transient(format!("cannot write {}: {e}", path.display())),
        }
    }
}
