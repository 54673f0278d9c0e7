//! Statistics across alerts: per prefecture, over every real alert of a period that asked for
//! acknowledgement, how many (alert, organisation) pairs are known (把握率) and done (実施率).
//! Drills never count here; the page says how many were left out. Central staff see every
//! prefecture, prefecture staff their own.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::{Duration, Utc};

use super::board::{Line, line};
use super::error::{PortalError, render};
use super::viewer::{Nav, Section, Viewer};
use crate::acks::board::Tally;
use crate::context::AppContext;
use crate::registry::Prefecture;

#[derive(Template)]
#[template(path = "portal/stats.html")]
struct StatsPage {
    nav: Nav,
    /// This 年度, for the link to its page.
    this_fy: i32,
    days: i64,
    alerts: u64,
    drills: u64,
    total: Line,
    lines: Vec<Line>,
    /// The newest alerts whose boards the viewer follows.
    recent: Vec<crate::alerts::access::OnBoard>,
}

/// Alerts listed under the statistics, with their boards.
const RECENT: u64 = 20;

#[derive(serde::Deserialize)]
pub struct StatsQuery {
    #[serde(default)]
    days: Option<i64>,
    /// A 年度 (2026 = 令和8年度): the year page instead of the last `days`.
    #[serde(default)]
    fy: Option<i32>,
}

#[get("/stats")]
async fn stats(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Stats)?;
    if query.fy.is_some() {
        return super::yearly::year_page(&ctx, &viewer, query.fy).await;
    }
    // Central staff see every prefecture; prefecture staff their own.
    let only = if viewer.may(Section::Central) {
        None
    } else {
        Some(viewer.org.prefecture.ok_or_else(|| {
            PortalError::Forbidden(viewer.lang.tr("都道府県が登録されていません。").into())
        })?)
    };
    let days = query.days.unwrap_or(90);
    if !(1..=3_650).contains(&days) {
        return Err(PortalError::BadRequest(
            viewer
                .lang
                .tr1("期間は 1〜3650 日で指定してください（{}）", days),
        ));
    }
    let since = Utc::now() - Duration::days(days);
    let (tallies, alerts, drills) =
        crate::acks::store::period_tallies(&ctx.db, since, only.map(|p| i16::from(p.number())))
            .await?;
    let mut total = Tally::default();
    let mut lines = Vec::new();
    for (number, t) in &tallies {
        total.merge(t);
        let name = u8::try_from(*number)
            .ok()
            .and_then(Prefecture::from_number)
            .map_or_else(|| number.to_string(), |p| p.name().to_owned());
        lines.push(line(name, t));
    }
    render(&StatsPage {
        nav: viewer.nav(),
        this_fy: crate::time::fiscal_year(&Utc::now()),
        days,
        alerts,
        drills,
        total: line(viewer.lang.tr("合計").into(), &total),
        lines,
        recent: crate::alerts::access::recent_on_boards(&ctx.db, &viewer.caller(), RECENT).await?,
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(stats);
}
