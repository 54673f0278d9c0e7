//! The pace a relay is sent at (`mail.rate_per_second`), enforced where messages are sent, per process; and the .eml outbox used when no relay is set.

#[allow(unused_imports)]
use super::*;

/// Messages per second, shared by every lane sending to one relay.
pub struct RateLimiter {
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            state: Mutex::new((f64::from(per_second).min(1.0), Instant::now())),
        }
    }

    /// Waits until one more message may go.
    pub async fn acquire(&self) {
        if self.per_second <= 0.0 {
            return;
        }
        loop {
            let wait = {
                let Ok(mut s) = self.state.lock() else { return };
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * self.per_second;
                s.0 = (s.0 + refill).min(self.per_second.max(1.0));
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.0) / self.per_second)
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
        match tokio::fs::write(&path, message).await {
            Ok(()) => SendOutcome::Sent(format!("written to {}", path.display())),
            Err(e) => SendOutcome::Transient(format!("cannot write {}: {e}", path.display())),
        }
    }
}
