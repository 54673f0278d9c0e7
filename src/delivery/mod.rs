//! Delivery: every published revision becomes one mail per recipient, sent by lane workers that
//! claim rows of the ledger (`deliveries`), build each message from a per-revision template,
//! sign it (once per distinct content, not per recipient), send it over persistent SMTP
//! connections — or write it as an .eml file when no relay is configured — and record what the
//! relay said. Owns `deliveries`.

pub mod dkim;
pub mod mime;
pub mod model;
pub mod render;
pub mod store;
pub mod transport;
pub mod verp;
pub mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::config::Settings;
use crate::contacts::{Language, MailEncoding};
use dkim::DkimSigner;
use mime::{Built, Mailbox};
use transport::{Outbox, RateLimiter, Relay, RelayUrl};

/// Revisions (with their templates) kept in memory.
const REVISION_CACHE: usize = 256;
/// Templates kept per revision (one per organisation when mails carry links).
const TEMPLATES_PER_REVISION: usize = 8_192;

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

type TemplateKey = (Language, MailEncoding, store::Kind, Option<i64>);

/// A revision as the mailer needs it.
struct Prepared {
    public_id: String,
    revision: crate::alerts::Revision,
    /// By language, encoding, kind and — when the mail carries an acknowledgement link — the
    /// organisation (its link is in the body, so its body and signature are its own).
    templates: Mutex<HashMap<TemplateKey, Arc<Template>>>,
    /// Acknowledgement link tokens by addressed organisation, made once per revision.
    links: tokio::sync::OnceCell<HashMap<i64, String>>,
    /// Whether this process has started signing the revision's remaining templates ahead.
    warming: std::sync::atomic::AtomicBool,
}

/// Everything needed to turn ledger rows into bytes on the wire.
pub struct Mailer {
    pub sink: Sink,
    pub limiter: RateLimiter,
    pub from: Mailbox,
    pub envelope_from: lettre::Address,
    /// Per-delivery envelope senders and reply codes.
    pub verp: verp::Verp,
    /// The 問合せ先 footer.
    inquiries: String,
    dkim: Option<DkimSigner>,
    base_url: url::Url,
    html: bool,
    revisions: Mutex<HashMap<i64, Arc<Prepared>>>,
    link_key: crate::acks::links::LinkKey,
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
        let link_key = crate::acks::links::LinkKey::from_bytes(&key_bytes);
        let bounce = match &m.bounce_address {
            Some(b) => verp::BounceAddress::parse(b),
            None => verp::BounceAddress::parse(&format!("bounce@{}", from.domain())),
        }
        .map_err(|e| anyhow::anyhow!("mail.bounce_address: {e}"))?;
        let verp = verp::Verp::new(&key_bytes, bounce);
        Ok(Self {
            link_key,
            sink,
            limiter: RateLimiter::new(m.rate_per_second),
            envelope_from,
            verp,
            inquiries: m.inquiries.clone(),
            from,
            dkim,
            base_url: settings.app.base_url.clone(),
            html: m.html,
            revisions: Mutex::new(HashMap::new()),
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

    async fn prepared(
        &self,
        db: &impl ConnectionTrait,
        revision_id: i64,
    ) -> anyhow::Result<Option<Arc<Prepared>>> {
        if let Some(p) = self
            .revisions
            .lock()
            .ok()
            .and_then(|r| r.get(&revision_id).cloned())
        {
            return Ok(Some(p));
        }
        let Some(revision) = crate::alerts::store::revision(db, revision_id).await? else {
            return Ok(None);
        };
        let Some(alert) = crate::alerts::store::get(db, revision.alert_id).await? else {
            return Ok(None);
        };
        let public_id = alert
            .public_id
            .context("a published alert has no public id")?;
        let p = Arc::new(Prepared {
            public_id,
            revision,
            templates: Mutex::new(HashMap::new()),
            links: tokio::sync::OnceCell::new(),
            warming: std::sync::atomic::AtomicBool::new(false),
        });
        if let Ok(mut r) = self.revisions.lock() {
            if r.len() >= REVISION_CACHE {
                r.clear();
            }
            r.insert(revision_id, Arc::clone(&p));
        }
        Ok(Some(p))
    }

    fn template(
        &self,
        p: &Prepared,
        language: Language,
        encoding: MailEncoding,
        kind: store::Kind,
        link: Option<(i64, &str)>,
    ) -> anyhow::Result<Arc<Template>> {
        let key = (language, encoding, kind, link.map(|(org, _)| org));
        if let Some(t) = p.templates.lock().ok().and_then(|t| t.get(&key).cloned()) {
            return Ok(t);
        }
        let ack_url = link.map(|(_, token)| {
            format!(
                "{}/ack/{token}",
                self.base_url.as_str().trim_end_matches('/')
            )
        });
        let r = &p.revision;
        let reply_code = link.map(|(org, _)| self.verp.reply_code(r.alert_id.0, org));
        let letter = render::Letter {
            public_id: &p.public_id,
            revision: r,
            base_url: &self.base_url,
            kind,
            reply_code: reply_code.as_deref(),
            inquiries: &self.inquiries,
        };
        let subject = letter.subject();
        let text = letter.text(language, r.ack_deadline, ack_url.as_deref());
        let html = self.html.then(|| letter.html(&text, ack_url.as_deref()));
        let date = rfc2822_jst(r.published_at);
        let mut common = vec![
            ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
            (
                "List-Id".to_owned(),
                format!("Noroshi alerts <alerts.{}>", self.from.domain()),
            ),
            ("X-Noroshi-Alert".to_owned(), p.public_id.clone()),
            ("X-Noroshi-Revision".to_owned(), r.number.to_string()),
            ("X-Noroshi-TLP".to_owned(), r.tlp.as_str().to_owned()),
        ];
        if kind != store::Kind::Alert {
            common.push(("X-Noroshi-Follow-Up".to_owned(), kind.as_str().to_owned()));
        }
        if r.drill {
            common.push(("X-Noroshi-Drill".to_owned(), "yes".to_owned()));
        }
        let boundary = format!("=_noroshi_{}_r{}_{}", p.public_id, r.number, kind.as_str());
        let built = mime::build(&mime::Content {
            from: &self.from,
            subject: &subject,
            date: &date,
            common_headers: &common,
            text: &text,
            html: html.as_deref(),
            encoding,
            boundary: &boundary,
        });
        let dkim = match &self.dkim {
            Some(signer) => signer.sign(&built, r.published_at.timestamp())?,
            None => Vec::new(),
        };
        let t = Arc::new(Template { built, dkim });
        if let Ok(mut templates) = p.templates.lock() {
            if templates.len() >= TEMPLATES_PER_REVISION {
                templates.clear();
            }
            templates.insert(key, Arc::clone(&t));
        }
        Ok(t)
    }

    /// Sends one plain-text message that belongs to no alert (a notice to the hub
    /// administrators): UTF-8, DKIM-signed like every mail of the hub, one recipient.
    pub async fn send_notice(
        &self,
        id: i64,
        to: &crate::auth::EmailAddress,
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
                let outcome = relay
                    .send(&mut c, &self.envelope_from, to.as_str(), &bytes)
                    .await;
                if !c.is_broken() {
                    relay.checkin(c);
                }
                outcome
            }
        })
    }

    /// The Message-ID of revision `number` to one contact: the same on every retry.
    pub fn message_id(&self, public_id: &str, number: i32, contact_id: i64) -> String {
        format!("{public_id}.r{number}.c{contact_id}@{}", self.from.domain())
    }

    /// The acknowledgement link token a delivery's mail carries: alerts and reminders to an
    /// addressed organisation carry its link; withdrawals and escalations (about other
    /// organisations) do not.
    async fn link_token(
        &self,
        db: &impl ConnectionTrait,
        p: &Prepared,
        d: &store::Claimed,
    ) -> anyhow::Result<Option<String>> {
        if !matches!(
            d.kind,
            store::Kind::Alert | store::Kind::Reminder | store::Kind::Chase
        ) || p.revision.kind.is_withdrawal()
        {
            return Ok(None);
        }
        let links = p
            .links
            .get_or_try_init(|| {
                crate::acks::links::tokens_for_alert(
                    db,
                    &self.link_key,
                    p.revision.alert_id.0,
                    p.revision.published_at,
                )
            })
            .await?;
        Ok(links.get(&d.organisation_id).cloned())
    }

    /// The bytes of one claimed delivery, and its Message-ID. `None` when its revision is gone.
    pub async fn compose(
        &self,
        db: &impl ConnectionTrait,
        d: &store::Claimed,
    ) -> anyhow::Result<Option<Composed>> {
        let Some(p) = self.prepared(db, d.revision_id).await? else {
            return Ok(None);
        };
        let language = Language::parse(&d.language).unwrap_or(Language::Ja);
        let encoding = MailEncoding::parse(&d.encoding).unwrap_or(MailEncoding::Utf8);
        let token = self.link_token(db, &p, d).await?;
        let template = self.template(
            &p,
            language,
            encoding,
            d.kind,
            token.as_deref().map(|t| (d.organisation_id, t)),
        )?;
        let number = p.revision.number;
        let (message_id, last) = match d.kind {
            store::Kind::Alert => (
                self.message_id(&p.public_id, number, d.contact_id),
                number - 1,
            ),
            // A follow-up threads under the revision it is about.
            kind => (
                format!(
                    "{}.r{number}.{}.c{}@{}",
                    p.public_id,
                    kind.as_str(),
                    d.contact_id,
                    self.from.domain()
                ),
                number,
            ),
        };
        // Later messages thread to the first message this contact got, and name every earlier one.
        let references: Vec<String> = (1..=last)
            .map(|n| self.message_id(&p.public_id, n, d.contact_id))
            .collect();
        let recipient = mime::recipient_headers(
            &d.email,
            &message_id,
            references.first().map(String::as_str),
            &references,
        );
        let bytes = template.built.to_bytes(&template.dkim, &recipient);
        Ok(Some(Composed {
            file_name: match d.kind {
                store::Kind::Alert => format!("{}.r{number}.c{}", p.public_id, d.contact_id),
                kind => format!(
                    "{}.r{number}.{}.c{}",
                    p.public_id,
                    kind.as_str(),
                    d.contact_id
                ),
            },
            message_id,
            bytes,
        }))
    }
}

/// Builds and signs, on every core, the templates a claimed batch needs that are not built yet.
/// Each organisation's mail carries its own link, so a batch over many organisations needs many
/// RSA signatures: done one after another they were most of a DKIM fan-out's time. Errors are
/// left for `compose`, which builds any template still missing and reports them.
pub async fn warm_templates(
    mailer: &Arc<Mailer>,
    db: &impl ConnectionTrait,
    claimed: &[store::Claimed],
) -> anyhow::Result<()> {
    if mailer.dkim.is_none() {
        return Ok(());
    }
    type Work = (
        Arc<Prepared>,
        Language,
        MailEncoding,
        store::Kind,
        Option<(i64, String)>,
    );
    let mut work: Vec<Work> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in claimed {
        let Some(p) = mailer.prepared(db, d.revision_id).await? else {
            continue;
        };
        let language = Language::parse(&d.language).unwrap_or(Language::Ja);
        let encoding = MailEncoding::parse(&d.encoding).unwrap_or(MailEncoding::Utf8);
        let token = mailer.link_token(db, &p, d).await?;
        let key = (
            language,
            encoding,
            d.kind,
            token.as_ref().map(|_| d.organisation_id),
        );
        let built = p.templates.lock().is_ok_and(|t| t.contains_key(&key));
        if built || !seen.insert((d.revision_id, key)) {
            continue;
        }
        work.push((
            p,
            language,
            encoding,
            d.kind,
            token.map(|t| (d.organisation_id, t)),
        ));
    }
    if work.len() < 2 {
        return Ok(());
    }
    let mailer = Arc::clone(mailer);
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(work.len());
        let per_thread = work.len().div_ceil(threads);
        std::thread::scope(|s| {
            for part in work.chunks(per_thread) {
                let mailer = &mailer;
                s.spawn(move || {
                    for (p, language, encoding, kind, link) in part {
                        let link = link.as_ref().map(|(org, t)| (*org, t.as_str()));
                        let _ = mailer.template(p, *language, *encoding, *kind, link);
                    }
                });
            }
        });
    })
    .await
    .context("building templates panicked")?;
    Ok(())
}

/// Signs, in the background and on every core, the templates the rest of a revision's queued
/// deliveries will need, once per revision and process. A unit claims only what it can send
/// soon, so without this each unit would sign its few organisations' templates and only then
/// send; with it, signing runs ahead of sending and the two overlap.
pub fn warm_ahead(mailer: &Arc<Mailer>, db: &sea_orm::DatabaseConnection, revision_ids: &[i64]) {
    if mailer.dkim.is_none() {
        return;
    }
    for &revision_id in revision_ids {
        let mailer = Arc::clone(mailer);
        let db = db.clone();
        tokio::spawn(async move {
            let Ok(Some(p)) = mailer.prepared(&db, revision_id).await else {
                return;
            };
            if p.warming.swap(true, std::sync::atomic::Ordering::AcqRel) {
                return;
            }
            let result = async {
                let variants = store::queued_variants(&db, revision_id).await?;
                warm_templates(&mailer, &db, &variants).await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(revision_id, error = %format!("{e:#}"), "cannot sign templates ahead");
            }
        });
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
    alert_id: i64,
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
