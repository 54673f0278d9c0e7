//! The root span of every HTTP request, like tracing-actix-web's default but with secrets taken
//! out of the logged target: feed tokens travel in URLs (feed readers cannot send headers), and a
//! log line must never hold one.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

use crate::auth::tokens::TOKEN_PREFIX;

pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = redact(request.uri().path_and_query().map_or("", |p| p.as_str()));
        let route = request.match_pattern().unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// `…/feeds/nrs_abc…/alerts.rss?token=nrs_…` → `…/feeds/nrs_[redacted]/alerts.rss?token=nrs_[redacted]`.
pub fn redact(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    let mut rest = target;
    while let Some(at) = rest.find(TOKEN_PREFIX) {
        out.push_str(&rest[..at + TOKEN_PREFIX.len()]);
        rest = &rest[at + TOKEN_PREFIX.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            out.push_str("[redacted]");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(
            redact("/feeds/nrs_AbC-9_x/alerts.rss?min_severity=high&token=nrs_zz"),
            "/feeds/nrs_[redacted]/alerts.rss?min_severity=high&token=nrs_[redacted]"
        );
        assert_eq!(redact("/inbox?page=2"), "/inbox?page=2");
        assert_eq!(redact("/nrs_"), "/nrs_");
    }
}
