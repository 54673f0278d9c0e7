//! Publishing and mail fan-out against the in-process SMTP server over TCP: one message per
//! recipient, the right subjects, Japanese that decodes back, DKIM that an independent verifier
//! accepts, threading of revisions, and a ledger row for every recipient.

use std::collections::{BTreeMap, BTreeSet};

use noroshi::alerts::publish::{self, Edit, PublishError};
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store as ledger;
use noroshi::delivery::worker::Lane;
use noroshi::domain::{Severity, Tlp};
use secrecy::SecretString;

use crate::helpers::mail::{
    Draft, add_contacts, central_users, drain, fixture, header, publish_alert, publish_revision,
    tokyo, verify_with_python,
};
use crate::helpers::{spawn_app, spawn_app_with};

fn dkim_settings(s: &mut noroshi::config::Settings) {
    s.mail.dkim_rsa_key = Some(fixture("test-rsa2048.pem"));
    s.mail.dkim_ed25519_key = Some(fixture("test-ed25519.pem"));
}

#[tokio::test]
async fn an_alert_to_tokyo_and_its_municipalities_is_one_transaction_per_contact() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    let contacts = add_contacts(&app.ctx, &orgs, 2, |_| MailEncoding::Utf8).await;
    let (alert_id, report) = publish_alert(&app.ctx, &central, Draft::default()).await;
    assert_eq!(
        (
            report.organisations,
            report.deliveries,
            report.without_contacts
        ),
        (63, 126, 0)
    );
    assert_eq!(
        report.public_id,
        format!("NRS-{}-0001", chrono::Utc::now().format("%Y"))
    );

    drain(&app.ctx, Lane::All).await;
    let received = app.smtp.received();
    assert_eq!(received.len(), 126, "one transaction per contact");
    let ledger_rows = noroshi::delivery::store::for_alert(&app.ctx.db, report.alert_id)
        .await
        .unwrap();
    let addresses: BTreeSet<String> = contacts.iter().map(|c| c.email.to_string()).collect();
    let mut seen = BTreeSet::new();
    for t in &received {
        assert_eq!(t.rcpt_to.len(), 1, "one RCPT per transaction");
        let rcpt = &t.rcpt_to[0];
        // The envelope sender is the delivery's own bounce address (VERP).
        assert!(
            t.mail_from.starts_with("bounce+") && t.mail_from.ends_with("@noroshi.example"),
            "{}",
            t.mail_from
        );
        let row = app
            .ctx
            .mailer
            .verp
            .delivery_of(&t.mail_from)
            .expect("a return path the hub can read back");
        assert!(
            ledger_rows.iter().any(|d| d.id == row && &d.email == rcpt),
            "{} names delivery {row}, not one to {rcpt}",
            t.mail_from
        );
        assert!(seen.insert(rcpt.clone()), "{rcpt} got two messages");
        let raw = t.data_str();
        assert_eq!(header(&raw, "To").as_deref(), Some(rcpt.as_str()));
        for other in addresses.iter().filter(|a| *a != rcpt) {
            assert!(
                !raw.contains(other.as_str()),
                "the message to {rcpt} names {other}"
            );
        }
        assert_eq!(
            header(&raw, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert!(header(&raw, "List-Id").is_some());
        assert!(
            header(&raw, "Precedence").is_none(),
            "Precedence: bulk is for digests only"
        );
        assert!(raw.is_ascii(), "headers and bodies are 7-bit clean");
        let parsed = mail_parser::MessageParser::default()
            .parse(t.data.as_slice())
            .unwrap();
        assert_eq!(
            parsed.subject(),
            Some(
                "[Noroshi][緊急][TLP:AMBER] Fortinet製FortiOSのSSL-VPN機能の脆弱性に関する注意喚起"
            )
        );
        let text = parsed.body_text(0).unwrap();
        assert!(
            text.contains(&format!("注意喚起 {}（第1報）", report.public_id)),
            "{text}"
        );
        assert!(
            text.contains(&format!("/alerts/{}", report.public_id)),
            "the portal path is in the text"
        );
        assert!(
            text.contains("対応期限:") && text.contains("JST"),
            "the deadline is shown in JST"
        );
        assert!(parsed.attachment_count() == 0, "no attachments");
    }
    assert_eq!(seen, addresses);

    let rows = ledger::for_alert(&app.ctx.db, alert_id).await.unwrap();
    assert_eq!(rows.len(), 126);
    for r in &rows {
        assert_eq!(
            r.status,
            noroshi::delivery::store::DeliveryStatus::Sent,
            "{r:?}"
        );
        assert_eq!(r.last_reply.as_deref(), Some("250 2.0.0 OK queued"));
        assert_eq!(r.attempts, 1);
        assert!(r.sent_at.is_some() && r.lease_owner.is_none());
        let mid = r.message_id.as_deref().unwrap();
        assert!(
            received
                .iter()
                .any(|t| t.data_str().contains(&format!("<{mid}>")))
        );
    }
}

#[tokio::test]
async fn utf8_and_iso_2022_jp_messages_decode_back_and_dkim_verifies_independently() {
    let app = spawn_app_with(dkim_settings).await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    // Alternate encodings so both kinds of message are signed and checked.
    add_contacts(&app.ctx, &orgs[..3], 2, |i| {
        if i % 2 == 0 {
            MailEncoding::Utf8
        } else {
            MailEncoding::Iso2022Jp
        }
    })
    .await;
    let title = "【重要】標的型攻撃メールへの注意について：全角ＡＢＣ１２３と半角ABC123";
    let body = "各団体の情報セキュリティ担当者様\n\n不審なメールの添付ファイルは開かず、速やかに報告してください。\n".repeat(20);
    publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["pref:13+"],
            title,
            body: &body,
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let received = app.smtp.received();
    assert_eq!(received.len(), 6);
    let dir = tempfile::TempDir::new().unwrap();
    let py = verify_with_python(
        dir.path(),
        &received.iter().map(|t| t.data.clone()).collect::<Vec<_>>(),
    );
    let expected_subject = format!("[Noroshi][緊急][TLP:AMBER] {title}");
    let mut jis = 0;
    for (t, m) in received.iter().zip(&py) {
        assert_eq!(
            m.dkim,
            vec![serde_json::json!(true), serde_json::json!(true)],
            "RSA and Ed25519 verify: {}",
            m.file
        );
        assert_eq!(m.to, t.rcpt_to[0]);
        assert_eq!(m.subject, expected_subject, "Python decodes the subject");
        let text = m.text.as_deref().unwrap().replace("\r\n", "\n");
        assert!(
            text.contains(title) && text.contains(body.trim()),
            "Python decodes the body: {text}"
        );
        let raw = t.data_str();
        if raw.contains("charset=ISO-2022-JP") {
            jis += 1;
            assert!(!m.html, "no HTML part for ISO-2022-JP readers");
            assert!(
                header(&raw, "Subject")
                    .unwrap()
                    .starts_with("=?ISO-2022-JP?B?")
            );
        } else {
            assert!(
                m.html,
                "UTF-8 readers get the HTML alternative after the text"
            );
        }
        for line in raw.split("\r\n") {
            assert!(line.len() <= 998, "no line over the SMTP limit");
        }
        for line in raw.split("\r\n\r\n").next().unwrap().split("\r\n") {
            assert!(
                line.len() <= 78 || line.starts_with("DKIM") || line.starts_with('\t'),
                "header lines are folded: {line}"
            );
        }
    }
    assert_eq!(jis, 3);
}

#[tokio::test]
async fn signing_cost_does_not_grow_with_recipients() {
    let app = spawn_app_with(dkim_settings).await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 2, |_| MailEncoding::Utf8).await;
    publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;
    let signatures: BTreeSet<String> = app
        .smtp
        .received()
        .iter()
        .map(|t| {
            let raw = t.data_str();
            let sig = raw.split("DKIM-Signature: ").nth(1).unwrap();
            sig.split("b=")
                .last()
                .unwrap()
                .split(":")
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Each organisation's mail carries its own acknowledgement link, so the content (and the
    // signature) is per organisation: 63 signatures for 126 recipients, never one per recipient.
    assert_eq!(
        signatures.len(),
        orgs.len(),
        "one RSA signature per organisation for 126 recipients"
    );
}

#[tokio::test]
async fn a_revision_threads_to_the_first_message_and_says_what_changed() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..2], 1, |_| MailEncoding::Utf8).await;
    let (id, first) = publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;

    let second = publish_revision(
        &app.ctx,
        &central,
        id,
        Edit {
            body: Some("修正版 7.4.3 が公開されました。直ちに更新してください。".into()),
            changes: Some("修正版の公開を追記しました。".into()),
            ..Edit::default()
        },
    )
    .await;
    assert_eq!(
        (second.revision, &second.public_id, second.deliveries),
        (2, &first.public_id, 2)
    );
    drain(&app.ctx, Lane::All).await;

    let received = app.smtp.received();
    assert_eq!(received.len(), 4);
    for rcpt in received
        .iter()
        .map(|t| t.rcpt_to[0].clone())
        .collect::<BTreeSet<_>>()
    {
        let mine: Vec<String> = received
            .iter()
            .filter(|t| t.rcpt_to[0] == rcpt)
            .map(|t| t.data_str())
            .collect();
        let (r1, r2) = (&mine[0], &mine[1]);
        let first_id = header(r1, "Message-ID").unwrap();
        assert!(header(r1, "In-Reply-To").is_none());
        assert_eq!(
            header(r2, "In-Reply-To").as_ref(),
            Some(&first_id),
            "第2報 replies to 第1報"
        );
        assert_eq!(header(r2, "References").as_ref(), Some(&first_id));
        assert_ne!(header(r2, "Message-ID").unwrap(), first_id);
        let parsed = mail_parser::MessageParser::default()
            .parse(r2.as_bytes())
            .unwrap();
        assert!(parsed.subject().unwrap().contains("[第2報]"));
        let text = parsed.body_text(0).unwrap();
        let changes = text
            .find("修正版の公開を追記しました。")
            .expect("what changed is there");
        assert!(
            changes < text.find("7.4.3").unwrap(),
            "what changed comes before the body"
        );
    }

    // Withdrawal: a notice to the same audience, threaded too.
    let w = publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        id,
        &central.approver,
        "誤った対象製品を記載していたため",
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.revision, 3);
    drain(&app.ctx, Lane::All).await;
    let received = app.smtp.received();
    assert_eq!(received.len(), 6);
    let notice = mail_parser::MessageParser::default()
        .parse(received[5].data.as_slice())
        .unwrap();
    assert!(
        notice.subject().unwrap().contains("[取消]"),
        "{:?}",
        notice.subject()
    );
    assert!(
        notice
            .body_text(0)
            .unwrap()
            .contains("誤った対象製品を記載していたため")
    );
    assert!(
        header(&received[5].data_str(), "References")
            .unwrap()
            .contains(".r2.")
    );
    let alert = noroshi::alerts::store::get(&app.ctx.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.status, noroshi::alerts::AlertStatus::Withdrawn);
}

#[tokio::test]
async fn drills_take_the_same_path_marked_as_drills_and_never_hold_up_urgent_alerts() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let (drill_id, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            title: "連絡体制の確認訓練",
            body: "受領を報告してください。",
            severity: Severity::High,
            drill: true,
            ..Draft::default()
        },
    )
    .await;
    let (urgent_id, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    // The urgent lane sends the urgent alert and leaves the drill queued.
    drain(&app.ctx, Lane::Urgent).await;
    let count = |rows: &[noroshi::delivery::store::LedgerRow], s: &str| {
        rows.iter().filter(|r| r.status.as_str() == s).count()
    };
    let urgent = ledger::for_alert(&app.ctx.db, urgent_id).await.unwrap();
    let drill = ledger::for_alert(&app.ctx.db, drill_id).await.unwrap();
    assert_eq!((count(&urgent, "sent"), count(&drill, "queued")), (63, 63));
    drain(&app.ctx, Lane::All).await;
    let drill = ledger::for_alert(&app.ctx.db, drill_id).await.unwrap();
    assert_eq!(count(&drill, "sent"), 63);
    let drills: Vec<_> = app
        .smtp
        .received()
        .into_iter()
        .filter(|t| t.data_str().contains("X-Noroshi-Drill: yes"))
        .collect();
    assert_eq!(drills.len(), 63);
    let parsed = mail_parser::MessageParser::default()
        .parse(drills[0].data.as_slice())
        .unwrap();
    assert!(parsed.subject().unwrap().starts_with("【訓練】[Noroshi]"));
    assert!(parsed.body_text(0).unwrap().starts_with("【訓練】"));
}

#[tokio::test]
async fn four_eyes_holds_and_every_step_is_audited() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    add_contacts(&app.ctx, &tokyo(&app.ctx).await[..1], 1, |_| {
        MailEncoding::Utf8
    })
    .await;
    let draft = noroshi::alerts::create_draft(
        &app.ctx.db,
        &app.ctx.policy,
        noroshi::alerts::DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some("テスト".into()),
            body: Some("本文".into()),
            severity: Some(Severity::Medium),
            tlp: Some(Tlp::Green),
            audience: noroshi::alerts::audience::AudienceSpec::parse_selectors(&["pref:13"])
                .unwrap(),
            ack_within_hours: None,
            drill: false,
            starts_at: None,
        },
        &noroshi::audit::Actor::of(&central.approver),
    )
    .await
    .unwrap();
    let id = draft.id;
    // Not submitted yet: nothing to approve.
    let e = publish::approve(&app.ctx.db, &app.ctx.rules, id, &central.approver2, None)
        .await
        .unwrap_err();
    assert!(matches!(e, PublishError::WrongState { .. }), "{e}");
    // An approver cannot submit; the operator can.
    assert!(matches!(
        publish::submit(&app.ctx.db, id, &central.approver).await,
        Err(PublishError::Forbidden(_))
    ));
    publish::submit(&app.ctx.db, id, &central.operator)
        .await
        .unwrap();
    // The operator cannot approve; the author (approver, who wrote the draft) cannot either.
    assert!(matches!(
        publish::approve(&app.ctx.db, &app.ctx.rules, id, &central.operator, None).await,
        Err(PublishError::Forbidden(_))
    ));
    let e = publish::approve(&app.ctx.db, &app.ctx.rules, id, &central.approver, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("four eyes"), "{e}");
    assert!(
        ledger::for_alert(&app.ctx.db, id).await.unwrap().is_empty(),
        "refusals wrote nothing"
    );
    // A second approver can, and the same key twice sends once.
    let a = publish::approve(
        &app.ctx.db,
        &app.ctx.rules,
        id,
        &central.approver2,
        Some("req-1"),
    )
    .await
    .unwrap();
    let b = publish::approve(
        &app.ctx.db,
        &app.ctx.rules,
        id,
        &central.approver2,
        Some("req-1"),
    )
    .await
    .unwrap();
    assert!(!a.repeated && b.repeated);
    assert_eq!((a.public_id, a.revision), (b.public_id, b.revision));
    assert_eq!(ledger::for_alert(&app.ctx.db, id).await.unwrap().len(), 1);
    // Without a key, a second approval finds the alert already published.
    let e = publish::approve(&app.ctx.db, &app.ctx.rules, id, &central.approver2, None)
        .await
        .unwrap_err();
    assert!(matches!(e, PublishError::WrongState { .. }));

    let audit = noroshi::audit::recent(&app.ctx.db, Some(&format!("alert:{id}")), 50)
        .await
        .unwrap();
    let actions: Vec<(String, String)> = audit
        .iter()
        .rev()
        .map(|e| (e.action.clone(), e.actor.clone()))
        .collect();
    let expect = [
        ("alert.draft", "approver@soumu.go.jp"),
        ("alert.submit", "operator@soumu.go.jp"),
        ("alert.publish", "approver2@soumu.go.jp"),
    ];
    for (action, who) in expect {
        assert!(
            actions.iter().any(|(a, w)| a == action && w.contains(who)),
            "{action} by {who} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_published_revision_needs_a_summary_and_bad_edits_change_nothing() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    add_contacts(&app.ctx, &tokyo(&app.ctx).await[..1], 1, |_| {
        MailEncoding::Utf8
    })
    .await;
    let (id, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["pref:13"],
            ..Draft::default()
        },
    )
    .await;
    let before = noroshi::alerts::store::get(&app.ctx.db, id)
        .await
        .unwrap()
        .unwrap();
    for edit in [
        Edit {
            title: Some("新しい件名".into()),
            ..Edit::default()
        },
        Edit {
            title: Some("  ".into()),
            changes: Some("件名".into()),
            ..Edit::default()
        },
        Edit {
            title: Some("長".repeat(301)),
            changes: Some("件名".into()),
            ..Edit::default()
        },
    ] {
        let e = publish::revise(&app.ctx.db, id, &central.operator, edit)
            .await
            .unwrap_err();
        assert!(matches!(e, PublishError::Invalid(_)), "{e}");
    }
    let e = publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        id,
        &central.approver,
        " ",
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, PublishError::Invalid(_)), "{e}");
    let after = noroshi::alerts::store::get(&app.ctx.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after, "nothing was changed by the refused edits");
}

#[tokio::test]
async fn two_claimers_never_take_the_same_row() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    add_contacts(&app.ctx, &tokyo(&app.ctx).await, 2, |_| MailEncoding::Utf8).await;
    publish_alert(&app.ctx, &central, Draft::default()).await;
    let now = chrono::Utc::now();
    let lease = now + chrono::Duration::seconds(60);
    let (a, b) = tokio::join!(
        ledger::claim(&app.ctx.db, "a", i16::MAX, 50, now, lease),
        ledger::claim(&app.ctx.db, "b", i16::MAX, 50, now, lease),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.len(), b.len()), (50, 50));
    let ids: BTreeSet<i64> = a.iter().chain(&b).map(|c| c.id).collect();
    assert_eq!(ids.len(), 100, "no row claimed twice");
    // A third claimer gets the rest; leased rows are not taken again before their lease ends.
    let c = ledger::claim(&app.ctx.db, "c", i16::MAX, 500, now, lease)
        .await
        .unwrap();
    assert_eq!(c.len(), 26);
    let later = lease + chrono::Duration::seconds(1);
    let d = ledger::claim(
        &app.ctx.db,
        "d",
        i16::MAX,
        500,
        later,
        later + chrono::Duration::seconds(60),
    )
    .await
    .unwrap();
    assert_eq!(d.len(), 126, "expired leases are taken over");
}

#[tokio::test]
async fn with_no_relay_configured_mail_goes_to_eml_files() {
    let app = spawn_app_with(|s| s.mail.smtp_url = None).await;
    assert!(
        app.ctx.mailer.describe().contains(".eml"),
        "{}",
        app.ctx.mailer.describe()
    );
    let central = central_users(&app.ctx).await;
    add_contacts(&app.ctx, &tokyo(&app.ctx).await[..2], 2, |_| {
        MailEncoding::Utf8
    })
    .await;
    let (id, report) = publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;
    assert!(app.smtp.received().is_empty());
    let dir = app.data_dir.path().join("outbox");
    let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    assert_eq!(files.len(), 4);
    for (name, bytes) in &files {
        assert!(
            name.starts_with(&report.public_id) && name.ends_with(".eml"),
            "{name}"
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(bytes.as_slice())
            .unwrap();
        assert!(parsed.subject().unwrap().contains("Fortinet"));
    }
    for r in ledger::for_alert(&app.ctx.db, id).await.unwrap() {
        assert_eq!(r.status, noroshi::delivery::store::DeliveryStatus::Sent);
        assert!(r.last_reply.unwrap().contains("outbox"));
    }
}

#[tokio::test]
async fn a_bad_relay_url_or_key_is_refused_at_start_with_the_reason() {
    let mut s = noroshi::config::Settings::default();
    s.mail.smtp_url = Some(SecretString::from("http://relay.example"));
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("mail.smtp_url")
    );
    let mut s = noroshi::config::Settings::default();
    s.mail.from = "a@b.jp, c@d.jp".into();
    assert!(s.validate().unwrap_err().to_string().contains("mail.from"));
    let mut s = noroshi::config::Settings::default();
    s.mail.dkim_rsa_key = Some(fixture("test-ed25519.pem"));
    let e = noroshi::delivery::Mailer::from_settings(&s).unwrap_err();
    assert!(format!("{e:#}").contains("dkim_rsa_key"), "{e:#}");
}

#[tokio::test]
async fn a_header_prepended_to_a_received_alert_breaks_its_dkim_signatures() {
    let app = spawn_app_with(dkim_settings).await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..1], 1, |_| MailEncoding::Utf8).await;
    publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;
    let original = app.smtp.received()[0].data.clone();
    // What anyone who received one alert could try: put a header of their own above the
    // signed ones and pass the message on, hoping the reader's client shows theirs.
    let mut messages = vec![original.clone()];
    for injected in [
        "Subject: =?UTF-8?B?44CQ57eK5oCl44CR?= log in here now\r\n",
        "From: Noroshi <approver@evil.example>\r\n",
        "Reply-To: collect@evil.example\r\n",
        "Cc: someone@evil.example\r\n",
        "Date: Thu, 01 Jan 2026 00:00:00 +0900\r\n",
        "Content-Type: text/html\r\n",
    ] {
        let mut tampered = injected.as_bytes().to_vec();
        tampered.extend_from_slice(&original);
        messages.push(tampered);
    }
    let dir = tempfile::TempDir::new().unwrap();
    let py = verify_with_python(dir.path(), &messages);
    assert_eq!(
        py[0].dkim,
        vec![serde_json::json!(true), serde_json::json!(true)],
        "the message as sent verifies"
    );
    for m in &py[1..] {
        assert!(
            m.dkim.iter().all(|v| v != &serde_json::json!(true)),
            "{}: a prepended header must break both signatures: {:?}",
            m.file,
            m.dkim
        );
    }
}
