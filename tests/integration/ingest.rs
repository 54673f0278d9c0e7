//! Ingest end to end: the real poller against upstream fixtures served over HTTP. Every bad input
//! ends with the source's health naming the error and nothing of that fetch in the database.

use std::io::Write;
use std::time::Duration;

use noroshi::context::AppContext;
use noroshi::ingest::store;
use noroshi::workers::Outcome;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Fixture, FixtureServer, TestApp, spawn_app_with};

const CORPUS: &str = "../shared/corpus";

/// An app whose catalogue has one source `src` of `format` polled from `url`.
async fn app_with_source(format: &str, url: &str, extra: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.toml");
    std::fs::write(
        &path,
        format!(
            "[[source]]\nkey = \"src\"\nname = \"test source\"\nformat = \"{format}\"\nurl = \"{url}\"\ntimeout_secs = 2\nallow_private_network = true\n{extra}\n"
        ),
    )
    .unwrap();
    let app = spawn_app_with(|s| s.ingest.catalogue = path.clone()).await;
    std::mem::forget(dir);
    app
}

/// Runs the poller until it has nothing due.
async fn poll(ctx: &AppContext) {
    while noroshi::jobs::poll_source(ctx).await.unwrap() == Outcome::Worked {}
}

async fn make_due(ctx: &AppContext) {
    store::make_due(&ctx.db, None, chrono::Utc::now())
        .await
        .unwrap();
}

async fn count(ctx: &AppContext, table: &str) -> i64 {
    let row = ctx
        .db
        .query_one_raw(Statement::from_string(
            ctx.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// Polls `src` once and returns its last error, asserting nothing was stored.
async fn failed_poll(app: &TestApp) -> String {
    poll(&app.ctx).await;
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    assert_eq!(health.last_outcome.as_deref(), Some("failed"), "{health:?}");
    assert_eq!(health.consecutive_failures, 1);
    assert!(health.last_success_at.is_none());
    assert!(health.next_poll_at > chrono::Utc::now(), "backed off");
    assert_eq!(
        count(&app.ctx, "advisories").await,
        0,
        "no advisory from a failed fetch"
    );
    assert_eq!(
        count(&app.ctx, "raw_documents").await,
        0,
        "no raw document from a failed fetch"
    );
    health.last_error.unwrap()
}

fn corpus(file: &str) -> Vec<u8> {
    std::fs::read(format!("{CORPUS}/{file}")).unwrap()
}

#[tokio::test]
async fn a_jvn_feed_is_polled_stored_and_not_duplicated_on_the_next_poll() {
    let server = FixtureServer::start().await;
    server.serve(
        "/jvndb_new.rdf",
        Fixture::ok(corpus("jvn/jvndb_new_2025-04-13.rdf"))
            .with_header("Content-Type", "application/rdf+xml")
            .with_header("ETag", "\"v1\"")
            .with_header("Last-Modified", "Sun, 13 Apr 2025 03:00:23 GMT"),
    );
    let app = app_with_source("jvn-rss", &server.url("/jvndb_new.rdf"), "").await;
    poll(&app.ctx).await;
    assert_eq!(count(&app.ctx, "advisories").await, 4);
    assert_eq!(count(&app.ctx, "raw_documents").await, 1);
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    assert_eq!(health.items_seen, 4);
    assert_eq!(health.advisories_new, 4);
    assert!(health.last_success_at.is_some());
    assert_eq!(health.etag.as_deref(), Some("\"v1\""));
    let first = server.requests()[0].clone();
    assert!(
        first.header("user-agent").unwrap().starts_with("Noroshi/"),
        "{first:?}"
    );
    assert!(
        first
            .header("accept-encoding")
            .unwrap_or("")
            .contains("gzip")
    );

    // The next poll is conditional; the server says nothing changed.
    server.serve("/jvndb_new.rdf", Fixture::ok("").with_status(304));
    make_due(&app.ctx).await;
    poll(&app.ctx).await;
    let second = server.requests()[1].clone();
    assert_eq!(second.header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        second.header("if-modified-since"),
        Some("Sun, 13 Apr 2025 03:00:23 GMT")
    );
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    assert_eq!(health.last_outcome.as_deref(), Some("not modified"));

    // A server that ignores validators and sends the same document again creates nothing.
    server.serve(
        "/jvndb_new.rdf",
        Fixture::ok(corpus("jvn/jvndb_new_2025-04-13.rdf")),
    );
    make_due(&app.ctx).await;
    poll(&app.ctx).await;
    assert_eq!(count(&app.ctx, "advisories").await, 4);
    assert_eq!(count(&app.ctx, "raw_documents").await, 1);
    assert_eq!(count(&app.ctx, "advisory_revisions").await, 0);
}

const JPCERT_V1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns="http://purl.org/rss/1.0/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://www.jpcert.or.jp/rss/jpcert.rdf"><title>JPCERT/CC</title><link>https://www.jpcert.or.jp/</link><description>x</description></channel>
<item rdf:about="https://www.jpcert.or.jp/at/2025/at250021.html">
<title>注意喚起: Cisco ASAおよびFTDにおける複数の脆弱性（CVE-2025-20333、CVE-2025-20362）に関する注意喚起  (公開)</title>
<link>https://www.jpcert.or.jp/at/2025/at250021.html</link><dc:date>2025-09-26T10:00+09:00</dc:date></item>
</rdf:RDF>"#;

#[tokio::test]
async fn an_updated_jpcert_alert_becomes_a_revision_not_a_new_advisory() {
    let server = FixtureServer::start().await;
    server.serve("/jpcert.rdf", Fixture::ok(JPCERT_V1));
    let app = app_with_source("jpcert", &server.url("/jpcert.rdf"), "").await;
    poll(&app.ctx).await;
    let v1 = store::find(
        &app.ctx.db,
        "src",
        "https://www.jpcert.or.jp/at/2025/at250021.html",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(v1.revision, 1);

    let v2 = JPCERT_V1
        .replace("(公開)", "(更新)")
        .replace("2025-09-26T10:00", "2026-04-30T16:20");
    server.serve("/jpcert.rdf", Fixture::ok(v2));
    make_due(&app.ctx).await;
    poll(&app.ctx).await;
    assert_eq!(
        count(&app.ctx, "advisories").await,
        1,
        "same link, same advisory"
    );
    let now = store::get(&app.ctx.db, v1.id).await.unwrap().unwrap();
    assert_eq!(now.revision, 2);
    assert!(now.title.ends_with("(更新)"));
    assert_eq!(now.first_seen_at, v1.first_seen_at);
    let history = store::revisions(&app.ctx.db, v1.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].revision, 1);
    assert!(
        history[0].snapshot.contains("(公開)"),
        "the old version is kept"
    );
    assert!(
        history[0].changed_fields.contains("title")
            && history[0].changed_fields.contains("published")
    );
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    assert_eq!((health.advisories_new, health.advisories_revised), (1, 1));
}

#[tokio::test]
async fn advisories_sharing_a_cve_across_sources_form_one_cluster() {
    let app = crate::helpers::spawn_app().await;
    let cat = &app.ctx.catalogue;
    let ingest = |key: &str, file: &str| {
        let def = cat.get(key).unwrap().clone();
        let path = format!("feeds/samples/{file}");
        let ctx = app.ctx.clone();
        async move {
            let doc = noroshi::ingest::fetch::read_file(std::path::Path::new(&path), def.max_bytes)
                .await
                .unwrap();
            noroshi::ingest::ingest_document(&ctx.db, &def, def.format, &doc)
                .await
                .unwrap()
        }
    };
    ingest("jpcert-ja", "jpcert_ja.rdf").await;
    ingest("jvn", "jvn.rdf").await;
    ingest("cisa-kev", "kev.json").await;
    let jpcert = store::find(
        &app.ctx.db,
        "jpcert-ja",
        "https://www.jpcert.or.jp/at/2026/at260030.html",
    )
    .await
    .unwrap()
    .unwrap();
    let jvn = store::find(&app.ctx.db, "jvn", "JVNVU#91234567")
        .await
        .unwrap()
        .unwrap();
    let kev = store::find(&app.ctx.db, "cisa-kev", "CVE-2024-21762")
        .await
        .unwrap()
        .unwrap();
    assert!(jpcert.cluster_id.is_some());
    assert_eq!(jpcert.cluster_id, jvn.cluster_id);
    assert_eq!(jpcert.cluster_id, kev.cluster_id);
    assert_eq!(
        jpcert.cluster_id,
        Some(jpcert.id),
        "named by the smallest member"
    );
    // The two Ivanti CVEs join the JPCERT alert and both KEV entries into one cluster.
    let ivanti_alert = store::find(
        &app.ctx.db,
        "jpcert-ja",
        "https://www.jpcert.or.jp/at/2026/at260029.html",
    )
    .await
    .unwrap()
    .unwrap();
    let k1 = store::find(&app.ctx.db, "cisa-kev", "CVE-2024-21887")
        .await
        .unwrap()
        .unwrap();
    let k2 = store::find(&app.ctx.db, "cisa-kev", "CVE-2023-46805")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(k1.cluster_id, ivanti_alert.cluster_id);
    assert_eq!(k2.cluster_id, ivanti_alert.cluster_id);
    let unrelated = store::find(&app.ctx.db, "cisa-kev", "CVE-2024-1709")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unrelated.cluster_id, None, "alone in its own cluster");
    assert!(
        store::cluster_members(&app.ctx.db, &unrelated)
            .await
            .unwrap()
            .is_empty()
    );
    let members = store::cluster_members(&app.ctx.db, &jpcert).await.unwrap();
    let sources: Vec<&str> = members.iter().map(|m| m.source_key.as_str()).collect();
    assert!(
        sources.contains(&"jvn") && sources.contains(&"cisa-kev"),
        "{sources:?}"
    );
}

#[tokio::test]
async fn http_error_statuses_are_recorded_with_backoff() {
    let server = FixtureServer::start().await;
    for (path, status) in [("/404", 404), ("/500", 500)] {
        server.serve(path, Fixture::ok("error").with_status(status));
        let app = app_with_source("jvn-rss", &server.url(path), "").await;
        let error = failed_poll(&app).await;
        assert!(error.starts_with(&format!("HTTP {status}")), "{error}");
    }
    server.serve(
        "/503",
        Fixture::ok("busy")
            .with_status(503)
            .with_header("Retry-After", "3600"),
    );
    let app = app_with_source("jvn-rss", &server.url("/503"), "").await;
    let error = failed_poll(&app).await;
    assert_eq!(
        error,
        "HTTP 503 Service Unavailable (the server asks to retry after 3600 s)"
    );
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    assert!(
        health.next_poll_at > chrono::Utc::now() + chrono::Duration::minutes(59),
        "Retry-After is honoured"
    );
}

#[tokio::test]
async fn a_refused_connection_is_recorded() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = app_with_source("jvn-rss", &format!("http://127.0.0.1:{port}/feed.rdf"), "").await;
    let error = failed_poll(&app).await;
    assert!(error.starts_with("cannot connect"), "{error}");
}

#[tokio::test]
async fn a_server_that_never_answers_or_drips_is_cut_off() {
    let server = FixtureServer::start().await;
    server.serve("/hang", Fixture::ok("x").hanging());
    server.serve(
        "/drip",
        Fixture::ok(corpus("jvn/jvndb_new_2025-04-13.rdf")).dripping(Duration::from_millis(500)),
    );
    for path in ["/hang", "/drip"] {
        let app = app_with_source("jvn-rss", &server.url(path), "").await;
        let started = std::time::Instant::now();
        let error = failed_poll(&app).await;
        assert_eq!(error, "no complete answer within 2 s", "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{path} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_even_when_gzip_makes_them_small() {
    let server = FixtureServer::start().await;
    server.serve("/big", Fixture::ok(vec![b' '; 5000]));
    let app = app_with_source("jvn-rss", &server.url("/big"), "max_bytes = 2048").await;
    assert_eq!(
        failed_poll(&app).await,
        "the response is larger than the limit of 2048 bytes"
    );

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 5_000_000]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 10_000, "{} bytes on the wire", bomb.len());
    server.serve(
        "/bomb",
        Fixture::ok(bomb).with_header("Content-Encoding", "gzip"),
    );
    let app = app_with_source("jvn-rss", &server.url("/bomb"), "max_bytes = 1048576").await;
    assert_eq!(
        failed_poll(&app).await,
        "the response is larger than the limit of 1048576 bytes"
    );
}

#[tokio::test]
async fn too_many_redirects_are_refused() {
    let server = FixtureServer::start().await;
    for n in 0..5 {
        server.serve(
            &format!("/r{n}"),
            Fixture::ok("")
                .with_status(302)
                .with_header("Location", &format!("/r{}", n + 1)),
        );
    }
    let app = app_with_source("jvn-rss", &server.url("/r0"), "").await;
    assert_eq!(failed_poll(&app).await, "more than 3 redirects");
}

#[tokio::test]
async fn bad_documents_are_refused_with_a_reason_that_says_what_was_wrong() {
    let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item>&lol2;</item></rdf:RDF>"#;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&x;</rdf:RDF>"#;
    let html = "<!DOCTYPE html>\n<html><head><title>メンテナンス中</title></head><body>ただいまメンテナンス中です</body></html>";
    let jvn = String::from_utf8(corpus("jvn/jvndb_new_2025-04-13.rdf")).unwrap();
    let truncated = &jvn[..jvn.len() / 2];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "the document is empty"),
        ("blank", b"  \n ".to_vec(), "the document is empty"),
        (
            "html",
            html.as_bytes().to_vec(),
            "but the document is an HTML page",
        ),
        (
            "billion-laughs",
            billion_laughs.as_bytes().to_vec(),
            "declares a DOCTYPE",
        ),
        ("xxe", xxe.as_bytes().to_vec(), "declares a DOCTYPE"),
        (
            "truncated",
            truncated.as_bytes().to_vec(),
            "not well-formed",
        ),
        (
            "malformed-myjvn",
            corpus("jvn/jvndb_new_2025-04-13_MALFORMED-status-node.rdf"),
            "not well-formed: expected a quote",
        ),
        (
            "kev-as-jvn",
            corpus("cisa-kev/known_exploited_vulnerabilities_first50.json"),
            "not well-formed",
        ),
    ];
    let server = FixtureServer::start().await;
    for (name, body, expected) in cases {
        server.serve(&format!("/{name}"), Fixture::ok(body));
        let app = app_with_source("jvn-rss", &server.url(&format!("/{name}")), "").await;
        let error = failed_poll(&app).await;
        assert!(error.contains(expected), "{name}: {error}");
    }
}

#[tokio::test]
async fn one_bad_item_is_quarantined_and_the_rest_of_the_feed_is_stored() {
    let jvn = String::from_utf8(corpus("jvn/jvndb_new_2025-04-13.rdf")).unwrap();
    let first_item = jvn.find("<item ").unwrap();
    let end_item = jvn[first_item..].find("</item>").unwrap() + first_item + "</item>".len();
    let duplicated = jvn.replacen(
        &jvn[first_item..end_item],
        &jvn[first_item..end_item].repeat(2),
        1,
    );
    let garbage_date = jvn.replacen("2025-04-11T23:52+09:00", "yesterday at noon", 1);
    let bad_score = jvn.replacen("score=\"7.5\"", "score=\"high\"", 1);
    // (case, document, advisories stored, the reason recorded)
    let cases = [
        (
            "duplicate",
            duplicated,
            4,
            "the id `JVNDB-2023-028579` appears more than once",
        ),
        (
            "garbage-date",
            garbage_date,
            3,
            "`yesterday at noon` is not a date",
        ),
        ("bad-score", bad_score, 3, "`high` is not a score"),
    ];
    let server = FixtureServer::start().await;
    for (name, body, stored, reason) in cases {
        server.serve(&format!("/{name}"), Fixture::ok(body.into_bytes()));
        let app = app_with_source("jvn-rss", &server.url(&format!("/{name}")), "").await;
        poll(&app.ctx).await;
        let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
        assert_eq!(health.consecutive_failures, 0, "{name}: {health:?}");
        assert_eq!(health.items_quarantined, 1, "{name}");
        assert!(
            health
                .last_outcome
                .as_deref()
                .is_some_and(|o| o.contains("1 quarantined")),
            "{name}: {health:?}"
        );
        assert_eq!(count(&app.ctx, "advisories").await, stored, "{name}");
        assert_eq!(
            count(&app.ctx, "raw_documents").await,
            1,
            "{name}: raw kept"
        );
        let held = store::quarantined(&app.ctx.db, "src", 10).await.unwrap();
        assert_eq!(held.len(), 1, "{name}");
        assert!(
            held[0].reason.contains(reason),
            "{name}: {}",
            held[0].reason
        );
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(r#"noroshi_source_items_quarantined{source="src"} 1"#),
            "{name}: {metrics}"
        );
        // Upstream fixes its mistake: the item is read again with the changed document.
        server.serve(
            &format!("/{name}"),
            Fixture::ok(corpus("jvn/jvndb_new_2025-04-13.rdf")),
        );
        make_due(&app.ctx).await;
        poll(&app.ctx).await;
        let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
        assert_eq!(health.items_quarantined, 0, "{name}");
        assert_eq!(count(&app.ctx, "advisories").await, 4, "{name}");
    }
}

#[tokio::test]
async fn shift_jis_declared_only_in_content_type_is_read_and_undeclared_is_refused() {
    let jvn = String::from_utf8(corpus("jvn/jvndb_new_2025-04-13.rdf"))
        .unwrap()
        .replacen(r#"<?xml version="1.0" encoding="UTF-8"?>"#, "", 1);
    let (sjis, _, lossy) = encoding_rs::SHIFT_JIS.encode(&jvn);
    assert!(!lossy);
    let server = FixtureServer::start().await;
    server.serve(
        "/sjis",
        Fixture::ok(sjis.to_vec())
            .with_header("Content-Type", "application/rdf+xml; charset=Shift_JIS"),
    );
    server.serve(
        "/undeclared",
        Fixture::ok(sjis.to_vec()).with_header("Content-Type", "application/rdf+xml"),
    );

    let app = app_with_source("jvn-rss", &server.url("/sjis"), "").await;
    poll(&app.ctx).await;
    let a = store::find(&app.ctx.db, "src", "JVNDB-2023-028579")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.title, "Contiki-NG における再帰制御に関する脆弱性");

    let app = app_with_source("jvn-rss", &server.url("/undeclared"), "").await;
    let error = failed_poll(&app).await;
    assert!(
        error.contains("not valid UTF-8 and declares no other charset"),
        "{error}"
    );
}

#[tokio::test]
async fn kev_catalogues_with_wrong_types_or_no_entries_are_refused() {
    let server = FixtureServer::start().await;
    let kev = String::from_utf8(corpus(
        "cisa-kev/known_exploited_vulnerabilities_first50.json",
    ))
    .unwrap();
    let wrong_type = kev.replacen(r#""cveID": "CVE-2024-8068""#, r#""cveID": 20248068"#, 1);
    let empty = r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","count":0,"vulnerabilities":[]}"#;
    let truncated = kev.replacen(r#""count": 50"#, r#""count": 1404"#, 1);
    for (name, body, expected) in [
        (
            "wrong-type",
            wrong_type,
            "vulnerabilities[1].cveID: invalid type: integer `20248068`, expected a string",
        ),
        (
            "empty",
            empty.to_owned(),
            "the KEV catalogue lists no vulnerabilities",
        ),
        ("count", truncated, "says it has 1404 entries but lists 50"),
    ] {
        server.serve(&format!("/{name}"), Fixture::ok(body));
        let app = app_with_source("kev", &server.url(&format!("/{name}")), "").await;
        let error = failed_poll(&app).await;
        assert!(error.contains(expected), "{name}: {error}");
    }
    server.serve("/good", Fixture::ok(kev));
    let app = app_with_source("kev", &server.url("/good"), "").await;
    poll(&app.ctx).await;
    assert_eq!(count(&app.ctx, "advisories").await, 50);
}

#[tokio::test]
async fn a_rolie_feed_is_followed_to_its_csaf_documents() {
    let server = FixtureServer::start().await;
    let feed = format!(
        r#"{{"feed":{{"id":"f","title":"t","entry":[{{"id":"BSI-2022-0001","link":[{{"rel":"self","href":"{}"}}],"updated":"2022-03-17T13:03:42Z"}},{{"id":"missing","link":[{{"rel":"self","href":"/missing.json"}}],"updated":"2021-01-01T00:00:00Z"}}]}}}}"#,
        server.url("/bsi.json")
    );
    server.serve("/feed.json", Fixture::ok(feed));
    server.serve("/bsi.json", Fixture::ok(corpus("csaf/bsi-2022-0001.json")));
    let app = app_with_source("csaf-rolie", &server.url("/feed.json"), "").await;
    poll(&app.ctx).await;
    let a = store::find(&app.ctx.db, "src", "https://www.bsi.bund.de/BSI-2022-0001")
        .await
        .unwrap();
    assert!(a.is_some(), "the linked document was fetched and stored");
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    let error = health.last_error.unwrap_or_default();
    assert!(
        error.contains("1 of the linked documents failed") && error.contains("HTTP 404"),
        "{error}"
    );
}

#[tokio::test]
async fn only_one_hub_process_polls_a_source_at_a_time() {
    let server = FixtureServer::start().await;
    server.serve(
        "/feed.rdf",
        Fixture::ok(corpus("jvn/jvndb_new_2025-04-13.rdf")).with_delay(Duration::from_millis(300)),
    );
    let app = app_with_source("jvn-rss", &server.url("/feed.rdf"), "").await;
    // A second process on the same database: same settings, its own instance name.
    let other = AppContext::connect((*app.ctx.settings).clone())
        .await
        .unwrap();
    assert_ne!(app.ctx.instance, other.instance);
    let (a, b) = tokio::join!(
        noroshi::jobs::poll_source(&app.ctx),
        noroshi::jobs::poll_source(&other)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Worked).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(server.requests().len(), 1, "the source was fetched once");
    assert_eq!(count(&app.ctx, "advisories").await, 4);
}

#[tokio::test]
async fn notices_delivered_to_the_maildir_are_ingested_and_strangers_refused() {
    let app = crate::helpers::spawn_app().await;
    let def = app.ctx.catalogue.get("nco-mail").unwrap().clone();
    let noroshi::ingest::catalogue::Location::Maildir(dir) = def.location.clone() else {
        panic!("nco-mail reads a Maildir");
    };
    assert!(
        dir.starts_with(app.data_dir.path()),
        "the Maildir lives in the data directory"
    );
    noroshi::maildir::ensure(&dir).unwrap();
    std::fs::copy(
        "feeds/samples/nco_notice.eml",
        dir.join("new/1763280000.1.host"),
    )
    .unwrap();
    let forged = std::fs::read_to_string("feeds/samples/nco_notice.eml")
        .unwrap()
        .replace("notice@cyber.go.jp", "notice@cyber-go.jp.example")
        .replace("NCO-2026-0142", "FORGED-1");
    std::fs::write(dir.join("new/1763280001.2.host"), forged).unwrap();

    poll(&app.ctx).await;
    let notice = store::find(
        &app.ctx.db,
        "nco-mail",
        "<20261116173000.NCO-2026-0142@cyber.go.jp>",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        notice.title,
        "【注意喚起】年末年始休暇に向けたサイバーセキュリティ対策について（TLP:GREEN）"
    );
    assert_eq!(notice.tlp.as_deref(), Some("GREEN"));
    assert!(
        notice
            .summary_text
            .contains("VPN 装置（FortiGate、Ivanti Connect Secure 等）")
    );
    let attachments = store::attachments(&app.ctx.db, notice.id).await.unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].filename, "年末年始休暇に向けた対策.pdf");
    let pdf = store::raw_document(&app.ctx.db, &attachments[0].sha256)
        .await
        .unwrap()
        .unwrap();
    assert!(store::raw_bytes(&pdf).unwrap().starts_with(b"%PDF-1.4"));
    let raw = store::raw_document(&app.ctx.db, &notice.raw_sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store::raw_bytes(&raw).unwrap(),
        std::fs::read("feeds/samples/nco_notice.eml").unwrap(),
        "the raw message is kept byte for byte"
    );

    assert_eq!(
        count(&app.ctx, "advisories").await,
        1,
        "the forged notice was refused"
    );
    assert!(dir.join("cur/1763280000.1.host:2,S").is_file());
    assert!(
        dir.join("cur/1763280001.2.host:2,FS").is_file(),
        "the refused message is flagged for an operator"
    );
    let health = store::source(&app.ctx.db, "nco-mail")
        .await
        .unwrap()
        .unwrap();
    let error = health.last_error.unwrap();
    assert!(
        error.contains("notice@cyber-go.jp.example is not among the allowed senders"),
        "{error}"
    );
}

#[tokio::test]
async fn source_health_is_exported_as_metrics() {
    let server = FixtureServer::start().await;
    server.serve("/down", Fixture::ok("x").with_status(500));
    let app = app_with_source("jvn-rss", &server.url("/down"), "").await;
    poll(&app.ctx).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"noroshi_source_consecutive_failures{source="src"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"noroshi_ingest_polls_total{source="src",outcome="failed"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn a_later_advisory_bridging_two_clusters_merges_them_into_one() {
    let app = crate::helpers::spawn_app().await;
    let manual = app.ctx.catalogue.get("manual").unwrap().clone();
    let notice = |id: &str, cves: &[&str]| {
        let n = noroshi::ingest::parse::manual::ManualNotice {
            id: Some(id.into()),
            title: format!("notice {id}"),
            body: "本文".into(),
            cves: cves.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        };
        noroshi::ingest::fetch::Fetched {
            bytes: serde_json::to_vec(&n).unwrap(),
            content_type: None,
            etag: None,
            last_modified: None,
            origin: "test".into(),
        }
    };
    let ingest = |doc| {
        let ctx = app.ctx.clone();
        let manual = manual.clone();
        async move {
            noroshi::ingest::ingest_document(
                &ctx.db,
                &manual,
                noroshi::ingest::parse::Format::Manual,
                &doc,
            )
            .await
            .unwrap()
        }
    };
    ingest(notice("a", &["CVE-2026-0001"])).await;
    ingest(notice("b", &["CVE-2026-0002"])).await;
    ingest(notice("b2", &["CVE-2026-0002"])).await;
    let cluster = |id: &str| {
        let ctx = app.ctx.clone();
        let id = id.to_owned();
        async move { store::find(&ctx.db, "manual", &id).await.unwrap().unwrap() }
    };
    let (a, b, b2) = (cluster("a").await, cluster("b").await, cluster("b2").await);
    assert_eq!(a.cluster_id, None, "a is alone");
    assert_eq!(b2.cluster_id, Some(b.id), "b2 joined b's cluster");
    assert_eq!(b.cluster_id, Some(b.id));
    assert_ne!(a.cluster_id, b.cluster_id);

    ingest(notice("bridge", &["CVE-2026-0001", "CVE-2026-0002"])).await;
    for id in ["a", "b", "b2", "bridge"] {
        assert_eq!(
            cluster(id).await.cluster_id,
            Some(a.id),
            "{id} is in the merged cluster"
        );
    }
}

#[tokio::test]
async fn a_source_on_a_private_address_is_refused_unless_its_entry_allows_it() {
    let server = FixtureServer::start().await;
    server.serve(
        "/feed.rdf",
        Fixture::ok(corpus("jvn/jvndb_new_2025-04-13.rdf"))
            .with_header("Content-Type", "application/rdf+xml"),
    );
    // The entry does not say allow_private_network: 127.0.0.1 is not for the poller.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.toml");
    std::fs::write(
        &path,
        format!(
            "[[source]]\nkey = \"src\"\nname = \"test source\"\nformat = \"jvn-rss\"\nurl = \"{}\"\ntimeout_secs = 2\n",
            server.url("/feed.rdf")
        ),
    )
    .unwrap();
    let app = spawn_app_with(|s| s.ingest.catalogue = path.clone()).await;
    poll(&app.ctx).await;
    assert!(server.requests().is_empty(), "nothing was fetched");
    assert_eq!(count(&app.ctx, "advisories").await, 0);
    let health = store::source(&app.ctx.db, "src").await.unwrap().unwrap();
    let error = health.last_error.unwrap_or_default();
    assert!(error.contains("not a public address"), "{error}");
}
