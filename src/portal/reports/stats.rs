//! `/reports/stats`: reports by 年度 (by when the incident was found, April–March JST) — by
//! category, cause, kind of organisation and prefecture — for central staff (the nation) and a
//! prefecture (its own and its municipalities'), with the previous 年度 beside each figure and a
//! CSV for Excel.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::context::AppContext;
use crate::portal::error::{PortalError, render};
use crate::portal::viewer::{Nav, Section, Viewer};
use crate::reports::stats::{self, Stats};

#[derive(Deserialize)]
pub(super) struct StatsParams {
    fy: Option<i32>,
}

/// Central staff and prefecture administrators, as every statistics page
/// (`Section::Stats`, the route table's `StatsReader`).
fn require_reader(viewer: &Viewer) -> Result<(), PortalError> {
    viewer.require(Section::Stats)
}

fn fiscal_year(params: &StatsParams, viewer: &Viewer) -> Result<i32, PortalError> {
    let now = crate::time::fiscal_year(&chrono::Utc::now());
    match params.fy {
        None => Ok(now),
        Some(y) if (2000..=now + 1).contains(&y) => Ok(y),
        Some(y) => Err(PortalError::BadRequest(
            viewer
                .lang
                .tr1("fy: {} は年度ではありません（2000 年度から来年度まで）", y),
        )),
    }
}

pub struct Line {
    pub label: String,
    pub count: u64,
    pub previous: u64,
}

fn lines(now: &[stats::Row], before: &[stats::Row], viewer: &Viewer) -> Vec<Line> {
    let mut out: Vec<Line> = now
        .iter()
        .map(|r| Line {
            label: viewer.lang.tr(&r.label).to_owned(),
            count: r.count,
            previous: before.iter().find(|b| b.id == r.id).map_or(0, |b| b.count),
        })
        .collect();
    for b in before.iter().filter(|b| !now.iter().any(|r| r.id == b.id)) {
        out.push(Line {
            label: viewer.lang.tr(&b.label).to_owned(),
            count: 0,
            previous: b.count,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "portal/report_stats.html")]
struct StatsPage {
    nav: Nav,
    fy: i32,
    heading: String,
    previous_heading: String,
    now: Stats,
    before: Stats,
    /// 分類, 原因, 団体区分, 都道府県: each with both years.
    tables: Vec<(&'static str, Vec<Line>)>,
    years: Vec<(i32, String)>,
}

#[get("/reports/stats")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, PortalError> {
    require_reader(&viewer)?;
    let fy = fiscal_year(&params, &viewer)?;
    let r = viewer.caller();
    let now = chrono::Utc::now();
    let policy = &ctx.settings.reports;
    let this = stats::build(&ctx.db, &r, fy, policy, now).await?;
    let before = stats::build(&ctx.db, &r, fy - 1, policy, now).await?;
    let label = |y| crate::time::fiscal_year_label(y, viewer.dates);
    let latest = crate::time::fiscal_year(&now);
    render(&StatsPage {
        fy,
        heading: label(fy),
        previous_heading: label(fy - 1),
        tables: vec![
            (
                "分類",
                lines(&this.by_category, &before.by_category, &viewer),
            ),
            ("原因", lines(&this.by_cause, &before.by_cause, &viewer)),
            (
                "団体区分",
                lines(&this.by_org_kind, &before.by_org_kind, &viewer),
            ),
            (
                "都道府県",
                lines(&this.by_prefecture, &before.by_prefecture, &viewer),
            ),
        ],
        years: (latest - 4..=latest).rev().map(|y| (y, label(y))).collect(),
        now: this,
        before,
        nav: viewer.nav(),
    })
}

#[get("/reports/stats.csv")]
pub(super) async fn csv(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, PortalError> {
    require_reader(&viewer)?;
    let fy = fiscal_year(&params, &viewer)?;
    let s = stats::build(
        &ctx.db,
        &viewer.caller(),
        fy,
        &ctx.settings.reports,
        chrono::Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"reports-{fy}.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(stats::csv(&s)))
}
