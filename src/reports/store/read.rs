//! Reading reports: one, its 報 and notes, lists with filters, and those due a reminder.

use super::*;

pub async fn get(db: &impl ConnectionTrait, id: ReportId) -> anyhow::Result<Option<Report>> {
    incident_reports::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the report")?
        .map(to_report)
        .transpose()
}

/// The report made into `case_id`, if any (central staff's link back).
pub async fn by_case(db: &impl ConnectionTrait, case_id: CaseId) -> anyhow::Result<Option<Report>> {
    incident_reports::Entity::find()
        .filter(incident_reports::Column::CaseId.eq(case_id))
        .one(db)
        .await
        .context("cannot read the report")?
        .map(to_report)
        .transpose()
}

/// Every 報 of a report, first to last.
pub async fn updates(db: &impl ConnectionTrait, id: ReportId) -> anyhow::Result<Vec<Update>> {
    incident_report_updates::Entity::find()
        .filter(incident_report_updates::Column::ReportId.eq(id.0))
        .order_by_asc(incident_report_updates::Column::Seq)
        .all(db)
        .await
        .context("cannot read the report's 報")?
        .into_iter()
        .map(to_update)
        .collect()
}

/// The latest 報 of each report named.
pub async fn latest(
    db: &impl ConnectionTrait,
    reports: &[Report],
) -> anyhow::Result<std::collections::HashMap<ReportId, Update>> {
    let mut out = std::collections::HashMap::new();
    let wanted: std::collections::HashMap<ReportId, i32> =
        reports.iter().map(|r| (r.id, r.updates)).collect();
    let ids: Vec<ReportId> = wanted.keys().copied().collect();
    for chunk in ids.chunks(500) {
        for m in incident_report_updates::Entity::find()
            .filter(incident_report_updates::Column::ReportId.is_in(chunk.iter().copied()))
            .all(db)
            .await
            .context("cannot read the reports' 報")?
        {
            if wanted.get(&m.report_id) == Some(&m.seq) {
                let id = m.report_id;
                out.insert(id, to_update(m)?);
            }
        }
    }
    Ok(out)
}

/// Every 報 of these reports, oldest first, by report (what each waits for is read from them).
pub async fn all_updates(
    db: &impl ConnectionTrait,
    reports: &[Report],
) -> anyhow::Result<std::collections::HashMap<ReportId, Vec<Update>>> {
    let mut out: std::collections::HashMap<ReportId, Vec<Update>> = Default::default();
    let ids: Vec<ReportId> = reports.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(500) {
        for m in incident_report_updates::Entity::find()
            .filter(incident_report_updates::Column::ReportId.is_in(chunk.iter().copied()))
            .order_by_asc(incident_report_updates::Column::Seq)
            .all(db)
            .await
            .context("cannot read the reports' 報")?
        {
            let id = m.report_id;
            out.entry(id).or_default().push(to_update(m)?);
        }
    }
    Ok(out)
}

pub async fn notes(db: &impl ConnectionTrait, id: ReportId) -> anyhow::Result<Vec<Note>> {
    Ok(incident_report_notes::Entity::find()
        .filter(incident_report_notes::Column::ReportId.eq(id.0))
        .order_by_asc(incident_report_notes::Column::Id)
        .all(db)
        .await
        .context("cannot read the report's notes")?
        .into_iter()
        .map(|m| Note {
            org_id: m.organisation_id,
            body: m.body,
            author: m.author,
            created_at: m.created_at,
        })
        .collect())
}

/// Which reports a list shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct ListFilter {
    pub open_only: bool,
    /// Found in this 年度 (April–March, JST).
    pub fiscal_year: Option<i32>,
}

/// The reports a reader may see, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &Caller,
    filter: ListFilter,
) -> anyhow::Result<Vec<Report>> {
    let mut q = incident_reports::Entity::find().order_by_desc(incident_reports::Column::Id);
    match crate::reports::access::scope(reader) {
        Scope::All => {}
        Scope::Own(org) => q = q.filter(incident_reports::Column::OrganisationId.eq(org.0)),
        Scope::Prefecture(own, p) => {
            let municipalities: Vec<i64> = crate::registry::store::list(
                db,
                crate::registry::store::OrgFilter {
                    prefecture: Some(p),
                    kind: Some(OrgKind::Municipality),
                },
            )
            .await?
            .iter()
            .map(|o| o.id.0)
            .collect();
            let relayed: Vec<&str> = Tlp::ALL
                .into_iter()
                .filter(|t| prefecture_sees(*t))
                .map(Tlp::as_str)
                .collect();
            q = q.filter(
                Condition::any()
                    .add(incident_reports::Column::OrganisationId.eq(own.0))
                    .add(
                        Condition::all()
                            .add(incident_reports::Column::OrganisationId.is_in(municipalities))
                            .add(incident_reports::Column::Tlp.is_in(relayed)),
                    ),
            );
        }
    }
    if filter.open_only {
        q = q.filter(incident_reports::Column::Status.eq(Status::Open.as_str()));
    }
    if let Some(fy) = filter.fiscal_year {
        let (from, to) = crate::time::fiscal_bounds(fy);
        q = q
            .filter(incident_reports::Column::FoundAt.gte(from))
            .filter(incident_reports::Column::FoundAt.lt(to));
    }
    q.all(db)
        .await
        .context("cannot read the reports")?
        .into_iter()
        .map(to_report)
        .collect()
}

/// Open reports whose next 報 was due before `before` and whose organisation has not been
/// reminded for it: the timer worker's work.
pub async fn due_for_reminder(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
    limit: u64,
) -> anyhow::Result<Vec<Report>> {
    incident_reports::Entity::find()
        .filter(incident_reports::Column::Status.eq(Status::Open.as_str()))
        .filter(incident_reports::Column::LastUpdateAt.lt(before))
        .filter(
            sea_orm::sea_query::Expr::col(incident_reports::Column::RemindedFor).lt(
                sea_orm::sea_query::Expr::col(incident_reports::Column::Updates),
            ),
        )
        .order_by_asc(incident_reports::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the reports due")?
        .into_iter()
        .map(to_report)
        .collect()
}
