//! Login and logout. The login form carries its own CSRF token (a cookie and a hidden field that
//! must match), so another site cannot sign a browser in to an account of its choosing.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use secrecy::SecretString;

use super::error::{PortalError, render};
use super::viewer::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, cookie, local_path, removal};
use crate::auth::session::{self, LoginError};
use crate::context::AppContext;

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    t: &'static super::i18n::Ui,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LoginParams {
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

#[derive(serde::Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

fn login_page(
    ctx: &AppContext,
    lang: super::i18n::Lang,
    status: actix_web::http::StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let csrf = session::random_token();
    let page = LoginPage {
        t: lang.ui(),
        csrf: csrf.clone(),
        next: local_path(next),
        email: email.to_owned(),
        error,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    response
        .add_cookie(&cookie(ctx, LOGIN_CSRF_COOKIE, csrf))
        .map_err(|e| PortalError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    Ok(response)
}

#[get("/login")]
async fn show_login(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    params: web::Query<LoginParams>,
) -> Result<HttpResponse, PortalError> {
    login_page(
        &ctx,
        super::i18n::Lang::of(&req),
        actix_web::http::StatusCode::OK,
        params.next.as_deref().unwrap_or("/inbox"),
        "",
        None,
    )
}

#[post("/login")]
async fn log_in(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PortalError> {
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !session::same_secret(&form.csrf, &expected) {
        return Err(PortalError::Csrf);
    }
    if form.email.len() > 254 || form.password.len() > 1024 {
        return Err(PortalError::BadRequest(
            super::i18n::Lang::of(&req)
                .tr("メールアドレスまたはパスワードが長すぎます。")
                .into(),
        ));
    }
    let from = crate::web::client::address(&req, &ctx.settings.server.trusted_proxies);
    let password = SecretString::from(form.password.clone());
    let result = session::login(
        &ctx.db,
        &ctx.settings.auth,
        &ctx.login_gate,
        &form.email,
        &password,
        &from,
    )
    .await;
    match result {
        Ok((token, session)) => {
            // With a second factor, its code's page comes next.
            let to = if session.second_factor_pending {
                format!(
                    "/login/totp?next={}",
                    url::form_urlencoded::byte_serialize(local_path(&form.next).as_bytes())
                        .collect::<String>()
                )
            } else {
                local_path(&form.next)
            };
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .cookie(cookie(&ctx, SESSION_COOKIE, token))
                .cookie(removal(LOGIN_CSRF_COOKIE))
                .finish())
        }
        Err(LoginError::Unexpected(e)) => Err(PortalError::Unexpected(e)),
        Err(e @ (LoginError::RateLimited(_) | LoginError::Busy(_))) => {
            let lang = super::i18n::Lang::of(&req);
            let (status, wait) = match e {
                LoginError::RateLimited(s) => (actix_web::http::StatusCode::TOO_MANY_REQUESTS, s),
                LoginError::Busy(s) => (actix_web::http::StatusCode::SERVICE_UNAVAILABLE, s),
                _ => (actix_web::http::StatusCode::SERVICE_UNAVAILABLE, 5),
            };
            let mut page = login_page(
                &ctx,
                lang,
                status,
                &form.next,
                &form.email,
                Some(lang.tr1(
                    "ログインの試行が集中しています。{} 秒ほどおいてからもう一度お試しください。",
                    wait,
                )),
            )?;
            page.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
            Ok(page)
        }
        Err(_) => {
            let lang = super::i18n::Lang::of(&req);
            // One answer for an unknown address, a wrong password and a locked or disabled
            // account (the audit log tells administrators which it was).
            let message = lang
                .tr("メールアドレスまたはパスワードが正しくありません。失敗が続くと、しばらくログインできなくなります。")
                .to_owned();
            login_page(
                &ctx,
                lang,
                actix_web::http::StatusCode::UNAUTHORIZED,
                &form.next,
                &form.email,
                Some(message),
            )
        }
    }
}

#[post("/logout")]
async fn log_out(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    viewer: Viewer,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        session::logout(&ctx.db, c.value()).await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(removal(SESSION_COOKIE))
        .finish())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_login).service(log_in).service(log_out);
}
