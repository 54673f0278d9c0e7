//! Database access for alerts and the advisories behind them.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::entities::{alert_advisories, alerts};

/// A draft about to be written.
pub struct NewAlert {
    pub status: String,
    pub title: String,
    pub body: String,
    pub severity: String,
    pub categories: String,
    pub tlp: String,
    pub ack_required: bool,
    pub ack_within_hours: Option<i32>,
    pub drill: bool,
    pub audience: String,
    pub origin: String,
    pub cluster_key: Option<i64>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    a: NewAlert,
    now: DateTime<Utc>,
) -> anyhow::Result<alerts::Model> {
    alerts::ActiveModel {
        status: Set(a.status),
        title: Set(a.title),
        body: Set(a.body),
        severity: Set(a.severity),
        categories: Set(a.categories),
        tlp: Set(a.tlp),
        ack_required: Set(a.ack_required),
        ack_within_hours: Set(a.ack_within_hours),
        drill: Set(a.drill),
        audience: Set(a.audience),
        origin: Set(a.origin),
        cluster_key: Set(a.cluster_key),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the alert")
}

pub async fn link_advisory(
    db: &impl ConnectionTrait,
    alert_id: i64,
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

pub async fn get(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<Option<alerts::Model>> {
    alerts::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read alerts")
}

/// The alert already made for an advisory cluster, if any.
pub async fn for_cluster(
    db: &impl ConnectionTrait,
    cluster_key: i64,
) -> anyhow::Result<Option<alerts::Model>> {
    alerts::Entity::find()
        .filter(alerts::Column::ClusterKey.eq(cluster_key))
        .order_by_asc(alerts::Column::Id)
        .one(db)
        .await
        .context("cannot read alerts")
}

pub async fn set_severity(
    db: &impl ConnectionTrait,
    id: i64,
    severity: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    alerts::ActiveModel {
        id: Set(id),
        severity: Set(severity.to_owned()),
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
    status: &str,
) -> anyhow::Result<Vec<alerts::Model>> {
    alerts::Entity::find()
        .filter(alerts::Column::Status.eq(status))
        .order_by_desc(alerts::Column::Id)
        .all(db)
        .await
        .context("cannot read alerts")
}

pub async fn advisory_ids(db: &impl ConnectionTrait, alert_id: i64) -> anyhow::Result<Vec<i64>> {
    Ok(alert_advisories::Entity::find()
        .filter(alert_advisories::Column::AlertId.eq(alert_id))
        .order_by_asc(alert_advisories::Column::AdvisoryId)
        .all(db)
        .await
        .context("cannot read the alert's advisories")?
        .into_iter()
        .map(|l| l.advisory_id)
        .collect())
}
