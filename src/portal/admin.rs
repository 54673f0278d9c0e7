//! The hub administrator's pages: sources and their health, the delivery ledger per alert with
//! "retry failed", organisations with their contacts and users, every user (disable, reset the
//! password), and the audit log with its chain check. Administrators only.

use crate::domain::ids::{OrgId, RevisionId};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use secrecy::ExposeSecret;

use super::error::{PortalError, render};
use super::parts::{CsrfForm, ToggleForm};
use super::viewer::{Nav, Section, Viewer};
use crate::alerts::{AlertId, AlertStatus};
use crate::audit::{self, ChainCheck};
use crate::auth::{self, UserId};
use crate::context::AppContext;
use crate::delivery::store::DeliveryStatus;
use crate::registry::store::OrgFilter;
use crate::registry::{OrgKind, Prefecture};
use crate::time::format_jst;

fn jst(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| format_jst(&t)).unwrap_or_default()
}

/// Every organisation's full name by id, for pages that list rows of many organisations.
async fn org_names(ctx: &AppContext) -> anyhow::Result<std::collections::HashMap<OrgId, String>> {
    Ok(crate::registry::store::list(&ctx.db, OrgFilter::default())
        .await?
        .into_iter()
        .map(|o| (o.id, o.full_name()))
        .collect())
}

pub struct SourceLine {
    pub key: String,
    pub enabled: bool,
    pub healthy: bool,
    pub last_success: String,
    pub last_error: String,
    pub error: String,
    pub failures: i32,
    pub seen: i64,
    pub new: i64,
    /// Items left out of the last document read, and the newest reasons (position, reason).
    pub quarantined: i32,
    pub quarantine: Vec<(i32, String)>,
}

pub struct AlertLine {
    pub id: AlertId,
    pub public_id: String,
    pub title: String,
    pub drill: bool,
}

#[derive(Template)]
#[template(path = "portal/admin.html")]
struct AdminPage {
    nav: Nav,
    sources: Vec<SourceLine>,
    totals: Vec<(&'static str, u64)>,
    alerts: Vec<AlertLine>,
}

#[get("/admin")]
async fn overview(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::HubAdmin)?;
    let mut sources = Vec::new();
    for s in crate::ingest::store::list_sources(&ctx.db).await? {
        let quarantine = if s.items_quarantined > 0 {
            let limit = u64::try_from(s.items_quarantined.min(5)).unwrap_or(5);
            crate::ingest::store::quarantined(&ctx.db, &s.key, limit)
                .await?
                .into_iter()
                .map(|q| (q.position, q.reason))
                .collect()
        } else {
            Vec::new()
        };
        sources.push(SourceLine {
            healthy: s.consecutive_failures == 0,
            enabled: s.enabled,
            last_success: jst(s.last_success_at),
            last_error: jst(s.last_error_at),
            error: s.last_error.unwrap_or_default(),
            failures: s.consecutive_failures,
            seen: s.items_seen,
            new: s.advisories_new,
            quarantined: s.items_quarantined,
            quarantine,
            key: s.key,
        });
    }
    let mut alerts = Vec::new();
    for status in [AlertStatus::Published, AlertStatus::Withdrawn] {
        for a in crate::alerts::store::list_by_status(&ctx.db, status).await? {
            alerts.push(AlertLine {
                id: a.id,
                public_id: a.public_id.unwrap_or_default(),
                title: a.title,
                drill: a.drill,
            });
        }
    }
    alerts.sort_by_key(|a| std::cmp::Reverse(a.id));
    alerts.truncate(100);
    render(&AdminPage {
        nav: viewer.nav(),
        sources,
        totals: crate::delivery::store::status_totals(&ctx.db)
            .await?
            .into_iter()
            .map(|(s, n)| (s.as_str(), n))
            .collect(),
        alerts,
    })
}

pub struct DeliveryLine {
    pub revision: i32,
    pub organisation: String,
    pub email: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub reply: String,
    pub sent: String,
    pub next: String,
    /// Taken over from a process that died holding it: possibly delivered twice.
    pub possible_duplicate: bool,
}

#[derive(Template)]
#[template(path = "portal/admin_ledger.html")]
struct LedgerPage {
    nav: Nav,
    id: AlertId,
    public_id: String,
    title: String,
    rows: Vec<DeliveryLine>,
    failed: usize,
    duplicates: usize,
    notice: Option<String>,
    /// Rows not sent yet after an attempt: how many, the next attempt, and the relay's last word.
    stuck: Option<(usize, String, String)>,
}

async fn ledger(
    ctx: &AppContext,
    viewer: &Viewer,
    id: AlertId,
    notice: Option<String>,
) -> Result<HttpResponse, PortalError> {
    let alert = crate::alerts::store::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let revisions: std::collections::HashMap<RevisionId, i32> =
        crate::alerts::store::revisions(&ctx.db, id)
            .await?
            .into_iter()
            .map(|r| (r.id, r.number))
            .collect();
    let names = org_names(ctx).await?;
    let deliveries = crate::delivery::store::for_alert(&ctx.db, id).await?;
    let waiting = deliveries
        .iter()
        .filter(|d| d.status == DeliveryStatus::Deferred);
    let stuck = waiting
        .clone()
        .min_by_key(|d| d.next_attempt_at)
        .map(|first| {
            (
                waiting.count(),
                format_jst(&first.next_attempt_at),
                first.last_error.clone().unwrap_or_default(),
            )
        });
    let rows: Vec<DeliveryLine> = deliveries
        .into_iter()
        .map(|d| DeliveryLine {
            revision: revisions.get(&d.revision_id).copied().unwrap_or_default(),
            organisation: names.get(&d.organisation_id).cloned().unwrap_or_default(),
            email: d.email,
            next: if d.status == DeliveryStatus::Deferred {
                format_jst(&d.next_attempt_at)
            } else {
                String::new()
            },
            status: d.status,
            attempts: d.attempts,
            // A bounce that came back later says why the mail did not arrive after all.
            reply: match d.status {
                DeliveryStatus::Bounced => format!(
                    "{} {}",
                    d.bounce_status.as_deref().unwrap_or_default(),
                    d.bounce_reason.as_deref().unwrap_or_default()
                )
                .trim()
                .to_owned(),
                _ => d.last_reply.or(d.last_error).unwrap_or_default(),
            },
            sent: jst(d.sent_at),
            possible_duplicate: d.possible_duplicate,
        })
        .collect();
    render(&LedgerPage {
        stuck,
        nav: viewer.nav(),
        id,
        public_id: alert.public_id.unwrap_or_default(),
        title: alert.title,
        failed: rows
            .iter()
            .filter(|r| r.status == DeliveryStatus::Failed)
            .count(),
        duplicates: rows.iter().filter(|r| r.possible_duplicate).count(),
        rows,
        notice,
    })
}

#[get("/admin/alerts/{id}/deliveries")]
async fn show_ledger(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::HubAdmin)?;
    ledger(&ctx, &viewer, path.into_inner(), None).await
}

#[post("/admin/alerts/{id}/retry")]
async fn retry(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<AlertId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::HubAdmin)?;
    let actor = viewer.actor();
    let id = path.into_inner();
    crate::alerts::store::get(&ctx.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let n = crate::delivery::retry_failed(&ctx.db, id, &actor).await?;
    ledger(
        &ctx,
        &viewer,
        id,
        Some(
            viewer
                .lang
                .tr1("失敗した {} 件を再送キューに戻しました。", n),
        ),
    )
    .await
}

pub struct OrgLine {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub contacts: i64,
    pub users: i64,
}

#[derive(Template)]
#[template(path = "portal/admin_orgs.html")]
struct OrgsPage {
    nav: Nav,
    prefecture: String,
    orgs: Vec<OrgLine>,
    without_contacts: usize,
}

#[derive(serde::Deserialize)]
pub struct OrgsQuery {
    #[serde(default)]
    prefecture: String,
}

#[get("/admin/organisations")]
async fn organisations(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    query: web::Query<OrgsQuery>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::HubAdmin)?;
    let wanted = query.prefecture.trim();
    let prefecture = if wanted.is_empty() {
        None
    } else {
        Some(Prefecture::parse(wanted).map_err(|e| PortalError::BadRequest(e.to_string()))?)
    };
    let contacts = crate::contacts::store::active_count_by_org(&ctx.db).await?;
    let users = auth::store::count_by_org(&ctx.db).await?;
    let orgs: Vec<OrgLine> = crate::registry::store::list(
        &ctx.db,
        OrgFilter {
            prefecture,
            kind: None,
        },
    )
    .await?
    .into_iter()
    .map(|o| OrgLine {
        code: o.code.to_string(),
        name: o.full_name(),
        kind: match o.kind {
            OrgKind::Prefecture => viewer.lang.tr("都道府県"),
            OrgKind::Municipality => viewer.lang.tr("市区町村"),
            OrgKind::Central => viewer.lang.tr("中央"),
        },
        contacts: contacts.get(&o.id).copied().unwrap_or(0),
        users: users.get(&o.id).copied().unwrap_or(0),
    })
    .collect();
    render(&OrgsPage {
        nav: viewer.nav(),
        prefecture: wanted.to_owned(),
        without_contacts: orgs.iter().filter(|o| o.contacts == 0).count(),
        orgs,
    })
}

pub struct UserLine {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub organisation: String,
    pub role: &'static str,
    pub disabled: bool,
    pub is_me: bool,
    /// A privileged account waiting for a hub administrator; `by_me`: this viewer created it
    /// and may not enable it.
    pub awaiting: bool,
    pub by_me: bool,
    /// Signs in with a second factor (its reset is offered).
    pub second_factor: bool,
}

#[derive(Template)]
#[template(path = "portal/admin_users.html")]
struct UsersPage {
    nav: Nav,
    q: String,
    users: Vec<UserLine>,
    notice: Option<String>,
    secret: Option<(String, String)>,
}

#[derive(serde::Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    q: String,
}

async fn users_page(
    ctx: &AppContext,
    viewer: &Viewer,
    q: &str,
    notice: Option<String>,
    secret: Option<(String, String)>,
) -> Result<HttpResponse, PortalError> {
    if q.chars().count() > 100 {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("検索語が長すぎます。").into(),
        ));
    }
    let names = org_names(ctx).await?;
    let users = auth::store::search(&ctx.db, q, 200)
        .await?
        .into_iter()
        .map(|u| UserLine {
            id: u.id,
            is_me: u.id == viewer.session.user.id,
            organisation: names.get(&u.org_id).cloned().unwrap_or_default(),
            email: u.email.to_string(),
            name: u.display_name,
            role: viewer.lang.role(u.role),
            disabled: u.disabled,
            awaiting: u.awaiting_enable,
            by_me: u.created_by == Some(viewer.session.user.id),
            second_factor: u.second_factor,
        })
        .collect();
    render(&UsersPage {
        nav: viewer.nav(),
        q: q.to_owned(),
        users,
        notice,
        secret,
    })
}

#[get("/admin/users")]
async fn list_users(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::HubAdmin)?;
    users_page(&ctx, &viewer, &query.q, None, None).await
}

#[post("/admin/users/{id}/disabled")]
async fn toggle_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<UserId>,
    form: web::Form<ToggleForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::HubAdmin)?;
    let disabled = !form.active(viewer.lang)?;
    let user =
        auth::set_disabled(&ctx.db, &viewer.session.user, path.into_inner(), disabled).await?;
    let notice = if disabled {
        viewer.lang.tr1("{} を停止しました。", &user.email)
    } else {
        viewer.lang.tr1("{} を再開しました。", &user.email)
    };
    users_page(&ctx, &viewer, user.email.as_str(), Some(notice), None).await
}

#[post("/admin/users/{id}/reset")]
async fn reset_user(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<UserId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::HubAdmin)?;
    let (user, temporary) = auth::reset_password(
        &ctx.db,
        &ctx.settings.auth,
        &viewer.session.user,
        path.into_inner(),
    )
    .await?;
    let secret = (
        viewer.lang.tr1("{} の新しいパスワード", &user.email),
        temporary.expose_secret().to_owned(),
    );
    users_page(&ctx, &viewer, user.email.as_str(), None, Some(secret)).await
}

pub struct AuditLine {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "portal/admin_audit.html")]
struct AuditPage {
    nav: Nav,
    target: String,
    chain: String,
    intact: bool,
    entries: Vec<AuditLine>,
}

#[derive(serde::Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    target: String,
}

#[get("/admin/audit")]
async fn audit_log(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::HubAdmin)?;
    let target = query.target.trim();
    if target.len() > 128 {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("対象の指定が長すぎます。").into(),
        ));
    }
    let anchor = audit::anchor::Anchor::open(&ctx.settings.app.data_dir)?;
    let (chain, intact) = match audit::anchor::verify_anchored(&ctx.db, &anchor).await? {
        ChainCheck::Intact { entries } => (
            viewer
                .lang
                .tr1("改ざんなし（{} 件のハッシュ連鎖を検証しました）", entries),
            true,
        ),
        ChainCheck::Broken { seq, reason } => (
            viewer
                .lang
                .tr2("記録 {} で連鎖が切れています: {}", seq, reason),
            false,
        ),
    };
    let entries = audit::recent(&ctx.db, Some(target).filter(|t| !t.is_empty()), 300)
        .await?
        .into_iter()
        .map(|e| AuditLine {
            seq: e.seq,
            at: format_jst(&e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect();
    render(&AuditPage {
        nav: viewer.nav(),
        target: target.to_owned(),
        chain,
        intact,
        entries,
    })
}

/// `/admin/` with a slash is the same page.
#[get("/admin/")]
async fn overview_slash() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, "/admin"))
        .finish()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(overview)
        .service(overview_slash)
        .service(show_ledger)
        .service(retry)
        .service(organisations)
        .service(list_users)
        .service(toggle_user)
        .service(reset_user)
        .service(audit_log);
}
