//! The organisation's portal users: add, disable, reset a password.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize)]
pub struct UserForm {
    csrf: String,
    email: String,
    #[serde(default)]
    name: String,
    role: String,
}

#[post("/settings/users")]
pub(super) async fn add_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, PortalError> {
    guard(&viewer, &form.csrf)?;
    // A role the form names but this viewer may not grant is refused like an unknown one.
    let role = match Role::parse(&form.role) {
        Ok(r) if grantable(&viewer).contains(&r) => Some(r),
        _ => None,
    };
    let Some(role) = role else {
        return page(
            &ctx,
            &viewer,
            Some(Outcome::Error(
                viewer.lang.tr1("役割 `{}` は付与できません。", &form.role),
            )),
        )
        .await;
    };
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => {
            let outcome = Outcome::Error(viewer.lang.tr1("利用者を追加できません: {}", e));
            return page(&ctx, &viewer, Some(outcome)).await;
        }
    };
    let temporary = auth::temporary_password(&ctx.settings.auth);
    let req = AddUser {
        org: viewer.org.code,
        role,
        email,
        display_name: Some(form.name.clone()),
        password: temporary.clone(),
    };
    let outcome = match auth::add_user_with_temporary_password(
        &ctx.db,
        &ctx.settings.auth,
        req,
        &viewer.session.user,
    )
    .await
    {
        Ok((user, _)) => Outcome::Secret(
            if user.awaiting_enable {
                viewer.lang.tr1(
                    "{} を追加しました。承認できる役割のため、システム管理者が有効にするまでログインできません（システム管理者にはメールで知らせました）。",
                    &user.email,
                )
            } else {
                viewer.lang.tr1("{} を追加しました。", &user.email)
            },
            Shown {
                what: viewer.lang.tr1("{} の初期パスワード", &user.email),
                secret: temporary.expose_secret().to_owned(),
                uses: Vec::new(),
            },
        ),
        Err(e) => Outcome::Error(viewer.lang.tr1(
            "利用者を追加できません: {}",
            crate::portal::error::refusal(e)?,
        )),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

/// A user of the viewer's own organisation, or 404 (whom the viewer may manage is decided by
/// `auth`, which answers "not found" for the rest too).
pub(super) async fn own_user(
    ctx: &AppContext,
    viewer: &Viewer,
    id: i64,
) -> Result<UserId, PortalError> {
    match auth::store::find_by_id(&ctx.db, UserId(id)).await? {
        Some(u) if u.org_id == viewer.org.id => Ok(u.id),
        _ => Err(PortalError::NotFound),
    }
}

#[post("/settings/users/{id}/disabled")]
pub(super) async fn toggle_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<ToggleForm>,
) -> Result<HttpResponse, PortalError> {
    guard(&viewer, &form.csrf)?;
    let target = own_user(&ctx, &viewer, path.into_inner()).await?;
    let disabled = !form.active(viewer.lang)?;
    let outcome = match auth::set_disabled(&ctx.db, &viewer.session.user, target, disabled).await {
        Ok(u) if disabled => Outcome::Notice(viewer.lang.tr1(
            "{} を停止しました。ログイン中の画面も無効になります。",
            &u.email,
        )),
        Ok(u) => Outcome::Notice(viewer.lang.tr1("{} を再開しました。", &u.email)),
        Err(auth::ManageUserError::Unexpected(e)) => return Err(e.into()),
        Err(auth::ManageUserError::NotFound) => return Err(PortalError::NotFound),
        Err(auth::ManageUserError::Own) => Outcome::Error(
            viewer
                .lang
                .tr("自分自身のアカウントは停止できません。")
                .into(),
        ),
        Err(e @ (auth::ManageUserError::AwaitsHubAdmin | auth::ManageUserError::OwnCreation)) => {
            return Err(crate::error::Classify::classify(e).into());
        }
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/users/{id}/reset")]
pub(super) async fn reset_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    guard(&viewer, &form.csrf)?;
    let target = own_user(&ctx, &viewer, path.into_inner()).await?;
    let outcome =
        match auth::reset_password(&ctx.db, &ctx.settings.auth, &viewer.session.user, target).await
        {
            Ok((u, temporary)) => Outcome::Secret(
                viewer
                    .lang
                    .tr1("{} のパスワードを再発行しました。", &u.email),
                Shown {
                    what: viewer.lang.tr1("{} の新しいパスワード", &u.email),
                    secret: temporary.expose_secret().to_owned(),
                    uses: Vec::new(),
                },
            ),
            Err(auth::ManageUserError::Unexpected(e)) => return Err(e.into()),
            Err(auth::ManageUserError::NotFound) => return Err(PortalError::NotFound),
            Err(auth::ManageUserError::Own) => Outcome::Error(
                viewer
                    .lang
                    .tr("自分のパスワードは「パスワード変更」から変更してください。")
                    .into(),
            ),
            Err(
                e @ (auth::ManageUserError::AwaitsHubAdmin | auth::ManageUserError::OwnCreation),
            ) => return Err(crate::error::Classify::classify(e).into()),
        };
    page(&ctx, &viewer, Some(outcome)).await
}
