//! `/api/v1/alerts`: the alerts the caller may see, one alert with its revisions and advisories,
//! and the caller's organisation's acknowledgement of it.

use crate::acks::view::AlertView;
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::principal::Principal;
use super::{JsonBody, query};
use crate::acks::{self, AckState, Channel};
use crate::auth::tokens::Scope;
use crate::classify::model::Category;
use crate::context::AppContext;
use crate::domain::Severity;
use crate::error::{ApiError, ErrorBody};
use crate::feeds::store::{self as feed_store, Cursor, Entry, FeedFilter, FeedScope};

/// An alert as lists show it: its current revision.
#[derive(Serialize, ToSchema)]
pub struct AlertSummary {
    /// `NRS-2026-0001`.
    pub id: String,
    pub title: String,
    /// 1 for 第1報, 2 for 第2報 …
    pub revision: i32,
    /// `critical`, `high`, `medium` or `info`.
    pub severity: &'static str,
    /// `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT` or `RED`.
    pub tlp: &'static str,
    /// Category ids (`vulnerability` …).
    pub categories: Vec<&'static str>,
    pub cve_ids: Vec<String>,
    /// A drill (連絡体制の確認訓練), never a real threat.
    pub drill: bool,
    pub withdrawn: bool,
    pub ack_deadline: Option<DateTime<Utc>>,
    /// When 第1報 was published.
    pub published_at: DateTime<Utc>,
    /// When the current revision was published.
    pub updated_at: DateTime<Utc>,
    /// The alert's page in the portal.
    pub portal_url: String,
}

impl AlertSummary {
    fn of(ctx: &AppContext, e: &Entry) -> Self {
        Self {
            id: e.public_id.clone(),
            title: e.title.clone(),
            revision: e.revision,
            severity: e.severity.as_str(),
            tlp: e.tlp.as_str(),
            categories: e.categories.iter().map(|c| c.as_str()).collect(),
            cve_ids: e.cve_ids.clone(),
            drill: e.drill,
            withdrawn: e.withdrawn,
            ack_deadline: e.ack_deadline,
            published_at: e.published_at,
            updated_at: e.updated_at,
            portal_url: portal_url(ctx, &e.public_id),
        }
    }
}

fn portal_url(ctx: &AppContext, public_id: &str) -> String {
    let base = ctx.settings.app.base_url.as_str().trim_end_matches('/');
    format!("{base}/alerts/{public_id}")
}

#[derive(Serialize, ToSchema)]
pub struct AlertPage {
    pub items: Vec<AlertSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertListParams {
    /// The lowest severity: `critical`, `high`, `medium` or `info`.
    min_severity: Option<String>,
    /// A category id (`vulnerability`) or its Japanese label (`脆弱性`).
    category: Option<String>,
    /// `true`: only drills; `false`: only real alerts.
    drill: Option<bool>,
    /// Your organisation's state: `unknown` (未確認), `received`, `in_progress`, `done`,
    /// `not_applicable`. Not for central staff.
    state: Option<String>,
    /// Only alerts whose current revision was published after this time (RFC 3339).
    updated_since: Option<DateTime<Utc>>,
    /// `prefecture` (prefectures only): also what is addressed to your municipalities.
    scope: Option<String>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    limit: Option<u64>,
}

fn encode_cursor(c: Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", c.0.timestamp_micros(), c.1))
}

fn decode_cursor(s: &str) -> Result<Cursor, ApiError> {
    let bad = super::bad_cursor;
    let raw = URL_SAFE_NO_PAD.decode(s.as_bytes()).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (t, id) = text.split_once(':').ok_or_else(bad)?;
    let t = DateTime::from_timestamp_micros(t.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((t, id.parse().map_err(|_| bad())?))
}

fn parse_severity(s: &str) -> Result<Severity, ApiError> {
    Severity::parse(s).map_err(|e| {
        ApiError::bad_request(
            crate::error::Code::InvalidParameter,
            format!("min_severity: {e}"),
        )
    })
}

/// The alerts the caller may see, newest revision first.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    params(AlertListParams),
    responses(
        (status = 200, body = AlertPage),
        (status = 400, body = ErrorBody, description = "A bad filter or cursor"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the read scope"),
    )
)]
#[get("/alerts")]
pub async fn list_alerts(
    ctx: web::Data<AppContext>,
    who: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Read)?;
    let p: AlertListParams = query(&req)?;
    let limit = super::page_limit(p.limit)?;
    let org = who.org().id;
    let scope = match (p.scope.as_deref(), who.is_central()) {
        (None | Some(""), true) => FeedScope::All,
        (None | Some(""), false) => FeedScope::Organisation(org),
        (Some("prefecture"), false) if who.is_prefecture() => FeedScope::Prefecture(org),
        (Some(other), _) => {
            return Err(ApiError::bad_request(
                crate::error::Code::InvalidParameter,
                format!(
                    "scope: `{other}` is not available to you (prefectures may ask for `prefecture`)"
                ),
            ));
        }
    };
    let ack_state = match p.state.as_deref() {
        None | Some("") => None,
        Some(_) if who.is_central() => {
            return Err(ApiError::bad_request(
                crate::error::Code::InvalidParameter,
                "state: central staff have no acknowledgement state of their own",
            ));
        }
        Some("unknown") => Some((org, None)),
        Some(s) => Some((
            org,
            Some(AckState::parse(s).map_err(|e| {
                ApiError::bad_request(crate::error::Code::InvalidParameter, format!("state: {e}"))
            })?),
        )),
    };
    let filter = FeedFilter {
        category: p
            .category
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(Category::parse)
            .transpose()
            .map_err(|e| {
                ApiError::bad_request(
                    crate::error::Code::InvalidParameter,
                    format!("category: {e}"),
                )
            })?,
        min_severity: p
            .min_severity
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(parse_severity)
            .transpose()?,
        drill: p.drill,
        ack_state,
        updated_since: p.updated_since,
        alert: None,
    };
    let after = p.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut entries = feed_store::page(&ctx.db, scope, &filter, after, limit + 1).await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(limit as usize);
    let next_cursor = if more {
        entries
            .last()
            .map(|e| encode_cursor((e.updated_at, e.alert_id)))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(AlertPage {
        items: entries.iter().map(|e| AlertSummary::of(&ctx, e)).collect(),
        next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RevisionOut {
    pub number: i32,
    /// `publish`, `revision` or `withdrawal`.
    pub kind: String,
    pub title: String,
    /// What this revision changed.
    pub changes: Option<String>,
    pub severity: String,
    pub tlp: String,
    pub published_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AdvisoryRef {
    pub id: i64,
    pub source: String,
    pub upstream_id: String,
    pub title: String,
    pub url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub summary: AlertSummary,
    pub body: String,
    pub revisions: Vec<RevisionOut>,
    pub advisories: Vec<AdvisoryRef>,
    /// Your organisation's acknowledgement, when the alert is addressed to it.
    pub acknowledgement: Option<AckOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AckOut {
    /// `unknown` (未確認), `received`, `in_progress`, `done` or `not_applicable`.
    pub state: &'static str,
    pub note: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct AckEvent {
    pub state: String,
    pub note: Option<String>,
    /// `portal`, `mail_link`, `api` or `mail_reply`.
    pub channel: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AckDetail {
    pub alert: String,
    #[serde(flatten)]
    pub current: AckOut,
    pub history: Vec<AckEvent>,
}

/// The alert `public_id` as the caller sees it; 404 otherwise (as if it did not exist).
async fn view(ctx: &AppContext, who: &Principal, public_id: &str) -> Result<AlertView, ApiError> {
    AlertView::for_caller(&ctx.db, &who.caller(), public_id, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert {public_id}")))
}

/// The organisation's acknowledgement, when it reports on the alert.
fn ack_out(view: &AlertView) -> Option<AckOut> {
    view.reports.then(|| match view.history.last() {
        Some(e) => AckOut {
            state: e.state.as_str(),
            note: e.note.clone(),
            updated_at: Some(e.at),
        },
        None => AckOut {
            state: "unknown",
            note: None,
            updated_at: None,
        },
    })
}

/// One alert: its current text, every revision, the advisories behind it, and your
/// organisation's acknowledgement.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id, `NRS-2026-0001`")),
    responses(
        (status = 200, body = AlertDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the read scope"),
        (status = 404, body = ErrorBody, description = "No such alert, or not one you may see"),
    )
)]
#[get("/alerts/{id}")]
pub async fn show_alert(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Read)?;
    let view = view(&ctx, &who, &path).await?;
    // The entry as the lists show it (the scope that holds every alert; access was checked).
    let entry = feed_store::one(&ctx.db, view.alert.id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert {}", path.as_str())))?;
    let revisions = view
        .revisions
        .iter()
        .map(|r| RevisionOut {
            number: r.number,
            kind: r.kind.as_str().into(),
            title: r.title.clone(),
            changes: r.changes.clone(),
            severity: r.severity.as_str().into(),
            tlp: r.tlp.as_str().into(),
            published_at: r.published_at,
        })
        .collect();
    let advisories =
        crate::alerts::shown_advisories(&ctx.db, view.alert.id, view.advisories_under())
            .await?
            .into_iter()
            .map(|a| AdvisoryRef {
                id: a.id,
                source: a.source_key,
                upstream_id: a.upstream_id,
                title: a.title,
                url: a.url,
            })
            .collect();
    Ok(HttpResponse::Ok().json(AlertDetail {
        summary: AlertSummary::of(&ctx, &entry),
        body: entry.body.clone(),
        revisions,
        advisories,
        acknowledgement: ack_out(&view),
    }))
}

/// Your organisation's acknowledgement of an alert, with its history.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}/acknowledgement",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    responses(
        (status = 200, body = AckDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Central staff, or a token without the read scope"),
        (status = 404, body = ErrorBody, description = "No such alert addressed to your organisation"),
    )
)]
#[get("/alerts/{id}/acknowledgement")]
pub async fn show_ack(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Read)?;
    ack_detail(&ctx, &who, &path).await
}

async fn ack_detail(
    ctx: &AppContext,
    who: &Principal,
    public_id: &str,
) -> Result<HttpResponse, ApiError> {
    let view = view(ctx, who, public_id).await?;
    if !acks::may_acknowledge(who.role()) {
        return Err(crate::acks::AckError::Central.into());
    }
    let current = ack_out(&view).ok_or_else(|| {
        ApiError::NotFound(format!(
            "alert {public_id} is not addressed to your organisation"
        ))
    })?;
    let history = view
        .history
        .iter()
        .map(|e| AckEvent {
            state: e.state.as_str().to_owned(),
            note: e.note.clone(),
            channel: e.channel.as_str().to_owned(),
            at: e.at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AckDetail {
        alert: public_id.to_owned(),
        current,
        history,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// `received` (受領), `in_progress` (対応中), `done` (対応完了) or `not_applicable` (該当なし).
    pub state: String,
    /// Up to 2,000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Sets your organisation's acknowledgement state (needs the acknowledge scope).
#[utoipa::path(
    put,
    path = "/api/v1/alerts/{id}/acknowledgement",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert's id")),
    request_body = AckRequest,
    responses(
        (status = 200, body = AckDetail),
        (status = 400, body = ErrorBody, description = "Malformed JSON, an unknown field, a wrong type or a bad state"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Central staff, a token without the acknowledge scope, or no CSRF token with a session"),
        (status = 404, body = ErrorBody, description = "No such alert addressed to your organisation"),
        (status = 409, body = ErrorBody, description = "The alert was withdrawn"),
    )
)]
#[put("/alerts/{id}/acknowledgement")]
pub async fn set_ack(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<String>,
    body: JsonBody<AckRequest>,
) -> Result<HttpResponse, ApiError> {
    // The acknowledge scope alone suffices: a token made only to report states (a
    // ticketing system, say) need not read alerts too.
    who.require(Scope::Acknowledge)?;
    let (alert, _) = crate::alerts::access::visible(&ctx.db, &who.caller(), &path)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert {}", path.as_str())))?;
    if !acks::may_acknowledge(who.role()) {
        return Err(crate::acks::AckError::Central.into());
    }
    let JsonBody(req) = body;
    let state = AckState::parse(&req.state).map_err(|e| {
        ApiError::bad_request(crate::error::Code::InvalidField, format!("state: {e}"))
    })?;
    let note = acks::parse_note(req.note.as_deref().unwrap_or_default()).map_err(|e| {
        ApiError::bad_request(crate::error::Code::InvalidField, format!("note: {e}"))
    })?;
    acks::acknowledge(
        &ctx.db,
        alert.id,
        who.org().id,
        state,
        note,
        &who.actor(),
        who.role(),
        Channel::Api,
    )
    .await?;
    ack_detail(&ctx, &who, &path).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_alerts)
        .service(show_ack)
        .service(set_ack)
        .service(show_alert);
}
