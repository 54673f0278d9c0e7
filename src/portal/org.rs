//! Organisation settings for its administrators: mail contacts, product inventory, users and API
//! tokens. Every form acts on the viewer's own organisation only; ids from the form are looked
//! up within it, so another organisation's contact, product, user or token cannot be touched.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use secrecy::ExposeSecret;

use super::error::{PortalError, render_refused};
use super::i18n::Lang;
use super::viewer::{Nav, Section, Viewer};
use super::{CsrfForm, Opt, ToggleForm};
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
}

pub struct ProductLine {
    pub id: i64,
    pub label: String,
    pub cpe: String,
    pub note: String,
}

pub struct UserLine {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub disabled: bool,
    pub is_me: bool,
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
struct SettingsPage {
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
}

fn contact_kind_label(k: ContactKind, lang: Lang) -> &'static str {
    match k {
        ContactKind::Primary => lang.tr("正"),
        ContactKind::Backup => lang.tr("副"),
        ContactKind::Role => lang.tr("組織アドレス"),
    }
}

/// Roles the viewer may hand out in their own organisation: never more than their own
/// (`Role::may_grant`, the same rule that decides whom they may manage).
fn grantable(viewer: &Viewer) -> Vec<Role> {
    let mine = viewer.session.user.role;
    ALL_ROLES
        .into_iter()
        .filter(|r| r.fits(viewer.org.kind).is_ok())
        .filter(|r| mine.may_grant(*r))
        .collect()
}

/// What a form post leads to: a message for the page, or a secret to show once.
enum Outcome {
    Notice(String),
    Error(String),
    Secret(String, Shown),
}

async fn page(
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
            id: u.id.0,
            is_me: u.id == viewer.session.user.id,
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
async fn show(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::OrgSettings)?;
    page(&ctx, &viewer, None).await
}

/// Checks the role and the CSRF token of a settings form.
fn guard(viewer: &Viewer, csrf: &str) -> Result<Actor, PortalError> {
    viewer.check_csrf(csrf)?;
    viewer.require(Section::OrgSettings)?;
    Ok(viewer.actor())
}

#[derive(serde::Deserialize)]
pub struct ContactForm {
    csrf: String,
    email: String,
    kind: String,
    language: String,
    encoding: String,
}

#[post("/settings/contacts")]
async fn add_contact(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let parsed = (|| {
        Ok::<_, String>((
            EmailAddress::parse(&form.email).map_err(|e| e.to_string())?,
            ContactKind::parse(&form.kind)?,
            Language::parse(&form.language)?,
            MailEncoding::parse(&form.encoding)?,
        ))
    })();
    let outcome = match parsed {
        Err(e) => Outcome::Error(viewer.lang.tr1("連絡先を追加できません: {}", e)),
        Ok((email, kind, language, encoding)) => {
            match contacts::add_contact(
                &ctx.db,
                viewer.org.code,
                email.clone(),
                kind,
                language,
                encoding,
                &actor,
            )
            .await
            {
                Ok(_) => Outcome::Notice(viewer.lang.tr1("{} を連絡先に追加しました。", email)),
                Err(contacts::ContactError::Unexpected(e)) => return Err(e.into()),
                Err(e) => Outcome::Error(viewer.lang.tr1("連絡先を追加できません: {}", e)),
            }
        }
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/contacts/{id}/active")]
async fn toggle_contact(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<ToggleForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let active = form.active(viewer.lang)?;
    let id = path.into_inner();
    let outcome = match contacts::set_active(&ctx.db, viewer.org.code, id, active, &actor).await {
        Ok(()) if active => Outcome::Notice(viewer.lang.tr("連絡先を有効にしました。").into()),
        Ok(()) => Outcome::Notice(
            viewer
                .lang
                .tr("連絡先を停止しました（配信されません）。")
                .into(),
        ),
        Err(contacts::ContactError::Unexpected(e)) => return Err(e.into()),
        Err(_) => return Err(PortalError::NotFound),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[derive(serde::Deserialize)]
pub struct ProductForm {
    csrf: String,
    #[serde(default)]
    cpe: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    versions: String,
    #[serde(default)]
    note: String,
}

#[post("/settings/inventory")]
async fn add_product(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let form = form.into_inner();
    let some = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let req = AddItem {
        org: Some(viewer.org.code),
        cpe: some(form.cpe),
        vendor: some(form.vendor),
        product: some(form.product),
        versions: some(form.versions),
        note: some(form.note),
    };
    let outcome = match inventory::add_item(&ctx.db, req, &actor).await {
        Ok(item) => Outcome::Notice(viewer.lang.tr1("{} を登録しました。", item.label())),
        Err(inventory::InventoryError::Unexpected(e)) => return Err(e.into()),
        Err(e) => Outcome::Error(viewer.lang.tr1("製品を登録できません: {}", e)),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/inventory/{id}/remove")]
async fn remove_product(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    if !inventory::remove_item(&ctx.db, &viewer.org, path.into_inner(), &actor).await? {
        return Err(PortalError::NotFound);
    }
    page(
        &ctx,
        &viewer,
        Some(Outcome::Notice(
            viewer.lang.tr("製品を削除しました。").into(),
        )),
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct UserForm {
    csrf: String,
    email: String,
    #[serde(default)]
    name: String,
    role: String,
}

#[post("/settings/users")]
async fn add_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let role = Role::parse(&form.role)
        .ok()
        .filter(|r| grantable(&viewer).contains(r));
    let Some(role) = role else {
        return page(
            &ctx,
            &viewer,
            Some(Outcome::Error(
                viewer.lang.tr1("役割 `{}` は付与できません。", &form.role),
            )),
        )
        .await;
    };
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => {
            let outcome = Outcome::Error(viewer.lang.tr1("利用者を追加できません: {}", e));
            return page(&ctx, &viewer, Some(outcome)).await;
        }
    };
    let temporary = auth::temporary_password(&ctx.settings.auth);
    let req = AddUser {
        org: viewer.org.code,
        role,
        email,
        display_name: Some(form.name.clone()),
        password: temporary.clone(),
    };
    let outcome = match auth::add_user_with_temporary_password(
        &ctx.db,
        &ctx.settings.auth,
        req,
        &actor,
    )
    .await
    {
        Ok((user, _)) => Outcome::Secret(
            viewer.lang.tr1("{} を追加しました。", &user.email),
            Shown {
                what: viewer.lang.tr1("{} の初期パスワード", &user.email),
                secret: temporary.expose_secret().to_owned(),
                uses: Vec::new(),
            },
        ),
        Err(auth::AddUserError::Unexpected(e)) => return Err(e.into()),
        Err(e) => Outcome::Error(viewer.lang.tr1("利用者を追加できません: {}", e)),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

/// A user of the viewer's own organisation, or 404 (whom the viewer may manage is decided by
/// `auth`, which answers "not found" for the rest too).
async fn own_user(ctx: &AppContext, viewer: &Viewer, id: i64) -> Result<UserId, PortalError> {
    match auth::store::find_by_id(&ctx.db, UserId(id)).await? {
        Some(u) if u.org_id == viewer.org.id => Ok(u.id),
        _ => Err(PortalError::NotFound),
    }
}

#[post("/settings/users/{id}/disabled")]
async fn toggle_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<ToggleForm>,
) -> Result<HttpResponse, PortalError> {
    guard(&viewer, &form.csrf)?;
    let target = own_user(&ctx, &viewer, path.into_inner()).await?;
    let disabled = !form.active(viewer.lang)?;
    let outcome = match auth::set_disabled(&ctx.db, &viewer.session.user, target, disabled).await {
        Ok(u) if disabled => Outcome::Notice(viewer.lang.tr1(
            "{} を停止しました。ログイン中の画面も無効になります。",
            &u.email,
        )),
        Ok(u) => Outcome::Notice(viewer.lang.tr1("{} を再開しました。", &u.email)),
        Err(auth::ManageUserError::Unexpected(e)) => return Err(e.into()),
        Err(auth::ManageUserError::NotFound) => return Err(PortalError::NotFound),
        Err(auth::ManageUserError::Own) => Outcome::Error(
            viewer
                .lang
                .tr("自分自身のアカウントは停止できません。")
                .into(),
        ),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/users/{id}/reset")]
async fn reset_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    guard(&viewer, &form.csrf)?;
    let target = own_user(&ctx, &viewer, path.into_inner()).await?;
    let outcome =
        match auth::reset_password(&ctx.db, &ctx.settings.auth, &viewer.session.user, target).await
        {
            Ok((u, temporary)) => Outcome::Secret(
                viewer
                    .lang
                    .tr1("{} のパスワードを再発行しました。", &u.email),
                Shown {
                    what: viewer.lang.tr1("{} の新しいパスワード", &u.email),
                    secret: temporary.expose_secret().to_owned(),
                    uses: Vec::new(),
                },
            ),
            Err(auth::ManageUserError::Unexpected(e)) => return Err(e.into()),
            Err(auth::ManageUserError::NotFound) => return Err(PortalError::NotFound),
            Err(auth::ManageUserError::Own) => Outcome::Error(
                viewer
                    .lang
                    .tr("自分のパスワードは「パスワード変更」から変更してください。")
                    .into(),
            ),
        };
    page(&ctx, &viewer, Some(outcome)).await
}

#[derive(serde::Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
    #[serde(default)]
    scope_read: Option<String>,
    #[serde(default)]
    scope_acknowledge: Option<String>,
    #[serde(default)]
    scope_report: Option<String>,
    /// Days, or empty for no expiry.
    #[serde(default)]
    days: String,
}

#[post("/settings/tokens")]
async fn create_token(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let scopes = [
        (form.scope_read.is_some(), Scope::Read),
        (form.scope_acknowledge.is_some(), Scope::Acknowledge),
        (form.scope_report.is_some(), Scope::Report),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    let days = match form.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let outcome = Outcome::Error(viewer.lang.tr2(
                    "有効期間は日数（1〜{}）で指定してください（`{}`）。",
                    tokens::MAX_DAYS,
                    d,
                ));
                return page(&ctx, &viewer, Some(outcome)).await;
            }
        },
    };
    let new = NewToken {
        org: viewer.org.id,
        name: form.name.clone(),
        scopes,
        days,
    };
    let outcome = match tokens::create(&ctx.db, new, &actor).await {
        Ok((token, stored)) => {
            let base = ctx.settings.app.base_url.as_str().trim_end_matches('/');
            let mut uses = Vec::new();
            if stored.allows(tokens::Scope::Read) {
                for f in ["rss", "atom", "json"] {
                    uses.push(format!("{base}/feeds/{token}/alerts.{f}"));
                }
                if viewer.org.kind == crate::registry::OrgKind::Prefecture {
                    uses.push(format!("{base}/feeds/{token}/prefecture.rss"));
                }
            }
            uses.push(format!(
                "curl -H 'Authorization: Bearer {token}' {base}/api/v1/alerts"
            ));
            Outcome::Secret(
                viewer
                    .lang
                    .tr1("トークン「{}」を発行しました。", &stored.name),
                Shown {
                    what: viewer
                        .lang
                        .tr("トークン（この画面でしか表示されません。控えてください）")
                        .into(),
                    secret: token,
                    uses,
                },
            )
        }
        Err(tokens::TokenError::Unexpected(e)) => return Err(e.into()),
        Err(e) => Outcome::Error(viewer.lang.tr1("トークンを発行できません: {}", e)),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/tokens/{id}/revoke")]
async fn revoke_token(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    if !tokens::revoke(&ctx.db, viewer.org.id, path.into_inner(), &actor).await? {
        return Err(PortalError::NotFound);
    }
    page(
        &ctx,
        &viewer,
        Some(Outcome::Notice(
            viewer
                .lang
                .tr("トークンを失効させました。以後このトークンでは何も取得できません。")
                .into(),
        )),
    )
    .await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(add_contact)
        .service(toggle_contact)
        .service(add_product)
        .service(remove_product)
        .service(add_user)
        .service(toggle_user)
        .service(reset_user)
        .service(create_token)
        .service(revoke_token);
}
