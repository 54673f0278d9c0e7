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
            // A hub administrator's word verifies an address; anyone else's needs the
            // organisation's own domain or the address's owner.
            let by = contacts::Adder {
                actor,
                trusted: viewer.session.user.role == crate::auth::Role::Admin,
            };
            match contacts::add_contact(
                &ctx.db,
                &ctx.contact_links(),
                viewer.org.code,
                email.clone(),
                kind,
                language,
                encoding,
                &by,
            )
            .await
            {
                Ok(c) if c.verified.is_none() => Outcome::Notice(viewer.lang.tr1(
                    "{} を連絡先に追加しました。団体のドメインではないため、このアドレスに確認のメールを送りました。確認されるまで、公開（TLP:CLEAR）の情報だけが届きます。",
                    email,
                )),
                Ok(_) => Outcome::Notice(viewer.lang.tr1("{} を連絡先に追加しました。", email)),
                Err(e) => Outcome::Error(
                    viewer
                        .lang
                        .tr1("連絡先を追加できません: {}", crate::portal::error::refusal(e)?),
                ),
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

/// Mails an address not yet verified its confirmation link again (once a day per address).
#[post("/settings/contacts/{id}/ask")]
pub(super) async fn ask_again(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let id = path.into_inner();
    // Another organisation's address is not found, as everywhere in the settings.
    contacts::store::get(&ctx.db, id)
        .await?
        .filter(|c| c.org_id == viewer.org.id)
        .ok_or(PortalError::NotFound)?;
    let asked = contacts::confirm::ask_again(
        &ctx.db,
        &ctx.contact_links(),
        &viewer.org,
        id,
        &actor,
        chrono::Utc::now(),
    )
    .await?;
    let outcome = if asked {
        Outcome::Notice(viewer.lang.tr("確認のメールを送りました。").into())
    } else {
        Outcome::Error(
            viewer
                .lang
                .tr("確認のメールは送れません（確認済みのアドレスか、本日すでに送っています）。")
                .into(),
        )
    };
    page(&ctx, &viewer, Some(outcome)).await
}
