//! The return channel against the real database and SMTP server: real message files (bounces in
//! the shapes postfix, Exchange, qmail and a Japanese LGWAN gateway send, auto-replies, replies
//! as gateways deliver them) dropped into the inbound Maildir, read by the worker.

use noroshi::acks::AckState;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store::{self as ledger, DeliveryStatus, LedgerRow};
use noroshi::delivery::worker::Lane;
use noroshi::domain::ids::AlertId;
use noroshi::inbound::{self, Outcome};

use crate::helpers::TestApp;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo};
use crate::helpers::spawn_app;

/// A fixture with the run's VERP address, recipient, contact and reply code filled in.
fn fixture(name: &str, fill: &[(&str, &str)]) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/inbound/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (k, v) in fill {
        let key = if k.contains('@') {
            (*k).to_owned()
        } else {
            format!("{{{{{k}}}}}")
        };
        while let Some(at) = bytes.windows(key.len()).position(|w| w == key.as_bytes()) {
            bytes.splice(at..at + key.len(), v.bytes());
        }
    }
    bytes
}

/// Delivers a message into the inbound Maildir as our MTA would: with its verdict on the sender
/// on top (`helpers::mail::vouched`).
fn drop_in(app: &TestApp, name: &str, bytes: &[u8]) {
    let dir = inbound::maildir(&app.ctx.settings);
    noroshi::maildir::ensure(&dir).unwrap();
    std::fs::write(
        dir.join("new").join(name),
        crate::helpers::mail::vouched(bytes),
    )
    .unwrap();
}

async fn run(app: &TestApp) -> Vec<inbound::Processed> {
    inbound::process_maildir(&app.ctx.inbox(), &inbound::maildir(&app.ctx.settings), 1000)
        .await
        .unwrap()
}

struct Sent {
    central: crate::helpers::mail::Central,
    alert_id: AlertId,
    rows: Vec<LedgerRow>,
}

/// A drill to Tokyo with two contacts per organisation, sent.
async fn sent_drill(app: &TestApp) -> Sent {
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 2, |i| {
        if i % 2 == 0 {
            MailEncoding::Iso2022Jp
        } else {
            MailEncoding::Utf8
        }
    })
    .await;
    let (alert_id, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            drill: true,
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    Sent {
        central,
        alert_id,
        rows: ledger::for_alert(&app.ctx.db, alert_id).await.unwrap(),
    }
}

#[tokio::test]
async fn bounces_of_every_shape_find_their_ledger_row_and_count_against_the_contact() {
    let app = spawn_app().await;
    let sent = sent_drill(&app).await;
    let verp = &app.ctx.mailer.verp;
    let shapes = [
        ("dsn-postfix.eml", Some("5.1.1")),
        ("exchange-ndr.eml", Some("5.1.10")),
        ("qmail-failure.eml", Some("5.1.1")),
        ("jp-gateway.eml", None),
    ];
    for (i, (file, _)) in shapes.iter().enumerate() {
        let row = &sent.rows[i];
        let bytes = fixture(
            file,
            &[
                ("RETURN_PATH", &verp.return_path(row.id)),
                ("RCPT", &row.email),
            ],
        );
        drop_in(&app, &format!("b{i}.host"), &bytes);
    }
    let done = run(&app).await;
    assert_eq!(done.len(), 4);
    let rows = ledger::for_alert(&app.ctx.db, sent.alert_id).await.unwrap();
    for (i, (file, status)) in shapes.iter().enumerate() {
        assert_eq!(done[i].outcome, Outcome::Recorded, "{file}: {:?}", done[i]);
        assert_eq!(done[i].delivery_id, Some(sent.rows[i].id), "{file}");
        let row = rows.iter().find(|r| r.id == sent.rows[i].id).unwrap();
        assert_eq!(row.status, DeliveryStatus::Bounced, "{file}");
        assert_eq!(row.bounce_status.as_deref(), *status, "{file}");
        assert!(
            !row.bounce_reason.as_deref().unwrap_or_default().is_empty(),
            "{file}: a reason"
        );
    }
    // Everyone else is still sent.
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == DeliveryStatus::Sent)
            .count(),
        rows.len() - 4
    );
    // A permanent bounce counts against the contact.
    let c = noroshi::contacts::store::list_for_org(&app.ctx.db, sent.rows[0].organisation_id)
        .await
        .unwrap();
    let bounced = c.iter().find(|c| c.id == sent.rows[0].contact_id).unwrap();
    assert_eq!((bounced.hard_bounces, bounced.unreachable), (1, false));

    // The same bounce again changes nothing; a delay warning marks nothing.
    let again = fixture(
        "dsn-postfix.eml",
        &[
            ("RETURN_PATH", &verp.return_path(sent.rows[0].id)),
            ("RCPT", &sent.rows[0].email),
        ],
    );
    drop_in(&app, "again.host", &again);
    let delayed = fixture(
        "dsn-delayed.eml",
        &[
            ("RETURN_PATH", &verp.return_path(sent.rows[5].id)),
            ("RCPT", &sent.rows[5].email),
        ],
    );
    drop_in(&app, "delayed.host", &delayed);
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Duplicate);
    assert_eq!(done[1].outcome, Outcome::Recorded);
    assert!(done[1].detail.contains("delay"), "{}", done[1].detail);
    let row5 = ledger::for_alert(&app.ctx.db, sent.alert_id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == sent.rows[5].id)
        .unwrap();
    assert_eq!(row5.status, DeliveryStatus::Sent);

    // A bounce to a forged VERP address (another row's number, the wrong check) names no row.
    let real = verp.return_path(sent.rows[6].id);
    let forged = real.replacen(
        &format!("+{}-", sent.rows[6].id),
        &format!("+{}-", sent.rows[7].id),
        1,
    );
    let bytes = fixture(
        "exchange-ndr.eml",
        &[("RETURN_PATH", &forged), ("RCPT", &sent.rows[7].email)],
    );
    // A Message-ID of its own, so it is not taken for the earlier report.
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("ndr-77@", "ndr-78@");
    drop_in(&app, "forged.host", text.as_bytes());
    let dir = inbound::maildir(&app.ctx.settings);
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Pending, "{:?}", done[0]);
    assert_eq!(done[0].delivery_id, None);
    // Refused and waiting messages are flagged in cur/ for the operator.
    assert!(dir.join("cur/forged.host:2,FS").is_file());
    app.stop().await;
}

#[tokio::test]
async fn repeated_hard_bounces_make_a_contact_unreachable() {
    let app = spawn_app_with_limit(2).await;
    let sent = sent_drill(&app).await;
    let verp = &app.ctx.mailer.verp;
    let central = &sent.central;
    // A second drill to the same contacts: the same contact bounces twice.
    let (second, _) = publish_alert(
        &app.ctx,
        central,
        Draft {
            drill: true,
            title: "二回目の訓練",
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let contact = sent.rows[0].contact_id;
    let rows2 = ledger::for_alert(&app.ctx.db, second).await.unwrap();
    let again = rows2.iter().find(|r| r.contact_id == contact).unwrap();
    for (n, row) in [&sent.rows[0], again].into_iter().enumerate() {
        let bytes = fixture(
            "qmail-failure.eml",
            &[
                ("RETURN_PATH", &verp.return_path(row.id)),
                ("RCPT", &row.email),
            ],
        );
        let text = String::from_utf8(bytes)
            .unwrap()
            .replace("qmail-1@", &format!("qmail-{n}x@"));
        drop_in(&app, &format!("q{n}.host"), text.as_bytes());
    }
    run(&app).await;
    let c = noroshi::contacts::store::list_for_org(&app.ctx.db, sent.rows[0].organisation_id)
        .await
        .unwrap();
    let c = c.iter().find(|c| c.id == contact).unwrap();
    assert_eq!((c.hard_bounces, c.unreachable), (2, true));
    assert_eq!(
        c.health(chrono::Utc::now()),
        noroshi::contacts::Health::Unreachable
    );
    app.stop().await;
}

async fn spawn_app_with_limit(limit: u32) -> TestApp {
    crate::helpers::spawn_app_with(move |s| s.mail.hard_bounce_limit = limit).await
}

#[tokio::test]
async fn replies_acknowledge_only_from_the_organisations_own_address_and_auto_replies_never() {
    let app = spawn_app().await;
    let sent = sent_drill(&app).await;
    let verp = &app.ctx.mailer.verp;
    let row = &sent.rows[0];
    let org = row.organisation_id;
    let code = verp.reply_code(sent.alert_id, org);
    // The code is in the mail the contact received.
    let mail = app
        .smtp
        .received()
        .into_iter()
        .find(|t| t.rcpt_to == [row.email.clone()])
        .unwrap();
    let raw = String::from_utf8_lossy(&mail.data).into_owned();
    let decoded = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(decoded.contains(&code), "the mail names its reply code");
    assert!(decoded.contains("問合せ先"), "and whom to ask");
    let fill = [
        ("REPLY_CODE", code.as_str()),
        ("CONTACT", row.email.as_str()),
    ];
    let state = |app: &TestApp| {
        let db = app.ctx.db.clone();
        let alert = sent.alert_id;
        async move {
            noroshi::acks::store::current(&db, alert, org)
                .await
                .unwrap()
                .map(|k| k.state.as_str().to_owned())
        }
    };

    // An out-of-office note with the code is recorded and never counted.
    drop_in(&app, "1.oof", &fixture("autoreply-jp.eml", &fill));
    // A question becomes a 照会 for the desk (`inquiries` follows it), never an answer.
    drop_in(&app, "2.question", &fixture("reply-question.eml", &fill));
    let done = run(&app).await;
    assert_eq!(
        (done[0].kind, done[0].outcome),
        ("auto_reply", Outcome::Recorded),
        "{:?}",
        done[0]
    );
    assert_eq!(
        (done[1].kind, done[1].outcome),
        ("reply", Outcome::Recorded)
    );
    assert!(done[1].detail.contains("照会 #"), "{:?}", done[1]);
    assert_eq!(state(&app).await, None, "nothing acknowledged yet");

    // The same text from elsewhere is refused and audited.
    drop_in(
        &app,
        "3.elsewhere",
        &fixture("reply-from-elsewhere.eml", &fill),
    );
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Refused, "{:?}", done[0]);
    assert_eq!(state(&app).await, None);
    let audited =
        noroshi::audit::recent(&app.ctx.db, Some(&format!("alert:{}", sent.alert_id)), 50)
            .await
            .unwrap();
    assert!(
        audited
            .iter()
            .any(|e| e.action == "inbound.reply_refused" && e.detail.contains("attacker.example"))
    );

    // Another organisation's contact quoting this organisation's code is refused too.
    let other = sent.rows.iter().find(|r| r.organisation_id != org).unwrap();
    let wrong = fixture(
        "reply-done-iso2022jp.eml",
        &[
            ("REPLY_CODE", code.as_str()),
            ("CONTACT", other.email.as_str()),
            // A message of its own (the fixture's Message-ID is the legitimate reply's).
            ("reply-done-1@", "reply-other-1@"),
        ],
    );
    drop_in(&app, "4.other-org", &wrong);
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Refused);

    // An HTML reply from the contact, first line 受領, records 受領 by mail reply.
    drop_in(&app, "5.html", &fixture("reply-received-html.eml", &fill));
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Recorded, "{:?}", done[0]);
    assert_eq!(
        state(&app).await.as_deref(),
        Some(AckState::Received.as_str())
    );

    // ISO-2022-JP, links stripped, the original quoted: 対応完了. Delivered twice: one event.
    let done_reply = fixture("reply-done-iso2022jp.eml", &fill);
    drop_in(&app, "6.done", &done_reply);
    drop_in(&app, "7.done-again", &done_reply);
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Recorded, "{:?}", done[0]);
    assert_eq!(done[1].outcome, Outcome::Duplicate);
    assert_eq!(state(&app).await.as_deref(), Some(AckState::Done.as_str()));
    let history = noroshi::acks::store::history(&app.ctx.db, sent.alert_id, org)
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "受領 then 対応完了, once each");
    assert!(
        history
            .iter()
            .all(|e| e.channel == noroshi::acks::Channel::MailReply)
    );
    assert!(history[1].actor.starts_with("mail-reply:"));
    app.stop().await;
}

#[tokio::test]
async fn garbage_and_oversized_files_wait_for_an_operator_and_change_nothing() {
    let app = spawn_app().await;
    let sent = sent_drill(&app).await;
    drop_in(&app, "1.garbage", b"\x00\x01not mail at all");
    drop_in(
        &app,
        "2.huge",
        &vec![b'a'; noroshi::inbound::read::MAX_BYTES + 10],
    );
    let done = run(&app).await;
    assert_eq!(done.len(), 2);
    assert!(
        done.iter().all(|p| p.outcome == Outcome::Pending),
        "{done:?}"
    );
    let rows = ledger::for_alert(&app.ctx.db, sent.alert_id).await.unwrap();
    assert!(rows.iter().all(|r| r.status == DeliveryStatus::Sent));
    let waiting = noroshi::inbound::store::for_operator(&app.ctx.db, 10)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_bounce_of_a_notice_marks_the_notice_and_counts_against_the_address() {
    let app = spawn_app().await;
    let orgs = tokyo(&app.ctx).await;
    let contacts = add_contacts(&app.ctx, &orgs[1..3], 1, |_| MailEncoding::Utf8).await;
    noroshi::contacts::confirm::start_campaign(
        &app.ctx.db,
        &app.ctx.contact_links(),
        &orgs[1..3],
        "test",
        noroshi::contacts::confirm::Reach::Everyone,
        &noroshi::audit::Actor::System,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(crate::helpers::mail::send_notices(&app.ctx).await, 2);
    // Each went out from its own notice address.
    let sent = app.smtp.received();
    assert_eq!(sent.len(), 2);
    let verp = &app.ctx.mailer.verp;
    let notice_of = |i: usize| match verp.returned_of(&sent[i].mail_from) {
        Some(noroshi::keys::tokens::Returned::Notice(id)) => id,
        other => panic!("{} names {other:?}", sent[i].mail_from),
    };
    let (first, second) = (notice_of(0), notice_of(1));
    assert_ne!(first, second);

    let bounce = fixture(
        "dsn-postfix.eml",
        &[
            ("RETURN_PATH", &verp.notice_return_path(first)),
            ("RCPT", &sent[0].rcpt_to[0]),
        ],
    );
    drop_in(&app, "a-notice.host", &bounce);
    // The same number with a delivery's check, and a notice number with another's check: no row.
    let forged = verp.notice_return_path(second).replacen(
        &format!("+n{second}-"),
        &format!("+n{first}-"),
        1,
    );
    let text = String::from_utf8(fixture(
        "dsn-postfix.eml",
        &[("RETURN_PATH", &forged), ("RCPT", &sent[1].rcpt_to[0])],
    ))
    .unwrap()
    .replace("ABC1@", "ABC2@");
    drop_in(&app, "b-forged.host", text.as_bytes());
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Recorded, "{:?}", done[0]);
    assert_eq!(done[0].notice_id, Some(first));
    assert_eq!(done[1].outcome, Outcome::Pending, "{:?}", done[1]);
    assert_eq!(done[1].notice_id, None);

    let bounced_to = &sent[0].rcpt_to[0];
    let c = contacts
        .iter()
        .find(|c| c.email.as_str() == bounced_to)
        .unwrap();
    let now = noroshi::contacts::store::list_for_org(&app.ctx.db, c.org_id)
        .await
        .unwrap();
    assert_eq!((now[0].hard_bounces, now[0].unreachable), (1, false));
    use sea_orm::EntityTrait;
    let n = noroshi::db::entities::admin_notices::Entity::find_by_id(first)
        .one(&app.ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.bounce_status.as_deref(), Some("5.1.1"));
    assert!(
        n.bounce_reason
            .as_deref()
            .is_some_and(|r| r.contains("User unknown in local recipient table")),
        "unfolded: {:?}",
        n.bounce_reason
    );
    assert_eq!(noroshi::notices::store::state_ja(&n), "届きませんでした");
    app.stop().await;
}
