//! `/api/v1/advisories` and `/api/v1/organisations`: for central staff (signed in), what ingest
//! brought in and the registry.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::principal::Principal;
use super::{bad_cursor, page_limit, query};
use crate::context::AppContext;
use crate::error::{ApiError, ErrorBody};
use crate::ingest::store::StoredAdvisory;
use crate::registry::{OrgCode, OrgKind, Organisation, Prefecture};

#[derive(Serialize, ToSchema)]
pub struct AdvisoryOut {
    pub id: i64,
    /// The source's key in the catalogue (`jvn`, `jpcert`, `kev` …).
    pub source: String,
    pub upstream_id: String,
    pub kind: String,
    pub title: String,
    pub url: Option<String>,
    pub summary: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub cve_ids: Vec<String>,
    pub tlp: Option<String>,
    pub withdrawn: bool,
}

impl From<StoredAdvisory> for AdvisoryOut {
    fn from(a: StoredAdvisory) -> Self {
        Self {
            cve_ids: serde_json::from_str(&a.cve_ids).unwrap_or_default(),
            id: a.id,
            source: a.source_key,
            upstream_id: a.upstream_id,
            kind: a.kind,
            title: a.title,
            url: a.url,
            summary: a.summary_text,
            published_at: a.published_at,
            updated_at: a.updated_at,
            tlp: a.tlp,
            withdrawn: a.withdrawn,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdvisoryPage {
    pub items: Vec<AdvisoryOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdvisoryListParams {
    /// Only this source (`jvn`, `jpcert`, `kev` …).
    source: Option<String>,
    /// Only advisories naming this CVE id.
    cve: Option<String>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    limit: Option<u64>,
}

/// Ingested advisories, newest first (central staff).
#[utoipa::path(
    get,
    path = "/api/v1/advisories",
    tag = "central",
    params(AdvisoryListParams),
    responses(
        (status = 200, body = AdvisoryPage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not central staff"),
    )
)]
#[get("/advisories")]
pub async fn list_advisories(
    ctx: web::Data<AppContext>,
    who: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    who.require_central()?;
    let p: AdvisoryListParams = query(&req)?;
    let limit = page_limit(p.limit)?;
    let before_id = match p.cursor.as_deref() {
        Some(c) => Some(c.parse::<i64>().map_err(|_| bad_cursor())?),
        // The first page: every id is below the largest there can be.
        None => Some(i64::MAX),
    };
    let cve = match p.cve.as_deref().filter(|s| !s.is_empty()) {
        Some(cve) => Some(
            crate::domain::CveId::parse(cve)
                .map_err(|e| {
                    ApiError::bad_request(crate::error::Code::InvalidParameter, format!("cve: {e}"))
                })?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let mut rows = crate::ingest::store::list(
        &ctx.db,
        &crate::ingest::store::AdvisoryFilter {
            source: p.source.clone().filter(|s| !s.is_empty()),
            cve,
            limit: limit + 1,
            offset: 0,
            before_id,
        },
    )
    .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|a| a.id.to_string())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(AdvisoryPage {
        items: rows.into_iter().map(AdvisoryOut::from).collect(),
        next_cursor,
    }))
}

/// One advisory (central staff).
#[utoipa::path(
    get,
    path = "/api/v1/advisories/{id}",
    tag = "central",
    params(("id" = i64, Path, description = "The advisory's id")),
    responses(
        (status = 200, body = AdvisoryOut),
        (status = 400, body = ErrorBody, description = "The id is not a number"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not central staff"),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/advisories/{id}")]
pub async fn show_advisory(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require_central()?;
    let id: i64 = path.parse().map_err(|_| {
        ApiError::bad_request(
            crate::error::Code::InvalidParameter,
            format!("id: `{}` is not a number", path.as_str()),
        )
    })?;
    let a = crate::ingest::store::get(&ctx.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no advisory {id}")))?;
    Ok(HttpResponse::Ok().json(AdvisoryOut::from(a)))
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    /// 全国地方公共団体コード (six digits with the check digit).
    pub code: String,
    /// `central`, `prefecture` or `municipality`.
    pub kind: &'static str,
    pub name: String,
    /// `東京都千代田区` for a municipality.
    pub full_name: String,
    pub kana: String,
    /// 1–47; none for central bodies.
    pub prefecture: Option<u8>,
}

impl From<&Organisation> for OrganisationOut {
    fn from(o: &Organisation) -> Self {
        Self {
            code: o.code.to_string(),
            kind: o.kind.as_str(),
            name: o.name.clone(),
            full_name: o.full_name(),
            kana: o.kana.clone(),
            prefecture: o.prefecture.map(Prefecture::number),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganisationListParams {
    /// `central`, `prefecture` or `municipality`.
    kind: Option<String>,
    /// A prefecture's number (13) or name (東京都).
    prefecture: Option<String>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    limit: Option<u64>,
}

/// The registry in code order (central staff).
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "central",
    params(OrganisationListParams),
    responses(
        (status = 200, body = OrganisationPage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not central staff"),
    )
)]
#[get("/organisations")]
pub async fn list_organisations(
    ctx: web::Data<AppContext>,
    who: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    who.require_central()?;
    let p: OrganisationListParams = query(&req)?;
    let limit = page_limit(p.limit)?;
    let bad = |field: &str, e: String| {
        ApiError::bad_request(
            crate::error::Code::InvalidParameter,
            format!("{field}: {e}"),
        )
    };
    let filter = crate::registry::store::OrgFilter {
        kind: p
            .kind
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(OrgKind::parse)
            .transpose()
            .map_err(|e| bad("kind", e))?,
        prefecture: p
            .prefecture
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Prefecture::parse)
            .transpose()
            .map_err(|e| bad("prefecture", e.to_string()))?,
    };
    let after = p
        .cursor
        .as_deref()
        .map(OrgCode::parse)
        .transpose()
        .map_err(|_| bad_cursor())?;
    let all = crate::registry::store::list(&ctx.db, filter).await?;
    let mut page: Vec<&Organisation> = all
        .iter()
        .filter(|o| after.is_none_or(|a| o.code.to_string() > a.to_string()))
        .take(limit as usize + 1)
        .collect();
    let more = page.len() as u64 > limit;
    page.truncate(limit as usize);
    Ok(HttpResponse::Ok().json(OrganisationPage {
        next_cursor: if more {
            page.last().map(|o| o.code.to_string())
        } else {
            None
        },
        items: page.into_iter().map(OrganisationOut::from).collect(),
    }))
}

/// One organisation by its code (central staff).
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{code}",
    tag = "central",
    params(("code" = String, Path, description = "全国地方公共団体コード, six digits")),
    responses(
        (status = 200, body = OrganisationOut),
        (status = 400, body = ErrorBody, description = "Not a valid code (check digit included)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not central staff"),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/organisations/{code}")]
pub async fn show_organisation(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require_central()?;
    let code = OrgCode::parse(&path).map_err(|e| {
        ApiError::bad_request(crate::error::Code::InvalidParameter, format!("code: {e}"))
    })?;
    let org = crate::registry::store::find_by_code(&ctx.db, code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no organisation {code}")))?;
    Ok(HttpResponse::Ok().json(OrganisationOut::from(&org)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_advisories)
        .service(show_advisory)
        .service(list_organisations)
        .service(show_organisation);
}
