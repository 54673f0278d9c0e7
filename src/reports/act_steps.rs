//! The desk's steps on a report, each in one transaction under the report's row lock: the
//! access rule, the state the step needs, the step row, its mail to the reporter and its
//! prefecture, and its audit entry. The automatic 受理 of each 報 is written in the 報's own
//! transaction ([`receive`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set, TransactionSession, TransactionTrait,
};

use super::access::{Caller, may_answer, may_liaise, may_read};
use super::mail::{self, Mailing};
use super::steps::{NewStep, StepInput, StepKind, follow_up_due};
use super::store::{self, Report, ReportError, lock, reporter_of, to_report};
use super::{ReportId, Status};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::registry::{OrgKind, Organisation};

/// Why a step does not fit the report as it stands, or `None` when it does.
fn unfit(
    kind: StepKind,
    r: &Report,
    latest: &super::ReportFields,
    steps: &[super::steps::Step],
) -> Option<&'static str> {
    use StepKind::*;
    match kind {
        _ if r.status == Status::Closed && !matches!(kind, Liaison | PreventionChecked) => {
            Some("この報告は対処結果の確認で完了しています")
        }
        Request if r.status != Status::Open => {
            Some("最終報の後は追加報告を依頼できません。確認するか、新しい報告を待ってください")
        }
        PlanApproved | PlanReturned if latest.response_plan.is_empty() => {
            Some("最新の報に対処方針が書かれていません")
        }
        PreventionApproved | PreventionReturned if latest.prevention.is_empty() => {
            Some("最新の報に再発防止策が書かれていません")
        }
        PreventionChecked if follow_up_due(steps).is_none() => {
            Some("確認を待っている再発防止策（承認済み・確認日つき）がありません")
        }
        ResultConfirmed if r.status != Status::Final => {
            Some("対処結果の確認は最終報を受けてから行います")
        }
        _ => None,
    }
}

/// The desk takes a step on a report: checked, written, mailed and audited together. Returns
/// the step's kind.
#[allow(clippy::too_many_arguments)]
pub async fn take_step<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailing: &Mailing<'_>,
    id: ReportId,
    reader: &Caller,
    desk_name: &str,
    input: &StepInput,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<StepKind, ReportError> {
    let txn = begin_write(db).await?;
    let m = lock(&txn, id).await?;
    let r = to_report(m.clone())?;
    let reporter = reporter_of(&txn, &r).await?;
    // Who may before what: a reader who may not answer learns nothing from the step's errors.
    if !may_read(reader, &reporter, r.tlp) {
        return Err(ReportError::NotFound);
    }
    if !may_answer(reader, &reporter, r.tlp) {
        return Err(ReportError::Forbidden(
            "報告への対応は、中央の職員と、報告団体を所管する都道府県の管理者が行います".into(),
        ));
    }
    let step = input.validate(r.updates, now)?;
    if step.kind == StepKind::Liaison && !may_liaise(reader) {
        return Err(ReportError::Forbidden(
            "他機関への連携を記録するのは中央の職員です".into(),
        ));
    }
    let updates = store::updates(&txn, id).await?;
    let latest = updates
        .last()
        .ok_or_else(|| anyhow::anyhow!("report {id} has no 報"))?;
    let steps = store::steps(&txn, id).await?;
    if let Some(why) = unfit(step.kind, &r, &latest.fields, &steps) {
        return Err(ReportError::Conflict(why.into()));
    }
    store::insert_step(
        &txn,
        id,
        reader.org_id,
        &actor.to_string(),
        &step,
        Some(r.updates),
        now,
    )
    .await?;
    if step.kind == StepKind::ResultConfirmed {
        let mut a = m.into_active_model();
        a.status = Set(Status::Closed.as_str().into());
        a.update(&txn).await?;
    }
    let signer = if reader.central {
        desk_name.to_owned()
    } else {
        crate::registry::store::find_by_id(&txn, reader.org_id)
            .await?
            .map(|o| o.full_name())
            .unwrap_or_else(|| desk_name.to_owned())
    };
    let mailed = mail::queue_step(&txn, mailing, &r, &reporter, &step, &signer, now).await?;
    audit::record(
        &txn,
        actor,
        &format!("report.{}", step.kind.as_str()),
        &format!("report:{id}"),
        serde_json::json!({
            "update": r.updates,
            "due": step.due_at,
            "partner": step.partner.map(|p| p.as_str()),
            "stage": step.stage.map(|s| s.as_str()),
            "reference": step.reference,
            "mailed": mailed,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(step.kind)
}

/// The automatic 受理 of a 報 (in the 報's transaction), in the desk's name, by the first
/// central body; mailed to the reporter. Nothing when the registry has no central body.
pub(super) async fn receive(
    txn: &impl ConnectionTrait,
    mailing: &Mailing<'_>,
    r: &Report,
    reporter: &Organisation,
    seq: i32,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let central = crate::registry::store::list(
        txn,
        crate::registry::store::OrgFilter {
            kind: Some(OrgKind::Central),
            ..Default::default()
        },
    )
    .await?;
    let Some(desk) = central.iter().min_by_key(|o| o.id) else {
        return Ok(0);
    };
    let step = NewStep {
        kind: StepKind::Received,
        body: String::new(),
        due_at: None,
        partner: None,
        partner_name: None,
        stage: None,
        reference: None,
        sent_at: None,
        update_seq: Some(seq),
    };
    let name = &mailing.settings.desk_name;
    store::insert_step(
        txn,
        r.id,
        desk.id,
        &format!("{name}（自動）"),
        &step,
        None,
        now,
    )
    .await?;
    mail::queue_received(txn, mailing, r, reporter, seq, name, now).await
}
