//! The portal: server-rendered pages in Japanese first, working without JavaScript. Login and
//! sessions, the inbox, alert pages with acknowledgement. Every private page takes a `Viewer`,
//! and every alert is checked with `alerts::access`.

mod ack_link;
mod admin;
mod admin_domains;
mod admin_inbound;
pub mod alert;
mod board;
mod calendar;
pub mod cases;
pub mod catalog;
pub mod catalog_desk;
mod contacts;
mod drafts;
mod drills;
pub mod error;
pub mod i18n;
mod inbox;
mod inquiries;
mod login;
mod magazine;
mod org;
mod own_alert;
pub mod parts;
pub(crate) mod picker;
mod reports;
mod second_factor;
mod settings;
pub mod state;
mod stats;
mod surveys;
mod today;
mod triage;
pub mod viewer;
mod yearly;

use actix_web::{HttpResponse, get, web};

use crate::context::AppContext;
use crate::registry::{self, OrgKind};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // A form that does not parse gets the portal's error page, not actix's plain text.
    cfg.app_data(
        web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(|e, req| {
                let lang = i18n::Lang::of(req);
                error::PortalError::BadRequest(lang.tr1("フォームの内容を読み取れません: {}", e))
                    .into()
            }),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, req| {
        let lang = i18n::Lang::of(req);
        error::PortalError::BadRequest(lang.tr1("URL の指定を読み取れません: {}", e)).into()
    }))
    .service(index);
    ack_link::configure(cfg);
    login::configure(cfg);
    magazine::configure(cfg);
    inbox::configure(cfg);
    board::configure(cfg);
    contacts::configure(cfg);
    drills::configure(cfg);
    settings::configure(cfg);
    org::configure(cfg);
    triage::configure(cfg);
    drafts::configure(cfg);
    admin::configure(cfg);
    admin_domains::configure(cfg);
    second_factor::configure(cfg);
    admin_inbound::configure(cfg);
    yearly::configure(cfg);
    stats::configure(cfg);
    calendar::configure(cfg);
    reports::configure(cfg);
    inquiries::configure(cfg);
    surveys::configure(cfg);
    cases::configure(cfg);
    own_alert::configure(cfg);
    alert::configure(cfg);
}

/// The public landing page: what this hub is and how many organisations it serves.
#[derive(askama::Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    lang: i18n::Lang,
    prefectures: u64,
    municipalities: u64,
    central: u64,
}

#[get("/")]
async fn index(
    req: actix_web::HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, error::PortalError> {
    error::render(&HomePage {
        lang: i18n::Lang::of(&req),
        prefectures: registry::store::count(&ctx.db, OrgKind::Prefecture).await?,
        municipalities: registry::store::count(&ctx.db, OrgKind::Municipality).await?,
        central: registry::store::count(&ctx.db, OrgKind::Central).await?,
    })
}
