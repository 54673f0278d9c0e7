//! Reminders and escalation against the real database and SMTP server: silent organisations are
//! reminded once after the policy's hours, silent municipalities are escalated to their
//! prefecture (one mail, a board mark), and everything is in the ledger and the audit log.

use chrono::{Duration, Utc};
use noroshi::acks::follow_up::{self, FollowUpReport};
use noroshi::acks::{AckState, Channel};
use noroshi::audit::Actor;
use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::worker::Lane;
use noroshi::domain::Severity;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{
    Draft, add_contacts, central_users, drain, header, publish_alert, tokyo, user,
};
use crate::helpers::spawn_app;

#[tokio::test]
async fn silent_organisations_are_reminded_once_and_silent_municipalities_escalated() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let policy = &app.ctx.policy;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    let (id, report) = publish_alert(&app.ctx, &central, Draft::default()).await;
    // Info alerts ask for no acknowledgement and are never followed up.
    let (_, quiet) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            severity: Severity::Info,
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let sent_first = app.smtp.received().len();
    assert_eq!(sent_first, 63 * 2);

    // Central staff never acknowledge for an organisation, whichever channel calls: the rule is
    // the capability's own.
    let tokyo_id = orgs
        .iter()
        .find(|o| o.code.to_string() == "130001")
        .unwrap()
        .id;
    let refused = noroshi::acks::acknowledge(
        db,
        id,
        tokyo_id,
        AckState::Received,
        None,
        &Actor::System,
        Some(noroshi::auth::Role::CentralOperator),
        Channel::Api,
    )
    .await;
    assert!(
        matches!(refused, Err(noroshi::acks::AckError::Central)),
        "{refused:?}"
    );
    assert!(
        noroshi::acks::store::current(db, id, tokyo_id)
            .await
            .unwrap()
            .is_none(),
        "and nothing is stored"
    );

    // 東京都 itself and ten municipalities answer at once.
    let acknowledge = |code: &str| {
        let org = orgs.iter().find(|o| o.code.to_string() == code).unwrap().id;
        async move {
            noroshi::acks::acknowledge(
                db,
                id,
                org,
                AckState::Received,
                None,
                &Actor::System,
                None,
                Channel::Portal,
            )
            .await
            .unwrap();
        }
    };
    let acknowledge_done = |code: &str| {
        let org = orgs.iter().find(|o| o.code.to_string() == code).unwrap().id;
        async move {
            noroshi::acks::acknowledge(
                db,
                id,
                org,
                AckState::Done,
                None,
                &Actor::System,
                None,
                Channel::Portal,
            )
            .await
            .unwrap();
        }
    };
    let answered: Vec<String> = orgs
        .iter()
        .filter(|o| o.code.to_string() != "130001")
        .take(10)
        .map(|o| o.code.to_string())
        .chain(["130001".to_owned()])
        .collect();
    for code in &answered {
        acknowledge(code).await;
    }

    let start = Utc::now();
    assert_eq!(
        follow_up::run(db, policy, start).await.unwrap(),
        FollowUpReport::default(),
        "nothing is due at once"
    );
    // Critical: reminders after 6 hours.
    let reminded = follow_up::run(db, policy, start + Duration::hours(7))
        .await
        .unwrap();
    assert_eq!(reminded.reminded, 52);
    assert_eq!(reminded.mails, 52);
    assert_eq!(reminded.escalated, 0);
    drain(&app.ctx, Lane::All).await;
    let reminders = app.smtp.received()[sent_first..].to_vec();
    assert_eq!(reminders.len(), 52);
    for t in &reminders {
        let raw = t.data_str();
        let rcpt = &t.rcpt_to[0];
        assert!(
            !answered.iter().any(|c| rcpt.contains(&format!("@{c}."))),
            "{rcpt} answered and is not reminded"
        );
        assert_eq!(
            header(&raw, "X-Noroshi-Follow-Up").as_deref(),
            Some("reminder")
        );
        assert!(
            header(&raw, "In-Reply-To")
                .unwrap()
                .contains(&report.public_id)
        );
    }
    // Once only.
    assert_eq!(
        follow_up::run(db, policy, start + Duration::hours(8))
            .await
            .unwrap(),
        FollowUpReport::default()
    );

    // Two more answer after the reminder; at 13 hours the rest are escalated to 東京都.
    let late: Vec<String> = orgs
        .iter()
        .map(|o| o.code.to_string())
        .filter(|c| !answered.contains(c))
        .take(2)
        .collect();
    for code in &late {
        acknowledge(code).await;
    }
    let escalated = follow_up::run(db, policy, start + Duration::hours(13))
        .await
        .unwrap();
    assert_eq!(escalated.escalated, 50);
    assert_eq!(escalated.prefectures, 1);
    assert_eq!(escalated.mails, 1, "one mail to 東京都's one contact");
    assert_eq!(escalated.reminded, 0);
    drain(&app.ctx, Lane::All).await;
    let all = app.smtp.received();
    let escalation = all.last().unwrap();
    assert!(
        escalation.rcpt_to[0].contains("@130001."),
        "{:?}",
        escalation.rcpt_to
    );
    let raw = escalation.data_str();
    assert_eq!(
        header(&raw, "X-Noroshi-Follow-Up").as_deref(),
        Some("escalation")
    );
    assert_eq!(all.len(), sent_first + 53);
    // Past the deadline (24 h for 緊急), nobody is reminded or escalated again; the 13 that
    // reported 受領 but not 対応完了 are asked once a day until they do.
    let chased = follow_up::run(db, policy, start + Duration::hours(48))
        .await
        .unwrap();
    assert_eq!(
        chased,
        FollowUpReport {
            chased: 13,
            mails: 13,
            ..FollowUpReport::default()
        },
        "escalated once; the unfinished chased"
    );
    assert_eq!(
        follow_up::run(db, policy, start + Duration::hours(60))
            .await
            .unwrap(),
        FollowUpReport::default(),
        "at most one a day"
    );
    // One finishes; the next day the other 12 are asked again.
    acknowledge_done(answered[0].as_str()).await;
    let again = follow_up::run(db, policy, start + Duration::hours(73))
        .await
        .unwrap();
    assert_eq!((again.chased, again.mails), (12, 12));
    drain(&app.ctx, Lane::All).await;
    let chase_mail = app.smtp.received().last().unwrap().data_str();
    assert_eq!(
        header(&chase_mail, "X-Noroshi-Follow-Up").as_deref(),
        Some("chase")
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(chase_mail.as_bytes())
        .unwrap();
    assert!(parsed.subject().unwrap().contains("【対応状況の確認】"));
    assert!(parsed.body_text(0).unwrap().contains("「対応完了」を"));

    // The ledger has them by kind; the audit log names them.
    let rows = noroshi::delivery::store::for_alert(db, id).await.unwrap();
    let kind = |k: &str| rows.iter().filter(|r| r.kind.as_str() == k).count();
    assert_eq!(
        (
            kind("alert"),
            kind("reminder"),
            kind("escalation"),
            kind("chase")
        ),
        (63, 52, 1, 25)
    );
    assert!(
        rows.iter()
            .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
    );
    assert!(
        noroshi::delivery::store::for_alert(db, quiet.alert_id)
            .await
            .unwrap()
            .iter()
            .all(|r| r.kind == noroshi::delivery::store::Kind::Alert)
    );
    let audited = noroshi::audit::recent(db, Some(&format!("alert:{id}")), 50)
        .await
        .unwrap();
    assert!(audited.iter().any(|e| e.action == "ack.remind"));
    assert!(audited.iter().any(|e| e.action == "ack.escalate"));
    assert!(audited.iter().any(|e| e.action == "ack.chase"));

    // The prefecture's board marks the silent municipalities.
    let mut tokyo_staff = Browser::new(&app.address);
    tokyo_staff
        .log_in("sec@metro.tokyo.lg.jp", "correct horse battery staple")
        .await;
    let board = tokyo_staff
        .get(&format!("/alerts/{}/board", report.public_id))
        .await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(
        board.body.contains("都道府県へ連絡済みの市区町村: 50 団体"),
        "{}",
        board.body
    );
    assert_eq!(board.body.matches("督促・県へ連絡済").count(), 50);
}
