//! Acknowledging from mail: every alert mail carries its organisation's link; opening it (GET)
//! records nothing; the button (POST) records the state for that organisation only; tampered,
//! expired and withdrawn links record nothing; only the token's hash is stored.

use std::collections::{BTreeMap, BTreeSet};

use noroshi::alerts::publish;
use noroshi::contacts::MailEncoding;
use noroshi::db::entities::ack_links;
use noroshi::delivery::worker::Lane;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::browser::Browser;
use crate::helpers::mail::{
    Draft, add_contacts, central_users, drain, publish_alert, publish_revision, tokyo,
};
use crate::helpers::spawn_app;

/// The acknowledgement link in a mail's text, if any.
fn link_in(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("http") && l.contains("/ack/"))
        .map(str::to_owned)
}

fn texts(received: &[noroshi::smtp_sink::Transaction]) -> Vec<(String, String)> {
    received
        .iter()
        .map(|t| {
            let parsed = mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .unwrap();
            (
                t.rcpt_to[0].clone(),
                parsed.body_text(0).unwrap().into_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_mailed_link_records_nothing_when_opened_and_one_state_when_confirmed() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    // 千代田区 and 中央区, two contacts each (one ISO-2022-JP).
    add_contacts(&app.ctx, &orgs[1..3], 2, |i| {
        if i % 2 == 1 {
            MailEncoding::Iso2022Jp
        } else {
            MailEncoding::Utf8
        }
    })
    .await;
    let (alert_id, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016", "org:131024"],
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let mails = texts(&app.smtp.received());
    assert_eq!(mails.len(), 4);
    // One link per organisation: both of its contacts get the same one, the other org another.
    let mut by_org: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rcpt, text) in &mails {
        let link = link_in(text).unwrap_or_else(|| panic!("no link in {text}"));
        assert!(text.contains("開くだけでは何も記録されません"));
        assert!(
            text.contains("受信一覧"),
            "the portal path stays for stripped links"
        );
        let code = rcpt.split('@').nth(1).unwrap()[..6].to_owned();
        by_org.entry(code).or_default().insert(link);
    }
    assert_eq!(by_org.len(), 2);
    assert!(by_org.values().all(|links| links.len() == 1));
    let chiyoda_link = by_org["131016"].iter().next().unwrap().clone();
    let chuo_link = by_org["131024"].iter().next().unwrap().clone();
    assert_ne!(chiyoda_link, chuo_link);
    let path = chiyoda_link
        .split_once("/ack/")
        .map(|(_, t)| format!("/ack/{t}"))
        .unwrap();
    let token = path.trim_start_matches("/ack/").to_owned();

    // Only the hash is stored.
    let rows = ack_links::Entity::find().all(&app.ctx.db).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.token_hash.len() == 64
            && r.token_hash != token
            && !token.contains(&r.nonce))
    );

    // GET (what a mail scanner does), twice: a page, and nothing recorded.
    let chiyoda_id = orgs[1].id;
    for _ in 0..2 {
        let page = app.get(&path).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()["referrer-policy"], "no-referrer");
        let body = page.text().await.unwrap();
        assert!(
            body.contains("東京都千代田区") && body.contains(&report.public_id),
            "{body}"
        );
        assert!(body.contains("開いただけでは何も記録されません"));
    }
    assert!(
        noroshi::acks::store::current(&app.ctx.db, alert_id, chiyoda_id)
            .await
            .unwrap()
            .is_none()
    );

    // POST: recorded for 千代田区 only, by the mail link, in the history and the audit log.
    let mut b = Browser::new(&app.address);
    let done = b
        .post(
            &path,
            &[("state", "in_progress"), ("note", "担当課で確認中")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("「対応中」として報告しました"));
    let ack = noroshi::acks::store::current(&app.ctx.db, alert_id, chiyoda_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ack.state.as_str(), ack.note.as_deref()),
        ("in_progress", Some("担当課で確認中"))
    );
    let history = noroshi::acks::store::history(&app.ctx.db, alert_id, chiyoda_id)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].channel, noroshi::acks::Channel::MailLink);
    assert!(history[0].actor.starts_with("mail-link:"));
    assert!(
        noroshi::acks::store::current(&app.ctx.db, alert_id, orgs[2].id)
            .await
            .unwrap()
            .is_none(),
        "中央区 is untouched"
    );
    let used = ack_links::Entity::find()
        .filter(ack_links::Column::OrganisationId.eq(chiyoda_id))
        .one(&app.ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert!(used.last_used_at.is_some());

    // Bad input changes nothing.
    let bad = b.post(&path, &[("state", "finished")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let long = "あ".repeat(2_001);
    let bad = b.post(&path, &[("state", "done"), ("note", &long)]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // A tampered token opens nothing.
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for p in [
        format!("/ack/{tampered}"),
        "/ack/1.short".to_owned(),
        "/ack/not-a-token".to_owned(),
    ] {
        assert_eq!(app.get(&p).await.status(), StatusCode::NOT_FOUND, "{p}");
        assert_eq!(
            b.post(&p, &[("state", "done")]).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        noroshi::acks::store::history(&app.ctx.db, alert_id, chiyoda_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Expired: 410, nothing recorded.
    ack_links::Entity::update_many()
        .col_expr(
            ack_links::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
        )
        .filter(ack_links::Column::OrganisationId.eq(chiyoda_id))
        .exec(&app.ctx.db)
        .await
        .unwrap();
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    let gone = b.post(&path, &[("state", "done")]).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(
        gone.body.contains("受信一覧"),
        "it says where to report instead"
    );
    assert_eq!(
        noroshi::acks::store::current(&app.ctx.db, alert_id, chiyoda_id)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str(),
        "in_progress"
    );

    // Withdrawn: the withdrawal mail has no link, and 中央区's link no longer records.
    let before = app.smtp.received().len();
    publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        alert_id,
        &central.approver,
        "誤報のため",
        None,
    )
    .await
    .unwrap();
    drain(&app.ctx, Lane::All).await;
    let all = texts(&app.smtp.received());
    for (_, text) in &all[before..] {
        assert!(text.contains("取消"), "{text}");
        assert!(
            link_in(text).is_none(),
            "a withdrawal carries no link: {text}"
        );
    }
    let chuo_path = chuo_link
        .split_once("/ack/")
        .map(|(_, t)| format!("/ack/{t}"))
        .unwrap();
    let page = app.get(&chuo_path).await.text().await.unwrap();
    assert!(page.contains("取り消されました") && !page.contains("報告する</button>"));
    let refused = b.post(&chuo_path, &[("state", "done")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        noroshi::acks::store::current(&app.ctx.db, alert_id, orgs[2].id)
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_revision_keeps_the_organisations_link_and_extends_it() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[1..2], 1, |_| MailEncoding::Utf8).await;
    let (alert_id, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let first = ack_links::Entity::find()
        .one(&app.ctx.db)
        .await
        .unwrap()
        .unwrap();
    publish_revision(
        &app.ctx,
        &central,
        alert_id,
        publish::Edit {
            body: Some("修正版が公開されました。".into()),
            changes: Some("修正版の公開".into()),
            ..Default::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let mails = texts(&app.smtp.received());
    assert_eq!(mails.len(), 2);
    assert_eq!(
        link_in(&mails[0].1),
        link_in(&mails[1].1),
        "same organisation, same link"
    );
    let after = ack_links::Entity::find().all(&app.ctx.db).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].expires_at >= first.expires_at);
    app.stop().await;
}
