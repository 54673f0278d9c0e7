//! The database going away under a running hub (PostgreSQL restarting, a failover, a cut
//! network): pages and the API answer 503 with `Retry-After`, never 500; `/readyz` says the
//! database is unreachable; when it is back, the same process serves again without a restart.
//! The outage is a cut in a TCP proxy between the hub and PostgreSQL (a test cannot stop the
//! server others share): every open connection dropped, new ones refused. On SQLite (a file,
//! nothing to cut) the test says so and is skipped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::worker::Lane;
use noroshi::domain::Tlp;
use noroshi::registry::OrgKind;
use reqwest::StatusCode;
use secrecy::SecretString;

use crate::helpers::TestApp;
use crate::helpers::browser::Browser;
use crate::helpers::database::{Proxy, fresh_database_url, on_postgres};
use crate::helpers::mail::{Draft, add_contacts, central_users, publish_alert, user};
use crate::helpers::spawn_app_with;

/// A hub whose PostgreSQL connections go through a proxy the test can cut; `None` on SQLite.
async fn hub_behind_a_proxy(
    customise: impl FnOnce(&mut noroshi::config::Settings) + Send + 'static,
) -> Option<(TestApp, Arc<Proxy>)> {
    if !on_postgres() {
        eprintln!("skipped: the database outage is a cut between the hub and PostgreSQL");
        return None;
    }
    let url = fresh_database_url().await.expect("a PostgreSQL database");
    let mut via = url::Url::parse(&url).expect("a URL");
    let upstream = format!(
        "{}:{}",
        via.host_str().expect("a host"),
        via.port().unwrap_or(5432)
    )
    .parse()
    .expect("DATABASE_URL names the server by address");
    let proxy = Proxy::start(upstream).await;
    via.set_port(Some(proxy.listen.port())).expect("a port");
    let app = spawn_app_with(move |s| {
        s.database.url = Some(SecretString::from(via.to_string()));
        s.database.connect_timeout_secs = 2;
        customise(s);
    })
    .await;
    Some((app, proxy))
}

#[tokio::test]
async fn while_the_database_is_away_pages_say_503_with_retry_after_and_the_hub_recovers_by_itself()
{
    let Some((app, proxy)) = hub_behind_a_proxy(|_| {}).await else {
        return;
    };
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut member = Browser::new(&app.address);
    member
        .log_in("member@city.chiyoda.lg.jp", "correct horse battery staple")
        .await;
    assert_eq!(member.get("/inbox").await.status, StatusCode::OK);
    let client = reqwest::Client::new();
    let get = |path: &str, cookie: Option<String>| {
        let mut req = client.get(app.url(path));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send()
    };
    assert_eq!(
        get("/api/v1/alerts", None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    proxy.cut();
    let cut_at = Instant::now();
    // A signed-in page, a public page and the readiness probe, during the outage.
    for path in ["/inbox", "/feeds/public.atom", "/faq"] {
        let r = get(path, Some(member.cookie_header())).await.unwrap();
        let status = r.status();
        let retry = r
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
        assert_eq!(retry.as_deref(), Some("5"), "{path}");
        if path != "/feeds/public.atom" {
            assert!(
                body.contains("データベースに接続できないため、一時的に利用できません"),
                "{path}: {body}"
            );
        }
    }
    let ready = get("/readyz", None).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        ready
            .text()
            .await
            .unwrap()
            .contains("\"database\":\"unreachable\"")
    );
    // An API call with a token: the JSON error says unavailable.
    let api = client
        .get(app.url("/api/v1/alerts"))
        .bearer_auth("nrs_0000000000000000000000000000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        api.text()
            .await
            .unwrap()
            .contains("\"code\":\"unavailable\"")
    );
    eprintln!(
        "during the outage: 5 requests answered 503 in {:.1} s",
        cut_at.elapsed().as_secs_f64()
    );

    // Back: the same process serves the same session again, without a restart.
    proxy.resume().await;
    let back = Instant::now();
    loop {
        let page = member.get("/inbox").await;
        if page.status == StatusCode::OK {
            break;
        }
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            page.body
        );
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "still {} 15 s after the database came back",
            page.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "serving again {:.1} s after the database came back",
        back.elapsed().as_secs_f64()
    );
    assert_eq!(get("/readyz", None).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_fan_out_that_loses_the_database_for_ten_seconds_misses_nobody_and_marks_what_may_be_twice()
 {
    // Paced so that the cut falls in the middle of the fan-out.
    let Some((app, proxy)) = hub_behind_a_proxy(|s| s.mail.rate_per_second = 300).await else {
        return;
    };
    let central = central_users(&app.ctx).await;
    let mut orgs = noroshi::registry::store::list(&app.ctx.db, Default::default())
        .await
        .unwrap();
    orgs.retain(|o| o.kind != OrgKind::Central);
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let (alert, published) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["all"],
            tlp: Tlp::Green,
            ..Draft::default()
        },
    )
    .await;
    let total = published.deliveries;
    assert_eq!(total, 1788);

    // The hub's mail worker as it runs: an error is logged and the next unit tried after a
    // moment.
    let stop = tokio_util::sync::CancellationToken::new();
    let worker = {
        let (ctx, stop) = (app.ctx.clone(), stop.clone());
        tokio::spawn(async move {
            let mut errors = 0u32;
            while !stop.is_cancelled() {
                match noroshi::jobs::mail::try_execute_task(&ctx, Lane::All).await {
                    Ok(noroshi::workers::Outcome::Worked) => {}
                    Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    Err(_) => {
                        errors += 1;
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
            }
            errors
        })
    };
    let until = Instant::now() + Duration::from_secs(60);
    while app.smtp.received().len() < 400 {
        assert!(Instant::now() < until, "the fan-out never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.cut();
    let before_cut = app.smtp.received().len();
    tokio::time::sleep(Duration::from_secs(10)).await;
    proxy.resume().await;
    let back = Instant::now();
    let settled = loop {
        let rows = noroshi::delivery::store::for_alert(&app.ctx.db, alert)
            .await
            .unwrap_or_default();
        if rows.len() == total
            && rows
                .iter()
                .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
        {
            break rows;
        }
        assert!(
            back.elapsed() < Duration::from_secs(60),
            "not settled a minute after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let last_row = back.elapsed();
    stop.cancel();
    let errors = worker.await.unwrap();

    // Nobody missed; whoever got it twice is marked on the ledger.
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for t in app.smtp.received() {
        *times.entry(t.rcpt_to[0].clone()).or_default() += 1;
    }
    assert_eq!(times.len(), total, "every recipient got the mail");
    let twice: Vec<&String> = times
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(e, _)| e)
        .collect();
    assert!(times.values().all(|n| *n <= 2));
    for r in &settled {
        if twice.contains(&&r.email) {
            assert!(r.possible_duplicate, "{} got it twice, unmarked", r.email);
        }
    }
    // At most what the worker held when the database went: a batch on the wire and one claimed
    // ahead (48 each by default).
    assert!(twice.len() <= 96, "{} duplicates", twice.len());
    assert!(
        last_row < Duration::from_secs(15),
        "the last row {:.1} s after the database came back",
        last_row.as_secs_f64()
    );
    eprintln!(
        "cut after {before_cut} of {total} sent; {} duplicates, all marked; {errors} failed units; last row {:.1} s after the database came back",
        twice.len(),
        last_row.as_secs_f64()
    );
}
