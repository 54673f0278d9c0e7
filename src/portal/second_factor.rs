//! The second factor in the portal: the code's page after the password (`/login/totp`), the
//! set-up with its QR code and the recovery codes shown once (`/settings/totp`), and the reset
//! of another user's second factor by an administrator who may manage them.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render, render_refused};
use super::viewer::{Nav, Viewer, local_path};
use crate::auth::second_factor::{self, SecondFactorError};
use crate::auth::{self, UserId};
use crate::context::AppContext;

#[derive(Template)]
#[template(path = "portal/second_factor_code.html")]
struct CodePage {
    nav: Nav,
    next: String,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[get("/login/totp")]
async fn show_code(viewer: Viewer, q: web::Query<NextQuery>) -> Result<HttpResponse, PortalError> {
    if !viewer.session.second_factor_pending {
        return Ok(super::parts::see_other(&local_path(&q.next)));
    }
    render(&CodePage {
        nav: viewer.nav(),
        next: local_path(&q.next),
        error: None,
    })
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
    #[serde(default)]
    next: String,
}

#[post("/login/totp")]
async fn check_code(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    if !viewer.session.second_factor_pending {
        return Ok(super::parts::see_other(&local_path(&form.next)));
    }
    if form.code.len() > 40 {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("確認コードが長すぎます。").into(),
        ));
    }
    match second_factor::verify(
        &ctx.db,
        &ctx.second_factor,
        &viewer.session.user,
        viewer.session.id,
        &form.code,
        Utc::now(),
    )
    .await
    {
        Ok(()) => Ok(super::parts::see_other(&local_path(&form.next))),
        Err(SecondFactorError::Unexpected(e)) => Err(e.into()),
        Err(SecondFactorError::Locked) => Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("確認コードの誤りが続いたため、しばらくログインできません。")
                .into(),
        )),
        Err(_) => render_refused(
            &CodePage {
                nav: viewer.nav(),
                next: local_path(&form.next),
                error: Some(
                    viewer
                        .lang
                        .tr("確認コードが正しくないか、すでに使われています。次のコードで試してください。")
                        .into(),
                ),
            },
            true,
        ),
    }
}

#[derive(Template)]
#[template(path = "portal/second_factor_setup.html")]
struct SetUpPage {
    nav: Nav,
    /// Set up already: when, and the recovery codes left.
    enabled: Option<u64>,
    /// Required of this role (nothing else opens until it is set up).
    required: bool,
    secret: String,
    qr_svg: String,
    error: Option<String>,
    /// Shown once, right after the set-up.
    recovery: Vec<String>,
}

async fn set_up_page(
    ctx: &AppContext,
    viewer: &Viewer,
    error: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let user = &viewer.session.user;
    let required = second_factor::must_enrol(&ctx.settings.auth, user);
    if user.second_factor {
        let left = second_factor::codes_left(&ctx.db, user).await?;
        return render(&SetUpPage {
            nav: viewer.nav(),
            enabled: Some(left),
            required,
            secret: String::new(),
            qr_svg: String::new(),
            error,
            recovery: Vec::new(),
        });
    }
    let e = second_factor::begin(&ctx.db, &ctx.second_factor, user)
        .await
        .map_err(crate::error::Classify::classify)?;
    let refused = error.is_some();
    render_refused(
        &SetUpPage {
            nav: viewer.nav(),
            enabled: None,
            required,
            secret: e.secret_base32,
            qr_svg: e.qr_svg,
            error,
            recovery: Vec::new(),
        },
        refused,
    )
}

#[get("/settings/totp")]
async fn show_set_up(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
) -> Result<HttpResponse, PortalError> {
    set_up_page(&ctx, &viewer, None).await
}

#[derive(serde::Deserialize)]
pub struct SetUpForm {
    csrf: String,
    code: String,
}

#[post("/settings/totp")]
async fn finish_set_up(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<SetUpForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    match second_factor::finish(
        &ctx.db,
        &ctx.second_factor,
        &viewer.session.user,
        viewer.session.id,
        &form.code,
        Utc::now(),
    )
    .await
    {
        Ok(codes) => render(&SetUpPage {
            nav: viewer.nav(),
            enabled: Some(codes.len() as u64),
            required: false,
            secret: String::new(),
            qr_svg: String::new(),
            error: None,
            recovery: codes,
        }),
        Err(SecondFactorError::Unexpected(e)) => Err(e.into()),
        Err(SecondFactorError::WrongCode) => {
            // A new secret is made: the set-up starts over with the app's new entry.
            set_up_page(
                &ctx,
                &viewer,
                Some(
                    viewer
                        .lang
                        .tr("確認コードが正しくありません。表示された新しいコードを登録し直してください。")
                        .into(),
                ),
            )
            .await
        }
        Err(e) => Err(crate::error::Classify::classify(e).into()),
    }
}

/// An administrator resets the second factor of a user they may manage (their own
/// organisation's, within their role; the hub administrator anyone's): the user sets it up
/// again at the next sign-in.
async fn reset(
    ctx: &AppContext,
    viewer: &Viewer,
    id: i64,
    own_organisation: bool,
) -> Result<crate::auth::User, PortalError> {
    let target = auth::store::find_by_id(&ctx.db, UserId(id))
        .await?
        .filter(|t| viewer.session.user.may_manage(t))
        .filter(|t| !own_organisation || t.org_id == viewer.org.id)
        .ok_or(PortalError::NotFound)?;
    second_factor::reset(&ctx.db, &target, &viewer.actor()).await?;
    Ok(target)
}

#[post("/settings/users/{id}/second-factor-reset")]
async fn reset_in_org(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<crate::portal::parts::CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(super::viewer::Section::OrgSettings)?;
    // The settings page is the viewer's own organisation's, as for every form on it.
    reset(&ctx, &viewer, path.into_inner(), true).await?;
    Ok(super::parts::see_other("/settings#users"))
}

#[post("/admin/users/{id}/second-factor-reset")]
async fn reset_as_admin(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<crate::portal::parts::CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(super::viewer::Section::HubAdmin)?;
    let target = reset(&ctx, &viewer, path.into_inner(), false).await?;
    Ok(super::parts::see_other(&format!(
        "/admin/users?q={}",
        url::form_urlencoded::byte_serialize(target.email.as_str().as_bytes()).collect::<String>()
    )))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_code)
        .service(check_code)
        .service(show_set_up)
        .service(finish_set_up)
        .service(reset_in_org)
        .service(reset_as_admin);
}
