//! The alert and its revisions as the rest of the hub sees them: typed once, here, from the
//! stored strings. Outside `alerts::store` nobody compares a status or a revision kind as text or
//! re-parses a severity, a TLP marking, the categories or the audience; a stored value that does
//! not read is an error (the row was written by this code, so it is a bug or a hand edit), never
//! a silent default.

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::audience::AudienceSpec;
use crate::classify::model::Category;
use crate::db::entities::{alert_revisions, alerts};
pub use crate::domain::ids::{AlertId, RevisionId};
use crate::domain::{Severity, Tlp};

crate::string_enum! {
    /// Where an alert is in its life.
    pub enum AlertStatus ("alert status") {
        Draft = "draft",
        PendingApproval = "pending_approval",
        Published = "published",
        Withdrawn = "withdrawn",
    }
}

impl AlertStatus {
    /// The label the portal shows (Japanese; the catalogue translates it).
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Draft => "下書き",
            Self::PendingApproval => "承認待ち",
            Self::Published => "配信済み",
            Self::Withdrawn => "取り下げ",
        }
    }
}

crate::string_enum! {
    /// What a published revision (第N報) did.
    pub enum RevisionKind ("revision kind") {
        /// 第1報.
        Publish = "publish",
        /// 第2報 and later: new information about a published alert.
        Revision = "revision",
        /// The alert was withdrawn (取り下げ).
        Withdrawal = "withdrawal",
    }
}

impl RevisionKind {
    pub fn is_withdrawal(self) -> bool {
        self == Self::Withdrawal
    }
}

/// An alert: the current version (a draft's text, or what the latest revision published plus
/// any edit waiting for the next one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub id: AlertId,
    pub status: AlertStatus,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub categories: Vec<Category>,
    pub tlp: Tlp,
    pub ack_required: bool,
    pub ack_within_hours: Option<i32>,
    /// The hours to acknowledge count 開庁日 only.
    pub ack_office_days: bool,
    pub drill: bool,
    pub audience: AudienceSpec,
    /// Who or what made it: `policy:<rule>`, `user:<id>`, `cli:<os user>`.
    pub origin: String,
    pub cluster_key: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `NRS-2026-0001`, given at first publication.
    pub public_id: Option<String>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// How many revisions (第N報) have gone out.
    pub published_revision: i32,
    pub pending_changes: Option<String>,
    /// None for the centre; the prefecture that wrote it for its own municipalities, whose staff
    /// submit and approve it.
    pub owner: Option<crate::registry::OrgId>,
    /// A scheduled drill's start: the first revision's mail goes out then, not at approval.
    pub starts_at: Option<DateTime<Utc>>,
}

impl Alert {
    pub fn from_row(m: alerts::Model) -> anyhow::Result<Self> {
        let what = || format!("alert {}", m.id);
        Ok(Self {
            id: m.id,
            status: AlertStatus::stored(&m.status).with_context(what)?,
            severity: Severity::stored(&m.severity).with_context(what)?,
            tlp: Tlp::stored(&m.tlp).with_context(what)?,
            categories: categories(&m.categories).with_context(what)?,
            audience: serde_json::from_str(&m.audience)
                .with_context(|| format!("alert {}: the stored audience does not read", m.id))?,
            title: m.title,
            body: m.body,
            ack_required: m.ack_required,
            ack_within_hours: m.ack_within_hours,
            ack_office_days: m.ack_office_days,
            drill: m.drill,
            origin: m.origin,
            cluster_key: m.cluster_key,
            created_at: m.created_at,
            updated_at: m.updated_at,
            public_id: m.public_id,
            submitted_by: m.submitted_by,
            submitted_at: m.submitted_at,
            published_revision: m.published_revision,
            pending_changes: m.pending_changes,
            owner: m.owner_organisation_id,
            starts_at: m.starts_at,
        })
    }

    pub fn is_withdrawn(&self) -> bool {
        self.status == AlertStatus::Withdrawn
    }

    /// Published at least once (a 第N報 edit may be pending).
    pub fn has_gone_out(&self) -> bool {
        self.published_revision > 0
    }
}

/// A published revision (第N報), as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub id: RevisionId,
    pub alert_id: AlertId,
    /// 1 for 第1報, 2 for 第2報 …
    pub number: i32,
    pub kind: RevisionKind,
    pub title: String,
    pub body: String,
    pub changes: Option<String>,
    pub severity: Severity,
    pub tlp: Tlp,
    pub categories: Vec<Category>,
    pub drill: bool,
    pub ack_deadline: Option<DateTime<Utc>>,
    pub submitted_by: String,
    pub approved_by: String,
    pub idempotency_key: Option<String>,
    /// Delivery rows written for this revision.
    pub recipients: i32,
    pub published_at: DateTime<Utc>,
}

impl Revision {
    pub fn from_row(m: alert_revisions::Model) -> anyhow::Result<Self> {
        let what = || format!("revision {} of alert {}", m.number, m.alert_id);
        Ok(Self {
            id: m.id,
            alert_id: m.alert_id,
            number: m.number,
            kind: RevisionKind::stored(&m.kind).with_context(what)?,
            severity: Severity::stored(&m.severity).with_context(what)?,
            tlp: Tlp::stored(&m.tlp).with_context(what)?,
            categories: categories(&m.categories).with_context(what)?,
            title: m.title,
            body: m.body,
            changes: m.changes,
            drill: m.drill,
            ack_deadline: m.ack_deadline,
            submitted_by: m.submitted_by,
            approved_by: m.approved_by,
            idempotency_key: m.idempotency_key,
            recipients: m.recipients,
            published_at: m.published_at,
        })
    }
}

fn categories(s: &str) -> anyhow::Result<Vec<Category>> {
    serde_json::from_str(s).with_context(|| format!("stored categories do not read: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_value_reads_back_and_an_unknown_one_is_an_error() {
        for s in AlertStatus::ALL {
            assert_eq!(AlertStatus::stored(s.as_str()).unwrap(), s);
        }
        for k in RevisionKind::ALL {
            assert_eq!(RevisionKind::stored(k.as_str()).unwrap(), k);
        }
        assert!(AlertStatus::stored("Published").is_err());
        assert!(RevisionKind::stored("").is_err());
    }
}
