//! 連絡先確認 against the real database, SMTP server and HTTP: a prefecture administrator sees
//! its coverage and starts a campaign; each address gets a one-click link that records nothing
//! when opened and confirms when pressed; an organisation admin confirms from the settings page;
//! forged and expired links are refused; a confirmation clears an unreachable address.

use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::workers::Outcome;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{add_contacts, tokyo, user};
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn a_prefecture_asks_its_municipalities_to_confirm_and_they_do_in_one_click() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    // Every Tokyo organisation but the last has one address.
    add_contacts(&app.ctx, &orgs[..62], 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "140007",
        Role::PrefectureAdmin,
        "sec@pref.kanagawa.lg.jp",
    )
    .await;
    user(&app.ctx, "131024", Role::OrgAdmin, "admin@city.chuo.lg.jp").await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;

    let mut tokyo_admin = Browser::new(&app.address);
    tokyo_admin.log_in("sec@metro.tokyo.lg.jp", PASSWORD).await;
    let page = tokyo_admin.get("/contacts/coverage").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("63 団体 ・ アドレスなし <strong>1</strong> ・ 届かないアドレスのみ <strong>0</strong> ・ 12か月以上未確認 <strong>62</strong>"),
        "{}",
        page.body
    );
    // Kanagawa's administrator sees Kanagawa's organisations, not Tokyo's.
    let mut kanagawa = Browser::new(&app.address);
    kanagawa.log_in("sec@pref.kanagawa.lg.jp", PASSWORD).await;
    let theirs = kanagawa.get("/contacts/coverage").await;
    assert!(theirs.body.contains("神奈川県") && !theirs.body.contains("千代田区"));
    // A municipality's member may not see coverage or start a campaign.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    assert_eq!(
        member.get("/contacts/coverage").await.status,
        StatusCode::FORBIDDEN
    );

    let csrf = page.hidden("csrf");
    // The first press shows what would go out and sends nothing.
    let plan = tokyo_admin
        .post("/contacts/coverage/campaign", &[("csrf", &csrf)])
        .await;
    assert_eq!(plan.status, StatusCode::OK);
    assert!(
        plan.body.contains(
            "62 団体の 62 件のアドレスに確認依頼のメールを送ります（アドレスのない団体 1）"
        ),
        "{}",
        plan.body
    );
    assert_eq!(
        noroshi::jobs::send_notice(&app.ctx).await.unwrap(),
        Outcome::Idle
    );
    let started = tokyo_admin
        .post(
            "/contacts/coverage/campaign",
            &[("csrf", &csrf), ("reach", "gaps"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(started.status, StatusCode::OK);
    assert!(
        started
            .body
            .contains("62 団体の 62 件の連絡先に確認を依頼しました（アドレスのない団体 1）"),
        "{}",
        started.body
    );
    while noroshi::jobs::send_notice(&app.ctx).await.unwrap() == Outcome::Worked {}
    let mails = app.smtp.received();
    assert_eq!(mails.len(), 62, "one request per address");
    let chiyoda_mail = mails
        .iter()
        .find(|t| t.rcpt_to[0].contains("@131016."))
        .unwrap();
    let text = mail_parser::MessageParser::default()
        .parse(&chiyoda_mail.data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(
        text.contains("千代田区") && text.contains(&chiyoda_mail.rcpt_to[0]),
        "{text}"
    );
    let at = text.find("/contacts/confirm/").expect("a one-click link");
    let path: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();

    // Opening records nothing; pressing confirms.
    let mut anyone = Browser::new(&app.address);
    let shown = anyone.get(&path).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains(&chiyoda_mail.rcpt_to[0]));
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let confirmed = |org| async move {
        noroshi::contacts::store::list_for_org(db, org)
            .await
            .unwrap()
            .iter()
            .all(|c| c.confirmed_at.is_some())
    };
    assert!(!confirmed(chiyoda.id).await, "opening records nothing");
    let done = anyone.post(&path, &[]).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("id=\"confirmed\""), "{}", done.body);
    assert!(confirmed(chiyoda.id).await);

    // An organisation admin confirms from the settings page; its unreachable mark goes.
    let chuo = orgs
        .iter()
        .find(|o| o.code.to_string() == "131024")
        .unwrap();
    let chuo_contact = noroshi::contacts::store::list_for_org(db, chuo.id)
        .await
        .unwrap()[0]
        .id;
    for _ in 0..3 {
        noroshi::contacts::store::count_hard_bounce(db, chuo_contact, 3, chrono::Utc::now())
            .await
            .unwrap();
    }
    let mut chuo_admin = Browser::new(&app.address);
    chuo_admin.log_in("admin@city.chuo.lg.jp", PASSWORD).await;
    let settings = chuo_admin.get("/settings").await;
    assert!(
        settings.body.contains("届きません（不達が続いています）"),
        "{}",
        settings.body
    );
    let csrf = settings.hidden("csrf");
    let r = chuo_admin
        .post("/settings/contacts/confirm", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let c = &noroshi::contacts::store::list_for_org(db, chuo.id)
        .await
        .unwrap()[0];
    assert!(c.confirmed_at.is_some() && !c.unreachable && c.hard_bounces == 0);
    let audited = noroshi::audit::recent(db, Some("organisation:131024"), 10)
        .await
        .unwrap();
    assert!(audited.iter().any(|e| e.action == "contact.confirm"));

    let after = tokyo_admin.get("/contacts/coverage").await;
    assert!(
        after.body.contains("12か月以上未確認 <strong>60</strong>"),
        "{}",
        after.body
    );

    // A forged token is not found; an expired one is gone, and so is an organisation-wide
    // link of the earlier kind (it would confirm every address at once).
    let day = noroshi::contacts::confirm::day_of(chrono::Utc::now());
    let chiyoda_contact = noroshi::contacts::store::list_for_org(db, chiyoda.id)
        .await
        .unwrap()[0]
        .id;
    let bad = format!("/contacts/confirm/c{chiyoda_contact}-{day}-aaaaaaaaaaaaaaaa");
    assert_eq!(anyone.get(&bad).await.status, StatusCode::NOT_FOUND);
    assert_eq!(anyone.post(&bad, &[]).await.status, StatusCode::NOT_FOUND);
    let old = app.ctx.mailer.verp.contact_token(chiyoda_contact, day - 61);
    assert_eq!(
        anyone.get(&format!("/contacts/confirm/{old}")).await.status,
        StatusCode::GONE
    );
    let org_wide = app.ctx.mailer.verp.confirm_token(chiyoda.id, day);
    assert_eq!(
        anyone
            .post(&format!("/contacts/confirm/{org_wide}"), &[])
            .await
            .status,
        StatusCode::GONE
    );
    app.stop().await;
}
