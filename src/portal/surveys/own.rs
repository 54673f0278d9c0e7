//! `/surveys/{id}/result`: an organisation's own 評価結果 — its scores by category and overall,
//! its grade and 到達率, its previous round — beside the spread of its prefecture and the
//! nation (counts by grade, never another organisation's name); and its answer: 改善方針 and
//! the 年度 it expects to finish, which its prefecture and the centre see.

use crate::domain::ids::SurveyId;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::visible;
use crate::context::AppContext;
use crate::portal::error::{PortalError, render};
use crate::portal::viewer::{Nav, Viewer};
use crate::surveys::Status;
use crate::surveys::results::{self, grades_line};
use crate::surveys::score::percent;
use crate::surveys::store::{self, Survey};

#[derive(Template)]
#[template(path = "portal/survey_result.html")]
struct ResultPage {
    nav: Nav,
    id: SurveyId,
    title: String,
    answered: bool,
    late: bool,
    categories: Vec<(String, String)>,
    overall: String,
    grade: &'static str,
    reach: String,
    /// What pulled the score down: (category, item, rate), lowest first.
    weakest: Vec<(String, String, String)>,
    previous: String,
    prefecture: String,
    nation: String,
    chart: String,
    plan: String,
    plan_fy: String,
    error: Option<String>,
}

async fn addressed(ctx: &AppContext, viewer: &Viewer, id: SurveyId) -> Result<Survey, PortalError> {
    let s = visible(ctx, viewer, id).await?;
    if s.status != Status::Published || !store::is_target(&ctx.db, s.id, viewer.org.id).await? {
        return Err(PortalError::NotFound);
    }
    Ok(s)
}

async fn page(
    ctx: &AppContext,
    viewer: &Viewer,
    s: &Survey,
    error: Option<String>,
    typed: Option<(&str, &str)>,
) -> Result<ResultPage, PortalError> {
    let own = results::own(&ctx.db, s, &viewer.org).await?;
    let mut rows: Vec<(&str, [u64; 4])> = Vec::new();
    if let Some(p) = &own.prefecture {
        rows.push((p.label.as_str(), p.grades));
    }
    rows.push((viewer.lang.tr("全国"), own.nation.grades));
    Ok(ResultPage {
        nav: viewer.nav(),
        id: s.id,
        title: s.title.clone(),
        answered: own.answered,
        late: own.late,
        categories: s
            .definition
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let m = own
                    .score
                    .as_ref()
                    .and_then(|sc| sc.categories.get(i))
                    .and_then(|(_, m)| *m);
                (c.title.clone(), percent(m))
            })
            .collect(),
        overall: percent(own.score.as_ref().and_then(|s| s.overall)),
        grade: own
            .score
            .as_ref()
            .and_then(|s| s.grade())
            .map_or("—", |g| g.as_str()),
        reach: own
            .score
            .as_ref()
            .map(|s| crate::surveys::items::reach(&s.reach))
            .unwrap_or_default(),
        weakest: own
            .score
            .as_ref()
            .map(|sc| crate::surveys::items::weakest(&s.definition, sc, 5))
            .unwrap_or_default()
            .into_iter()
            .map(|(c, i, r)| (c, i, percent(Some(r))))
            .collect(),
        previous: own
            .previous
            .as_ref()
            .map(|p| {
                format!(
                    "{}（{}）",
                    percent(p.overall),
                    p.grade().map_or("—", |g| g.as_str())
                )
            })
            .unwrap_or_default(),
        prefecture: own
            .prefecture
            .as_ref()
            .map(|p| format!("{}: {}", p.label, grades_line(p)))
            .unwrap_or_default(),
        nation: grades_line(&own.nation),
        chart: results::chart_svg(&rows),
        plan: typed
            .map(|t| t.0.to_owned())
            .or(own.plan.clone())
            .unwrap_or_default(),
        plan_fy: typed
            .map(|t| t.1.to_owned())
            .or(own.plan_fiscal_year.map(|y| y.to_string()))
            .unwrap_or_default(),
        error,
    })
}

#[get("/surveys/{id}/result")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
) -> Result<HttpResponse, PortalError> {
    let s = addressed(&ctx, &viewer, path.into_inner()).await?;
    render(&page(&ctx, &viewer, &s, None, None).await?)
}

#[derive(Deserialize)]
pub(super) struct PlanForm {
    csrf: String,
    plan: String,
    fiscal_year: String,
}

#[post("/surveys/{id}/plan")]
pub(super) async fn plan(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let s = addressed(&ctx, &viewer, path.into_inner()).await?;
    let now = chrono::Utc::now();
    let this_fy = crate::time::fiscal_year(&now);
    let text = form.plan.replace("\r\n", "\n").trim().to_owned();
    let fy = form.fiscal_year.trim().parse::<i32>().ok();
    let error = if text.is_empty() || text.chars().count() > 5_000 {
        Some(
            viewer
                .lang
                .tr("plan: 改善方針を 5,000 文字以内で入力してください")
                .to_owned(),
        )
    } else if !fy.is_some_and(|y| (this_fy..=this_fy + 10).contains(&y)) {
        Some(viewer.lang.tr1(
            "fiscal_year: 対応完了予定年度は {} 年度から 10 年以内の西暦で入力してください",
            this_fy,
        ))
    } else {
        None
    };
    if let Some(e) = error {
        let p = page(
            &ctx,
            &viewer,
            &s,
            Some(e),
            Some((&form.plan, &form.fiscal_year)),
        )
        .await?;
        return crate::portal::error::render_refused(&p, true);
    }
    let saved = crate::surveys::act::save_plan(
        &ctx.db,
        s.id,
        viewer.org.id,
        &text,
        fy.unwrap_or(this_fy),
        &viewer.actor(),
        now,
    )
    .await?;
    if !saved {
        return Err(PortalError::BadRequest(
            viewer
                .lang
                .tr("改善方針は回答を提出してから入力します。")
                .into(),
        ));
    }
    Ok(crate::portal::parts::see_other(&format!(
        "/surveys/{}/result",
        s.id
    )))
}
