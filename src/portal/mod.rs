//! The portal: server-rendered pages in Japanese first. For now the landing page, which shows
//! what the hub holds; the inbox, dashboards and settings arrive with the portal issue.

use actix_web::{HttpResponse, get, web};

use crate::error::ApiError;
use crate::registry::{self, OrgKind};
use crate::startup::AppContext;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index);
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
<p><a href="/healthz">稼働確認</a> ・ <a href="/readyz">準備状態</a> ・ <a href="/metrics">メトリクス</a></p>
</body>
</html>
"#
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
