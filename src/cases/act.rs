//! The case library's actions: submit, edit (anonymise), publish, revise, withdraw — each in one
//! transaction with its history row, its audit entry and its search-outbox row. The rows
//! themselves are [`super::store`]'s.

use crate::domain::ids::CaseId;
use crate::domain::ids::OrgId;
use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::CaseFields;
use super::Status;
use super::store::{CaseError, Origin, load_for_update, log, set_fields, to_case};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::{cases, organisations, search_outbox, search_synonyms};
use crate::search::synonyms::Synonyms;

/// Stores a new case from an organisation (or central staff): status 受付.
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    organisation_id: Option<OrgId>,
    actor: &Actor,
) -> Result<CaseId, CaseError> {
    insert(db, fields, organisation_id, None, actor, Status::Submitted).await
}

/// Stores a case made from an incident report (受付): the report is its origin, and the case
/// may not be looser than the report's TLP unless an editor says why ([`edit`]).
pub async fn submit_from_report<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    organisation_id: OrgId,
    origin: Origin,
    actor: &Actor,
) -> Result<CaseId, CaseError> {
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
) -> Result<CaseId, CaseError> {
    insert(db, fields, None, None, actor, Status::Published).await
}

async fn insert<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fields: &CaseFields,
    organisation_id: Option<OrgId>,
    origin: Option<Origin>,
    actor: &Actor,
    status: Status,
) -> Result<CaseId, CaseError> {
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

/// Central staff edit a case. Before publication this is the review (anonymising, tidying):
/// the case becomes 審査中. A published case is revised: its revision number goes up, and the
/// note saying what changed is required. Withdrawn cases are not edited.
///
/// A case made from a report is never made looser than the report's TLP, and never looser
/// than it is now below that, without `tlp_reason`: the editor's reason, kept in the audit log
/// (`case.tlp_lowered`) and the case's history.
pub async fn edit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: CaseId,
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
    organisation_id: Option<OrgId>,
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
    id: CaseId,
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
    id: CaseId,
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

/// Replaces the list (an empty one is kept as empty, not the defaults) and re-queues every
/// published case for the index; returns how many were queued.
pub async fn replace_synonyms<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    list: &Synonyms,
    actor: &Actor,
) -> anyhow::Result<u64> {
    let now = Utc::now();
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    search_synonyms::Entity::delete_many()
        .exec(&txn)
        .await
        .context("cannot clear the synonyms")?;
    let mut groups: Vec<Vec<String>> = list.groups().to_vec();
    if groups.is_empty() {
        // A row holding no group: "edited, and empty", so the defaults do not come back.
        groups.push(Vec::new());
    }
    for g in groups {
        search_synonyms::ActiveModel {
            terms: Set(serde_json::Value::from(g).to_string()),
            updated_by: Set(actor.to_string()),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .context("cannot store the synonyms")?;
    }
    let published: Vec<CaseId> = cases::Entity::find()
        .select_only()
        .column(cases::Column::Id)
        .filter(cases::Column::Status.eq(Status::Published.as_str()))
        .into_tuple()
        .all(&txn)
        .await
        .context("cannot read the published cases")?;
    for id in &published {
        search_outbox::ActiveModel {
            case_id: Set(*id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .context("cannot queue a case for the index")?;
    }
    audit::record(
        &txn,
        actor,
        "search.synonyms",
        "search:synonyms",
        serde_json::json!({ "groups": list.groups().len(), "requeued": published.len() }),
    )
    .await?;
    txn.commit().await.context("cannot store the synonyms")?;
    Ok(published.len() as u64)
}
