//! `/surveys/{id}`: a draft with its four-eyes buttons, or — published — the answer form of an
//! addressed organisation (save a draft, submit; edit until the deadline, later edits kept and
//! marked 期限後), or the questions for those who only read the results.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::{results_scope, visible};
use crate::context::AppContext;
use crate::portal::error::{PortalError, render, render_refused};
use crate::portal::i18n::Lang;
use crate::portal::parts::CsrfForm;
use crate::portal::viewer::{Nav, Viewer};
use crate::surveys::definition::{self, Answer, Answers, ItemType};
use crate::surveys::publish::{self, may_approve, may_write};
use crate::surveys::store::{self, Survey};
use crate::surveys::{Status, SurveyId};

pub struct ItemView {
    pub id: String,
    pub text: String,
    pub help: String,
    pub kind: &'static str,
    pub value: String,
    pub done: String,
    pub required: String,
    pub options: Vec<(&'static str, &'static str, bool)>,
}

pub struct CategoryView {
    pub title: String,
    pub items: Vec<ItemView>,
}

fn kind_str(k: ItemType) -> &'static str {
    match k {
        ItemType::YesNo => "yes_no",
        ItemType::Implementation => "implementation",
        ItemType::Count => "count",
        ItemType::Date => "date",
        ItemType::Number => "number",
        ItemType::Text => "text",
    }
}

pub(super) fn questions(s: &Survey, answers: &Answers, lang: Lang) -> Vec<CategoryView> {
    s.definition
        .categories
        .iter()
        .map(|c| CategoryView {
            title: c.title.clone(),
            items: c
                .items
                .iter()
                .map(|i| {
                    let a = answers.get(&i.id);
                    let value = match a {
                        Some(Answer::Text(t)) => t.clone(),
                        Some(Answer::Number(n)) => n.to_string(),
                        _ => String::new(),
                    };
                    let (done, required) = match a {
                        Some(Answer::Count { done, required }) => {
                            (done.to_string(), required.to_string())
                        }
                        _ => Default::default(),
                    };
                    let options = definition::choices(i.kind);
                    ItemView {
                        id: i.id.clone(),
                        text: i.text.clone(),
                        help: i.help.clone(),
                        kind: kind_str(i.kind),
                        options: options
                            .iter()
                            .map(|&(v, l)| (v, lang.tr(l), v == value))
                            .collect(),
                        value,
                        done,
                        required,
                    }
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/survey.html")]
pub(super) struct SurveyPage {
    nav: Nav,
    /// The addressed organisation may ask about it (照会).
    can_ask: bool,
    id: SurveyId,
    title: String,
    kind: &'static str,
    status: &'static str,
    description: String,
    deadline: String,
    /// 基準日, as the reader writes dates; empty when none.
    reference_date: String,
    past_deadline: bool,
    audience: String,
    categories: Vec<CategoryView>,
    /// Published and addressed to the viewer's organisation.
    answering: bool,
    submitted: String,
    late: bool,
    errors: Vec<String>,
    can_submit: bool,
    can_approve: bool,
    results: bool,
    own_result: bool,
    /// Just after an Excel upload was read and saved.
    uploaded: bool,
    /// 差し戻し: when, and the question, while not submitted anew.
    returned: Option<(String, String)>,
}

pub(super) async fn page(
    ctx: &AppContext,
    viewer: &Viewer,
    s: &Survey,
    typed: Option<Answers>,
    errors: Vec<String>,
) -> Result<SurveyPage, PortalError> {
    let user = &viewer.session.user;
    let answering =
        s.status == Status::Published && store::is_target(&ctx.db, s.id, viewer.org.id).await?;
    let current = if answering {
        store::answer(&ctx.db, s.id, viewer.org.id).await?
    } else {
        None
    };
    let answers = typed.unwrap_or_else(|| {
        current
            .as_ref()
            .map(|a| a.answers.clone())
            .unwrap_or_default()
    });
    Ok(SurveyPage {
        can_ask: answering,
        nav: viewer.nav(),
        id: s.id,
        title: s.title.clone(),
        kind: viewer.lang.tr(s.kind.label_ja()),
        status: viewer.lang.tr(s.status.label_ja()),
        description: s.definition.description.trim().to_owned(),
        deadline: viewer.deadline(&s.deadline),
        reference_date: chrono::NaiveDate::parse_from_str(&s.definition.reference_date, "%Y-%m-%d")
            .map(|d| crate::time::format_date(d, viewer.dates))
            .unwrap_or_default(),
        past_deadline: chrono::Utc::now() > s.deadline,
        // In words (東京都の市区町村), not the selector syntax the CLI and API take.
        audience: match crate::alerts::audience::AudienceSpec::parse_selectors(&s.audience) {
            Ok(a) if viewer.lang == crate::portal::i18n::Lang::En => a.describe_en(),
            Ok(a) => a.describe(),
            Err(_) => s.audience.join(" "),
        },
        categories: questions(s, &answers, viewer.lang),
        answering,
        submitted: match &current {
            Some(a) if a.submitted => a.submitted_at.map(|t| viewer.when(&t)).unwrap_or_default(),
            _ => String::new(),
        },
        late: current.as_ref().is_some_and(|a| a.late),
        errors,
        can_submit: s.status == Status::Draft && may_write(s, user),
        can_approve: s.status == Status::Submitted && may_approve(s, user),
        results: s.status == Status::Published && results_scope(viewer).is_some(),
        own_result: answering
            && current.as_ref().is_some_and(|a| a.submitted)
            && s.definition.scored(),
        uploaded: false,
        returned: current.as_ref().filter(|a| a.returned()).and_then(|a| {
            Some((
                viewer.when(&a.returned_at?),
                a.return_note.clone().unwrap_or_default(),
            ))
        }),
    })
}

#[get("/surveys/{id}")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, PortalError> {
    let s = visible(&ctx, &viewer, path.into_inner()).await?;
    let mut p = page(&ctx, &viewer, &s, None, Vec::new()).await?;
    p.uploaded = p.answering && req.query_string() == "uploaded=1";
    render(&p)
}

#[post("/surveys/{id}/submit")]
pub(super) async fn submit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    publish::submit(&ctx.db, id, &viewer.session.user).await?;
    Ok(crate::portal::parts::see_other(&format!("/surveys/{id}")))
}

#[post("/surveys/{id}/approve")]
pub(super) async fn approve(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    publish::approve(
        &ctx.db,
        &ctx.rules,
        ctx.settings.app.base_url.as_str(),
        id,
        &viewer.session.user,
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!("/surveys/{id}")))
}

/// Saves the organisation's answers: `action=save` keeps a draft, `action=submit` submits
/// (every item answered). After the deadline the save is kept and marked late.
#[post("/surveys/{id}/answers")]
pub(super) async fn answer(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let s = visible(&ctx, &viewer, path.into_inner()).await?;
    if s.status != Status::Published || !store::is_target(&ctx.db, s.id, viewer.org.id).await? {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("この調査に回答できるのは、宛先の団体の職員です。")
                .into(),
        ));
    }
    // Once submitted, a change is a new submission (every item answered), never a half draft.
    let already = store::answer(&ctx.db, s.id, viewer.org.id)
        .await?
        .is_some_and(|a| a.submitted);
    let submitting = already || form.get("action").map(String::as_str) == Some("submit");
    let checked = definition::from_form(&s.definition, &form)
        .and_then(|a| definition::check(&s.definition, &a, submitting).map(|()| a));
    let answers = match checked {
        Ok(a) => a,
        Err(errors) => {
            let typed = definition::from_form(&s.definition, &form).ok();
            return render_refused(&page(&ctx, &viewer, &s, typed, errors).await?, true);
        }
    };
    crate::surveys::act::save_answers(
        &ctx.db,
        &s,
        viewer.org.id,
        &answers,
        submitting,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/surveys/{}",
        s.id
    )))
}
