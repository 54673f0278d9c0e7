//! The メールマガジン's public pages: subscribing (any staff member at a registered
//! organisation's mail domain, then the confirmation link mailed there), the confirmation link,
//! and the unsubscribe link every copy carries. None needs a session: the links' tokens are the
//! credentials, and opening a link (GET) changes nothing — only its button (POST) does, and the
//! unsubscribe POST is RFC 8058's one-click (`List-Unsubscribe=One-Click`), answered the same
//! however often it comes. The subscribe form needs no form token either: all it can do is mail
//! a confirmation link to the address typed, at most once per 10 minutes.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use crate::context::AppContext;
use crate::error::Failure;
use crate::magazine::subscribers::{self, Confirmation, Requested};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(subscribe_form)
        .service(subscribe)
        .service(confirm_page)
        .service(confirm)
        .service(unsubscribe_page)
        .service(unsubscribe);
}

#[derive(Template)]
#[template(path = "portal/magazine_subscribe.html")]
struct SubscribePage {
    lang: Lang,
    email: String,
    language: String,
    encoding: String,
    done: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    encoding: String,
}

#[get("/magazine/subscribe")]
async fn subscribe_form(req: HttpRequest) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    render(&SubscribePage {
        lang,
        email: String::new(),
        language: lang.as_str().to_owned(),
        encoding: "utf-8".into(),
        done: None,
        error: None,
    })
}

#[post("/magazine/subscribe")]
async fn subscribe(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    form: web::Form<SubscribeForm>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let f = form.into_inner();
    let result = subscribers::request(
        &ctx.db,
        &ctx.mailer.verp,
        &ctx.settings.app.base_url,
        &f.email,
        &f.language,
        &f.encoding,
        Utc::now(),
    )
    .await;
    let (done, error) = match result {
        // The same words for all three: the mail tells the address's owner which it was.
        Ok(Requested::ConfirmationSent | Requested::AlreadyActive | Requested::RecentlySent) => (
            Some(
                lang.tr("確認メールを送りました。メールのリンクを開いて購読を確定してください（48時間有効）。")
                    .to_owned(),
            ),
            None,
        ),
        Err(Failure::Invalid(m)) => (None, Some(lang.tr1("購読を申し込めません: {}", m))),
        Err(e) => return Err(e.into()),
    };
    let refused = error.is_some();
    render_refused(
        &SubscribePage {
            lang,
            email: if refused { f.email } else { String::new() },
            language: f.language,
            encoding: f.encoding,
            done,
            error,
        },
        refused,
    )
}

#[derive(Template)]
#[template(path = "portal/magazine_link.html")]
struct LinkPage {
    lang: Lang,
    heading: String,
    email: String,
    /// The form's action, when there is still something to do.
    action: Option<String>,
    button: String,
    message: Option<String>,
}

fn no_referrer(mut response: HttpResponse) -> HttpResponse {
    // The address is a credential: never leak it to another site.
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    response
}

#[get("/magazine/confirm/{token}")]
async fn confirm_page(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let c = subscribers::confirmation(&ctx.db, &token, Utc::now()).await?;
    let (s, pending) = match c {
        Confirmation::Pending(s) => (s, true),
        Confirmation::Done(s) => (s, false),
    };
    Ok(no_referrer(render(&LinkPage {
        lang,
        heading: lang.tr("メールマガジン購読の確認").to_owned(),
        email: s.email.to_string(),
        action: pending.then(|| format!("/magazine/confirm/{token}")),
        button: lang.tr("購読を確定する").to_owned(),
        message: if pending {
            Some(
                lang.tr("このページを開いただけでは何も登録されません。")
                    .to_owned(),
            )
        } else {
            Some(lang.tr("購読は確定しています。").to_owned())
        },
    })?))
}

#[post("/magazine/confirm/{token}")]
async fn confirm(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let s = subscribers::confirm(&ctx.db, &token, Utc::now()).await?;
    Ok(no_referrer(render(&LinkPage {
        lang,
        heading: lang.tr("メールマガジン購読の確認").to_owned(),
        email: s.email.to_string(),
        action: None,
        button: String::new(),
        message: Some(lang.tr("購読は確定しています。").to_owned()),
    })?))
}

#[get("/magazine/unsubscribe/{token}")]
async fn unsubscribe_page(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let u = subscribers::unsubscription(&ctx.db, &ctx.mailer.verp, &token).await?;
    Ok(no_referrer(render(&LinkPage {
        lang,
        heading: lang.tr("メールマガジンの配信停止").to_owned(),
        email: u.email,
        action: (!u.done).then(|| format!("/magazine/unsubscribe/{token}")),
        button: lang.tr("配信を停止する").to_owned(),
        message: Some(if u.done {
            lang.tr("このアドレスへの配信は停止しています。").to_owned()
        } else {
            lang.tr("このページを開いただけでは何も変わりません。")
                .to_owned()
        }),
    })?))
}

/// RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`; the page's button posts the
/// same. Whatever the body, the token decides.
#[post("/magazine/unsubscribe/{token}")]
async fn unsubscribe(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let u = subscribers::unsubscribe(&ctx.db, &ctx.mailer.verp, &token, Utc::now()).await?;
    Ok(no_referrer(render(&LinkPage {
        lang,
        heading: lang.tr("メールマガジンの配信停止").to_owned(),
        email: u.email,
        action: None,
        button: String::new(),
        message: Some(lang.tr("このアドレスへの配信は停止しています。").to_owned()),
    })?))
}
