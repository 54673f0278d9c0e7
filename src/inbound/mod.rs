//! The return channel: mail that comes back to the hub. The site's MTA delivers bounces (to the
//! per-delivery VERP address), auto-replies and replies (to the `From` address) into one
//! Maildir; this worker reads each message once and
//!
//! - marks a **bounce** on the ledger row its VERP address names (status code and reason); a
//!   permanent one counts against the contact, and repeated ones make it unreachable;
//! - records an **auto-reply** (不在通知) and never counts it as an answer;
//! - records a **reply** whose first own line says 受領 / 対応中 / 対応完了 / 該当なし as that
//!   acknowledgement (channel `mail_reply`), only when it quotes the reply code of one alert and
//!   organisation, comes from one of that organisation's verified addresses, and our own MTA
//!   vouches for its sender (`Authentication-Results` under `mail.authserv_id`: DMARC or aligned
//!   DKIM pass); a reply from anyone else, or quoting another organisation's code, is refused
//!   and audited; one our MTA did not vouch for waits for an operator;
//! - leaves everything else waiting at `/admin/inbound` for an operator.
//!
//! The same message delivered twice (same Message-ID) is one row and one effect. Owns
//! `inbound_messages`.
//!
//! **Hostile mail.** Anyone can mail the hub, so a message is read — size and structure checked
//! on the raw bytes first (`domain::mime_guard`), then parsed on a blocking thread within a time
//! budget — before any transaction opens; the write lock is held only for the database
//! effects of what was read.

mod bounce;
pub mod read;
pub mod store;

use crate::domain::ids::AlertId;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use self::bounce::BounceAudit;
use self::read::Kind;
use crate::acks::{self, AckError, Channel};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::keys::tokens::Tokens;
use crate::registry::OrgId;
use crate::workers::Outcome as Worked;

mod maildir;
pub use maildir::*;

/// Messages read per unit of work.
const BATCH: usize = 200;

crate::string_enum! {
    /// What became of one message.
    pub enum Outcome ("inbound outcome") {
        /// Its effect is recorded (a bounce on the ledger, an acknowledgement, an auto-reply noted).
        Recorded = "recorded",
        /// A reply that did not prove it came from the organisation it names: refused and audited.
        Refused = "refused",
        /// Waiting for an operator at /admin/inbound.
        Pending = "pending",
        /// Already seen (the same Message-ID): nothing happened.
        Duplicate = "duplicate",
        /// An operator looked at it and put it aside.
        Dismissed = "dismissed",
    }
}

/// What processing one message did, for the caller and the tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    pub kind: &'static str,
    pub outcome: Outcome,
    pub detail: String,
    pub delivery_id: Option<i64>,
    /// The notice (`admin_notices`) a bounce came back for.
    pub notice_id: Option<i64>,
    pub alert_id: Option<AlertId>,
    pub organisation_id: Option<OrgId>,
}

impl Processed {
    fn new(kind: &'static str, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            kind,
            outcome,
            detail: detail.into(),
            delivery_id: None,
            notice_id: None,
            alert_id: None,
            organisation_id: None,
        }
    }
}

/// What the processing needs from the hub.
pub struct Inputs<'a> {
    pub verp: &'a Tokens,
    pub hard_bounce_limit: u32,
    /// Our MTA's authserv-id (`mail.authserv_id`); `None`: no reply acknowledges by itself.
    pub authserv_id: Option<&'a str>,
    /// A question by mail becomes a 照会: where its desk is told.
    pub mailing: crate::reports::mail::Mailing<'a>,
}

/// How long one message may take to parse before it is put aside unread.
pub const PARSE_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

/// One message as read, before anything is written: the message, or why it could not be read
/// (with the digest of its bytes, so it is kept once).
pub enum Read {
    Message(Box<read::Inbound>, Vec<u8>),
    Unreadable { digest: String, why: String },
}

fn digest_of(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Reads one message without touching the database: its size and MIME structure checked on the
/// raw bytes, then parsed on a blocking thread within [`PARSE_BUDGET`].
pub async fn read_bounded(bytes: Vec<u8>) -> Read {
    if let Err(why) = crate::domain::mime_guard::check(&bytes, crate::domain::mime_guard::RETURNED)
    {
        return Read::Unreadable {
            digest: digest_of(&bytes),
            why,
        };
    }
    let digest = digest_of(&bytes);
    let parse = tokio::task::spawn_blocking(move || {
        let r = read::read(&bytes);
        (r, bytes)
    });
    match tokio::time::timeout(PARSE_BUDGET, parse).await {
        Ok(Ok((Ok(m), bytes))) => Read::Message(Box::new(m), bytes),
        Ok(Ok((Err(why), _))) => Read::Unreadable { digest, why },
        Ok(Err(e)) => Read::Unreadable {
            digest,
            why: format!("reading it failed: {e}"),
        },
        Err(_) => Read::Unreadable {
            digest,
            why: format!("it could not be read within {} s", PARSE_BUDGET.as_secs()),
        },
    }
}

/// Reads one message (outside any transaction) and does what it says, in one transaction.
/// `file` names it in the Maildir (kept on the row).
pub async fn process<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    inputs: &Inputs<'_>,
    bytes: &[u8],
    file: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Processed> {
    let read = read_bounded(bytes.to_vec()).await;
    let txn = begin_write(db).await?;
    let mut audits = BounceAudit::default();
    let p = apply(&txn, inputs, read, file, now, &mut audits).await?;
    audits.record(&txn).await?;
    txn.commit().await?;
    Ok(p)
}

/// Does what one read message says (in the caller's transaction).
async fn apply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    inputs: &Inputs<'_>,
    read: Read,
    file: &str,
    now: DateTime<Utc>,
    audits: &mut BounceAudit,
) -> anyhow::Result<Processed> {
    let (message, raw) = match read {
        Read::Message(m, raw) => (*m, raw),
        Read::Unreadable { digest, why } => {
            if store::seen(db, &digest).await? {
                return Ok(Processed::new(
                    "unknown",
                    Outcome::Duplicate,
                    "the same message was processed before",
                ));
            }
            let p = Processed::new("unknown", Outcome::Pending, format!("unreadable: {why}"));
            let row = store::NewInbound {
                digest,
                message_id: None,
                from: String::new(),
                subject: String::new(),
                excerpt: String::new(),
                file: file.to_owned(),
            };
            return store::save(db, &row, &p, now).await;
        }
    };
    if store::seen(db, &message.digest).await? {
        return Ok(Processed::new(
            message.kind.as_str(),
            Outcome::Duplicate,
            "the same message was processed before",
        ));
    }
    let row = store::NewInbound {
        digest: message.digest.clone(),
        message_id: message.message_id.clone(),
        from: message.from.clone(),
        subject: message.subject.clone(),
        excerpt: message.text.chars().take(1000).collect(),
        file: file.to_owned(),
    };
    let p = match &message.kind {
        Kind::Bounce(b) => bounce::bounce(db, inputs, &message, b, now, audits).await?,
        Kind::AutoReply => {
            let mut p = Processed::new(
                "auto_reply",
                Outcome::Recorded,
                "auto-reply: recorded, not an answer",
            );
            if let [(alert, org)] = inputs.verp.reply_codes_in(&message.text)[..] {
                p.alert_id = Some(alert);
                p.organisation_id = Some(org);
            }
            p
        }
        Kind::Reply { state } => reply(db, inputs, &message, &raw, *state, now).await?,
    };
    store::save(db, &row, &p, now).await
}

async fn reply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    inputs: &Inputs<'_>,
    message: &read::Inbound,
    raw: &[u8],
    state: Option<acks::AckState>,
    now: DateTime<Utc>,
) -> anyhow::Result<Processed> {
    let codes = inputs.verp.reply_codes_in(&message.text);
    let (alert, org) = match codes[..] {
        [one] => one,
        [] => {
            // A verified address of exactly one organisation: its words are a question.
            let contacts = crate::contacts::store::verified_by_email(db, &message.from).await?;
            let mut orgs: Vec<OrgId> = contacts.iter().map(|c| c.org_id).collect();
            orgs.sort();
            orgs.dedup();
            if let ([org], Some(contact)) = (&orgs[..], contacts.first()) {
                return question(db, inputs, message, raw, *org, None, contact, now).await;
            }
            return Ok(Processed::new(
                "reply",
                Outcome::Pending,
                "a reply without a valid reply code, from no one address of one organisation",
            ));
        }
        _ => {
            return Ok(Processed::new(
                "reply",
                Outcome::Pending,
                format!(
                    "a reply quoting {} reply codes: which one it answers is not clear",
                    codes.len()
                ),
            ));
        }
    };
    // Only a verified address speaks for its organisation.
    let contacts = crate::contacts::store::active_for(db, &[org]).await?;
    let contact = contacts
        .iter()
        .filter(|c| c.verified.is_some())
        .find(|c| c.email.as_str().eq_ignore_ascii_case(&message.from));
    let mut p = Processed::new("reply", Outcome::Recorded, String::new());
    p.alert_id = Some(alert);
    p.organisation_id = Some(org);
    let Some(contact) = contact else {
        p.outcome = Outcome::Refused;
        p.detail = format!(
            "refused: {} is not a registered address of the organisation whose reply code it quotes",
            if message.from.is_empty() {
                "(no sender)"
            } else {
                &message.from
            }
        );
        let txn = begin_write(db).await?;
        audit::record(
            &txn,
            &Actor::System,
            "inbound.reply_refused",
            &format!("alert:{alert}"),
            serde_json::json!({
                "from": message.from,
                "organisation": org,
                "subject": message.subject,
                "message_id": message.message_id,
            }),
        )
        .await?;
        txn.commit().await?;
        return Ok(p);
    };
    let Some(state) = state else {
        // Words that are not an acknowledgement: a question about the alert, for its desk.
        return question(db, inputs, message, raw, org, Some(alert), contact, now).await;
    };
    // A From: line is what anyone can write: our own MTA must have checked the sender.
    let vouched = match inputs.authserv_id {
        Some(id) => crate::domain::auth_results::check(raw, id, &message.from),
        None => Err("mail.authserv_id is not set, so no reply acknowledges by itself".to_owned()),
    };
    if let Err(why) = vouched {
        p.outcome = Outcome::Pending;
        p.detail = format!(
            "a reply from {} saying {}, but our mail server did not vouch for the sender: {why}",
            contact.email,
            state.label_ja()
        );
        return Ok(p);
    }
    let actor = Actor::MailReply {
        contact_id: contact.id,
        email: contact.email.to_string(),
    };
    match acks::acknowledge(
        db,
        alert,
        org,
        state,
        None,
        &actor,
        None,
        Channel::MailReply,
    )
    .await
    {
        Ok(()) => {
            p.detail = format!("{} reported {}", contact.email, state.label_ja());
        }
        Err(AckError::Unexpected(e)) => return Err(e),
        Err(e) => {
            p.outcome = Outcome::Refused;
            p.detail = format!("refused: {e}");
        }
    }
    Ok(p)
}

/// Makes a 照会 of a reply's own words (not the quoted mail) from `org`, about `alert` when it
/// quoted one's reply code; the answer goes to the address it came from. A sender our MTA did
/// not vouch for is marked so on the question (it can only cause an answer to the
/// organisation's own registered address). Nothing to ask: it waits for an operator.
#[allow(clippy::too_many_arguments)]
async fn question<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    inputs: &Inputs<'_>,
    message: &read::Inbound,
    raw: &[u8],
    org: OrgId,
    alert: Option<AlertId>,
    contact: &crate::contacts::Contact,
    now: DateTime<Utc>,
) -> anyhow::Result<Processed> {
    let mut p = Processed::new("reply", Outcome::Pending, String::new());
    p.alert_id = alert;
    p.organisation_id = Some(org);
    let words = read::own_text(&message.text);
    let Some(organisation) = crate::registry::store::find_by_id(db, org).await? else {
        p.detail = "a reply from an organisation that is gone".into();
        return Ok(p);
    };
    if words.is_empty() {
        p.detail = format!("a reply from {} with no words of its own", message.from);
        return Ok(p);
    }
    let vouched = inputs
        .authserv_id
        .is_some_and(|id| crate::domain::auth_results::check(raw, id, &message.from).is_ok());
    let title: String = read::subject_without_prefixes(&message.subject)
        .chars()
        .take(crate::inquiries::TITLE_MAX)
        .collect();
    let title = if title.trim().is_empty() {
        "メールでの照会".to_owned()
    } else {
        title
    };
    let from = contact.email.as_str();
    let about = alert.map_or(
        crate::inquiries::About::General,
        crate::inquiries::About::Alert,
    );
    let reader = crate::registry::Caller::new(&organisation, None);
    let asked = crate::inquiries::act::ask(
        db,
        &inputs.mailing,
        &reader,
        &organisation,
        &crate::inquiries::act::Question {
            about,
            title: &title,
            body: &words,
            asker_email: from,
            via: "mail",
            sender_vouched: vouched,
        },
        &Actor::MailReply {
            contact_id: contact.id,
            email: from.to_owned(),
        },
        now,
    )
    .await;
    match asked {
        Ok(id) => {
            p.outcome = Outcome::Recorded;
            p.detail = format!("a question from {from}: 照会 #{id}");
        }
        Err(crate::inquiries::InquiryError::Unexpected(e)) => return Err(e),
        Err(e) => p.detail = format!("a question that could not be filed: {e}"),
    }
    Ok(p)
}

/// An operator puts a waiting or refused message aside (audited). False when there is no such
/// message waiting.
pub async fn dismiss<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i64,
    actor: &Actor,
) -> anyhow::Result<bool> {
    let txn = begin_write(db).await?;
    if !store::dismiss(&txn, id).await? {
        return Ok(false);
    }
    audit::record(
        &txn,
        actor,
        "inbound.dismiss",
        &format!("inbound:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
