//! The portal's one error page. Unexpected errors are logged once here with their cause chain
//! and shown without internals; a missing login sends the browser to the login page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// Not signed in: go to the login page, then come back to `next`.
    #[error("ログインしてください")]
    LoginRequired { next: String },
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
    #[error("システムエラーが発生しました。時間をおいて再度お試しください。")]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    heading: &'a str,
    message: String,
}

impl ResponseError for PortalError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
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
        if let Self::Unexpected(e) = self {
            tracing::error!(error = ?e, "portal request failed");
        }
        let heading = match self {
            Self::BadRequest(_) => "入力内容を確認してください",
            Self::Csrf => "送信を受け付けられませんでした",
            Self::Forbidden(_) => "権限がありません",
            Self::NotFound => "見つかりません",
            Self::Gone(_) => "有効期限が切れています",
            _ => "エラー",
        };
        let page = ErrorPage {
            heading,
            message: self.to_string(),
        };
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(page.render().unwrap_or_else(|_| heading.to_owned()))
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
