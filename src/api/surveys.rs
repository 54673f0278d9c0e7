//! An organisation's answers to a survey over the API (the `report` scope): read them, and save
//! them as a draft or submitted. Only an addressed organisation's token or staff; anyone else
//! gets 404.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::JsonBody;
use super::principal::Principal;
use crate::auth::tokens::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, Code, ErrorBody};
use crate::surveys::definition::{self, Answers};
use crate::surveys::store::{self, Survey};
use crate::surveys::{Status, SurveyId};

#[derive(Serialize, ToSchema)]
pub struct SurveyAnswers {
    #[schema(value_type = i64)]
    pub survey: SurveyId,
    pub title: String,
    pub deadline: DateTime<Utc>,
    /// Item id → answer: `"yes"`/`"no"`; `"implemented"`, `"partial"`, `"insufficient"`,
    /// `"not_applicable"`; `{"done": 3, "required": 4}`; a date `"2026-12-01"`; a number; text.
    #[schema(value_type = Object)]
    pub answers: Answers,
    pub submitted: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Changed after the deadline.
    pub late: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersPayload {
    /// Item id → answer, as [`SurveyAnswers::answers`].
    #[schema(value_type = Object)]
    pub answers: Answers,
    /// `true`: submit (every item answered); `false` (default): keep a draft. Once submitted, a
    /// change is always a new submission.
    #[serde(default)]
    pub submit: bool,
}

async fn addressed(ctx: &AppContext, who: &Principal, id: SurveyId) -> Result<Survey, ApiError> {
    who.require(Scope::Report)?;
    let not_found = || ApiError::NotFound(format!("no survey {id} addressed to you"));
    let s = store::get(&ctx.db, id).await?.ok_or_else(not_found)?;
    if s.status != Status::Published || !store::is_target(&ctx.db, s.id, who.org().id).await? {
        return Err(not_found());
    }
    Ok(s)
}

async fn answers_out(
    ctx: &AppContext,
    s: &Survey,
    who: &Principal,
) -> Result<SurveyAnswers, ApiError> {
    let a = store::answer(&ctx.db, s.id, who.org().id).await?;
    Ok(SurveyAnswers {
        survey: s.id,
        title: s.title.clone(),
        deadline: s.deadline,
        answers: a.as_ref().map(|a| a.answers.clone()).unwrap_or_default(),
        submitted: a.as_ref().is_some_and(|a| a.submitted),
        submitted_at: a.as_ref().and_then(|a| a.submitted_at),
        late: a.as_ref().is_some_and(|a| a.late),
    })
}

/// The caller's organisation's answers to a survey addressed to it.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/answers",
    tag = "surveys",
    params(("id" = i64, Path, description = "The survey's number")),
    responses(
        (status = 200, body = SurveyAnswers),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the report scope"),
        (status = 404, body = ErrorBody, description = "No such survey addressed to the caller"),
    )
)]
#[get("/surveys/{id}/answers")]
pub async fn show_answers(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<SurveyId>,
) -> Result<HttpResponse, ApiError> {
    let s = addressed(&ctx, &who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(answers_out(&ctx, &s, &who).await?))
}

/// Save the answers (a draft, or `submit: true`). After the deadline the change is kept and
/// marked late.
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{id}/answers",
    tag = "surveys",
    request_body = AnswersPayload,
    params(("id" = i64, Path, description = "The survey's number")),
    responses(
        (status = 200, body = SurveyAnswers),
        (status = 400, body = ErrorBody, description = "An answer is missing or does not fit its item (the message names it)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the report scope"),
        (status = 404, body = ErrorBody, description = "No such survey addressed to the caller"),
    )
)]
#[put("/surveys/{id}/answers")]
pub async fn save_answers(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<SurveyId>,
    body: JsonBody<AnswersPayload>,
) -> Result<HttpResponse, ApiError> {
    let s = addressed(&ctx, &who, path.into_inner()).await?;
    let already = store::answer(&ctx.db, s.id, who.org().id)
        .await?
        .is_some_and(|a| a.submitted);
    let submit = already || body.0.submit;
    definition::check(&s.definition, &body.0.answers, submit)
        .map_err(|e| ApiError::bad_request(Code::InvalidField, e.join("; ")))?;
    crate::surveys::act::save_answers(
        &ctx.db,
        &s,
        who.org().id,
        &body.0.answers,
        submit,
        &who.actor(),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(answers_out(&ctx, &s, &who).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_answers).service(save_answers);
}
