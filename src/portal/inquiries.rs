//! 照会 in the portal: `/inquiries` (the organisation's own questions and, for a desk — central
//! staff, a prefecture's staff — its queue, unanswered first, escalated ones marked), asking
//! (`/inquiries/new?about=alert:7`, linked from alerts, drills, reports and surveys), a thread
//! with its answers and mail, the desk's answer, closing and publishing as よくある質問, and
//! `/faq`. Who reads what is [`crate::inquiries::may_read`]: anyone else gets "not found".

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::error::{PortalError, render, render_refused};
use super::parts::CsrfForm;
use super::viewer::{Nav, Viewer};
use crate::context::AppContext;
use crate::inquiries::act::{self, Question};
use crate::inquiries::store::{self, ListScope};
use crate::inquiries::{About, Inquiry, InquiryId, Status, is_desk, may_read};
use crate::registry::OrgKind;
use crate::reports::mail::Mailing;

pub struct Row {
    pub id: InquiryId,
    pub title: String,
    pub asker: String,
    pub about: String,
    pub status: &'static str,
    pub waiting: bool,
    pub escalated: bool,
    pub at: String,
}

#[derive(Template)]
#[template(path = "portal/inquiries.html")]
struct ListPage {
    nav: Nav,
    own: Vec<Row>,
    queue: Option<Vec<Row>>,
    desk_name: String,
}

async fn rows(
    ctx: &AppContext,
    viewer: &Viewer,
    found: Vec<Inquiry>,
) -> Result<Vec<Row>, PortalError> {
    let mut names = std::collections::HashMap::new();
    let mut out = Vec::new();
    for q in found {
        if !names.contains_key(&q.org_id)
            && let Some(o) = crate::registry::store::find_by_id(&ctx.db, q.org_id).await?
        {
            names.insert(q.org_id, o.full_name());
        }
        out.push(Row {
            id: q.id,
            title: q.title.clone(),
            asker: names.get(&q.org_id).cloned().unwrap_or_default(),
            about: act::about_label(&ctx.db, q.about).await?,
            status: viewer.lang.tr(q.status.label_ja()),
            waiting: q.status == Status::Open,
            escalated: q.escalated_at.is_some() && q.status == Status::Open,
            at: viewer.when(&q.last_message_at),
        });
    }
    // Waiting first, the oldest wait on top.
    out.sort_by_key(|r| !r.waiting);
    Ok(out)
}

/// The desk this viewer answers for, if any.
fn desk_scope(viewer: &Viewer) -> Option<ListScope> {
    if viewer.session.user.role.is_central() {
        Some(ListScope::CentreDesk)
    } else if viewer.org.kind == OrgKind::Prefecture {
        Some(ListScope::PrefectureDesk(viewer.org.id))
    } else {
        None
    }
}

#[get("/inquiries")]
async fn list(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    let central = viewer.session.user.role.is_central();
    let own = if central {
        Vec::new()
    } else {
        let l = store::list(&ctx.db, ListScope::Asked(viewer.org.id)).await?;
        rows(&ctx, &viewer, l).await?
    };
    let queue = match desk_scope(&viewer) {
        Some(s) => {
            let l = store::list(&ctx.db, s).await?;
            Some(rows(&ctx, &viewer, l).await?)
        }
        None => None,
    };
    render(&ListPage {
        own,
        queue,
        desk_name: if central {
            ctx.settings.reports.desk_name.clone()
        } else {
            viewer.org.full_name()
        },
        nav: viewer.nav(),
    })
}

#[derive(Deserialize)]
struct NewParams {
    #[serde(default)]
    about: String,
}

#[derive(Template)]
#[template(path = "portal/inquiry_new.html")]
struct NewPage {
    nav: Nav,
    about: String,
    about_label: String,
    title: String,
    body: String,
    error: String,
}

#[get("/inquiries/new")]
async fn new_form(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, PortalError> {
    let about = About::parse(&params.about).ok_or_else(|| {
        PortalError::BadRequest(
            viewer
                .lang
                .tr1("「{}」は照会の対象ではありません", &params.about),
        )
    })?;
    render(&NewPage {
        about: about.value(),
        about_label: act::about_label(&ctx.db, about).await?,
        title: String::new(),
        body: String::new(),
        error: String::new(),
        nav: viewer.nav(),
    })
}

#[derive(Deserialize)]
struct AskForm {
    csrf: String,
    #[serde(default)]
    about: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

#[post("/inquiries/new")]
async fn ask(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<AskForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let about = About::parse(&form.about).ok_or_else(|| {
        PortalError::BadRequest(
            viewer
                .lang
                .tr1("「{}」は照会の対象ではありません", &form.about),
        )
    })?;
    let email = viewer.session.user.email.to_string();
    let asked = act::ask(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        &viewer.caller(),
        &viewer.org,
        &Question {
            about,
            title: &form.title,
            body: &form.body,
            asker_email: &email,
            via: "portal",
            sender_vouched: true,
        },
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await;
    match asked {
        Ok(id) => Ok(super::parts::see_other(&format!("/inquiries/{id}"))),
        Err(crate::inquiries::InquiryError::Invalid(m)) => {
            let page = NewPage {
                about: about.value(),
                about_label: act::about_label(&ctx.db, about).await?,
                title: form.title.clone(),
                body: form.body.clone(),
                error: viewer.lang.message(&m),
                nav: viewer.nav(),
            };
            render_refused(&page, true)
        }
        Err(e) => Err(e.into()),
    }
}

pub struct MessageView {
    pub desk: bool,
    pub by: String,
    pub at: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "portal/inquiry.html")]
struct ThreadPage {
    nav: Nav,
    id: InquiryId,
    title: String,
    asker: String,
    about: String,
    about_link: String,
    status: &'static str,
    via_mail: bool,
    unvouched: bool,
    escalated: bool,
    messages: Vec<MessageView>,
    desk: bool,
    open: bool,
    faq_question: String,
    faq_answer: String,
    faq_published: bool,
    mails: Vec<(String, String, &'static str)>,
}

fn about_link(about: About) -> String {
    match about {
        About::Alert(a) => format!("/drills/{a}/report"),
        About::Report(r) => format!("/reports/{r}"),
        About::Survey(s) => format!("/surveys/{s}"),
        About::General => String::new(),
    }
}

#[get("/inquiries/{id}")]
async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<InquiryId>,
) -> Result<HttpResponse, PortalError> {
    let r = viewer.caller();
    let q = store::get(&ctx.db, path.into_inner())
        .await?
        .filter(|q| may_read(&r, q))
        .ok_or(PortalError::NotFound)?;
    let desk = is_desk(&r, &q);
    let asker = crate::registry::store::find_by_id(&ctx.db, q.org_id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let messages = store::messages(&ctx.db, q.id).await?;
    let first = messages
        .iter()
        .find(|m| !m.from_desk)
        .map(|m| m.body.clone())
        .unwrap_or_default();
    let answer = messages
        .iter()
        .rev()
        .find(|m| m.from_desk)
        .map(|m| m.body.clone())
        .unwrap_or_default();
    let mails = if desk {
        crate::notices::store::for_inquiry(&ctx.db, q.id)
            .await?
            .into_iter()
            .map(|m| {
                let state = viewer.lang.tr(crate::notices::store::state_ja(&m));
                (m.recipient, m.subject, state)
            })
            .collect()
    } else {
        Vec::new()
    };
    // An alert links to its own page for those it was addressed to; the desk reads its report.
    let link = match q.about {
        About::Alert(a) => match crate::alerts::store::get(&ctx.db, a).await? {
            Some(alert) if !desk => alert
                .public_id
                .map(|p| format!("/alerts/{p}"))
                .unwrap_or_default(),
            Some(alert) if alert.drill => about_link(q.about),
            Some(_) => format!("/drafts/{a}"),
            None => String::new(),
        },
        other => about_link(other),
    };
    render(&ThreadPage {
        id: q.id,
        title: q.title.clone(),
        asker: asker.full_name(),
        about: act::about_label(&ctx.db, q.about).await?,
        about_link: link,
        status: viewer.lang.tr(q.status.label_ja()),
        via_mail: q.via == "mail",
        unvouched: !q.sender_vouched,
        escalated: q.escalated_at.is_some() && q.status == Status::Open,
        messages: messages
            .into_iter()
            .map(|m| MessageView {
                desk: m.from_desk,
                by: super::parts::who(&m.author),
                at: viewer.when(&m.created_at),
                body: m.body,
            })
            .collect(),
        desk,
        open: q.status != Status::Closed,
        faq_question: q
            .faq_question
            .clone()
            .unwrap_or_else(|| act::anonymised(&first, &asker)),
        faq_answer: q.faq_answer.clone().unwrap_or(answer),
        faq_published: q.faq_published_at.is_some(),
        mails,
        nav: viewer.nav(),
    })
}

#[derive(Deserialize)]
struct WriteForm {
    csrf: String,
    #[serde(default)]
    body: String,
}

#[post("/inquiries/{id}/messages")]
async fn write(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<InquiryId>,
    form: web::Form<WriteForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    act::write(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        id,
        &viewer.caller(),
        &form.body,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(super::parts::see_other(&format!("/inquiries/{id}")))
}

#[post("/inquiries/{id}/close")]
async fn close(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<InquiryId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    act::close(
        &ctx.db,
        id,
        &viewer.caller(),
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(super::parts::see_other(&format!("/inquiries/{id}")))
}

#[derive(Deserialize)]
struct FaqForm {
    csrf: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    answer: String,
}

#[post("/inquiries/{id}/faq")]
async fn publish(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<InquiryId>,
    form: web::Form<FaqForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    act::publish_faq(
        &ctx.db,
        id,
        &viewer.caller(),
        &form.question,
        &form.answer,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(super::parts::see_other("/faq"))
}

pub struct FaqEntry {
    pub id: InquiryId,
    pub question: String,
    pub answer: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "portal/faq.html")]
struct FaqPage {
    nav: Nav,
    entries: Vec<FaqEntry>,
}

/// よくある質問: every signed-in user; the published texts only (no organisation, no thread).
#[get("/faq")]
async fn faq(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    let entries = store::faq(&ctx.db)
        .await?
        .into_iter()
        .filter_map(|q| {
            Some(FaqEntry {
                id: q.id,
                question: q.faq_question?,
                answer: q.faq_answer?,
                at: q.faq_published_at.map(|t| viewer.when(&t))?,
            })
        })
        .collect();
    render(&FaqPage {
        entries,
        nav: viewer.nav(),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(ask)
        .service(show)
        .service(write)
        .service(close)
        .service(publish)
        .service(faq);
}
