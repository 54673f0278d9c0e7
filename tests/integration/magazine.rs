//! メールマガジン subscriptions over real HTTP, the real database and the real SMTP server:
//! double opt-in at a registered organisation's mail domain, confirmation links that expire,
//! and one-click unsubscribe (RFC 8058) without a session, idempotent, for self-subscribed staff
//! and for organisations' contact addresses alike.

use chrono::{Duration, Utc};
use noroshi::contacts::MailEncoding;
use noroshi::db::entities::{admin_notices, audit_log, magazine_optouts, magazine_subscribers};
use noroshi::domain::ids::IssueId;
use noroshi::magazine::subscribers;
use noroshi::workers::Outcome;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::mail::{add_contacts, queued_notice_to, tokyo};
use crate::helpers::spawn_app;

fn link_in(text: &str, path: &str) -> String {
    text.split(path)
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("the mail carries a {path} link: {text}"))
        .to_owned()
}

async fn audits(db: &sea_orm::DatabaseConnection, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_subscribe_with_double_opt_in_and_unsubscribe_in_one_click_without_a_session() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    let contacts = add_contacts(&app.ctx, &orgs[..3], 1, |_| MailEncoding::Utf8).await;
    crate::helpers::mail::register_domains(&app.ctx, &orgs[..3]).await;
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let http = reqwest::Client::new();
    // The public form carries a form token (a cookie and a hidden field).
    let app = &app;
    let subscribe = |email: &'static str| async move {
        let mut b = crate::helpers::browser::Browser::new(&app.address);
        let csrf = b.get("/magazine/subscribe").await.hidden("csrf");
        reqwest::Client::new()
            .post(app.url("/magazine/subscribe"))
            .header("cookie", b.cookie_header())
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("language", "ja"),
                ("encoding", "utf-8"),
            ])
            .send()
            .await
    };

    // The form is public.
    let form = app.get("/magazine/subscribe").await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("メールマガジンの購読"));

    // Outside every registered domain: the same answer as for an accepted address (nobody
    // learns which domains work), and nothing stored or mailed. Not an address: refused.
    let outside = subscribe("tanaka@gmail.com").await.unwrap();
    assert_eq!(outside.status(), StatusCode::OK);
    let text = outside.text().await.unwrap();
    assert!(text.contains("確認メールを送りました"), "{text}");
    assert!(!text.contains("gmail.com"), "{text}");
    let malformed = subscribe("not an address").await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(malformed.text().await.unwrap().contains("email:"));
    // A look-alike domain is not under a registered one.
    let lookalike = subscribe("x@evil131016.example.lg.jp").await.unwrap();
    assert_eq!(lookalike.status(), StatusCode::OK);
    // Without the form token: refused.
    let forged = http
        .post(app.url("/magazine/subscribe"))
        .form(&[("email", "tanaka@131016.example.lg.jp"), ("language", "ja")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        magazine_subscribers::Entity::find()
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(admin_notices::Entity::find().count(db).await.unwrap(), 0);

    // A section's address under 千代田区's domain: a confirmation mail, nothing active yet.
    let staff = "tanaka@soumu.131016.example.lg.jp";
    let asked = subscribe(staff).await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(
        asked
            .text()
            .await
            .unwrap()
            .contains("確認メールを送りました")
    );
    let row = magazine_subscribers::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.organisation_id),
        ("pending", chiyoda.id)
    );
    // Asking again at once sends no second mail (and the page says the same).
    let again = subscribe(staff).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    while noroshi::jobs::send_notice(&app.ctx).await.unwrap() == Outcome::Worked {}
    let mails = app.smtp.received();
    assert_eq!(mails.len(), 1, "one confirmation mail");
    assert_eq!(mails[0].rcpt_to, vec![staff.to_owned()]);
    let text = mail_parser::MessageParser::default()
        .parse(&mails[0].data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    let token = link_in(&text, "/magazine/confirm/");

    // Opening the link changes nothing; the button confirms, once, audited.
    let page = app.get(&format!("/magazine/confirm/{token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("購読を確定する"));
    let row = magazine_subscribers::Entity::find_by_id(row.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "pending");
    for _ in 0..2 {
        let done = http
            .post(app.url(&format!("/magazine/confirm/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::OK);
        assert!(done.text().await.unwrap().contains("購読は確定しています"));
    }
    let row = magazine_subscribers::Entity::find_by_id(row.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active");
    let subscribed = audits(db, "magazine.subscribe").await;
    assert_eq!(subscribed.len(), 1);
    assert_eq!(subscribed[0].actor, format!("magazine-link:s{}", row.id));

    // Unsubscribing: the link's page changes nothing; RFC 8058's one-click POST, with no
    // session or cookie, unsubscribes; a second POST answers the same and changes nothing.
    let unsubscribe = app
        .ctx
        .mailer
        .verp
        .unsubscribe_token(&format!("s{}", row.id));
    let page = app
        .get(&format!("/magazine/unsubscribe/{unsubscribe}"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(staff));
    assert_eq!(audits(db, "magazine.unsubscribe").await.len(), 0);
    for _ in 0..2 {
        let done = reqwest::Client::new()
            .post(app.url(&format!("/magazine/unsubscribe/{unsubscribe}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::OK);
        assert!(done.text().await.unwrap().contains("配信は停止しています"));
    }
    let row = magazine_subscribers::Entity::find_by_id(row.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "unsubscribed");
    assert_eq!(
        audits(db, "magazine.unsubscribe").await.len(),
        1,
        "idempotent"
    );

    // A forged token (one character off) is not found and changes nothing.
    let mut forged = app
        .ctx
        .mailer
        .verp
        .unsubscribe_token(&format!("c{}", contacts[0].id));
    let last = forged.pop().unwrap();
    forged.push(if last == 'a' { 'b' } else { 'a' });
    let refused = http
        .post(app.url(&format!("/magazine/unsubscribe/{forged}")))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(magazine_optouts::Entity::find().count(db).await.unwrap(), 0);

    // An organisation's contact address receives the magazine by default and opts out with the
    // link of its own copy, once.
    let before = subscribers::counts(db).await.unwrap();
    assert_eq!((before.contacts, before.contacts_opted_out), (3, 0));
    let contact_token = app
        .ctx
        .mailer
        .verp
        .unsubscribe_token(&format!("c{}", contacts[0].id));
    for _ in 0..2 {
        let done = http
            .post(app.url(&format!("/magazine/unsubscribe/{contact_token}")))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::OK);
    }
    let after = subscribers::counts(db).await.unwrap();
    assert_eq!((after.contacts, after.contacts_opted_out), (2, 1));
    assert_eq!(audits(db, "magazine.unsubscribe").await.len(), 2);
}

#[tokio::test]
async fn a_confirmation_link_expires_after_48_hours_and_a_new_request_sends_one_that_works() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..1], 1, |_| MailEncoding::Utf8).await;
    crate::helpers::mail::register_domains(&app.ctx, &orgs[..1]).await;
    let staff = format!("sato@{}.example.lg.jp", orgs[0].code);
    let asked_at = Utc::now() - Duration::hours(subscribers::CONFIRM_HOURS + 1);
    let r = subscribers::request(
        db,
        &app.ctx.mailer.verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "en",
        "iso-2022-jp",
        &subscribers::Requester::Public,
        asked_at,
    )
    .await
    .unwrap();
    assert_eq!(r, subscribers::Requested::ConfirmationSent);
    let old = link_in(
        &queued_notice_to(&app.ctx, &staff).await,
        "/magazine/confirm/",
    );
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let gone = reqwest::Client::new()
            .request(method, app.url(&format!("/magazine/confirm/{old}")))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::GONE);
        assert!(gone.text().await.unwrap().contains("expired"));
    }
    let row = magazine_subscribers::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            row.status.as_str(),
            row.encoding.as_str(),
            row.language.as_str()
        ),
        ("pending", "iso-2022-jp", "en")
    );
    // Asking again now sends a new link; the old one stays dead, the new one confirms.
    let again = subscribers::request(
        db,
        &app.ctx.mailer.verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "en",
        "iso-2022-jp",
        &subscribers::Requester::Public,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(again, subscribers::Requested::ConfirmationSent);
    let new = link_in(
        &queued_notice_to(&app.ctx, &staff).await,
        "/magazine/confirm/",
    );
    assert_ne!(old, new);
    assert_eq!(
        app.get(&format!("/magazine/confirm/{old}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let done = reqwest::Client::new()
        .post(app.url(&format!("/magazine/confirm/{new}")))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let row = magazine_subscribers::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active");
    // Subscribed already: another request mails its owner that it is (with the unsubscribe
    // link) — after the resend pause — and the page says nothing more than before.
    let already = subscribers::request(
        db,
        &app.ctx.mailer.verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "ja",
        "utf-8",
        &subscribers::Requester::Public,
        Utc::now() + Duration::minutes(subscribers::RESEND_MINUTES + 1),
    )
    .await
    .unwrap();
    assert_eq!(already, subscribers::Requested::AlreadyActive);
    let text = queued_notice_to(&app.ctx, &staff).await;
    assert!(text.contains("既に購読しています") && text.contains("/magazine/unsubscribe/"));
}

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn an_issue_is_composed_from_the_week_published_by_another_person_and_each_reader_sees_what_tlp_allows()
 {
    use crate::helpers::browser::Browser;
    use crate::helpers::mail::{Draft, central_users, publish_alert, user};
    use noroshi::auth::Role;
    use noroshi::domain::Tlp;

    let app = spawn_app().await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    user(&app.ctx, "131024", Role::Member, "member@city.chuo.lg.jp").await;
    let alert = |title: &'static str, to: &'static [&'static str], tlp: Tlp, drill: bool| Draft {
        title,
        to,
        tlp,
        drill,
        ..Draft::default()
    };
    publish_alert(
        &app.ctx,
        &central,
        alert(
            "千代田区だけのAMBER注意喚起",
            &["org:131016"],
            Tlp::Amber,
            false,
        ),
    )
    .await;
    publish_alert(
        &app.ctx,
        &central,
        alert(
            "東京都全体へのCLEAR注意喚起",
            &["pref:13+"],
            Tlp::Clear,
            false,
        ),
    )
    .await;
    publish_alert(
        &app.ctx,
        &central,
        alert(
            "コミュニティ内のGREEN注意喚起",
            &["pref:13+"],
            Tlp::Green,
            false,
        ),
    )
    .await;
    publish_alert(
        &app.ctx,
        &central,
        alert("訓練の注意喚起", &["pref:13+"], Tlp::Clear, true),
    )
    .await;
    publish_alert(
        &app.ctx,
        &central,
        alert("REDの注意喚起", &["org:131016"], Tlp::Red, false),
    )
    .await;

    // The operator composes this week's issue in the portal.
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PASSWORD).await;
    let archive = operator.get("/magazine").await;
    assert_eq!(archive.status, StatusCode::OK);
    let csrf = archive.hidden("csrf");
    let week = noroshi::magazine::issue::week_of(Utc::now());
    let bad = operator
        .post("/magazine/new", &[("csrf", &csrf), ("week", "next week")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not an ISO week"), "{}", bad.body);
    let made = operator
        .post("/magazine/new", &[("csrf", &csrf), ("week", &week)])
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft_path = made.location.clone().unwrap();
    let draft = operator.get(&draft_path).await;
    for title in [
        "千代田区だけのAMBER注意喚起",
        "東京都全体へのCLEAR注意喚起",
        "コミュニティ内のGREEN注意喚起",
    ] {
        assert!(draft.body.contains(title), "{title}: {}", draft.body);
    }
    assert!(!draft.body.contains("訓練の注意喚起"), "drills never");
    assert!(!draft.body.contains("REDの注意喚起"), "TLP:RED never");
    let edited = operator
        .post(
            &draft_path,
            &[
                ("csrf", &csrf),
                ("title", "自治体CEPTOARメールマガジン 今週号"),
                ("intro", "今週は三件の注意喚起をお届けします。"),
                ("drop", ""),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let submitted = operator
        .post(&format!("{draft_path}/submit"), &[("csrf", &csrf)])
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    // The operator who composed and submitted it cannot publish it.
    let refused = operator
        .post(&format!("{draft_path}/approve"), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut approver = Browser::new(&app.address);
    approver.log_in("approver@soumu.go.jp", PASSWORD).await;
    let page = approver.get(&draft_path).await;
    let approver_csrf = page.hidden("csrf");
    for _ in 0..2 {
        let published = approver
            .post(
                &format!("{draft_path}/approve"),
                &[("csrf", &approver_csrf)],
            )
            .await;
        assert_eq!(published.status, StatusCode::SEE_OTHER);
        assert_eq!(published.location.as_deref(), Some("/magazine/issues/1"));
    }
    assert_eq!(
        audits(db, "magazine.publish").await.len(),
        1,
        "approving again changes nothing"
    );

    // The short address goes to the issue; anything but an issue number is not found, and the
    // other pages under /magazine keep their own addresses.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let short = plain.get(app.url("/magazine/1")).send().await.unwrap();
    assert_eq!(short.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(short.headers()["location"], "/magazine/issues/1");
    for path in ["/magazine/0", "/magazine/abc", "/magazine/-1"] {
        let r = plain.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/magazine/subscribe", "/magazine/feed.atom"] {
        let r = plain.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }

    // Each reader sees what the TLP allows.
    let anonymous = app.get("/magazine/issues/1").await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    let text = anonymous.text().await.unwrap();
    assert!(text.contains("東京都全体へのCLEAR注意喚起") && text.contains("今週は三件"));
    assert!(
        !text.contains("AMBER注意喚起") && !text.contains("GREEN注意喚起"),
        "{text}"
    );
    assert!(text.contains("ほかに 2 件は、ログインすると読めます"));
    let mut chiyoda = Browser::new(&app.address);
    chiyoda.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let theirs = chiyoda.get("/magazine/issues/1").await.body;
    assert!(theirs.contains("千代田区だけのAMBER注意喚起") && theirs.contains("GREEN注意喚起"));
    let mut chuo = Browser::new(&app.address);
    chuo.log_in("member@city.chuo.lg.jp", PASSWORD).await;
    let not_theirs = chuo.get("/magazine/issues/1").await.body;
    assert!(!not_theirs.contains("AMBER注意喚起") && not_theirs.contains("GREEN注意喚起"));
    assert!(not_theirs.contains("ほかに 1 件は、宛先の団体だけが読めます"));
    let all = approver.get("/magazine/issues/1").await.body;
    assert!(all.contains("千代田区だけのAMBER注意喚起"));

    // The archive and its Atom feed are public and carry TLP:CLEAR only.
    let feed = app.get("/magazine/feed.atom").await;
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let parsed = feed_rs::parser::parse(feed.bytes().await.unwrap().as_ref()).expect("valid Atom");
    assert_eq!(parsed.entries.len(), 1);
    let content = parsed.entries[0]
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap();
    assert!(content.contains("東京都全体へのCLEAR注意喚起") && !content.contains("AMBER"));
    assert!(
        app.get("/magazine")
            .await
            .text()
            .await
            .unwrap()
            .contains("/magazine/issues/1")
    );
    // A draft is not an issue anyone can read by number.
    assert_eq!(
        app.get("/magazine/issues/2").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_ledger_keeps_every_row_through_the_migration_that_lets_a_copy_belong_to_no_alert() {
    use crate::helpers::mail::{Draft, central_users, drain, publish_alert};
    use migrations::{Migrator, MigratorTrait};
    use noroshi::db::entities::deliveries;
    use noroshi::delivery::store as ledger;
    use sea_orm::{ActiveModelTrait, Set};

    let app = spawn_app().await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let central = central_users(&app.ctx).await;
    let (alert, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    let before = ledger::for_alert(db, alert).await.unwrap();
    assert_eq!(before.len(), 63);

    // Back to the ledger of alerts only, and forward again (SQLite rebuilds the table).
    Migrator::down(db, Some(1)).await.unwrap();
    Migrator::up(db, None).await.unwrap();
    let after = ledger::for_alert(db, alert).await.unwrap();
    let key = |r: &noroshi::delivery::store::LedgerRow| {
        (
            r.id,
            r.revision_id,
            r.contact_id,
            r.email.clone(),
            r.status,
            r.kind,
        )
    };
    assert_eq!(
        before.iter().map(key).collect::<Vec<_>>(),
        after.iter().map(key).collect::<Vec<_>>()
    );

    // A copy of no alert, to no contact address: the ledger takes it.
    let now = Utc::now();
    let row = deliveries::ActiveModel {
        alert_id: Set(None),
        revision_id: Set(None),
        organisation_id: Set(orgs[0].id),
        contact_id: Set(None),
        magazine_issue_id: Set(Some(IssueId(1))),
        subscriber_id: Set(Some(1)),
        email: Set("staff@13101.example.lg.jp".into()),
        encoding: Set("utf-8".into()),
        language: Set("ja".into()),
        priority: Set(9),
        status: Set("queued".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        kind: Set("magazine".into()),
        possible_duplicate: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    // The alert's copies still go; a copy of an issue that does not exist is settled with the
    // reason and nothing is sent for it.
    drain(&app.ctx, noroshi::delivery::worker::Lane::All).await;
    assert_eq!(app.smtp.received().len(), 63);
    let settled = deliveries::Entity::find_by_id(row.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settled.status, "failed");
    assert!(
        settled
            .last_error
            .unwrap()
            .contains("magazine issue 1 is not published or no longer exists")
    );
}

/// The magazine copies the SMTP server received: (recipient, raw message, decoded text).
fn magazine_copies(app: &crate::helpers::TestApp) -> Vec<(String, String, String)> {
    app.smtp
        .received()
        .into_iter()
        .filter_map(|t| {
            let raw = String::from_utf8_lossy(&t.data).into_owned();
            crate::helpers::mail::header(&raw, "X-Noroshi-Magazine")?;
            let text = mail_parser::MessageParser::default()
                .parse(&t.data)
                .and_then(|m| m.body_text(0).map(|b| b.into_owned()))
                .unwrap_or_default();
            Some((t.rcpt_to[0].clone(), raw, text))
        })
        .collect()
}

#[tokio::test]
async fn an_issue_goes_to_every_reader_with_only_the_items_its_organisation_may_see() {
    use crate::helpers::mail::{Draft, central_users, drain, header, publish_alert};
    use noroshi::delivery::worker::Lane;
    use noroshi::domain::Tlp;
    use noroshi::magazine::issue;

    let app = spawn_app().await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    let pick = |code: &str| {
        orgs.iter()
            .find(|o| o.code.to_string() == code)
            .unwrap()
            .clone()
    };
    let (chiyoda, chuo, minato) = (pick("131016"), pick("131024"), pick("131032"));
    // 中央区 reads ISO-2022-JP.
    let contacts = add_contacts(&app.ctx, &[chiyoda.clone(), chuo, minato.clone()], 1, |i| {
        if i == 1 {
            MailEncoding::Iso2022Jp
        } else {
            MailEncoding::Utf8
        }
    })
    .await;
    let central = central_users(&app.ctx).await;
    let alert = |title: &'static str, to: &'static [&'static str], tlp: Tlp| Draft {
        title,
        to,
        tlp,
        ..Draft::default()
    };
    publish_alert(
        &app.ctx,
        &central,
        alert("千代田区だけのAMBER注意喚起", &["org:131016"], Tlp::Amber),
    )
    .await;
    publish_alert(
        &app.ctx,
        &central,
        alert("東京都全体へのCLEAR注意喚起", &["pref:13+"], Tlp::Clear),
    )
    .await;
    drain(&app.ctx, Lane::All).await;

    // 港区: its contact address opted out, one of its staff subscribed.
    let verp = &app.ctx.mailer.verp;
    subscribers::unsubscribe(
        db,
        verp,
        &verp.unsubscribe_token(&format!("c{}", contacts[2].id)),
        Utc::now(),
    )
    .await
    .unwrap();
    crate::helpers::mail::register_domains(&app.ctx, std::slice::from_ref(&minato)).await;
    let staff = format!("suzuki@soumu.{}.example.lg.jp", minato.code);
    subscribers::request(
        db,
        verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "ja",
        "utf-8",
        &subscribers::Requester::Public,
        Utc::now(),
    )
    .await
    .unwrap();
    let token = link_in(
        &queued_notice_to(&app.ctx, &staff).await,
        "/magazine/confirm/",
    );
    subscribers::confirm(db, &token, Utc::now()).await.unwrap();

    let now = Utc::now();
    let draft = issue::compose(
        db,
        &central.operator,
        now - Duration::days(7),
        now + Duration::minutes(1),
        now,
    )
    .await
    .unwrap();
    issue::submit(db, &central.operator, draft.id, now)
        .await
        .unwrap();
    let published = issue::approve(db, &central.approver, draft.id, now)
        .await
        .unwrap();
    assert_eq!(
        published.copies, 3,
        "千代田区's and 中央区's addresses, 港区's subscriber"
    );
    assert_eq!(
        issue::approve(db, &central.approver, draft.id, now)
            .await
            .unwrap()
            .copies,
        0
    );
    drain(&app.ctx, Lane::All).await;

    let copies = magazine_copies(&app);
    let mut to: Vec<&str> = copies.iter().map(|(r, _, _)| r.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        vec![
            contacts[0].email.as_str(),
            contacts[1].email.as_str(),
            staff.as_str()
        ]
    );
    for (rcpt, raw, text) in &copies {
        assert!(
            text.contains("東京都全体へのCLEAR注意喚起"),
            "{rcpt}: {text}"
        );
        // The AMBER alert is only in the copy of the organisation it was addressed to.
        assert_eq!(
            text.contains("千代田区だけのAMBER注意喚起"),
            rcpt == contacts[0].email.as_str(),
            "{rcpt}: {text}"
        );
        assert_eq!(
            header(raw, "List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(
            header(raw, "List-Unsubscribe")
                .unwrap()
                .contains("/magazine/unsubscribe/")
        );
    }
    // 中央区's copy is ISO-2022-JP and reads back.
    let (_, raw, text) = copies
        .iter()
        .find(|(r, _, _)| r == contacts[1].email.as_str())
        .unwrap();
    assert!(
        header(raw, "Content-Type")
            .unwrap()
            .to_ascii_lowercase()
            .contains("iso-2022-jp")
    );
    assert!(
        text.contains("自治体CEPTOARメールマガジン") && text.contains("第1号"),
        "{text}"
    );
    // The link in the subscriber's copy unsubscribes them, without a session.
    let (_, raw, _) = copies.iter().find(|(r, _, _)| *r == staff).unwrap();
    let link = header(raw, "List-Unsubscribe").unwrap();
    let url = link.trim().trim_start_matches('<').trim_end_matches('>');
    let path = &url[url.find("/magazine/").unwrap()..];
    let done = reqwest::Client::new()
        .post(app.url(path))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let row = magazine_subscribers::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "unsubscribed");
}

#[tokio::test]
async fn an_urgent_alert_approved_while_an_issue_goes_out_overtakes_the_rest_of_it() {
    use crate::helpers::mail::{Draft, central_users, drain, header, publish_alert};
    use noroshi::delivery::worker::Lane;
    use noroshi::magazine::issue;

    // One message a batch and one batch at a time, so the order of batches is the order on
    // the wire.
    let app = crate::helpers::spawn_app_with(|s| {
        s.mail.connections = 1;
        s.mail.pipeline_depth = 1;
    })
    .await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..20], 1, |_| MailEncoding::Utf8).await;
    let central = central_users(&app.ctx).await;
    let now = Utc::now();
    let draft = issue::compose(db, &central.operator, now - Duration::days(7), now, now)
        .await
        .unwrap();
    issue::submit(db, &central.operator, draft.id, now)
        .await
        .unwrap();
    assert_eq!(
        issue::approve(db, &central.approver, draft.id, now)
            .await
            .unwrap()
            .copies,
        20
    );
    for _ in 0..5 {
        noroshi::jobs::mail::send_batches(&app.ctx, Lane::All, 1)
            .await
            .unwrap();
    }
    assert_eq!(magazine_copies(&app).len(), 5);
    // An urgent alert to the same 20 organisations, approved mid-send.
    publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;
    let order: Vec<bool> = app
        .smtp
        .received()
        .iter()
        .map(|t| header(&String::from_utf8_lossy(&t.data), "X-Noroshi-Magazine").is_some())
        .collect();
    assert_eq!(order.len(), 40);
    assert!(
        order[..5].iter().all(|m| *m),
        "the first five copies went before the alert"
    );
    assert!(
        order[5..25].iter().all(|m| !m),
        "then every copy of the alert: {order:?}"
    );
    assert!(order[25..].iter().all(|m| *m), "then the rest of the issue");
}

#[tokio::test]
async fn an_issue_is_in_japanese_once_a_week_and_summarises_the_news_not_the_salutation() {
    use crate::helpers::advisories::ingest_sample;
    use crate::helpers::mail::{Draft, central_users, publish_alert};
    use noroshi::magazine::issue::{self, ItemKind};

    let app = spawn_app().await;
    let db = &app.ctx.db;
    let central = central_users(&app.ctx).await;
    // JPCERT/CC's Japanese and English feeds carry the same advisories.
    ingest_sample(&app.ctx, "jpcert-ja", "jpcert_ja.rdf").await;
    ingest_sample(&app.ctx, "jpcert-en", "jpcert_en.rdf").await;
    publish_alert(
        &app.ctx,
        &central,
        Draft {
            title: "請求書を装った不審メールへの注意",
            body: "管内の区市町村の情報セキュリティ担当者各位\n\n平素よりお世話になっております。\n\
                   都内の複数の団体で、請求書を装った不審なメールが確認されています。添付ファイルは開かないでください。",
            ..Draft::default()
        },
    )
    .await;
    let now = Utc::now();
    let draft = issue::compose(
        db,
        &central.operator,
        now - Duration::days(7),
        now + Duration::minutes(1),
        now,
    )
    .await
    .unwrap();
    let jpcert: Vec<_> = draft
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Jpcert)
        .collect();
    assert!(!jpcert.is_empty(), "the Japanese feed's items are in it");
    let japanese = |s: &str| {
        s.chars().any(|c| {
            ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c)
        })
    };
    assert!(
        jpcert
            .iter()
            .all(|i| japanese(&i.title) && !i.link.contains("/english/")),
        "no English JPCERT/CC item: {jpcert:?}"
    );
    let alert = draft
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Alert)
        .unwrap();
    assert_eq!(
        alert.summary,
        "都内の複数の団体で、請求書を装った不審なメールが確認されています。"
    );
    // The same days again are refused, naming the issue that has them; nothing is written.
    let again = issue::compose(db, &central.operator, now - Duration::days(3), now, now).await;
    let message = again.unwrap_err().to_string();
    assert!(
        message.contains("既に号があります") && message.contains("下書き"),
        "{message}"
    );
    assert_eq!(issue::list(db, true, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn jpcert_early_warnings_arrive_by_mail_as_amber_and_have_their_place_for_local_governments_only()
 {
    use crate::helpers::advisories::ingest_sample;
    use crate::helpers::mail::central_users;
    use noroshi::domain::Tlp;
    use noroshi::magazine::issue::{self, ItemKind, Reader};

    let app = spawn_app().await;
    let db = &app.ctx.db;
    let central = central_users(&app.ctx).await;
    ingest_sample(&app.ctx, "jpcert-ew", "jpcert_ew.eml").await;
    let stored = noroshi::ingest::store::find(
        db,
        "jpcert-ew",
        "<20261203100000.EW-2026-0031@jpcert.or.jp>",
    )
    .await
    .unwrap()
    .expect("the early warning is stored");
    assert_eq!(stored.kind, "jpcert_early_warning");
    assert_eq!(stored.tlp.as_deref(), Some("AMBER"), "unmarked, so AMBER");
    assert!(stored.cve_ids.contains("CVE-2026-24858"));
    let now = Utc::now();
    let draft = issue::compose(
        db,
        &central.operator,
        now - Duration::days(7),
        now + Duration::minutes(1),
        now,
    )
    .await
    .unwrap();
    let ew: Vec<_> = draft
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::EarlyWarning)
        .collect();
    assert_eq!(ew.len(), 1, "{:?}", draft.items);
    assert_eq!(ew[0].tlp, Tlp::Amber);
    assert!(
        ew[0]
            .summary
            .starts_with("インターネットに公開された VPN 装置"),
        "{}",
        ew[0].summary
    );
    let orgs = tokyo(&app.ctx).await;
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let has = |items: Vec<issue::Item>| items.iter().any(|i| i.kind == ItemKind::EarlyWarning);
    assert!(has(issue::visible_items(
        db,
        &draft,
        &Reader::Organisation(chiyoda)
    )
    .await
    .unwrap()));
    assert!(has(issue::visible_items(db, &draft, &Reader::Central)
        .await
        .unwrap()));
    let public = issue::visible_items(db, &draft, &Reader::Public)
        .await
        .unwrap();
    assert!(
        !public.iter().any(|i| i.title.contains("早期警戒情報")),
        "never in the public archive, under any kind: {public:?}"
    );
    assert!(
        !draft
            .items
            .iter()
            .any(|i| i.kind != ItemKind::EarlyWarning && i.title.contains("早期警戒情報")),
        "never again as a JPCERT/CC public item: {:?}",
        draft.items
    );
}
