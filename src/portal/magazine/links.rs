//! The confirmation and unsubscribe links: the token is the credential, opening changes nothing, the button (POST) does.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "portal/magazine_link.html")]
pub(super) struct LinkPage {
    lang: Lang,
    heading: String,
    email: String,
    /// The form's action, when there is still something to do.
    action: Option<String>,
    button: String,
    message: Option<String>,
}

pub(super) fn no_referrer(mut response: HttpResponse) -> HttpResponse {
    // The address is a credential: never leak it to another site.
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    response
}

#[get("/magazine/confirm/{token}")]
pub(super) async fn confirm_page(
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
pub(super) async fn confirm(
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
pub(super) async fn unsubscribe_page(
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
pub(super) async fn unsubscribe(
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
