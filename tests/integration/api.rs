//! The JSON API over real HTTP: every endpoint with success, no or bad credentials, the wrong
//! role or scope, and bad input, all answered in the one error shape. And the OpenAPI document,
//! kept in step with the code by comparing it with the committed copy.

use noroshi::auth::Role;
use noroshi::auth::tokens::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::feeds::{token_for, world};
use crate::helpers::advisories::ingest_sample;
use crate::helpers::browser::Browser;
use crate::helpers::mail::user;
use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery staple";

/// A request as the API sees it: `auth` is a bearer token, or a session's cookie header with
/// its CSRF token.
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Session {
        cookie: &'a str,
        csrf: Option<&'a str>,
    },
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    auth: &Auth<'_>,
    body: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path));
    match auth {
        Auth::None => {}
        Auth::Bearer(t) => req = req.bearer_auth(t),
        Auth::Session { cookie, csrf } => {
            req = req.header("Cookie", *cookie);
            if let Some(c) = csrf {
                req = req.header("X-CSRF-Token", *c);
            }
        }
    }
    if let Some((content_type, text)) = body {
        req = req
            .header("Content-Type", content_type)
            .body(text.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
    if !status.is_success() {
        assert!(
            value["code"].is_string() && value["message"].is_string(),
            "{path}: the error shape: {value}"
        );
    }
    (status, value)
}

async fn get(app: &TestApp, path: &str, auth: &Auth<'_>) -> (StatusCode, Value) {
    call(app, reqwest::Method::GET, path, auth, None).await
}

/// Signs `email` in; returns the cookie header and the session's CSRF token.
async fn session(app: &TestApp, email: &str) -> (String, String) {
    let mut b = Browser::new(&app.address);
    let page = b.log_in(email, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let csrf = b.get("/settings/password").await.hidden("csrf");
    let cookie = b.cookie_header();
    (cookie, csrf)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn me_says_who_the_token_or_session_is_and_refuses_bad_credentials() {
    let app = spawn_app().await;
    let token = token_for(&app.ctx, "131016", &[Scope::Read, Scope::Acknowledge]).await;
    let (status, me) = get(&app, "/api/v1/me", &Auth::Bearer(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["authenticated_by"], "token");
    assert_eq!(me["organisation"]["code"], "131016");
    assert_eq!(me["organisation"]["full_name"], "東京都千代田区");
    assert_eq!(me["scopes"], json!(["read", "acknowledge"]));
    assert_eq!(me["role"], Value::Null);

    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let (cookie, _) = session(&app, "member@city.chiyoda.lg.jp").await;
    let (status, me) = get(
        &app,
        "/api/v1/me",
        &Auth::Session {
            cookie: &cookie,
            csrf: None,
        },
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["authenticated_by"].as_str(), me["role"].as_str()),
        (Some("session"), Some("member"))
    );

    let (status, e) = get(&app, "/api/v1/me", &Auth::None).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (status, e) = get(&app, "/api/v1/me", &Auth::Bearer("nrs_forged")).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["code"], "bad_authorization");
    // Unknown routes answer in the same shape.
    let (status, e) = get(&app, "/api/v1/nothing-here", &Auth::Bearer(&token)).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    app.stop().await;
}

#[tokio::test]
async fn alerts_are_listed_with_filters_and_cursors_and_only_the_callers_own() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let chiyoda = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Read]).await;
    let tokyo = token_for(&app.ctx, "130001", &[Scope::Read]).await;
    let ack_only = token_for(&app.ctx, "131016", &[Scope::Acknowledge]).await;

    let (status, page) = get(&app, "/api/v1/alerts", &Auth::Bearer(&chiyoda)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&page),
        vec![w.drill.1.clone(), w.amber.1.clone(), w.clear.1.clone()]
    );
    assert_eq!(page["next_cursor"], Value::Null);
    let first = &page["items"][1];
    assert_eq!(first["tlp"], "AMBER");
    assert_eq!(first["severity"], "critical");
    assert!(
        first["portal_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/alerts/{}", w.amber.1))
    );
    assert_eq!(page["items"][0]["drill"], true);

    // Cursor pagination walks the same list one by one.
    let mut seen = Vec::new();
    let mut path = "/api/v1/alerts?limit=1".to_owned();
    loop {
        let (status, page) = get(&app, &path, &Auth::Bearer(&chiyoda)).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/alerts?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![w.drill.1.clone(), w.amber.1.clone(), w.clear.1.clone()]
    );

    // Filters.
    for (query, expected) in [
        ("drill=false", vec![w.amber.1.clone(), w.clear.1.clone()]),
        ("drill=true", vec![w.drill.1.clone()]),
        ("min_severity=critical", vec![w.amber.1.clone()]),
        (
            "state=unknown",
            vec![w.drill.1.clone(), w.amber.1.clone(), w.clear.1.clone()],
        ),
        ("state=done", vec![]),
        ("category=脆弱性", vec![]),
    ] {
        let (status, page) = get(
            &app,
            &format!("/api/v1/alerts?{query}"),
            &Auth::Bearer(&chiyoda),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(ids(&page), expected, "{query}");
    }
    // Another organisation sees only its own; a prefecture its municipalities' on asking.
    let (_, page) = get(&app, "/api/v1/alerts", &Auth::Bearer(&yokohama)).await;
    assert_eq!(ids(&page), vec![w.yokohama.1.clone()]);
    let (_, page) = get(&app, "/api/v1/alerts", &Auth::Bearer(&tokyo)).await;
    assert!(ids(&page).is_empty());
    let (_, page) = get(
        &app,
        "/api/v1/alerts?scope=prefecture",
        &Auth::Bearer(&tokyo),
    )
    .await;
    assert_eq!(ids(&page).len(), 3);
    // Central staff see every alert.
    let (cookie, _) = session(&app, "operator@soumu.go.jp").await;
    let central = Auth::Session {
        cookie: &cookie,
        csrf: None,
    };
    let (_, page) = get(&app, "/api/v1/alerts", &central).await;
    assert_eq!(ids(&page).len(), 4);

    // Wrong scope, no credentials, bad input.
    let (status, e) = get(&app, "/api/v1/alerts", &Auth::Bearer(&ack_only)).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = get(&app, "/api/v1/alerts", &Auth::None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for (query, code, names) in [
        ("limit=0", "invalid_parameter", "limit"),
        ("limit=abc", "invalid_parameter", "limit"),
        ("cursor=%21%21", "bad_cursor", "cursor"),
        ("min_severity=extreme", "invalid_parameter", "min_severity"),
        ("state=finished", "invalid_parameter", "state"),
        ("scope=prefecture", "invalid_parameter", "scope"),
        ("colour=red", "unknown_parameter", "colour"),
        ("drill=maybe", "invalid_parameter", "drill"),
    ] {
        let (status, e) = get(
            &app,
            &format!("/api/v1/alerts?{query}"),
            &Auth::Bearer(&chiyoda),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(e["code"], code, "{query}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(names),
            "{query}: {e}"
        );
    }
    let (status, _) = get(&app, "/api/v1/alerts?state=unknown", &central).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "central staff have no state"
    );
    app.stop().await;
}

#[tokio::test]
async fn one_alert_shows_its_revisions_and_is_404_to_anyone_not_addressed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let chiyoda = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Read]).await;
    let tokyo = token_for(&app.ctx, "130001", &[Scope::Read]).await;
    let ack_only = token_for(&app.ctx, "131016", &[Scope::Acknowledge]).await;
    let path = format!("/api/v1/alerts/{}", w.amber.1);

    let (status, a) = get(&app, &path, &Auth::Bearer(&chiyoda)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a["id"], w.amber.1.as_str());
    assert_eq!(a["title"], "限定の注意喚起（TLP:AMBER）");
    assert!(a["body"].as_str().unwrap().contains("修正版"));
    assert_eq!(a["revisions"].as_array().unwrap().len(), 1);
    assert_eq!(a["acknowledgement"]["state"], "unknown");
    // The prefecture sees its municipality's alert, without a state of its own.
    let (status, a) = get(&app, &path, &Auth::Bearer(&tokyo)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a["acknowledgement"], Value::Null);
    // Not addressed: exactly like an alert that does not exist.
    let (status, e) = get(&app, &path, &Auth::Bearer(&yokohama)).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(!e.to_string().contains("限定"));
    let (status, _) = get(
        &app,
        "/api/v1/alerts/NRS-1999-9999",
        &Auth::Bearer(&chiyoda),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &path, &Auth::Bearer(&ack_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, &path, &Auth::None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn acknowledgements_are_set_by_scope_with_fields_checked_and_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let acker = token_for(&app.ctx, "131016", &[Scope::Read, Scope::Acknowledge]).await;
    let reader = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Read, Scope::Acknowledge]).await;
    let path = format!("/api/v1/alerts/{}/acknowledgement", w.amber.1);
    let put = |auth: Auth<'static>, body: Option<(&'static str, String)>| {
        let path = path.clone();
        let app = &app;
        async move {
            let body = body.as_ref().map(|(ct, b)| (*ct, b.as_str()));
            call(app, reqwest::Method::PUT, &path, &auth, body).await
        }
    };
    let acker: &'static str = Box::leak(acker.into_boxed_str());
    let reader: &'static str = Box::leak(reader.into_boxed_str());
    let yokohama: &'static str = Box::leak(yokohama.into_boxed_str());
    let json_body = |v: Value| Some(("application/json", v.to_string()));

    let (status, ack) = put(
        Auth::Bearer(acker),
        json_body(json!({"state": "in_progress", "note": "該当機器を調査中"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["state"], "in_progress");
    assert_eq!(ack["note"], "該当機器を調査中");
    assert_eq!(ack["history"][0]["channel"], "api");
    let (status, ack) = get(&app, &path, &Auth::Bearer(reader)).await;
    assert_eq!(
        (status, ack["state"].as_str()),
        (StatusCode::OK, Some("in_progress"))
    );
    // Reading it: no credentials, another organisation, or a prefecture that sees the alert but
    // has no state of its own on it.
    assert_eq!(
        get(&app, &path, &Auth::None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, &path, &Auth::Bearer(yokohama)).await.0,
        StatusCode::NOT_FOUND
    );
    let tokyo = token_for(&app.ctx, "130001", &[Scope::Read]).await;
    let (status, e) = get(&app, &path, &Auth::Bearer(&tokyo)).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("not addressed to your organisation")
    );
    // The audit log names the token by id and prefix, never the secret.
    let audit = noroshi::audit::recent(&app.ctx.db, None, 5).await.unwrap();
    let entry = audit.iter().find(|e| e.action == "ack.set").unwrap();
    assert!(entry.actor.starts_with("token:"), "{}", entry.actor);
    assert!(!entry.actor.contains(&acker[12..]));

    // Wrong scope, wrong organisation, no credentials.
    let body = json_body(json!({"state": "done"}));
    let (status, e) = put(Auth::Bearer(reader), body.clone()).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = put(Auth::Bearer(yokohama), body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = put(Auth::None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Bad bodies: each refused with a code and the field named, nothing changed.
    for (ct, text, code, names) in [
        (
            "application/json",
            "{\"state\": ",
            "malformed_json",
            "not valid JSON",
        ),
        (
            "application/json",
            "{\"state\": \"done\", \"colour\": 1}",
            "unknown_field",
            "colour",
        ),
        (
            "application/json",
            "{\"state\": \"done\", \"note\": 5}",
            "invalid_field",
            "note",
        ),
        (
            "application/json",
            "{\"state\": 5}",
            "invalid_field",
            "state",
        ),
        ("application/json", "{}", "missing_field", "state"),
        (
            "application/json",
            "{\"state\": \"finished\"}",
            "invalid_field",
            "state",
        ),
        (
            "application/json",
            "{\"state\": \"done\", \"note\": \"\\u0007\"}",
            "invalid_field",
            "note",
        ),
        ("application/json", "[1, 2]", "invalid_field", "[0]"),
        (
            "text/plain",
            "{\"state\": \"done\"}",
            "unsupported_media_type",
            "Content-Type",
        ),
    ] {
        let (status, e) = put(Auth::Bearer(acker), Some((ct, text.to_owned()))).await;
        assert!(status.is_client_error(), "{text}: {status}");
        assert_eq!(e["code"], code, "{text}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(names),
            "{text}: {e}"
        );
    }
    let huge = json!({"state": "done", "note": "あ".repeat(30_000)}).to_string();
    let (status, e) = put(Auth::Bearer(acker), Some(("application/json", huge))).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );
    let (_, ack) = get(&app, &path, &Auth::Bearer(reader)).await;
    assert_eq!(
        ack["state"], "in_progress",
        "no bad request changed anything"
    );
    assert_eq!(ack["history"].as_array().unwrap().len(), 1);

    // A session needs its CSRF token for a write; central staff report nothing.
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let (cookie, csrf) = session(&app, "member@city.chiyoda.lg.jp").await;
    let cookie: &'static str = Box::leak(cookie.into_boxed_str());
    let csrf: &'static str = Box::leak(csrf.into_boxed_str());
    let (status, e) = put(Auth::Session { cookie, csrf: None }, body.clone()).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf"))
    );
    let (status, e) = put(
        Auth::Session {
            cookie,
            csrf: Some("forged"),
        },
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf"))
    );
    let (status, ack) = put(
        Auth::Session {
            cookie,
            csrf: Some(csrf),
        },
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, ack["state"].as_str()),
        (StatusCode::OK, Some("done"))
    );
    let (cookie, csrf) = session(&app, "operator@soumu.go.jp").await;
    let cookie: &'static str = Box::leak(cookie.into_boxed_str());
    let csrf: &'static str = Box::leak(csrf.into_boxed_str());
    let (status, _) = put(
        Auth::Session {
            cookie,
            csrf: Some(csrf),
        },
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let central = Auth::Session { cookie, csrf: None };
    assert_eq!(get(&app, &path, &central).await.0, StatusCode::FORBIDDEN);

    // A withdrawn alert can no longer be acknowledged.
    noroshi::alerts::publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        w.amber.0,
        &w.central.approver,
        "誤報",
        None,
    )
    .await
    .unwrap();
    let (status, e) = put(Auth::Bearer(acker), body).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    app.stop().await;
}

#[tokio::test]
async fn advisories_and_organisations_are_for_central_staff() {
    let app = spawn_app().await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    crate::helpers::mail::central_users(&app.ctx).await;
    user(
        &app.ctx,
        "131016",
        Role::OrgAdmin,
        "admin@city.chiyoda.lg.jp",
    )
    .await;
    let token = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let (cookie, _) = session(&app, "operator@soumu.go.jp").await;
    let central = Auth::Session {
        cookie: &cookie,
        csrf: None,
    };
    let (admin_cookie, _) = session(&app, "admin@city.chiyoda.lg.jp").await;
    let org_admin = Auth::Session {
        cookie: &admin_cookie,
        csrf: None,
    };

    // Advisories: pages by cursor, filters, one by id.
    let (status, page) = get(&app, "/api/v1/advisories?limit=2", &central).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) = get(
        &app,
        &format!("/api/v1/advisories?limit=2&cursor={cursor}"),
        &central,
    )
    .await;
    assert!(next["items"][0]["id"].as_i64() < page["items"][1]["id"].as_i64());
    let id = page["items"][0]["id"].as_i64().unwrap();
    let (status, one) = get(&app, &format!("/api/v1/advisories/{id}"), &central).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["source"], "jvn");
    let (_, all) = get(&app, "/api/v1/advisories?limit=200", &central).await;
    let with_cve = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| !a["cve_ids"].as_array().unwrap().is_empty())
        .unwrap();
    let cve = with_cve["cve_ids"][0].as_str().unwrap().to_owned();
    let (_, by_cve) = get(&app, &format!("/api/v1/advisories?cve={cve}"), &central).await;
    assert!(
        by_cve["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == with_cve["id"])
    );
    let (_, none) = get(&app, "/api/v1/advisories?source=kev", &central).await;
    assert!(none["items"].as_array().unwrap().is_empty());
    for (path, code) in [
        ("/api/v1/advisories/abc", "invalid_parameter"),
        ("/api/v1/advisories?cve=CVE-12", "invalid_parameter"),
        ("/api/v1/advisories?limit=201", "invalid_parameter"),
        ("/api/v1/advisories?cursor=x", "bad_cursor"),
    ] {
        let (status, e) = get(&app, path, &central).await;
        assert_eq!(
            (status, e["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{path}"
        );
    }
    let (status, _) = get(&app, "/api/v1/advisories/99999999", &central).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Organisations: filters and pages in code order, one by code.
    let (status, page) = get(
        &app,
        "/api/v1/organisations?prefecture=東京都&limit=200",
        &central,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 63);
    assert_eq!(page["items"][0]["code"], "130001");
    let (_, prefs) = get(
        &app,
        "/api/v1/organisations?kind=prefecture&limit=40",
        &central,
    )
    .await;
    let cursor = prefs["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = get(
        &app,
        &format!("/api/v1/organisations?kind=prefecture&limit=40&cursor={cursor}"),
        &central,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 7);
    assert_eq!(rest["next_cursor"], Value::Null);
    let (status, org) = get(&app, "/api/v1/organisations/141003", &central).await;
    assert_eq!(
        (status, org["full_name"].as_str()),
        (StatusCode::OK, Some("神奈川県横浜市"))
    );
    for (path, code) in [
        ("/api/v1/organisations/141004", "invalid_parameter"),
        ("/api/v1/organisations?kind=village", "invalid_parameter"),
        ("/api/v1/organisations?prefecture=48", "invalid_parameter"),
        ("/api/v1/organisations?cursor=abc", "bad_cursor"),
    ] {
        let (status, e) = get(&app, path, &central).await;
        assert_eq!(
            (status, e["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{path}: {e}"
        );
    }

    // Everyone else: 403 with a token or a non-central session, 401 without credentials.
    for path in [
        "/api/v1/advisories",
        &format!("/api/v1/advisories/{id}"),
        "/api/v1/organisations",
        "/api/v1/organisations/131016",
    ] {
        assert_eq!(
            get(&app, path, &Auth::Bearer(&token)).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            get(&app, path, &org_admin).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            get(&app, path, &Auth::None).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_matches_the_committed_copy() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let served = res.text().await.unwrap();
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let committed = std::fs::read_to_string("docs/openapi.json").unwrap_or_default();
    assert!(
        served == committed,
        "docs/openapi.json is out of step with the code: run `cargo run -- openapi > docs/openapi.json`"
    );
    // Every error code the API and the feeds can answer is one variant of one enum, and the
    // document lists exactly those.
    let listed: Vec<&str> = doc["components"]["schemas"]["Code"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("the document lists the codes: {}", doc["components"]))
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let all: Vec<&str> = noroshi::error::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(listed, all);
    // Every documented operation is a route (never the catch-all), and documents its errors.
    let token = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 16);
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let concrete = path.replace("{id}", "1").replace("{code}", "131016");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app
                .client
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let body = res.text().await.unwrap();
            assert!(
                !body.contains("no API route"),
                "{method} {path} is documented but not routed"
            );
            if path != "/api/v1/openapi.json" {
                assert!(
                    op["responses"]["401"].is_object(),
                    "{method} {path} documents 401"
                );
            }
        }
    }
    app.stop().await;
}
