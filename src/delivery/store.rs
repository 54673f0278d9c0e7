//! The delivery ledger: one row per recipient per revision, queued → sending → sent / deferred /
//! failed. Claiming takes a lease (and on PostgreSQL skips rows other processes hold), so
//! several hub processes share the work and a row left in `sending` by a crash is taken over when
//! its lease expires.

use crate::domain::ids::{AlertId, IssueId, OrgId, RevisionId};
use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement, Value,
};

pub use super::model::{DeliveryStatus, Kind, LedgerRow};
use crate::domain::Language;
use crate::domain::mail::MailEncoding;

/// A stored enum column read strictly: a value this build does not know is an error naming the
/// column, never a silent default (a row of another language or kind must not go out as ours).
fn stored<T>(
    r: &sea_orm::QueryResult,
    column: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, sea_orm::DbErr> {
    let text: String = r.try_get("", column)?;
    parse(&text).map_err(|e| sea_orm::DbErr::Type(format!("deliveries.{column}: {e}")))
}
use crate::db::entities::deliveries;

mod enqueue;
pub use enqueue::*;

/// Rows per statement when a statement names rows by id.
const CHUNK: usize = 500;

/// A delivery this process now holds.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    /// The alert and revision an alert's copy is of (none for a メールマガジン copy).
    pub alert_id: Option<AlertId>,
    pub revision_id: Option<RevisionId>,
    pub organisation_id: OrgId,
    /// The contact address (none for a self-subscribed staff member).
    pub contact_id: Option<i64>,
    /// The メールマガジン issue a magazine copy is of.
    pub magazine_issue_id: Option<IssueId>,
    /// The self-subscribed staff member a magazine copy goes to.
    pub subscriber_id: Option<i64>,
    pub email: String,
    pub encoding: MailEncoding,
    pub language: Language,
    pub priority: i16,
    pub attempts: i32,
    pub kind: Kind,
}

/// Takes up to `limit` due deliveries of priority ≤ `max_priority`, most urgent first.
pub async fn claim(
    db: &impl ConnectionTrait,
    owner: &str,
    max_priority: i16,
    limit: usize,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> anyhow::Result<Vec<Claimed>> {
    let backend = db.get_database_backend();
    // PostgreSQL chooses the indexes by its statistics (see `after_bulk_queue`); SQLite, with
    // none, sorted every queued row through the status index it had, so it is told.
    let (lock, waiting_index, leased_index) = if backend == DbBackend::Postgres {
        ("FOR UPDATE SKIP LOCKED", "", "")
    } else {
        (
            "",
            "INDEXED BY idx_deliveries_waiting",
            "INDEXED BY idx_deliveries_leased",
        )
    };
    // Two arms, each walking its own partial index in order (`idx_deliveries_waiting`,
    // `idx_deliveries_leased`) and stopping after `limit` rows: the claim costs the same with ten
    // rows queued or a million. A row still `sending` under an expired lease belonged to a
    // process that died: its message may have gone out, so the take-over counts that attempt and
    // says so.
    let sql = format!(
        "WITH waiting AS (SELECT id, priority FROM deliveries {waiting_index} \
           WHERE status IN ('queued', 'deferred') AND next_attempt_at <= $4 AND priority <= $6 \
           ORDER BY priority, id LIMIT {limit} {lock}), \
         expired AS (SELECT id, priority FROM deliveries {leased_index} \
           WHERE status = 'sending' AND lease_until < $5 AND priority <= $6 \
           ORDER BY priority, id LIMIT {limit} {lock}) \
         UPDATE deliveries SET status = 'sending', lease_owner = $1, lease_until = $2, updated_at = $3, \
           possible_duplicate = CASE WHEN status = 'sending' THEN TRUE ELSE possible_duplicate END, \
           attempts = CASE WHEN status = 'sending' THEN attempts + 1 ELSE attempts END \
         WHERE id IN (SELECT id FROM (SELECT id, priority FROM waiting \
           UNION ALL SELECT id, priority FROM expired) AS due ORDER BY priority, id LIMIT {limit}) \
         RETURNING id, alert_id, revision_id, organisation_id, contact_id, magazine_issue_id, subscriber_id, email, encoding, language, priority, attempts, kind"
    );
    let rows = db
        .query_all_raw(crate::db::statement(
            backend,
            &sql,
            vec![
                owner.into(),
                lease_until.into(),
                now.into(),
                now.into(),
                now.into(),
                max_priority.into(),
            ],
        ))
        .await
        .context("cannot claim deliveries")?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                alert_id: r.try_get("", "alert_id")?,
                revision_id: r.try_get("", "revision_id")?,
                organisation_id: r.try_get("", "organisation_id")?,
                contact_id: r.try_get("", "contact_id")?,
                magazine_issue_id: r.try_get("", "magazine_issue_id")?,
                subscriber_id: r.try_get("", "subscriber_id")?,
                email: r.try_get("", "email")?,
                encoding: stored(r, "encoding", MailEncoding::parse)?,
                language: stored(r, "language", Language::parse)?,
                priority: r.try_get("", "priority")?,
                attempts: r.try_get("", "attempts")?,
                kind: stored(r, "kind", Kind::parse)?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .context("cannot read claimed deliveries")?;
    out.sort_by_key(|c| (c.priority, c.id));
    Ok(out)
}

/// One queued delivery of `revision_id` per organisation, language, encoding and kind: what the
/// rest of the revision's templates are built from (`warm_ahead`).
pub async fn queued_variants(
    db: &impl ConnectionTrait,
    revision_id: RevisionId,
) -> anyhow::Result<Vec<Claimed>> {
    let rows = db
        .query_all_raw(crate::db::statement(
            db.get_database_backend(),
            "SELECT MIN(id) AS id, alert_id, organisation_id, MIN(contact_id) AS contact_id, \
                    MIN(email) AS email, encoding, language, MIN(priority) AS priority, kind \
             FROM deliveries WHERE revision_id = $1 AND status = 'queued' \
             GROUP BY alert_id, organisation_id, encoding, language, kind",
            vec![revision_id.into()],
        ))
        .await
        .context("cannot read the revision's queued deliveries")?;
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                alert_id: r.try_get("", "alert_id")?,
                revision_id: Some(revision_id),
                organisation_id: r.try_get("", "organisation_id")?,
                contact_id: r.try_get("", "contact_id")?,
                magazine_issue_id: None,
                subscriber_id: None,
                email: r.try_get("", "email")?,
                encoding: stored(r, "encoding", MailEncoding::parse)?,
                language: stored(r, "language", Language::parse)?,
                priority: r.try_get("", "priority")?,
                attempts: 0,
                kind: stored(r, "kind", Kind::parse)?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .context("cannot read the revision's queued deliveries")
}

/// Extends the lease of the rows this process still holds among `ids` (the heartbeat of a
/// batch being sent), so a short lease never lets another process take over a slow send.
pub async fn renew(
    db: &impl ConnectionTrait,
    owner: &str,
    ids: &[i64],
    lease_until: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let mut renewed = 0;
    for chunk in ids.chunks(CHUNK) {
        renewed += deliveries::Entity::update_many()
            .col_expr(
                deliveries::Column::LeaseUntil,
                sea_orm::sea_query::Expr::value(lease_until),
            )
            .filter(deliveries::Column::Id.is_in(chunk.iter().copied()))
            .filter(deliveries::Column::LeaseOwner.eq(owner))
            .filter(deliveries::Column::Status.eq(DeliveryStatus::Sending.as_str()))
            .exec(db)
            .await
            .context("cannot renew the lease")?
            .rows_affected;
    }
    Ok(renewed)
}

/// Gives back rows this process claimed but never sent (a unit claimed ahead whose lane then
/// failed): queued again at once, for any process, rather than left to wait out their lease.
pub async fn release(db: &impl ConnectionTrait, owner: &str, ids: &[i64]) -> anyhow::Result<u64> {
    let mut released = 0;
    for chunk in ids.chunks(CHUNK) {
        released += deliveries::Entity::update_many()
            .col_expr(
                deliveries::Column::Status,
                sea_orm::sea_query::Expr::value(DeliveryStatus::Queued.as_str()),
            )
            .col_expr(
                deliveries::Column::LeaseOwner,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .col_expr(
                deliveries::Column::LeaseUntil,
                sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(deliveries::Column::Id.is_in(chunk.iter().copied()))
            .filter(deliveries::Column::LeaseOwner.eq(owner))
            .filter(deliveries::Column::Status.eq(DeliveryStatus::Sending.as_str()))
            .exec(db)
            .await
            .context("cannot give back claimed deliveries")?
            .rows_affected;
    }
    Ok(released)
}

/// What became of one delivery.
#[derive(Debug, Clone)]
pub enum Result_ {
    Sent {
        reply: String,
        message_id: String,
    },
    Deferred {
        error: String,
        next_attempt_at: DateTime<Utc>,
        /// The relay may have delivered it (no answer after the content went out).
        possible_duplicate: bool,
    },
    /// Not tried: the relay asked every sender to wait (a pause is not the message's attempt,
    /// so a long throttle never uses up `mail.max_attempts`).
    Paused {
        error: String,
        until: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

/// Records outcomes in a few statements (one CASE update per status and chunk); only rows this
/// process still holds are touched. Every value is bound, never spliced into the SQL: replies
/// are written by the relay and, through it, by remote mail servers (a NUL, which PostgreSQL
/// text cannot hold, is dropped).
pub async fn record(
    db: &impl ConnectionTrait,
    owner: &str,
    results: &[(i64, Result_)],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    // The status, whether it was an attempt, and whether it may have been delivered.
    type Kind = (DeliveryStatus, bool, bool);
    let mut by_kind: BTreeMap<Kind, Vec<&(i64, Result_)>> = BTreeMap::new();
    for r in results {
        let kind = match r.1 {
            Result_::Sent { .. } => (DeliveryStatus::Sent, true, false),
            Result_::Deferred {
                possible_duplicate, ..
            } => (DeliveryStatus::Deferred, true, possible_duplicate),
            Result_::Paused { .. } => (DeliveryStatus::Deferred, false, false),
            Result_::Failed { .. } => (DeliveryStatus::Failed, true, false),
        };
        by_kind.entry(kind).or_default().push(r);
    }
    let text = |s: &str| Value::from(s.replace('\0', ""));
    for (kind, rows) in by_kind {
        for chunk in rows.chunks(CHUNK) {
            // $1 now, $2 owner; then the CASE arms and the id list.
            let mut values: Vec<Value> = vec![now.into(), owner.into()];
            let mut case = |f: &dyn Fn(&Result_) -> Value| -> String {
                let mut arms = String::new();
                for (id, r) in chunk.iter().map(|x| (&x.0, &x.1)) {
                    values.push((*id).into());
                    let at = values.len();
                    values.push(f(r));
                    arms.push_str(&format!(" WHEN ${at} THEN ${}", at + 1));
                }
                format!("CASE id{arms} END")
            };
            let set = match kind {
                (DeliveryStatus::Deferred, false, _) => {
                    let error = case(&|r| match r {
                        Result_::Paused { error, .. } => text(error),
                        _ => Value::String(None),
                    });
                    let next = case(&|r| match r {
                        Result_::Paused { until, .. } => (*until).into(),
                        _ => Value::ChronoDateTimeUtc(None),
                    });
                    format!("status = 'deferred', last_error = {error}, next_attempt_at = {next}")
                }
                (DeliveryStatus::Sent, _, _) => {
                    let reply = case(&|r| match r {
                        Result_::Sent { reply, .. } => text(reply),
                        _ => Value::String(None),
                    });
                    let message_id = case(&|r| match r {
                        Result_::Sent { message_id, .. } => text(message_id),
                        _ => Value::String(None),
                    });
                    format!(
                        "status = 'sent', attempts = attempts + 1, sent_at = $1, last_reply = {reply}, message_id = {message_id}, last_error = NULL"
                    )
                }
                (DeliveryStatus::Deferred, _, maybe_delivered) => {
                    let error = case(&|r| match r {
                        Result_::Deferred { error, .. } => text(error),
                        _ => Value::String(None),
                    });
                    let next = case(&|r| match r {
                        Result_::Deferred {
                            next_attempt_at, ..
                        } => (*next_attempt_at).into(),
                        _ => Value::ChronoDateTimeUtc(None),
                    });
                    format!(
                        "status = 'deferred', attempts = attempts + 1, last_error = {error}, next_attempt_at = {next}{}",
                        if maybe_delivered {
                            ", possible_duplicate = TRUE"
                        } else {
                            ""
                        }
                    )
                }
                _ => {
                    let error = case(&|r| match r {
                        Result_::Failed { error } => text(error),
                        _ => Value::String(None),
                    });
                    format!("status = 'failed', attempts = attempts + 1, last_error = {error}")
                }
            };
            let mut ids = Vec::with_capacity(chunk.len());
            for (id, _) in chunk.iter().map(|x| (&x.0, &x.1)) {
                values.push((*id).into());
                ids.push(format!("${}", values.len()));
            }
            let sql = format!(
                "UPDATE deliveries SET {set}, lease_owner = NULL, lease_until = NULL, updated_at = $1 \
                 WHERE id IN ({}) AND lease_owner = $2",
                ids.join(", ")
            );
            db.execute_raw(crate::db::statement(backend, &sql, values))
                .await
                .context("cannot record delivery results")?;
        }
    }
    Ok(())
}

/// Every delivery of an alert, by revision then recipient.
pub async fn for_alert(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<LedgerRow>> {
    deliveries::Entity::find()
        .filter(deliveries::Column::AlertId.eq(alert_id))
        .order_by_asc(deliveries::Column::RevisionId)
        .order_by_asc(deliveries::Column::Id)
        .all(db)
        .await
        .context("cannot read deliveries")?
        .into_iter()
        .map(LedgerRow::from_row)
        .collect()
}

/// Whom a bounced delivery was for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounced {
    pub delivery_id: i64,
    /// None for a メールマガジン copy.
    pub alert_id: Option<AlertId>,
    pub organisation_id: OrgId,
    /// None for a self-subscribed staff member's copy.
    pub contact_id: Option<i64>,
    /// The メールマガジン issue a magazine copy is of.
    pub magazine_issue_id: Option<IssueId>,
    pub email: String,
    /// False when the row had already been marked bounced (the same bounce twice).
    pub first: bool,
}

/// Marks delivery `id` bounced with the report's status and reason. A bounce may arrive after
/// the row was recorded sent (the relay accepted it, the far end refused later) or while it
/// is still being retried; either way the row now says it did not arrive.
pub async fn mark_bounced(
    db: &impl ConnectionTrait,
    id: i64,
    status: Option<&str>,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Bounced>> {
    // One statement in the common case: mark it and read whom it was for.
    let marked = db
        .query_one_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE deliveries SET status = 'bounced', bounced_at = $1, bounce_status = $2, \
             bounce_reason = $3, lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE id = $4 AND status <> 'bounced' \
             RETURNING alert_id, organisation_id, contact_id, magazine_issue_id, email",
            vec![
                now.into(),
                status.map(str::to_owned).into(),
                reason.replace('\0', "").into(),
                id.into(),
            ],
        ))
        .await
        .context("cannot mark the delivery bounced")?;
    if let Some(r) = marked {
        return Ok(Some(Bounced {
            delivery_id: id,
            alert_id: r.try_get("", "alert_id")?,
            organisation_id: r.try_get("", "organisation_id")?,
            contact_id: r.try_get("", "contact_id")?,
            magazine_issue_id: r.try_get("", "magazine_issue_id")?,
            email: r.try_get("", "email")?,
            first: true,
        }));
    }
    // Already bounced (the same bounce twice), or no such row.
    Ok(deliveries::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the delivery")?
        .map(|row| Bounced {
            delivery_id: id,
            alert_id: row.alert_id,
            organisation_id: row.organisation_id,
            contact_id: row.contact_id,
            magazine_issue_id: row.magazine_issue_id,
            email: row.email,
            first: false,
        }))
}

/// Queues an alert's failed deliveries again (the admin's "retry failed").
pub async fn retry_failed(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    Ok(deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::Status,
            sea_orm::sea_query::Expr::value(DeliveryStatus::Queued.as_str()),
        )
        .col_expr(
            deliveries::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            deliveries::Column::Attempts,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            deliveries::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(deliveries::Column::AlertId.eq(alert_id))
        .filter(deliveries::Column::Status.eq(DeliveryStatus::Failed.as_str()))
        .exec(db)
        .await
        .context("cannot requeue deliveries")?
        .rows_affected)
}

/// Makes deferred deliveries due now (tests and `noroshi deliveries --retry-now`).
pub async fn make_deferred_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    Ok(deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(deliveries::Column::Status.eq(DeliveryStatus::Deferred.as_str()))
        .exec(db)
        .await
        .context("cannot reschedule deliveries")?
        .rows_affected)
}

/// Counts by status across the whole ledger.
pub async fn status_totals(
    db: &impl ConnectionTrait,
) -> anyhow::Result<Vec<(DeliveryStatus, u64)>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status ORDER BY status",
        ))
        .await
        .context("cannot count deliveries")?;
    rows.iter()
        .map(|r| {
            let n: i64 = r.try_get("", "n")?;
            let status: String = r.try_get("", "status")?;
            Ok((
                DeliveryStatus::stored(&status)?,
                u64::try_from(n).unwrap_or(0),
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .context("cannot read delivery counts")
}
