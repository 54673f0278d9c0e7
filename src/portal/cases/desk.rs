//! The review desk (`/cases/desk`) and what is done there: publish (an approver other than the
//! submitter) and withdraw.

use super::*;

#[post("/cases/{id}/publish")]
pub(super) async fn publish_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<crate::portal::parts::CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    if viewer.session.user.role != Role::CentralApprover {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("事例の公開は中央の承認者が行います。")
                .into(),
        ));
    }
    let case = readable(&ctx, &viewer, &path).await?;
    crate::cases::act::publish(&ctx.db, case.id, &viewer.actor()).await?;
    index_now(&ctx).await;
    Ok(crate::portal::parts::see_other(&format!(
        "/cases/{}",
        case.id
    )))
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

#[post("/cases/{id}/withdraw")]
pub(super) async fn withdraw_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<WithdrawForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    let case = readable(&ctx, &viewer, &path).await?;
    crate::cases::act::withdraw(&ctx.db, case.id, &form.note, &viewer.actor()).await?;
    index_now(&ctx).await;
    Ok(crate::portal::parts::see_other(&format!(
        "/cases/{}",
        case.id
    )))
}

#[derive(Template)]
#[template(path = "portal/cases_desk.html")]
pub(super) struct DeskPage {
    nav: Nav,
    central: bool,
    pending: Vec<CaseRow>,
    recent: Vec<CaseRow>,
}

/// Central staff: cases waiting for review and publication, and recent changes. Everyone
/// else: their organisation's own submissions and what became of them.
#[get("/cases/desk")]
pub(super) async fn desk(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
) -> Result<HttpResponse, PortalError> {
    let central = viewer.may(Section::Central);
    let (pending, recent) = if central {
        (
            store::list(&ctx.db, &[Status::Submitted, Status::Reviewing], None, 200).await?,
            store::list(&ctx.db, &[Status::Published, Status::Withdrawn], None, 20).await?,
        )
    } else {
        (
            store::list(&ctx.db, &[], Some(viewer.org.id), 200).await?,
            Vec::new(),
        )
    };
    render(&DeskPage {
        central,
        pending: pending
            .iter()
            .map(|c| row(c, String::new(), viewer.lang))
            .collect(),
        recent: recent
            .iter()
            .map(|c| row(c, String::new(), viewer.lang))
            .collect(),
        nav: viewer.nav(),
    })
}
