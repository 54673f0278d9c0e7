//! Composing, editing, submitting and approving an issue (central staff; four eyes in the capability).

use super::*;
#[allow(unused_imports)]
use crate::domain::ids::IssueId;

#[derive(serde::Deserialize)]
pub struct ComposeForm {
    csrf: String,
    #[serde(default)]
    week: String,
}

#[post("/magazine/new")]
pub(super) async fn compose(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<ComposeForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    if !issue::may_write(&viewer.session.user) {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("メールマガジンの号は中央の担当者が作ります。")
                .into(),
        ));
    }
    let (from, to) = match issue::parse_week(&form.week) {
        Ok(p) => p,
        Err(e) => {
            let page = archive_page(&ctx, viewer.lang, Some(&viewer), Some(e)).await?;
            return render_refused(&page, true);
        }
    };
    let i = issue::compose(&ctx.db, &viewer.session.user, from, to, Utc::now()).await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/magazine/drafts/{}",
        i.id
    )))
}

#[derive(Template)]
#[template(path = "portal/magazine_draft.html")]
pub(super) struct DraftPage {
    nav: Nav,
    id: IssueId,
    title: String,
    intro: String,
    period: String,
    status: &'static str,
    items: Vec<ItemView>,
    editable: bool,
    submittable: bool,
    approvable: bool,
    number: Option<i32>,
    notice: Option<String>,
}

pub(super) async fn draft_page(
    ctx: &AppContext,
    viewer: &Viewer,
    id: IssueId,
    notice: Option<String>,
) -> Result<DraftPage, PortalError> {
    viewer.require(crate::portal::viewer::Section::Central)?;
    let i = issue::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let role = viewer.session.user.role;
    let writer = issue::may_write(&viewer.session.user);
    Ok(DraftPage {
        nav: viewer.nav(),
        id,
        title: i.title.clone(),
        intro: i.intro.clone(),
        period: period(&i),
        status: viewer.lang.tr(match i.status {
            Status::Draft => "下書き",
            Status::Submitted => "承認待ち",
            Status::Published => "発行済み",
        }),
        items: item_views(&i.items, viewer.lang, Some(viewer)),
        editable: writer && i.status == Status::Draft,
        submittable: writer && i.status == Status::Draft,
        approvable: role == Role::CentralApprover && i.status == Status::Submitted,
        number: i.number,
        notice,
    })
}

#[get("/magazine/drafts/{id}")]
pub(super) async fn show_draft(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<IssueId>,
) -> Result<HttpResponse, PortalError> {
    render(&draft_page(&ctx, &viewer, *id, None).await?)
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    intro: String,
    /// Item numbers (from 1) to leave out, comma-separated.
    #[serde(default)]
    drop: String,
}

#[post("/magazine/drafts/{id}")]
pub(super) async fn edit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<IssueId>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let mut drop = Vec::new();
    for part in form
        .drop
        .split([',', ' ', '、'])
        .filter(|p| !p.trim().is_empty())
    {
        match part.trim().parse::<usize>() {
            Ok(n) if n >= 1 => drop.push(n - 1),
            _ => {
                return Err(PortalError::BadRequest(
                    viewer.lang.tr1("除く項目は番号で書きます: {}", part.trim()),
                ));
            }
        }
    }
    issue::edit(
        &ctx.db,
        &viewer.session.user,
        *id,
        &form.title,
        &form.intro,
        &drop,
        Utc::now(),
    )
    .await?;
    let notice = viewer.lang.tr("保存しました。").to_owned();
    render(&draft_page(&ctx, &viewer, *id, Some(notice)).await?)
}

#[post("/magazine/drafts/{id}/submit")]
pub(super) async fn submit(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<IssueId>,
    form: web::Form<crate::portal::parts::CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    issue::submit(&ctx.db, &viewer.session.user, *id, Utc::now()).await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/magazine/drafts/{id}"
    )))
}

#[post("/magazine/drafts/{id}/approve")]
pub(super) async fn approve(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    id: web::Path<IssueId>,
    form: web::Form<crate::portal::parts::CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let p = issue::approve(&ctx.db, &viewer.session.user, *id, Utc::now()).await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/magazine/issues/{}",
        p.issue.number.unwrap_or_default()
    )))
}
