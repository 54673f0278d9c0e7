//! The organisation's self-subscribed メールマガジン readers: its administrators vouch for the
//! ones who are their own staff (they then receive the organisation's TLP:GREEN and AMBER
//! items), or stop vouching.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize)]
pub struct VouchForm {
    csrf: String,
    /// `yes` to vouch, anything else to stop.
    vouch: String,
}

#[post("/settings/magazine/{id}/vouch")]
pub(super) async fn vouch(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<VouchForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let yes = form.vouch == "yes";
    let s = crate::magazine::subscribers::set_vouched(
        &ctx.db,
        viewer.org.id,
        path.into_inner(),
        yes,
        &actor,
        chrono::Utc::now(),
    )
    .await?;
    let notice = if yes {
        viewer.lang.tr1(
            "{} を団体の職員として承認しました。団体向けの項目も届きます。",
            &s.email,
        )
    } else {
        viewer.lang.tr1(
            "{} の承認を取り消しました。公開（TLP:CLEAR）の項目だけが届きます。",
            &s.email,
        )
    };
    page(&ctx, &viewer, Some(Outcome::Notice(notice))).await
}
