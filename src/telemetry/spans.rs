//! The root span of every HTTP request, like tracing-actix-web's default but with secrets taken
//! out of the logged target: feed tokens travel in URLs (feed readers cannot send headers), and a
//! log line must never hold one.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

use crate::keys::TOKEN_PREFIX;

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

/// The paths whose next segment is a capability: whoever holds the URL may act (acknowledge,
/// confirm a subscription or a contact address, unsubscribe). Every `SecretUrl` route of
/// `web::access` is under one of these or carries an API token (a test there keeps it so).
pub const CAPABILITY_PATHS: &[&str] = &[
    "/ack/",
    "/magazine/confirm/",
    "/magazine/unsubscribe/",
    "/contacts/confirm/",
];

/// `…/feeds/nrs_abc…/alerts.rss?token=nrs_…` → `…/feeds/nrs_[redacted]/alerts.rss?token=nrs_[redacted]`;
/// capability links ([`CAPABILITY_PATHS`]) too, also where a `next=` carries one URL-encoded
/// (`/ack/[redacted]`, `next=%2Fack%2F[redacted]`): a log reader could otherwise set any
/// organisation's acknowledgement state, confirm someone's subscription or unsubscribe them.
pub fn redact(target: &str) -> String {
    let mut out = redact_after(target, TOKEN_PREFIX);
    for path in CAPABILITY_PATHS {
        out = redact_after(&out, path);
        for slash in ["%2F", "%2f"] {
            out = redact_after(&out, &path.replace('/', slash));
        }
    }
    out
}

/// Replaces the token-like run (`[A-Za-z0-9_-]+`) after every `marker` with `[redacted]`.
fn redact_after(target: &str, marker: &str) -> String {
    let mut out = String::with_capacity(target.len());
    let mut rest = target;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
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

    #[test]
    fn acknowledgement_links_never_reach_the_log() {
        assert_eq!(
            redact("/ack/Zm9vYmFyYmF6-_x?lang=en"),
            "/ack/[redacted]?lang=en"
        );
        assert_eq!(
            redact("/preferences/lang?lang=en&next=%2Fack%2FZm9vYmFy-_x"),
            "/preferences/lang?lang=en&next=%2Fack%2F[redacted]"
        );
    }

    #[test]
    fn magazine_and_contact_links_never_reach_the_log() {
        assert_eq!(
            redact("/magazine/unsubscribe/c2-uqs3vaucw2kyj7hZ"),
            "/magazine/unsubscribe/[redacted]"
        );
        assert_eq!(
            redact("/contacts/confirm/675-20427-aaaaaaaaaaaaaaaa?lang=en"),
            "/contacts/confirm/[redacted]?lang=en"
        );
        assert_eq!(
            redact("/preferences/lang?next=%2fmagazine%2fconfirm%2fAbC_9"),
            "/preferences/lang?next=%2fmagazine%2fconfirm%2f[redacted]"
        );
    }
}
