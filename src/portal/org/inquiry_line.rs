//! The organisation's own 問合せ先: what its alerts, drills, surveys and answers to 照会 carry.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize)]
pub struct LineForm {
    csrf: String,
    #[serde(default)]
    line: String,
}

#[post("/settings/inquiry-line")]
pub(super) async fn set_line(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<LineForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let outcome =
        match contacts::inquiry_line::set(&ctx.db, &viewer.org, &form.line, &actor).await? {
            Ok(()) => Outcome::Notice(viewer.lang.tr("問合せ先を保存しました。").into()),
            Err(why) => Outcome::Error(viewer.lang.tr1("問合せ先を保存できません: {}", why)),
        };
    page(&ctx, &viewer, Some(outcome)).await
}
