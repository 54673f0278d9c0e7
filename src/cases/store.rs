//! Cases in the database: rows in and rows out (the case, its history, the search outbox row
//! each change leaves). The actions that change them, audited, are [`super::act`].

use crate::domain::ids::CaseId;
use crate::domain::ids::{OrgId, ReportId};
use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::access::Submitter;
use super::{CaseFields, InvalidCase, Kind, Status};
use crate::audit::Actor;
use crate::db::entities::{case_revisions, cases, organisations, search_outbox};
use crate::domain::Tlp;
use crate::search::CaseDoc;

/// A case as stored.
#[derive(Clone, Debug)]
pub struct Case {
    pub id: CaseId,
    pub status: Status,
    /// 0 until published; then 1, 2 … per published revision.
    pub revision: i32,
    pub fields: CaseFields,
    pub organisation_id: Option<OrgId>,
    pub submitted_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// The incident report the case was made from, with that report's marking.
    pub origin: Option<Origin>,
}

/// Where a case made from an incident report came from. The case starts at the report's TLP;
/// a looser marking takes an explicit, audited decision ([`edit`]'s `tlp_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub report_id: ReportId,
    pub tlp: Tlp,
}

/// One change in a case's history.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    pub revision: i32,
    pub action: String,
    pub note: Option<String>,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub fields: Option<CaseFields>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    Invalid(#[from] InvalidCase),
    #[error("no such case")]
    NotFound,
    /// The change does not fit the case's state (or the four-eyes rule).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for CaseError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Other(anyhow::Error::new(e).context("the case store failed"))
    }
}

impl crate::error::Classify for CaseError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(e) => Failure::Invalid(e.to_string()),
            Self::NotFound => Failure::NotFound("no such case".into()),
            Self::Refused(m) => Failure::Conflict(m),
            Self::Other(e) => Failure::Unexpected(e),
        }
    }
}

fn json_list(v: &[String]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

fn read_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// A stored case, back as the type. Only valid markings and states are ever written; one that
/// does not read is an error (a hand edit or a bug), never quietly RED or withdrawn.
pub(super) fn to_case(m: cases::Model) -> anyhow::Result<Case> {
    let status = Status::stored(&m.status).with_context(|| format!("case {}", m.id))?;
    let tlp = Tlp::stored(&m.tlp).with_context(|| format!("case {}", m.id))?;
    let kind = Kind::stored(&m.kind).with_context(|| format!("case {}", m.id))?;
    let origin = match (m.source_report_id, m.source_tlp.as_deref()) {
        (Some(report_id), Some(t)) => Some(Origin {
            report_id,
            tlp: Tlp::stored(t).with_context(|| format!("case {}: its report's TLP", m.id))?,
        }),
        (None, None) => None,
        _ => anyhow::bail!("case {}: a source report without its TLP", m.id),
    };
    let fields = CaseFields {
        kind,
        title: m.title,
        summary: m.summary,
        body: m.body,
        measures: m.measures,
        lessons: m.lessons,
        categories: read_list(&m.categories),
        causes: read_list(&m.causes),
        org_kind: m.org_kind,
        size_band: m.size_band,
        prefecture: m.prefecture_code.and_then(|p| u8::try_from(p).ok()),
        named: m.named,
        occurred_on: m.occurred_on,
        found_on: m.found_on,
        reported_on: m.reported_on,
        records_affected: m.records_affected,
        systems_affected: m.systems_affected,
        alert_ids: read_list(&m.alert_ids),
        advisory_ids: read_list(&m.advisory_ids),
        tlp,
        source: m.source,
        publicised: m.publicised,
        publicised_on: m.publicised_on,
    };
    Ok(Case {
        id: m.id,
        status,
        revision: m.revision,
        fields,
        organisation_id: m.organisation_id,
        submitted_by: m.submitted_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
        published_at: m.published_at,
        origin,
    })
}

pub(super) fn set_fields(a: &mut cases::ActiveModel, f: &CaseFields) {
    a.kind = Set(f.kind.as_str().into());
    a.title = Set(f.title.clone());
    a.summary = Set(f.summary.clone());
    a.body = Set(f.body.clone());
    a.measures = Set(f.measures.clone());
    a.lessons = Set(f.lessons.clone());
    a.categories = Set(json_list(&f.categories));
    a.causes = Set(json_list(&f.causes));
    a.alert_ids = Set(json_list(&f.alert_ids));
    a.advisory_ids = Set(json_list(&f.advisory_ids));
    a.org_kind = Set(f.org_kind.clone());
    a.size_band = Set(f.size_band.clone());
    a.prefecture_code = Set(f.prefecture.map(i16::from));
    a.named = Set(f.named);
    a.occurred_on = Set(f.occurred_on);
    a.found_on = Set(f.found_on);
    a.reported_on = Set(f.reported_on);
    a.records_affected = Set(f.records_affected);
    a.systems_affected = Set(f.systems_affected.clone());
    a.tlp = Set(f.tlp.as_str().into());
    a.source = Set(f.source.clone());
    a.publicised = Set(f.publicised);
    a.publicised_on = Set(f.publicised_on);
}

pub(super) async fn log(
    txn: &impl ConnectionTrait,
    case: &Case,
    action: &str,
    note: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), CaseError> {
    case_revisions::ActiveModel {
        case_id: Set(case.id),
        revision: Set(case.revision),
        action: Set(action.into()),
        snapshot: Set(serde_json::to_string(&case.fields).context("cannot write the history")?),
        note: Set(note.map(str::to_owned)),
        author: Set(actor.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    search_outbox::ActiveModel {
        case_id: Set(case.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

pub(super) async fn load_for_update(
    txn: &impl ConnectionTrait,
    id: CaseId,
) -> Result<cases::Model, CaseError> {
    cases::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(CaseError::NotFound)
}

pub async fn get(db: &impl ConnectionTrait, id: CaseId) -> anyhow::Result<Option<Case>> {
    cases::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the case")?
        .map(to_case)
        .transpose()
}

/// Cases by id, in the order asked (missing ones left out).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[CaseId]) -> anyhow::Result<Vec<Case>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: HashMap<CaseId, Case> = cases::Entity::find()
        .filter(cases::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
        .context("cannot read cases")?
        .into_iter()
        .map(|m| Ok((m.id, to_case(m)?)))
        .collect::<anyhow::Result<_>>()?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Cases in `statuses` (all when empty), of one organisation when given, newest change first.
pub async fn list(
    db: &impl ConnectionTrait,
    statuses: &[Status],
    organisation_id: Option<OrgId>,
    limit: u64,
) -> anyhow::Result<Vec<Case>> {
    let mut q = cases::Entity::find()
        .order_by_desc(cases::Column::UpdatedAt)
        .order_by_desc(cases::Column::Id)
        .limit(limit);
    if !statuses.is_empty() {
        q = q.filter(cases::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
    }
    if let Some(org) = organisation_id {
        q = q.filter(cases::Column::OrganisationId.eq(org));
    }
    q.all(db)
        .await
        .context("cannot read cases")?
        .into_iter()
        .map(to_case)
        .collect()
}

/// Published cases linked to an alert (by its id), newest first.
pub async fn linked_to_alert(
    db: &impl ConnectionTrait,
    alert_public_id: &str,
) -> anyhow::Result<Vec<Case>> {
    let pattern = format!("%\"{alert_public_id}\"%");
    cases::Entity::find()
        .filter(cases::Column::Status.eq(Status::Published.as_str()))
        .filter(cases::Column::AlertIds.like(pattern))
        .order_by_desc(cases::Column::Id)
        .limit(20)
        .all(db)
        .await
        .context("cannot read cases")?
        .into_iter()
        .map(to_case)
        .collect()
}

pub async fn history(db: &impl ConnectionTrait, id: CaseId) -> anyhow::Result<Vec<HistoryEntry>> {
    Ok(case_revisions::Entity::find()
        .filter(case_revisions::Column::CaseId.eq(id))
        .order_by_asc(case_revisions::Column::Id)
        .all(db)
        .await
        .context("cannot read the case history")?
        .into_iter()
        .map(|m| HistoryEntry {
            revision: m.revision,
            action: m.action,
            note: m.note,
            author: m.author,
            created_at: m.created_at,
            fields: serde_json::from_str(&m.snapshot).ok(),
        })
        .collect())
}

/// What anything shown about the library depends on: every change to a case writes a history
/// row (on PostgreSQL, where ids may commit out of order, their count too).
pub async fn library_epoch(db: &impl ConnectionTrait) -> anyhow::Result<(i64, i64)> {
    let sql = if crate::db::is_postgres(db) {
        "SELECT COALESCE(MAX(id), 0) AS last, COUNT(*) AS n FROM case_revisions"
    } else {
        "SELECT COALESCE(MAX(id), 0) AS last, 0 AS n FROM case_revisions"
    };
    let row = db
        .query_one_raw(crate::db::statement(db.get_database_backend(), sql, vec![]))
        .await
        .context("cannot read the case library's epoch")?
        .context("an aggregate returned no row")?;
    Ok((row.try_get("", "last")?, row.try_get("", "n")?))
}

/// How many cases are published.
pub async fn count_published(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    use sea_orm::PaginatorTrait;
    cases::Entity::find()
        .filter(cases::Column::Status.eq(Status::Published.as_str()))
        .count(db)
        .await
        .context("cannot count cases")
}

mod for_search;
pub use for_search::*;
mod synonyms;
pub use synonyms::*;
