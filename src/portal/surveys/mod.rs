//! 調査・点検 in the portal: the surveys a viewer has (to answer, to write, to approve, to read
//! the results of), writing one from a shipped template, its four eyes, answering (drafts,
//! submission, late edits kept and marked), the results for the centre and a prefecture with
//! CSV and a chart, and an organisation's own 評価結果 with its 改善方針. Works without
//! JavaScript.

mod new;
mod own;
mod page;
mod results;
mod review;
mod sheet;

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::error::{PortalError, render};
use super::viewer::{Nav, Viewer};
use crate::context::AppContext;
use crate::registry::OrgKind;
use crate::surveys::publish::may_see_draft;
use crate::surveys::store::{self, Survey};
use crate::surveys::{Status, SurveyId};

/// Central staff read every survey's results; a prefecture's staff those of surveys addressed
/// to its organisations (its own organisations only); nobody else.
pub(super) fn results_scope(viewer: &Viewer) -> Option<crate::surveys::results::Scope> {
    use crate::surveys::results::Scope;
    if viewer.session.user.role.is_central() {
        Some(Scope::All)
    } else if viewer.org.kind == OrgKind::Prefecture {
        viewer.org.prefecture.map(Scope::Prefecture)
    } else {
        None
    }
}

/// The survey, if the viewer may see it at all: its drafts to their writers' side and
/// approvers; once published, to the organisations addressed, central staff, and the staff of a
/// prefecture with addressed organisations. Otherwise "not found".
async fn visible(ctx: &AppContext, viewer: &Viewer, id: SurveyId) -> Result<Survey, PortalError> {
    let s = store::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let user = &viewer.session.user;
    if s.status != Status::Published {
        return if may_see_draft(&s, user) {
            Ok(s)
        } else {
            Err(PortalError::NotFound)
        };
    }
    if user.role.is_central() || store::is_target(&ctx.db, s.id, viewer.org.id).await? {
        return Ok(s);
    }
    if viewer.org.kind == OrgKind::Prefecture && prefecture_addressed(ctx, &s, viewer).await? {
        return Ok(s);
    }
    Err(PortalError::NotFound)
}

/// Whether any of the prefecture's organisations was addressed.
async fn prefecture_addressed(
    ctx: &AppContext,
    s: &Survey,
    viewer: &Viewer,
) -> Result<bool, PortalError> {
    let Some(p) = viewer.org.prefecture else {
        return Ok(false);
    };
    let mine: std::collections::BTreeSet<_> = crate::registry::store::list(
        &ctx.db,
        crate::registry::store::OrgFilter {
            prefecture: Some(p),
            kind: None,
        },
    )
    .await?
    .into_iter()
    .map(|o| o.id)
    .collect();
    Ok(store::targets(&ctx.db, s.id)
        .await?
        .iter()
        .any(|t| mine.contains(t)))
}

pub struct SurveyLine {
    pub id: SurveyId,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub deadline: String,
    pub mine: String,
    pub results: bool,
}

#[derive(Template)]
#[template(path = "portal/surveys.html")]
struct ListPage {
    nav: Nav,
    lines: Vec<SurveyLine>,
    can_write: bool,
}

pub(super) fn can_write(viewer: &Viewer) -> bool {
    let role = viewer.session.user.role;
    matches!(
        role,
        crate::auth::Role::CentralOperator | crate::auth::Role::Admin
    ) || (viewer.org.kind == OrgKind::Prefecture && !role.is_central())
}

#[get("/surveys")]
async fn list(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    let mut lines = Vec::new();
    let addressed = store::addressed_to(&ctx.db, viewer.org.id).await?;
    for s in store::all(&ctx.db).await? {
        let seen = visible(&ctx, &viewer, s.id).await.is_ok();
        if !seen {
            continue;
        }
        let mine = if addressed.contains(&s.id) {
            match store::answer(&ctx.db, s.id, viewer.org.id).await? {
                Some(a) if a.returned() => viewer.lang.tr("差し戻し中").to_owned(),
                Some(a) if a.submitted && a.late => viewer.lang.tr("提出済（期限後）").to_owned(),
                Some(a) if a.submitted => viewer.lang.tr("提出済").to_owned(),
                Some(_) => viewer.lang.tr("下書き").to_owned(),
                None => viewer.lang.tr("未回答").to_owned(),
            }
        } else {
            String::new()
        };
        lines.push(SurveyLine {
            id: s.id,
            title: s.title.clone(),
            kind: viewer.lang.tr(s.kind.label_ja()),
            status: viewer.lang.tr(s.status.label_ja()),
            deadline: viewer.deadline(&s.deadline),
            mine,
            results: s.status == Status::Published && results_scope(&viewer).is_some(),
        });
    }
    render(&ListPage {
        can_write: can_write(&viewer),
        nav: viewer.nav(),
        lines,
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new::new_form)
        .service(new::create)
        .service(results::show)
        .service(results::csv)
        .service(sheet::results)
        .service(sheet::download)
        .service(sheet::upload)
        .service(review::show)
        .service(review::send_back)
        .service(results::chart_svg)
        .service(results::prompt)
        .service(results::send)
        .service(own::show)
        .service(own::plan)
        .service(page::show)
        .service(page::submit)
        .service(page::approve)
        .service(page::answer);
}
