//! The portal: server-rendered pages in Japanese first, working without JavaScript. Login and
//! sessions, the inbox, alert pages with acknowledgement. Every private page takes a `Viewer`,
//! and every alert is checked with `alerts::access`.

mod ack_link;
mod admin;
mod alert;
mod board;
pub mod cases;
pub mod error;
pub mod i18n;
mod inbox;
mod login;
mod org;
mod settings;
mod stats;
mod triage;
pub mod viewer;

use actix_web::{HttpResponse, get, web};

use crate::error::ApiError;
use crate::registry::{self, OrgKind};
use crate::startup::AppContext;

/// One choice of a select or radio group.
pub struct Opt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

impl Opt {
    pub fn list(
        choices: impl IntoIterator<Item = (&'static str, &'static str)>,
        current: &str,
    ) -> Vec<Opt> {
        choices
            .into_iter()
            .map(|(value, label)| Opt {
                value,
                label,
                selected: value == current,
            })
            .collect()
    }
}

/// A form that carries only its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A button that turns something on (`active=true`) or off (`active=false`).
#[derive(serde::Deserialize)]
pub struct ToggleForm {
    pub csrf: String,
    active: String,
}

impl ToggleForm {
    /// The state asked for; anything but `true` or `false` is refused.
    pub fn active(&self) -> Result<bool, error::PortalError> {
        match self.active.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(error::PortalError::BadRequest(format!(
                "active は true か false で指定してください（`{other}`）"
            ))),
        }
    }
}

/// Who an actor string (`user:<id>:<email>`) names, for people: the address, never ids.
pub fn who(actor: &str) -> String {
    actor.splitn(3, ':').nth(2).unwrap_or(actor).to_owned()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // A form that does not parse gets the portal's error page, not actix's plain text.
    cfg.app_data(
        web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(|e, _| {
                error::PortalError::BadRequest(format!("フォームの内容を読み取れません: {e}"))
                    .into()
            }),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| {
        error::PortalError::BadRequest(format!("URL の指定を読み取れません: {e}")).into()
    }))
    .service(index);
    ack_link::configure(cfg);
    login::configure(cfg);
    inbox::configure(cfg);
    board::configure(cfg);
    settings::configure(cfg);
    org::configure(cfg);
    triage::configure(cfg);
    admin::configure(cfg);
    stats::configure(cfg);
    cases::configure(cfg);
    alert::configure(cfg);
}

#[get("/")]
async fn index(ctx: web::Data<AppContext>) -> Result<HttpResponse, ApiError> {
    let prefectures = registry::store::count(&ctx.db, OrgKind::Prefecture).await?;
    let municipalities = registry::store::count(&ctx.db, OrgKind::Municipality).await?;
    let central = registry::store::count(&ctx.db, OrgKind::Central).await?;
    let body = format!(
        r#"<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Noroshi（狼煙）— 自治体CEPTOAR 注意喚起配信ハブ</title>
<style>body{{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.7}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2rem .6rem;text-align:right}}</style>
</head>
<body>
<h1>Noroshi（狼煙）</h1>
<p>セキュリティ情報（NISC/NCO・JPCERT/CC・JVN 等）を収集・分類し、都道府県・市区町村へ注意喚起として配信し、受領・対応状況を把握するためのハブです。</p>
<h2>登録団体</h2>
<table>
<tr><th>都道府県</th><td>{prefectures}</td></tr>
<tr><th>市区町村</th><td>{municipalities}</td></tr>
<tr><th>中央省庁等</th><td>{central}</td></tr>
</table>
<p><a href="/login">ログイン</a> ・ <a href="/inbox">受信一覧</a></p>
<p><a href="/healthz">稼働確認</a> ・ <a href="/readyz">準備状態</a> ・ <a href="/metrics">メトリクス</a></p>
</body>
</html>
"#
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
