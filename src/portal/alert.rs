//! One alert as the viewer may see it: its latest text, its revisions, and the organisation's
//! acknowledgement with a form to report a state and the history of reports. An alert the viewer
//! may not see is "not found", whatever the URL, so its existence is not revealed.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render};
use super::parts::Opt;
use super::parts::who;
use super::state::PortalState;
use super::viewer::{Nav, Viewer};
use crate::acks::view::AlertView;
use crate::acks::{self, ALL_STATES, AckError, AckState, Channel};
use crate::audit::Actor;
use crate::context::AppContext;

pub struct RevisionRow {
    pub number: i32,
    pub kind: &'static str,
    pub published: String,
    pub changes: String,
}

pub struct HistoryRow {
    pub at: String,
    pub state: &'static str,
    pub who: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "portal/alert.html")]
struct AlertPage {
    nav: Nav,
    /// `alert:7`: what a question from this page is about (addressed organisations only).
    ask_about: String,
    public_id: String,
    title: String,
    body: String,
    changes: Option<String>,
    revision: i32,
    severity: &'static str,
    severity_label: &'static str,
    tlp: String,
    tlp_meaning: &'static str,
    drill: bool,
    withdrawn: bool,
    published: String,
    published_wareki: String,
    deadline: Option<String>,
    /// The deadline was counted on 開庁日 only.
    office_days: bool,
    overdue: bool,
    revisions: Vec<RevisionRow>,
    addressed: bool,
    can_ack: bool,
    /// The viewer may open the board of who received and acted (central staff, a prefecture).
    can_board: bool,
    state: &'static str,
    state_options: Vec<Opt>,
    history: Vec<HistoryRow>,
    advisories: Vec<super::triage::AdvisoryCard>,
    /// 補足 from the viewer's prefecture (or every prefecture, for central staff).
    notes: Vec<NoteRow>,
    can_note: bool,
    /// Cases linked to this alert, then cases like it, among those the viewer may read.
    related: Vec<super::cases::CaseRow>,
}

pub struct NoteRow {
    pub by: String,
    pub at: String,
    pub body: String,
}

/// The alert's published revisions, oldest first (kept in the portal's cache).
pub(super) async fn revisions(
    ctx: &AppContext,
    state: &PortalState,
    alert: &crate::alerts::Alert,
) -> Result<Arc<Vec<crate::alerts::Revision>>, PortalError> {
    Ok(crate::alerts::revisions::published(&ctx.db, Some(&state.alert_revisions), alert).await?)
}

/// The published alert `public_id` if the viewer may see it (otherwise not found), and whether
/// it is addressed to the viewer's organisation.
pub(super) async fn visible_alert(
    ctx: &AppContext,
    viewer: &Viewer,
    public_id: &str,
) -> Result<(crate::alerts::Alert, bool), PortalError> {
    crate::alerts::access::visible(&ctx.db, &viewer.caller(), public_id)
        .await?
        .ok_or(PortalError::NotFound)
}

/// The published alert `public_id` as the viewer sees it, or not found: an alert the viewer may
/// not see is not told apart from one that does not exist.
pub(super) async fn view_of(
    ctx: &AppContext,
    portal: &PortalState,
    viewer: &Viewer,
    public_id: &str,
) -> Result<AlertView, PortalError> {
    AlertView::for_caller(
        &ctx.db,
        &viewer.caller(),
        public_id,
        Some(&portal.alert_revisions),
    )
    .await?
    .ok_or(PortalError::NotFound)
}

#[get("/alerts/{public_id}")]
async fn show_alert(
    ctx: web::Data<AppContext>,
    portal: web::Data<PortalState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let view = view_of(&ctx, &portal, &viewer, &path).await?;
    let alert = &view.alert;
    let latest = &view.latest;
    let state = view.state();
    let history = view
        .history
        .iter()
        .map(|h| HistoryRow {
            at: viewer.when(&h.at),
            state: viewer.lang.state(Some(h.state)),
            who: who(&h.actor),
            note: h.note.clone().unwrap_or_default(),
        })
        .collect();
    let withdrawn = view.withdrawn();
    let tlp = latest.tlp;
    let advisories =
        super::triage::cards_for_alert(&ctx, alert.id, view.advisories_under(), viewer.lang)
            .await?;
    let notes = view
        .notes(&ctx.db)
        .await?
        .into_iter()
        .map(|(n, by)| NoteRow {
            by: format!("{by}（{}）", who(&n.author)),
            at: viewer.when(&n.created_at),
            body: n.body,
        })
        .collect();
    let related = related_cases(&ctx, &portal, &viewer, alert, latest).await?;
    render(&AlertPage {
        ask_about: if view.can_ask() {
            format!("alert:{}", alert.id)
        } else {
            String::new()
        },
        related,
        advisories,
        notes,
        can_note: view.can_note(),
        public_id: alert.public_id.clone().unwrap_or_default(),
        title: latest.title.clone(),
        body: latest.body.clone(),
        changes: latest.changes.clone(),
        revision: latest.number,
        severity_label: viewer.lang.severity(latest.severity),
        severity: latest.severity.as_str(),
        tlp: tlp.as_str().to_owned(),
        tlp_meaning: tlp.meaning(viewer.lang.mail_language()),
        drill: latest.drill,
        withdrawn,
        published: viewer.when(&latest.published_at),
        // Shown beside a western date; a viewer who reads 和暦 already has it.
        published_wareki: if viewer.dates == crate::time::DateStyle::Wareki
            || viewer.lang == super::i18n::Lang::En
        {
            String::new()
        } else {
            crate::time::format_wareki(&latest.published_at)
        },
        deadline: latest.ack_deadline.as_ref().map(|d| viewer.deadline(d)),
        office_days: alert.ack_office_days,
        overdue: acks::is_overdue(state, withdrawn, latest.ack_deadline, Utc::now()),
        revisions: view
            .revisions
            .iter()
            .map(|r| RevisionRow {
                number: r.number,
                kind: r.kind.as_str(),
                published: viewer.when(&r.published_at),
                changes: r.changes.clone().unwrap_or_default(),
            })
            .collect(),
        addressed: view.addressed,
        can_ack: view.can_ack(),
        can_board: view.can_see_board(),
        state: viewer.lang.state(state),
        state_options: Opt::list(
            ALL_STATES
                .iter()
                .map(|s| (s.as_str(), viewer.lang.state(Some(*s)))),
            state.map_or("", AckState::as_str),
        ),
        history,
        nav: viewer.nav(),
    })
}

/// Cases that name this alert first, then the cases most like its text; kept until the
/// library changes.
async fn related_cases(
    ctx: &AppContext,
    state: &PortalState,
    viewer: &Viewer,
    alert: &crate::alerts::Alert,
    latest: &crate::alerts::Revision,
) -> Result<Vec<super::cases::CaseRow>, PortalError> {
    let reader = viewer.caller();
    let epoch = crate::cases::store::library_epoch(&ctx.db).await?;
    let key = (
        alert.id,
        latest.number,
        crate::cases::access::keys(&reader).join(","),
        viewer.lang,
    );
    if let Some(rows) = state.related_cases.get(&key, &epoch) {
        return Ok(rows);
    }
    let public_id = alert.public_id.clone().unwrap_or_default();
    let linked = crate::cases::store::linked_to_alert(&ctx.db, &public_id).await?;
    let mut rows: Vec<super::cases::CaseRow> =
        crate::cases::reading::readable(&ctx.db, &reader, linked)
            .await?
            .iter()
            .map(|c| super::cases::row(c, String::new(), viewer.lang))
            .collect();
    let categories: Vec<String> = latest
        .categories
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let head: String = latest.body.chars().take(400).collect();
    for r in super::cases::similar_rows(
        ctx,
        viewer,
        format!("{}\n{head}", latest.title),
        categories,
        None,
    )
    .await?
    {
        if rows.len() < 5 && !rows.iter().any(|x| x.id == r.id) {
            rows.push(r);
        }
    }
    state.related_cases.put(key, epoch, rows.clone());
    Ok(rows)
}

#[derive(serde::Deserialize)]
pub struct AckForm {
    csrf: String,
    state: String,
    #[serde(default)]
    note: String,
}

#[post("/alerts/{public_id}/ack")]
async fn acknowledge_alert(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<AckForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let (alert, _) = visible_alert(&ctx, &viewer, &path).await?;
    let user = &viewer.session.user;
    if !acks::may_acknowledge(Some(user.role)) {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("受領・対応状況は宛先団体の職員が報告します。")
                .into(),
        ));
    }
    let bad = |e: AckError| PortalError::BadRequest(e.to_string());
    let state = AckState::parse(&form.state).map_err(bad)?;
    let note = acks::parse_note(&form.note).map_err(bad)?;
    let actor = Actor::of(user);
    match acks::acknowledge(
        &ctx.db,
        alert.id,
        viewer.org.id,
        state,
        note,
        &actor,
        Some(user.role),
        Channel::Portal,
    )
    .await
    {
        Ok(()) => {}
        Err(AckError::NotAddressed(_)) => {
            return Err(PortalError::Forbidden(viewer.lang.tr1(
                "この注意喚起は {} 宛てではないため、報告できません。",
                viewer.org.full_name(),
            )));
        }
        Err(AckError::Unexpected(e)) => return Err(PortalError::Unexpected(e)),
        Err(e) => return Err(PortalError::BadRequest(e.to_string())),
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/alerts/{}", alert.public_id.unwrap_or_default()),
        ))
        .finish())
}

#[derive(serde::Deserialize)]
pub struct NoteForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

/// A prefecture adds a 補足 for its municipalities.
#[post("/alerts/{public_id}/notes")]
async fn add_note(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let (alert, _) = visible_alert(&ctx, &viewer, &path).await?;
    if viewer.session.user.role != crate::auth::Role::PrefectureAdmin {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("補足は都道府県の職員が管内の市区町村に向けて書きます。")
                .into(),
        ));
    }
    let actor = Actor::of(&viewer.session.user);
    match crate::alerts::notes::add(&ctx.db, alert.id, viewer.org.id, &form.note, &actor).await {
        Ok(()) => {}
        Err(crate::error::Failure::Unexpected(e)) => return Err(PortalError::Unexpected(e)),
        Err(e) => {
            return Err(PortalError::BadRequest(
                viewer.lang.tr1("補足を登録できません: {}", e),
            ));
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/alerts/{}#notes", alert.public_id.unwrap_or_default()),
        ))
        .finish())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_alert)
        .service(acknowledge_alert)
        .service(add_note);
}
