//! Who receives the メールマガジン. Every active address of every organisation does, by default,
//! unless it opted out (its own unsubscribe link); staff subscribe themselves at an address of a
//! domain an organisation holds (`registry::domains`, kept by the hub administrators), and only
//! after opening the confirmation link mailed there (double opt-in: nobody can subscribe someone
//! else). Unsubscribing is one POST to the link every copy carries (RFC 8058), needs no session,
//! and answers the same the second time.
//!
//! **Who reads what is decided by a relation someone vouched for, never by a mail domain.** A
//! self-subscribed reader gets the organisation's items (GREEN, and the AMBER ones it may see)
//! only when the organisation vouched for them: they subscribed while signed in to the portal,
//! at their own account's address, or an administrator of the organisation approved them. Anyone
//! else — whoever owns an address at the domain — gets TLP:CLEAR items only.
//!
//! Owns `magazine_subscribers` and `magazine_optouts`.

use crate::domain::ids::OrgId;
use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::{magazine_optouts, magazine_subscribers, org_contacts as contacts};
use crate::domain::mail::MailEncoding;
use crate::domain::{EmailAddress, Language};
use crate::error::Failure;
use crate::keys::tokens::Tokens;

mod leaving;
pub use leaving::*;

mod vouching;
pub use vouching::*;

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 48;
/// A second request for the same address within this many minutes sends no second mail (the
/// address as [`limit_key`] counts it: `a+1@x` and `A+2@X` are one address).
pub const RESEND_MINUTES: i64 = 10;
/// At most this many subscriptions of one domain wait for their confirmation at a time.
pub const PENDING_PER_DOMAIN: u64 = 50;

crate::string_enum! {
    /// A self-subscription's state.
    pub enum Status ("subscriber status") {
        /// Asked for; the confirmation link has not been opened.
        Pending = "pending",
        Active = "active",
        Unsubscribed = "unsubscribed",
    }
}

impl Status {}

/// A staff member who subscribed (or asked to).
#[derive(Clone, Debug)]
pub struct Subscriber {
    pub id: i64,
    pub email: EmailAddress,
    /// The registered organisation whose mail domain the address is at.
    pub organisation_id: OrgId,
    pub language: Language,
    pub encoding: MailEncoding,
    pub status: Status,
    /// Who vouched that the reader is the organisation's own; `None`: TLP:CLEAR items only.
    pub vouched_by: Option<String>,
}

fn to_subscriber(m: magazine_subscribers::Model) -> anyhow::Result<Subscriber> {
    Ok(Subscriber {
        id: m.id,
        email: EmailAddress::parse(&m.email)
            .with_context(|| format!("magazine subscriber {} has a bad address", m.id))?,
        organisation_id: m.organisation_id,
        language: Language::parse(&m.language)
            .map_err(|e| anyhow::anyhow!("magazine subscriber {}: {e}", m.id))?,
        encoding: MailEncoding::parse(&m.encoding)
            .map_err(|e| anyhow::anyhow!("magazine subscriber {}: {e}", m.id))?,
        status: Status::stored(&m.status)
            .map_err(|e| anyhow::anyhow!("magazine subscriber {}: {e}", m.id))?,
        vouched_by: m.vouched_by,
    })
}

/// What a subscription request did. The page says the same for every case but a malformed
/// address, so nobody learns from it whether an address is subscribed, or at a domain an
/// organisation holds: the mail tells its owner.
#[derive(Debug, PartialEq, Eq)]
pub enum Requested {
    /// A confirmation mail is queued to the address.
    ConfirmationSent,
    /// The address is subscribed already: a mail saying so (with its unsubscribe link) is queued.
    AlreadyActive,
    /// A mail went to the address minutes ago; nothing more is sent.
    RecentlySent,
    /// The address is at no domain an organisation holds (or its domain has too many
    /// subscriptions waiting): nothing is sent or stored.
    NotSent,
}

/// Who asks to subscribe.
#[derive(Clone, Debug)]
pub enum Requester {
    /// Anyone, on the public form.
    Public,
    /// A signed-in portal user of `org`: at the account's own address, the organisation vouches
    /// for the reader (`actor` is recorded as who vouched).
    User {
        org: crate::registry::OrgId,
        email: EmailAddress,
        actor: String,
    },
}

/// The address as limits count it: lower case, without a `+tag` (`Taro+x@City.lg.jp` →
/// `taro@city.lg.jp`), so sub-addressing cannot multiply the mails one mailbox gets.
pub fn limit_key(email: &EmailAddress) -> String {
    let lower = email.as_str().to_ascii_lowercase();
    match lower.split_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => lower,
    }
}

/// Subscriptions never confirmed are forgotten once their link has expired.
async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<()> {
    magazine_subscribers::Entity::delete_many()
        .filter(magazine_subscribers::Column::Status.eq(Status::Pending.as_str()))
        .filter(magazine_subscribers::Column::ConfirmedAt.is_null())
        .filter(magazine_subscribers::Column::ConfirmExpiresAt.lt(now))
        .exec(db)
        .await
        .context("cannot forget expired subscriptions")?;
    Ok(())
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The one-click unsubscribe link of a subscriber or of an organisation's contact address.
pub fn unsubscribe_url(base_url: &url::Url, verp: &Tokens, who: Recipient) -> String {
    format!(
        "{}/magazine/unsubscribe/{}",
        base_url.as_str().trim_end_matches('/'),
        verp.unsubscribe_token(&who.key())
    )
}

/// Whose copy an unsubscribe link belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A self-subscribed staff member.
    Subscriber(i64),
    /// An organisation's contact address (subscribed by default).
    Contact(i64),
}

impl Recipient {
    fn key(self) -> String {
        match self {
            Self::Subscriber(id) => format!("s{id}"),
            Self::Contact(id) => format!("c{id}"),
        }
    }

    /// The recipient a token names, when its check holds.
    pub fn of_token(verp: &Tokens, token: &str) -> Option<Self> {
        let key = verp.unsubscribe_key(token)?;
        let (kind, id) = key.split_at(1);
        let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
        match kind {
            "s" => Some(Self::Subscriber(id)),
            "c" => Some(Self::Contact(id)),
            _ => None,
        }
    }
}

/// Asks to subscribe `email`: nothing happens unless the address is at a domain an
/// organisation holds, or is a signed-in user's own; otherwise a confirmation mail (link valid
/// [`CONFIRM_HOURS`]) is queued, at most one per [`RESEND_MINUTES`] per address as
/// [`limit_key`] counts it, and at most [`PENDING_PER_DOMAIN`] waiting per domain. Changes
/// nothing else until the link is opened.
#[allow(clippy::too_many_arguments)]
pub async fn request<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    verp: &Tokens,
    base_url: &url::Url,
    email: &str,
    language: &str,
    encoding: &str,
    who: &Requester,
    now: DateTime<Utc>,
) -> Result<Requested, Failure> {
    let email = EmailAddress::parse(email).map_err(|e| Failure::Invalid(format!("email: {e}")))?;
    // Left out: Japanese in UTF-8, as the form proposes.
    let language = match language.trim() {
        "" => Language::Ja,
        l => Language::parse(l).map_err(|e| Failure::Invalid(format!("language: {e}")))?,
    };
    let encoding = match encoding.trim() {
        "" => MailEncoding::Utf8,
        e => MailEncoding::parse(e).map_err(|e| Failure::Invalid(format!("encoding: {e}")))?,
    };
    let (org, vouched_by) = match who {
        Requester::User {
            org,
            email: own,
            actor,
        } if own.as_str().eq_ignore_ascii_case(email.as_str()) => (Some(*org), Some(actor.clone())),
        _ => (crate::registry::domains::owner_of(db, &email).await?, None),
    };
    let Some(org) = org else {
        return Ok(Requested::NotSent);
    };
    let key = limit_key(&email);
    let base = base_url.as_str().trim_end_matches('/');
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    purge_expired(&txn, now).await?;
    let recent = magazine_subscribers::Entity::find()
        .filter(magazine_subscribers::Column::LimitKey.eq(&key))
        .filter(
            magazine_subscribers::Column::LastMailedAt.gt(now - Duration::minutes(RESEND_MINUTES)),
        )
        .one(&txn)
        .await
        .map_err(anyhow::Error::from)?;
    if recent.is_some() {
        return Ok(Requested::RecentlySent);
    }
    let existing = magazine_subscribers::Entity::find()
        .filter(magazine_subscribers::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await
        .map_err(anyhow::Error::from)?;
    if existing.is_none() {
        use sea_orm::PaginatorTrait;
        let waiting = magazine_subscribers::Entity::find()
            .filter(magazine_subscribers::Column::Status.eq(Status::Pending.as_str()))
            .filter(
                magazine_subscribers::Column::LimitKey
                    .like(format!("%@{}", email.domain().to_ascii_lowercase())),
            )
            .count(&txn)
            .await
            .map_err(anyhow::Error::from)?;
        if waiting >= PENDING_PER_DOMAIN {
            return Ok(Requested::NotSent);
        }
    }
    let outcome = match existing {
        Some(e) if e.status == Status::Active.as_str() => {
            let mut m: magazine_subscribers::ActiveModel = e.clone().into();
            m.last_mailed_at = Set(now);
            m.update(&txn).await.map_err(anyhow::Error::from)?;
            let unsubscribe = unsubscribe_url(base_url, verp, Recipient::Subscriber(e.id));
            crate::notices::store::queue(
                &txn,
                crate::notices::store::NoticeKind::Subscription,
                &email,
                "【自治体CEPTOAR】メールマガジンは購読中です",
                &format!(
                    "このアドレスは自治体CEPTOARメールマガジンを既に購読しています。\n\
                     購読をやめる場合は次のリンクを開いてください。\n{unsubscribe}\n\n\
                     Noroshi（自治体CEPTOAR）\n"
                ),
                now,
            )
            .await?;
            Requested::AlreadyActive
        }
        existing => {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            let token = URL_SAFE_NO_PAD.encode(bytes);
            let expires = now + Duration::hours(CONFIRM_HOURS);
            let mut m = match existing {
                Some(e) => e.into(),
                None => magazine_subscribers::ActiveModel {
                    email: Set(email.as_str().to_owned()),
                    created_at: Set(now),
                    confirmed_at: Set(None),
                    unsubscribed_at: Set(None),
                    ..Default::default()
                },
            };
            m.organisation_id = Set(org);
            m.language = Set(language.as_str().to_owned());
            m.encoding = Set(encoding.as_str().to_owned());
            m.status = Set(Status::Pending.as_str().to_owned());
            m.confirm_hash = Set(Some(token_hash(&token)));
            m.confirm_expires_at = Set(Some(expires));
            m.last_mailed_at = Set(now);
            m.limit_key = Set(key);
            m.vouched_by = Set(vouched_by.clone());
            m.vouched_at = Set(vouched_by.as_ref().map(|_| now));
            m.save(&txn).await.map_err(anyhow::Error::from)?;
            crate::notices::store::queue(
                &txn,
                crate::notices::store::NoticeKind::Subscription,
                &email,
                "【自治体CEPTOAR】メールマガジン購読の確認",
                &format!(
                    "自治体CEPTOARメールマガジンの購読申込みを受け付けました。\n\
                     次のリンクを開き、「購読を確定する」を押すと購読が始まります（{} まで有効）。\n\
                     {base}/magazine/confirm/{token}\n\n\
                     お心当たりがない場合は、このメールを破棄してください。何も登録されません。\n\n\
                     Noroshi（自治体CEPTOAR）\n",
                    crate::time::format_jst(&expires)
                ),
                now,
            )
            .await?;
            Requested::ConfirmationSent
        }
    };
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(outcome)
}

/// What a confirmation link is.
#[derive(Debug)]
pub enum Confirmation {
    /// Pending: the button confirms it.
    Pending(Subscriber),
    /// Opened before; the subscription is active.
    Done(Subscriber),
}

async fn by_confirm_token(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<magazine_subscribers::Model, Failure> {
    if token.is_empty() || token.len() > 100 {
        return Err(Failure::NotFound("no such confirmation link".into()));
    }
    let Some(m) = magazine_subscribers::Entity::find()
        .filter(magazine_subscribers::Column::ConfirmHash.eq(token_hash(token)))
        .one(db)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Err(Failure::NotFound("no such confirmation link".into()));
    };
    if m.status == Status::Pending.as_str() && m.confirm_expires_at.is_none_or(|t| t <= now) {
        return Err(Failure::Gone(format!(
            "this confirmation link expired ({CONFIRM_HOURS} hours after it was sent); subscribe again"
        )));
    }
    Ok(m)
}

/// Reads a confirmation link (opening it changes nothing).
pub async fn confirmation(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Confirmation, Failure> {
    let m = by_confirm_token(db, token, now).await?;
    let done = m.status != Status::Pending.as_str();
    let s = to_subscriber(m)?;
    Ok(if done {
        Confirmation::Done(s)
    } else {
        Confirmation::Pending(s)
    })
}

/// Confirms a subscription (the button on the link's page); audited. Confirming twice is
/// harmless.
pub async fn confirm<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Subscriber, Failure> {
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let m = by_confirm_token(&txn, token, now).await?;
    if m.status == Status::Pending.as_str() {
        let id = m.id;
        let mut a: magazine_subscribers::ActiveModel = m.clone().into();
        a.status = Set(Status::Active.as_str().to_owned());
        a.confirmed_at = Set(Some(now));
        a.unsubscribed_at = Set(None);
        a.update(&txn).await.map_err(anyhow::Error::from)?;
        audit::record(
            &txn,
            &Actor::MagazineLink {
                recipient: format!("s{id}"),
            },
            "magazine.subscribe",
            &format!("magazine_subscriber:{id}"),
            serde_json::json!({ "email": m.email, "organisation_id": m.organisation_id }),
        )
        .await?;
    }
    let s = magazine_subscribers::Entity::find_by_id(m.id)
        .one(&txn)
        .await
        .map_err(anyhow::Error::from)?
        .context("the subscriber vanished")?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(to_subscriber(s)?)
}
