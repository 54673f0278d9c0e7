//! The ledger's vocabulary: what a delivery carries (`Kind`), where it is (`DeliveryStatus`),
//! and a ledger row as the admin page, the CLI and the drill report read it (`LedgerRow`). The
//! stored strings are mapped here and nowhere else.

use crate::domain::ids::{AlertId, OrgId, RevisionId};
use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::db::entities::deliveries;

crate::string_enum! {
    /// What a delivery carries.
    pub enum Kind ("kind of delivery") {
        /// The revision itself.
        Alert = "alert",
        /// The revision again, to an organisation that has not acknowledged it in time.
        Reminder = "reminder",
        /// To a prefecture: some of its municipalities have not acknowledged.
        Escalation = "escalation",
        /// The revision again, to an organisation still at 受領 or 対応中 past the deadline: asked
        /// to report 対応完了 (or 該当なし) when it is done.
        Chase = "chase",
        /// A メールマガジン issue's copy (a row of no alert).
        Magazine = "magazine",
    }
}

impl Kind {
    /// A stored kind; one this build does not know is an error, never taken for an alert.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::from_code(s).ok_or_else(|| format!("`{s}` is not a kind of delivery"))
    }
}

crate::string_enum! {
    /// The state of one delivery row in the ledger.
    #[derive(PartialOrd, Ord)]
    pub enum DeliveryStatus ("delivery status") {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Deferred = "deferred",
        Failed = "failed",
        Bounced = "bounced",
    }
}

impl DeliveryStatus {
    /// What the operator types on the command line (`--status sent`).
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a delivery status: use {}",
                    Self::ALL.map(Self::as_str).join(", ")
                )
            })
    }
}

/// One row of the ledger as the admin page and `noroshi deliveries` show it.
#[derive(Clone, Debug)]
pub struct LedgerRow {
    pub id: i64,
    pub alert_id: AlertId,
    pub revision_id: RevisionId,
    pub organisation_id: OrgId,
    pub contact_id: i64,
    pub email: String,
    pub kind: Kind,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub last_reply: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub possible_duplicate: bool,
    pub bounced_at: Option<DateTime<Utc>>,
    pub bounce_status: Option<String>,
    pub bounce_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl LedgerRow {
    pub(super) fn from_row(m: deliveries::Model) -> anyhow::Result<Self> {
        Ok(Self {
            status: DeliveryStatus::stored(&m.status)
                .with_context(|| format!("delivery {}", m.id))?,
            kind: Kind::parse(&m.kind)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("delivery {}", m.id))?,
            id: m.id,
            alert_id: m
                .alert_id
                .with_context(|| format!("delivery {} is not of an alert", m.id))?,
            revision_id: m
                .revision_id
                .with_context(|| format!("delivery {} is not of a revision", m.id))?,
            organisation_id: m.organisation_id,
            contact_id: m
                .contact_id
                .with_context(|| format!("delivery {} is not to a contact address", m.id))?,
            email: m.email,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            lease_owner: m.lease_owner,
            lease_until: m.lease_until,
            message_id: m.message_id,
            last_reply: m.last_reply,
            last_error: m.last_error,
            sent_at: m.sent_at,
            possible_duplicate: m.possible_duplicate,
            bounced_at: m.bounced_at,
            bounce_status: m.bounce_status,
            bounce_reason: m.bounce_reason,
            updated_at: m.updated_at,
        })
    }
}
