//! The JSON API, versioned under `/api/v1`: alerts (list with filters and cursor pagination,
//! show), acknowledgements, incident reports and survey answers (the `report` scope), advisories and organisations
//! (central staff), authenticated by an
//! organisation's API token (`Authorization: Bearer nrs_…`, scoped) or a portal session (with
//! `X-CSRF-Token` on writes). Every error has one shape, `{"code": "...", "message": "..."}`;
//! malformed JSON, unknown fields and wrong types get 400 naming the field. The OpenAPI 3
//! document is generated from this code (utoipa) and served at `/api/v1/openapi.json`.

pub mod alerts;
pub mod cases;
pub mod directory;
pub use crate::web::principal;
pub mod reports;
pub mod surveys;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::{ApiError, Code, ErrorBody};

crate::classified_into!(
    ApiError;
    crate::reports::store::ReportError,
    crate::surveys::publish::SurveyError,
    crate::cases::store::CaseError,
    crate::alerts::publish::PublishError,
    crate::acks::AckError,
);

/// Largest JSON body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest page of a list.
pub const MAX_LIMIT: u64 = 200;
pub const DEFAULT_LIMIT: u64 = 50;

/// A list's page size: `limit` or the default, refused outside 1..=[`MAX_LIMIT`].
pub fn page_limit(limit: Option<u64>) -> Result<u64, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::bad_request(
            crate::error::Code::InvalidParameter,
            format!("limit: must be from 1 to {MAX_LIMIT}"),
        ))
    }
}

/// What every list answers to a cursor it did not give out.
pub fn bad_cursor() -> ApiError {
    ApiError::bad_request(
        crate::error::Code::BadCursor,
        "cursor: not a cursor this API gave out",
    )
}

pub use crate::web::extract::query;

/// A JSON request body: `Content-Type: application/json`, at most [`MAX_BODY_BYTES`], read
/// with the path of any bad field in the message.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::coded(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    crate::error::Code::UnsupportedMediaType,
                    "send the body as JSON with Content-Type: application/json",
                ));
            }
            let bytes = body.await.map_err(|e| {
                ApiError::coded(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    crate::error::Code::BodyTooLarge,
                    format!("the body could not be read (at most {MAX_BODY_BYTES} bytes): {e}"),
                )
            })?;
            if bytes.len() > MAX_BODY_BYTES {
                return Err(ApiError::coded(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    crate::error::Code::BodyTooLarge,
                    format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                ));
            }
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// JSON into `T` with a message that names the field: `note: invalid type: integer …`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (code, what) = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                (Code::MalformedJson, "the body is not valid JSON".to_owned())
            }
            serde_json::error::Category::Io => {
                (Code::MalformedJson, "the body could not be read".into())
            }
            serde_json::error::Category::Data => {
                let code = if inner.to_string().starts_with("unknown field") {
                    Code::UnknownField
                } else if inner.to_string().starts_with("missing field") {
                    Code::MissingField
                } else {
                    Code::InvalidField
                };
                (code, String::new())
            }
        };
        let message = match (path.as_str(), what.is_empty()) {
            (_, false) => format!("{what}: {inner}"),
            ("." | "", true) => inner.to_string(),
            (p, true) => format!("{p}: {inner}"),
        };
        ApiError::bad_request(code, message)
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request(
            crate::error::Code::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// Adds the two ways to authenticate to the document.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An organisation's API token (`nrs_…`), created in the portal's settings; its scopes are read, acknowledge and report."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::session::SESSION_COOKIE,
                "A portal session; state-changing requests also send X-CSRF-Token.",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Noroshi API",
        version = "1",
        description = "自治体CEPTOAR 注意喚起配信ハブ Noroshi の JSON API。Errors always have the shape {\"code\", \"message\"}."
    ),
    paths(
        me,
        openapi_json,
        alerts::list_alerts,
        alerts::show_alert,
        alerts::show_ack,
        alerts::set_ack,
        directory::list_advisories,
        directory::show_advisory,
        directory::list_organisations,
        directory::show_organisation,
        cases::search_cases,
        cases::show_case,
        cases::submit_case,
        reports::list_reports,
        reports::show_report,
        reports::file_report,
        reports::add_report_update,
        reports::take_report_step,
        surveys::show_answers,
        surveys::save_answers,
    ),
    components(schemas(ErrorBody, Code)),
    modifiers(&Security),
    security(("token" = []), ("session" = [])),
    tags(
        (name = "alerts", description = "注意喚起 and acknowledgements"),
        (name = "cases", description = "事故事例・取組事例: the case library"),
        (name = "reports", description = "障害・事故等報告: incident reports and their successive 報"),
        (name = "surveys", description = "調査・点検: an organisation's answers to a survey"),
        (name = "central", description = "For central staff: advisories and organisations"),
        (name = "meta", description = "Who am I, and this document"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document, pretty-printed (what `noroshi openapi` prints and the test compares).
pub fn openapi_document() -> anyhow::Result<String> {
    Ok(ApiDoc::openapi().to_pretty_json()? + "\n")
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    /// `token` or `session`.
    pub authenticated_by: &'static str,
    pub organisation: directory::OrganisationOut,
    /// The token's scopes, or all of them for a session.
    pub scopes: Vec<&'static str>,
    /// The user's role, for a session.
    pub role: Option<&'static str>,
}

/// Who the caller is: their organisation and what they may do.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "meta",
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody, description = "No or bad credentials"),
    )
)]
#[get("/me")]
async fn me(who: principal::Principal) -> Result<HttpResponse, ApiError> {
    let scopes = crate::auth::tokens::ALL_SCOPES
        .into_iter()
        .filter(|s| who.allows(*s))
        .map(|s| s.as_str())
        .collect();
    Ok(HttpResponse::Ok().json(Me {
        authenticated_by: match who {
            principal::Principal::User { .. } => "session",
            principal::Principal::Token { .. } => "token",
        },
        organisation: directory::OrganisationOut::from(who.org()),
        scopes,
        role: who.role().map(crate::auth::Role::as_str),
    }))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json"))
)]
#[get("/openapi.json")]
async fn openapi_json() -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi_document()?))
}

async fn no_such_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no API route {} {}: see /api/v1/openapi.json",
        req.method(),
        req.path()
    )))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .service(me)
            .service(openapi_json)
            .configure(alerts::configure)
            .configure(directory::configure)
            .configure(cases::configure)
            .configure(reports::configure)
            .configure(surveys::configure)
            .default_service(web::to(no_such_route)),
    );
}
