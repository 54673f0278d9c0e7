//! Token buckets for forms anyone can post: one per client address and one for everybody, so a
//! single client cannot flood, and many cannot either. In memory, per process (several hub
//! processes each allow their share: the limits bound a flood, they do not count exactly).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bucket of `burst` tokens refilled at `per_minute` a minute.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: f64,
    pub per_minute: f64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: rate.burst,
            at: now,
        }
    }

    /// Refills, then takes a token; otherwise the wait until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let per_sec = rate.per_minute / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(rate.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(
                Duration::from_secs_f64(missing / per_sec.max(f64::MIN_POSITIVE))
                    .max(Duration::from_secs(1)),
            )
        }
    }
}

/// A limit per client and one for all clients together.
pub struct Limiter {
    per_client: Rate,
    global: Rate,
    state: Mutex<(Bucket, HashMap<String, Bucket>)>,
}

/// Client buckets kept before idle ones are forgotten.
const CLIENTS: usize = 50_000;

impl Limiter {
    pub fn new(per_client: Rate, global: Rate) -> Self {
        Self {
            per_client,
            global,
            state: Mutex::new((Bucket::full(global, Instant::now()), HashMap::new())),
        }
    }

    /// Admits one request from `client`, or says how long to wait. A refused request takes no
    /// token from the global bucket.
    pub fn admit(&self, client: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut state) = self.state.lock() else {
            return Err(Duration::from_secs(60));
        };
        let (global, clients) = &mut *state;
        if clients.len() > CLIENTS {
            let rate = self.per_client;
            clients.retain(|_, b| {
                let mut b = *b;
                b.take(rate, now).is_err()
            });
        }
        let bucket = clients
            .entry(client.to_owned())
            .or_insert_with(|| Bucket::full(self.per_client, now));
        let mut probe = *bucket;
        probe.take(self.per_client, now)?;
        global.take(self.global, now)?;
        *bucket = probe;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_and_then_waits_and_all_share_the_global_bucket() {
        let l = Limiter::new(
            Rate {
                burst: 3.0,
                per_minute: 1.0,
            },
            Rate {
                burst: 5.0,
                per_minute: 1.0,
            },
        );
        for _ in 0..3 {
            assert!(l.admit("192.0.2.1").is_ok());
        }
        let wait = l.admit("192.0.2.1");
        assert!(
            wait.is_err_and(|w| w >= Duration::from_secs(30)),
            "{wait:?}"
        );
        assert!(l.admit("192.0.2.2").is_ok());
        assert!(l.admit("192.0.2.3").is_ok());
        // The global bucket is empty now: a fresh client waits too.
        assert!(l.admit("192.0.2.4").is_err());
    }
}
