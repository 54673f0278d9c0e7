//! Delivery: every published revision becomes one mail per recipient, sent by lane workers that
//! claim rows of the ledger (`deliveries`), build each message from a per-revision template,
//! sign it (once per distinct content, not per recipient), send it over persistent SMTP
//! connections — or write it as an .eml file when no relay is configured — and record what the
//! relay said. Owns `deliveries`.

pub mod dkim;
pub mod mime;
pub mod model;
pub mod store;
pub mod transport;
pub mod worker;

use crate::domain::ids::AlertId;
use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::mail::MailEncoding;
use dkim::DkimSigner;
use mime::{Built, Mailbox};
use transport::{Outbox, RateLimiter, Relay, RelayUrl};

/// Where messages go.
pub enum Sink {
    Relay(Relay),
    Outbox(Outbox),
}

/// One revision's content for one language and encoding, signed.
pub struct Template {
    pub built: Built,
    pub dkim: Vec<String>,
}

/// Everything needed to turn ledger rows into bytes on the wire.
pub struct Mailer {
    pub sink: Sink,
    pub limiter: RateLimiter,
    pub from: Mailbox,
    pub envelope_from: lettre::Address,
    /// Per-delivery envelope senders and reply codes.
    pub verp: crate::keys::tokens::Tokens,
    /// The 問合せ先 footer.
    pub inquiries: String,
    dkim: Option<DkimSigner>,
    pub base_url: url::Url,
    /// Whether mails carry an HTML alternative.
    pub html: bool,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("sink", &self.describe())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Builds the mailer the settings describe: a relay when `mail.smtp_url` is set, else an
    /// outbox of .eml files at `<data_dir>/outbox`; DKIM when `mail.dkim_rsa_key` is set.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let m = &settings.mail;
        let from = Mailbox::parse(&m.from).map_err(|e| anyhow::anyhow!("mail.from: {e}"))?;
        let envelope_from = from
            .address
            .parse::<lettre::Address>()
            .map_err(|e| anyhow::anyhow!("mail.from: {e}"))?;
        let sink = match &m.smtp_url {
            Some(url) => {
                use secrecy::ExposeSecret;
                let url = RelayUrl::parse(url.expose_secret())
                    .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?;
                Sink::Relay(Relay::new(url, from.domain()))
            }
            None => Sink::Outbox(Outbox {
                dir: settings.app.data_dir.join("outbox"),
            }),
        };
        let domain = m
            .dkim_domain
            .clone()
            .unwrap_or_else(|| from.domain().to_owned());
        let dkim = DkimSigner::from_files(
            &domain,
            &m.dkim_selector,
            m.dkim_rsa_key.as_deref(),
            &m.dkim_ed25519_selector,
            m.dkim_ed25519_key.as_deref(),
        )?;
        let key_file = m
            .ack_link_key
            .clone()
            .unwrap_or_else(|| settings.app.data_dir.join("keys").join("ack-link.key"));
        let key_bytes = crate::keys::load_or_create(&key_file, "acknowledgement links")?;
        let bounce = match &m.bounce_address {
            Some(b) => crate::keys::tokens::BounceAddress::parse(b),
            None => crate::keys::tokens::BounceAddress::parse(&format!("bounce@{}", from.domain())),
        }
        .map_err(|e| anyhow::anyhow!("mail.bounce_address: {e}"))?;
        let verp = crate::keys::tokens::Tokens::new(&key_bytes, bounce);
        Ok(Self {
            sink,
            limiter: RateLimiter::new(m.rate_per_second),
            envelope_from,
            verp,
            inquiries: m.inquiries.clone(),
            from,
            dkim,
            base_url: settings.app.base_url.clone(),
            html: m.html,
        })
    }

    /// Replaces the signer (the benchmark compares with and without).
    pub fn with_dkim(mut self, dkim: Option<DkimSigner>) -> Self {
        self.dkim = dkim;
        self
    }

    /// Where mail goes, for logs and the CLI.
    pub fn describe(&self) -> String {
        match &self.sink {
            Sink::Relay(r) => format!("SMTP relay {}", r.describe()),
            Sink::Outbox(o) => format!(
                ".eml files in {} (no mail.smtp_url configured)",
                o.dir.display()
            ),
        }
    }

    pub fn signs(&self) -> bool {
        self.dkim.is_some()
    }

    /// The DKIM-Signature headers of `built` (none without a signer), signed at `time`.
    pub fn sign(&self, built: &Built, time: i64) -> anyhow::Result<Vec<String>> {
        match &self.dkim {
            Some(signer) => signer.sign(built, time),
            None => Ok(Vec::new()),
        }
    }

    /// The domain of the From address: Message-IDs and List-Ids are under it.
    pub fn domain(&self) -> &str {
        self.from.domain()
    }

    /// Sends one plain-text message that belongs to no alert (notice `id`: to the hub
    /// administrators, 連絡先確認, a report's or a survey's mail): UTF-8, DKIM-signed like every
    /// mail of the hub, one recipient, from the notice's own envelope sender (VERP), so a bounce
    /// finds its row.
    pub async fn send_notice(
        &self,
        id: i64,
        to: &crate::domain::EmailAddress,
        subject: &str,
        text: &str,
    ) -> anyhow::Result<transport::SendOutcome> {
        let now = chrono::Utc::now();
        let common = vec![
            ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
            (
                "List-Id".to_owned(),
                format!("Noroshi notices <notices.{}>", self.from.domain()),
            ),
        ];
        let boundary = format!("=_noroshi_notice_{id}");
        let built = mime::build(&mime::Content {
            from: &self.from,
            subject,
            date: &rfc2822_jst(now),
            common_headers: &common,
            text,
            html: None,
            encoding: MailEncoding::Utf8,
            boundary: &boundary,
        });
        let dkim = match &self.dkim {
            Some(signer) => signer.sign(&built, now.timestamp())?,
            None => Vec::new(),
        };
        let message_id = format!("notice.{id}@{}", self.from.domain());
        let bytes = built.to_bytes(
            &dkim,
            &mime::recipient_headers(to.as_str(), &message_id, None, &[]),
        );
        self.limiter.acquire().await;
        Ok(match &self.sink {
            Sink::Outbox(o) => o.write(&format!("notice.{id}"), &bytes).await,
            Sink::Relay(relay) => {
                let mut c = match relay.checkout().await {
                    Ok(c) => c,
                    Err(e) => return Ok(transport::SendOutcome::Transient(e)),
                };
                let from = self
                    .verp
                    .notice_return_path(id)
                    .parse::<lettre::Address>()
                    .unwrap_or_else(|_| self.envelope_from.clone());
                let outcome = relay.send(&mut c, &from, to.as_str(), &bytes).await;
                if !c.is_broken() {
                    relay.checkin(c);
                }
                outcome
            }
        })
    }
}

/// A message ready to send.
pub struct Composed {
    pub message_id: String,
    /// For the outbox: unique per recipient and revision, so a retry overwrites.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// `Sun, 22 Nov 2026 18:30:00 +0900`
pub fn rfc2822_jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo).to_rfc2822()
}

/// Queues an alert's failed deliveries again, with the audit entry; returns how many.
pub async fn retry_failed<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    alert_id: AlertId,
    actor: &crate::audit::Actor,
) -> anyhow::Result<u64> {
    use sea_orm::TransactionSession;
    let txn = crate::db::begin_write(db).await?;
    let n = store::retry_failed(&txn, alert_id, Utc::now()).await?;
    crate::audit::record(
        &txn,
        actor,
        "delivery.retry_failed",
        &format!("alert:{alert_id}"),
        serde_json::json!({ "requeued": n }),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_jst() {
        let t = DateTime::parse_from_rfc3339("2026-11-22T09:30:00Z").map(|t| t.with_timezone(&Utc));
        assert_eq!(
            t.map(rfc2822_jst).ok().as_deref(),
            Some("Sun, 22 Nov 2026 18:30:00 +0900")
        );
    }
}
