//! メールマガジン subscriptions over real HTTP, the real database and the real SMTP server:
//! double opt-in at a registered organisation's mail domain, confirmation links that expire,
//! and one-click unsubscribe (RFC 8058) without a session, idempotent, for self-subscribed staff
//! and for organisations' contact addresses alike.

use chrono::{Duration, Utc};
use noroshi::contacts::MailEncoding;
use noroshi::db::entities::{admin_notices, audit_log, magazine_optouts, magazine_subscribers};
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
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let http = reqwest::Client::new();
    let subscribe = |email: &'static str| {
        http.post(app.url("/magazine/subscribe"))
            .form(&[("email", email), ("language", "ja"), ("encoding", "utf-8")])
            .send()
    };

    // The form is public.
    let form = app.get("/magazine/subscribe").await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("メールマガジンの購読"));

    // Outside every registered domain, or not an address: refused, saying why; nothing stored
    // and nothing mailed.
    let outside = subscribe("tanaka@gmail.com").await.unwrap();
    assert_eq!(outside.status(), StatusCode::BAD_REQUEST);
    let text = outside.text().await.unwrap();
    assert!(
        text.contains("gmail.com is not at the mail domain of a registered organisation"),
        "{text}"
    );
    let malformed = subscribe("not an address").await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(malformed.text().await.unwrap().contains("email:"));
    // A look-alike domain is not under a registered one.
    let lookalike = subscribe("x@evil131016.example.lg.jp").await.unwrap();
    assert_eq!(lookalike.status(), StatusCode::BAD_REQUEST);
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
        ("pending", chiyoda.id.0)
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
    let staff = format!("sato@{}.example.lg.jp", orgs[0].code);
    let asked_at = Utc::now() - Duration::hours(subscribers::CONFIRM_HOURS + 1);
    let r = subscribers::request(
        db,
        &app.ctx.mailer.verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "en",
        "iso-2022-jp",
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
        Utc::now() + Duration::minutes(subscribers::RESEND_MINUTES + 1),
    )
    .await
    .unwrap();
    assert_eq!(already, subscribers::Requested::AlreadyActive);
    let text = queued_notice_to(&app.ctx, &staff).await;
    assert!(text.contains("既に購読しています") && text.contains("/magazine/unsubscribe/"));
}
