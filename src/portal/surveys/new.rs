//! `/surveys/new`: a survey from a shipped template (or TOML pasted in), with its audience, its
//! deadline and, for a second round, the first. It becomes a draft; four eyes publish it.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::can_write;
use crate::context::AppContext;
use crate::portal::error::{PortalError, render, render_refused};
use crate::portal::viewer::{Nav, Viewer};
use crate::registry::OrgKind;
use crate::surveys::definition::{Definition, TEMPLATES};
use crate::surveys::publish::{self, Draft};
use crate::surveys::{Status, SurveyId};

#[derive(Template)]
#[template(path = "portal/survey_new.html")]
struct NewPage {
    nav: Nav,
    templates: Vec<(&'static str, bool)>,
    toml: String,
    picker: crate::portal::picker::PickerView,
    deadline: String,
    reference_date: String,
    previous: Vec<(SurveyId, String, bool)>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NewForm {
    csrf: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    toml: String,
    #[serde(flatten)]
    picker: crate::portal::picker::PickerFields,
    deadline: String,
    /// 基準日 (`YYYY-MM-DD`, optional).
    #[serde(default)]
    reference_date: String,
    #[serde(default)]
    previous: String,
}

fn require_writer(viewer: &Viewer) -> Result<(), PortalError> {
    if can_write(viewer) {
        Ok(())
    } else {
        Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("調査は中央の起案担当者か、都道府県の職員（管内向け）が作成します。")
                .into(),
        ))
    }
}

async fn page(
    ctx: &AppContext,
    viewer: &Viewer,
    f: Option<&NewForm>,
    error: Option<String>,
) -> Result<NewPage, PortalError> {
    let owner = (viewer.org.kind == OrgKind::Prefecture).then_some(viewer.org.id);
    let chosen = f.map(|f| f.previous.as_str()).unwrap_or_default();
    let previous = crate::surveys::store::all(&ctx.db)
        .await?
        .into_iter()
        .filter(|s| s.status == Status::Published && s.owner == owner)
        .map(|s| (s.id, s.title, chosen == s.id.to_string()))
        .collect();
    let template = f.map(|f| f.template.as_str()).unwrap_or(TEMPLATES[0].0);
    Ok(NewPage {
        nav: viewer.nav(),
        templates: TEMPLATES
            .iter()
            .map(|(n, _)| (*n, *n == template))
            .collect(),
        toml: f.map(|f| f.toml.clone()).unwrap_or_default(),
        picker: {
            let own = crate::portal::picker::limit_of(viewer);
            let initial = crate::portal::picker::PickerFields::initial(own);
            crate::portal::picker::PickerView::of(
                f.map_or(&initial, |f| &f.picker),
                own,
                viewer.lang,
            )
        },
        deadline: f.map(|f| f.deadline.clone()).unwrap_or_else(|| {
            crate::time::format_jst(&(chrono::Utc::now() + chrono::Duration::days(14)))
                .get(..10)
                .map(|d| format!("{d} 17:00"))
                .unwrap_or_default()
        }),
        reference_date: f.map(|f| f.reference_date.clone()).unwrap_or_default(),
        previous,
        error,
    })
}

#[get("/surveys/new")]
pub(super) async fn new_form(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
) -> Result<HttpResponse, PortalError> {
    require_writer(&viewer)?;
    render(&page(&ctx, &viewer, None, None).await?)
}

#[post("/surveys/new")]
pub(super) async fn create(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<NewForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    require_writer(&viewer)?;
    let now = chrono::Utc::now();
    let text = if form.toml.trim().is_empty() {
        TEMPLATES
            .iter()
            .find(|(n, _)| *n == form.template)
            .map(|(_, t)| (*t).to_owned())
            .unwrap_or_default()
    } else {
        form.toml.clone()
    };
    let own = crate::portal::picker::limit_of(&viewer);
    let selectors = match crate::portal::picker::read(&ctx, &form.picker, own, viewer.lang).await? {
        Ok(s) => s,
        Err(e) => return render_refused(&page(&ctx, &viewer, Some(&form), Some(e)).await?, true),
    };
    if form.picker.previewing() {
        let said = crate::portal::picker::preview(&ctx, &selectors, viewer.lang).await?;
        let mut p = page(&ctx, &viewer, Some(&form), None).await?;
        p.picker.preview = Some(said);
        return render(&p);
    }
    let checked = (|| -> Result<Draft, String> {
        if text.len() > 200_000 {
            return Err("toml: at most 200 KB".into());
        }
        let mut definition = Definition::parse(&text).map_err(|e| format!("toml: {e}"))?;
        let day = form.reference_date.trim();
        if !day.is_empty() {
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| format!("reference_date: `{day}` is not a date (YYYY-MM-DD)"))?;
            definition.reference_date = day.to_owned();
        }
        let deadline = publish::parse_deadline(&form.deadline, now)?;
        let previous = match form.previous.trim() {
            "" => None,
            p => Some(SurveyId(
                p.parse()
                    .map_err(|_| format!("previous: `{p}` is not a survey"))?,
            )),
        };
        let audience = selectors.clone();
        Ok(Draft {
            definition,
            audience,
            deadline,
            previous,
        })
    })();
    let draft = match checked {
        Ok(d) => d,
        Err(e) => return render_refused(&page(&ctx, &viewer, Some(&form), Some(e)).await?, true),
    };
    let owner = (viewer.org.kind == OrgKind::Prefecture).then_some(&viewer.org);
    match publish::create(&ctx.db, &ctx.rules, draft, &viewer.session.user, owner, now).await {
        Ok(id) => Ok(crate::portal::parts::see_other(&format!("/surveys/{id}"))),
        Err(publish::SurveyError::Invalid(e)) => {
            render_refused(&page(&ctx, &viewer, Some(&form), Some(e)).await?, true)
        }
        Err(e) => Err(e.into()),
    }
}
