//! Acknowledgements: per alert × organisation, 未確認 → 受領 → 対応中 → 対応完了 / 該当なし, with
//! who, when, a note and the whole history. Owns `acknowledgements`, `ack_events` and `follow_ups`; reads
//! alerts and their audience but never changes them.

pub mod board;
pub mod chart;
pub mod follow_up;
pub mod inbox_cache;
pub mod store;
pub mod view;

use crate::domain::ids::{AlertId, OrgId};
use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::audit::Actor;
use crate::db::begin_write;

/// The longest note kept with a state.
pub const MAX_NOTE_CHARS: usize = crate::domain::text::NOTE_MAX_CHARS;

crate::string_enum! {
    /// What an organisation reports about an alert. No row at all is 未確認.
    pub enum AckState ("acknowledgement state") {
        Received = "received",
        InProgress = "in_progress",
        Done = "done",
        NotApplicable = "not_applicable",
    }
}

pub const ALL_STATES: [AckState; 4] = AckState::ALL;

impl AckState {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Received => "受領",
            Self::InProgress => "対応中",
            Self::Done => "対応完了",
            Self::NotApplicable => "該当なし",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Received => "Received",
            Self::InProgress => "In progress",
            Self::Done => "Done",
            Self::NotApplicable => "Not applicable",
        }
    }

    /// An optional stored state (`None`: 未確認).
    pub fn stored_opt(s: Option<&str>) -> anyhow::Result<Option<Self>> {
        s.map(Self::stored).transpose()
    }

    /// `received`, `in_progress`, `done`, `not_applicable`, or the Japanese labels.
    pub fn parse(s: &str) -> Result<Self, AckError> {
        let s = s.trim();
        ALL_STATES
            .into_iter()
            .find(|st| st.as_str() == s || st.label_ja() == s)
            .ok_or_else(|| {
                AckError::Invalid(format!(
                    "`{s}` is not a state: expected received (受領), in_progress (対応中), done (対応完了) or not_applicable (該当なし)"
                ))
            })
    }
}

/// The label of a state that may be unknown (no report yet).
pub fn label_ja(state: Option<AckState>) -> &'static str {
    state.map_or("未確認", AckState::label_ja)
}

/// Whether an organisation is late: its deadline has passed, it has not finished (対応完了 or
/// 該当なし), and the alert was not withdrawn.
pub fn is_overdue(
    state: Option<AckState>,
    withdrawn: bool,
    deadline: Option<chrono::DateTime<Utc>>,
    now: chrono::DateTime<Utc>,
) -> bool {
    let finished = matches!(state, Some(AckState::Done | AckState::NotApplicable));
    !finished && !withdrawn && deadline.is_some_and(|d| d < now)
}

crate::string_enum! {
    /// How an acknowledgement arrived.
    pub enum Channel ("acknowledgement channel") {
        Portal = "portal",
        MailLink = "mail_link",
        Api = "api",
        /// A reply to the alert mail, from a registered contact address, quoting the reply code.
        MailReply = "mail_reply",
    }
}

/// Central staff do not acknowledge: an acknowledgement is the addressed organisation's own
/// word. The one rule for the portal, the API and the capability itself; callers without a role
/// (tokens, mail links, mail replies) speak for their organisation.
pub fn may_acknowledge(role: Option<crate::auth::Role>) -> bool {
    !role.is_some_and(crate::auth::Role::is_central)
}

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("{0}")]
    Invalid(String),
    #[error("no alert {0} is addressed to this organisation")]
    NotAddressed(String),
    #[error("alert {0} was withdrawn; it can no longer be acknowledged")]
    Withdrawn(String),
    /// Central staff do not acknowledge ([`may_acknowledge`]).
    #[error(
        "acknowledgements are reported by the addressed organisations' staff, not central staff"
    )]
    Central,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for AckError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(m) => Failure::Invalid(m),
            Self::NotAddressed(id) => {
                Failure::NotFound(format!("alert {id} is not addressed to your organisation"))
            }
            e @ Self::Withdrawn(_) => Failure::Conflict(e.to_string()),
            e @ Self::Central => Failure::Forbidden(e.to_string()),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// A checked note: trimmed, at most [`MAX_NOTE_CHARS`], no control characters but newlines and
/// tabs. Empty is none.
pub fn parse_note(note: &str) -> Result<Option<String>, AckError> {
    crate::domain::text::note(note).map_err(AckError::Invalid)
}

/// Records `state` for `org_id` on the published alert `alert_id`: the current state, an event
/// in its history and an audit entry, all in one transaction.
#[tracing::instrument(name = "Acknowledge alert", skip_all, fields(alert_id = %alert_id, org_id = %org_id))]
/// Records `state` for `org_id` on `alert_id`, by `actor` — a user of `role` (`None`: a token,
/// a mail link, a mail reply), refused for central staff.
#[allow(clippy::too_many_arguments)]
pub async fn acknowledge<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    alert_id: AlertId,
    org_id: OrgId,
    state: AckState,
    note: Option<String>,
    actor: &Actor,
    role: Option<crate::auth::Role>,
    channel: Channel,
) -> Result<(), AckError> {
    if !may_acknowledge(role) {
        return Err(AckError::Central);
    }
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let alert = crate::alerts::store::get(&txn, alert_id)
        .await?
        .filter(|a| a.public_id.is_some())
        .ok_or_else(|| AckError::NotAddressed(alert_id.to_string()))?;
    let public_id = alert.public_id.clone().unwrap_or_default();
    if !crate::alerts::store::is_addressed(&txn, alert_id, org_id).await? {
        return Err(AckError::NotAddressed(public_id));
    }
    if alert.is_withdrawn() {
        return Err(AckError::Withdrawn(public_id));
    }
    let now = Utc::now();
    store::set(
        &txn,
        alert_id,
        org_id,
        state,
        note.as_deref(),
        actor,
        channel,
        now,
    )
    .await?;
    crate::audit::record(
        &txn,
        actor,
        "ack.set",
        &format!("alert:{alert_id}"),
        serde_json::json!({
            "organisation_id": org_id,
            "state": state.as_str(),
            "note": note,
            "channel": channel.as_str(),
        }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_from_their_codes_and_japanese_labels() {
        for s in ALL_STATES {
            assert_eq!(AckState::parse(s.as_str()).ok(), Some(s));
            assert_eq!(AckState::parse(s.label_ja()).ok(), Some(s));
        }
        let e = AckState::parse("ok").unwrap_err().to_string();
        assert!(e.contains("`ok` is not a state"), "{e}");
        assert_eq!(label_ja(None), "未確認");
    }

    #[test]
    fn notes_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(parse_note("  ").ok(), Some(None));
        assert_eq!(
            parse_note(" 対応済み\r\n確認者: 情報政策課 ").ok(),
            Some(Some("対応済み\n確認者: 情報政策課".into()))
        );
        assert!(parse_note(&"あ".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert!(parse_note("a\u{7}b").is_err());
    }
}
