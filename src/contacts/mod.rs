//! Contacts: the mail addresses each organisation receives alerts at (primary, backup, role), each
//! with a language, a preferred encoding and an active flag. Owns `org_contacts`.

pub mod confirm;
pub mod domains;
pub mod inquiry_line;
pub mod store;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::domain::EmailAddress;
use crate::registry::{self, OrgCode, OrgId};

crate::string_enum! {
    /// What an address is for.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ContactKind ("contact kind") {
        Primary = "primary",
        Backup = "backup",
        /// A shared role mailbox (情報政策課 etc.).
        Role = "role",
    }
}

/// How a message to this address is encoded (mail vocabulary, in `domain`).
pub use crate::domain::mail::MailEncoding;

/// The language of the messages (the hub's one language type).
pub use crate::domain::Language;

impl crate::delivery::store::Recipient for Contact {
    fn organisation_id(&self) -> OrgId {
        self.org_id
    }
    fn contact_id(&self) -> i64 {
        self.id
    }
    fn email(&self) -> &str {
        self.email.as_str()
    }
    fn encoding(&self) -> MailEncoding {
        self.encoding
    }
    fn language(&self) -> Language {
        self.language
    }
}

impl ContactKind {
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::from_code(s.trim()).ok_or_else(|| {
            format!(
                "`{}` is not a contact kind: expected primary, backup or role",
                s.trim()
            )
        })
    }
}

/// One address of one organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub org_id: OrgId,
    pub email: EmailAddress,
    pub kind: ContactKind,
    pub language: Language,
    pub encoding: MailEncoding,
    pub active: bool,
    /// Permanent bounces since the address last worked or was confirmed.
    pub hard_bounces: i32,
    pub unreachable: bool,
    pub confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the address may receive more than TLP:CLEAR; `None` until it is verified.
    pub verified: Option<Verified>,
}

crate::string_enum! {
    /// Why an address may receive an organisation's restricted mail (TLP:GREEN and above): the
    /// organisation holds its domain, a hub administrator added it, or its owner confirmed it from
    /// the address itself. An address at any other domain — a duty officer's mobile, a web-mail
    /// account — may be a contact, but gets TLP:CLEAR only until it is confirmed.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Verified ("contact verification") {
        /// At a domain the organisation holds (`registry::domains`).
        Domain = "domain",
        /// Added by a hub administrator, or at the command line on the hub's machine.
        Admin = "admin",
        /// Its owner pressed the button of the link mailed to it.
        Address = "address",
        /// Added before addresses were verified (migration 000031).
        Legacy = "legacy",
    }
}

impl Contact {
    /// Whether mail marked `tlp` may go to this address: TLP:CLEAR to any active address,
    /// anything more only to a verified one.
    pub fn may_receive(&self, tlp: crate::domain::Tlp) -> bool {
        tlp == crate::domain::Tlp::Clear || self.verified.is_some()
    }
}

/// How well an address is known to work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// Bounced this many times, not yet given up.
    Bounced(i32),
    /// Repeated permanent bounces.
    Unreachable,
    /// Never confirmed, or not for over twelve months.
    Unconfirmed,
}

impl Contact {
    /// The address's health as of `now`.
    pub fn health(&self, now: chrono::DateTime<chrono::Utc>) -> Health {
        if self.unreachable {
            Health::Unreachable
        } else if self.hard_bounces > 0 {
            Health::Bounced(self.hard_bounces)
        } else if self
            .confirmed_at
            .is_none_or(|c| now - c > chrono::Duration::days(365))
        {
            Health::Unconfirmed
        } else {
            Health::Ok
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("no organisation has the code {0}")]
    UnknownOrganisation(OrgCode),
    #[error("{0} already has the address {1}")]
    Duplicate(String, EmailAddress),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for ContactError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            e @ Self::UnknownOrganisation(_) => Failure::NotFound(e.to_string()),
            e @ Self::Duplicate(..) => Failure::Conflict(e.to_string()),
            Self::Invalid(m) => Failure::Invalid(m),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Who adds an address, which decides whether it is verified at once.
#[derive(Clone, Debug)]
pub struct Adder {
    pub actor: Actor,
    /// A hub administrator, or an operator at the command line on the hub's machine: their
    /// word verifies the address.
    pub trusted: bool,
}

/// Where a confirmation link points (the hub's base URL and the key its tokens are checked
/// with).
pub struct Links<'a> {
    pub verp: &'a crate::keys::tokens::Tokens,
    pub base_url: &'a url::Url,
}

/// Adds an address to an organisation, with its audit entry. It is verified at once when
/// `by` is trusted or the organisation holds its domain; otherwise its owner is mailed a link
/// to confirm it, and until then it receives TLP:CLEAR mail only.
#[allow(clippy::too_many_arguments)]
pub async fn add_contact<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    links: &Links<'_>,
    org: OrgCode,
    email: EmailAddress,
    kind: ContactKind,
    language: Language,
    encoding: MailEncoding,
    by: &Adder,
) -> Result<Contact, ContactError> {
    let found = registry::store::find_by_code(db, org)
        .await?
        .ok_or(ContactError::UnknownOrganisation(org))?;
    let now = chrono::Utc::now();
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let verified = if by.trusted {
        Some(Verified::Admin)
    } else if registry::domains::holds(&txn, found.id, &email).await? {
        Some(Verified::Domain)
    } else {
        None
    };
    let contact =
        match store::insert(&txn, found.id, &email, kind, language, encoding, verified).await {
            Ok(c) => c,
            Err(store::InsertError::Duplicate) => {
                return Err(ContactError::Duplicate(found.full_name(), email));
            }
            Err(store::InsertError::Unexpected(e)) => return Err(e.into()),
        };
    if verified.is_none() {
        confirm::ask_owner(&txn, links, &found, &contact, now).await?;
    }
    audit::record(
        &txn,
        &by.actor,
        "contact.add",
        &format!("organisation:{}", found.code),
        serde_json::json!({
            "contact": contact.id,
            "email": email.as_str(),
            "kind": kind.as_str(),
            "encoding": encoding.as_str(),
            "verified": verified.map(Verified::as_str),
        }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(contact)
}

/// Turns an address on or off (it stays in the ledger's history either way).
pub async fn set_active<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: OrgCode,
    contact_id: i64,
    active: bool,
    actor: &Actor,
) -> Result<(), ContactError> {
    let found = registry::store::find_by_code(db, org)
        .await?
        .ok_or(ContactError::UnknownOrganisation(org))?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    if !store::set_active(&txn, found.id, contact_id, active).await? {
        return Err(ContactError::Invalid(format!(
            "{} has no contact {contact_id}",
            found.full_name()
        )));
    }
    audit::record(
        &txn,
        actor,
        if active {
            "contact.enable"
        } else {
            "contact.disable"
        },
        &format!("organisation:{}", found.code),
        serde_json::json!({ "contact": contact_id }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(())
}
