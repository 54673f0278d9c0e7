//! The holes the third security review found (`shared/reviews/security-2026-12-05.md`), each kept
//! closed by a test named for the behaviour.

use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::user;
use crate::helpers::{spawn_app, spawn_app_with};
use noroshi::auth::Role;

const PASSWORD: &str = "correct horse battery staple";

/// N-L4: a client behind our proxy cannot pick its own address by writing `X-Forwarded-For`:
/// the limit counts the address our proxy appended.
#[tokio::test]
async fn a_client_behind_the_proxy_cannot_rotate_its_address_past_the_login_limit() {
    let app = spawn_app_with(|s| s.auth.login_attempts_per_minute = 3).await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    let csrf = b.get("/login").await.hidden("csrf");
    let mut statuses = Vec::new();
    for n in 0..6 {
        // What a same-host proxy sends: the client's own header, then the address it saw.
        let forwarded = format!("192.0.2.{n}, 198.51.100.9");
        let r = reqwest::Client::new()
            .post(app.url("/login"))
            .header("cookie", b.cookie_header())
            .header("x-forwarded-for", forwarded)
            .form(&[
                ("email", "joho@city.chiyoda.lg.jp"),
                ("password", "not the password!"),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
        ]
    );
    let audited = noroshi::audit::recent(&app.ctx.db, None, 50).await.unwrap();
    let failed: Vec<_> = audited
        .iter()
        .filter(|e| e.action == "auth.login_failed")
        .collect();
    assert_eq!(failed.len(), 3);
    for e in failed {
        assert!(e.detail.contains("\"from\":\"198.51.100.9\""), "{}", e.detail);
    }
}

/// N-L4: without a token, `/metrics` is for a scraper on this machine, not for whoever reaches
/// a proxy on it.
#[tokio::test]
async fn metrics_through_a_proxy_need_the_token() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::OK);
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.66"),
        ("forwarded", "for=203.0.113.66"),
        ("x-real-ip", "203.0.113.66"),
    ] {
        let r = app
            .client
            .get(app.url("/metrics"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{name}");
    }
}
