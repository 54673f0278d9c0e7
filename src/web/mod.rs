//! What every HTTP answer of the hub shares, whichever edge (portal, API, feeds, health) made it:
//! browser hardening headers and `HEAD` wherever `GET` works; who is calling ([`principal`], a
//! token or a session) and reading a query string ([`extract`]) for the API and the feeds alike.
//! Owns no route and no table.

pub mod access;
pub mod client;
pub mod extract;
pub mod limit;
pub mod principal;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// No script anywhere in the portal (it works without JavaScript), styles inline in the page,
/// the chart inline SVG; forms post only here; nobody frames the portal (clickjacking of 承認,
/// 取下げ, パスワード再発行).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// HSTS for a portal served over HTTPS: a year, as browsers' preload rules expect.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The headers every answer carries unless its handler set its own (feeds and ack pages set a
/// stricter `Referrer-Policy: no-referrer`).
pub fn hardening_headers(https: bool) -> Vec<(HeaderName, HeaderValue)> {
    use actix_web::http::header;
    let mut headers = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
    ];
    if https {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ));
    }
    headers
}

/// Middleware: answers `HEAD` wherever `GET` works (RFC 9110 §9.3.2; feed readers and link
/// checkers use it) and adds the hardening headers.
///
/// A `HEAD` request is routed as `GET`; actix's HTTP/1 codec remembers that the request was
/// `HEAD` and sends the headers (with the `GET` answer's length) and no body.
pub async fn harden(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let https = req
        .app_data::<actix_web::web::Data<crate::context::AppContext>>()
        .is_some_and(|ctx| ctx.settings.app.base_url.scheme() == "https");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    for (name, value) in hardening_headers(https) {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    Ok(res)
}
