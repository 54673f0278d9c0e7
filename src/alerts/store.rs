//! Database access for alerts and the advisories behind them.

use crate::domain::ids::OrgId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audience::AudienceSpec;
use super::model::{Alert, AlertId, AlertStatus, Revision, RevisionKind};
use crate::classify::model::Category;
use crate::db::entities::{alert_advisories, alert_audience, alert_revisions, alerts};
use crate::domain::{Severity, Tlp};

mod revisions;
pub use revisions::*;

fn typed(row: Option<alerts::Model>) -> anyhow::Result<Option<Alert>> {
    row.map(Alert::from_row).transpose()
}

fn typed_revision(row: Option<alert_revisions::Model>) -> anyhow::Result<Option<Revision>> {
    row.map(Revision::from_row).transpose()
}

/// A draft about to be written.
pub struct NewAlert {
    pub status: AlertStatus,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub categories: Vec<Category>,
    pub tlp: Tlp,
    pub ack_required: bool,
    pub ack_within_hours: Option<i32>,
    /// The hours count 開庁日 only ([`crate::time::OfficeCalendar::add_hours`]).
    pub ack_office_days: bool,
    pub drill: bool,
    pub audience: AudienceSpec,
    pub origin: String,
    pub cluster_key: Option<i64>,
    /// The owning prefecture of a prefecture's own alert; None for the centre.
    pub owner: Option<OrgId>,
    /// A scheduled drill's start; None sends at approval.
    pub starts_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    a: NewAlert,
    now: DateTime<Utc>,
) -> anyhow::Result<Alert> {
    let row = alerts::ActiveModel {
        status: Set(a.status.as_str().into()),
        title: Set(a.title),
        body: Set(a.body),
        severity: Set(a.severity.as_str().into()),
        categories: Set(serde_json::to_string(&a.categories)?),
        tlp: Set(a.tlp.as_str().into()),
        ack_required: Set(a.ack_required),
        ack_within_hours: Set(a.ack_within_hours),
        ack_office_days: Set(a.ack_office_days),
        drill: Set(a.drill),
        audience: Set(serde_json::to_string(&a.audience)?),
        origin: Set(a.origin),
        cluster_key: Set(a.cluster_key),
        owner_organisation_id: Set(a.owner),
        starts_at: Set(a.starts_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the alert")?;
    Alert::from_row(row)
}

pub async fn link_advisory(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    advisory_id: i64,
) -> anyhow::Result<()> {
    alert_advisories::Entity::insert(alert_advisories::ActiveModel {
        alert_id: Set(alert_id),
        advisory_id: Set(advisory_id),
    })
    .on_conflict_do_nothing_on([
        alert_advisories::Column::AlertId,
        alert_advisories::Column::AdvisoryId,
    ])
    .exec(db)
    .await
    .context("cannot link the advisory to the alert")?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: AlertId) -> anyhow::Result<Option<Alert>> {
    typed(
        alerts::Entity::find_by_id(id)
            .one(db)
            .await
            .context("cannot read alerts")?,
    )
}

/// The alert already made for an advisory cluster, if any (whatever its state; the triage page
/// links to it).
pub async fn for_cluster(
    db: &impl ConnectionTrait,
    cluster_key: i64,
) -> anyhow::Result<Option<Alert>> {
    typed(
        alerts::Entity::find()
            .filter(alerts::Column::ClusterKey.eq(cluster_key))
            .order_by_desc(alerts::Column::Id)
            .one(db)
            .await
            .context("cannot read alerts")?,
    )
}

/// The draft of a cluster that a newly classified advisory may still join: made by the same
/// policy rule (`origin`), in `draft` and never published. A published or withdrawn alert, one
/// waiting for approval (the approver must see what they approve), or one with a pending 第N報
/// is never changed by ingest.
pub async fn open_draft_for_cluster(
    db: &impl ConnectionTrait,
    cluster_key: i64,
    origin: &str,
) -> anyhow::Result<Option<Alert>> {
    typed(
        alerts::Entity::find()
            .filter(alerts::Column::ClusterKey.eq(cluster_key))
            .filter(alerts::Column::Origin.eq(origin))
            .filter(alerts::Column::Status.eq(AlertStatus::Draft.as_str()))
            .filter(alerts::Column::PublishedRevision.eq(0))
            .order_by_desc(alerts::Column::Id)
            .one(db)
            .await
            .context("cannot read alerts")?,
    )
}

/// Raises a draft's TLP (the strictest marking of its advisories wins).
pub async fn set_tlp(
    db: &impl ConnectionTrait,
    id: AlertId,
    tlp: Tlp,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    alerts::Entity::update_many()
        .col_expr(
            alerts::Column::Tlp,
            sea_orm::sea_query::Expr::value(tlp.as_str()),
        )
        .col_expr(
            alerts::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(alerts::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot update the draft's TLP")?;
    Ok(())
}

pub async fn set_severity(
    db: &impl ConnectionTrait,
    id: AlertId,
    severity: Severity,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    alerts::ActiveModel {
        id: Set(id),
        severity: Set(severity.as_str().into()),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot update the alert")?;
    Ok(())
}

pub async fn list_by_status(
    db: &impl ConnectionTrait,
    status: AlertStatus,
) -> anyhow::Result<Vec<Alert>> {
    alerts::Entity::find()
        .filter(alerts::Column::Status.eq(status.as_str()))
        .order_by_desc(alerts::Column::Id)
        .all(db)
        .await
        .context("cannot read alerts")?
        .into_iter()
        .map(Alert::from_row)
        .collect()
}

/// Every drill (連絡体制の確認訓練), newest first, whatever its state.
pub async fn list_drills(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Alert>> {
    alerts::Entity::find()
        .filter(alerts::Column::Drill.eq(true))
        .order_by_desc(alerts::Column::Id)
        .all(db)
        .await
        .context("cannot read drills")?
        .into_iter()
        .map(Alert::from_row)
        .collect()
}

pub async fn advisory_ids(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<i64>> {
    Ok(alert_advisories::Entity::find()
        .filter(alert_advisories::Column::AlertId.eq(alert_id.0))
        .order_by_asc(alert_advisories::Column::AdvisoryId)
        .all(db)
        .await
        .context("cannot read the alert's advisories")?
        .into_iter()
        .map(|l| l.advisory_id)
        .collect())
}

pub async fn set_submitted(
    db: &impl ConnectionTrait,
    id: AlertId,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    alerts::ActiveModel {
        id: Set(id),
        status: Set(AlertStatus::PendingApproval.as_str().into()),
        submitted_by: Set(Some(by.to_owned())),
        submitted_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot update the alert")?;
    Ok(())
}

pub async fn set_published(
    db: &impl ConnectionTrait,
    id: AlertId,
    status: AlertStatus,
    revision: i32,
    public_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    alerts::ActiveModel {
        id: Set(id),
        status: Set(status.as_str().into()),
        published_revision: Set(revision),
        public_id: Set(Some(public_id.to_owned())),
        pending_changes: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot update the alert")?;
    Ok(())
}

/// The highest public id starting with `prefix` (`NRS-2026-`).
pub async fn max_public_id(
    db: &impl ConnectionTrait,
    prefix: &str,
) -> anyhow::Result<Option<String>> {
    Ok(alerts::Entity::find()
        .filter(alerts::Column::PublicId.starts_with(prefix))
        .order_by_desc(alerts::Column::PublicId)
        .one(db)
        .await
        .context("cannot read alerts")?
        .and_then(|a| a.public_id))
}

#[allow(clippy::too_many_arguments)]
pub async fn update_content(
    db: &impl ConnectionTrait,
    id: AlertId,
    title: Option<&str>,
    body: Option<&str>,
    severity: Option<Severity>,
    tlp: Option<Tlp>,
    pending_changes: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut row = alerts::ActiveModel {
        id: Set(id),
        status: Set(AlertStatus::Draft.as_str().into()),
        pending_changes: Set(pending_changes.map(str::to_owned)),
        submitted_by: Set(None),
        submitted_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(t) = title {
        row.title = Set(t.to_owned());
    }
    if let Some(b) = body {
        row.body = Set(b.to_owned());
    }
    if let Some(s) = severity {
        row.severity = Set(s.as_str().into());
    }
    if let Some(t) = tlp {
        row.tlp = Set(t.as_str().into());
    }
    row.update(db).await.context("cannot update the alert")?;
    Ok(())
}

/// Puts a published alert back to what its latest revision says, discarding an edit that was
/// started (or submitted) for the next revision and not approved. Returns false when the alert
/// has no published revision.
pub async fn restore_published(
    db: &impl ConnectionTrait,
    id: AlertId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Some(latest) = alert_revisions::Entity::find()
        .filter(alert_revisions::Column::AlertId.eq(id.0))
        .order_by_desc(alert_revisions::Column::Number)
        .one(db)
        .await
        .context("cannot read the alert's revisions")?
    else {
        return Ok(false);
    };
    alerts::ActiveModel {
        id: Set(id),
        status: Set(AlertStatus::Published.as_str().into()),
        title: Set(latest.title),
        body: Set(latest.body),
        severity: Set(latest.severity),
        tlp: Set(latest.tlp),
        categories: Set(latest.categories),
        pending_changes: Set(None),
        submitted_by: Set(None),
        submitted_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot restore the alert")?;
    Ok(true)
}

pub async fn by_public_id(
    db: &impl ConnectionTrait,
    public_id: &str,
) -> anyhow::Result<Option<Alert>> {
    typed(
        alerts::Entity::find()
            .filter(alerts::Column::PublicId.eq(public_id))
            .one(db)
            .await
            .context("cannot read alerts")?,
    )
}

/// An alert with whether it is addressed to one organisation.
struct WithAddressed(alerts::Model, bool);

impl sea_orm::FromQueryResult for WithAddressed {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self(
            alerts::Model::from_query_result(res, pre)?,
            res.try_get::<bool>(pre, "addressed")?,
        ))
    }
}

/// [`by_public_id`] and whether the alert is addressed to organisation `org_id`, in one query
/// (the alert page asks both on every view).
pub async fn by_public_id_for(
    db: &impl ConnectionTrait,
    public_id: &str,
    org_id: OrgId,
) -> anyhow::Result<Option<(Alert, bool)>> {
    use sea_orm::QuerySelect as _;
    use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
    let addressed = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(alert_audience::Entity)
            .and_where(
                Expr::col((alert_audience::Entity, alert_audience::Column::AlertId))
                    .equals((alerts::Entity, alerts::Column::Id)),
            )
            .and_where(
                Expr::col((
                    alert_audience::Entity,
                    alert_audience::Column::OrganisationId,
                ))
                .eq(org_id),
            )
            .to_owned(),
    );
    alerts::Entity::find()
        .filter(alerts::Column::PublicId.eq(public_id))
        .column_as(addressed, "addressed")
        .into_model::<WithAddressed>()
        .one(db)
        .await
        .context("cannot read alerts")?
        .map(|WithAddressed(alert, addressed)| anyhow::Ok((Alert::from_row(alert)?, addressed)))
        .transpose()
}

/// Whether `alert_id` is addressed to `org_id`.
pub async fn is_addressed(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    org_id: OrgId,
) -> anyhow::Result<bool> {
    Ok(alert_audience::Entity::find_by_id((alert_id, org_id))
        .one(db)
        .await
        .context("cannot read the alert's audience")?
        .is_some())
}
