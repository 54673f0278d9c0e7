//! 調査を Excel で: `/surveys/{id}/answers.xlsx` — the answer sheet to download (the saved answers
//! filled in) and to upload back, read into the same fields and judged by the same checks as the
//! answer form; `/surveys/{id}/results.xlsx` — the results workbook.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use futures_util::TryStreamExt;

use super::page::page;
use super::results::{AsOf, load};
use super::visible;
use crate::context::AppContext;
use crate::portal::error::{PortalError, render_refused};
use crate::portal::i18n::Lang;
use crate::portal::viewer::Viewer;
use crate::surveys::sheet;
use crate::surveys::store::{self, Survey};
use crate::surveys::{Status, SurveyId, definition};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx(name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// The survey, published and addressed to the viewer's organisation; otherwise refused.
async fn answerable(
    ctx: &AppContext,
    viewer: &Viewer,
    id: SurveyId,
) -> Result<Survey, PortalError> {
    let s = visible(ctx, viewer, id).await?;
    if s.status != Status::Published || !store::is_target(&ctx.db, s.id, viewer.org.id).await? {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("この調査に回答できるのは、宛先の団体の職員です。")
                .into(),
        ));
    }
    Ok(s)
}

#[get("/surveys/{id}/answers.xlsx")]
pub(super) async fn download(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
) -> Result<HttpResponse, PortalError> {
    let s = answerable(&ctx, &viewer, path.into_inner()).await?;
    let saved = store::answer(&ctx.db, s.id, viewer.org.id)
        .await?
        .map(|a| a.answers)
        .unwrap_or_default();
    let deadline = match s.definition.reference_date.as_str() {
        "" => crate::time::format_jst(&s.deadline),
        day => format!("{}（基準日 {day}）", crate::time::format_jst(&s.deadline)),
    };
    let bytes = sheet::answer_sheet(&s, &viewer.org.full_name(), &deadline, &saved)
        .map_err(|e| anyhow::anyhow!("answer sheet of survey {}: {e}", s.id))?;
    Ok(xlsx(
        &format!("survey-{}-{}.xlsx", s.id, viewer.org.code),
        bytes,
    ))
}

/// The uploaded form: its CSRF token and the file, each read with a cap.
async fn read_upload(mut form: Multipart, lang: Lang) -> Result<(String, Vec<u8>), PortalError> {
    let too_large = || {
        PortalError::BadRequest(lang.tr1(
            "ファイルが大きすぎます（上限 {} KB）。",
            sheet::MAX_UPLOAD / 1024,
        ))
    };
    let unreadable = |e: actix_multipart::MultipartError| {
        PortalError::BadRequest(lang.tr1("フォームの内容を読み取れません: {}", e))
    };
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(mut field) = form.try_next().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let cap = if name == "sheet" {
            sheet::MAX_UPLOAD
        } else {
            256
        };
        let mut buf = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(unreadable)? {
            if buf.len() + chunk.len() > cap {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&buf).into_owned(),
            "sheet" => file = buf,
            _ => {}
        }
    }
    Ok((csrf, file))
}

/// Saves the answers of an uploaded sheet as the form would: a draft, or — once submitted — a
/// new submission (every item answered). The page then shows them, to be read over and
/// submitted; a sheet that does not read is refused with each cell's problem, and nothing is
/// saved.
#[post("/surveys/{id}/answers.xlsx")]
pub(super) async fn upload(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    req: actix_web::HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, PortalError> {
    // Who may answer is settled before the body is read; the token travels inside it.
    let s = answerable(&ctx, &viewer, path.into_inner()).await?;
    let (csrf, file) = read_upload(Multipart::new(req.headers(), body), viewer.lang).await?;
    viewer.check_csrf(&csrf)?;
    let refuse = |errors: Vec<String>| async {
        render_refused(&page(&ctx, &viewer, &s, None, errors).await?, true)
    };
    if file.is_empty() {
        return refuse(vec![
            viewer.lang.tr("ファイルを選んでください。").to_owned(),
        ])
        .await;
    }
    let en = viewer.lang == Lang::En;
    let def_survey = s.clone();
    let read = web::block(move || sheet::read_answer_sheet(&def_survey, &file))
        .await
        .map_err(|e| anyhow::anyhow!("reading an answer sheet: {e}"))?;
    let fields = match read {
        Ok(f) => f,
        Err(problems) => {
            return refuse(
                problems
                    .into_iter()
                    .map(|p| if en { p.en } else { p.ja })
                    .collect(),
            )
            .await;
        }
    };
    let already = store::answer(&ctx.db, s.id, viewer.org.id)
        .await?
        .is_some_and(|a| a.submitted);
    let checked = definition::from_form(&s.definition, &fields)
        .and_then(|a| definition::check(&s.definition, &a, already).map(|()| a));
    let answers = match checked {
        Ok(a) => a,
        Err(errors) => return refuse(errors).await,
    };
    crate::surveys::act::save_answers(
        &ctx.db,
        &s,
        viewer.org.id,
        &answers,
        already,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/surveys/{}?uploaded=1",
        s.id
    )))
}

#[get("/surveys/{id}/results.xlsx")]
pub(super) async fn results(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    as_of: web::Query<AsOf>,
) -> Result<HttpResponse, PortalError> {
    let (s, _, r) = load(&ctx, &viewer, path.into_inner(), &as_of).await?;
    let at = as_of.given().then_some(r.as_of);
    let answers = crate::surveys::results::submitted(&ctx.db, &s, at).await?;
    let bytes = sheet::results_book(&s, &r, &answers)
        .map_err(|e| anyhow::anyhow!("results workbook of survey {}: {e}", s.id))?;
    Ok(xlsx(&format!("survey-{}-results.xlsx", s.id), bytes))
}
