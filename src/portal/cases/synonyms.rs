//! `/cases/synonyms`: the words search treats as one, edited by central staff. Saving re-queues
//! every published case so both engines index it with the new list.

use super::*;
use crate::search::synonyms::Synonyms;

#[derive(Template)]
#[template(path = "portal/case_synonyms.html")]
pub(super) struct SynonymsPage {
    nav: Nav,
    text: String,
    error: Option<String>,
    saved: Option<u64>,
}

#[derive(serde::Deserialize)]
pub(super) struct SynonymsForm {
    csrf: String,
    text: String,
}

#[derive(serde::Deserialize)]
pub(super) struct SavedParams {
    saved: Option<u64>,
}

#[get("/cases/synonyms")]
pub(super) async fn show_synonyms(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    params: web::Query<SavedParams>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    let list = store::synonyms(&ctx.db).await?;
    render(&SynonymsPage {
        nav: viewer.nav(),
        text: list.to_text(),
        error: None,
        saved: params.saved,
    })
}

#[post("/cases/synonyms")]
pub(super) async fn save_synonyms(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<SynonymsForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    if form.text.len() > 100_000 {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("一覧が長すぎます（100 KB まで）").into(),
        ));
    }
    let list = match Synonyms::parse(&form.text) {
        Ok(l) => l,
        Err(e) => {
            return render_refused(
                &SynonymsPage {
                    nav: viewer.nav(),
                    text: form.text.clone(),
                    error: Some(e),
                    saved: None,
                },
                true,
            );
        }
    };
    let queued = crate::cases::act::replace_synonyms(&ctx.db, &list, &viewer.actor()).await?;
    index_now(&ctx).await;
    Ok(crate::portal::parts::see_other(&format!(
        "/cases/synonyms?saved={queued}"
    )))
}
