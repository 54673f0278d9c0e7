//! The portal's one error page. Unexpected errors are logged once here with their cause chain
//! and shown without internals; a missing login sends the browser to the login page. The page
//! is written in Japanese by `error_response` (which cannot see the request) and written again
//! in the browser's language by [`in_browsers_language`] when that is English.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// Not signed in: go to the login page, then come back to `next`.
    #[error("ログインしてください")]
    LoginRequired { next: String },
    /// Signed in with a password someone else set: only the password change opens.
    #[error("パスワードを変更してください")]
    PasswordChangeRequired,
    /// The password was right; the second factor's code is still to come.
    #[error("確認コードを入力してください")]
    SecondFactorPending,
    /// The user's role signs in with a second factor, not set up yet: only its set-up opens.
    #[error("二要素認証を設定してください")]
    SecondFactorSetUp,
    #[error("{0}")]
    BadRequest(String),
    #[error(
        "フォームの有効期限が切れたか、不正な送信です。ページを開き直してから、もう一度送信してください。"
    )]
    Csrf,
    #[error("{0}")]
    Forbidden(String),
    /// Also what an alert not addressed to the viewer looks like: its existence is not revealed.
    #[error("お探しのページは見つかりません。")]
    NotFound,
    /// Something that existed and no longer works (an expired link).
    #[error("{0}")]
    Gone(String),
    /// A form posted too often (a public form from one address or by everybody together, a
    /// once-a-day button): the message says which, in the viewer's language.
    #[error("{message}")]
    TooManyRequests { retry_after: u64, message: String },
    #[error("システムエラーが発生しました。時間をおいて再度お試しください。")]
    Unexpected(#[from] anyhow::Error),
}

/// A domain error's kind as the portal shows it: the error page with its status; a conflict is
/// a request the portal refuses (400), the way its forms refuse input.
impl From<crate::error::Failure> for PortalError {
    fn from(f: crate::error::Failure) -> Self {
        use crate::error::Failure;
        match f {
            Failure::Invalid(m) | Failure::Conflict(m) => Self::BadRequest(m),
            Failure::NotFound(_) => Self::NotFound,
            Failure::Forbidden(m) => Self::Forbidden(m),
            Failure::Gone(m) => Self::Gone(m),
            Failure::Limited {
                retry_after,
                message,
            } => Self::TooManyRequests {
                retry_after,
                message,
            },
            Failure::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

/// A form's refusal, decided in one place for every form: anything the capability refused
/// (invalid, unknown, conflicting, not allowed) is the message shown in the form again; only the
/// unexpected becomes the error page.
pub fn refusal(e: impl crate::error::Classify) -> Result<String, PortalError> {
    match e.classify() {
        crate::error::Failure::Unexpected(e) => Err(PortalError::Unexpected(e)),
        f => Ok(f.to_string()),
    }
}

crate::classified_into!(
    PortalError;
    crate::reports::store::ReportError,
    crate::inquiries::InquiryError,
    crate::surveys::publish::SurveyError,
    crate::cases::store::CaseError,
    crate::alerts::publish::PublishError,
    crate::acks::AckError,
    crate::auth::ManageUserError,
    crate::contacts::domains::DomainError,
    crate::auth::second_factor::SecondFactorError,
);

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    lang: Lang,
    heading: &'a str,
    message: &'a str,
}

/// What a page says while the database cannot be reached (a restart, a failover).
const UNAVAILABLE: &str = "データベースに接続できないため、一時的に利用できません。しばらくしてから再読み込みしてください。";

impl PortalError {
    /// The page for this error in `lang`. Messages handlers wrote are already in the viewer's
    /// language; the fixed ones are put through the catalog here.
    fn page(&self, lang: Lang) -> HttpResponse {
        let heading = match self {
            Self::BadRequest(_) => lang.tr("入力内容を確認してください"),
            Self::Csrf => lang.tr("送信を受け付けられませんでした"),
            Self::Forbidden(_) => lang.tr("権限がありません"),
            Self::NotFound => lang.tr("見つかりません"),
            Self::Gone(_) => lang.tr("有効期限が切れています"),
            Self::TooManyRequests { .. } => lang.tr("しばらくお待ちください"),
            Self::Unexpected(e) if crate::db::is_unavailable(e) => {
                lang.tr("一時的に利用できません")
            }
            _ => lang.tr("エラー"),
        };
        let fixed = self.to_string();
        let message = match self {
            // A capability's fixed message is in the catalog; one a handler wrote is already in
            // the viewer's language and passes through unchanged.
            Self::BadRequest(m)
            | Self::Forbidden(m)
            | Self::Gone(m)
            | Self::TooManyRequests { message: m, .. } => lang.message(m),
            Self::Unexpected(e) if crate::db::is_unavailable(e) => lang.tr(UNAVAILABLE).to_owned(),
            _ => lang.message(&fixed),
        };
        let page = ErrorPage {
            lang,
            heading,
            message: &message,
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, crate::db::RETRY_AFTER_SECS.to_string()));
        }
        response
            .content_type("text/html; charset=utf-8")
            .body(page.render().unwrap_or_else(|_| heading.to_owned()))
    }
}

/// Middleware: an error page of the portal, in the browser's language.
pub async fn in_browsers_language(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let page = match res.response().error() {
        Some(e) => match Lang::of(res.request()) {
            Lang::Ja => None,
            lang => e
                .as_error::<PortalError>()
                .filter(|e| {
                    !matches!(
                        e,
                        PortalError::LoginRequired { .. }
                            | PortalError::PasswordChangeRequired
                            | PortalError::SecondFactorPending
                            | PortalError::SecondFactorSetUp
                    )
                })
                .map(|e| e.page(lang)),
        },
        None => None,
    };
    Ok(match page {
        Some(page) => res.into_response(page).map_into_right_body(),
        None => res.map_into_left_body(),
    })
}

impl ResponseError for PortalError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired { .. }
            | Self::PasswordChangeRequired
            | Self::SecondFactorPending
            | Self::SecondFactorSetUp => StatusCode::SEE_OTHER,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unexpected(e) if crate::db::is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::LoginRequired { next } = self {
            let target = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        if let Self::PasswordChangeRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/settings/password"))
                .finish();
        }
        if let Self::SecondFactorPending = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login/totp"))
                .finish();
        }
        if let Self::SecondFactorSetUp = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/settings/totp"))
                .finish();
        }
        if let Self::Unexpected(e) = self {
            if crate::db::is_unavailable(e) {
                tracing::warn!(error = format!("{e:#}"), "the database is unavailable: 503");
            } else {
                tracing::error!(error = ?e, "portal request failed");
            }
        }
        self.page(Lang::Ja)
    }
}

/// Renders a page that shows the user's mistake: 400 when `refused`, else 200.
pub fn render_refused(page: &impl Template, refused: bool) -> Result<HttpResponse, PortalError> {
    let mut response = render(page)?;
    if refused {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// Renders a page template into a response.
pub fn render(page: &impl Template) -> Result<HttpResponse, PortalError> {
    let html = page
        .render()
        .map_err(|e| PortalError::Unexpected(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}
