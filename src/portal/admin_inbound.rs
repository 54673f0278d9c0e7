//! `/admin/inbound`: mail that came back and needs a person — replies without a reply code or a
//! state, bounces for no known delivery, unreadable messages, and refused replies (a sender that
//! is not the organisation's). The operator reads them and puts them aside once handled.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::error::{PortalError, render};
use super::parts::CsrfForm;
use super::viewer::{Nav, Section, Viewer};
use crate::context::AppContext;

pub struct MessageLine {
    pub id: i64,
    pub received: String,
    pub kind: String,
    pub outcome: String,
    pub from: String,
    pub subject: String,
    pub detail: String,
    pub excerpt: String,
}

#[derive(Template)]
#[template(path = "portal/admin_inbound.html")]
struct InboundPage {
    nav: Nav,
    totals: Vec<(String, String, u64)>,
    messages: Vec<MessageLine>,
    maildir: String,
    notice: Option<String>,
}

/// A stored kind of returned mail, in the viewer's language.
fn kind_label(kind: &str, lang: super::i18n::Lang) -> String {
    lang.tr(match kind {
        "bounce" => "返送（不達）",
        "auto_reply" => "自動応答",
        "reply" => "返信",
        _ => "読めないメール",
    })
    .to_owned()
}

/// What became of it, in the viewer's language.
fn outcome_label(outcome: &str, lang: super::i18n::Lang) -> String {
    lang.tr(match outcome {
        "recorded" => "記録済み",
        "refused" => "拒否",
        "pending" => "未処理",
        "duplicate" => "重複",
        "dismissed" => "処理済み",
        _ => "不明",
    })
    .to_owned()
}

async fn page(
    ctx: &AppContext,
    viewer: &Viewer,
    notice: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let messages = crate::inbound::store::for_operator(&ctx.db, 200)
        .await?
        .into_iter()
        .map(|m| MessageLine {
            id: m.id,
            received: viewer.when(&m.received_at),
            kind: kind_label(&m.kind, viewer.lang),
            outcome: m.outcome,
            from: m.from_address,
            subject: m.subject,
            detail: m.detail,
            excerpt: m.excerpt.chars().take(400).collect(),
        })
        .collect();
    render(&InboundPage {
        nav: viewer.nav(),
        totals: crate::inbound::store::totals(&ctx.db)
            .await?
            .into_iter()
            .map(|(k, o, n)| {
                (
                    kind_label(&k, viewer.lang),
                    outcome_label(&o, viewer.lang),
                    n,
                )
            })
            .collect(),
        messages,
        maildir: crate::inbound::maildir(&ctx.settings).display().to_string(),
        notice,
    })
}

#[get("/admin/inbound")]
async fn show(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    page(&ctx, &viewer, None).await
}

#[post("/admin/inbound/{id}/dismiss")]
async fn dismiss(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    let id = path.into_inner();
    let notice = if crate::inbound::dismiss(&ctx.db, id, &viewer.actor()).await? {
        viewer.lang.tr("処理済みにしました。")
    } else if crate::inbound::store::get(&ctx.db, id).await?.is_some() {
        viewer.lang.tr("このメールは処理済みです。")
    } else {
        return Err(PortalError::NotFound);
    };
    page(&ctx, &viewer, Some(notice.into())).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(dismiss);
}
