//! Liveness, readiness, metrics and the landing page.

use migrations::{Migrator, MigratorTrait};

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_while_the_process_is_up() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok\n");
}

#[tokio::test]
async fn readyz_is_ready_when_the_database_answers_and_migrations_are_current() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn readyz_is_not_ready_while_a_migration_is_pending() {
    let app = spawn_app().await;
    Migrator::down(&app.ctx.db, Some(1)).await.unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    let last = Migrator::migrations().last().unwrap().name().to_owned();
    assert_eq!(body["pending_migrations"], serde_json::json!([last]));
}

#[tokio::test]
async fn metrics_count_requests_by_route_in_prometheus_text() {
    let app = spawn_app().await;
    for _ in 0..3 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    assert_eq!(app.get("/no/such/page").await.status(), 404);
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "Prometheus scrapes the OpenMetrics text format"
    );
    let text = res.text().await.unwrap();
    let value = |prefix: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    assert_eq!(
        value(r#"noroshi_http_requests_total{method="GET",route="/healthz",status="200"}"#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(r#"noroshi_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            r#"noroshi_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert!(
        text.contains("# TYPE noroshi_http_request_duration_seconds histogram"),
        "{text}"
    );
}

#[tokio::test]
async fn the_landing_page_shows_the_registry_in_japanese() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ja">"#));
    assert!(
        html.contains("<tr><th>都道府県</th><td>47</td></tr>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><th>市区町村</th><td>1741</td></tr>"),
        "{html}"
    );
}
