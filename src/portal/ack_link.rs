//! Acknowledging from mail: `/ack/{token}`. The GET shows the alert, the organisation and a
//! confirmation form and changes nothing (mail scanners follow links); the POST records the
//! state. The token in the path is the credential: bound to one alert and one organisation,
//! random, stored hashed, expiring. No session is needed: the person may read mail where the
//! portal is not signed in.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::parts::Opt;
use crate::acks::{self, ALL_STATES, AckError, AckState, Channel};
use crate::alerts::links::AckLink;
use crate::alerts::links::{self, Lookup};
use crate::audit::Actor;
use crate::context::AppContext;
use crate::time::format_jst;

#[derive(Template)]
#[template(path = "portal/ack_link.html")]
struct AckLinkPage {
    lang: Lang,
    token: String,
    org_name: String,
    public_id: String,
    revision: i32,
    title: String,
    severity: &'static str,
    drill: bool,
    state: &'static str,
    deadline: String,
    open: bool,
    states: Vec<Opt>,
    done: Option<String>,
    error: Option<String>,
}

async fn valid_link(ctx: &AppContext, token: &str, lang: Lang) -> Result<AckLink, PortalError> {
    match links::lookup(&ctx.db, token, Utc::now()).await? {
        Lookup::Valid(link) => Ok(link),
        Lookup::Expired => Err(PortalError::Gone(
            lang.tr("この報告用リンクは有効期限が切れています。ポータルにログインし、「受信一覧」から注意喚起を開いて報告してください。")
                .into(),
        )),
        Lookup::Unknown => Err(PortalError::NotFound),
    }
}

async fn page(
    ctx: &AppContext,
    token: &str,
    link: &AckLink,
    done: Option<String>,
    error: Option<String>,
    lang: Lang,
) -> Result<AckLinkPage, PortalError> {
    let alert = crate::alerts::store::get(&ctx.db, link.alert)
        .await?
        .filter(|a| a.public_id.is_some())
        .ok_or(PortalError::NotFound)?;
    let revision = crate::alerts::store::revisions(&ctx.db, alert.id)
        .await?
        .into_iter()
        .find(|r| r.number == alert.published_revision)
        .ok_or(PortalError::NotFound)?;
    let org = crate::registry::store::find_by_id(&ctx.db, link.organisation)
        .await?
        .ok_or(PortalError::NotFound)?;
    let current = acks::store::current(&ctx.db, alert.id, link.organisation)
        .await?
        .map(|k| k.state);
    let withdrawn = alert.is_withdrawn();
    let chosen = current.map_or("received", |s| match s {
        AckState::Received => "in_progress",
        s => s.as_str(),
    });
    Ok(AckLinkPage {
        lang,
        token: token.to_owned(),
        org_name: org.full_name(),
        public_id: alert.public_id.clone().unwrap_or_default(),
        revision: revision.number,
        title: revision.title.clone(),
        severity: lang.severity(revision.severity),
        drill: revision.drill,
        state: lang.state(current),
        deadline: revision
            .ack_deadline
            .as_ref()
            .map(format_jst)
            .unwrap_or_default(),
        open: !withdrawn,
        states: Opt::list(
            ALL_STATES
                .iter()
                .map(|s| (s.as_str(), lang.state(Some(*s)))),
            chosen,
        ),
        done,
        error: error.or_else(|| {
            withdrawn.then(|| {
                lang.tr("この注意喚起は取り消されました。報告は不要です。")
                    .to_owned()
            })
        }),
    })
}

#[get("/ack/{token}")]
async fn show(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let link = valid_link(&ctx, &token, lang).await?;
    let mut response = render(&page(&ctx, &token, &link, None, None, lang).await?)?;
    // The address is a credential: never leak it to another site.
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct AckLinkForm {
    state: String,
    #[serde(default)]
    note: String,
}

#[post("/ack/{token}")]
async fn record(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    token: web::Path<String>,
    form: web::Form<AckLinkForm>,
) -> Result<HttpResponse, PortalError> {
    let lang = Lang::of(&req);
    let link = valid_link(&ctx, &token, lang).await?;
    let parsed = AckState::parse(&form.state).and_then(|s| Ok((s, acks::parse_note(&form.note)?)));
    let (state, note) = match parsed {
        Ok(v) => v,
        Err(e) => {
            let p = page(&ctx, &token, &link, None, Some(e.to_string()), lang).await?;
            return render_refused(&p, true);
        }
    };
    let actor = Actor::MailLink { link_id: link.id };
    match acks::acknowledge(
        &ctx.db,
        link.alert,
        link.organisation,
        state,
        note,
        &actor,
        None,
        Channel::MailLink,
    )
    .await
    {
        Ok(()) => {}
        Err(AckError::Withdrawn(_)) => {
            let p = page(&ctx, &token, &link, None, None, lang).await?;
            return render_refused(&p, true);
        }
        Err(AckError::NotAddressed(_)) => return Err(PortalError::NotFound),
        Err(e @ AckError::Invalid(_)) => {
            let p = page(&ctx, &token, &link, None, Some(e.to_string()), lang).await?;
            return render_refused(&p, true);
        }
        // A link acknowledges without a role; the capability's rule cannot refuse it.
        Err(e @ AckError::Central) => return Err(PortalError::Forbidden(e.to_string())),
        Err(AckError::Unexpected(e)) => return Err(e.into()),
    }
    links::touch(&ctx.db, link.id, Utc::now()).await?;
    let done = lang.tr1(
        "「{}」として報告しました。ありがとうございました。",
        lang.state(Some(state)),
    );
    render(&page(&ctx, &token, &link, Some(done), None, lang).await?)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(record);
}
