//! Reports in the database: rows in and rows out (the report, its 報, the prefecture's notes, the
//! link to a case), read for a reader by the one access rule. The audited actions that change
//! them are [`super::act`].

use crate::domain::ids::CaseId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Caller, Scope, may_read, may_update, prefecture_sees};
use super::{InvalidReport, ReportFields, ReportId, Status};
use crate::audit::Actor;
use crate::db::entities::{incident_report_notes, incident_report_updates, incident_reports};
use crate::domain::Tlp;
use crate::registry::{OrgId, OrgKind, Organisation};

/// A report as stored.
#[derive(Clone, Debug)]
pub struct Report {
    pub id: ReportId,
    pub org_id: OrgId,
    pub tlp: Tlp,
    pub status: Status,
    pub found_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_update_at: DateTime<Utc>,
    /// How many 報 it has.
    pub updates: i32,
    pub reminded_for: i32,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<String>,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub forwarded_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub case_id: Option<CaseId>,
}

/// One 報.
#[derive(Clone, Debug)]
pub struct Update {
    pub seq: i32,
    pub fields: ReportFields,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// A prefecture's note.
#[derive(Clone, Debug)]
pub struct Note {
    pub org_id: OrgId,
    pub body: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Invalid(#[from] InvalidReport),
    /// Not there, or not for this reader (the same answer, so nobody learns a report exists).
    #[error("no such report")]
    NotFound,
    /// The reader sees the report but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The change does not fit the report's state (a 報 on a closed report).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for ReportError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("the report store failed"))
    }
}

impl crate::error::Classify for ReportError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(e) => Failure::Invalid(e.to_string()),
            Self::NotFound => Failure::NotFound("no such report".into()),
            Self::Forbidden(m) => Failure::Forbidden(m),
            Self::Conflict(m) => Failure::Conflict(m),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

pub(super) fn to_report(m: incident_reports::Model) -> anyhow::Result<Report> {
    Ok(Report {
        id: m.id,
        org_id: m.organisation_id,
        tlp: Tlp::stored(&m.tlp).with_context(|| format!("report {}", m.id))?,
        status: Status::stored(&m.status).with_context(|| format!("report {}", m.id))?,
        found_at: m.found_at,
        created_at: m.created_at,
        last_update_at: m.last_update_at,
        updates: m.updates,
        reminded_for: m.reminded_for,
        confirmed_at: m.confirmed_at,
        confirmed_by: m.confirmed_by,
        forwarded_at: m.forwarded_at,
        forwarded_by: m.forwarded_by,
        closed_at: m.closed_at,
        case_id: m.case_id,
    })
}

pub(super) fn to_update(m: incident_report_updates::Model) -> anyhow::Result<Update> {
    Ok(Update {
        seq: m.seq,
        fields: serde_json::from_str(&m.fields)
            .with_context(|| format!("report update {}: the stored fields do not read", m.id))?,
        author: m.author,
        created_at: m.created_at,
    })
}

pub(super) async fn insert_update(
    txn: &impl ConnectionTrait,
    id: ReportId,
    seq: i32,
    f: &ReportFields,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ReportError> {
    incident_report_updates::ActiveModel {
        report_id: Set(id),
        seq: Set(seq),
        r#final: Set(f.final_report),
        fields: Set(serde_json::to_string(f).context("cannot write the 報")?),
        author: Set(actor.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

pub(super) async fn lock(
    txn: &impl ConnectionTrait,
    id: ReportId,
) -> Result<incident_reports::Model, ReportError> {
    let mut q = incident_reports::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(txn).await?.ok_or(ReportError::NotFound)
}

pub(super) async fn reporter_of(
    db: &impl ConnectionTrait,
    r: &Report,
) -> Result<Organisation, ReportError> {
    crate::registry::store::find_by_id(db, r.org_id)
        .await?
        .ok_or_else(|| {
            ReportError::Unexpected(anyhow::anyhow!("report {}: its organisation is gone", r.id))
        })
}

/// The report and its organisation, if `reader` may read it; "not found" otherwise (the same
/// answer as for a report that does not exist, so nobody learns that one does).
pub async fn readable(
    db: &impl ConnectionTrait,
    id: ReportId,
    reader: &Caller,
) -> Result<(Report, Organisation), ReportError> {
    let r = get(db, id).await?.ok_or(ReportError::NotFound)?;
    let reporter = reporter_of(db, &r).await?;
    if !may_read(reader, &reporter, r.tlp) {
        return Err(ReportError::NotFound);
    }
    Ok((r, reporter))
}

/// [`readable`], and open to a next 報 from `reader`: the reporting organisation's staff, and
/// never once the 最終報 closed it.
pub async fn writable(
    db: &impl ConnectionTrait,
    id: ReportId,
    reader: &Caller,
) -> Result<(Report, Organisation), ReportError> {
    let (r, reporter) = readable(db, id, reader).await?;
    check_writable(reader, &r, &reporter)?;
    Ok((r, reporter))
}

pub(super) fn check_writable(
    reader: &Caller,
    r: &Report,
    reporter: &Organisation,
) -> Result<(), ReportError> {
    if !may_update(reader, reporter) {
        return Err(ReportError::Forbidden(
            "報を追加できるのは報告した団体の職員です".into(),
        ));
    }
    if r.status.ended() {
        return Err(ReportError::Conflict(
            "この報告は最終報で完了しています。新しい事案は新しい報告として登録してください".into(),
        ));
    }
    Ok(())
}

pub const NOTE_MAX: usize = 5_000;

/// Records the case made of a report (in the transaction that made it).
pub async fn set_case(
    db: &impl ConnectionTrait,
    id: ReportId,
    case_id: CaseId,
) -> anyhow::Result<()> {
    incident_reports::ActiveModel {
        id: Set(id),
        case_id: Set(Some(case_id)),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot link the case")?;
    Ok(())
}

pub(super) async fn lock_for_case(
    txn: &impl ConnectionTrait,
    id: ReportId,
) -> Result<Report, ReportError> {
    Ok(to_report(lock(txn, id).await?)?)
}

/// Claims the reminder for the 報 after the report's `updates`th: true for exactly one caller
/// (two hub processes never both remind), false when another did or a new 報 came in.
pub async fn claim_reminder(
    db: &impl ConnectionTrait,
    id: ReportId,
    updates: i32,
) -> anyhow::Result<bool> {
    let done = incident_reports::Entity::update_many()
        .col_expr(
            incident_reports::Column::RemindedFor,
            sea_orm::sea_query::Expr::value(updates),
        )
        .filter(incident_reports::Column::Id.eq(id.0))
        .filter(incident_reports::Column::Updates.eq(updates))
        .filter(incident_reports::Column::RemindedFor.lt(updates))
        .filter(incident_reports::Column::Status.eq(Status::Open.as_str()))
        .exec(db)
        .await
        .context("cannot record the reminder")?;
    Ok(done.rows_affected == 1)
}

mod read;
pub use read::*;
mod steps;
pub use steps::*;
