//! Four eyes and publication: an operator submits a draft, an approver who neither wrote nor
//! submitted it approves it, and approval publishes revision N (第N報) in one transaction — the
//! resolved audience, one delivery row per active contact, the revision record and the audit
//! entries all land together or not at all. An idempotency key makes a repeated approval return
//! the first result instead of sending twice.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::audience::{self, AudienceSpec};
use super::{Alert, AlertId, AlertStatus, RevisionKind, store};
use crate::audit::{self, Actor};
use crate::auth::{Role, User};
use crate::classify::rules::Rules;
use crate::contacts;
use crate::db::begin_write;
use crate::domain::{Severity, Tlp};
use crate::registry::OrgId;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("no alert {0}")]
    NotFound(AlertId),
    #[error("alert {alert} is {state}; this needs it to be {needed}")]
    WrongState {
        alert: AlertId,
        state: String,
        needed: &'static str,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the idempotency key {0} was already used for another alert")]
    KeyReused(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for PublishError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::NotFound(id) => Failure::NotFound(format!("no alert {id}")),
            Self::Forbidden(m) => Failure::Forbidden(m),
            Self::Invalid(m) => Failure::Invalid(m),
            e @ (Self::WrongState { .. } | Self::KeyReused(_)) => Failure::Conflict(e.to_string()),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

fn need_state(alert: &Alert, status: AlertStatus) -> Result<(), PublishError> {
    if alert.status == status {
        Ok(())
    } else {
        Err(PublishError::WrongState {
            alert: alert.id,
            state: alert.status.as_str().to_owned(),
            needed: status.as_str(),
        })
    }
}

async fn load(db: &impl ConnectionTrait, id: AlertId) -> Result<Alert, PublishError> {
    store::get(db, id).await?.ok_or(PublishError::NotFound(id))
}

/// Who may edit and submit `alert`: central operators (and the hub administrator) for the
/// centre's alerts; for a prefecture's own, the staff of that prefecture.
pub fn may_write(alert: &Alert, user: &User) -> bool {
    match alert.owner {
        None => matches!(user.role, Role::CentralOperator | Role::Admin),
        Some(p) => user.org_id == p,
    }
}

/// Whether `user` may approve or withdraw `alert` by role and owner (four eyes is separate).
pub fn may_approve(alert: &Alert, user: &User) -> bool {
    match alert.owner {
        None => user.role == Role::CentralApprover,
        Some(p) => user.org_id == p && user.role == Role::PrefectureAdmin,
    }
}

/// Whether `user` may see `alert` while it is a draft: central staff, or the staff of the
/// prefecture that owns it.
pub fn may_see_draft(alert: &Alert, user: &User) -> bool {
    user.role.is_central() || alert.owner == Some(user.org_id)
}

fn check_writer(alert: &Alert, user: &User, what: &str) -> Result<(), PublishError> {
    if may_write(alert, user) {
        return Ok(());
    }
    Err(PublishError::Forbidden(match alert.owner {
        None => format!(
            "{what} alerts is for central operators; {} is {}",
            user.email, user.role
        ),
        Some(_) => format!(
            "{what} this alert is for the staff of the prefecture that wrote it; {} is not",
            user.email
        ),
    }))
}

/// Who may approve (and withdraw) `alert`: central approvers for the centre's alerts; for a
/// prefecture's own, that prefecture's administrator. Never the author or submitter (checked
/// where it applies).
fn check_approver(alert: &Alert, user: &User, what: &str) -> Result<(), PublishError> {
    if may_approve(alert, user) {
        return Ok(());
    }
    Err(PublishError::Forbidden(match alert.owner {
        None => format!(
            "{what} alerts is for central approvers; {} is {}",
            user.email, user.role
        ),
        Some(_) => format!(
            "{what} this alert is for the administrator of the prefecture that wrote it; {} is not",
            user.email
        ),
    }))
}

/// An operator asks for approval.
#[tracing::instrument(name = "Submit alert", skip_all, fields(alert_id = %alert_id))]
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    alert_id: AlertId,
    user: &User,
) -> Result<(), PublishError> {
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let alert = load(&txn, alert_id).await?;
    check_writer(&alert, user, "submitting")?;
    need_state(&alert, AlertStatus::Draft)?;
    let actor = Actor::of(user);
    store::set_submitted(&txn, alert_id, &actor.to_string(), Utc::now()).await?;
    audit::record(
        &txn,
        &actor,
        "alert.submit",
        &format!("alert:{alert_id}"),
        serde_json::json!({ "revision": alert.published_revision + 1 }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(())
}

/// What a publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    pub alert_id: AlertId,
    pub public_id: String,
    pub revision: i32,
    pub organisations: usize,
    pub deliveries: usize,
    /// Organisations in the audience with no active contact (they see it in the portal only).
    pub without_contacts: usize,
    /// True when the idempotency key had already published this; nothing new was sent.
    pub repeated: bool,
}

/// Delivery priority: urgent lane for real critical and high alerts, then normal, then drills.
pub fn priority(severity: Severity, drill: bool) -> i16 {
    match (drill, severity) {
        (true, _) => 2,
        (false, Severity::Critical | Severity::High) => 0,
        (false, _) => 1,
    }
}

/// An approver approves and so publishes the version waiting for approval.
#[tracing::instrument(name = "Approve and publish alert", skip_all, fields(alert_id = %alert_id))]
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rules: &Rules,
    alert_id: AlertId,
    user: &User,
    idempotency_key: Option<&str>,
) -> Result<PublishReport, PublishError> {
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = key
        && k.len() > 128
    {
        return Err(PublishError::Invalid(
            "the idempotency key is longer than 128 characters".into(),
        ));
    }
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    if let Some(k) = key
        && let Some(done) = store::revision_by_key(&txn, k).await?
    {
        if done.alert_id != alert_id {
            return Err(PublishError::KeyReused(k.to_owned()));
        }
        let alert = load(&txn, alert_id).await?;
        check_approver(&alert, user, "approving")?;
        let organisations = store::audience(&txn, alert_id).await?.len();
        return Ok(PublishReport {
            alert_id,
            public_id: alert.public_id.unwrap_or_default(),
            revision: done.number,
            organisations,
            deliveries: usize::try_from(done.recipients).unwrap_or(0),
            without_contacts: 0,
            repeated: true,
        });
    }
    let alert = load(&txn, alert_id).await?;
    check_approver(&alert, user, "approving")?;
    need_state(&alert, AlertStatus::PendingApproval)?;
    let approver = Actor::of(user);
    let others = [
        alert.origin.as_str(),
        alert.submitted_by.as_deref().unwrap_or(""),
    ];
    if let Err(why) = crate::auth::independent(&txn, user, &others).await? {
        return Err(PublishError::Forbidden(why));
    }
    let report =
        publish_revision(&txn, rules, &alert, &approver, key, RevisionKind::Publish).await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    crate::delivery::store::after_bulk_queue(db, report.deliveries as u64).await;
    Ok(report)
}

/// Writes revision N+1 with its audience and deliveries. `kind` is publish or withdrawal.
async fn publish_revision<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    rules: &Rules,
    alert: &Alert,
    approver: &Actor,
    key: Option<&str>,
    kind: RevisionKind,
) -> Result<PublishReport, PublishError> {
    let now = Utc::now();
    let number = alert.published_revision + 1;
    let spec: &AudienceSpec = &alert.audience;
    let products = super::products_of(txn, alert.id).await?;
    let resolved = audience::resolve(txn, spec, &products, rules).await?;
    // A revision goes to everyone the alert reached before, plus anyone newly matched.
    let mut members: HashMap<OrgId, Vec<String>> = store::audience(txn, alert.id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.organisation_id,
                serde_json::from_str(&a.reasons).unwrap_or_default(),
            )
        })
        .collect();
    let previously: std::collections::HashSet<OrgId> = members.keys().copied().collect();
    for r in &resolved {
        members
            .entry(r.organisation.id)
            .or_insert_with(|| r.reasons.clone());
    }
    if members.is_empty() {
        return Err(PublishError::Invalid(format!(
            "the audience ({}) resolves to no organisation",
            spec.describe()
        )));
    }
    let severity = alert.severity;
    let public_id = match &alert.public_id {
        Some(p) => p.clone(),
        None => next_public_id(txn, now).await?,
    };
    let first = store::first_revision(txn, alert.id).await?;
    // A scheduled drill's 第1報 goes out at its start, and the deadline counts from there.
    let send_at = match (&first, alert.starts_at) {
        (None, Some(start)) if start > now => start,
        _ => now,
    };
    let ack_deadline = match (&first, alert.ack_required, alert.ack_within_hours) {
        (Some(f), _, _) => f.ack_deadline,
        (None, true, Some(h)) if alert.ack_office_days => Some(
            crate::time::OfficeCalendar::default()
                .add_hours(send_at, u32::try_from(h).unwrap_or(0)),
        ),
        (None, true, Some(h)) => Some(send_at + Duration::hours(i64::from(h))),
        _ => None,
    };
    let org_ids: Vec<OrgId> = members.keys().copied().collect();
    // An address not yet verified receives TLP:CLEAR only (`Contact::may_receive`).
    let recipients = contacts::store::receiving(txn, &org_ids, alert.tlp).await?;
    let with_contacts: std::collections::HashSet<OrgId> =
        recipients.iter().map(|c| c.org_id).collect();
    let title = if kind.is_withdrawal() {
        format!("【取消】{}", alert.title)
    } else {
        alert.title.clone()
    };
    let revision = store::insert_revision(
        txn,
        store::NewRevision {
            alert_id: alert.id,
            number,
            kind: if kind == RevisionKind::Publish && number > 1 {
                RevisionKind::Revision
            } else {
                kind
            },
            title,
            body: alert.body.clone(),
            changes: alert.pending_changes.clone(),
            severity: alert.severity,
            tlp: alert.tlp,
            categories: alert.categories.clone(),
            drill: alert.drill,
            ack_deadline,
            submitted_by: alert
                .submitted_by
                .clone()
                .unwrap_or_else(|| alert.origin.clone()),
            approved_by: approver.to_string(),
            idempotency_key: key.map(str::to_owned),
            recipients: i32::try_from(recipients.len()).unwrap_or(i32::MAX),
        },
        now,
    )
    .await?;
    for (org, reasons) in &members {
        if !previously.contains(org) {
            store::add_audience(txn, alert.id, *org, reasons, number).await?;
        }
    }
    let deliveries = crate::delivery::store::enqueue(
        txn,
        alert.id,
        revision.id,
        &recipients,
        priority(severity, alert.drill),
        crate::delivery::store::Kind::Alert,
        send_at,
    )
    .await?;
    let status = if kind.is_withdrawal() {
        AlertStatus::Withdrawn
    } else {
        AlertStatus::Published
    };
    store::set_published(txn, alert.id, status, number, &public_id, now).await?;
    audit::record(
        txn,
        approver,
        if kind.is_withdrawal() {
            "alert.withdraw"
        } else {
            "alert.publish"
        },
        &format!("alert:{}", alert.id),
        serde_json::json!({
            "public_id": public_id,
            "revision": number,
            "organisations": members.len(),
            "deliveries": deliveries,
            "tlp": alert.tlp,
            "drill": alert.drill,
        }),
    )
    .await?;
    Ok(PublishReport {
        alert_id: alert.id,
        public_id,
        revision: number,
        organisations: members.len(),
        deliveries,
        without_contacts: members.len() - with_contacts.len(),
        repeated: false,
    })
}

/// `NRS-2026-0001`: the year and a serial within it.
async fn next_public_id(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<String> {
    let year = now.with_timezone(&chrono_tz::Asia::Tokyo).year();
    let prefix = format!("NRS-{year}-");
    let last = store::max_public_id(db, &prefix).await?;
    let next = last
        .and_then(|p| p.strip_prefix(&prefix).and_then(|n| n.parse::<u32>().ok()))
        .unwrap_or(0)
        + 1;
    Ok(format!("{prefix}{next:04}"))
}

/// What an operator may change in a draft, or in a published alert to make its next revision.
#[derive(Debug, Default)]
pub struct Edit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub severity: Option<Severity>,
    pub tlp: Option<Tlp>,
    /// What the revision changes (required for a published alert): shown at the top of 第N報.
    pub changes: Option<String>,
}

/// Edits a draft, or turns a published alert into the draft of its next revision.
#[tracing::instrument(name = "Edit alert", skip_all, fields(alert_id = %alert_id))]
pub async fn revise<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    alert_id: AlertId,
    user: &User,
    edit: Edit,
) -> Result<(), PublishError> {
    // One line (title, summary of changes) holds no control character at all; the body no
    // control character but line ends and tabs (a CR or an ESC in a mail header or a terminal
    // is how text turns into something else).
    let check = |name: &str,
                 v: &Option<String>,
                 max: usize,
                 multiline: bool|
     -> Result<Option<String>, PublishError> {
        let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
        match v.as_deref().map(str::trim) {
            None => Ok(None),
            Some(t) if t.is_empty() || t.chars().count() > max => Err(PublishError::Invalid(
                format!("the {name} must be 1–{max} characters"),
            )),
            Some(t) if t.chars().any(|c| c.is_control() && !allowed(c)) => Err(
                PublishError::Invalid(format!("the {name} must not hold control characters")),
            ),
            Some(t) => Ok(Some(t.to_owned())),
        }
    };
    let title = check("title", &edit.title, 300, false)?;
    let body = check("body", &edit.body, 100_000, true)?;
    let changes = check("summary of changes", &edit.changes, 2000, false)?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let alert = load(&txn, alert_id).await?;
    check_writer(&alert, user, "editing")?;
    let published = alert.status == AlertStatus::Published;
    if !published && alert.status != AlertStatus::Draft {
        return Err(PublishError::WrongState {
            alert: alert_id,
            state: alert.status.as_str().to_owned(),
            needed: "draft or published",
        });
    }
    if published && changes.is_none() {
        return Err(PublishError::Invalid(
            "a revision of a published alert needs a summary of what changed (--changes)".into(),
        ));
    }
    store::update_content(
        &txn,
        alert_id,
        title.as_deref(),
        body.as_deref(),
        edit.severity,
        edit.tlp,
        changes.as_deref().or(alert.pending_changes.as_deref()),
        Utc::now(),
    )
    .await?;
    audit::record(
        &txn,
        &Actor::of(user),
        "alert.edit",
        &format!("alert:{alert_id}"),
        serde_json::json!({
            "next_revision": alert.published_revision + 1,
            "title": title.is_some(),
            "body": body.is_some(),
            "severity": edit.severity.map(Severity::as_str),
            "tlp": edit.tlp.map(Tlp::as_str),
            "changes": changes,
        }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(())
}

/// Withdraws a published alert: a cancellation notice goes to its whole audience.
#[tracing::instrument(name = "Withdraw alert", skip_all, fields(alert_id = %alert_id))]
pub async fn withdraw<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rules: &Rules,
    alert_id: AlertId,
    user: &User,
    reason: &str,
    idempotency_key: Option<&str>,
) -> Result<PublishReport, PublishError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(PublishError::Invalid(
            "give the reason for the withdrawal (1–2000 characters)".into(),
        ));
    }
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let mut alert = load(&txn, alert_id).await?;
    check_approver(&alert, user, "withdrawing")?;
    // An edit for the next revision (started or submitted, never approved) must not stop an
    // approver from withdrawing what went out: it is discarded, audited, and the withdrawal
    // carries the published text, never the unapproved edit.
    let pending_edit = alert.published_revision > 0
        && matches!(
            alert.status,
            AlertStatus::Draft | AlertStatus::PendingApproval
        );
    if pending_edit {
        store::restore_published(&txn, alert_id, Utc::now()).await?;
        audit::record(
            &txn,
            &Actor::of(user),
            "alert.edit_discarded",
            &format!("alert:{alert_id}"),
            serde_json::json!({
                "next_revision": alert.published_revision + 1,
                "changes": alert.pending_changes,
                "reason": "withdrawn",
            }),
        )
        .await?;
        alert = load(&txn, alert_id).await?;
    }
    need_state(&alert, AlertStatus::Published)?;
    alert.pending_changes = Some(format!("この注意喚起を取り消します。理由: {reason}"));
    let report = publish_revision(
        &txn,
        rules,
        &alert,
        &Actor::of(user),
        idempotency_key,
        RevisionKind::Withdrawal,
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    crate::delivery::store::after_bulk_queue(db, report.deliveries as u64).await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgent_alerts_get_their_own_lane_and_drills_the_last() {
        assert_eq!(priority(Severity::Critical, false), 0);
        assert_eq!(priority(Severity::High, false), 0);
        assert_eq!(priority(Severity::Medium, false), 1);
        assert_eq!(priority(Severity::Critical, true), 2);
    }

    #[tokio::test]
    async fn a_revision_with_control_characters_is_refused_before_anything_is_read() {
        // Refused by the check alone: no database is reached (the connection is never used).
        let db = sea_orm::DatabaseConnection::default();
        let user = crate::auth::User {
            id: crate::auth::UserId(1),
            org_id: crate::registry::OrgId(1),
            email: crate::domain::EmailAddress::parse("op@soumu.go.jp")
                .unwrap_or_else(|_| unreachable!()),
            display_name: String::new(),
            role: Role::CentralOperator,
            disabled: false,
            must_change_password: false,
            created_by: None,
            awaiting_enable: false,
            second_factor: false,
        };
        for title in ["件名\r\nBcc: x@evil.example", "件名\u{1b}[31m"] {
            let e = revise(
                &db,
                AlertId(1),
                &user,
                Edit {
                    title: Some(title.into()),
                    changes: Some("件名".into()),
                    ..Default::default()
                },
            )
            .await;
            assert!(
                matches!(&e, Err(PublishError::Invalid(m)) if m.contains("control")),
                "{title:?}: {e:?}"
            );
        }
    }

    #[test]
    fn user_ids_are_read_from_actor_strings() {
        use crate::auth::{UserId, user_id_of};
        assert_eq!(user_id_of("user:12:a@b.jp"), Some(UserId(12)));
        assert_eq!(user_id_of("policy:kev"), None);
        assert_eq!(user_id_of("cli:root"), None);
    }
}
