//! Reminders and escalation. For each published alert that asks for acknowledgement, once the
//! policy's hours for its severity have passed since the first publication:
//! - every addressed organisation that has reported nothing is reminded once, by mail to its
//!   active contacts (the latest revision again, marked 督促);
//! - every municipality still silent at the escalation time is marked on the board, and its
//!   prefecture's contacts get one mail naming the board.
//!
//! - once the acknowledgement deadline has passed, every organisation that reported 受領 or
//!   対応中 but not 対応完了 / 該当なし is asked again, every `chase.every_hours` (one a day at
//!   most), until it does (the seed documents' 「対応がすべて完了するまで」).
//!
//! Each follow-up is a `follow_ups` row (its primary key makes it once-only, across processes),
//! ledger rows of kind reminder / escalation, and an audit entry, all in one transaction.
//! Drills are followed up like real alerts (a drill exercises the whole chain) and are marked
//! 訓練 in every mail; they never count in real statistics, which are computed elsewhere.

use crate::domain::ids::{AlertId, RevisionId};
use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::alerts::policy::DraftPolicy;
use crate::alerts::{Alert, AlertStatus};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::follow_ups;
use crate::delivery::store::Kind;
use crate::registry::OrgId;
use crate::workers::Outcome;

/// Follow-ups are looked for on alerts first published at most this long ago.
const LOOK_BACK_DAYS: i64 = 60;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FollowUpReport {
    /// Organisations reminded.
    pub reminded: usize,
    /// Municipalities marked as escalated.
    pub escalated: usize,
    /// Prefectures notified.
    pub prefectures: usize,
    /// Organisations still at 受領 / 対応中 past the deadline, asked again.
    pub chased: usize,
    /// Mails queued.
    pub mails: usize,
}

/// Organisations of an alert at 受領 or 対応中 that were not chased since `since`.
async fn unfinished(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<OrgId>> {
    let rows = db
        .query_all_raw(crate::db::statement(
            db.get_database_backend(),
            "SELECT k.organisation_id FROM acknowledgements k \
             WHERE k.alert_id = $1 AND k.state IN ('received', 'in_progress') \
             AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.alert_id = k.alert_id \
               AND f.organisation_id = k.organisation_id AND f.kind LIKE 'chase:%' AND f.at > $2) \
             ORDER BY k.organisation_id",
            vec![alert_id.into(), since.into()],
        ))
        .await
        .context("cannot find unfinished organisations")?;
    rows.iter()
        .map(|r| r.try_get::<OrgId>("", "organisation_id"))
        .collect::<Result<_, sea_orm::DbErr>>()
        .context("cannot read unfinished organisations")
}

/// One silent organisation of an alert's audience.
struct Silent {
    org: OrgId,
    kind: String,
    parent: Option<OrgId>,
}

async fn silent(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    not_yet: &str,
) -> anyhow::Result<Vec<Silent>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(crate::db::statement(
            backend,
            "SELECT aa.organisation_id, o.kind, o.parent_id FROM alert_audience aa \
             JOIN organisations o ON o.id = aa.organisation_id \
             LEFT JOIN acknowledgements k ON k.alert_id = aa.alert_id AND k.organisation_id = aa.organisation_id \
             LEFT JOIN follow_ups f ON f.alert_id = aa.alert_id AND f.organisation_id = aa.organisation_id AND f.kind = $2 \
             WHERE aa.alert_id = $1 AND k.alert_id IS NULL AND f.alert_id IS NULL \
             ORDER BY aa.organisation_id",
            vec![alert_id.into(), not_yet.into()],
        ))
        .await
        .context("cannot find silent organisations")?;
    rows.iter()
        .map(|r| {
            Ok(Silent {
                org: r.try_get("", "organisation_id")?,
                kind: r.try_get("", "kind")?,
                parent: r.try_get("", "parent_id")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .context("cannot read silent organisations")
}

async fn mark(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    org: OrgId,
    kind: &str,
    revision_id: RevisionId,
    recipients: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use sea_orm::EntityTrait;
    follow_ups::Entity::insert(follow_ups::ActiveModel {
        alert_id: sea_orm::Set(alert_id),
        organisation_id: sea_orm::Set(org),
        kind: sea_orm::Set(kind.to_owned()),
        revision_id: sea_orm::Set(revision_id),
        recipients: sea_orm::Set(i32::try_from(recipients).unwrap_or(i32::MAX)),
        at: sea_orm::Set(now),
    })
    .exec_without_returning(db)
    .await
    .context("cannot record the follow-up")?;
    Ok(())
}

/// Queues `kind` mails of the latest revision to the active contacts of `orgs`.
async fn queue(
    db: &impl ConnectionTrait,
    alert: &Alert,
    revision: &crate::alerts::Revision,
    orgs: &[OrgId],
    kind: Kind,
    now: DateTime<Utc>,
) -> anyhow::Result<BTreeMap<OrgId, usize>> {
    let ids: Vec<OrgId> = orgs.to_vec();
    // The revision's marking decides: an address not yet verified gets TLP:CLEAR only.
    let contacts = crate::contacts::store::receiving(db, &ids, revision.tlp).await?;
    let revision_id = revision.id;
    crate::delivery::store::enqueue(
        db,
        alert.id,
        revision_id,
        &contacts,
        crate::alerts::publish::priority(alert.severity, alert.drill),
        kind,
        // Due at once, also when deadlines are judged as of a later time (tests, catch-up).
        now.min(Utc::now()),
    )
    .await?;
    let mut per_org = BTreeMap::new();
    for c in &contacts {
        *per_org.entry(c.org_id).or_default() += 1;
    }
    Ok(per_org)
}

/// Follows up one alert as of `now`, in one transaction.
async fn follow_up_alert<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    alert: &Alert,
    now: DateTime<Utc>,
) -> anyhow::Result<FollowUpReport> {
    let mut report = FollowUpReport::default();
    let severity = alert.severity;
    let Some(first) = crate::alerts::store::first_revision(db, alert.id).await? else {
        return Ok(report);
    };
    let since = now - first.published_at;
    let due = |hours: u32| hours > 0 && since >= Duration::hours(i64::from(hours));
    let remind = due(policy.reminders.hours(severity));
    let escalate = due(policy.escalation.hours(severity));
    let chase = policy.chase.every_hours > 0 && first.ack_deadline.is_some_and(|d| now >= d);
    if !remind && !escalate && !chase {
        return Ok(report);
    }
    let latest = crate::alerts::store::revisions(db, alert.id)
        .await?
        .into_iter()
        .max_by_key(|r| r.number)
        .context("a published alert has no revision")?;
    let revision_id = latest.id;
    let alert_id = alert.id;
    let txn = begin_write(db).await?;
    if remind {
        let orgs: Vec<OrgId> = silent(&txn, alert_id, "reminder")
            .await?
            .iter()
            .map(|s| s.org)
            .collect();
        if !orgs.is_empty() {
            let per_org = queue(&txn, alert, &latest, &orgs, Kind::Reminder, now).await?;
            for org in &orgs {
                let n = per_org.get(org).copied().unwrap_or(0);
                mark(&txn, alert_id, *org, "reminder", revision_id, n, now).await?;
                report.mails += n;
            }
            report.reminded = orgs.len();
            audit::record(
                &txn,
                &Actor::System,
                "ack.remind",
                &format!("alert:{}", alert.id),
                serde_json::json!({ "organisations": orgs, "mails": per_org.values().sum::<usize>(), "drill": alert.drill }),
            )
            .await?;
        }
    }
    if escalate {
        let municipalities: Vec<Silent> = silent(&txn, alert_id, "escalated")
            .await?
            .into_iter()
            .filter(|s| s.kind == "municipality")
            .collect();
        let mut parents = std::collections::BTreeSet::new();
        for m in &municipalities {
            mark(&txn, alert_id, m.org, "escalated", revision_id, 0, now).await?;
            parents.extend(m.parent);
        }
        report.escalated = municipalities.len();
        let already = followed_up(&txn, alert_id, "escalation").await?;
        // AMBER+STRICT and RED stay with the addressed organisations: their prefecture is
        // not told (it cannot see the alert either; `alerts::access`).
        let relayed = latest.tlp.prefecture_may_relay();
        let prefectures: Vec<OrgId> = parents
            .into_iter()
            .filter(|p| relayed && !already.contains(p))
            .collect();
        if !prefectures.is_empty() {
            let per_org = queue(&txn, alert, &latest, &prefectures, Kind::Escalation, now).await?;
            for p in &prefectures {
                let n = per_org.get(p).copied().unwrap_or(0);
                mark(&txn, alert_id, *p, "escalation", revision_id, n, now).await?;
                report.mails += n;
            }
            report.prefectures = prefectures.len();
        }
        if !municipalities.is_empty() {
            audit::record(
                &txn,
                &Actor::System,
                "ack.escalate",
                &format!("alert:{}", alert.id),
                serde_json::json!({
                    "municipalities": municipalities.iter().map(|m| m.org).collect::<Vec<_>>(),
                    "prefectures_notified": prefectures,
                    "drill": alert.drill,
                }),
            )
            .await?;
        }
    }
    if chase {
        let since = now - Duration::hours(i64::from(policy.chase.every_hours));
        let orgs = unfinished(&txn, alert_id, since).await?;
        if !orgs.is_empty() {
            let per_org = queue(&txn, alert, &latest, &orgs, Kind::Chase, now).await?;
            // One row per organisation and JST day: the key makes it at most one a day, across
            // processes.
            let kind = format!(
                "chase:{}",
                now.with_timezone(&chrono_tz::Asia::Tokyo)
                    .format("%Y-%m-%d")
            );
            for org in &orgs {
                let n = per_org.get(org).copied().unwrap_or(0);
                mark(&txn, alert_id, *org, &kind, revision_id, n, now).await?;
                report.mails += n;
            }
            report.chased = orgs.len();
            audit::record(
                &txn,
                &Actor::System,
                "ack.chase",
                &format!("alert:{}", alert.id),
                serde_json::json!({ "organisations": orgs, "mails": per_org.values().sum::<usize>(), "drill": alert.drill }),
            )
            .await?;
        }
    }
    txn.commit().await.context("cannot commit the follow-ups")?;
    Ok(report)
}

/// One pass over the alerts that ask for acknowledgement, as of `now`.
pub async fn run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    now: DateTime<Utc>,
) -> anyhow::Result<FollowUpReport> {
    let mut total = FollowUpReport::default();
    for alert in crate::alerts::store::list_by_status(db, AlertStatus::Published).await? {
        if !alert.ack_required || now - alert.created_at > Duration::days(LOOK_BACK_DAYS) {
            continue;
        }
        let r = follow_up_alert(db, policy, &alert, now).await?;
        total.reminded += r.reminded;
        total.escalated += r.escalated;
        total.prefectures += r.prefectures;
        total.chased += r.chased;
        total.mails += r.mails;
    }
    Ok(total)
}

/// The worker's step: one pass; idle afterwards (the loop's pace sets how often it looks).
#[tracing::instrument(name = "Follow up acknowledgements", skip_all)]
pub async fn try_execute_task(
    db: &sea_orm::DatabaseConnection,
    policy: &DraftPolicy,
) -> anyhow::Result<Outcome> {
    let r = run(db, policy, Utc::now()).await?;
    if r != FollowUpReport::default() {
        tracing::info!(
            reminded = r.reminded,
            escalated = r.escalated,
            prefectures = r.prefectures,
            chased = r.chased,
            mails = r.mails,
            "acknowledgement follow-ups queued"
        );
    }
    Ok(Outcome::Idle)
}

/// Organisations of an alert with a follow-up of `kind`.
async fn followed_up(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    kind: &str,
) -> anyhow::Result<std::collections::HashSet<OrgId>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ids: Vec<OrgId> = follow_ups::Entity::find()
        .select_only()
        .column(follow_ups::Column::OrganisationId)
        .filter(follow_ups::Column::AlertId.eq(alert_id))
        .filter(follow_ups::Column::Kind.eq(kind))
        .into_tuple()
        .all(db)
        .await
        .context("cannot read the follow-ups")?;
    Ok(ids.into_iter().collect())
}

/// Municipalities of an alert marked as escalated (for the board).
pub async fn escalated(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<std::collections::HashSet<OrgId>> {
    followed_up(db, alert_id, "escalated").await
}
