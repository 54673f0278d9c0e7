//! Feed routes: `/feeds/public.{rss,atom,json}`, `/feeds/{token}/alerts.{…}`,
//! `/feeds/{token}/prefecture.{…}` and `/alerts/{id}.cap.xml`, with `ETag` / `Last-Modified`
//! and `304 Not Modified`.

use std::time::{Duration, SystemTime};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::RenderCache;
use super::render::{self, FeedMeta};
use super::store::{self, FeedFilter, FeedScope, Fingerprint};
use crate::auth::tokens::Scope;
use crate::classify::model::Category;
use crate::context::AppContext;
use crate::domain::Severity;
use crate::error::ApiError;
use crate::registry::OrgKind;
use crate::web::principal::{self, Principal};

crate::string_enum! {
    pub enum Format ("feed format") {
        Rss = "rss",
        Atom = "atom",
        Json = "json",
    }
}

impl Format {
    fn parse(s: &str) -> Result<Self, ApiError> {
        Self::from_code(s).ok_or_else(|| {
            ApiError::NotFound(format!("no feed format `{s}`: use .rss, .atom or .json"))
        })
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// The query parameters a feed accepts.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// A category id (`vulnerability`) or its Japanese label (`脆弱性`).
    #[serde(default)]
    category: Option<String>,
    /// The lowest severity carried: `critical`, `high`, `medium`, `info` (or 緊急, 重要, 注意, 情報).
    #[serde(default)]
    min_severity: Option<String>,
}

impl FeedParams {
    fn filter(&self) -> Result<FeedFilter, ApiError> {
        let category = match self.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(
                Category::parse(c)
                    .map_err(|e| ApiError::bad_request(crate::error::Code::InvalidParameter, e))?,
            ),
        };
        let min_severity = match self.min_severity.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(Severity::parse(s).map_err(|e| {
                ApiError::bad_request(
                    crate::error::Code::InvalidParameter,
                    format!("min_severity: {e}"),
                )
            })?),
        };
        Ok(FeedFilter {
            category,
            min_severity,
            ..FeedFilter::default()
        })
    }
}

/// The validator of a feed: everything its bytes depend on.
fn etag(ctx: &AppContext, format: &str, scope: &str, filter: &str, print: &Fingerprint) -> String {
    let mut h = Sha256::new();
    for part in [
        ctx.settings.app.base_url.as_str(),
        format,
        scope,
        filter,
        &print.count.to_string(),
        &print.last_revision.to_string(),
        &print.revision_sum.to_string(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    format!("\"{}\"", &hex::encode(h.finalize())[..32])
}

fn http_date(t: &DateTime<Utc>) -> HttpDate {
    let secs = u64::try_from(t.timestamp()).unwrap_or(0);
    HttpDate::from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Whether the client already holds this version: `If-None-Match` (weak comparison, `*`
/// included) wins; without it, `If-Modified-Since` at one-second precision.
fn not_modified(req: &HttpRequest, etag: &str, last_modified: Option<&DateTime<Utc>>) -> bool {
    if let Some(inm) = req.headers().get(header::IF_NONE_MATCH) {
        let Ok(list) = inm.to_str() else {
            return false;
        };
        return list
            .split(',')
            .map(str::trim)
            .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag);
    }
    let (Some(ims), Some(lm)) = (req.headers().get(header::IF_MODIFIED_SINCE), last_modified)
    else {
        return false;
    };
    let Some(since) = ims
        .to_str()
        .ok()
        .and_then(|s| s.parse::<HttpDate>().ok())
        .map(SystemTime::from)
    else {
        return false;
    };
    SystemTime::from(http_date(lm)) <= since
}

/// How long caches may keep an answer: a public feed briefly by anyone, a private one only by
/// its reader and always revalidated.
fn cache_control(public: bool) -> &'static str {
    if public {
        "public, max-age=60"
    } else {
        "private, no-cache"
    }
}

/// What a representation's answer carries, 200 or 304: its validators and cache rule.
struct Validators<'a> {
    etag: &'a str,
    last_modified: Option<&'a DateTime<Utc>>,
    public: bool,
}

impl Validators<'_> {
    fn respond(&self, status: StatusCode) -> actix_web::HttpResponseBuilder {
        let mut res = HttpResponse::build(status);
        res.insert_header((header::ETAG, self.etag.to_owned()))
            .insert_header((header::CACHE_CONTROL, cache_control(self.public)))
            .insert_header(("Referrer-Policy", "no-referrer"));
        if let Some(lm) = self.last_modified {
            res.insert_header((header::LAST_MODIFIED, http_date(lm)));
        }
        res
    }

    /// A `304` with no body when the client already holds this version.
    fn unchanged(&self, req: &HttpRequest) -> Option<HttpResponse> {
        not_modified(req, self.etag, self.last_modified)
            .then(|| self.respond(StatusCode::NOT_MODIFIED).finish())
    }

    fn full(&self, content_type: &str, body: Bytes) -> HttpResponse {
        self.respond(StatusCode::OK)
            .content_type(content_type)
            .body(body)
    }
}

async fn serve_feed(
    ctx: &AppContext,
    cache: &RenderCache,
    req: &HttpRequest,
    scope: FeedScope,
    format: Format,
    params: &FeedParams,
    meta: FeedMeta,
) -> Result<HttpResponse, ApiError> {
    let filter = params.filter()?;
    let epoch = store::epoch(&ctx.db).await?;
    let key = format!("{}|{}", scope.key(), filter.key());
    let print = match cache.fingerprint(&key, epoch) {
        Some(p) => p,
        None => {
            let p = store::fingerprint(&ctx.db, scope, &filter).await?;
            cache.put_fingerprint(key, epoch, p.clone());
            p
        }
    };
    let tag = etag(ctx, format.as_str(), &scope.key(), &filter.key(), &print);
    let validators = Validators {
        etag: &tag,
        last_modified: print.last_modified.as_ref(),
        public: scope == FeedScope::Public,
    };
    if let Some(unchanged) = validators.unchanged(req) {
        return Ok(unchanged);
    }
    let body = match cache.get(&tag) {
        Some(b) => b,
        None => {
            let entries = store::entries(&ctx.db, scope, &filter).await?;
            let meta = FeedMeta {
                updated: print.last_modified,
                ..meta
            };
            let bytes = Bytes::from(match format {
                Format::Rss => render::rss(&meta, &entries)?,
                Format::Atom => render::atom(&meta, &entries)?,
                Format::Json => render::json(&meta, &entries)?,
            });
            cache.put(tag.clone(), bytes.clone());
            bytes
        }
    };
    Ok(validators.full(format.content_type(), body))
}

fn base(ctx: &AppContext) -> String {
    let mut b = ctx.settings.app.base_url.to_string();
    if !b.ends_with('/') {
        b.push('/');
    }
    b
}

#[get("/feeds/public.{format}")]
async fn public_feed(
    ctx: web::Data<AppContext>,
    cache: web::Data<RenderCache>,
    req: HttpRequest,
    format: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let format = Format::parse(&format)?;
    let params: FeedParams = crate::web::extract::query(&req)?;
    let base = base(&ctx);
    let meta = FeedMeta {
        title: "Noroshi 注意喚起（公開: TLP:CLEAR）".into(),
        description: "自治体CEPTOAR が公開する注意喚起（TLP:CLEAR）".into(),
        self_url: Some(format!(
            "{base}feeds/public.{}{}",
            format.as_str(),
            req.uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default()
        )),
        id: format!("{base}feeds/public"),
        updated: None,
        base_url: base,
    };
    serve_feed(&ctx, &cache, &req, FeedScope::Public, format, &params, meta).await
}

/// The organisation a feed token stands for; a token without the read scope opens nothing.
async fn feed_principal(ctx: &AppContext, token: &str) -> Result<Principal, ApiError> {
    let not_found = || {
        ApiError::NotFound(
            "no such feed: the token in its address is unknown, revoked or expired".into(),
        )
    };
    let (token, org) = principal::by_token(ctx, token)
        .await?
        .ok_or_else(not_found)?;
    let p = Principal::Token { token, org };
    p.require(Scope::Read)?;
    Ok(p)
}

#[get("/feeds/{token}/alerts.{format}")]
async fn organisation_feed(
    ctx: web::Data<AppContext>,
    cache: web::Data<RenderCache>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (token, format) = path.into_inner();
    let format = Format::parse(&format)?;
    let params: FeedParams = crate::web::extract::query(&req)?;
    let p = feed_principal(&ctx, &token).await?;
    let org = p.org();
    let base = base(&ctx);
    let meta = FeedMeta {
        title: format!("Noroshi 注意喚起（{}宛て）", org.full_name()),
        description: format!("{}に宛てた注意喚起（訓練を含む）", org.full_name()),
        self_url: None,
        id: format!("{base}feeds/org/{}", org.code),
        updated: None,
        base_url: base,
    };
    serve_feed(
        &ctx,
        &cache,
        &req,
        FeedScope::Organisation(org.id),
        format,
        &params,
        meta,
    )
    .await
}

/// The organisation's 年間予定 as iCalendar: this 年度 and the one before, for a calendar program
/// to subscribe to with the token's secret address (`read` scope).
#[get("/feeds/{token}/calendar.ics")]
async fn calendar_feed(
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let p = feed_principal(&ctx, &path.into_inner()).await?;
    let org = p.org();
    let fy = crate::yearly::fiscal_year_now();
    let mut events = crate::yearly::calendar::events(&ctx.db, org, fy - 1).await?;
    events.extend(crate::yearly::calendar::events(&ctx.db, org, fy).await?);
    let base = base(&ctx);
    let host = ctx
        .settings
        .app
        .base_url
        .host_str()
        .unwrap_or("noroshi")
        .to_owned();
    let body = crate::yearly::calendar::ical(
        &format!("{} 年間予定（Noroshi）", org.full_name()),
        &base,
        &host,
        &events,
        Utc::now(),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(body))
}

#[get("/feeds/{token}/prefecture.{format}")]
async fn prefecture_feed(
    ctx: web::Data<AppContext>,
    cache: web::Data<RenderCache>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (token, format) = path.into_inner();
    let format = Format::parse(&format)?;
    let params: FeedParams = crate::web::extract::query(&req)?;
    let p = feed_principal(&ctx, &token).await?;
    let org = p.org();
    if org.kind != OrgKind::Prefecture {
        return Err(ApiError::Forbidden(
            "the prefecture feed is for prefectures' tokens; use alerts.rss".into(),
        ));
    }
    let base = base(&ctx);
    let meta = FeedMeta {
        title: format!("Noroshi 注意喚起（{}と管内市区町村）", org.full_name()),
        description: format!(
            "{}と管内の市区町村に宛てた注意喚起（訓練を含む）",
            org.full_name()
        ),
        self_url: None,
        id: format!("{base}feeds/prefecture/{}", org.code),
        updated: None,
        base_url: base,
    };
    serve_feed(
        &ctx,
        &cache,
        &req,
        FeedScope::Prefecture(org.id),
        format,
        &params,
        meta,
    )
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapParams {
    /// For readers that cannot send an Authorization header.
    #[serde(default)]
    token: Option<String>,
}

/// CAP 1.2 of an alert's current revision. Anyone may fetch a TLP:CLEAR alert that is not a
/// drill; anything else needs a session or token of an organisation that may see it. Others get
/// 404, as for an alert that does not exist.
#[get("/alerts/{public_id}.cap.xml")]
async fn cap_alert(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let public_id = path.into_inner();
    let params: CapParams = crate::web::extract::query(&req)?;
    let not_found = || ApiError::NotFound(format!("no alert {public_id}"));
    let caller = principal::identify(&ctx, &req, params.token.as_deref()).await?;
    let alert = crate::alerts::store::by_public_id(&ctx.db, &public_id)
        .await?
        .ok_or_else(not_found)?;
    let revisions = crate::alerts::store::revisions(&ctx.db, alert.id).await?;
    let current = revisions
        .iter()
        .find(|r| r.number == alert.published_revision)
        .ok_or_else(not_found)?;
    let open = current.tlp == crate::domain::Tlp::Clear && !current.drill;
    let allowed = match &caller {
        Some(p) if !open => {
            p.require(Scope::Read)?;
            p.may_view(&ctx, alert.id).await?
        }
        Some(p) => p.allows(Scope::Read),
        None => open,
    };
    if !allowed {
        return Err(not_found());
    }
    let tag = format!("\"cap-{}-{}\"", alert.id, current.id);
    let validators = Validators {
        etag: &tag,
        last_modified: Some(&current.published_at),
        public: open,
    };
    if let Some(unchanged) = validators.unchanged(&req) {
        return Ok(unchanged);
    }
    let xml = super::cap::render(&base(&ctx), &alert, &revisions)?;
    Ok(validators.full("application/cap+xml; charset=utf-8", Bytes::from(xml)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(public_feed)
        .service(prefecture_feed)
        .service(organisation_feed)
        .service(calendar_feed)
        .service(cap_alert);
}
