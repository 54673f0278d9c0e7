//! 障害・事故等報告 over the API (the `report` scope): file a 第1報, add the next 報, list the
//! reports the caller may see and read one. The same rule as the portal holds
//! ([`crate::reports::access`]): a report the caller may not read is 404.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::principal::Principal;
use super::{JsonBody, page_limit, query};
use crate::auth::tokens::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, Code, ErrorBody};
use crate::reports::mail::Mailing;
use crate::reports::store::{self, ListFilter, ReportError};
use crate::reports::{ReportFields, ReportId, ReportInput, timers};

fn portal_url(ctx: &AppContext, id: ReportId) -> String {
    format!(
        "{}/reports/{id}",
        ctx.settings.app.base_url.as_str().trim_end_matches('/')
    )
}

/// A report as lists show it.
#[derive(Serialize, ToSchema)]
pub struct ReportSummary {
    #[schema(value_type = i64)]
    pub id: ReportId,
    /// The reporting organisation's code.
    pub organisation: String,
    pub organisation_name: String,
    pub title: String,
    /// `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT` or `RED`.
    pub tlp: &'static str,
    /// `open`, `final` (the 最終報 is in; the desk has not confirmed the 対処結果) or
    /// `closed`.
    pub status: &'static str,
    pub found_at: DateTime<Utc>,
    /// How many 報 it has.
    pub updates: i32,
    pub last_update_at: DateTime<Utc>,
    /// When the next 報 is due (open reports).
    pub next_due: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// The 第1報 came later than the policy asks.
    pub first_late: bool,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub portal_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportSummary>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportListParams {
    /// `open` or `closed`.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
}

async fn summary(
    ctx: &AppContext,
    r: &store::Report,
    fields: &ReportFields,
) -> Result<ReportSummary, ApiError> {
    let org = crate::registry::store::find_by_id(&ctx.db, r.org_id)
        .await?
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("report {}: no organisation", r.id)))?;
    let t = timers::of(r, &ctx.settings.reports, Utc::now());
    Ok(ReportSummary {
        id: r.id,
        organisation: org.code.to_string(),
        organisation_name: org.full_name(),
        title: fields.title.clone(),
        tlp: r.tlp.as_str(),
        status: r.status.as_str(),
        found_at: r.found_at,
        updates: r.updates,
        last_update_at: r.last_update_at,
        next_due: t.next_due,
        overdue: t.overdue,
        first_late: t.first_late,
        confirmed_at: r.confirmed_at,
        forwarded_at: r.forwarded_at,
        portal_url: portal_url(ctx, r.id),
    })
}

/// The reports the caller may see, newest first: its own; a prefecture's also its
/// municipalities' (not AMBER+STRICT or RED); central staff all.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "reports",
    params(
        ("status" = Option<String>, Query, description = "`open` or `closed`"),
        ("limit" = Option<u64>, Query, description = "1–200, default 50"),
    ),
    responses(
        (status = 200, body = ReportList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the report scope"),
    )
)]
#[get("/reports")]
pub async fn list_reports(
    ctx: web::Data<AppContext>,
    who: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Report)?;
    let p: ReportListParams = query(&req)?;
    let limit = page_limit(p.limit)?;
    let closed_only = match p.status.as_deref() {
        None | Some("") => None,
        Some("open") => Some(false),
        Some("closed") => Some(true),
        Some(other) => {
            return Err(ApiError::bad_request(
                Code::InvalidParameter,
                format!("status: `{other}` is not open or closed"),
            ));
        }
    };
    let reports = store::list(
        &ctx.db,
        &who.caller(),
        ListFilter {
            open_only: closed_only == Some(false),
            ..Default::default()
        },
    )
    .await?;
    let reports: Vec<_> = reports
        .into_iter()
        .filter(|r| closed_only != Some(true) || r.status.ended())
        .take(limit as usize)
        .collect();
    let latest = store::latest(&ctx.db, &reports).await?;
    let mut items = Vec::new();
    for r in &reports {
        if let Some(u) = latest.get(&r.id) {
            items.push(summary(&ctx, r, &u.fields).await?);
        }
    }
    Ok(HttpResponse::Ok().json(ReportList { items }))
}

/// One 報 as written.
#[derive(Serialize, ToSchema)]
pub struct UpdateOut {
    /// 1 for the 第1報.
    pub seq: i32,
    pub created_at: DateTime<Utc>,
    pub fields: ReportFields,
}

#[derive(Serialize, ToSchema)]
pub struct NoteOut {
    pub created_at: DateTime<Utc>,
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub summary: ReportSummary,
    /// Every 報, first to last.
    pub reports: Vec<UpdateOut>,
    /// The prefecture's notes.
    pub notes: Vec<NoteOut>,
    /// The desk's steps (受理, 依頼, 指示, 承認, 連携, 確認), oldest first.
    pub steps: Vec<crate::reports::steps::Step>,
    /// What the report waits for, from whom.
    pub waiting: Vec<crate::reports::steps::Waiting>,
    /// With personal data leaked: the 個人情報保護委員会's 速報 and 確報 deadlines.
    pub ppc_deadlines: Vec<crate::reports::steps::PpcDeadline>,
}

/// One report with every 報 and the prefecture's notes.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    params(("id" = i64, Path, description = "The report's number")),
    responses(
        (status = 200, body = ReportDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the report scope"),
        (status = 404, body = ErrorBody, description = "No such report, or not one the caller may see"),
    )
)]
#[get("/reports/{id}")]
pub async fn show_report(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<ReportId>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Report)?;
    let not_found = || ApiError::NotFound("no such report".into());
    let (r, _) = store::readable(&ctx.db, path.into_inner(), &who.caller()).await?;
    let updates = store::updates(&ctx.db, r.id).await?;
    let last = updates.last().ok_or_else(not_found)?;
    let summary = summary(&ctx, &r, &last.fields).await?;
    let notes = store::notes(&ctx.db, r.id).await?;
    let steps = store::steps(&ctx.db, r.id).await?;
    let now = Utc::now();
    let waiting = crate::reports::steps::waiting(&r, &updates, &steps, summary.next_due, now);
    let ppc_deadlines = crate::reports::steps::ppc_deadlines(last, &steps, now);
    Ok(HttpResponse::Ok().json(ReportDetail {
        summary,
        steps,
        waiting,
        ppc_deadlines,
        reports: updates
            .into_iter()
            .map(|u| UpdateOut {
                seq: u.seq,
                created_at: u.created_at,
                fields: u.fields,
            })
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| NoteOut {
                created_at: n.created_at,
                body: n.body,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Filed {
    #[schema(value_type = i64)]
    pub id: ReportId,
    /// Which 報 this was (1 for the 第1報).
    pub seq: i32,
    /// `open`, or `final` after a 最終報 (`closed` once the desk confirms the 対処結果).
    pub status: &'static str,
    pub portal_url: String,
}

/// File a 第1報 for the caller's organisation. The prefecture (unless AMBER+STRICT or RED)
/// and the central desk are mailed.
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    tag = "reports",
    request_body = ReportInput,
    responses(
        (status = 201, body = Filed),
        (status = 400, body = ErrorBody, description = "A field is missing or wrong (the message names it)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the report scope"),
        (status = 413, body = ErrorBody, description = "Over 64 KiB"),
        (status = 415, body = ErrorBody, description = "Not JSON"),
    )
)]
#[post("/reports")]
pub async fn file_report(
    ctx: web::Data<AppContext>,
    who: Principal,
    body: JsonBody<ReportInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Report)?;
    let now = Utc::now();
    let fields = body
        .0
        .validate(now)
        .map_err(|e| ApiError::from(ReportError::from(e)))?;
    let closed = fields.final_report;
    let id = crate::reports::act::file(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        who.org(),
        fields,
        &who.actor(),
        now,
    )
    .await?;
    Ok(HttpResponse::Created().json(Filed {
        id,
        seq: 1,
        status: if closed { "final" } else { "open" },
        portal_url: portal_url(&ctx, id),
    }))
}

/// Add the next 報 (the whole report as it now stands; `final_report: true` closes it).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/updates",
    tag = "reports",
    request_body = ReportInput,
    params(("id" = i64, Path, description = "The report's number")),
    responses(
        (status = 201, body = Filed),
        (status = 400, body = ErrorBody, description = "A field is missing or wrong (the message names it)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not the reporting organisation, or no report scope"),
        (status = 404, body = ErrorBody, description = "No such report, or not one the caller may see"),
        (status = 409, body = ErrorBody, description = "The report is closed (its 最終報 was sent)"),
    )
)]
#[post("/reports/{id}/updates")]
pub async fn add_report_update(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<ReportId>,
    body: JsonBody<ReportInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Report)?;
    let id = path.into_inner();
    // Who may before what: a caller who may not see the report learns nothing from its body's
    // errors.
    let me = who.caller();
    store::writable(&ctx.db, id, &me).await?;
    let now = Utc::now();
    let fields = body
        .0
        .validate(now)
        .map_err(|e| ApiError::from(ReportError::from(e)))?;
    let closed = fields.final_report;
    let seq = crate::reports::act::add_update(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        id,
        &me,
        fields,
        &who.actor(),
        now,
    )
    .await?;
    Ok(HttpResponse::Created().json(Filed {
        id,
        seq,
        status: if closed { "final" } else { "open" },
        portal_url: portal_url(&ctx, id),
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_reports)
        .service(file_report)
        .service(show_report)
        .service(add_report_update)
        .service(take_report_step);
}

#[derive(Serialize, ToSchema)]
pub struct StepTaken {
    /// The step's kind as stored.
    pub kind: crate::reports::steps::StepKind,
    pub portal_url: String,
}

/// The desk takes a step on a report: 受理, 追加報告の依頼 (with `due`), 対処指示, the approval
/// or return of a 対処方針 or a 再発防止策 (approval with `follow_up_on`), 再発防止状況の確認,
/// 対処結果の確認 (closes a report whose 最終報 is in), or a 連携 (central staff only). Mailed
/// to the reporting organisation and its prefecture without the step's words.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/steps",
    tag = "reports",
    request_body = crate::reports::steps::StepInput,
    params(("id" = i64, Path, description = "The report's number")),
    responses(
        (status = 201, body = StepTaken),
        (status = 400, body = ErrorBody, description = "A field is missing or wrong (the message names it)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not central staff or the relaying prefecture's administrator"),
        (status = 404, body = ErrorBody, description = "No such report, or not one the caller may see"),
        (status = 409, body = ErrorBody, description = "The step does not fit the report's state"),
    )
)]
#[post("/reports/{id}/steps")]
pub async fn take_report_step(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<ReportId>,
    body: JsonBody<crate::reports::steps::StepInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Report)?;
    let id = path.into_inner();
    let kind = crate::reports::act_steps::take_step(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        id,
        &who.caller(),
        &ctx.settings.reports.desk_name,
        &body.0,
        &who.actor(),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(StepTaken {
        kind,
        portal_url: portal_url(&ctx, id),
    }))
}
