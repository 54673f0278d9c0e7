//! Feeds out over real HTTP, read back with independent parsers: feed-rs for RSS and Atom, serde
//! for JSON Feed, the `oasiscap` crate for CAP. TLP and audience rules, drills, revisions,
//! filters, conditional GETs and token handling.

use noroshi::alerts::publish::{self, Edit};
use noroshi::audit::Actor;
use noroshi::auth::tokens::{self, NewToken, Scope};
use noroshi::context::AppContext;
use noroshi::domain::ids::AlertId;
use noroshi::domain::{Severity, Tlp};
use noroshi::registry::OrgCode;
use reqwest::StatusCode;

use crate::helpers::mail::{Central, Draft, central_users, publish_alert, publish_revision};
use crate::helpers::{TestApp, spawn_app};

pub async fn token_for(ctx: &AppContext, code: &str, scopes: &[Scope]) -> String {
    let org = noroshi::registry::store::find_by_code(&ctx.db, OrgCode::parse(code).unwrap())
        .await
        .unwrap()
        .unwrap();
    tokens::create(
        &ctx.db,
        NewToken {
            org: org.id,
            name: format!("feed reader of {code}"),
            scopes: scopes.to_vec(),
            days: None,
        },
        &Actor::System,
    )
    .await
    .unwrap()
    .0
}

/// Four alerts: CLEAR to 千代田区, AMBER to 千代田区, a CLEAR drill to 千代田区, CLEAR to 横浜市.
pub struct World {
    pub central: Central,
    pub clear: (AlertId, String),
    pub amber: (AlertId, String),
    pub drill: (AlertId, String),
    pub yokohama: (AlertId, String),
}

pub async fn world(app: &TestApp) -> World {
    let central = central_users(&app.ctx).await;
    let publish = async |d: Draft<'_>| {
        let (id, r) = publish_alert(&app.ctx, &central, d).await;
        (id, r.public_id)
    };
    let clear = publish(Draft {
        to: &["org:131016"],
        title: "公開の注意喚起 <b>&</b>",
        tlp: Tlp::Clear,
        severity: Severity::High,
        ..Draft::default()
    })
    .await;
    let amber = publish(Draft {
        to: &["org:131016"],
        title: "限定の注意喚起（TLP:AMBER）",
        tlp: Tlp::Amber,
        ..Draft::default()
    })
    .await;
    let drill = publish(Draft {
        to: &["org:131016"],
        title: "連絡体制の確認訓練",
        tlp: Tlp::Clear,
        severity: Severity::Medium,
        drill: true,
        ..Draft::default()
    })
    .await;
    let yokohama = publish(Draft {
        to: &["org:141003"],
        title: "横浜市あての公開注意喚起",
        tlp: Tlp::Clear,
        severity: Severity::Info,
        ..Draft::default()
    })
    .await;
    World {
        central,
        clear,
        amber,
        drill,
        yokohama,
    }
}

fn entry_id(public_id: &str) -> String {
    format!("urn:noroshi:alert:{public_id}")
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.get(path).await;
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// Entry ids of an RSS or Atom feed, as feed-rs reads them.
fn xml_ids(body: &[u8]) -> Vec<String> {
    let feed = feed_rs::parser::parse(body).expect("feed-rs parses the feed");
    feed.entries.into_iter().map(|e| e.id).collect()
}

fn json_ids(body: &[u8]) -> Vec<String> {
    let feed: serde_json::Value = serde_json::from_slice(body).expect("JSON Feed parses");
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn ids_of(format: &str, body: &[u8]) -> Vec<String> {
    if format == "json" {
        json_ids(body)
    } else {
        xml_ids(body)
    }
}

#[tokio::test]
async fn the_public_feed_carries_only_clear_alerts_that_are_not_drills_in_every_format() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for format in ["rss", "atom", "json"] {
        let (status, headers, body) = fetch(&app, &format!("/feeds/public.{format}")).await;
        assert_eq!(status, StatusCode::OK, "{format}");
        assert_eq!(headers["cache-control"], "public, max-age=60");
        let ids = ids_of(format, &body);
        // Newest first: 横浜市 was published last.
        assert_eq!(
            ids,
            vec![entry_id(&w.yokohama.1), entry_id(&w.clear.1)],
            "{format}"
        );
        let text = String::from_utf8(body).unwrap();
        assert!(
            !text.contains(&w.amber.1) && !text.contains("TLP:AMBER"),
            "{format}"
        );
        assert!(
            !text.contains(&w.drill.1) && !text.contains("訓練"),
            "{format}"
        );
    }

    // What an entry carries, read by feed-rs from Atom.
    let (_, _, atom) = fetch(&app, "/feeds/public.atom").await;
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    let e = feed
        .entries
        .iter()
        .find(|e| e.id == entry_id(&w.clear.1))
        .unwrap();
    let title = e.title.as_ref().unwrap().content.clone();
    assert_eq!(
        title, "[重要] 公開の注意喚起 <b>&</b>",
        "markup in a title stays text"
    );
    assert!(e.links[0].href.ends_with(&format!("/alerts/{}", w.clear.1)));
    let summary = e.summary.as_ref().unwrap().content.clone();
    assert!(summary.contains("重要度: 重要 / TLP:CLEAR"), "{summary}");
    assert!(e.updated.is_some() && e.published.is_some());
    // The JSON Feed extension carries the machine-readable facts.
    let (_, headers, json) = fetch(&app, "/feeds/public.json").await;
    assert_eq!(
        headers["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let feed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let item = &feed["items"][1];
    assert_eq!(item["_noroshi"]["alert_id"], w.clear.1.as_str());
    assert_eq!(item["_noroshi"]["severity"], "high");
    assert_eq!(item["_noroshi"]["tlp"], "CLEAR");
    assert_eq!(item["_noroshi"]["drill"], false);
    assert!(
        item["date_modified"].as_str().unwrap().ends_with("+09:00"),
        "times are JST"
    );
    // RSS keeps the extension elements in their namespace.
    let (_, headers, rss) = fetch(&app, "/feeds/public.rss").await;
    assert_eq!(
        headers["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let channel = rss::Channel::read_from(&rss[..]).unwrap();
    let item = &channel.items()[1];
    let ext = &item.extensions()["noroshi"];
    assert_eq!(ext["alertId"][0].value(), Some(w.clear.1.as_str()));
    assert_eq!(ext["tlp"][0].value(), Some("CLEAR"));
    assert!(item.pub_date().unwrap().ends_with("+0900"));
    app.stop().await;
}

#[tokio::test]
async fn an_organisations_token_feed_carries_what_is_addressed_to_it_and_nothing_else() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let chiyoda = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Read]).await;
    for format in ["rss", "atom", "json"] {
        let (status, headers, body) =
            fetch(&app, &format!("/feeds/{chiyoda}/alerts.{format}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "private, no-cache");
        assert_eq!(
            ids_of(format, &body),
            vec![
                entry_id(&w.drill.1),
                entry_id(&w.amber.1),
                entry_id(&w.clear.1)
            ],
            "{format}"
        );
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("[訓練]"), "drills are marked: {format}");
        assert!(
            !text.contains(&chiyoda),
            "the token is never written into a feed"
        );

        // The TLP:AMBER alert never reaches another organisation's feed.
        let (_, _, other) = fetch(&app, &format!("/feeds/{yokohama}/alerts.{format}")).await;
        assert_eq!(ids_of(format, &other), vec![entry_id(&w.yokohama.1)]);
        let other = String::from_utf8(other).unwrap();
        assert!(!other.contains(&w.amber.1) && !other.contains("TLP:AMBER"));
    }
    // Filters: minimum severity and category; bad ones are refused with the error shape.
    let (_, _, body) = fetch(
        &app,
        &format!("/feeds/{chiyoda}/alerts.json?min_severity=critical"),
    )
    .await;
    assert_eq!(json_ids(&body), vec![entry_id(&w.amber.1)]);
    let (_, _, body) = fetch(
        &app,
        &format!("/feeds/{chiyoda}/alerts.json?min_severity=重要"),
    )
    .await;
    assert_eq!(
        json_ids(&body),
        vec![entry_id(&w.amber.1), entry_id(&w.clear.1)]
    );
    let (_, _, body) = fetch(
        &app,
        &format!("/feeds/{chiyoda}/alerts.json?category=other"),
    )
    .await;
    assert_eq!(
        json_ids(&body).len(),
        3,
        "alerts written by hand are その他"
    );
    let (_, _, body) = fetch(
        &app,
        &format!("/feeds/{chiyoda}/alerts.json?category=ランサムウェア"),
    )
    .await;
    assert!(json_ids(&body).is_empty());
    for (query, code) in [
        ("min_severity=urgent", "invalid_parameter"),
        ("category=weather", "invalid_parameter"),
        ("page=2", "unknown_parameter"),
    ] {
        let (status, _, body) = fetch(&app, &format!("/feeds/{chiyoda}/alerts.rss?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(e["code"], code, "{query}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let (status, _, _) = fetch(&app, &format!("/feeds/{chiyoda}/alerts.pdf")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_prefecture_feed_adds_its_municipalities_and_is_for_prefectures_only() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let tokyo = token_for(&app.ctx, "130001", &[Scope::Read]).await;
    let chiyoda = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let (status, _, body) = fetch(&app, &format!("/feeds/{tokyo}/prefecture.atom")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        xml_ids(&body),
        vec![
            entry_id(&w.drill.1),
            entry_id(&w.amber.1),
            entry_id(&w.clear.1)
        ]
    );
    // Nothing is addressed to 東京都 itself.
    let (_, _, own) = fetch(&app, &format!("/feeds/{tokyo}/alerts.atom")).await;
    assert!(xml_ids(&own).is_empty());
    let (status, _, body) = fetch(&app, &format!("/feeds/{chiyoda}/prefecture.atom")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(e["code"], "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn conditional_gets_answer_304_until_a_revision_changes_the_feed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let chiyoda = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let path = format!("/feeds/{chiyoda}/alerts.atom");
    let first = app.get(&path).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let before = first.bytes().await.unwrap();

    let again = |header: &'static str, value: String| {
        let client = app.client.clone();
        let url = app.url(&path);
        async move { client.get(url).header(header, value).send().await.unwrap() }
    };
    let res = again("If-None-Match", etag.clone()).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()["etag"], etag.as_str());
    assert_eq!(res.headers()["cache-control"], "private, no-cache");
    assert!(res.bytes().await.unwrap().is_empty(), "a 304 has no body");
    let res = again("If-None-Match", format!("\"other\", W/{etag}")).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_MODIFIED,
        "weak comparison, lists"
    );
    let res = again("If-Modified-Since", last_modified.clone()).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = again("If-None-Match", "\"stale\"".into()).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Another format or filter is another representation.
    let res = app
        .client
        .get(app.url(&format!("/feeds/{chiyoda}/alerts.rss")))
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // 第2報: same entry id, new updated; the old ETag no longer matches.
    publish_revision(
        &app.ctx,
        &w.central,
        w.amber.0,
        Edit {
            body: Some("修正版が公開されました。".into()),
            changes: Some("修正版の公開を追記".into()),
            ..Edit::default()
        },
    )
    .await;
    let res = again("If-None-Match", etag.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_ne!(res.headers()["etag"], etag.as_str());
    let after = res.bytes().await.unwrap();
    let old = feed_rs::parser::parse(&before[..]).unwrap();
    let new = feed_rs::parser::parse(&after[..]).unwrap();
    assert_eq!(
        new.entries.len(),
        3,
        "a revision updates the entry, it adds none"
    );
    assert_eq!(
        new.entries[0].id,
        entry_id(&w.amber.1),
        "and moves it to the top"
    );
    let old_amber = old
        .entries
        .iter()
        .find(|e| e.id == entry_id(&w.amber.1))
        .unwrap();
    assert!(new.entries[0].updated > old_amber.updated);
    assert_eq!(new.entries[0].published, old_amber.published);
    let title = new.entries[0].title.as_ref().unwrap().content.clone();
    assert!(title.ends_with("（第2報）"), "{title}");
    let summary = new.entries[0].summary.as_ref().unwrap().content.clone();
    assert!(
        summary.contains("第2報の変更点: 修正版の公開を追記"),
        "{summary}"
    );
    // The public feed did not change: its ETag still answers 304.
    let public = app.get("/feeds/public.json").await;
    let public_tag = public.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/feeds/public.json"))
        .header("If-None-Match", public_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    app.stop().await;
}

#[tokio::test]
async fn revoked_unknown_and_unscoped_tokens_open_no_feed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ack_only = token_for(&app.ctx, "131016", &[Scope::Acknowledge]).await;
    let (status, _, body) = fetch(&app, &format!("/feeds/{ack_only}/alerts.rss")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!String::from_utf8(body).unwrap().contains(&w.amber.1));

    let token = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let (status, _, _) = fetch(&app, &format!("/feeds/{token}/alerts.rss")).await;
    assert_eq!(status, StatusCode::OK);
    let org =
        noroshi::registry::store::find_by_code(&app.ctx.db, OrgCode::parse("131016").unwrap())
            .await
            .unwrap()
            .unwrap();
    let listed = tokens::list_for_org(&app.ctx.db, org.id).await.unwrap();
    let id = listed
        .iter()
        .find(|t| token.starts_with(&t.prefix) && t.allows(Scope::Read))
        .unwrap()
        .id;
    assert!(
        tokens::revoke(&app.ctx.db, org.id, id, &Actor::System)
            .await
            .unwrap()
    );
    for path in [
        format!("/feeds/{token}/alerts.rss"),
        "/feeds/nrs_not-a-token/alerts.rss".to_owned(),
        "/feeds/anything/alerts.json".to_owned(),
    ] {
        let (status, _, body) = fetch(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(e["code"], "not_found");
    }
    app.stop().await;
}

fn cap(body: &[u8]) -> oasiscap::v1dot2::Alert {
    let text = std::str::from_utf8(body).unwrap();
    let alert: oasiscap::Alert = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    match alert {
        oasiscap::Alert::V1dot2(a) => a,
        other => panic!("not CAP 1.2: {other:?}"),
    }
}

#[tokio::test]
async fn cap_messages_follow_revisions_drills_and_tlp() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let chiyoda = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Read]).await;

    // A CLEAR real alert: anyone, scope Public, msgType Alert.
    let (status, headers, body) = fetch(&app, &format!("/alerts/{}.cap.xml", w.clear.1)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/cap+xml; charset=utf-8"
    );
    let a = cap(&body);
    assert_eq!(a.identifier.to_string(), format!("{}.1", w.clear.1));
    assert_eq!(format!("{:?}", a.status), "Actual");
    assert_eq!(format!("{:?}", a.message_type), "Alert");
    assert_eq!(format!("{:?}", a.scope), "Public");
    assert_eq!(
        format!("{:?}", a.info[0].language),
        "Language(Some(\"ja-JP\"))"
    );
    assert_eq!(
        a.info[0].headline.as_deref(),
        Some("公開の注意喚起 <b>&</b>")
    );

    // AMBER: nobody without access, not another organisation; Restricted for the addressee.
    let amber = format!("/alerts/{}.cap.xml", w.amber.1);
    let (status, _, body) = fetch(&app, &amber).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8(body).unwrap().contains("限定"));
    let (status, _, _) = fetch(&app, &format!("{amber}?token={yokohama}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = app
        .client
        .get(app.url(&amber))
        .bearer_auth(&yokohama)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, headers, body) = fetch(&app, &format!("{amber}?token={chiyoda}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "private, no-cache");
    let a = cap(&body);
    assert_eq!(format!("{:?}", a.scope), "Restricted");
    assert!(a.restriction.as_deref().unwrap().starts_with("TLP:AMBER"));

    // A drill is an Exercise, and not public even when CLEAR.
    let drill = format!("/alerts/{}.cap.xml", w.drill.1);
    assert_eq!(fetch(&app, &drill).await.0, StatusCode::NOT_FOUND);
    let (_, _, body) = fetch(&app, &format!("{drill}?token={chiyoda}")).await;
    assert_eq!(format!("{:?}", cap(&body).status), "Exercise");

    // 第2報 is an Update referring to 第1報; a withdrawal is a Cancel referring to both.
    publish_revision(
        &app.ctx,
        &w.central,
        w.clear.0,
        Edit {
            severity: Some(Severity::Critical),
            changes: Some("重要度を緊急に引き上げ".into()),
            ..Edit::default()
        },
    )
    .await;
    let path = format!("/alerts/{}.cap.xml", w.clear.1);
    let res = app.get(&path).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let a = cap(&res.bytes().await.unwrap());
    assert_eq!(format!("{:?}", a.message_type), "Update");
    assert_eq!(format!("{:?}", a.info[0].severity), "Extreme");
    let refs: Vec<String> = a
        .references
        .unwrap()
        .iter()
        .map(|r| r.identifier.to_string())
        .collect();
    assert_eq!(refs, vec![format!("{}.1", w.clear.1)]);
    let res = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        w.clear.0,
        &w.central.approver,
        "誤報のため",
        None,
    )
    .await
    .unwrap();
    let (_, _, body) = fetch(&app, &path).await;
    let a = cap(&body);
    assert_eq!(format!("{:?}", a.message_type), "Cancel");
    assert_eq!(a.references.unwrap().iter().count(), 2);
    app.stop().await;
}

/// The TLP test of the portal issue: a non-addressed organisation's user and token try every
/// alert URL, feed and API path for a TLP:AMBER alert and get nothing of it.
#[tokio::test]
async fn a_non_addressed_organisation_gets_nothing_of_an_amber_alert_on_any_channel() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (amber_id, title) = (w.amber.1.clone(), "限定の注意喚起");
    crate::helpers::mail::user(
        &app.ctx,
        "141003",
        noroshi::auth::Role::OrgAdmin,
        "admin@city.yokohama.lg.jp",
    )
    .await;
    let token = token_for(
        &app.ctx,
        "141003",
        &[Scope::Read, Scope::Acknowledge, Scope::Report],
    )
    .await;
    let mut browser = crate::helpers::browser::Browser::new(&app.address);
    browser
        .log_in("admin@city.yokohama.lg.jp", "correct horse battery staple")
        .await;
    let csrf = browser.get("/settings/password").await.hidden("csrf");
    let cookie = browser.cookie_header();

    let mut tried = 0;
    // Portal pages and forms, with the session.
    for path in [
        format!("/alerts/{amber_id}"),
        format!("/alerts/{amber_id}/board"),
        format!("/alerts/{amber_id}/board.csv"),
        format!("/alerts/{amber_id}.cap.xml"),
        "/inbox".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert!(!page.body.contains(title), "{path}");
        tried += 1;
    }
    for path in [
        format!("/alerts/{amber_id}/ack"),
        format!("/alerts/{amber_id}/notes"),
    ] {
        let page = browser
            .post(&path, &[("csrf", &csrf), ("state", "done"), ("note", "x")])
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        tried += 1;
    }
    // Feeds and CAP with the token; the API with the token and with the session.
    let feeds = [
        "/feeds/public.rss".to_owned(),
        "/feeds/public.atom".to_owned(),
        "/feeds/public.json".to_owned(),
        format!("/feeds/{token}/alerts.rss"),
        format!("/feeds/{token}/alerts.atom"),
        format!("/feeds/{token}/alerts.json"),
        format!("/feeds/{token}/prefecture.json"),
        format!("/alerts/{amber_id}.cap.xml?token={token}"),
    ];
    let api = [
        "/api/v1/alerts".to_owned(),
        "/api/v1/alerts?limit=200&drill=false".to_owned(),
        format!("/api/v1/alerts/{amber_id}"),
        format!("/api/v1/alerts/{amber_id}/acknowledgement"),
        "/api/v1/advisories".to_owned(),
    ];
    for path in feeds.iter().chain(api.iter()) {
        for with_session in [false, true] {
            let mut req = app.client.get(app.url(path));
            req = if with_session {
                req.header("Cookie", &cookie)
            } else {
                req.bearer_auth(&token)
            };
            let res = req.send().await.unwrap();
            let body = res.text().await.unwrap();
            assert!(!body.contains(title), "{path}: {body}");
            // A 404 may echo the id asked for, never anything else of the alert.
            if !path.contains(&amber_id) {
                assert!(!body.contains(&amber_id), "{path}: {body}");
            }
            tried += 1;
        }
    }
    let res = app
        .client
        .put(app.url(&format!("/api/v1/alerts/{amber_id}/acknowledgement")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"state": "done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(tried >= 30);
    // And nothing was recorded for the alert by anyone.
    let acks = noroshi::acks::store::current(
        &app.ctx.db,
        w.amber.0,
        noroshi::registry::store::find_by_code(&app.ctx.db, OrgCode::parse("141003").unwrap())
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap();
    assert!(acks.is_none());
    app.stop().await;
}
