//! `/surveys/{id}/answers/{org}`: one organisation's answers item by item, for the centre (or
//! the organisation's prefecture) who reads the results — with 差し戻し: the answer sent back
//! with a question (`…/return`), a draft again until the organisation submits it anew (seed
//! 003:144, 「両者間で回答内容の確認作業」).

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{results_scope, visible};
use crate::context::AppContext;
use crate::portal::error::{PortalError, render, render_refused};
use crate::portal::viewer::{Nav, Viewer};
use crate::registry::Organisation;
use crate::surveys::definition::answer_label;
use crate::surveys::results::Scope;
use crate::surveys::store::{self, AnswerRow, Survey};
use crate::surveys::{Status, SurveyId};

/// Most characters of the question sent back.
const NOTE_MAX: usize = 2_000;

pub struct Line {
    pub category: String,
    pub text: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "portal/survey_answer.html")]
struct AnswerPage {
    nav: Nav,
    id: SurveyId,
    title: String,
    org_code: String,
    org_name: String,
    state: &'static str,
    submitted: String,
    returned: Option<(String, String)>,
    lines: Vec<Line>,
    can_return: bool,
    note: String,
    error: Option<String>,
}

/// The survey and the addressed organisation, if the viewer reads this survey's results and the
/// organisation is in their scope (a prefecture: its own organisations).
async fn load(
    ctx: &AppContext,
    viewer: &Viewer,
    id: SurveyId,
    code: &str,
) -> Result<(Survey, Organisation, Option<AnswerRow>), PortalError> {
    let scope = results_scope(viewer).ok_or_else(|| {
        PortalError::Forbidden(
            viewer
                .lang
                .tr("調査の結果は中央省庁等と都道府県の職員が見られます。")
                .into(),
        )
    })?;
    let s = visible(ctx, viewer, id).await?;
    if s.status != Status::Published {
        return Err(PortalError::NotFound);
    }
    let code = crate::registry::OrgCode::parse(code).map_err(|_| PortalError::NotFound)?;
    let org = crate::registry::store::find_by_code(&ctx.db, code)
        .await?
        .ok_or(PortalError::NotFound)?;
    let in_scope = match scope {
        Scope::All => true,
        Scope::Prefecture(p) => org.prefecture == Some(p),
    };
    if !in_scope || !store::is_target(&ctx.db, s.id, org.id).await? {
        return Err(PortalError::NotFound);
    }
    let answer = store::answer(&ctx.db, s.id, org.id).await?;
    Ok((s, org, answer))
}

fn page(
    viewer: &Viewer,
    s: &Survey,
    org: &Organisation,
    a: Option<&AnswerRow>,
    note: String,
    error: Option<String>,
) -> AnswerPage {
    let lang = viewer.lang;
    AnswerPage {
        nav: viewer.nav(),
        id: s.id,
        title: s.title.clone(),
        org_code: org.code.to_string(),
        org_name: org.full_name(),
        state: lang.tr(match a {
            Some(a) if a.returned() => "差し戻し中",
            Some(a) if a.submitted && a.late => "提出済（期限後）",
            Some(a) if a.submitted => "提出済",
            Some(_) => "下書き",
            None => "未回答",
        }),
        submitted: a
            .and_then(|a| a.submitted_at)
            .map(|t| viewer.when(&t))
            .unwrap_or_default(),
        returned: a.and_then(|a| {
            Some((
                viewer.when(&a.returned_at?),
                a.return_note.clone().unwrap_or_default(),
            ))
        }),
        lines: s
            .definition
            .categories
            .iter()
            .flat_map(|c| {
                c.items.iter().map(move |i| Line {
                    category: c.title.clone(),
                    text: i.text.clone(),
                    answer: lang
                        .tr(&answer_label(i.kind, a.and_then(|a| a.answers.get(&i.id))))
                        .to_owned(),
                })
            })
            .collect(),
        can_return: a.is_some_and(|a| a.submitted),
        note,
        error,
    }
}

#[get("/surveys/{id}/answers/{org}")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<(SurveyId, String)>,
) -> Result<HttpResponse, PortalError> {
    let (id, code) = path.into_inner();
    let (s, org, a) = load(&ctx, &viewer, id, &code).await?;
    render(&page(&viewer, &s, &org, a.as_ref(), String::new(), None))
}

#[derive(Deserialize)]
pub(super) struct ReturnForm {
    csrf: String,
    note: String,
}

/// Sends the answer back with the question; the organisation's contacts are mailed it.
#[post("/surveys/{id}/answers/{org}/return")]
pub(super) async fn send_back(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<(SurveyId, String)>,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let (id, code) = path.into_inner();
    let (s, org, a) = load(&ctx, &viewer, id, &code).await?;
    let note = form.note.replace("\r\n", "\n").trim().to_owned();
    let problem = if note.is_empty() {
        Some(
            viewer
                .lang
                .tr("差し戻す理由（確認したいこと）を入力してください。"),
        )
    } else if note.chars().count() > NOTE_MAX
        || note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Some(
            viewer
                .lang
                .tr("差し戻す理由は 2,000 文字以内で、制御文字を含めずに入力してください。"),
        )
    } else if !a.as_ref().is_some_and(|a| a.submitted) {
        Some(viewer.lang.tr("提出された回答だけを差し戻せます。"))
    } else {
        None
    };
    if let Some(p) = problem {
        return render_refused(
            &page(&viewer, &s, &org, a.as_ref(), note, Some(p.to_owned())),
            true,
        );
    }
    let base = ctx.settings.app.base_url.as_str().trim_end_matches('/');
    let subject = format!("【差し戻し】{}", s.title);
    let body = format!(
        "{} の回答について、{} から確認したいことがあります。回答は下書きに戻りました。\n\n{note}\n\n回答を見直し、期限までに再提出してください。\n{base}/surveys/{}\n",
        s.title,
        viewer.org.full_name(),
        s.id
    );
    crate::surveys::act::return_answers(
        &ctx.db,
        &s,
        org.id,
        &note,
        (&subject, &body),
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/surveys/{}/answers/{}",
        s.id, org.code
    )))
}
