//! One alert as the viewer may see it: its latest text, its revisions, and the organisation's
//! acknowledgement with a form to report a state and the history of reports. An alert the viewer
//! may not see is "not found", whatever the URL, so its existence is not revealed.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::Opt;
use super::error::{PortalError, render};
use super::viewer::{Nav, Viewer};
use crate::acks::{self, ALL_STATES, AckError, AckState, Channel};
use crate::audit::Actor;
use crate::contacts::Language;
use crate::db::entities::alerts;
use crate::domain::{Severity, Tlp};
use crate::startup::AppContext;
use crate::time::format_jst;

pub struct RevisionRow {
    pub number: i32,
    pub kind: String,
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
    public_id: String,
    title: String,
    body: String,
    changes: Option<String>,
    revision: i32,
    severity: String,
    severity_label: &'static str,
    tlp: String,
    tlp_meaning: &'static str,
    drill: bool,
    withdrawn: bool,
    published: String,
    published_wareki: String,
    deadline: Option<String>,
    overdue: bool,
    revisions: Vec<RevisionRow>,
    addressed: bool,
    can_ack: bool,
    state: &'static str,
    state_options: Vec<Opt>,
    history: Vec<HistoryRow>,
    advisories: Vec<super::triage::AdvisoryCard>,
}

/// The published alert `public_id` if the viewer may see it; otherwise not found.
pub(super) async fn visible_alert(
    ctx: &AppContext,
    viewer: &Viewer,
    public_id: &str,
) -> Result<alerts::Model, PortalError> {
    if public_id.len() > 32 {
        return Err(PortalError::NotFound);
    }
    let alert = crate::alerts::store::by_public_id(&ctx.db, public_id)
        .await?
        .ok_or(PortalError::NotFound)?;
    if !crate::alerts::access::may_view(&ctx.db, &viewer.session.user, &viewer.org, alert.id)
        .await?
    {
        return Err(PortalError::NotFound);
    }
    Ok(alert)
}

/// Who a history entry names: the user's address, never internal ids.
fn who(actor: &str) -> String {
    actor.splitn(3, ':').nth(2).unwrap_or(actor).to_owned()
}

#[get("/alerts/{public_id}")]
async fn show_alert(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let alert = visible_alert(&ctx, &viewer, &path).await?;
    let revisions = crate::alerts::store::revisions(&ctx.db, alert.id).await?;
    let latest = revisions.last().ok_or(PortalError::NotFound)?.clone();
    let org_id = viewer.org.id.0;
    let addressed = acks::store::is_addressed(&ctx.db, alert.id, org_id).await?;
    let current = if addressed {
        acks::store::current(&ctx.db, alert.id, org_id).await?
    } else {
        None
    };
    let state = current
        .as_ref()
        .and_then(|c| AckState::parse(&c.state).ok());
    let history = if addressed {
        acks::store::history(&ctx.db, alert.id, org_id)
            .await?
            .into_iter()
            .map(|h| HistoryRow {
                at: format_jst(&h.at),
                state: AckState::parse(&h.state).map_or("", AckState::label_ja),
                who: who(&h.actor),
                note: h.note.unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let withdrawn = alert.status == "withdrawn";
    let tlp = Tlp::parse(&latest.tlp).unwrap_or(Tlp::Red);
    let advisories = super::triage::cards_for_alert(&ctx, alert.id).await?;
    render(&AlertPage {
        advisories,
        public_id: alert.public_id.clone().unwrap_or_default(),
        title: latest.title.clone(),
        body: latest.body.clone(),
        changes: latest.changes.clone(),
        revision: latest.number,
        severity_label: Severity::parse(&latest.severity).map_or("", Severity::label_ja),
        severity: latest.severity.clone(),
        tlp: tlp.as_str().to_owned(),
        tlp_meaning: crate::delivery::render::tlp_rule(tlp, Language::Ja),
        drill: latest.drill,
        withdrawn,
        published: format_jst(&latest.published_at),
        published_wareki: crate::time::format_wareki(&latest.published_at),
        deadline: latest.ack_deadline.as_ref().map(format_jst),
        overdue: acks::is_overdue(state, withdrawn, latest.ack_deadline, Utc::now()),
        revisions: revisions
            .iter()
            .map(|r| RevisionRow {
                number: r.number,
                kind: r.kind.clone(),
                published: format_jst(&r.published_at),
                changes: r.changes.clone().unwrap_or_default(),
            })
            .collect(),
        addressed,
        can_ack: addressed && !withdrawn && !viewer.session.user.role.is_central(),
        state: acks::label_ja(state),
        state_options: Opt::list(
            ALL_STATES.iter().map(|s| (s.as_str(), s.label_ja())),
            state.map_or("", AckState::as_str),
        ),
        history,
        nav: viewer.nav(),
    })
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
    let alert = visible_alert(&ctx, &viewer, &path).await?;
    let user = &viewer.session.user;
    if user.role.is_central() {
        return Err(PortalError::Forbidden(
            "受領・対応状況は宛先団体の職員が報告します。".into(),
        ));
    }
    let bad = |e: AckError| PortalError::BadRequest(e.to_string());
    let state = AckState::parse(&form.state).map_err(bad)?;
    let note = acks::parse_note(&form.note).map_err(bad)?;
    let actor = Actor::of(user);
    match acks::acknowledge(
        &ctx.db,
        alert.id,
        viewer.org.id.0,
        state,
        note,
        &actor,
        Channel::Portal,
    )
    .await
    {
        Ok(()) => {}
        Err(AckError::NotAddressed(_)) => {
            return Err(PortalError::Forbidden(format!(
                "この注意喚起は {} 宛てではないため、報告できません。",
                viewer.org.full_name()
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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_alert).service(acknowledge_alert);
}
