//! The steps on reports, rows in and rows out.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::entities::incident_report_steps;
use crate::domain::ids::{OrgId, ReportId};
use crate::reports::steps::{NewStep, Partner, Stage, Step, StepKind};

fn to_step(m: incident_report_steps::Model) -> anyhow::Result<Step> {
    let ctx = || format!("report step {}", m.id);
    Ok(Step {
        kind: StepKind::stored(&m.kind).with_context(ctx)?,
        org_id: m.organisation_id,
        author: m.author.clone(),
        body: m.body.clone(),
        update_seq: m.update_seq,
        due_at: m.due_at,
        partner: m
            .partner
            .as_deref()
            .map(Partner::stored)
            .transpose()
            .with_context(ctx)?,
        partner_name: m.partner_name.clone(),
        stage: m
            .stage
            .as_deref()
            .map(Stage::stored)
            .transpose()
            .with_context(ctx)?,
        reference: m.reference.clone(),
        sent_at: m.sent_at,
        created_at: m.created_at,
    })
}

/// Writes one step (in the caller's transaction).
pub(crate) async fn insert_step(
    db: &impl ConnectionTrait,
    report: ReportId,
    desk: OrgId,
    author: &str,
    s: &NewStep,
    update_seq: Option<i32>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    incident_report_steps::ActiveModel {
        report_id: Set(report),
        kind: Set(s.kind.as_str().into()),
        organisation_id: Set(desk),
        author: Set(author.into()),
        body: Set(s.body.clone()),
        update_seq: Set(s.update_seq.or(update_seq)),
        due_at: Set(s.due_at),
        partner: Set(s.partner.map(|p| p.as_str().into())),
        partner_name: Set(s.partner_name.clone()),
        stage: Set(s.stage.map(|p| p.as_str().into())),
        reference: Set(s.reference.clone()),
        sent_at: Set(s.sent_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the report step")?;
    Ok(())
}

/// A report's steps, oldest first.
pub async fn steps(db: &impl ConnectionTrait, report: ReportId) -> anyhow::Result<Vec<Step>> {
    incident_report_steps::Entity::find()
        .filter(incident_report_steps::Column::ReportId.eq(report))
        .order_by_asc(incident_report_steps::Column::Id)
        .all(db)
        .await
        .context("cannot read the report's steps")?
        .into_iter()
        .map(to_step)
        .collect()
}

/// The steps of many reports (the 年度 figures), by report.
pub async fn steps_of(
    db: &impl ConnectionTrait,
    reports: &[ReportId],
) -> anyhow::Result<std::collections::HashMap<ReportId, Vec<Step>>> {
    let mut out: std::collections::HashMap<ReportId, Vec<Step>> = Default::default();
    for chunk in reports.chunks(500) {
        let rows = incident_report_steps::Entity::find()
            .filter(incident_report_steps::Column::ReportId.is_in(chunk.iter().copied()))
            .order_by_asc(incident_report_steps::Column::Id)
            .all(db)
            .await
            .context("cannot read the reports' steps")?;
        for m in rows {
            let id = m.report_id;
            out.entry(id).or_default().push(to_step(m)?);
        }
    }
    Ok(out)
}

/// Requests past their due time that nobody was reminded of: (step row id, report).
pub async fn requests_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> anyhow::Result<Vec<(i64, ReportId, DateTime<Utc>, DateTime<Utc>)>> {
    use sea_orm::QuerySelect;
    Ok(incident_report_steps::Entity::find()
        .filter(incident_report_steps::Column::Kind.eq(StepKind::Request.as_str()))
        .filter(incident_report_steps::Column::DueAt.lt(now))
        .filter(incident_report_steps::Column::RemindedAt.is_null())
        .order_by_asc(incident_report_steps::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the requests due")?
        .into_iter()
        .filter_map(|m| Some((m.id, m.report_id, m.created_at, m.due_at?)))
        .collect())
}

/// Claims the reminder of one request: true for exactly one caller.
pub async fn claim_request_reminder(
    db: &impl ConnectionTrait,
    step: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = incident_report_steps::Entity::update_many()
        .col_expr(
            incident_report_steps::Column::RemindedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(incident_report_steps::Column::Id.eq(step))
        .filter(incident_report_steps::Column::RemindedAt.is_null())
        .exec(db)
        .await
        .context("cannot record the request's reminder")?;
    Ok(done.rows_affected == 1)
}
