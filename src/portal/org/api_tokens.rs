//! API and feed tokens: create (shown once), revoke.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
    #[serde(default)]
    scope_read: Option<String>,
    #[serde(default)]
    scope_acknowledge: Option<String>,
    #[serde(default)]
    scope_report: Option<String>,
    /// Days, or empty for no expiry.
    #[serde(default)]
    days: String,
}

#[post("/settings/tokens")]
pub(super) async fn create_token(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    let scopes = [
        (form.scope_read.is_some(), Scope::Read),
        (form.scope_acknowledge.is_some(), Scope::Acknowledge),
        (form.scope_report.is_some(), Scope::Report),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    let days = match form.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let outcome = Outcome::Error(viewer.lang.tr2(
                    "有効期間は日数（1〜{}）で指定してください（`{}`）。",
                    tokens::MAX_DAYS,
                    d,
                ));
                return page(&ctx, &viewer, Some(outcome)).await;
            }
        },
    };
    let new = NewToken {
        org: viewer.org.id,
        name: form.name.clone(),
        scopes,
        days,
    };
    let outcome = match tokens::create(&ctx.db, new, &actor).await {
        Ok((token, stored)) => {
            let base = ctx.settings.app.base_url.as_str().trim_end_matches('/');
            let mut uses = Vec::new();
            if stored.allows(tokens::Scope::Read) {
                for f in ["rss", "atom", "json"] {
                    uses.push(format!("{base}/feeds/{token}/alerts.{f}"));
                }
                if viewer.org.kind == crate::registry::OrgKind::Prefecture {
                    uses.push(format!("{base}/feeds/{token}/prefecture.rss"));
                }
            }
            uses.push(format!(
                "curl -H 'Authorization: Bearer {token}' {base}/api/v1/alerts"
            ));
            Outcome::Secret(
                viewer
                    .lang
                    .tr1("トークン「{}」を発行しました。", &stored.name),
                Shown {
                    what: viewer
                        .lang
                        .tr("トークン（この画面でしか表示されません。控えてください）")
                        .into(),
                    secret: token,
                    uses,
                },
            )
        }
        Err(e) => Outcome::Error(viewer.lang.tr1(
            "トークンを発行できません: {}",
            crate::portal::error::refusal(e)?,
        )),
    };
    page(&ctx, &viewer, Some(outcome)).await
}

#[post("/settings/tokens/{id}/revoke")]
pub(super) async fn revoke_token(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    let actor = guard(&viewer, &form.csrf)?;
    if !tokens::revoke(&ctx.db, viewer.org.id, path.into_inner(), &actor).await? {
        return Err(PortalError::NotFound);
    }
    page(
        &ctx,
        &viewer,
        Some(Outcome::Notice(
            viewer
                .lang
                .tr("トークンを失効させました。以後このトークンでは何も取得できません。")
                .into(),
        )),
    )
    .await
}
