//! Drafts → submit → approve (never by the author or submitter) → published, with the resolved
//! audience shown, organisation by organisation, before anything is sent.

use crate::domain::ids::AlertId;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::parts::CsrfForm;
use super::triage::{AdvisoryCard, cards_for_alert};
use super::viewer::{Nav, Section, Viewer};
use crate::alerts::publish::{self, PublishError};
use crate::alerts::{self, AlertStatus};
use crate::audit::Actor;
use crate::context::AppContext;

/// Organisations listed on a draft's page (the rest are counted).
const AUDIENCE_SHOWN: usize = 200;

use super::parts::see_other;

pub struct DraftLine {
    pub id: AlertId,
    pub status: &'static str,
    pub severity: &'static str,
    pub severity_key: &'static str,
    pub tlp: String,
    pub title: String,
    pub audience: String,
    pub organisations: usize,
    pub origin: String,
    pub drill: bool,
}

pub(super) fn status_label(status: AlertStatus, lang: Lang) -> &'static str {
    lang.tr(status.label_ja())
}

#[derive(Template)]
#[template(path = "portal/drafts.html")]
struct DraftsPage {
    nav: Nav,
    drafts: Vec<DraftLine>,
    /// The newest published (or withdrawn) alerts: their pages and boards.
    recent: Vec<crate::alerts::access::OnBoard>,
}

/// Published alerts listed on the drafts page.
const RECENT: u64 = 20;

/// A draft's summary line; `organisations` is the size of its resolved audience.
fn line(a: &alerts::Alert, organisations: usize, lang: Lang) -> DraftLine {
    let severity = a.severity;
    let spec = &a.audience;
    DraftLine {
        id: a.id,
        status: status_label(a.status, lang),
        severity: lang.severity(severity),
        severity_key: severity.as_str(),
        tlp: a.tlp.as_str().to_owned(),
        title: a.title.clone(),
        audience: match lang {
            Lang::Ja => spec.describe(),
            Lang::En => spec.describe_en(),
        },
        organisations,
        origin: a.origin.clone(),
        drill: a.drill,
    }
}

#[get("/drafts")]
async fn drafts(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    let mut lines = Vec::new();
    for status in [AlertStatus::PendingApproval, AlertStatus::Draft] {
        for a in alerts::store::list_by_status(&ctx.db, status).await? {
            let organisations = alerts::resolved_audience(&ctx.db, &ctx.rules, &a)
                .await?
                .len();
            lines.push(line(&a, organisations, viewer.lang));
        }
    }
    // Central staff follow every alert's board: the same list as under /stats.
    let recent = alerts::access::recent_on_boards(&ctx.db, &viewer.caller(), RECENT).await?;
    render(&DraftsPage {
        nav: viewer.nav(),
        drafts: lines,
        recent,
    })
}

pub struct AudienceLine {
    pub code: String,
    pub name: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "portal/draft.html")]
struct DraftPage {
    nav: Nav,
    draft: DraftLine,
    revision: i32,
    body: String,
    ack: String,
    submitted_by: String,
    can_submit: bool,
    can_approve: bool,
    advisories: Vec<AdvisoryCard>,
    audience: Vec<AudienceLine>,
    audience_more: usize,
    prefectures: usize,
    municipalities: usize,
    others: usize,
    error: Option<String>,
}

async fn draft_page(
    ctx: &AppContext,
    viewer: &Viewer,
    id: AlertId,
    error: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let a = alerts::store::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    if !publish::may_see_draft(&a, &viewer.session.user) {
        viewer.require(Section::Central)?;
    }
    if let Some(public_id) = a.public_id.as_deref().filter(|_| error.is_none())
        && a.status != AlertStatus::PendingApproval
    {
        // Published (or withdrawn) alerts live on their own page.
        return Ok(see_other(&format!("/alerts/{public_id}")));
    }
    let recipients = alerts::resolved_audience(&ctx.db, &ctx.rules, &a).await?;
    let count = |k: crate::registry::OrgKind| {
        recipients
            .iter()
            .filter(|r| r.organisation.kind == k)
            .count()
    };
    let me = Actor::of(&viewer.session.user).to_string();
    let pending = a.status == AlertStatus::PendingApproval;
    let submitted_by = a.submitted_by.clone().unwrap_or_default();
    let refused = error.is_some();
    render_refused(
        &DraftPage {
            nav: viewer.nav(),
            revision: a.published_revision + 1,
            body: a.body.clone(),
            ack: match a.ack_within_hours {
                Some(h) if a.ack_required => viewer.lang.tr1("{} 時間以内に報告を求める", h),
                _ => viewer.lang.tr("報告を求めない").into(),
            },
            can_submit: a.status == AlertStatus::Draft
                && publish::may_write(&a, &viewer.session.user),
            can_approve: pending
                && publish::may_approve(&a, &viewer.session.user)
                && submitted_by != me,
            submitted_by: super::parts::who(&submitted_by),
            advisories: cards_for_alert(ctx, a.id, None, viewer.lang).await?,
            prefectures: count(crate::registry::OrgKind::Prefecture),
            municipalities: count(crate::registry::OrgKind::Municipality),
            others: count(crate::registry::OrgKind::Central),
            audience_more: recipients.len().saturating_sub(AUDIENCE_SHOWN),
            audience: recipients
                .iter()
                .take(AUDIENCE_SHOWN)
                .map(|r| AudienceLine {
                    code: r.organisation.code.to_string(),
                    name: r.organisation.full_name(),
                    why: r
                        .reasons
                        .iter()
                        .map(|w| viewer.lang.tr(w))
                        .collect::<Vec<_>>()
                        .join(viewer.lang.tr("・")),
                })
                .collect(),
            draft: line(&a, recipients.len(), viewer.lang),
            error,
        },
        refused,
    )
}

#[get("/drafts/{id}")]
async fn draft(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
) -> Result<HttpResponse, PortalError> {
    // Central staff, or the staff of the prefecture that owns the draft (checked on the page).
    draft_page(&ctx, &viewer, path.into_inner(), None).await
}

#[derive(serde::Deserialize)]
pub struct ApproveForm {
    csrf: String,
    /// The revision the approver saw; with the alert id it makes the idempotency key, so a
    /// double click publishes once and a later 第2報 is a new publication.
    revision: i32,
}

/// What the draft page shows beside the draft (a refusal of the input or of its state), or the
/// error page (by kind).
fn publish_error(e: PublishError) -> Result<String, PortalError> {
    use crate::error::{Classify, Failure};
    match e.classify() {
        Failure::Invalid(m) | Failure::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

#[post("/drafts/{id}/submit")]
async fn submit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    // Who may act is the capability's rule (central staff, or the owning prefecture's).
    match publish::submit(&ctx.db, id, &viewer.session.user).await {
        Ok(()) => Ok(see_other(&format!("/drafts/{id}"))),
        Err(e) => {
            let message = publish_error(e)?;
            draft_page(&ctx, &viewer, id, Some(message)).await
        }
    }
}

#[post("/drafts/{id}/approve")]
async fn approve(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
    form: web::Form<ApproveForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    // Who may act is the capability's rule (central staff, or the owning prefecture's).
    let key = format!("portal:alert:{id}:revision:{}", form.revision);
    match publish::approve(&ctx.db, &ctx.rules, id, &viewer.session.user, Some(&key)).await {
        Ok(report) => Ok(see_other(&format!("/alerts/{}", report.public_id))),
        Err(e) => {
            let message = publish_error(e)?;
            draft_page(&ctx, &viewer, id, Some(message)).await
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(drafts)
        .service(draft)
        .service(submit)
        .service(approve);
}
