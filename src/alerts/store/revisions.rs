//! An alert's revisions (第1報, 第2報 …) and its audience in the database: each revision written once and never changed; the audience only ever grows.

use super::*;
use crate::domain::ids::OrgId;
#[allow(unused_imports)]
use crate::domain::ids::RevisionId;

/// The revision an idempotency key published, if any.
pub async fn revision_by_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> anyhow::Result<Option<Revision>> {
    typed_revision(
        alert_revisions::Entity::find()
            .filter(alert_revisions::Column::IdempotencyKey.eq(key))
            .one(db)
            .await
            .context("cannot read revisions")?,
    )
}

pub async fn first_revision(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Option<Revision>> {
    typed_revision(
        alert_revisions::Entity::find()
            .filter(alert_revisions::Column::AlertId.eq(alert_id.0))
            .filter(alert_revisions::Column::Number.eq(1))
            .one(db)
            .await
            .context("cannot read revisions")?,
    )
}

pub async fn revisions(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<Revision>> {
    alert_revisions::Entity::find()
        .filter(alert_revisions::Column::AlertId.eq(alert_id.0))
        .order_by_asc(alert_revisions::Column::Number)
        .all(db)
        .await
        .context("cannot read revisions")?
        .into_iter()
        .map(Revision::from_row)
        .collect()
}

pub async fn revision(
    db: &impl ConnectionTrait,
    id: RevisionId,
) -> anyhow::Result<Option<Revision>> {
    typed_revision(
        alert_revisions::Entity::find_by_id(id)
            .one(db)
            .await
            .context("cannot read revisions")?,
    )
}

/// A published revision about to be written.
pub struct NewRevision {
    pub alert_id: AlertId,
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
    pub recipients: i32,
}

pub async fn insert_revision(
    db: &impl ConnectionTrait,
    r: NewRevision,
    now: DateTime<Utc>,
) -> anyhow::Result<Revision> {
    let row = alert_revisions::ActiveModel {
        alert_id: Set(r.alert_id),
        number: Set(r.number),
        kind: Set(r.kind.as_str().into()),
        title: Set(r.title),
        body: Set(r.body),
        changes: Set(r.changes),
        severity: Set(r.severity.as_str().into()),
        tlp: Set(r.tlp.as_str().into()),
        categories: Set(serde_json::to_string(&r.categories)?),
        drill: Set(r.drill),
        ack_deadline: Set(r.ack_deadline),
        submitted_by: Set(r.submitted_by),
        approved_by: Set(r.approved_by),
        idempotency_key: Set(r.idempotency_key),
        recipients: Set(r.recipients),
        published_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the revision")?;
    Revision::from_row(row)
}

/// The organisations an alert has reached.
pub async fn audience(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<alert_audience::Model>> {
    alert_audience::Entity::find()
        .filter(alert_audience::Column::AlertId.eq(alert_id.0))
        .order_by_asc(alert_audience::Column::OrganisationId)
        .all(db)
        .await
        .context("cannot read the alert's audience")
}

/// Records many organisations of an audience at once (rows already present are kept).
pub async fn add_audience_many(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    orgs: &[OrgId],
    reasons: &[String],
    revision: i32,
) -> anyhow::Result<()> {
    let reasons = serde_json::to_string(reasons)?;
    for chunk in orgs.chunks(500) {
        alert_audience::Entity::insert_many(chunk.iter().map(|org| alert_audience::ActiveModel {
            alert_id: Set(alert_id),
            organisation_id: Set(*org),
            reasons: Set(reasons.clone()),
            first_revision: Set(revision),
        }))
        .on_conflict_do_nothing_on([
            alert_audience::Column::AlertId,
            alert_audience::Column::OrganisationId,
        ])
        .exec_without_returning(db)
        .await
        .context("cannot record the alert's audience")?;
    }
    Ok(())
}

pub async fn add_audience(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    org: OrgId,
    reasons: &[String],
    revision: i32,
) -> anyhow::Result<()> {
    alert_audience::Entity::insert(alert_audience::ActiveModel {
        alert_id: Set(alert_id),
        organisation_id: Set(org),
        reasons: Set(serde_json::to_string(reasons)?),
        first_revision: Set(revision),
    })
    .on_conflict_do_nothing_on([
        alert_audience::Column::AlertId,
        alert_audience::Column::OrganisationId,
    ])
    .exec(db)
    .await
    .context("cannot record the alert's audience")?;
    Ok(())
}
