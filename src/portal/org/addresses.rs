//! The organisation's mail addresses: add one, turn one off or on.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize)]
pub struct ContactForm {
    csrf: String,
    email: String,
    kind: String,
    language: String,
    encoding: String,
}

#[post("/settings/contacts")]
pub(super) async fn add_contact(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let parsed = (|| {
        Ok::<_, String>((
            EmailAddress::parse(&form.email).map_err(|e| e.to_string())?,
            ContactKind::parse(&form.kind)?,
            Language::parse(&form.language)?,
            MailEncoding::parse(&form.encoding)?,
        ))
    })();
    let outcome = match parsed {
        Err(e) => Outcome::Error(viewer.lang.tr1("連絡先を追加できません: {}", e)),
        Ok((email, kind, language, encoding)) => {
            match contacts::add_contact(
                &ctx.db,
                viewer.org.code,
                email.clone(),
                kind,
                language,
                encoding,
                &actor,
            )
            .await
            {
                Ok(_) => Outcome::Notice(viewer.lang.tr1("{} を連絡先に追加しました。", email)),
                Err(contacts::ContactError::Unexpected(e)) => return Err(e.into()),
                Err(e) => Outcome::Error(viewer.lang.tr1("連絡先を追加できません: {}", e)),
            }
        }
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/contacts/{id}/active")]
pub(super) async fn toggle_contact(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<ToggleForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let active = form.active(viewer.lang)?;
    let id = path.into_inner();
    let outcome = match contacts::set_active(&ctx.db, viewer.org.code, id, active, &actor).await {
        Ok(()) if active => Outcome::Notice(viewer.lang.tr("連絡先を有効にしました。").into()),
        Ok(()) => Outcome::Notice(
            viewer
                .lang
                .tr("連絡先を停止しました（配信されません）。")
                .into(),
        ),
        Err(contacts::ContactError::Unexpected(e)) => return Err(e.into()),
        Err(_) => return Err(PortalError::NotFound),
    };
    page(&ctx, &viewer, Some(outcome)).await
}
