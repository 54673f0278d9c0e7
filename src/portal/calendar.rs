//! `/calendar`: the viewer's organisation's 年間予定 for a 年度 — surveys sent and due, alerts and
//! drills with their deadlines, and the fixed days — month by month, with the day of the week,
//! and how to subscribe to it in a calendar program (`/feeds/{token}/calendar.ics`).

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::error::{PortalError, render};
use super::viewer::{Nav, Viewer};
use crate::context::AppContext;
use crate::yearly::calendar::{self, When};

pub struct Row {
    pub day: String,
    pub time: String,
    pub kind: &'static str,
    pub kind_id: &'static str,
    pub title: String,
    pub path: Option<String>,
    pub past: bool,
}

pub struct Month {
    pub heading: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "portal/calendar.html")]
struct CalendarPage {
    nav: Nav,
    heading: String,
    previous: Option<i32>,
    next: Option<i32>,
    months: Vec<Month>,
    org_admin: bool,
}

#[derive(Deserialize)]
struct Params {
    fy: Option<i32>,
}

#[get("/calendar")]
async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    q: web::Query<Params>,
) -> Result<HttpResponse, PortalError> {
    let now_fy = crate::yearly::fiscal_year_now();
    let fy = match q.fy {
        None => now_fy,
        Some(y) if (2000..=now_fy + 1).contains(&y) => y,
        Some(y) => {
            return Err(PortalError::BadRequest(
                viewer
                    .lang
                    .tr1("fy: {} は年度ではありません（2000 年度から来年度まで）", y),
            ));
        }
    };
    let style = viewer.year_dates();
    let now = chrono::Utc::now();
    let today = crate::time::today_jst();
    let mut months: Vec<Month> = Vec::new();
    for e in calendar::events(&ctx.db, &viewer.org, fy).await? {
        let day = e.when.day();
        let (time, past) = match &e.when {
            When::At(t) => (
                t.with_timezone(&crate::time::jst_offset())
                    .format("%H:%M")
                    .to_string(),
                *t < now,
            ),
            When::Days(a, b) if a == b => (viewer.lang.tr("終日").to_owned(), *b < today),
            When::Days(_, b) => (
                viewer
                    .lang
                    .tr1("{} まで", crate::time::format_date(*b, style)),
                *b < today,
            ),
        };
        let heading = {
            use chrono::Datelike;
            match style {
                crate::time::DateStyle::Western => format!("{}年{}月", day.year(), day.month()),
                crate::time::DateStyle::Wareki => {
                    let full = crate::time::format_date(day, style);
                    full[..full.find('月').map_or(full.len(), |i| i + '月'.len_utf8())].to_owned()
                }
            }
        };
        let row = Row {
            day: format!(
                "{}（{}）",
                crate::time::format_date(day, style),
                viewer.lang.tr(crate::time::weekday_ja(day))
            ),
            time,
            kind: viewer.lang.tr(e.kind.label_ja()),
            kind_id: e.kind.as_str(),
            title: viewer.lang.tr(&e.title).to_owned(),
            path: e.path,
            past,
        };
        match months.last_mut() {
            Some(m) if m.heading == heading => m.rows.push(row),
            _ => months.push(Month {
                heading,
                rows: vec![row],
            }),
        }
    }
    render(&CalendarPage {
        heading: crate::time::fiscal_year_label(fy, style),
        previous: (fy > 2000).then_some(fy - 1),
        next: (fy <= now_fy).then_some(fy + 1),
        months,
        org_admin: viewer.nav().org_admin,
        nav: viewer.nav(),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show);
}
