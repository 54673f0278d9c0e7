use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::context::AppContext;
use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// The process is up and answering.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    pending_migrations: Vec<String>,
}

/// The database answers and its schema is current: safe to send traffic here.
#[get("/readyz")]
async fn readyz(ctx: web::Data<AppContext>) -> HttpResponse {
    let database_ok = crate::db::ping(&ctx.db).await.is_ok();
    let pending = if database_ok {
        crate::db::pending_migrations(&ctx.db).await.ok()
    } else {
        None
    };
    let ready = database_ok && pending.as_ref().is_some_and(Vec::is_empty);
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database: if database_ok { "ok" } else { "unreachable" },
        pending_migrations: pending.unwrap_or_default(),
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Whether this request may read `/metrics`: the configured bearer token, or — with none
/// configured — a connection straight from this machine, not through a proxy (a proxy on the
/// same host connects from loopback too, but adds a forwarding header). Counters by route and
/// source health are not for whoever reaches the port.
fn may_read_metrics(ctx: &AppContext, req: &actix_web::HttpRequest) -> bool {
    use secrecy::ExposeSecret;
    match &ctx.settings.server.metrics_token {
        Some(token) => req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|sent| {
                crate::auth::session::same_secret(sent.trim(), token.expose_secret())
            }),
        None => crate::web::client::direct_from_this_machine(req),
    }
}

/// Prometheus text exposition format, for the configured scraper only (404 to anyone else).
#[get("/metrics")]
async fn metrics(
    ctx: web::Data<AppContext>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if !may_read_metrics(&ctx, &req) {
        return Err(ApiError::NotFound("no such page".into()));
    }
    for s in crate::ingest::store::list_sources(&ctx.db).await? {
        let last = s
            .last_success_at
            .map(|t| t.timestamp_millis() as f64 / 1000.0);
        ctx.metrics.set_source_health(
            &s.key,
            i64::from(s.consecutive_failures),
            last,
            s.items_seen,
            i64::from(s.items_quarantined),
        );
    }
    let relay = ctx.mailer.limiter.status();
    ctx.metrics
        .relay_paused
        .set(i64::from(relay.paused_until.is_some()));
    ctx.metrics.relay_slow_downs.set(i64::from(relay.strikes));
    let body = ctx
        .metrics
        .render()
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("cannot render metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body))
}
