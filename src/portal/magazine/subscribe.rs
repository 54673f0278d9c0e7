//! Subscribing to the メールマガジン: the public form (a form token, limits per client and for everybody, the same answer for every address) and a signed-in user's own address.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "portal/magazine_subscribe.html")]
pub(super) struct SubscribePage {
    lang: Lang,
    csrf: String,
    email: String,
    /// The signed-in user's own address: subscribing it makes them a vouched reader.
    own: Option<String>,
    language: String,
    encoding: String,
    done: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct SubscribeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    encoding: String,
}

/// The page with a fresh form token (the signed-in user's session token, else a new one in its
/// own cookie).
pub(super) fn subscribe_page(
    ctx: &AppContext,
    viewer: Option<&Viewer>,
    mut page: SubscribePage,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PortalError> {
    let fresh = viewer.is_none().then(crate::auth::session::random_token);
    page.csrf = match (viewer, &fresh) {
        (Some(v), _) => v.session.csrf.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => String::new(),
    };
    page.own = viewer.map(|v| v.session.user.email.to_string());
    let mut response = render(&page)?;
    *response.status_mut() = status;
    if let Some(t) = fresh {
        response
            .add_cookie(&crate::portal::viewer::cookie(ctx, FORM_CSRF_COOKIE, t))
            .map_err(|e| PortalError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(response)
}

#[get("/magazine/subscribe")]
pub(super) async fn subscribe_form(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    viewer: Option<Viewer>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    subscribe_page(
        &ctx,
        viewer.as_ref(),
        SubscribePage {
            lang,
            csrf: String::new(),
            email: viewer
                .as_ref()
                .map(|v| v.session.user.email.to_string())
                .unwrap_or_default(),
            own: None,
            language: lang.as_str().to_owned(),
            encoding: "utf-8".into(),
            done: None,
            error: None,
        },
        actix_web::http::StatusCode::OK,
    )
}

#[post("/magazine/subscribe")]
pub(super) async fn subscribe(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    portal: web::Data<crate::portal::state::PortalState>,
    viewer: Option<Viewer>,
    form: web::Form<SubscribeForm>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let f = form.into_inner();
    match &viewer {
        Some(v) => v.check_csrf(&f.csrf)?,
        None => {
            let expected = req
                .cookie(FORM_CSRF_COOKIE)
                .map(|c| c.value().to_owned())
                .unwrap_or_default();
            if expected.is_empty() || !crate::auth::session::same_secret(&f.csrf, &expected) {
                return Err(PortalError::Csrf);
            }
        }
    }
    let client = crate::web::client::address(&req, &ctx.settings.server.trusted_proxies);
    if let Err(wait) = portal.subscribe_limit.admit(&client) {
        return Err(PortalError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
            message: lang
                .tr("送信が多すぎます。しばらく待ってから、もう一度お試しください。")
                .to_owned(),
        });
    }
    let who = match &viewer {
        Some(v) => Requester::User {
            org: v.org.id,
            email: v.session.user.email.clone(),
            actor: v.actor().to_string(),
        },
        None => Requester::Public,
    };
    let result = subscribers::request(
        &ctx.db,
        &ctx.mailer.verp,
        &ctx.settings.app.base_url,
        &f.email,
        &f.language,
        &f.encoding,
        &who,
        Utc::now(),
    )
    .await;
    let (done, error) = match result {
        // The same words for every outcome: the mail (if any) tells the address's owner which
        // it was, so the page tells nobody whether an address is subscribed or accepted.
        Ok(
            Requested::ConfirmationSent
            | Requested::AlreadyActive
            | Requested::RecentlySent
            | Requested::NotSent,
        ) => (
            Some(
                lang.tr("団体のアドレスであれば、確認メールを送りました。メールのリンクを開いて購読を確定してください（48時間有効）。届かない場合は、団体の管理者にお問い合わせください。")
                    .to_owned(),
            ),
            None,
        ),
        Err(Failure::Invalid(m)) => (None, Some(lang.tr1("購読を申し込めません: {}", m))),
        Err(e) => return Err(e.into()),
    };
    let refused = error.is_some();
    subscribe_page(
        &ctx,
        viewer.as_ref(),
        SubscribePage {
            lang,
            csrf: String::new(),
            email: if refused { f.email } else { String::new() },
            own: None,
            language: f.language,
            encoding: f.encoding,
            done,
            error,
        },
        if refused {
            actix_web::http::StatusCode::BAD_REQUEST
        } else {
            actix_web::http::StatusCode::OK
        },
    )
}
