//! The acknowledgement board of one alert: for central staff every addressed organisation by
//! prefecture; for prefecture staff their own prefecture and its municipalities. CSV export of
//! exactly what the viewer may see.

use crate::domain::ids::OrgId;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::error::{PortalError, render};
use super::viewer::{Nav, Viewer};
use crate::acks::board::{Tally, by_prefecture};
use crate::acks::store::BoardRow;
use crate::acks::{self, AckState};
use crate::context::AppContext;
use crate::domain::grade::Grade;
use crate::time::format_jst;

pub struct Line {
    pub name: String,
    pub addressed: u64,
    pub unknown: u64,
    pub received: u64,
    pub in_progress: u64,
    pub done: u64,
    pub not_applicable: u64,
    pub grasp: String,
    pub grasp_grade: &'static str,
    pub completion: String,
    pub completion_grade: &'static str,
    pub done_share: String,
    pub done_share_grade: &'static str,
}

pub struct OrgLine {
    pub code: String,
    pub name: String,
    pub state: &'static str,
    pub updated: String,
    /// Silent past the escalation time: its prefecture was told.
    pub escalated: bool,
}

#[derive(Template)]
#[template(path = "portal/board.html")]
struct BoardPage {
    nav: Nav,
    public_id: String,
    title: String,
    drill: bool,
    total: Tally,
    total_grasp: String,
    total_grasp_grade: Option<&'static str>,
    total_completion: String,
    total_completion_grade: Option<&'static str>,
    total_done_share: String,
    lines: Vec<Line>,
    orgs: Vec<OrgLine>,
    /// Drawn by `acks::chart` from numbers and times only.
    chart: String,
    /// Municipalities still silent after escalation to their prefecture.
    escalated_silent: usize,
}

pub(super) fn line(name: String, t: &Tally) -> Line {
    Line {
        name,
        addressed: t.addressed,
        unknown: t.unknown(),
        received: t.received,
        in_progress: t.in_progress,
        done: t.done,
        not_applicable: t.not_applicable,
        grasp: t.grasp().percent(),
        grasp_grade: Grade::of(t.grasp()).map_or("", Grade::as_str),
        completion: t.completion().percent(),
        completion_grade: Grade::of(t.completion()).map_or("", Grade::as_str),
        done_share: t.completion_of_addressed().percent(),
        done_share_grade: Grade::of(t.completion_of_addressed()).map_or("", Grade::as_str),
    }
}

/// The alert and the board rows the viewer may see.
async fn visible_board(
    ctx: &AppContext,
    viewer: &Viewer,
    public_id: &str,
) -> Result<(crate::alerts::Alert, Vec<BoardRow>), PortalError> {
    let central = viewer.session.user.role.is_central();
    if !crate::acks::view::may_see_board(&viewer.caller()) {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("受領・対応状況の一覧は中央省庁等と都道府県の職員が見られます。")
                .into(),
        ));
    }
    let (alert, _) = super::alert::visible_alert(ctx, viewer, public_id).await?;
    let mut rows = acks::store::board(&ctx.db, alert.id).await?;
    if !central {
        let own = viewer.org.id;
        rows.retain(|r| r.org_id == own || r.parent_id == Some(own));
    }
    Ok((alert, rows))
}

#[get("/alerts/{public_id}/board")]
async fn show_board(
    ctx: web::Data<AppContext>,
    state: web::Data<super::state::PortalState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let (alert, rows) = visible_board(&ctx, &viewer, &path).await?;
    let escalated = crate::acks::follow_up::escalated(&ctx.db, alert.id).await?;
    let escalated_silent = rows
        .iter()
        .filter(|r| r.state.is_none() && escalated.contains(&r.org_id))
        .count();
    let revisions = super::alert::revisions(&ctx, &state, &alert).await?;
    let latest = revisions.last().ok_or(PortalError::NotFound)?;
    let (lines, total) = by_prefecture(&rows);
    let central = viewer.session.user.role.is_central();
    let visible: std::collections::HashSet<OrgId> = rows.iter().map(|r| r.org_id).collect();
    let mut known = Vec::new();
    let mut done = Vec::new();
    for (org, known_at, done_at) in acks::store::timeline(&ctx.db, alert.id).await? {
        if visible.contains(&org) {
            known.push(known_at);
            done.extend(done_at);
        }
    }
    let first = revisions
        .first()
        .map_or(latest.published_at, |r| r.published_at);
    let lang = viewer.lang;
    let title = lang.trn(
        "受領・対応状況の推移（把握 {} / 対応完了 {} / 対象 {}）",
        &[&known.len(), &done.len(), &total.addressed],
    );
    let words = crate::acks::chart::Words {
        title: &title,
        known: lang.tr("把握"),
        done: lang.tr("対応完了"),
    };
    let chart = crate::acks::chart::svg(
        first,
        chrono::Utc::now(),
        total.addressed,
        &known,
        &done,
        &words,
    );
    render(&BoardPage {
        public_id: alert.public_id.clone().unwrap_or_default(),
        title: latest.title.clone(),
        drill: latest.drill,
        total_grasp: total.grasp().percent(),
        total_grasp_grade: Grade::of(total.grasp()).map(Grade::as_str),
        total_completion: total.completion().percent(),
        total_completion_grade: Grade::of(total.completion()).map(Grade::as_str),
        total_done_share: total.completion_of_addressed().percent(),
        total,
        lines: lines
            .iter()
            .map(|l| line(l.prefecture.name().to_owned(), &l.tally))
            .collect(),
        // Central staff see organisations on the CSV; the page lists them for one prefecture.
        orgs: if central {
            Vec::new()
        } else {
            rows.iter()
                .map(|r| OrgLine {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    state: lang.state(r.state),
                    updated: r
                        .updated_at
                        .as_ref()
                        .map(|t| viewer.when(t))
                        .unwrap_or_default(),
                    escalated: r.state.is_none() && escalated.contains(&r.org_id),
                })
                .collect()
        },
        chart,
        escalated_silent,
        nav: viewer.nav(),
    })
}

#[get("/alerts/{public_id}/board.csv")]
async fn export_board(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let (alert, rows) = visible_board(&ctx, &viewer, &path).await?;
    let public_id = alert.public_id.unwrap_or_default();
    // A BOM so spreadsheet software reads the Japanese as UTF-8.
    let mut out = String::from("\u{feff}団体コード,団体名,状態,状態コード,更新日時(JST)\r\n");
    for r in &rows {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            crate::domain::text::csv_cell(&r.code),
            crate::domain::text::csv_cell(&r.name),
            crate::domain::text::csv_cell(acks::label_ja(r.state)),
            crate::domain::text::csv_cell(r.state.map_or("unknown", AckState::as_str)),
            crate::domain::text::csv_cell(
                &r.updated_at.as_ref().map(format_jst).unwrap_or_default()
            ),
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{public_id}-board.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(export_board).service(show_board);
}
