//! 連絡先確認 in the portal: the one-click confirmation page a campaign mail links to (the token
//! is the credential, as for acknowledgement links), an organisation admin's "confirm" on the
//! settings page, and the coverage page where central staff see every local government and a
//! prefecture administrator its own, with the organisations that have no address, only
//! unreachable addresses, or none confirmed for twelve months, and start a campaign.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render};
use super::i18n::Lang;
use super::parts::CsrfForm;
use super::viewer::{Nav, Section, Viewer};
use crate::contacts::confirm::{self, Gap, VALID_DAYS, day_of};
use crate::context::AppContext;
use crate::registry::{OrgKind, Organisation};

#[derive(Template)]
#[template(path = "portal/contact_confirm.html")]
struct ConfirmPage {
    lang: Lang,
    token: String,
    org_name: String,
    email: String,
    /// When the address was last confirmed.
    last: String,
    done: Option<String>,
}

/// The address a confirmation token names (`c<contact>-<day>-<check>`), with its organisation.
async fn contact_of_token(
    ctx: &AppContext,
    token: &str,
    lang: Lang,
) -> Result<(Organisation, crate::contacts::Contact), PortalError> {
    if token.len() > 80 {
        return Err(PortalError::NotFound);
    }
    let id = ctx
        .mailer
        .verp
        .contact_token_of(token, day_of(Utc::now()), VALID_DAYS)
        .map_err(|expired| {
            if expired {
                PortalError::Gone(
                    lang.tr("この確認用リンクは有効期限が切れています。団体の管理者がポータルの「設定」から確認してください。")
                        .into(),
                )
            } else {
                PortalError::NotFound
            }
        })?;
    let contact = crate::contacts::store::get(&ctx.db, id)
        .await?
        .filter(|c| c.active)
        .ok_or(PortalError::NotFound)?;
    let org = crate::registry::store::find_by_id(&ctx.db, contact.org_id)
        .await?
        .ok_or(PortalError::NotFound)?;
    Ok((org, contact))
}

fn confirm_page(
    token: &str,
    org: &Organisation,
    contact: &crate::contacts::Contact,
    lang: Lang,
    done: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let mut response = render(&ConfirmPage {
        lang,
        token: token.to_owned(),
        org_name: org.full_name(),
        email: contact.email.to_string(),
        last: contact
            .confirmed_at
            .as_ref()
            .map(crate::time::format_jst)
            .unwrap_or_else(|| lang.tr("未確認").to_owned()),
        done,
    })?;
    // The address is a credential: never leak it to another site.
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[get("/contacts/confirm/{token}")]
async fn show_confirm(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let (org, contact) = contact_of_token(&ctx, &token, lang).await?;
    confirm_page(&token, &org, &contact, lang, None)
}

#[post("/contacts/confirm/{token}")]
async fn do_confirm(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let (org, contact) = contact_of_token(&ctx, &token, lang).await?;
    let actor = crate::audit::Actor::ConfirmLink {
        org_code: org.code.to_string(),
    };
    let confirmed = confirm::confirm_address(&ctx.db, &org, contact.id, &actor, Utc::now())
        .await?
        .ok_or(PortalError::NotFound)?;
    confirm_page(
        &token,
        &org,
        &confirmed,
        lang,
        Some(
            lang.tr("このアドレスを確認済みにしました。ありがとうございました。")
                .to_owned(),
        ),
    )
}

/// An organisation admin confirms the organisation's addresses from the settings page.
#[post("/settings/contacts/confirm")]
async fn confirm_own(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::OrgSettings)?;
    confirm::confirm(&ctx.db, &viewer.org, &viewer.actor(), Utc::now()).await?;
    Ok(super::parts::see_other("/settings#contacts"))
}

pub struct GapLine {
    pub code: String,
    pub name: String,
    pub gap: String,
}

#[derive(Template)]
#[template(path = "portal/contact_coverage.html")]
struct CoveragePage {
    nav: Nav,
    scope: String,
    organisations: usize,
    no_address: usize,
    only_unreachable: usize,
    unconfirmed: usize,
    gaps: Vec<GapLine>,
    notice: Option<String>,
}

/// The organisations the viewer oversees: every local government for central staff, its own
/// prefecture and municipalities for a prefecture administrator.
async fn overseen(
    ctx: &AppContext,
    viewer: &Viewer,
) -> Result<(String, Vec<Organisation>), PortalError> {
    viewer.require(Section::Stats)?;
    let all = crate::registry::store::list(&ctx.db, Default::default()).await?;
    if viewer.session.user.role.is_central() {
        let orgs = all
            .into_iter()
            .filter(|o| o.kind != OrgKind::Central)
            .collect();
        return Ok((viewer.lang.tr("全国").to_owned(), orgs));
    }
    let own = viewer.org.id;
    let orgs = all
        .into_iter()
        .filter(|o| o.id == own || o.parent_id == Some(own))
        .collect();
    Ok((viewer.org.full_name(), orgs))
}

async fn coverage_page(
    ctx: &AppContext,
    viewer: &Viewer,
    notice: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let (scope, orgs) = overseen(ctx, viewer).await?;
    let gaps = confirm::coverage(&ctx.db, &orgs, Utc::now()).await?;
    let lang = viewer.lang;
    let count = |f: fn(&Gap) -> bool| gaps.iter().filter(|(_, g)| f(g)).count();
    render(&CoveragePage {
        nav: viewer.nav(),
        scope,
        organisations: orgs.len(),
        no_address: count(|g| *g == Gap::NoAddress),
        only_unreachable: count(|g| *g == Gap::OnlyUnreachable),
        unconfirmed: count(|g| matches!(g, Gap::Unconfirmed(_))),
        gaps: gaps
            .iter()
            .map(|(o, g)| GapLine {
                code: o.code.to_string(),
                name: o.full_name(),
                gap: match g {
                    Gap::NoAddress => lang.tr("配信先アドレスがありません").to_owned(),
                    Gap::OnlyUnreachable => lang.tr("届かないアドレスしかありません").to_owned(),
                    Gap::Unconfirmed(None) => lang.tr("一度も確認されていません").to_owned(),
                    Gap::Unconfirmed(Some(t)) => lang.tr1("最後の確認: {}", viewer.when(t)),
                },
            })
            .collect(),
        notice,
    })
}

#[get("/contacts/coverage")]
async fn coverage(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    coverage_page(&ctx, &viewer, None).await
}

#[derive(serde::Deserialize)]
struct CampaignForm {
    csrf: String,
    /// `gaps` (default) or `everyone`.
    #[serde(default)]
    reach: String,
    /// Present on the second step: the sender saw what will go out.
    #[serde(default)]
    confirmed: String,
}

#[derive(Template)]
#[template(path = "portal/contact_campaign.html")]
struct CampaignPage {
    nav: Nav,
    scope: String,
    reach: &'static str,
    plan: String,
}

/// Central staff (every local government) or a prefecture administrator (its own) send the
/// confirmation requests: the first POST shows what would go out, the second (with
/// `confirmed`) sends it; once a day per scope.
#[post("/contacts/coverage/campaign")]
async fn campaign(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let (scope_name, orgs) = overseen(&ctx, &viewer).await?;
    let (reach, reach_id) = match form.reach.as_str() {
        "everyone" => (confirm::Reach::Everyone, "everyone"),
        _ => (confirm::Reach::Gaps, "gaps"),
    };
    let now = Utc::now();
    if form.confirmed != "yes" {
        let plan = confirm::plan_campaign(&ctx.db, &orgs, reach, now).await?;
        return render(&CampaignPage {
            nav: viewer.nav(),
            scope: scope_name,
            reach: reach_id,
            plan: viewer.lang.trn(
                "{} 団体の {} 件のアドレスに確認依頼のメールを送ります（アドレスのない団体 {}）。",
                &[&plan.organisations, &plan.mails, &plan.without_address],
            ),
        });
    }
    let scope = if viewer.session.user.role.is_central() {
        "all".to_owned()
    } else {
        format!("org:{}", viewer.org.code)
    };
    let notice = match confirm::start_campaign(
        &ctx.db,
        &ctx.contact_links(),
        &orgs,
        &scope,
        reach,
        &viewer.actor(),
        now,
    )
    .await?
    {
        confirm::Started::Queued(c) => viewer.lang.trn(
            "{} 団体の {} 件の連絡先に確認を依頼しました（アドレスのない団体 {}）。",
            &[&c.organisations, &c.mails, &c.without_address],
        ),
        confirm::Started::AlreadyToday => viewer
            .lang
            .tr("この範囲の確認依頼は本日すでに送っています。同じ日に二度は送りません。")
            .to_owned(),
    };
    coverage_page(&ctx, &viewer, Some(notice)).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_confirm)
        .service(do_confirm)
        .service(confirm_own)
        .service(coverage)
        .service(campaign);
}
