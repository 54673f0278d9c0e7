//! The メールマガジン's public pages: subscribing (any staff member at a registered
//! organisation's mail domain, then the confirmation link mailed there), the confirmation link,
//! and the unsubscribe link every copy carries. None needs a session: the links' tokens are the
//! credentials, and opening a link (GET) changes nothing — only its button (POST) does, and the
//! unsubscribe POST is RFC 8058's one-click (`List-Unsubscribe=One-Click`), answered the same
//! however often it comes. The subscribe form carries a form token (a cookie and a hidden field,
//! as the login form does; a signed-in user's session token instead) and is limited per client
//! address and for everybody together (`PortalState::subscribe_limit`); it answers the same
//! words whether the address was accepted or not.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::viewer::FORM_CSRF_COOKIE;
use crate::context::AppContext;
use crate::error::Failure;
use crate::magazine::subscribers::{self, Confirmation, Requested, Requester};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(archive)
        .service(feed)
        .service(show_issue)
        .service(compose)
        .service(show_draft)
        .service(edit)
        .service(submit)
        .service(approve)
        .service(subscribe_form)
        .service(subscribe)
        .service(confirm_page)
        .service(confirm)
        .service(unsubscribe_page)
        .service(unsubscribe)
        // Last: it would take every other one-segment GET under /magazine otherwise.
        .service(short_link);
}

#[derive(Template)]
#[template(path = "portal/magazine_subscribe.html")]
struct SubscribePage {
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
fn subscribe_page(
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
            .add_cookie(&super::viewer::cookie(ctx, FORM_CSRF_COOKIE, t))
            .map_err(|e| PortalError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(response)
}

#[get("/magazine/subscribe")]
async fn subscribe_form(
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
async fn subscribe(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    portal: web::Data<super::state::PortalState>,
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

// ---- The archive, one issue, its feed, and the editors' side ----

use super::viewer::{Nav, Viewer};
use crate::auth::Role;
use crate::magazine::issue::{self, Issue, Item, Reader, Status};

/// How an item is shown.
struct ItemView {
    kind: &'static str,
    title: String,
    summary: String,
    link: String,
    tlp: &'static str,
    date: String,
}

fn item_views(items: &[Item], lang: Lang, viewer: Option<&Viewer>) -> Vec<ItemView> {
    items
        .iter()
        .map(|i| ItemView {
            // A name, the same in both languages.
            kind: match i.kind {
                issue::ItemKind::Jpcert => i.kind.label(),
                _ => lang.tr(i.kind.label()),
            },
            title: i.title.clone(),
            summary: i.summary.clone(),
            link: i.link.clone(),
            tlp: i.tlp.as_str(),
            date: match viewer {
                Some(v) => v.when(&i.date),
                None => crate::time::format_jst(&i.date),
            },
        })
        .collect()
}

struct IssueRow {
    id: i64,
    number: Option<i32>,
    title: String,
    period: String,
    status: &'static str,
}

fn period(i: &Issue) -> String {
    let d = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y-%m-%d")
            .to_string()
    };
    format!(
        "{} – {}",
        d(i.period_from),
        d(i.period_to - chrono::Duration::seconds(1))
    )
}

#[derive(Template)]
#[template(path = "portal/magazine.html")]
struct ArchivePage {
    lang: Lang,
    nav: Option<Nav>,
    published: Vec<IssueRow>,
    /// Drafts and submitted issues (central staff).
    pending: Vec<IssueRow>,
    drafter: bool,
    week: String,
    counts: Option<subscribers::Counts>,
    error: Option<String>,
}

fn rows(issues: &[Issue], lang: Lang) -> Vec<IssueRow> {
    issues
        .iter()
        .map(|i| IssueRow {
            id: i.id,
            number: i.number,
            title: i.title.clone(),
            period: period(i),
            status: lang.tr(match i.status {
                Status::Draft => "下書き",
                Status::Submitted => "承認待ち",
                Status::Published => "発行済み",
            }),
        })
        .collect()
}

async fn archive_page(
    ctx: &AppContext,
    lang: Lang,
    viewer: Option<&Viewer>,
    error: Option<String>,
) -> Result<ArchivePage, PortalError> {
    let central = viewer.is_some_and(|v| v.session.user.role.is_central());
    let all = issue::list(&ctx.db, central, 200).await?;
    let (published, pending): (Vec<Issue>, Vec<Issue>) =
        all.into_iter().partition(|i| i.status == Status::Published);
    Ok(ArchivePage {
        lang,
        nav: viewer.map(Viewer::nav),
        published: rows(&published, lang),
        pending: rows(&pending, lang),
        drafter: viewer.is_some_and(|v| issue::may_write(&v.session.user)),
        week: issue::week_of(Utc::now() - chrono::Duration::days(7)),
        counts: if central {
            Some(subscribers::counts(&ctx.db).await?)
        } else {
            None
        },
        error,
    })
}

#[get("/magazine")]
async fn archive(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    viewer: Option<Viewer>,
) -> Result<HttpResponse, PortalError> {
    let lang = viewer.as_ref().map_or_else(|| Lang::of(&req), |v| v.lang);
    render(&archive_page(&ctx, lang, viewer.as_ref(), None).await?)
}

#[derive(Template)]
#[template(path = "portal/magazine_issue.html")]
struct IssuePage {
    lang: Lang,
    nav: Option<Nav>,
    number: i32,
    title: String,
    period: String,
    published: String,
    intro: String,
    items: Vec<ItemView>,
    hidden: usize,
    signed_in: bool,
}

/// The reader a viewer is, for the visibility rule.
fn reader_of(viewer: Option<&Viewer>) -> Reader<'_> {
    match viewer {
        None => Reader::Public,
        Some(v) if v.session.user.role.is_central() => Reader::Central,
        Some(v) => Reader::Organisation(&v.org),
    }
}

#[get("/magazine/issues/{number}")]
async fn show_issue(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    viewer: Option<Viewer>,
    number: web::Path<i32>,
) -> Result<HttpResponse, PortalError> {
    let lang = viewer.as_ref().map_or_else(|| Lang::of(&req), |v| v.lang);
    let issue = issue::by_number(&ctx.db, *number)
        .await?
        .filter(|i| i.status == Status::Published)
        .ok_or(PortalError::NotFound)?;
    let items = issue::visible_items(&ctx.db, &issue, &reader_of(viewer.as_ref())).await?;
    render(&IssuePage {
        lang,
        nav: viewer.as_ref().map(Viewer::nav),
        number: issue.number.unwrap_or_default(),
        title: issue.title.clone(),
        period: period(&issue),
        published: issue
            .published_at
            .map(|t| match &viewer {
                Some(v) => v.when(&t),
                None => crate::time::format_jst(&t),
            })
            .unwrap_or_default(),
        intro: issue.intro.clone(),
        hidden: issue.items.len() - items.len(),
        items: item_views(&items, lang, viewer.as_ref()),
        signed_in: viewer.is_some(),
    })
}

/// `/magazine/{n}`, the short form of an issue's address (as mails and people write it), goes
/// permanently to `/magazine/issues/{n}`; anything but an issue number is not found.
#[get("/magazine/{number}")]
async fn short_link(number: web::Path<String>) -> Result<HttpResponse, PortalError> {
    let n: i32 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(PortalError::NotFound)?;
    Ok(HttpResponse::PermanentRedirect()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/magazine/issues/{n}"),
        ))
        .finish())
}

/// The public archive as Atom: each issue with its TLP:CLEAR items (the feed has no reader).
#[get("/magazine/feed.atom")]
async fn feed(ctx: web::Data<AppContext>) -> Result<HttpResponse, PortalError> {
    let esc = crate::ingest::html::escape;
    let base = ctx
        .settings
        .app
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let issues = issue::list(&ctx.db, false, 50).await?;
    let updated = issues
        .iter()
        .filter_map(|i| i.published_at)
        .max()
        .unwrap_or_else(Utc::now);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ja\">\n<title>自治体CEPTOARメールマガジン</title>\n<id>{base}/magazine</id>\n<link rel=\"self\" href=\"{base}/magazine/feed.atom\"/>\n<link rel=\"alternate\" href=\"{base}/magazine\"/>\n<updated>{}</updated>\n",
        updated.to_rfc3339()
    );
    for i in &issues {
        let (Some(n), Some(at)) = (i.number, i.published_at) else {
            continue;
        };
        let items = issue::visible_items(&ctx.db, i, &Reader::Public).await?;
        let mut content = String::new();
        if !i.intro.is_empty() {
            content.push_str(&format!("<p>{}</p>", esc(&i.intro)));
        }
        content.push_str("<ul>");
        for it in &items {
            content.push_str(&format!(
                "<li>[{}] {} — {}</li>",
                esc(it.kind.label()),
                esc(&it.title),
                esc(&it.summary)
            ));
        }
        content.push_str("</ul>");
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{base}/magazine/issues/{n}</id>\n<link href=\"{base}/magazine/issues/{n}\"/>\n<updated>{}</updated>\n<published>{}</published>\n<content type=\"html\">{}</content>\n</entry>\n",
            esc(&i.title),
            at.to_rfc3339(),
            at.to_rfc3339(),
            esc(&content)
        ));
    }
    xml.push_str("</feed>\n");
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=300",
        ))
        .body(xml))
}

#[derive(serde::Deserialize)]
pub struct ComposeForm {
    csrf: String,
    #[serde(default)]
    week: String,
}

#[post("/magazine/new")]
async fn compose(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<ComposeForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    if !issue::may_write(&viewer.session.user) {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("メールマガジンの号は中央の担当者が作ります。")
                .into(),
        ));
    }
    let (from, to) = match issue::parse_week(&form.week) {
        Ok(p) => p,
        Err(e) => {
            let page = archive_page(&ctx, viewer.lang, Some(&viewer), Some(e)).await?;
            return render_refused(&page, true);
        }
    };
    let i = issue::compose(&ctx.db, &viewer.session.user, from, to, Utc::now()).await?;
    Ok(super::see_other(&format!("/magazine/drafts/{}", i.id)))
}

#[derive(Template)]
#[template(path = "portal/magazine_draft.html")]
struct DraftPage {
    nav: Nav,
    id: i64,
    title: String,
    intro: String,
    period: String,
    status: &'static str,
    items: Vec<ItemView>,
    editable: bool,
    submittable: bool,
    approvable: bool,
    number: Option<i32>,
    notice: Option<String>,
}

async fn draft_page(
    ctx: &AppContext,
    viewer: &Viewer,
    id: i64,
    notice: Option<String>,
) -> Result<DraftPage, PortalError> {
    viewer.require(super::viewer::Section::Central)?;
    let i = issue::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let role = viewer.session.user.role;
    let writer = issue::may_write(&viewer.session.user);
    Ok(DraftPage {
        nav: viewer.nav(),
        id,
        title: i.title.clone(),
        intro: i.intro.clone(),
        period: period(&i),
        status: viewer.lang.tr(match i.status {
            Status::Draft => "下書き",
            Status::Submitted => "承認待ち",
            Status::Published => "発行済み",
        }),
        items: item_views(&i.items, viewer.lang, Some(viewer)),
        editable: writer && i.status == Status::Draft,
        submittable: writer && i.status == Status::Draft,
        approvable: role == Role::CentralApprover && i.status == Status::Submitted,
        number: i.number,
        notice,
    })
}

#[get("/magazine/drafts/{id}")]
async fn show_draft(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, PortalError> {
    render(&draft_page(&ctx, &viewer, *id, None).await?)
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    intro: String,
    /// Item numbers (from 1) to leave out, comma-separated.
    #[serde(default)]
    drop: String,
}

#[post("/magazine/drafts/{id}")]
async fn edit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let mut drop = Vec::new();
    for part in form
        .drop
        .split([',', ' ', '、'])
        .filter(|p| !p.trim().is_empty())
    {
        match part.trim().parse::<usize>() {
            Ok(n) if n >= 1 => drop.push(n - 1),
            _ => {
                return Err(PortalError::BadRequest(
                    viewer.lang.tr1("除く項目は番号で書きます: {}", part.trim()),
                ));
            }
        }
    }
    issue::edit(
        &ctx.db,
        &viewer.session.user,
        *id,
        &form.title,
        &form.intro,
        &drop,
        Utc::now(),
    )
    .await?;
    let notice = viewer.lang.tr("保存しました。").to_owned();
    render(&draft_page(&ctx, &viewer, *id, Some(notice)).await?)
}

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

#[post("/magazine/drafts/{id}/submit")]
async fn submit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    issue::submit(&ctx.db, &viewer.session.user, *id, Utc::now()).await?;
    Ok(super::see_other(&format!("/magazine/drafts/{id}")))
}

#[post("/magazine/drafts/{id}/approve")]
async fn approve(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let p = issue::approve(&ctx.db, &viewer.session.user, *id, Utc::now()).await?;
    Ok(super::see_other(&format!(
        "/magazine/issues/{}",
        p.issue.number.unwrap_or_default()
    )))
}
