//! The 年度 in the portal: `/stats?fy=2026` (the nation for central staff, its own for a
//! prefecture, with the previous 年度 beside each figure, headings in 西暦 or 和暦), every table
//! as CSV, the printable 年度報告 with its editable 次年度の計画, and one organisation's report
//! card (the organisation, its prefecture, central staff; mailed on request).

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::error::{PortalError, render};
use super::viewer::{Nav, Section, Viewer};
use crate::context::AppContext;
use crate::registry::{OrgCode, OrgKind, Organisation};
use crate::yearly::{self, Figures, Scope, Table};

#[derive(Deserialize)]
pub struct FyQuery {
    fy: Option<i32>,
    table: Option<String>,
    org: Option<String>,
}

fn scope_of(viewer: &Viewer) -> Result<Scope, PortalError> {
    viewer.require(Section::Stats)?;
    if viewer.session.user.role.is_central() {
        return Ok(Scope::Nation);
    }
    viewer.org.prefecture.map(Scope::Prefecture).ok_or_else(|| {
        PortalError::Forbidden(viewer.lang.tr("都道府県が登録されていません。").into())
    })
}

pub fn fiscal_year(fy: Option<i32>, viewer: &Viewer) -> Result<i32, PortalError> {
    let now = yearly::fiscal_year_now();
    match fy {
        None => Ok(now),
        Some(y) if (2000..=now).contains(&y) => Ok(y),
        Some(y) => Err(PortalError::BadRequest(
            viewer
                .lang
                .tr1("fy: {} は年度ではありません（2000 年度から今年度まで）", y),
        )),
    }
}

pub struct TableView {
    pub id: &'static str,
    pub title: &'static str,
    pub rows: Vec<(String, String, String)>,
}

fn views(tables: Vec<Table>, viewer: &Viewer) -> Vec<TableView> {
    tables
        .into_iter()
        .map(|t| TableView {
            id: t.id,
            title: viewer.lang.tr(t.title),
            rows: t
                .rows
                .into_iter()
                .map(|(l, a, b)| (viewer.lang.tr(&l).to_owned(), a, b))
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/yearly.html")]
struct YearPage {
    nav: Nav,
    fy: i32,
    heading: String,
    previous_heading: String,
    scope: String,
    tables: Vec<TableView>,
    years: Vec<(i32, String)>,
}

async fn figures(
    ctx: &AppContext,
    scope: Scope,
    fy: i32,
) -> Result<(Figures, Figures), PortalError> {
    Ok((
        yearly::build(&ctx.db, scope, fy, &ctx.settings.reports).await?,
        yearly::build(&ctx.db, scope, fy - 1, &ctx.settings.reports).await?,
    ))
}

fn scope_name(scope: Scope, viewer: &Viewer) -> String {
    match scope {
        Scope::Nation => viewer.lang.tr("全国").into(),
        Scope::Prefecture(p) => p.name().into(),
    }
}

/// `/stats?fy=` is the 年度 page; the rest of `/stats` (`?days=`) stays the period view.
pub async fn year_page(
    ctx: &AppContext,
    viewer: &Viewer,
    fy: Option<i32>,
) -> Result<HttpResponse, PortalError> {
    let scope = scope_of(viewer)?;
    let fy = fiscal_year(fy, viewer)?;
    let (now, before) = figures(ctx, scope, fy).await?;
    let label = |y| crate::time::fiscal_year_label(y, viewer.year_dates());
    let latest = yearly::fiscal_year_now();
    render(&YearPage {
        nav: viewer.nav(),
        fy,
        heading: label(fy),
        previous_heading: label(fy - 1),
        scope: scope_name(scope, viewer),
        tables: views(yearly::tables(&now, &before), viewer),
        years: (latest - 4..=latest).rev().map(|y| (y, label(y))).collect(),
    })
}

#[get("/stats/table.csv")]
async fn table_csv(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    q: web::Query<FyQuery>,
) -> Result<HttpResponse, PortalError> {
    let scope = scope_of(&viewer)?;
    let fy = fiscal_year(q.fy, &viewer)?;
    let (now, before) = figures(&ctx, scope, fy).await?;
    let wanted = q.table.as_deref().unwrap_or("summary");
    let table = yearly::tables(&now, &before)
        .into_iter()
        .find(|t| t.id == wanted)
        .ok_or_else(|| {
            PortalError::BadRequest(
                viewer
                    .lang
                    .tr1("table: `{}` は表の名前ではありません", wanted),
            )
        })?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{fy}-{wanted}.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(yearly::csv(&table, fy, fy - 1)))
}

#[derive(Template)]
#[template(path = "portal/yearly_report.html")]
struct ReportPage {
    nav: Nav,
    fy: i32,
    heading: String,
    previous_heading: String,
    scope: String,
    period: String,
    organisations: String,
    tables: Vec<TableView>,
    plan: String,
    plan_by: String,
    can_edit: bool,
    /// The written parts, in the outline's order: (key, heading, text).
    parts: Vec<(&'static str, &'static str, String)>,
    /// 重点事項の実績, from the figures: (label, this year).
    results: Vec<(String, String)>,
    /// The incidents one by one: (found, organisation, title, categories, 個人情報, 再発防止状況).
    incidents: Vec<(String, String, String, String, &'static str, &'static str)>,
    /// 再発防止策: approved, checked, overdue.
    prevention: (u64, u64, u64),
}

#[get("/stats/report")]
async fn report(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    q: web::Query<FyQuery>,
) -> Result<HttpResponse, PortalError> {
    let scope = scope_of(&viewer)?;
    let fy = fiscal_year(q.fy, &viewer)?;
    let (now, before) = figures(&ctx, scope, fy).await?;
    let (from, to) = yearly::period(fy);
    let last_day = to - chrono::Duration::seconds(1);
    let organisations = match scope {
        Scope::Nation => viewer.lang.tr("都道府県 47、市区町村 1,741").to_owned(),
        Scope::Prefecture(p) => {
            let n = crate::registry::store::list(
                &ctx.db,
                crate::registry::store::OrgFilter {
                    prefecture: Some(p),
                    kind: Some(OrgKind::Municipality),
                },
            )
            .await?
            .len();
            viewer.lang.tr2("{} と管内の市区町村 {}", p.name(), n)
        }
    };
    let written = crate::yearly::store::texts(&ctx.db, fy, viewer.org.id).await?;
    let label = |y| crate::time::fiscal_year_label(y, viewer.year_dates());
    let day = |t: &chrono::DateTime<chrono::Utc>| match viewer.year_dates() {
        crate::time::DateStyle::Wareki => crate::time::format_wareki(t),
        crate::time::DateStyle::Western => crate::time::format_jst(t)
            .get(..10)
            .unwrap_or_default()
            .to_owned(),
    };
    render(&ReportPage {
        fy,
        heading: label(fy),
        previous_heading: label(fy - 1),
        scope: scope_name(scope, &viewer),
        period: format!("{} – {}", day(&from), day(&last_day)),
        organisations,
        tables: views(yearly::tables(&now, &before), &viewer),
        parts: crate::yearly::PARTS
            .iter()
            .map(|(k, h)| {
                let text = written
                    .as_ref()
                    .and_then(|w| w.0.parts.get(*k).cloned())
                    .unwrap_or_default();
                (*k, viewer.lang.tr(h), text)
            })
            .collect(),
        results: vec![
            (
                viewer.lang.tr("把握率").to_owned(),
                now.tally.grasp().percent(),
            ),
            (
                viewer.lang.tr("実施率").to_owned(),
                now.tally.completion().percent(),
            ),
            (
                viewer.lang.tr("完了率（対象比）").to_owned(),
                now.tally.completion_of_addressed().percent(),
            ),
            (
                viewer.lang.tr("訓練の到達率").to_owned(),
                now.drill_reach().percent(),
            ),
            (
                viewer.lang.tr("訓練の応答率").to_owned(),
                now.drill_answer().percent(),
            ),
        ],
        incidents: now
            .incidents
            .iter()
            .map(|i| {
                (
                    crate::time::format_date(
                        i.found_at
                            .with_timezone(&crate::time::jst_offset())
                            .date_naive(),
                        viewer.year_dates(),
                    ),
                    i.organisation.clone(),
                    i.title.clone(),
                    i.categories
                        .iter()
                        .map(|c| viewer.lang.tr(c))
                        .collect::<Vec<_>>()
                        .join("・"),
                    viewer.lang.tr(if i.personal_data { "あり" } else { "—" }),
                    viewer.lang.tr(i.prevention),
                )
            })
            .collect(),
        prevention: now.prevention,
        plan: written
            .as_ref()
            .map(|p| p.0.plan.clone())
            .unwrap_or_default(),
        plan_by: written
            .map(|p| format!("{}（{}）", super::parts::who(&p.1), viewer.when(&p.2)))
            .unwrap_or_default(),
        can_edit: viewer.session.user.role.is_central()
            || viewer.session.user.role == crate::auth::Role::PrefectureAdmin,
        nav: viewer.nav(),
    })
}

#[derive(Deserialize)]
struct PlanForm {
    csrf: String,
    fy: i32,
    plan: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    goals: String,
}

#[post("/stats/report/plan")]
async fn save_plan(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    scope_of(&viewer)?;
    let fy = fiscal_year(Some(form.fy), &viewer)?;
    let texts = crate::yearly::store::ReportTexts {
        plan: form.plan.clone(),
        parts: [
            ("message", &form.message),
            ("responsible", &form.responsible),
            ("summary", &form.summary),
            ("goals", &form.goals),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect(),
    };
    crate::yearly::save_report_texts(&ctx.db, fy, viewer.org.id, &texts, &viewer.actor())
        .await
        .map_err(|e| match crate::error::Classify::classify(e) {
            crate::error::Failure::Invalid(m) => PortalError::BadRequest(viewer.lang.message(&m)),
            f => f.into(),
        })?;
    Ok(super::parts::see_other(&format!("/stats/report?fy={fy}")))
}

#[derive(Template)]
#[template(path = "portal/yearly_card.html")]
struct CardPage {
    nav: Nav,
    fy: i32,
    heading: String,
    code: String,
    name: String,
    alerts: u64,
    grasp: String,
    completion: String,
    grade: &'static str,
    median: String,
    drills: Vec<(String, String, String)>,
    reports: u64,
    surveys: Vec<(String, String)>,
    withheld: u64,
}

/// The organisation named (default: the viewer's own), if the viewer may see its card: its own
/// staff, its prefecture's staff, central staff; anyone else "not found".
async fn card_org(
    ctx: &AppContext,
    viewer: &Viewer,
    code: Option<&str>,
) -> Result<Organisation, PortalError> {
    let org = match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => viewer.org.clone(),
        Some(c) => {
            let code = OrgCode::parse(c).map_err(|_| PortalError::NotFound)?;
            crate::registry::store::find_by_code(&ctx.db, code)
                .await?
                .ok_or(PortalError::NotFound)?
        }
    };
    let caller = viewer.caller();
    let ok = org.id == caller.org_id || caller.central || caller.oversees_org(&org);
    if ok {
        Ok(org)
    } else {
        Err(PortalError::NotFound)
    }
}

/// The organisation's own staff and central staff read its whole card; its prefecture's staff
/// what a prefecture may be told.
fn card_reader(viewer: &Viewer, org: &Organisation) -> crate::yearly::card::CardReader {
    if org.id == viewer.org.id || viewer.session.user.role.is_central() {
        crate::yearly::card::CardReader::Own
    } else {
        crate::yearly::card::CardReader::Prefecture
    }
}

#[get("/stats/card")]
async fn card(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    q: web::Query<FyQuery>,
) -> Result<HttpResponse, PortalError> {
    let org = card_org(&ctx, &viewer, q.org.as_deref()).await?;
    let fy = fiscal_year(q.fy, &viewer)?;
    let c = crate::yearly::card::build(&ctx.db, &org, fy, card_reader(&viewer, &org)).await?;
    let hours = |h: Option<f64>| {
        h.map_or_else(
            || "—".to_owned(),
            |h| viewer.lang.tr1("{} 時間", format!("{h:.1}")),
        )
    };
    render(&CardPage {
        fy,
        heading: crate::time::fiscal_year_label(fy, viewer.year_dates()),
        code: org.code.to_string(),
        name: org.full_name(),
        alerts: c.alerts,
        grasp: c.tally.grasp().percent(),
        completion: c.tally.completion().percent(),
        grade: c.grade().map_or("—", |g| g.as_str()),
        median: hours(c.median_answer_hours),
        drills: c
            .drills
            .iter()
            .map(|d| {
                (
                    d.public_id.clone(),
                    d.title.clone(),
                    d.answered_hours
                        .map_or_else(|| viewer.lang.tr("応答なし").to_owned(), |h| hours(Some(h))),
                )
            })
            .collect(),
        reports: c.reports,
        withheld: c.withheld,
        surveys: c
            .surveys
            .iter()
            .map(|(t, s)| (t.clone(), crate::surveys::score::percent(*s)))
            .collect(),
        nav: viewer.nav(),
    })
}

#[derive(Deserialize)]
struct CardMail {
    csrf: String,
    fy: i32,
    org: String,
}

/// Mails the card to the organisation's own contacts (never elsewhere).
#[post("/stats/card/mail")]
async fn mail_card(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<CardMail>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let org = card_org(&ctx, &viewer, Some(&form.org)).await?;
    let fy = fiscal_year(Some(form.fy), &viewer)?;
    // The mail goes to the organisation's own contacts: its own card.
    let c =
        crate::yearly::card::build(&ctx.db, &org, fy, crate::yearly::card::CardReader::Own).await?;
    let now = chrono::Utc::now();
    let txn = crate::db::begin_write(&ctx.db)
        .await
        .map_err(anyhow::Error::from)?;
    // Once a day per organisation, whichever 年度: the button cannot mail an organisation's
    // contacts over and over.
    let key = crate::notices::once::daily(&format!("yearly.card_mail:{}", org.code), now);
    if !crate::notices::once::claim(&txn, &key, now).await? {
        return Err(PortalError::TooManyRequests {
            retry_after: seconds_to_jst_midnight(now),
            message: viewer
                .lang
                .tr("この団体の報告カードは、本日すでにメールで送っています。送れるのは 1 日 1 回です。")
                .to_owned(),
        });
    }
    let subject = format!("【{}年度 報告カード】{}", fy, org.full_name());
    let n = crate::surveys::publish::queue_to(
        &txn,
        &[org.id],
        &subject,
        &crate::yearly::card::text(&c),
        now,
    )
    .await?;
    crate::audit::record(
        &txn,
        &viewer.actor(),
        "yearly.card_mail",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "fy": fy, "mailed": n }),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(super::parts::see_other(&format!(
        "/stats/card?fy={fy}&org={}",
        org.code
    )))
}

/// Seconds until the next day begins in JST (when a once-a-day button works again).
fn seconds_to_jst_midnight(now: chrono::DateTime<chrono::Utc>) -> u64 {
    let jst = now.with_timezone(&crate::time::jst_offset());
    let next = jst
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc() - chrono::Duration::hours(9));
    next.map_or(3600, |t| {
        u64::try_from((t - now).num_seconds().max(1)).unwrap_or(3600)
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(table_csv)
        .service(report)
        .service(save_plan)
        .service(card)
        .service(mail_card);
}
