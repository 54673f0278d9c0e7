//! Getting bytes to a relay: SMTP over connections we open ourselves so that TCP_NODELAY is set
//! (lettre's own pool leaves Nagle on, which costs ~40 ms per message), kept open between
//! messages, reopened after a failure; a rate limit per relay enforced at send time; and, when no
//! relay is configured, .eml files under the data directory.
//!
//! lettre marks `AsyncNetworkStream` deprecated ("not meant to be public") but it is the only
//! way to run its TLS on a socket we opened; it is used for implicit TLS (smtps) only.
#![allow(deprecated)]

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncNetworkStream, AsyncSmtpConnection, AsyncTokioStream, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// A whole transaction, message included.
const DATA_TIMEOUT: Duration = Duration::from_secs(120);

pub use crate::domain::mail::{RelayUrl, TlsMode};

mod wire;
pub use wire::*;

mod pace;
pub use pace::*;

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; the relay's reply.
    Sent(String),
    /// 4xx or a network failure: try again later.
    Transient(String),
    /// 5xx: this recipient will never be accepted.
    Permanent(String),
    /// The content and its final dot went out, then the connection broke or the relay fell silent
    /// before answering: it may have been delivered. Tried again later with the same Message-ID,
    /// and marked as a possible duplicate.
    Unconfirmed(String),
}

/// One SMTP connection, opened with TCP_NODELAY.
pub struct Connection {
    inner: AsyncSmtpConnection,
    broken: bool,
    /// Has carried a message or waited in the pool: the relay may have closed it since.
    reused: bool,
    /// The relay announced PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write.
    pipelining: bool,
}

impl Connection {
    pub fn is_broken(&self) -> bool {
        self.broken || self.inner.has_broken()
    }
}

/// Opens and reuses connections to one relay.
pub struct Relay {
    url: RelayUrl,
    hello: ClientId,
    idle: Mutex<Vec<Connection>>,
}

impl Relay {
    pub fn new(url: RelayUrl, hello_domain: &str) -> Self {
        Self {
            url,
            hello: ClientId::Domain(hello_domain.to_owned()),
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn describe(&self) -> String {
        format!("{}:{}", self.url.host, self.url.port)
    }

    /// An idle connection, or a new one.
    pub async fn checkout(&self) -> Result<Connection, String> {
        if let Some(mut c) = self.idle.lock().ok().and_then(|mut i| i.pop()) {
            c.reused = true;
            return Ok(c);
        }
        self.connect().await
    }

    /// A new connection: TCP (with NODELAY), TLS as configured, greeting, authentication.
    async fn connect(&self) -> Result<Connection, String> {
        let address = (self.url.host.as_str(), self.url.port);
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
            .await
            .map_err(|_| format!("cannot connect to {}: timed out", self.describe()))?
            .map_err(|e| format!("cannot connect to {}: {e}", self.describe()))?;
        tcp.set_nodelay(true)
            .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
        let tls = || TlsParameters::new(self.url.host.clone()).map_err(|e| format!("TLS: {e}"));
        let stream: Box<dyn AsyncTokioStream> = if self.url.tls == TlsMode::Implicit {
            // lettre can only take over a stream before the greeting; for implicit TLS the
            // handshake comes first, so it is done here on our own (NODELAY) socket.
            let mut plain = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
            plain
                .upgrade_tls(tls()?)
                .await
                .map_err(|e| format!("TLS with {}: {e}", self.describe()))?;
            Box::new(Encrypted(plain.compat()))
        } else {
            Box::new(tcp)
        };
        let greeting = AsyncSmtpConnection::connect_with_transport(stream, &self.hello);
        let mut conn = tokio::time::timeout(COMMAND_TIMEOUT, greeting)
            .await
            .map_err(|_| format!("no SMTP greeting from {}", self.describe()))?
            .map_err(|e| format!("SMTP greeting from {}: {e}", self.describe()))?;
        if self.url.tls == TlsMode::StartTls {
            conn.starttls(tls()?, &self.hello)
                .await
                .map_err(|e| format!("STARTTLS with {}: {e}", self.describe()))?;
        }
        // lettre keeps only the extensions it uses; ask once more to learn about PIPELINING.
        let ehlo =
            tokio::time::timeout(COMMAND_TIMEOUT, conn.command(Ehlo::new(self.hello.clone())))
                .await
                .map_err(|_| format!("no EHLO reply from {}", self.describe()))?
                .map_err(|e| format!("EHLO to {}: {e}", self.describe()))?;
        let pipelining = ehlo
            .message()
            .any(|line| line.trim().eq_ignore_ascii_case("PIPELINING"));
        if let (Some(user), Some(password)) = (&self.url.user, &self.url.password) {
            let creds = Credentials::new(user.clone(), password.expose_secret().to_owned());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                .await
                .map_err(|e| format!("authentication to {}: {e}", self.describe()))?;
        }
        Ok(Connection {
            inner: conn,
            broken: false,
            reused: false,
            pipelining,
        })
    }

    /// Returns a connection for reuse unless it broke.
    pub fn checkin(&self, c: Connection) {
        if !c.broken
            && !c.inner.has_broken()
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.push(c);
        }
    }

    /// Sends one message to one recipient: one RCPT per transaction, always. A refused
    /// recipient is answered with RSET and the connection kept; a network failure or a timeout
    /// marks the connection broken.
    pub async fn send(
        &self,
        c: &mut Connection,
        from: &Address,
        to: &str,
        message: &[u8],
    ) -> SendOutcome {
        let Ok(to) = to.parse::<Address>() else {
            return SendOutcome::Permanent(format!("{to} is not a deliverable address"));
        };
        let mut result =
            tokio::time::timeout(DATA_TIMEOUT, transaction(c, from, &to, message)).await;
        let stale = matches!(&result, Ok(Err((Failed::AtMail, e))) if !e.is_permanent() && !e.is_transient());
        if stale && c.reused {
            // The relay closed this pooled connection while it was idle; nothing was sent on
            // it, so the message goes once more on a fresh connection.
            match self.connect().await {
                Ok(fresh) => {
                    *c = fresh;
                    result = tokio::time::timeout(DATA_TIMEOUT, transaction(c, from, &to, message))
                        .await;
                }
                Err(e) => {
                    c.broken = true;
                    return SendOutcome::Transient(e);
                }
            }
        }
        c.reused = true;
        let after_content = matches!(&result, Ok(Err((Failed::AfterContent, _))) | Err(_));
        match result.map(|r| r.map_err(|(_, e)| e)) {
            Ok(Ok(response)) => SendOutcome::Sent(describe_response(&response)),
            Ok(Err(e)) if e.is_permanent() || e.is_transient() => {
                // The relay answered; the session is still in step after RSET.
                if tokio::time::timeout(COMMAND_TIMEOUT, c.inner.command(Rset))
                    .await
                    .map(|r| r.is_err())
                    .unwrap_or(true)
                {
                    c.broken = true;
                }
                if e.is_permanent() {
                    SendOutcome::Permanent(reply_text(&e))
                } else {
                    SendOutcome::Transient(reply_text(&e))
                }
            }
            Ok(Err(e)) if after_content => {
                c.broken = true;
                SendOutcome::Unconfirmed(format!(
                    "connection to {} failed after the message was sent: {e}",
                    self.describe()
                ))
            }
            Ok(Err(e)) => {
                c.broken = true;
                SendOutcome::Transient(format!("connection to {} failed: {e}", self.describe()))
            }
            // Silent for the whole transaction: where it stopped is not known, so it may have
            // been delivered.
            Err(_) => {
                c.broken = true;
                SendOutcome::Unconfirmed(format!(
                    "{} did not answer within {}s",
                    self.describe(),
                    DATA_TIMEOUT.as_secs()
                ))
            }
        }
    }

    /// Sends the next message of a stream of messages on one connection, one round trip each
    /// (RFC 2920 allows a message's content as the first "command" of a group): the content of
    /// `pending` — the previous message, whose DATA the relay accepted — with its final dot goes
    /// in the same write as this message's MAIL, RCPT and DATA. Returns the outcome of `pending`
    /// (when there was one) and this message's step: accepted (its content waits for the next
    /// call or [`Relay::finish`]) or already done (refused, or sent without pipelining).
    ///
    /// Without PIPELINING, or for a message that is not valid UTF-8 (never the hub's own mail),
    /// it falls back to one message at a time.
    pub async fn step(
        &self,
        c: &mut Connection,
        pending: Option<&[u8]>,
        from: &Address,
        to: &str,
        message: &[u8],
    ) -> (Option<SendOutcome>, Step) {
        let text = std::str::from_utf8(message).ok();
        if !c.pipelining || text.is_none() {
            let before = match pending {
                Some(p) => Some(self.finish(c, p).await),
                None => None,
            };
            if c.is_broken() {
                return (
                    before,
                    Step::Done(SendOutcome::Transient("the connection broke".into())),
                );
            }
            return (before, Step::Done(self.send(c, from, to, message).await));
        }
        let Ok(to) = to.parse::<Address>() else {
            let before = match pending {
                Some(p) => Some(self.finish(c, p).await),
                None => None,
            };
            return (
                before,
                Step::Done(SendOutcome::Permanent(format!(
                    "{to} is not a deliverable address"
                ))),
            );
        };
        let Some(previous) = pending else {
            // The first message of the stream: the envelope alone, with the same retry of a
            // stale pooled connection as a single send.
            let mut r = tokio::time::timeout(COMMAND_TIMEOUT, envelope(c, from, &to)).await;
            let stale = matches!(&r, Ok(Err((true, e))) if !e.is_permanent() && !e.is_transient());
            if stale && c.reused {
                match self.connect().await {
                    Ok(fresh) => {
                        *c = fresh;
                        r = tokio::time::timeout(COMMAND_TIMEOUT, envelope(c, from, &to)).await;
                    }
                    Err(e) => {
                        c.broken = true;
                        return (None, Step::Done(SendOutcome::Transient(e)));
                    }
                }
            }
            c.reused = true;
            return (None, self.after_envelope(c, r).await);
        };
        let Ok(previous_text) = std::str::from_utf8(previous) else {
            let before = self.finish(c, previous).await;
            return (
                Some(before),
                Step::Done(self.send(c, from, to.as_ref(), message).await),
            );
        };
        let mut group = String::with_capacity(previous.len() + 200);
        dot_stuff(previous_text, &mut group);
        group.push_str("\r\n.\r\n");
        group.push_str(&format!(
            "{}{}{Data}",
            Mail::new(Some(from.clone()), vec![]),
            Rcpt::new(to.clone(), vec![])
        ));
        let before = match tokio::time::timeout(DATA_TIMEOUT, c.inner.command(group)).await {
            Ok(Ok(r)) => SendOutcome::Sent(describe_response(&r)),
            Ok(Err(e)) if e.is_permanent() => SendOutcome::Permanent(reply_text(&e)),
            Ok(Err(e)) if e.is_transient() => SendOutcome::Transient(reply_text(&e)),
            Ok(Err(e)) => {
                c.broken = true;
                let failed = format!(
                    "connection to {} failed after the message was sent: {e}",
                    self.describe()
                );
                return (Some(SendOutcome::Unconfirmed(failed)), Step::NotSent);
            }
            Err(_) => {
                c.broken = true;
                let late = format!(
                    "{} did not answer within {}s",
                    self.describe(),
                    DATA_TIMEOUT.as_secs()
                );
                return (Some(SendOutcome::Unconfirmed(late)), Step::NotSent);
            }
        };
        // The previous message is settled whatever its reply; the session stays in step because
        // the three replies to this envelope are read next, in order.
        let r = tokio::time::timeout(COMMAND_TIMEOUT, envelope_replies(c, None)).await;
        (Some(before), self.after_envelope(c, r).await)
    }

    /// Sends the content of the message whose DATA was accepted and reads the final reply.
    pub async fn finish(&self, c: &mut Connection, message: &[u8]) -> SendOutcome {
        match tokio::time::timeout(DATA_TIMEOUT, c.inner.message(message)).await {
            Ok(Ok(r)) => SendOutcome::Sent(describe_response(&r)),
            Ok(Err(e)) if e.is_permanent() => SendOutcome::Permanent(reply_text(&e)),
            Ok(Err(e)) if e.is_transient() => SendOutcome::Transient(reply_text(&e)),
            Ok(Err(e)) => {
                c.broken = true;
                SendOutcome::Unconfirmed(format!(
                    "connection to {} failed after the message was sent: {e}",
                    self.describe()
                ))
            }
            Err(_) => {
                c.broken = true;
                SendOutcome::Unconfirmed(format!(
                    "{} did not answer within {}s",
                    self.describe(),
                    DATA_TIMEOUT.as_secs()
                ))
            }
        }
    }

    /// What the replies to an envelope mean for its message: accepted (content pending), or a
    /// refusal (the session reset with RSET), or a broken connection.
    async fn after_envelope(
        &self,
        c: &mut Connection,
        r: Result<Result<(), (bool, lettre::transport::smtp::Error)>, tokio::time::error::Elapsed>,
    ) -> Step {
        match r {
            Ok(Ok(())) => Step::Accepted,
            Ok(Err((_, e))) if e.is_permanent() || e.is_transient() => {
                if tokio::time::timeout(COMMAND_TIMEOUT, c.inner.command(Rset))
                    .await
                    .map(|r| r.is_err())
                    .unwrap_or(true)
                {
                    c.broken = true;
                }
                Step::Done(if e.is_permanent() {
                    SendOutcome::Permanent(reply_text(&e))
                } else {
                    SendOutcome::Transient(reply_text(&e))
                })
            }
            Ok(Err((_, e))) => {
                c.broken = true;
                Step::Done(SendOutcome::Transient(format!(
                    "connection to {} failed: {e}",
                    self.describe()
                )))
            }
            Err(_) => {
                c.broken = true;
                Step::Done(SendOutcome::Transient(format!(
                    "{} did not answer within {}s",
                    self.describe(),
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
        }
    }

    /// Closes idle connections (at shutdown).
    pub async fn close_idle(&self) {
        let idle: Vec<Connection> = self
            .idle
            .lock()
            .map(|mut i| std::mem::take(&mut *i))
            .unwrap_or_default();
        for mut c in idle {
            let _ = c.inner.quit().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_sent_with_the_next_envelope_is_dot_stuffed_like_lettres() {
        let body = ".htaccess\r\nline\r\n..two\r\n.\r\nend.\r\n";
        let mut ours = String::new();
        dot_stuff(body, &mut ours);
        assert_eq!(ours, "..htaccess\r\nline\r\n...two\r\n..\r\nend.\r\n");
        // The end of data can never appear inside a stuffed body.
        assert!(!format!("\r\n{ours}").contains("\r\n.\r\n"));
    }

    #[test]
    fn relay_urls_parse_with_their_tls_mode() {
        let plain = RelayUrl::parse("smtp://127.0.0.1:2525");
        assert!(
            plain
                .as_ref()
                .is_ok_and(|u| u.port == 2525 && u.tls == TlsMode::None)
        );
        let submission = RelayUrl::parse("smtp://user:secret@relay.example:587?tls=starttls");
        assert!(
            submission
                .as_ref()
                .is_ok_and(|u| u.tls == TlsMode::StartTls && u.user.as_deref() == Some("user"))
        );
        assert!(
            RelayUrl::parse("smtps://relay.example")
                .is_ok_and(|u| u.port == 465 && u.tls == TlsMode::Implicit)
        );
        assert!(RelayUrl::parse("http://relay.example").is_err());
        assert!(RelayUrl::parse("smtp://relay.example?tls=maybe").is_err());
        // A password never crosses the wire in clear (review 3: L12).
        for clear in [
            "smtp://relayuser:S3cretPassw0rd@127.0.0.1:2526",
            "smtp://relayuser@relay.example:587",
            "smtp://relayuser:x@relay.example?tls=none",
        ] {
            let e = RelayUrl::parse(clear).err().unwrap_or_default();
            assert!(e.contains("only over TLS"), "{clear}: {e}");
        }
    }

    #[tokio::test]
    async fn the_rate_limiter_spaces_messages() {
        let limiter = RateLimiter::new(50);
        let started = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        assert!(
            started.elapsed() >= Duration::from_millis(180),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_relay_wide_slow_down_is_told_from_one_recipients_trouble() {
        for throttle in [
            "421 4.7.0 Too many connections, try again later",
            "421 Service not available, closing transmission channel",
            "451 4.7.1 Rate limit exceeded, slow down",
            "452 4.7.0 Too many messages from this host",
        ] {
            assert!(RateLimiter::is_throttle(throttle), "{throttle}");
        }
        for recipient in [
            "451 4.7.1 greylisted, try again later",
            "452 4.2.2 mailbox full",
            "450 4.2.0 <a@b>: mailbox busy",
            "550 5.7.1 rate limit of the recipient exceeded",
            "cannot connect to relay.example: connection refused",
        ] {
            assert!(!RateLimiter::is_throttle(recipient), "{recipient}");
        }
    }

    #[test]
    fn a_pause_doubles_on_each_request_and_starts_over_after_a_message_goes() {
        let limiter = RateLimiter::new(0);
        assert_eq!(limiter.paused_until(), None);
        let secs = |until: chrono::DateTime<chrono::Utc>| {
            (until - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0
        };
        let first = secs(limiter.throttle("421 4.7.0 slow down"));
        assert!((0.7..=1.3).contains(&first), "{first}");
        assert!(limiter.paused_until().is_some());
        // The same answer seen by another task of the batch is the same pause.
        let same = secs(limiter.throttle("421 4.7.0 slow down"));
        assert!((same - first).abs() < 0.1, "{same} {first}");
        let status = limiter.status();
        assert_eq!(status.strikes, 1);
        assert_eq!(status.last.as_deref(), Some("421 4.7.0 slow down"));
        std::thread::sleep(Duration::from_millis(1300));
        assert_eq!(limiter.paused_until(), None);
        let second = secs(limiter.throttle("421 4.7.0 slow down"));
        assert!((1.5..=2.5).contains(&second), "{second}");
        limiter.accepted();
        assert_eq!(limiter.status().strikes, 0);
    }

    #[tokio::test]
    async fn the_pace_is_halved_after_a_pause() {
        let limiter = RateLimiter::new(100);
        limiter.throttle("421 4.7.0 slow down");
        let started = Instant::now();
        for _ in 0..26 {
            limiter.acquire().await;
        }
        // 100/s would take 0.25 s; at about 50/s it takes about 0.5 s.
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
    }
}
