//! The one error shape of the HTTP API: `{"code": "...", "message": "..."}` with a stable
//! snake_case code and the right status. Unexpected errors are logged once here, with their whole
//! cause chain, and shown to the caller without internals.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

crate::string_enum! {
    /// Every code the API and the feeds can answer with: one table, listed in the OpenAPI document
    /// (`ErrorBody.code`). Stable: clients branch on them.
    #[derive(Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Code ("API error code") {
        /// No credentials, or a session that ended.
        Unauthenticated = "unauthenticated",
        /// An API token that is unknown, revoked or expired.
        InvalidToken = "invalid_token",
        /// An `Authorization` header that is not `Bearer nrs_…`.
        BadAuthorization = "bad_authorization",
        /// The caller may not do this (a role, a scope).
        Forbidden = "forbidden",
        /// A session-authenticated write without the session's `X-CSRF-Token`.
        Csrf = "csrf",
        /// A session whose password an administrator set: change it first.
        PasswordChangeRequired = "password_change_required",
        /// A session still waiting for its second factor, or whose user must set one up first.
        SecondFactorRequired = "second_factor_required",
        NotFound = "not_found",
        Conflict = "conflict",
        /// A link or token that was genuine but has expired (HTTP 410).
        Gone = "gone",
        /// Asked too often from one place: wait and try again (HTTP 429).
        RateLimited = "rate_limited",
        Unavailable = "unavailable",
        MalformedJson = "malformed_json",
        UnknownField = "unknown_field",
        MissingField = "missing_field",
        InvalidField = "invalid_field",
        UnknownParameter = "unknown_parameter",
        InvalidParameter = "invalid_parameter",
        BadCursor = "bad_cursor",
        UnsupportedMediaType = "unsupported_media_type",
        BodyTooLarge = "body_too_large",
        Internal = "internal",
    }
}

/// Every API error: a stable snake_case `code` to branch on and a `message` for people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: Code,
    pub message: String,
}

/// What a domain error is, said once by the capability that raises it ([`Classify`]); each edge
/// maps these kinds, never the individual errors: the API to a status and a [`Code`]
/// (`From<Failure> for ApiError`), the portal to its error page (`From<Failure> for
/// PortalError`). The message is the capability's own (Japanese where people see it; the
/// portal's catalog translates the fixed ones).
#[derive(Debug)]
pub enum Failure {
    /// The input is wrong: 400 `invalid_field`.
    Invalid(String),
    /// No such thing, or not one the caller may see: 404.
    NotFound(String),
    /// The caller sees it but may not do this: 403.
    Forbidden(String),
    /// It does not fit the state it is in: 409.
    Conflict(String),
    /// It existed and no longer takes this: 410.
    Gone(String),
    /// Asked too often: 429, with the seconds to wait.
    Limited {
        retry_after: u64,
        message: String,
    },
    Unexpected(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Unexpected(e)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(m)
            | Self::NotFound(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::Gone(m)
            | Self::Limited { message: m, .. } => f.write_str(m),
            Self::Unexpected(e) => write!(f, "{e:#}"),
        }
    }
}

/// A domain error that says its [`Failure`] kind.
pub trait Classify {
    fn classify(self) -> Failure;
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Invalid(m) => Self::bad_request(Code::InvalidField, m),
            Failure::NotFound(m) => Self::NotFound(m),
            Failure::Forbidden(m) => Self::Forbidden(m),
            Failure::Conflict(m) => Self::Conflict(m),
            Failure::Gone(m) => Self::coded(StatusCode::GONE, Code::Gone, m),
            Failure::Limited { message, .. } => {
                Self::coded(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, message)
            }
            Failure::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

/// `From<E> for $edge` through [`Classify`] for each domain error listed: one list per edge.
#[macro_export]
macro_rules! classified_into {
    ($edge:ty; $($error:ty),+ $(,)?) => {
        $(
            impl From<$error> for $edge {
                fn from(e: $error) -> Self {
                    $crate::error::Classify::classify(e).into()
                }
            }
        )+
    };
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: Code, message: String },
    #[error(
        "authentication is required: send `Authorization: Bearer nrs_…` with a live API token, or sign in"
    )]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    /// Any other status with its own stable code.
    #[error("{message}")]
    Coded {
        status: StatusCode,
        code: Code,
        message: String,
    },
    #[error("an unexpected error occurred")]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: Code, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn coded(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self::Coded {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Coded { code, .. } | Self::BadRequest { code, .. } => *code,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::Forbidden(_) => Code::Forbidden,
            Self::NotFound(_) => Code::NotFound,
            Self::Conflict(_) => Code::Conflict,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Unexpected(e) if crate::db::is_unavailable(e) => Code::Unavailable,
            Self::Unexpected(_) => Code::Internal,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Coded { status, .. } => *status,
            Self::Unexpected(e) if crate::db::is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let unavailable = matches!(self, Self::Unexpected(e) if crate::db::is_unavailable(e));
        if let Self::Unexpected(e) = self {
            if unavailable {
                tracing::warn!(error = format!("{e:#}"), "the database is unavailable: 503");
            } else {
                tracing::error!(error = format!("{e:#}"), "request failed");
            }
        }
        let mut res = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", "Bearer realm=\"noroshi\""));
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header(("Retry-After", crate::db::RETRY_AFTER_SECS.to_string()));
        }
        res.json(ErrorBody {
            code: self.code(),
            message: if unavailable {
                "the database cannot be reached; try again shortly".to_owned()
            } else {
                self.to_string()
            },
        })
    }
}

#[cfg(test)]
mod failure_tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_has_one_status_and_code_in_the_api() {
        let cases = [
            (
                Failure::Invalid("x".into()),
                StatusCode::BAD_REQUEST,
                Code::InvalidField,
            ),
            (
                Failure::NotFound("x".into()),
                StatusCode::NOT_FOUND,
                Code::NotFound,
            ),
            (
                Failure::Forbidden("x".into()),
                StatusCode::FORBIDDEN,
                Code::Forbidden,
            ),
            (
                Failure::Conflict("x".into()),
                StatusCode::CONFLICT,
                Code::Conflict,
            ),
            (Failure::Gone("x".into()), StatusCode::GONE, Code::Gone),
            (
                Failure::Limited {
                    retry_after: 30,
                    message: "x".into(),
                },
                StatusCode::TOO_MANY_REQUESTS,
                Code::RateLimited,
            ),
            (
                Failure::Unexpected(anyhow::anyhow!("x")),
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::Internal,
            ),
        ];
        for (f, status, code) in cases {
            let e = ApiError::from(f);
            assert_eq!((e.status_code(), e.code()), (status, code));
        }
    }
}
