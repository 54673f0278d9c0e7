//! Central staff's work: ingested advisories with their classification and why, "make draft",
//! and drafts → submit → approve (never by the author or submitter) → published, with the
//! resolved audience shown, organisation by organisation, before anything is sent.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::viewer::{Nav, Section, Viewer};
use super::{CsrfForm, Opt};
use crate::alerts::audience::AudienceSpec;
use crate::alerts::publish::{self, PublishError};
use crate::alerts::{self, AlertStatus, DraftError, DraftRequest};
use crate::audit::Actor;
use crate::classify::model::Classification;
use crate::context::AppContext;
use crate::db::entities::advisories;
use crate::domain::{Severity, Tlp};
use crate::ingest::store::{self as advisory_store, AdvisoryFilter};
use crate::time::format_jst;

const PAGE_SIZE: u64 = 50;
/// Organisations listed by name on a draft; the rest are counted.
const AUDIENCE_SHOWN: usize = 200;

/// One advisory with its classification, as the triage list, the advisory page and the alert
/// page show it.
pub struct AdvisoryCard {
    pub id: i64,
    pub source: String,
    pub upstream_id: String,
    pub url: String,
    pub title: String,
    pub published: String,
    pub cves: String,
    pub classified: bool,
    pub severity: &'static str,
    /// critical / high / medium / info: the badge's CSS class is `sev-<key>`.
    pub severity_key: &'static str,
    pub categories: String,
    pub relevance: &'static str,
    pub themes: String,
    pub explanation: Vec<(String, String, String, String)>,
}

impl AdvisoryCard {
    pub fn new(a: &advisories::Model, c: Option<&Classification>, lang: Lang) -> Self {
        let (severity, severity_key) = c
            .map_or((lang.tr("未分類"), Severity::Info.as_str()), |c| {
                (lang.severity(c.severity), c.severity.as_str())
            });
        Self {
            id: a.id,
            source: a.source_key.clone(),
            upstream_id: a.upstream_id.clone(),
            // Upstream links are shown only when they are plain web links.
            url: a
                .url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .unwrap_or_default(),
            title: a.title.clone(),
            published: a.published_at.map(|t| format_jst(&t)).unwrap_or_default(),
            cves: serde_json::from_str::<Vec<String>>(&a.cve_ids)
                .unwrap_or_default()
                .join(" "),
            classified: c.is_some(),
            severity,
            severity_key,
            categories: c.map_or_else(String::new, |c| {
                c.categories
                    .iter()
                    .map(|x| lang.category(*x))
                    .collect::<Vec<_>>()
                    .join(lang.tr("・"))
            }),
            relevance: c.map_or("", |c| lang.tr(c.relevance.label_ja())),
            themes: c.map_or_else(String::new, |c| c.themes.join("・")),
            explanation: c.map_or_else(Vec::new, |c| {
                c.explanation
                    .iter()
                    .map(|f| {
                        (
                            aspect_label(&f.aspect, lang).to_owned(),
                            f.rule.clone(),
                            lang.tr(&f.effect).to_owned(),
                            f.evidence.clone(),
                        )
                    })
                    .collect()
            }),
        }
    }
}

/// What a line of a classification's explanation is about.
fn aspect_label(aspect: &str, lang: Lang) -> &str {
    match aspect {
        "category" => lang.tr("分類"),
        "severity" => lang.tr("深刻度"),
        "product" => lang.tr("製品"),
        "relevance" => lang.tr("自治体への関連"),
        other => other,
    }
}

/// The advisories behind an alert, with their classification.
/// The advisory cards of an alert; with `alert_tlp`, only those a reader of a revision so
/// marked may see (`alerts::shown_advisories`).
pub async fn cards_for_alert(
    ctx: &AppContext,
    alert_id: i64,
    alert_tlp: Option<Tlp>,
    lang: Lang,
) -> Result<Vec<AdvisoryCard>, PortalError> {
    let list = alerts::shown_advisories(&ctx.db, alerts::AlertId(alert_id), alert_tlp).await?;
    cards(ctx, list, lang).await
}

async fn cards(
    ctx: &AppContext,
    list: Vec<advisories::Model>,
    lang: Lang,
) -> Result<Vec<AdvisoryCard>, PortalError> {
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let classes: std::collections::HashMap<i64, Classification> =
        crate::classify::store::get_many(&ctx.db, &ids)
            .await?
            .iter()
            .map(|m| Ok((m.advisory_id, crate::classify::store::to_domain(m)?)))
            .collect::<anyhow::Result<_>>()?;
    Ok(list
        .iter()
        .map(|a| AdvisoryCard::new(a, classes.get(&a.id), lang))
        .collect())
}

#[derive(Template)]
#[template(path = "portal/triage.html")]
struct TriagePage {
    nav: Nav,
    advisories: Vec<AdvisoryCard>,
    source: String,
    cve: String,
    severities: Vec<Opt>,
    page: u64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct TriageQuery {
    #[serde(default)]
    source: String,
    #[serde(default)]
    cve: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    page: Option<u64>,
}

#[get("/triage")]
async fn triage(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    query: web::Query<TriageQuery>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    let q = query.into_inner();
    let source = q.source.trim().to_owned();
    let cve = q.cve.trim().to_ascii_uppercase();
    if source.len() > 64 || cve.len() > 32 {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("検索条件が長すぎます。").into(),
        ));
    }
    let severity = match q.severity.as_str() {
        "" => None,
        s => Some(Severity::parse(s).map_err(|e| PortalError::BadRequest(e.to_string()))?),
    };
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let filter = AdvisoryFilter {
        source: Some(source.clone()).filter(|s| !s.is_empty()),
        cve: Some(cve.clone()).filter(|s| !s.is_empty()),
        // One more than a page tells whether there is a next page.
        limit: PAGE_SIZE + 1,
        offset: (page - 1) * PAGE_SIZE,
    };
    let mut list = advisory_store::list(&ctx.db, &filter).await?;
    let more = list.len() as u64 > PAGE_SIZE;
    list.truncate(PAGE_SIZE as usize);
    let mut advisories = cards(&ctx, list, viewer.lang).await?;
    if let Some(s) = severity {
        advisories.retain(|a| a.classified && a.severity_key == s.as_str());
    }
    let link = |p: u64| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("source", &source)
            .append_pair("cve", &cve)
            .append_pair("severity", severity.map_or("", |s| s.as_str()))
            .append_pair("page", &p.to_string());
        format!("/triage?{}", url.finish())
    };
    render(&TriagePage {
        nav: viewer.nav(),
        advisories,
        prev: (page > 1).then(|| link(page - 1)),
        next: more.then(|| link(page + 1)),
        page,
        source,
        cve,
        severities: Opt::list(
            std::iter::once(("", viewer.lang.tr("すべて"))).chain(
                Severity::ALL
                    .into_iter()
                    .map(|s| (s.as_str(), viewer.lang.severity(s))),
            ),
            severity.map_or("", |s| s.as_str()),
        ),
    })
}

#[derive(Template)]
#[template(path = "portal/advisory.html")]
struct AdvisoryPage {
    nav: Nav,
    card: AdvisoryCard,
    summary: String,
    existing: Option<(i64, String)>,
    tlp: Vec<Opt>,
    error: Option<String>,
    audience: String,
}

async fn advisory_page(
    ctx: &AppContext,
    viewer: &Viewer,
    id: i64,
    error: Option<String>,
    audience: String,
) -> Result<HttpResponse, PortalError> {
    let a = advisory_store::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let existing = alerts::store::for_cluster(&ctx.db, a.cluster_id.unwrap_or(a.id))
        .await?
        .map(|x| (x.id.0, status_label(x.status, viewer.lang).to_owned()));
    let tlp = alerts::advisory_tlp(&a).0;
    let summary = a.summary_text.clone();
    let card = cards(ctx, vec![a], viewer.lang)
        .await?
        .pop()
        .ok_or(PortalError::NotFound)?;
    let refused = error.is_some();
    render_refused(
        &AdvisoryPage {
            nav: viewer.nav(),
            card,
            summary,
            existing,
            tlp: tlp_options(tlp),
            error,
            audience,
        },
        refused,
    )
}

fn tlp_options(current: Tlp) -> Vec<Opt> {
    Opt::list(
        [
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ]
        .into_iter()
        .map(|t| (t.as_str(), t.as_str())),
        current.as_str(),
    )
}

#[get("/triage/{id}")]
async fn advisory(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    advisory_page(&ctx, &viewer, path.into_inner(), None, "all".into()).await
}

#[derive(serde::Deserialize)]
pub struct DraftForm {
    csrf: String,
    audience: String,
    tlp: String,
    #[serde(default)]
    ack_hours: String,
    #[serde(default)]
    drill: Option<String>,
}

#[post("/triage/{id}/draft")]
async fn make_draft(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<DraftForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    let id = path.into_inner();
    advisory_store::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let selectors: Vec<&str> = form
        .audience
        .split([',', ' ', '\u{3000}', '、'])
        .filter(|s| !s.is_empty())
        .collect();
    let parsed = (|| {
        let audience = AudienceSpec::parse_selectors(&selectors).map_err(|e| e.to_string())?;
        let tlp = Tlp::parse(&form.tlp).map_err(|e| e.to_string())?;
        let ack = match form.ack_hours.trim() {
            "" => None,
            h => Some(h.parse::<u32>().map_err(|_| {
                viewer
                    .lang
                    .tr1("回答期限は時間数で指定してください（`{}`）", h)
            })?),
        };
        Ok::<_, String>((audience, tlp, ack))
    })();
    let (audience, tlp, ack_within_hours) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return advisory_page(&ctx, &viewer, id, Some(e), form.audience.clone()).await;
        }
    };
    let req = DraftRequest {
        advisory_ids: vec![id],
        title: None,
        body: None,
        severity: None,
        tlp: Some(tlp),
        audience,
        ack_within_hours,
        drill: form.drill.is_some(),
    };
    let actor = Actor::of(&viewer.session.user);
    match alerts::create_draft(&ctx.db, &ctx.policy, req, &actor).await {
        Ok(alert) => Ok(see_other(&format!("/drafts/{}", alert.id))),
        Err(DraftError::Unexpected(e)) => Err(e.into()),
        Err(e) => {
            advisory_page(
                &ctx,
                &viewer,
                id,
                Some(e.to_string()),
                form.audience.clone(),
            )
            .await
        }
    }
}

use super::see_other;

pub struct DraftLine {
    pub id: i64,
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

fn status_label(status: AlertStatus, lang: Lang) -> &'static str {
    lang.tr(status.label_ja())
}

#[derive(Template)]
#[template(path = "portal/drafts.html")]
struct DraftsPage {
    nav: Nav,
    drafts: Vec<DraftLine>,
}

/// A draft's summary line; `organisations` is the size of its resolved audience.
fn line(a: &alerts::Alert, organisations: usize, lang: Lang) -> DraftLine {
    let severity = a.severity;
    let spec = &a.audience;
    DraftLine {
        id: a.id.0,
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
    render(&DraftsPage {
        nav: viewer.nav(),
        drafts: lines,
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
    id: i64,
    error: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let a = alerts::store::get(&ctx.db, alerts::AlertId(id))
        .await?
        .ok_or(PortalError::NotFound)?;
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
    let role = viewer.session.user.role;
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
                && matches!(
                    role,
                    crate::auth::Role::CentralOperator | crate::auth::Role::Admin
                ),
            can_approve: pending
                && role == crate::auth::Role::CentralApprover
                && submitted_by != me,
            submitted_by: super::who(&submitted_by),
            advisories: cards_for_alert(ctx, a.id.0, None, viewer.lang).await?,
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
    path: web::Path<i64>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    draft_page(&ctx, &viewer, path.into_inner(), None).await
}

#[derive(serde::Deserialize)]
pub struct ApproveForm {
    csrf: String,
    /// The revision the approver saw; with the alert id it makes the idempotency key, so a
    /// double click publishes once and a later 第2報 is a new publication.
    revision: i32,
}

fn publish_error(e: PublishError) -> Result<String, PortalError> {
    match e {
        PublishError::NotFound(_) => Err(PortalError::NotFound),
        PublishError::Forbidden(m) => Err(PortalError::Forbidden(m)),
        PublishError::Unexpected(e) => Err(PortalError::Unexpected(e)),
        other => Ok(other.to_string()),
    }
}

#[post("/drafts/{id}/submit")]
async fn submit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    let id = path.into_inner();
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
    path: web::Path<i64>,
    form: web::Form<ApproveForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    let id = path.into_inner();
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
    cfg.service(triage)
        .service(advisory)
        .service(make_draft)
        .service(drafts)
        .service(draft)
        .service(submit)
        .service(approve);
}
