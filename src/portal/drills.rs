//! 連絡体制の確認訓練 in the portal: the list of drills, a form to write one (central operators;
//! it then goes through the same four eyes as an alert), and the 疎通確認 report with its CSV.
//! Central staff see every organisation; a prefecture's staff see their prefecture and its
//! municipalities, and only drills addressed there.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::error::{PortalError, render, render_refused};
use super::viewer::{Nav, Section, Viewer};
use crate::alerts::AlertId;
use crate::context::AppContext;
use crate::drills::report::{self, Figures, Scope, duration_en, duration_ja};
use crate::drills::{self, Scenario};
use crate::registry::OrgKind;

/// Central staff, or staff of a prefecture (for its own organisations).
fn scope_of(viewer: &Viewer) -> Result<Scope, PortalError> {
    if viewer.session.user.role.is_central() {
        Ok(Scope::All)
    } else if viewer.org.kind == OrgKind::Prefecture {
        Ok(Scope::Prefecture(viewer.org.id))
    } else {
        Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("訓練の結果は中央省庁等と都道府県の職員が見られます。")
                .into(),
        ))
    }
}

pub struct DrillLine {
    pub id: AlertId,
    pub public_id: String,
    pub title: String,
    pub status: &'static str,
    pub sent: String,
    pub addressed: u64,
    pub reach: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "portal/drills.html")]
struct DrillsPage {
    nav: Nav,
    drills: Vec<DrillLine>,
    can_write: bool,
}

#[get("/drills")]
async fn list(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    let scope = scope_of(&viewer)?;
    let mut drills = Vec::new();
    for d in crate::alerts::store::list_drills(&ctx.db).await? {
        let report = if d.has_gone_out() {
            report::build(&ctx.db, &d, scope).await?
        } else if scope == Scope::All || d.owner == Some(viewer.org.id) {
            None
        } else {
            // Prefecture staff see their own prefecture's drafts only.
            continue;
        };
        if let Some(r) = &report
            && r.total.addressed == 0
        {
            continue;
        }
        drills.push(DrillLine {
            id: d.id,
            public_id: d.public_id.clone().unwrap_or_default(),
            // What went out (第1報), never an edit waiting for approval.
            title: report
                .as_ref()
                .map_or_else(|| d.title.clone(), |r| r.title.clone()),
            status: viewer.lang.tr(d.status.label_ja()),
            sent: report
                .as_ref()
                .map(|r| viewer.when(&r.sent_at))
                .unwrap_or_default(),
            addressed: report.as_ref().map_or(0, |r| r.total.addressed),
            reach: report
                .as_ref()
                .map(|r| r.total.reach().percent())
                .unwrap_or_default(),
            answer: report
                .as_ref()
                .map(|r| r.total.answer().percent())
                .unwrap_or_default(),
        });
    }
    render(&DrillsPage {
        can_write: viewer.org.kind == OrgKind::Prefecture
            || matches!(
                viewer.session.user.role,
                crate::auth::Role::CentralOperator | crate::auth::Role::Admin
            ),
        nav: viewer.nav(),
        drills,
    })
}

#[derive(Template)]
#[template(path = "portal/drill_new.html")]
struct NewPage {
    nav: Nav,
    title: String,
    body: String,
    picker: super::picker::PickerView,
    hours: String,
    starts: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NewForm {
    csrf: String,
    title: String,
    body: String,
    #[serde(flatten)]
    picker: super::picker::PickerFields,
    hours: String,
    /// Optional start, JST: `2026-12-10 10:00` (a `datetime-local` field sends `2026-12-10T10:00`).
    #[serde(default)]
    starts: String,
}

/// Central operators write the centre's drills; a prefecture's staff write drills for their own
/// prefecture (owned by it: its staff submit, its administrator approves). Returns the owner.
fn require_drafter(viewer: &Viewer) -> Result<Option<crate::registry::Organisation>, PortalError> {
    if viewer.org.kind == OrgKind::Prefecture {
        return Ok(Some(viewer.org.clone()));
    }
    viewer.require(Section::Central)?;
    if matches!(
        viewer.session.user.role,
        crate::auth::Role::CentralOperator | crate::auth::Role::Admin
    ) {
        Ok(None)
    } else {
        Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("訓練の起案は中央の起案担当者が行います。")
                .into(),
        ))
    }
}

#[get("/drills/new")]
async fn new_form(viewer: Viewer) -> Result<HttpResponse, PortalError> {
    require_drafter(&viewer)?;
    render(&NewPage {
        nav: viewer.nav(),
        title: viewer.lang.tr("連絡体制の確認訓練").to_owned(),
        body: String::new(),
        picker: {
            let own = super::picker::limit_of(&viewer);
            super::picker::PickerView::of(
                &super::picker::PickerFields::initial(own),
                own,
                viewer.lang,
            )
        },
        hours: "24".into(),
        starts: String::new(),
        error: None,
    })
}

#[post("/drills/new")]
async fn create(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<NewForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let owner = require_drafter(&viewer)?;
    let own = super::picker::limit_of(&viewer);
    let page = |error: Option<String>, preview: Option<String>| {
        let mut picker = super::picker::PickerView::of(&form.picker, own, viewer.lang);
        picker.preview = preview;
        NewPage {
            nav: viewer.nav(),
            title: form.title.clone(),
            body: form.body.clone(),
            picker,
            hours: form.hours.clone(),
            starts: form.starts.clone(),
            error,
        }
    };
    let refuse = |e: String| render_refused(&page(Some(e), None), true);
    let selectors = match super::picker::read(&ctx, &form.picker, own, viewer.lang).await? {
        Ok(s) => s,
        Err(e) => return refuse(e),
    };
    if form.picker.previewing() {
        let said = super::picker::preview(&ctx, &selectors, viewer.lang).await?;
        return render(&page(None, Some(said)));
    }
    let hours = match form.hours.trim().parse::<i32>() {
        Ok(h) => h,
        Err(_) => {
            return refuse(
                viewer
                    .lang
                    .tr("回答期限は時間数（1〜720）で入力してください。")
                    .into(),
            );
        }
    };
    let scenario = Scenario {
        title: form.title.clone(),
        body: form.body.clone(),
        severity: None,
        tlp: None,
        answer_within_hours: Some(hours),
        to: selectors,
        starts_at: Some(form.starts.replacen('T', " ", 1)),
    };
    let checked = match scenario.check(&[]) {
        Ok(c) => c,
        Err(p) => {
            return refuse(match viewer.lang {
                super::i18n::Lang::Ja => p.ja,
                super::i18n::Lang::En => p.en,
            });
        }
    };
    match drills::create(
        &ctx.db,
        &ctx.policy,
        &ctx.rules,
        checked,
        &viewer.actor(),
        owner.as_ref(),
    )
    .await
    {
        Ok(alert) => Ok(super::parts::see_other(&format!("/drafts/{}", alert.id))),
        Err(e) => refuse(super::error::refusal(e)?),
    }
}

/// A drill's own address: its draft while it waits, its report once it went out.
#[get("/drills/{id}")]
async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
) -> Result<HttpResponse, PortalError> {
    let scope = scope_of(&viewer)?;
    let d = drill(&ctx, path.into_inner()).await?;
    if d.has_gone_out() {
        // Only to a reader of the report (a prefecture it was addressed to).
        let r = visible_report(&ctx, &viewer, d.id).await?;
        Ok(super::parts::see_other(&format!(
            "/drills/{}/report",
            r.alert_id
        )))
    } else if scope == Scope::All || d.owner == Some(viewer.org.id) {
        Ok(super::parts::see_other(&format!("/drafts/{}", d.id)))
    } else {
        Err(PortalError::NotFound)
    }
}

async fn drill(ctx: &AppContext, id: AlertId) -> Result<crate::alerts::Alert, PortalError> {
    crate::alerts::store::get(&ctx.db, id)
        .await?
        .filter(|a| a.drill)
        .ok_or(PortalError::NotFound)
}

/// The report the viewer may see; not found for a drill not addressed to its prefecture.
async fn visible_report(
    ctx: &AppContext,
    viewer: &Viewer,
    id: AlertId,
) -> Result<report::Report, PortalError> {
    let scope = scope_of(viewer)?;
    let d = drill(ctx, id).await?;
    let r = report::build(&ctx.db, &d, scope)
        .await?
        .ok_or(PortalError::NotFound)?;
    if r.total.addressed == 0 {
        return Err(PortalError::NotFound);
    }
    Ok(r)
}

pub struct FigureLine {
    pub name: String,
    pub addressed: u64,
    pub reached: u64,
    pub reach: String,
    pub reach_grade: &'static str,
    pub answered: u64,
    pub answer: String,
    pub answer_grade: &'static str,
    pub median: String,
    pub p90: String,
    pub bounced: u64,
    pub without: u64,
}

pub struct BounceLine {
    pub code: String,
    pub organisation: String,
    pub email: String,
    pub at: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "portal/drill_report.html")]
struct ReportPage {
    nav: Nav,
    id: AlertId,
    public_id: String,
    title: String,
    sent: String,
    total: FigureLine,
    lines: Vec<FigureLine>,
    previous: Option<(String, String, FigureLine)>,
    bounces: Vec<BounceLine>,
    without: Vec<(String, String)>,
}

fn figure_line(name: String, f: &Figures, lang: super::i18n::Lang) -> FigureLine {
    let d = |s| match lang {
        super::i18n::Lang::Ja => duration_ja(s),
        super::i18n::Lang::En => duration_en(s),
    };
    FigureLine {
        name,
        addressed: f.addressed,
        reached: f.reached,
        reach: f.reach().percent(),
        reach_grade: f.reach_grade().map_or("", |g| g.as_str()),
        answered: f.answered,
        answer: f.answer().percent(),
        answer_grade: f.answer_grade().map_or("", |g| g.as_str()),
        median: d(f.median_secs()),
        p90: d(f.p90_secs()),
        bounced: f.bounced,
        without: f.without_working_contact,
    }
}

#[get("/drills/{id}/report")]
async fn show_report(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
) -> Result<HttpResponse, PortalError> {
    let r = visible_report(&ctx, &viewer, path.into_inner()).await?;
    let lang = viewer.lang;
    render(&ReportPage {
        id: r.alert_id,
        public_id: r.public_id.clone(),
        title: r.title.clone(),
        sent: viewer.when(&r.sent_at),
        total: figure_line(lang.tr("合計").to_owned(), &r.total, lang),
        lines: r
            .lines
            .iter()
            .map(|l| figure_line(l.prefecture.name().to_owned(), &l.figures, lang))
            .collect(),
        previous: r.previous.as_ref().map(|p| {
            (
                p.public_id.clone(),
                viewer.when(&p.sent_at),
                figure_line(lang.tr("前回").to_owned(), &p.total, lang),
            )
        }),
        bounces: r
            .contacts
            .iter()
            .filter(|c| c.bounced_at.is_some())
            .map(|c| BounceLine {
                code: c.code.clone(),
                organisation: c.organisation.clone(),
                email: c.email.clone(),
                at: c
                    .bounced_at
                    .as_ref()
                    .map(|t| viewer.when(t))
                    .unwrap_or_default(),
                reason: c.bounce.clone(),
            })
            .collect(),
        without: r.without_working_contact.clone(),
        nav: viewer.nav(),
    })
}

#[get("/drills/{id}/report.csv")]
async fn export(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
) -> Result<HttpResponse, PortalError> {
    let r = visible_report(&ctx, &viewer, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-sotsu.csv\"", r.public_id),
        ))
        .body(report::csv(&r)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(show_report)
        .service(export)
        .service(show);
}
