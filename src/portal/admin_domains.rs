//! The hub administrator keeps each organisation's mail domains (`/admin/domains`): an address
//! at one of them is the organisation's own — a contact there needs no confirmation, a
//! メールマガジン reader there may be vouched for by it. The page suggests the domains of the
//! organisations' verified contact addresses that are not registered yet (never a carrier's or
//! web-mail's); registering is one click and audited.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render_refused};
use super::parts::CsrfForm;
use super::viewer::{Nav, Section, Viewer};
use crate::context::AppContext;
use crate::registry::{OrgCode, OrgId};

pub struct DomainLine {
    pub id: i64,
    pub code: String,
    pub org: String,
    pub domain: String,
    pub registered: String,
    pub by: String,
}

pub struct Suggestion {
    pub code: String,
    pub org: String,
    pub domain: String,
}

#[derive(Template)]
#[template(path = "portal/admin_domains.html")]
struct DomainsPage {
    nav: Nav,
    domains: Vec<DomainLine>,
    suggestions: Vec<Suggestion>,
    notice: Option<String>,
    error: Option<String>,
}

/// Suggestions shown at most.
const SUGGESTIONS: usize = 200;

async fn page(
    ctx: &AppContext,
    viewer: &Viewer,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let orgs: std::collections::HashMap<OrgId, (String, String)> =
        crate::registry::store::list(&ctx.db, Default::default())
            .await?
            .into_iter()
            .map(|o| (o.id, (o.code.to_string(), o.full_name())))
            .collect();
    let held = crate::registry::domains::all(&ctx.db).await?;
    let registered: std::collections::HashSet<String> =
        held.iter().map(|d| d.domain.to_string()).collect();
    let name = |id: OrgId| orgs.get(&id).cloned().unwrap_or_default();
    let domains = held
        .into_iter()
        .map(|d| {
            let (code, org) = name(d.org_id);
            DomainLine {
                id: d.id,
                code,
                org,
                domain: d.domain.to_string(),
                registered: viewer.when(&d.created_at),
                by: d.created_by,
            }
        })
        .collect();
    let ids: Vec<OrgId> = orgs.keys().copied().collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut suggestions = Vec::new();
    for c in crate::contacts::store::active_for(&ctx.db, &ids).await? {
        let domain = c.email.domain().to_ascii_lowercase();
        if c.verified.is_none()
            || registered
                .iter()
                .any(|r| crate::domain::MailDomain::parse(r).is_ok_and(|r| r.covers(&domain)))
            || crate::domain::MailDomain::parse(&domain).is_err()
            || !seen.insert((c.org_id, domain.clone()))
        {
            continue;
        }
        let (code, org) = name(c.org_id);
        suggestions.push(Suggestion { code, org, domain });
        if suggestions.len() >= SUGGESTIONS {
            break;
        }
    }
    let refused = error.is_some();
    render_refused(
        &DomainsPage {
            nav: viewer.nav(),
            domains,
            suggestions,
            notice,
            error,
        },
        refused,
    )
}

#[get("/admin/domains")]
async fn list(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::HubAdmin)?;
    page(&ctx, &viewer, None, None).await
}

#[derive(serde::Deserialize)]
struct AddForm {
    csrf: String,
    org: String,
    domain: String,
}

#[post("/admin/domains")]
async fn add(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::HubAdmin)?;
    let lang = viewer.lang;
    let org = match OrgCode::parse(form.org.trim()) {
        Ok(code) => crate::registry::store::find_by_code(&ctx.db, code).await?,
        Err(_) => None,
    };
    let Some(org) = org else {
        let e = lang.tr1("団体コード `{}` の団体はありません。", form.org.trim());
        return page(&ctx, &viewer, None, Some(e)).await;
    };
    match crate::contacts::domains::add(&ctx.db, &org, &form.domain, &viewer.actor(), Utc::now())
        .await
    {
        Ok((held, verified)) => {
            let n = lang.trn(
                "{} のドメインに {} を登録しました（確認済みになったアドレス {} 件）。",
                &[&org.full_name(), &held.domain, &verified],
            );
            page(&ctx, &viewer, Some(n), None).await
        }
        Err(crate::contacts::domains::DomainError::Unexpected(e)) => Err(e.into()),
        Err(e) => {
            let e = lang.tr1("ドメインを登録できません: {}", lang.message(&e.to_string()));
            page(&ctx, &viewer, None, Some(e)).await
        }
    }
}

#[post("/admin/domains/{id}/remove")]
async fn remove(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::HubAdmin)?;
    let id = path.into_inner();
    let held = crate::registry::domains::all(&ctx.db)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(PortalError::NotFound)?;
    let org = crate::registry::store::find_by_id(&ctx.db, held.org_id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let gone = crate::contacts::domains::remove(&ctx.db, &org, id, &viewer.actor()).await?;
    let n = viewer.lang.tr2(
        "{} のドメイン {} の登録を外しました。",
        org.full_name(),
        gone.domain,
    );
    page(&ctx, &viewer, Some(n), None).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(add).service(remove);
}
