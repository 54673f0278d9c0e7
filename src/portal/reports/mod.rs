//! 障害・事故等報告 in the portal: the list (own; a prefecture its municipalities'; central
//! staff all), filing a 第1報, a report with its 報, notes and mail, the next 報, the
//! prefecture's relay (note, 確認済, 連携), central staff's case, and the 年度 statistics.
//! Every page reads through [`crate::reports::access`]: a report the viewer may not read is
//! "not found". Works without JavaScript.

mod form;
mod page;
mod stats;
mod steps;

use crate::domain::ids::ReportId;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::error::{PortalError, render};
use super::i18n::Lang;
use super::viewer::{Nav, Viewer};
use crate::context::AppContext;
use crate::reports::store::{self, ListFilter};
use crate::reports::{Status, timers, update_label_en, update_label_ja};

pub(super) fn label(seq: i32, final_report: bool, lang: Lang) -> String {
    match lang {
        Lang::Ja => update_label_ja(seq, final_report),
        Lang::En => update_label_en(seq, final_report),
    }
}

pub(super) fn status_label(s: Status, lang: Lang) -> &'static str {
    lang.tr(s.label_ja())
}

pub struct ReportRow {
    pub id: ReportId,
    pub organisation: String,
    pub title: String,
    pub tlp: &'static str,
    pub phase: &'static str,
    pub found: String,
    pub last: String,
    pub status: &'static str,
    pub overdue: bool,
    pub first_late: bool,
    pub due: String,
    pub relay: String,
    /// What waits on the centre or the prefecture (`対処方針の承認` …), joined.
    pub desk_waits: String,
}

#[derive(Template)]
#[template(path = "portal/reports.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<ReportRow>,
    open_only: bool,
    overdue_only: bool,
    /// Only reports waiting on the desk (`?desk=1`).
    desk_only: bool,
    first_hours: u32,
    next_hours: u32,
    stats: bool,
}

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    open: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    desk: Option<String>,
}

#[get("/reports")]
async fn list(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, PortalError> {
    let r = viewer.caller();
    let overdue_only = params.overdue.as_deref() == Some("1");
    let desk_only = params.desk.as_deref() == Some("1");
    let open_only = params.open.as_deref() == Some("1") || overdue_only;
    let reports = store::list(
        &ctx.db,
        &r,
        ListFilter {
            open_only,
            ..Default::default()
        },
    )
    .await?;
    // Every 報 of the shown reports, read once: the latest for the row, all of them for what
    // each waits on.
    let shown: Vec<store::Report> = reports.iter().take(500).cloned().collect();
    let all_updates = store::all_updates(&ctx.db, &shown).await?;
    let ids: Vec<_> = shown.iter().map(|r| r.id).collect();
    let all_steps = store::steps_of(&ctx.db, &ids).await?;
    let policy = &ctx.settings.reports;
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    let mut names = std::collections::HashMap::new();
    for rep in &shown {
        let Some(u) = all_updates.get(&rep.id).and_then(|v| v.last()) else {
            continue;
        };
        let t = timers::of(rep, policy, now);
        if overdue_only && !t.overdue {
            continue;
        }
        let desk_waits: Vec<&str> = crate::reports::waiting::waiting(
            rep,
            all_updates
                .get(&rep.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            all_steps
                .get(&rep.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            t.next_due,
            now,
        )
        .into_iter()
        .filter(|w| w.on == crate::reports::waiting::Party::Desk)
        .map(|w| viewer.lang.tr(w.what))
        .collect();
        if desk_only && desk_waits.is_empty() {
            continue;
        }
        if !names.contains_key(&rep.org_id)
            && let Some(o) = crate::registry::store::find_by_id(&ctx.db, rep.org_id).await?
        {
            names.insert(rep.org_id, o.full_name());
        }
        rows.push(ReportRow {
            id: rep.id,
            organisation: names.get(&rep.org_id).cloned().unwrap_or_default(),
            title: u.fields.title.clone(),
            tlp: rep.tlp.as_str(),
            phase: viewer.lang.tr(u.fields.phase_label()),
            found: viewer.when(&rep.found_at),
            last: format!(
                "{}（{}）",
                label(u.seq, u.fields.final_report, viewer.lang),
                viewer.when(&u.created_at)
            ),
            status: status_label(rep.status, viewer.lang),
            overdue: t.overdue,
            first_late: t.first_late,
            due: t.next_due.map(|d| viewer.when(&d)).unwrap_or_default(),
            relay: relay_text(rep, viewer.lang),
            desk_waits: desk_waits.join(viewer.lang.tr("・")),
        });
    }
    render(&ListPage {
        nav: viewer.nav(),
        rows,
        open_only,
        overdue_only,
        desk_only,
        first_hours: policy.first_report_hours,
        next_hours: policy.next_report_hours,
        stats: viewer.may(super::viewer::Section::Stats),
    })
}

/// 確認済 / 連携済, as the list and the page show them.
pub(super) fn relay_text(r: &store::Report, lang: Lang) -> String {
    match (r.confirmed_at, r.forwarded_at) {
        (_, Some(_)) => lang.tr("都道府県確認・連携済").into(),
        (Some(_), None) => lang.tr("都道府県確認済").into(),
        _ => String::new(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(stats::show)
        .service(stats::csv)
        .service(form::new_form)
        .service(form::file)
        .service(form::update_form)
        .service(form::add_update)
        .service(page::show)
        .service(page::note)
        .service(page::confirm)
        .service(page::forward)
        .service(page::make_case)
        .service(steps::take)
        .service(steps::print)
        .service(steps::csv);
}
