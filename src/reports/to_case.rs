//! From a closed report to a case for the library (事故事例 or ひやり事案): central staff open a
//! case carrying the report's fields over, the organisation described by its kind and
//! prefecture unless it agreed to be named. The case starts 受付 and goes through the
//! library's own review: an approver publishes it, and the anonymisation check refuses a case
//! whose text still names an organisation that did not agree. The report keeps the case's id
//! (the link back, shown to central staff only).

use crate::domain::ids::CaseId;
use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::access::{Caller, may_make_case};
use super::store::{self, ReportError};
use super::{ReportFields, ReportId};
use crate::audit::{self, Actor};
use crate::cases::{CaseInput, Kind};
use crate::registry::Organisation;

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The kind of organisation a case may say: the registry's 区分 (its ids are the case
/// vocabulary's).
fn org_kind(o: &Organisation) -> &'static str {
    o.class().as_str()
}

/// The case's fields from the report's last 報.
pub fn case_input(
    reporter: &Organisation,
    f: &ReportFields,
    kind: Kind,
    filed: chrono::DateTime<Utc>,
    tlp: crate::domain::Tlp,
) -> CaseInput {
    let jst = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&crate::time::jst_offset())
            .date_naive()
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut body = f.summary.clone();
    for (heading, text) in [("状況", &f.situation), ("対処結果", &f.response_result)] {
        if !text.is_empty() {
            body.push_str(&format!("\n\n【{heading}】\n{text}"));
        }
    }
    let measures = [f.response_plan.as_str(), f.response_result.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    CaseInput {
        kind: kind.as_str().into(),
        title: cut(&f.title, crate::cases::TITLE_MAX),
        summary: cut(&f.summary, crate::cases::SUMMARY_MAX),
        body: cut(&body, crate::cases::BODY_MAX),
        measures: cut(&measures, crate::cases::SECTION_MAX),
        lessons: cut(&f.prevention, crate::cases::SECTION_MAX),
        categories: if f.categories.is_empty() {
            vec!["other".into()]
        } else {
            f.categories.clone()
        },
        causes: f.causes.clone(),
        org_kind: org_kind(reporter).into(),
        size_band: "undisclosed".into(),
        prefecture: reporter.prefecture.map(|p| p.number()),
        named: f.agree_named,
        occurred_on: None,
        found_on: Some(jst(f.found_at)),
        reported_on: Some(jst(filed)),
        records_affected: f.records,
        systems_affected: cut(&f.systems, crate::cases::SHORT_MAX),
        alert_ids: Vec::new(),
        advisory_ids: Vec::new(),
        // The report's marking: an editor may share it more widely only with a reason, audited.
        tlp: tlp.as_str().into(),
        source: String::new(),
        publicised: f.publicised,
        publicised_on: f.publicised_on.map(|d| d.format("%Y-%m-%d").to_string()),
    }
}

/// Opens a case (受付) from a closed report and links it; returns the case's id.
pub async fn make_case<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: ReportId,
    reader: &Caller,
    kind: Kind,
    actor: &Actor,
) -> Result<CaseId, ReportError> {
    if !may_make_case(reader) {
        return Err(ReportError::Forbidden(
            "報告から事例を作れるのは中央の起案担当者です".into(),
        ));
    }
    if kind == Kind::Practice {
        return Err(ReportError::Conflict(
            "報告から作れるのは事故事例かひやり事案です".into(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let r = store::lock_for_case(&txn, id).await?;
    if !r.status.ended() {
        return Err(ReportError::Conflict(
            "事例にできるのは最終報で完了した報告です".into(),
        ));
    }
    if let Some(case) = r.case_id {
        return Err(ReportError::Conflict(format!(
            "この報告からはすでに事例 {case} が作られています"
        )));
    }
    let reporter = crate::registry::store::find_by_id(&txn, r.org_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    let last = store::updates(&txn, id)
        .await?
        .pop()
        .ok_or(ReportError::NotFound)?;
    let fields = case_input(&reporter, &last.fields, kind, r.created_at, r.tlp)
        .validate(crate::time::today_jst())
        .map_err(|e| ReportError::Conflict(format!("事例の項目が整いません: {e}")))?;
    let origin = crate::cases::store::Origin {
        report_id: id,
        tlp: r.tlp,
    };
    let case = crate::cases::act::submit_from_report(&txn, &fields, reporter.id, origin, actor)
        .await
        .map_err(|e| match e {
            crate::cases::store::CaseError::Other(e) => ReportError::Unexpected(e),
            other => ReportError::Conflict(other.to_string()),
        })?;
    store::set_case(&txn, id, case).await?;
    audit::record(
        &txn,
        actor,
        "report.case",
        &format!("report:{id}"),
        serde_json::json!({ "case": case, "kind": kind.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(case)
}
