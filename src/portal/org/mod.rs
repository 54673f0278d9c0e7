//! Organisation settings for its administrators: mail contacts, product inventory, users and API
//! tokens. Every form acts on the viewer's own organisation only; ids from the form are looked
//! up within it, so another organisation's contact, product, user or token cannot be touched.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use secrecy::ExposeSecret;

use super::error::{PortalError, render_refused};
use super::i18n::Lang;
use super::parts::{CsrfForm, Opt, ToggleForm};
use super::viewer::{Nav, Section, Viewer};
use crate::audit::Actor;
use crate::auth::tokens::{self, ALL_SCOPES, NewToken, Scope};
use crate::auth::{self, ALL_ROLES, AddUser, EmailAddress, Role, UserId};
use crate::contacts::{self, ContactKind, Language, MailEncoding};
use crate::context::AppContext;
use crate::inventory::{self, AddItem};

pub struct ContactLine {
    pub id: i64,
    pub email: String,
    pub kind: &'static str,
    pub language: &'static str,
    pub encoding: &'static str,
    pub active: bool,
    /// 到達状況: ok, bounced n times, unreachable, unconfirmed.
    pub health: String,
    pub attention: bool,
    /// Verified: may receive more than TLP:CLEAR. Otherwise its owner was asked to confirm it.
    pub verified: bool,
    /// At a mobile carrier's or a web-mail domain (said beside the address).
    pub personal: bool,
}

/// A self-subscribed メールマガジン reader of the organisation.
pub struct SubscriberLine {
    pub id: i64,
    pub email: String,
    pub vouched: bool,
}

pub struct ProductLine {
    pub id: i64,
    pub label: String,
    pub cpe: String,
    pub note: String,
}

pub struct UserLine {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub disabled: bool,
    pub is_me: bool,
    /// The viewer may manage this user (`User::may_manage`): only then are its buttons shown.
    pub manageable: bool,
    /// Waiting for a hub administrator to enable it.
    pub awaiting: bool,
    pub second_factor: bool,
}

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub live: bool,
}

/// A secret shown exactly once, right after it was made.
pub struct Shown {
    pub what: String,
    pub secret: String,
    /// Where the secret is used (feed addresses for a token).
    pub uses: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/org_settings.html")]
pub(super) struct SettingsPage {
    nav: Nav,
    org_name: String,
    notice: Option<String>,
    error: Option<String>,
    shown: Option<Shown>,
    contacts: Vec<ContactLine>,
    products: Vec<ProductLine>,
    users: Vec<UserLine>,
    tokens: Vec<TokenLine>,
    roles: Vec<Opt>,
    scopes: Vec<Opt>,
    /// The mail domains the organisation holds (kept by the hub administrators).
    domains: Vec<String>,
    subscribers: Vec<SubscriberLine>,
    /// Its own 問合せ先 (empty: the centre's is used).
    inquiry_line: String,
}

pub(super) fn contact_kind_label(k: ContactKind, lang: Lang) -> &'static str {
    match k {
        ContactKind::Primary => lang.tr("正"),
        ContactKind::Backup => lang.tr("副"),
        ContactKind::Role => lang.tr("組織アドレス"),
    }
}

/// Roles the viewer may hand out in their own organisation: never more than their own
/// (`Role::may_grant`, the same rule that decides whom they may manage).
pub(super) fn grantable(viewer: &Viewer) -> Vec<Role> {
    let mine = viewer.session.user.role;
    ALL_ROLES
        .into_iter()
        .filter(|r| r.fits(viewer.org.kind).is_ok())
        .filter(|r| mine.may_grant(*r))
        .collect()
}

/// What a form post leads to: a message for the page, or a secret to show once.
pub(super) enum Outcome {
    Notice(String),
    Error(String),
    Secret(String, Shown),
}

pub(super) async fn page(
    ctx: &AppContext,
    viewer: &Viewer,
    outcome: Option<Outcome>,
) -> Result<HttpResponse, PortalError> {
    let org = viewer.org.id;
    let lang = viewer.lang;
    let now = chrono::Utc::now();
    let contacts = contacts::store::list_for_org(&ctx.db, org)
        .await?
        .into_iter()
        .map(|c| ContactLine {
            id: c.id,
            email: c.email.to_string(),
            kind: contact_kind_label(c.kind, lang),
            language: match c.language {
                Language::Ja => "日本語",
                Language::En => "English",
            },
            encoding: c.encoding.as_str(),
            active: c.active,
            verified: c.verified.is_some(),
            personal: crate::domain::is_personal_provider(c.email.domain()),
            attention: !matches!(c.health(now), contacts::Health::Ok),
            health: match c.health(now) {
                contacts::Health::Ok => lang.tr1(
                    "確認済み（{}）",
                    c.confirmed_at
                        .as_ref()
                        .map(|t| viewer.when(t))
                        .unwrap_or_default(),
                ),
                contacts::Health::Bounced(n) => lang.tr1("不達 {} 回", n),
                contacts::Health::Unreachable => lang.tr("届きません（不達が続いています）").into(),
                contacts::Health::Unconfirmed => match &c.confirmed_at {
                    Some(t) => lang.tr1("12か月以上未確認（{}）", viewer.when(t)),
                    None => lang.tr("未確認").into(),
                },
            },
        })
        .collect();
    let products = inventory::store::list_for_org(&ctx.db, org)
        .await?
        .into_iter()
        .map(|p| ProductLine {
            id: p.id,
            label: p.label(),
            cpe: p.cpe_text.clone().unwrap_or_default(),
            note: p.note.clone().unwrap_or_default(),
        })
        .collect();
    let users = auth::store::list_for_org(&ctx.db, org)
        .await?
        .into_iter()
        .map(|u| UserLine {
            id: u.id,
            is_me: u.id == viewer.session.user.id,
            manageable: viewer.session.user.may_manage(&u),
            awaiting: u.awaiting_enable,
            second_factor: u.second_factor,
            email: u.email.to_string(),
            name: u.display_name,
            role: lang.role(u.role),
            disabled: u.disabled,
        })
        .collect();
    let jst = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
        t.map_or_else(|| none.to_owned(), |t| viewer.when(&t))
    };
    let tokens = tokens::list_for_org(&ctx.db, org)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            live: t.is_live(now),
            scopes: t
                .scopes
                .iter()
                .map(|s| lang.tr(s.label_ja()))
                .collect::<Vec<_>>()
                .join(lang.tr("、")),
            created: viewer.when(&t.created_at),
            expires: jst(t.expires_at, lang.tr("無期限")),
            last_used: jst(t.last_used_at, lang.tr("未使用")),
            name: t.name,
            prefix: t.prefix,
        })
        .collect();
    let domains = crate::registry::domains::of(&ctx.db, org)
        .await?
        .into_iter()
        .map(|d| d.domain.to_string())
        .collect();
    let subscribers = crate::magazine::subscribers::of_organisation(&ctx.db, org)
        .await?
        .into_iter()
        .map(|s| SubscriberLine {
            id: s.id,
            email: s.email.to_string(),
            vouched: s.vouched_by.is_some(),
        })
        .collect();
    let inquiry_line = crate::registry::store::inquiry_line(&ctx.db, org)
        .await?
        .unwrap_or_default();
    let (notice, error, shown) = match outcome {
        None => (None, None, None),
        Some(Outcome::Notice(n)) => (Some(n), None, None),
        Some(Outcome::Error(e)) => (None, Some(e), None),
        Some(Outcome::Secret(n, s)) => (Some(n), None, Some(s)),
    };
    let refused = error.is_some();
    render_refused(
        &SettingsPage {
            nav: viewer.nav(),
            org_name: viewer.org.full_name(),
            notice,
            error,
            shown,
            contacts,
            products,
            users,
            tokens,
            domains,
            subscribers,
            inquiry_line,
            roles: grantable(viewer)
                .into_iter()
                .map(|r| Opt {
                    value: r.as_str(),
                    label: lang.role(r),
                    selected: r == Role::Member,
                })
                .collect(),
            scopes: ALL_SCOPES
                .into_iter()
                .map(|s| Opt {
                    value: s.as_str(),
                    label: lang.tr(s.label_ja()),
                    selected: s == Scope::Read,
                })
                .collect(),
        },
        refused,
    )
}

#[get("/settings")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::OrgSettings)?;
    page(&ctx, &viewer, None).await
}

/// Checks the role and the CSRF token of a settings form.
pub(super) fn guard(viewer: &Viewer, csrf: &str) -> Result<Actor, PortalError> {
    viewer.check_csrf(csrf)?;
    viewer.require(Section::OrgSettings)?;
    Ok(viewer.actor())
}

mod addresses;
mod api_tokens;
mod inquiry_line;
mod products;
mod readers;
mod users;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(addresses::add_contact)
        .service(addresses::toggle_contact)
        .service(addresses::ask_again)
        .service(readers::vouch)
        .service(products::add_product)
        .service(products::remove_product)
        .service(users::add_user)
        .service(users::toggle_user)
        .service(users::reset_user)
        .service(api_tokens::create_token)
        .service(api_tokens::revoke_token)
        .service(inquiry_line::set_line);
}
