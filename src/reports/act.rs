//! The incident reports' actions: file a 第1報, add the next 報, the prefecture's notes, 確認済 and
//! 連携 — each in one transaction, the access rule checked under the report's row lock, its mail
//! queued and its audit entry written with it. The rows are [`super::store`]'s.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set, TransactionSession, TransactionTrait,
};

use super::access::{Caller, may_read, may_relay};
use super::mail::{self, Mailing};
use super::store::{NOTE_MAX, notes};
use super::store::{
    Report, ReportError, check_writable, insert_update, lock, reporter_of, to_report,
};
use super::{InvalidReport, ReportFields, ReportId, Status};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::{incident_report_notes, incident_reports};
use crate::registry::Organisation;

/// Files a report for `reporter` with its 第1報 (which may already be the 最終報), and mails it.
pub async fn file<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailing: &Mailing<'_>,
    reporter: &Organisation,
    fields: ReportFields,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ReportId, ReportError> {
    let txn = begin_write(db).await?;
    let status = if fields.final_report {
        Status::Final
    } else {
        Status::Open
    };
    let row = incident_reports::ActiveModel {
        organisation_id: Set(reporter.id),
        tlp: Set(fields.tlp.as_str().into()),
        status: Set(status.as_str().into()),
        found_at: Set(fields.found_at),
        created_at: Set(now),
        last_update_at: Set(now),
        updates: Set(1),
        reminded_for: Set(0),
        closed_at: Set(fields.final_report.then_some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = row.id;
    let r = to_report(row)?;
    insert_update(&txn, id, 1, &fields, actor, now).await?;
    let mut mailed = mail::queue_update(&txn, mailing, id, reporter, 1, &fields, now).await?;
    mailed += super::act_steps::receive(&txn, mailing, &r, reporter, 1, now).await?;
    audit::record(
        &txn,
        actor,
        "report.file",
        &format!("report:{id}"),
        serde_json::json!({
            "organisation": reporter.code.to_string(),
            "tlp": fields.tlp.as_str(),
            "final": fields.final_report,
            "mailed": mailed,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Adds the next 報 (a 最終報 closes the report) and mails it. Only the reporting
/// organisation's staff; never on a closed report.
pub async fn add_update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailing: &Mailing<'_>,
    id: ReportId,
    reader: &Caller,
    fields: ReportFields,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<i32, ReportError> {
    let txn = begin_write(db).await?;
    let m = lock(&txn, id).await?;
    let before = to_report(m.clone())?;
    let reporter = reporter_of(&txn, &before).await?;
    if !may_read(reader, &reporter, before.tlp) {
        return Err(ReportError::NotFound);
    }
    check_writable(reader, &before, &reporter)?;
    let seq = before.updates + 1;
    insert_update(&txn, id, seq, &fields, actor, now).await?;
    let mut a = m.into_active_model();
    a.tlp = Set(fields.tlp.as_str().into());
    a.found_at = Set(fields.found_at);
    a.last_update_at = Set(now);
    a.updates = Set(seq);
    if fields.final_report {
        a.status = Set(Status::Final.as_str().into());
        a.closed_at = Set(Some(now));
    }
    let after = to_report(a.update(&txn).await?)?;
    let mut mailed = mail::queue_update(&txn, mailing, id, &reporter, seq, &fields, now).await?;
    mailed += super::act_steps::receive(&txn, mailing, &after, &reporter, seq, now).await?;
    audit::record(
        &txn,
        actor,
        "report.update",
        &format!("report:{id}"),
        serde_json::json!({
            "seq": seq,
            "tlp": fields.tlp.as_str(),
            "final": fields.final_report,
            "mailed": mailed,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(seq)
}

/// The relay's checks: the report, its reporter, and the reader is its prefecture admin.
async fn for_relay(
    txn: &impl ConnectionTrait,
    id: ReportId,
    reader: &Caller,
) -> Result<(incident_reports::Model, Report, Organisation), ReportError> {
    let m = lock(txn, id).await?;
    let r = to_report(m.clone())?;
    let reporter = reporter_of(txn, &r).await?;
    if !may_read(reader, &reporter, r.tlp) {
        return Err(ReportError::NotFound);
    }
    if !may_relay(reader, &reporter, r.tlp) {
        return Err(ReportError::Forbidden(
            "メモ・確認・連携は、報告団体を所管する都道府県の管理者が行います".into(),
        ));
    }
    Ok((m, r, reporter))
}

/// The prefecture adds a note (seen by the municipality and the centre).
pub async fn add_note<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: ReportId,
    reader: &Caller,
    body: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ReportError> {
    let txn = begin_write(db).await?;
    // Who may before what: a reader who may not relay learns nothing from the note's errors.
    for_relay(&txn, id, reader).await?;
    let mut e = Vec::new();
    let body = crate::domain::form::text_field(&mut e, "note", body, NOTE_MAX, true);
    if !e.is_empty() {
        return Err(InvalidReport(e).into());
    }
    incident_report_notes::ActiveModel {
        report_id: Set(id),
        organisation_id: Set(reader.org_id),
        body: Set(body),
        author: Set(actor.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "report.note",
        &format!("report:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The prefecture marks the report 確認済 (once; a second time changes nothing).
pub async fn confirm<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: ReportId,
    reader: &Caller,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, ReportError> {
    let txn = begin_write(db).await?;
    let (m, r, _) = for_relay(&txn, id, reader).await?;
    if r.confirmed_at.is_some() {
        return Ok(false);
    }
    let mut a = m.into_active_model();
    a.confirmed_at = Set(Some(now));
    a.confirmed_by = Set(Some(actor.to_string()));
    a.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "report.confirm",
        &format!("report:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The prefecture confirms and forwards the report to the central desk in one action (once).
pub async fn forward<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailing: &Mailing<'_>,
    id: ReportId,
    reader: &Caller,
    prefecture_name: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, ReportError> {
    let txn = begin_write(db).await?;
    let (m, r, reporter) = for_relay(&txn, id, reader).await?;
    if r.forwarded_at.is_some() {
        return Ok(false);
    }
    let notes = notes(&txn, id).await?.len();
    let mut a = m.into_active_model();
    if r.confirmed_at.is_none() {
        a.confirmed_at = Set(Some(now));
        a.confirmed_by = Set(Some(actor.to_string()));
    }
    a.forwarded_at = Set(Some(now));
    a.forwarded_by = Set(Some(actor.to_string()));
    a.update(&txn).await?;
    let mailed =
        mail::queue_forward(&txn, mailing, &r, &reporter, prefecture_name, notes, now).await?;
    audit::record(
        &txn,
        actor,
        "report.forward",
        &format!("report:{id}"),
        serde_json::json!({ "mailed": mailed }),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
