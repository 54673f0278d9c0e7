//! The viewer's own settings. For now the password change.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use secrecy::SecretString;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::viewer::{Nav, Viewer};
use crate::auth::password::{MAX_PASSWORD_LENGTH, PasswordError};
use crate::auth::session::{ChangePasswordError, change_password};
use crate::context::AppContext;

#[derive(Template)]
#[template(path = "portal/password.html")]
struct PasswordPage {
    nav: Nav,
    min_length: usize,
    error: Option<String>,
    done: bool,
    /// The password was set by an administrator: nothing else opens until it is changed.
    required: bool,
}

/// Why a new password was refused, in the viewer's language.
fn policy_message(e: &PasswordError, lang: Lang) -> String {
    match e {
        PasswordError::TooShort(n) => lang.tr1(
            "新しいパスワードが短すぎます（{} 文字以上にしてください）。",
            n,
        ),
        PasswordError::TooLong => lang.tr1(
            "新しいパスワードが長すぎます（{} 文字までにしてください）。",
            MAX_PASSWORD_LENGTH,
        ),
        PasswordError::Blank => lang.tr("新しいパスワードが空白だけです。").into(),
    }
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

#[get("/settings/password")]
async fn show_password(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
) -> Result<HttpResponse, PortalError> {
    render(&PasswordPage {
        nav: viewer.nav(),
        min_length: ctx.settings.auth.min_password_length,
        error: None,
        done: false,
        required: viewer.session.user.must_change_password,
    })
}

#[post("/settings/password")]
async fn change_own_password(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let secret = |s: &str| SecretString::from(s.to_owned());
    let result = change_password(
        &ctx.db,
        &ctx.settings.auth,
        &ctx.login_gate,
        &viewer.session,
        &secret(&form.current),
        &secret(&form.new),
        &secret(&form.repeat),
    )
    .await;
    let min_length = ctx.settings.auth.min_password_length;
    let error = match result {
        Ok(()) => None,
        Err(ChangePasswordError::Unexpected(e)) => return Err(PortalError::Unexpected(e)),
        Err(ChangePasswordError::WrongCurrent) => Some(
            viewer
                .lang
                .tr("現在のパスワードが正しくありません。")
                .into(),
        ),
        Err(ChangePasswordError::Mismatch) => Some(
            viewer
                .lang
                .tr("新しいパスワードが確認欄と一致しません。")
                .into(),
        ),
        Err(ChangePasswordError::Policy(e)) => Some(policy_message(&e, viewer.lang)),
    };
    let refused = error.is_some();
    render_refused(
        &PasswordPage {
            nav: viewer.nav(),
            min_length,
            done: !refused,
            required: refused && viewer.session.user.must_change_password,
            error,
        },
        refused,
    )
}

#[derive(serde::Deserialize)]
pub struct DatesParams {
    style: String,
    #[serde(default)]
    next: String,
}

/// Writes dates in 西暦 or 和暦 from now on, in this browser. Only a cookie changes (no server
/// state), so a plain link does it; it returns to the page it was chosen on.
#[get("/preferences/dates")]
async fn date_style(
    ctx: web::Data<AppContext>,
    params: web::Query<DatesParams>,
) -> Result<HttpResponse, PortalError> {
    let style = crate::time::DateStyle::from_code(&params.style).ok_or_else(|| {
        PortalError::BadRequest(format!(
            "日付の書き方は western（西暦）か wareki（和暦）で指定してください（`{}`）",
            params.style
        ))
    })?;
    Ok(remember(
        &ctx,
        super::viewer::DATES_COOKIE,
        style.as_str(),
        &params.next,
    ))
}

/// A browser preference kept in a cookie for 400 days, then back to the local page `next`.
fn remember(ctx: &AppContext, name: &'static str, value: &str, next: &str) -> HttpResponse {
    let mut cookie = super::viewer::cookie(ctx, name, value.to_owned());
    cookie.set_max_age(actix_web::cookie::time::Duration::days(400));
    HttpResponse::SeeOther()
        .insert_header((
            actix_web::http::header::LOCATION,
            super::viewer::local_path(next),
        ))
        .cookie(cookie)
        .finish()
}

#[derive(serde::Deserialize)]
pub struct LangParams {
    lang: String,
    #[serde(default)]
    next: String,
}

/// Shows the portal in Japanese or English from now on, in this browser (a cookie, like the
/// date style); returns to the page it was chosen on.
#[get("/preferences/lang")]
async fn language(
    ctx: web::Data<AppContext>,
    params: web::Query<LangParams>,
) -> Result<HttpResponse, PortalError> {
    let lang = super::i18n::Lang::parse(&params.lang).map_err(|_| {
        PortalError::BadRequest(format!(
            "言語は ja（日本語）か en（English）で指定してください / choose ja or en (`{}`)",
            params.lang
        ))
    })?;
    Ok(remember(
        &ctx,
        super::i18n::LANG_COOKIE,
        lang.as_str(),
        &params.next,
    ))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(date_style).service(language);
    cfg.service(show_password).service(change_own_password);
}
