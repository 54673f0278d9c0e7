//! The products the organisation runs (for inventory audiences).

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize)]
pub struct ProductForm {
    csrf: String,
    #[serde(default)]
    cpe: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    versions: String,
    #[serde(default)]
    note: String,
}

#[post("/settings/inventory")]
pub(super) async fn add_product(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let form = form.into_inner();
    let some = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let req = AddItem {
        org: Some(viewer.org.code),
        cpe: some(form.cpe),
        vendor: some(form.vendor),
        product: some(form.product),
        versions: some(form.versions),
        note: some(form.note),
    };
    let outcome = match inventory::add_item(&ctx.db, req, &actor).await {
        Ok(item) => Outcome::Notice(viewer.lang.tr1("{} を登録しました。", item.label())),
        Err(e) => Outcome::Error(viewer.lang.tr1(
            "製品を登録できません: {}",
            crate::portal::error::refusal(e)?,
        )),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/inventory/{id}/remove")]
pub(super) async fn remove_product(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    if !inventory::remove_item(&ctx.db, &viewer.org, path.into_inner(), &actor).await? {
        return Err(PortalError::NotFound);
    }
    page(
        &ctx,
        &viewer,
        Some(Outcome::Notice(
            viewer.lang.tr("製品を削除しました。").into(),
        )),
    )
    .await
}
