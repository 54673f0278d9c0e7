//! The メールマガジン's public pages: subscribing (any staff member at a registered
//! organisation's mail domain, then the confirmation link mailed there), the confirmation link,
//! and the unsubscribe link every copy carries. None needs a session: the links' tokens are the
//! credentials, and opening a link (GET) changes nothing — only its button (POST) does, and the
//! unsubscribe POST is RFC 8058's one-click (`List-Unsubscribe=One-Click`), answered the same
//! however often it comes. The subscribe form carries a form token (a cookie and a hidden field,
//! as the login form does; a signed-in user's session token instead) and is limited per client
//! address and for everybody together (`PortalState::subscribe_limit`); it answers the same
//! words whether the address was accepted or not.

use crate::domain::ids::IssueId;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render, render_refused};
use super::i18n::Lang;
use super::viewer::FORM_CSRF_COOKIE;
use crate::context::AppContext;
use crate::error::Failure;
use crate::magazine::subscribers::{self, Confirmation, Requested, Requester};

mod subscribe;
pub use subscribe::*;

mod links;
pub use links::*;

mod drafts;
pub use drafts::*;

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
    id: IssueId,
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
    let esc = crate::domain::text::escape_html;
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
