//! Triage, central staff's first step: ingested advisories with their classification and why,
//! and "make draft". The drafts themselves (submit, approve) are `portal::drafts`.

use crate::domain::ids::AlertId;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::drafts::status_label;
use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::parts::{Opt, see_other};
use super::viewer::{Nav, Section, Viewer};
use crate::alerts::audience::AudienceSpec;
use crate::alerts::{self, DraftRequest};
use crate::audit::Actor;
use crate::classify::model::Classification;
use crate::context::AppContext;
use crate::domain::{Severity, Tlp};
use crate::ingest::store::StoredAdvisory;
use crate::ingest::store::{self as advisory_store, AdvisoryFilter};
use crate::time::format_jst;

const PAGE_SIZE: u64 = 50;

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
    pub fn new(a: &StoredAdvisory, c: Option<&Classification>, lang: Lang) -> Self {
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
    alert_id: AlertId,
    alert_tlp: Option<Tlp>,
    lang: Lang,
) -> Result<Vec<AdvisoryCard>, PortalError> {
    let list = alerts::shown_advisories(&ctx.db, alert_id, alert_tlp).await?;
    cards(ctx, list, lang).await
}

async fn cards(
    ctx: &AppContext,
    list: Vec<StoredAdvisory>,
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
        before_id: None,
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
    existing: Option<(AlertId, String)>,
    tlp: Vec<Opt>,
    error: Option<String>,
    audience: String,
    /// The 「開庁日で数える」 box starts as the draft policy says.
    office_days: bool,
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
        .map(|x| (x.id, status_label(x.status, viewer.lang).to_owned()));
    let tlp = alerts::advisory_tlp(&a).0;
    let summary = a.summary_text.clone();
    let card = cards(ctx, vec![a], viewer.lang)
        .await?
        .pop()
        .ok_or(PortalError::NotFound)?;
    let refused = error.is_some();
    render_refused(
        &AdvisoryPage {
            office_days: ctx.policy.office_days,
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
    /// 「開庁日で数える」: present when ticked.
    #[serde(default)]
    office_days: Option<String>,
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
        ack_office_days: Some(form.office_days.is_some()),
        advisory_ids: vec![id],
        title: None,
        body: None,
        severity: None,
        tlp: Some(tlp),
        audience,
        ack_within_hours,
        drill: form.drill.is_some(),
        starts_at: None,
    };
    let actor = Actor::of(&viewer.session.user);
    match alerts::create_draft(&ctx.db, &ctx.policy, req, &actor).await {
        Ok(alert) => Ok(see_other(&format!("/drafts/{}", alert.id))),
        Err(e) => {
            let message = super::error::refusal(e)?;
            advisory_page(&ctx, &viewer, id, Some(message), form.audience.clone()).await
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(triage).service(advisory).service(make_draft);
}
