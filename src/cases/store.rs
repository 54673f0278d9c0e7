//! Cases in the database: submit, edit (anonymise), publish, revise, withdraw, with a history
//! row, an audit entry and a search-outbox row written in the same transaction as each change.
//! Owns `cases`, `case_revisions` and writes `search_outbox`.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::access::Submitter;
use super::{CaseFields, InvalidCase, Kind, Status};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::{case_revisions, cases, organisations, search_outbox};
use crate::domain::Tlp;
use crate::search::CaseDoc;

/// A case as stored.
#[derive(Clone, Debug)]
pub struct Case {
    pub id: i64,
    pub status: Status,
    /// 0 until published; then 1, 2 … per published revision.
    pub revision: i32,
    pub fields: CaseFields,
    pub organisation_id: Option<i64>,
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
    pub report_id: i64,
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
fn to_case(m: cases::Model) -> anyhow::Result<Case> {
    let status = Status::parse(&m.status).with_context(|| {
        format!(
            "case {}: the stored status {:?} does not read",
            m.id, m.status
        )
    })?;
    let tlp = Tlp::stored(&m.tlp).with_context(|| format!("case {}", m.id))?;
    let kind = Kind::parse(&m.kind)
        .with_context(|| format!("case {}: the stored kind {:?} does not read", m.id, m.kind))?;
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

fn set_fields(a: &mut cases::ActiveModel, f: &CaseFields) {
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

async fn log(
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

/// Stores a new case from an organisation (or central staff): status 受付.
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    organisation_id: Option<i64>,
    actor: &Actor,
) -> Result<i64, CaseError> {
    insert(db, fields, organisation_id, None, actor, Status::Submitted).await
}

/// Stores a case made from an incident report (受付): the report is its origin, and the case
/// may not be looser than the report's TLP unless an editor says why ([`edit`]).
pub async fn submit_from_report<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    organisation_id: i64,
    origin: Origin,
    actor: &Actor,
) -> Result<i64, CaseError> {
    if fields.tlp < origin.tlp {
        return Err(CaseError::Refused(format!(
            "報告 #{} は TLP:{} です。事例はそれより緩い区分では作れません",
            origin.report_id, origin.tlp
        )));
    }
    insert(
        db,
        fields,
        Some(organisation_id),
        Some(origin),
        actor,
        Status::Submitted,
    )
    .await
}

/// Stores a case published at once (the seed library, loaded by the hub itself or an operator
/// at the command line).
pub async fn create_published<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    actor: &Actor,
) -> Result<i64, CaseError> {
    insert(db, fields, None, None, actor, Status::Published).await
}

async fn insert<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    organisation_id: Option<i64>,
    origin: Option<Origin>,
    actor: &Actor,
    status: Status,
) -> Result<i64, CaseError> {
    let now = Utc::now();
    let published = status == Status::Published;
    let txn = begin_write(db).await?;
    let mut a = cases::ActiveModel {
        status: Set(status.as_str().into()),
        revision: Set(i32::from(published)),
        organisation_id: Set(organisation_id),
        submitted_by: Set(actor.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(published.then_some(now)),
        source_report_id: Set(origin.map(|o| o.report_id)),
        source_tlp: Set(origin.map(|o| o.tlp.as_str().to_owned())),
        ..Default::default()
    };
    set_fields(&mut a, fields);
    let m = a.insert(&txn).await?;
    let case = to_case(m)?;
    let action = if published { "publish" } else { "submit" };
    log(&txn, &case, action, None, actor, now).await?;
    audit::record(
        &txn,
        actor,
        &format!("case.{action}"),
        &format!("case:{}", case.id),
        serde_json::json!({ "kind": fields.kind.as_str(), "tlp": fields.tlp.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(case.id)
}

async fn load_for_update(txn: &impl ConnectionTrait, id: i64) -> Result<cases::Model, CaseError> {
    cases::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(CaseError::NotFound)
}

/// Central staff edit a case. Before publication this is the review (anonymising, tidying):
/// the case becomes 審査中. A published case is revised: its revision number goes up, and the
/// note saying what changed is required. Withdrawn cases are not edited.
///
/// A case made from a report is never made looser than the report's TLP, and never looser
/// than it is now below that, without `tlp_reason`: the editor's reason, kept in the audit log
/// (`case.tlp_lowered`) and the case's history.
pub async fn edit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i64,
    fields: &CaseFields,
    note: Option<&str>,
    tlp_reason: Option<&str>,
    actor: &Actor,
) -> Result<Status, CaseError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let tlp_reason = tlp_reason.map(str::trim).filter(|n| !n.is_empty());
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let m = load_for_update(&txn, id).await?;
    let before = to_case(m.clone())?;
    let (status, revision, action) = match before.status {
        Status::Submitted | Status::Reviewing => (Status::Reviewing, before.revision, "edit"),
        Status::Published => {
            if note.is_none() {
                return Err(CaseError::Refused(
                    "公開済みの事例を改訂するときは、変更内容を記入してください".into(),
                ));
            }
            if before.organisation_id.is_some() && !fields.named {
                refuse_named(&txn, before.organisation_id, fields).await?;
            }
            (Status::Published, before.revision + 1, "revise")
        }
        Status::Withdrawn => {
            return Err(CaseError::Refused("取り下げた事例は編集できません".into()));
        }
    };
    let lowered = before
        .origin
        .filter(|o| fields.tlp < o.tlp && fields.tlp < before.fields.tlp);
    if let Some(o) = lowered {
        match tlp_reason {
            None => {
                return Err(CaseError::Refused(format!(
                    "この事例は報告 #{} (TLP:{}) から作られました。TLP:{} に緩めるには、その理由を記入してください",
                    o.report_id, o.tlp, fields.tlp
                )));
            }
            Some(r) if r.chars().count() > super::SHORT_MAX => {
                return Err(CaseError::Refused(format!(
                    "TLP を緩める理由は {} 文字以内にしてください",
                    super::SHORT_MAX
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(n) = note
        && n.chars().count() > super::SHORT_MAX
    {
        return Err(CaseError::Refused(format!(
            "変更内容は {} 文字以内にしてください",
            super::SHORT_MAX
        )));
    }
    let mut a = m.into_active_model();
    set_fields(&mut a, fields);
    a.status = Set(status.as_str().into());
    a.revision = Set(revision);
    a.updated_at = Set(now);
    let case = to_case(a.update(&txn).await?)?;
    log(&txn, &case, action, note, actor, now).await?;
    audit::record(
        &txn,
        actor,
        &format!("case.{action}"),
        &format!("case:{id}"),
        serde_json::json!({ "revision": revision, "tlp": fields.tlp.as_str() }),
    )
    .await?;
    if let (Some(o), Some(reason)) = (lowered, tlp_reason) {
        log(&txn, &case, "tlp_lowered", Some(reason), actor, now).await?;
        audit::record(
            &txn,
            actor,
            "case.tlp_lowered",
            &format!("case:{id}"),
            serde_json::json!({
                "report": o.report_id,
                "report_tlp": o.tlp.as_str(),
                "from": before.fields.tlp.as_str(),
                "to": fields.tlp.as_str(),
                "reason": reason,
            }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(status)
}

/// A case that does not name its organisation must not carry the organisation's name.
async fn refuse_named(
    db: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    fields: &CaseFields,
) -> Result<(), CaseError> {
    let Some(org_id) = organisation_id else {
        return Ok(());
    };
    let Some(org) = organisations::Entity::find_by_id(org_id).one(db).await? else {
        return Ok(());
    };
    let texts = [
        &fields.title,
        &fields.summary,
        &fields.body,
        &fields.measures,
        &fields.lessons,
        &fields.systems_affected,
    ];
    if org.name.chars().count() >= 2 && texts.iter().any(|t| t.contains(&org.name)) {
        return Err(CaseError::Refused(format!(
            "団体名「{}」が本文に残っています。団体が公表に同意していない事例は匿名化してから公開してください",
            org.name
        )));
    }
    Ok(())
}

/// An approver publishes a case under review. Not the person who submitted it (four eyes), and
/// not while it still names an organisation that has not agreed to be named.
pub async fn publish<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i64,
    actor: &Actor,
) -> Result<(), CaseError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let m = load_for_update(&txn, id).await?;
    let before = to_case(m.clone())?;
    if !matches!(before.status, Status::Submitted | Status::Reviewing) {
        return Err(CaseError::Refused(format!(
            "この事例は「{}」です。公開できるのは受付・審査中の事例です",
            before.status.label_ja()
        )));
    }
    if before.submitted_by == actor.to_string() {
        return Err(CaseError::Refused(
            "自分で登録した事例は公開できません。別の承認者が公開します".into(),
        ));
    }
    if !before.fields.named {
        refuse_named(&txn, before.organisation_id, &before.fields).await?;
    }
    let mut a = m.into_active_model();
    a.status = Set(Status::Published.as_str().into());
    a.revision = Set(1);
    a.updated_at = Set(now);
    a.published_at = Set(Some(now));
    let case = to_case(a.update(&txn).await?)?;
    log(&txn, &case, "publish", None, actor, now).await?;
    audit::record(
        &txn,
        actor,
        "case.publish",
        &format!("case:{id}"),
        serde_json::json!({ "tlp": case.fields.tlp.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Central staff withdraw a case (published or not): it leaves the library and the index.
pub async fn withdraw<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i64,
    note: &str,
    actor: &Actor,
) -> Result<(), CaseError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > super::SHORT_MAX {
        return Err(CaseError::Refused(
            "取り下げの理由を 1,000 文字以内で記入してください".into(),
        ));
    }
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let m = load_for_update(&txn, id).await?;
    if m.status == Status::Withdrawn.as_str() {
        return Err(CaseError::Refused("すでに取り下げられています".into()));
    }
    let mut a = m.into_active_model();
    a.status = Set(Status::Withdrawn.as_str().into());
    a.updated_at = Set(now);
    let case = to_case(a.update(&txn).await?)?;
    log(&txn, &case, "withdraw", Some(note), actor, now).await?;
    audit::record(
        &txn,
        actor,
        "case.withdraw",
        &format!("case:{id}"),
        serde_json::json!({ "note": note }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<Option<Case>> {
    cases::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the case")?
        .map(to_case)
        .transpose()
}

/// Cases by id, in the order asked (missing ones left out).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> anyhow::Result<Vec<Case>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: HashMap<i64, Case> = cases::Entity::find()
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
    organisation_id: Option<i64>,
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

pub async fn history(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<Vec<HistoryEntry>> {
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
