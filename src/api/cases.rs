//! `/api/v1/cases`: search the case library (with facet counts), read one case with its similar
//! cases, and submit a case (the `report` scope). The same access rule as the portal holds:
//! results, facet counts and similar cases only ever contain cases the caller may read.

use crate::domain::ids::CaseId;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::principal::Principal;
use super::{JsonBody, query};
use crate::auth::tokens::Scope;
use crate::cases::reading;
use crate::cases::store::Case;
use crate::cases::{CaseInput, Status, describe_org, facet_label};
use crate::context::AppContext;
use crate::error::{ApiError, ErrorBody};
use crate::search::{SearchQuery, Sort};

/// A case as lists show it.
#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    #[schema(value_type = i64)]
    pub id: CaseId,
    /// `incident`, `near_miss` or `practice`.
    pub kind: &'static str,
    pub title: String,
    pub summary: String,
    /// Who it happened to, anonymised unless the organisation agreed to be named.
    pub organisation: String,
    pub tlp: &'static str,
    pub categories: Vec<String>,
    pub causes: Vec<String>,
    pub year: Option<i32>,
    /// The best passage for the query: HTML, matches in `<b>`, everything else escaped.
    pub snippet: String,
    pub portal_url: String,
}

fn summary(ctx: &AppContext, c: &Case, snippet: String) -> CaseSummary {
    let f = &c.fields;
    CaseSummary {
        id: c.id,
        kind: f.kind.as_str(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        organisation: describe_org(f, None),
        tlp: f.tlp.as_str(),
        categories: f.categories.clone(),
        causes: f.causes.clone(),
        year: f.year(),
        snippet,
        portal_url: format!(
            "{}/cases/{}",
            ctx.settings.app.base_url.as_str().trim_end_matches('/'),
            c.id
        ),
    }
}

#[derive(Serialize, ToSchema)]
pub struct FacetCount {
    /// `/category/malware`, `/year/2024` …; pass the part after the root as that filter.
    pub path: String,
    pub label: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct CaseResults {
    pub total: usize,
    pub items: Vec<CaseSummary>,
    /// Counts per facet value over every match the caller may read.
    pub facets: Vec<FacetCount>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseSearchParams {
    /// Words to find in title, summary, body and lessons (Japanese or English; at most 200
    /// characters). Empty: every case.
    q: Option<String>,
    /// `incident`, `near_miss` or `practice`.
    kind: Option<String>,
    /// A category id (`data_leak`).
    category: Option<String>,
    /// A cause id (`external_contractor`).
    cause: Option<String>,
    /// An organisation kind (`city`).
    org_kind: Option<String>,
    /// A prefecture number, 1–47.
    prefecture: Option<String>,
    /// A year (`2024`).
    year: Option<String>,
    /// `relevance` (default) or `newest`.
    sort: Option<String>,
    /// 1 to 100 (default 20).
    limit: Option<usize>,
    /// Hits to skip (at most 10,000).
    offset: Option<usize>,
}

/// Search the case library.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(CaseSearchParams),
    responses(
        (status = 200, body = CaseResults),
        (status = 400, body = ErrorBody, description = "A bad filter, sort or page"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the read scope"),
    )
)]
#[get("/cases")]
pub async fn search_cases(
    ctx: web::Data<AppContext>,
    who: Principal,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Read)?;
    let p: CaseSearchParams = query(&req)?;
    let bad = |m: String| ApiError::bad_request(crate::error::Code::InvalidParameter, m);
    let text = p.q.unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(bad("q: at most 200 characters".into()));
    }
    let mut facets = Vec::new();
    for (root, v) in [
        ("kind", &p.kind),
        ("category", &p.category),
        ("cause", &p.cause),
        ("org_kind", &p.org_kind),
        ("prefecture", &p.prefecture),
        ("year", &p.year),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            facets.push(
                crate::search::parse_facet(&format!("/{root}/{v}"))
                    .map_err(|e| bad(format!("{root}: {e}")))?,
            );
        }
    }
    let sort = match p.sort.as_deref() {
        None | Some("" | "relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some(other) => return Err(bad(format!("sort: `{other}` is not relevance or newest"))),
    };
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(bad("limit: from 1 to 100".into()));
    }
    let offset = p.offset.unwrap_or(0);
    if offset > 10_000 {
        return Err(bad("offset: at most 10,000".into()));
    }
    let r = who.caller();
    let results = ctx
        .search
        .search(SearchQuery {
            text,
            access: crate::cases::access::keys(&r),
            facets,
            sort,
            limit,
            offset,
        })
        .await?;
    let items = reading::hits(&ctx.db, &r, &results.hits)
        .await?
        .iter()
        .map(|(c, snippet)| summary(&ctx, c, snippet.clone()))
        .collect();
    Ok(HttpResponse::Ok().json(CaseResults {
        total: results.total,
        items,
        facets: results
            .facets
            .into_iter()
            .map(|(path, count)| FacetCount {
                label: facet_label(&path),
                path,
                count,
            })
            .collect(),
    }))
}

/// One case in full.
#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    #[schema(value_type = i64)]
    pub id: CaseId,
    /// `submitted`, `reviewing`, `published` or `withdrawn`.
    pub status: &'static str,
    /// 0 until published, then 1, 2 … per published revision.
    pub revision: i32,
    pub kind: &'static str,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub measures: String,
    pub lessons: String,
    pub categories: Vec<String>,
    pub causes: Vec<String>,
    pub organisation: String,
    pub org_kind: String,
    pub size_band: String,
    pub prefecture: Option<u8>,
    pub occurred_on: Option<NaiveDate>,
    pub found_on: Option<NaiveDate>,
    pub reported_on: Option<NaiveDate>,
    pub records_affected: Option<i64>,
    pub systems_affected: String,
    pub alert_ids: Vec<String>,
    pub advisory_ids: Vec<String>,
    pub tlp: &'static str,
    pub source: String,
    /// 公表: the organisation made the incident public, and when.
    pub publicised: bool,
    pub publicised_on: Option<NaiveDate>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Published cases like this one that the caller may read.
    pub similar: Vec<CaseSummary>,
    pub portal_url: String,
}

/// One case, with similar cases.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    params(("id" = i64, Path, description = "The case's number")),
    responses(
        (status = 200, body = CaseDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the read scope"),
        (status = 404, body = ErrorBody, description = "No such case, or not one you may read"),
    )
)]
#[get("/cases/{id}")]
pub async fn show_case(
    ctx: web::Data<AppContext>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Read)?;
    let not_found = || ApiError::NotFound(format!("no case {}", path.as_str()));
    let id: CaseId = path.parse().map_err(|_| not_found())?;
    let r = who.caller();
    let case = reading::one(&ctx.db, &r, id).await?.ok_or_else(not_found)?;
    let f = &case.fields;
    let similar = if case.status == Status::Published {
        reading::similar(
            &ctx.db,
            &ctx.search,
            &r,
            format!("{}\n{}", f.title, f.summary),
            f.categories.clone(),
            Some(case.id),
        )
        .await?
        .iter()
        .map(|c| summary(&ctx, c, String::new()))
        .collect()
    } else {
        Vec::new()
    };
    let named_as = reading::named_as(&ctx.db, &case).await?;
    Ok(HttpResponse::Ok().json(CaseDetail {
        id: case.id,
        status: case.status.as_str(),
        revision: case.revision,
        kind: f.kind.as_str(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        body: f.body.clone(),
        measures: f.measures.clone(),
        lessons: f.lessons.clone(),
        categories: f.categories.clone(),
        causes: f.causes.clone(),
        organisation: describe_org(f, named_as.as_deref()),
        org_kind: f.org_kind.clone(),
        size_band: f.size_band.clone(),
        prefecture: f.prefecture,
        occurred_on: f.occurred_on,
        found_on: f.found_on,
        reported_on: f.reported_on,
        records_affected: f.records_affected,
        systems_affected: f.systems_affected.clone(),
        alert_ids: f.alert_ids.clone(),
        advisory_ids: f.advisory_ids.clone(),
        tlp: f.tlp.as_str(),
        source: f.source.clone(),
        publicised: f.publicised,
        publicised_on: f.publicised_on,
        published_at: case.published_at,
        updated_at: case.updated_at,
        similar,
        portal_url: summary(&ctx, &case, String::new()).portal_url,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Submitted {
    #[schema(value_type = i64)]
    pub id: CaseId,
    /// `submitted`: central staff review it before an approver publishes it.
    pub status: &'static str,
    pub portal_url: String,
}

/// Submit a case (事例の報告) for review. Central staff anonymise it; an approver publishes it.
#[utoipa::path(
    post,
    path = "/api/v1/cases",
    tag = "cases",
    request_body = CaseInput,
    responses(
        (status = 201, body = Submitted),
        (status = 400, body = ErrorBody, description = "A field is missing or wrong (the message names it)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The token lacks the report scope"),
        (status = 413, body = ErrorBody, description = "Over 64 KiB"),
        (status = 415, body = ErrorBody, description = "Not JSON"),
    )
)]
#[post("/cases")]
pub async fn submit_case(
    ctx: web::Data<AppContext>,
    who: Principal,
    body: JsonBody<CaseInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::Report)?;
    let fields = body
        .0
        .validate(crate::time::today_jst())
        .map_err(|e| ApiError::bad_request(crate::error::Code::InvalidField, e.to_string()))?;
    let org = (!who.is_central()).then_some(who.org().id);
    let id = crate::cases::act::submit(&ctx.db, &fields, org, &who.actor()).await?;
    Ok(HttpResponse::Created().json(Submitted {
        id,
        status: Status::Submitted.as_str(),
        portal_url: format!(
            "{}/cases/{id}",
            ctx.settings.app.base_url.as_str().trim_end_matches('/')
        ),
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(search_cases)
        .service(submit_case)
        .service(show_case);
}
