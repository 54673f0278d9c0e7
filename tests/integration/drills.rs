//! A national drill end to end: every prefecture and municipality (1,788 organisations, three
//! contacts each) through the real SMTP server, which refuses 50 recipients with 550; 30 DSNs
//! come back into the inbound Maildir; 1,000 organisations answer — by mail link, in the portal
//! and by reply — over a simulated hour. The 疎通確認 report must equal the fixture exactly, and
//! its CSV must parse with Python's csv module.

use noroshi::domain::ids::AlertId;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::worker::Lane;
use noroshi::domain::Tlp;
use noroshi::registry::OrgKind;
use noroshi::smtp_sink::{Reply, SinkPolicy};
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, user};
use crate::helpers::spawn_app;

struct Refuse(BTreeSet<String>);

impl SinkPolicy for Refuse {
    fn on_rcpt(&self, rcpt: &str) -> Reply {
        if self.0.contains(rcpt) {
            Reply::new(550, "5.1.1 <user unknown>")
        } else {
            Reply::new(250, "2.1.5 OK")
        }
    }
}

fn address(i: usize, code: &str) -> String {
    format!("c{i}@{code}.example.lg.jp")
}

#[tokio::test]
async fn a_national_drill_reports_exactly_who_was_reached_and_who_answered() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let central = central_users(&app.ctx).await;
    let mut orgs = noroshi::registry::store::list(db, Default::default())
        .await
        .unwrap();
    orgs.retain(|o| o.kind != OrgKind::Central);
    assert_eq!(orgs.len(), 1788, "47 prefectures and 1,741 municipalities");
    add_contacts(&app.ctx, &orgs, 3, |_| MailEncoding::Utf8).await;
    let code = |i: usize| orgs[i].code.to_string();

    // The fixture, by organisation index (spread over the country).
    let pick = |from: usize, n: usize| -> Vec<usize> { (0..n).map(|k| from + k * 17).collect() };
    let all_refused = pick(5, 10); // all three addresses refused at RCPT
    let one_refused = pick(300, 20); // one address refused
    let all_bounced = pick(700, 5); // all three returned later by a DSN
    let one_bounced = pick(900, 15); // one returned by a DSN
    let mut refused = BTreeSet::new();
    for &o in &all_refused {
        for i in 0..3 {
            refused.insert(address(i, &code(o)));
        }
    }
    for &o in &one_refused {
        refused.insert(address(1, &code(o)));
    }
    assert_eq!(refused.len(), 50);
    app.smtp.set_policy(Refuse(refused.clone()));

    let (alert_id, published) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["all"],
            tlp: Tlp::Green,
            drill: true,
            title: "令和8年度 連絡体制の確認訓練",
            ..Draft::default()
        },
    )
    .await;
    assert_eq!(published.deliveries, 5364);
    drain(&app.ctx, Lane::All).await;

    // 30 DSNs come back to the per-delivery addresses.
    let rows = noroshi::delivery::store::for_alert(db, alert_id)
        .await
        .unwrap();
    let by_email: HashMap<&str, &noroshi::delivery::store::LedgerRow> =
        rows.iter().map(|r| (r.email.as_str(), r)).collect();
    let dsn = std::fs::read_to_string(format!(
        "{}/tests/fixtures/inbound/dsn-postfix.eml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let dir = noroshi::inbound::maildir(&app.ctx.settings);
    noroshi::maildir::ensure(&dir).unwrap();
    let mut bounced = Vec::new();
    for &o in &all_bounced {
        bounced.extend((0..3).map(|i| address(i, &code(o))));
    }
    for &o in &one_bounced {
        bounced.push(address(2, &code(o)));
    }
    assert_eq!(bounced.len(), 30);
    for (n, email) in bounced.iter().enumerate() {
        let row = by_email[email.as_str()];
        let text = dsn
            .replace("{{RETURN_PATH}}", &app.ctx.mailer.verp.return_path(row.id))
            .replace("{{RCPT}}", email)
            .replace("ABC1@", &format!("ABC1-{n}@"));
        std::fs::write(dir.join("new").join(format!("dsn{n}.host")), text).unwrap();
    }

    // 1,000 reached organisations answer: 20 in the portal, 300 by reply, 680 by mail link.
    let unreachable: BTreeSet<usize> = all_refused.iter().chain(&all_bounced).copied().collect();
    let answering: Vec<usize> = (0..orgs.len())
        .filter(|i| !unreachable.contains(i))
        .step_by(1)
        .take(1000)
        .collect();
    assert_eq!(answering.len(), 1000);
    let (portal, rest) = answering.split_at(20);
    let (replies, links) = rest.split_at(300);
    let public_id = published.public_id.clone();
    for (k, &o) in portal.iter().enumerate() {
        let email = format!("staff{k}@{}.example.lg.jp", code(o));
        user(&app.ctx, &code(o), Role::Member, &email).await;
        let mut b = Browser::new(&app.address);
        b.log_in(&email, "correct horse battery staple").await;
        let page = b.get(&format!("/alerts/{public_id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.hidden("csrf");
        let done = b
            .post(
                &format!("/alerts/{public_id}/ack"),
                &[("state", "received"), ("csrf", &csrf)],
            )
            .await;
        assert!(done.status.is_redirection() || done.status.is_success());
    }
    for (n, &o) in replies.iter().enumerate() {
        let from = address(0, &code(o));
        let reply = format!(
            "From: {from}\r\nTo: noreply@noroshi.example\r\nSubject: Re: drill\r\nMessage-ID: <r{n}@{}.example.lg.jp>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n受領しました。\r\n\r\n> 返信用コード: {}\r\n",
            code(o),
            app.ctx.mailer.verp.reply_code(alert_id, orgs[o].id)
        );
        std::fs::write(
            dir.join("new").join(format!("reply{n}.host")),
            crate::helpers::mail::vouched(reply.as_bytes()),
        )
        .unwrap();
    }
    let processed = noroshi::inbound::process_maildir(&app.ctx.inbox(), &dir, 10_000)
        .await
        .unwrap();
    assert_eq!(processed.len(), 330);
    assert!(
        processed
            .iter()
            .all(|p| p.outcome == noroshi::inbound::Outcome::Recorded),
        "{:?}",
        processed
            .iter()
            .find(|p| p.outcome != noroshi::inbound::Outcome::Recorded)
    );
    // Mail links: the token each organisation's mail carries.
    let mut tokens: HashMap<String, String> = HashMap::new();
    for t in app.smtp.received() {
        let rcpt = &t.rcpt_to[0];
        let org_code = rcpt.split('@').nth(1).unwrap().split('.').next().unwrap();
        if tokens.contains_key(org_code) {
            continue;
        }
        let raw = t.data_str();
        let text = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap()
            .body_text(0)
            .unwrap()
            .into_owned();
        let at = text.find("/ack/").expect("a link");
        let token: String = text[at + 5..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        tokens.insert(org_code.to_owned(), token);
    }
    let client = reqwest::Client::new();
    for &o in links {
        let r = client
            .post(app.url(&format!("/ack/{}", tokens[&code(o)])))
            .form(&[("state", "done"), ("note", "")])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    // A simulated hour: organisation k of the 1,000 answered 3.6·k seconds after the send.
    let sent_at = noroshi::alerts::store::first_revision(db, alert_id)
        .await
        .unwrap()
        .unwrap()
        .published_at;
    let mut offsets = Vec::new();
    {
        use sea_orm::ConnectionTrait;
        let txn = noroshi::db::begin_write(db).await.unwrap();
        for (k, &o) in answering.iter().enumerate() {
            let secs = (k as i64 * 36) / 10;
            offsets.push(secs);
            txn.execute_raw(noroshi::db::statement(
                db.get_database_backend(),
                "UPDATE ack_events SET at = $1 WHERE alert_id = $2 AND organisation_id = $3",
                vec![
                    (sent_at + chrono::Duration::seconds(secs)).into(),
                    alert_id.into(),
                    orgs[o].id.0.into(),
                ],
            ))
            .await
            .unwrap();
        }
        sea_orm::TransactionSession::commit(txn).await.unwrap();
    }
    offsets.sort_unstable();

    // The report, as central staff see it.
    let alert = noroshi::alerts::store::get(db, alert_id)
        .await
        .unwrap()
        .unwrap();
    let r = noroshi::drills::report::build(db, &alert, noroshi::drills::report::Scope::All)
        .await
        .unwrap()
        .unwrap();
    let t = &r.total;
    assert_eq!(
        (t.addressed, t.contacts, t.delivered, t.bounced),
        (1788, 5364, 5364 - 80, 80)
    );
    assert_eq!((t.reached, t.without_working_contact), (1773, 15));
    assert_eq!(t.answered, 1000);
    assert_eq!(t.median_secs(), Some((offsets[499] + offsets[500]) / 2));
    assert_eq!(t.p90_secs(), Some(offsets[899]));
    let without: BTreeSet<String> = r
        .without_working_contact
        .iter()
        .map(|(c, _)| c.clone())
        .collect();
    let expected: BTreeSet<String> = unreachable.iter().map(|&o| code(o)).collect();
    assert_eq!(without, expected);
    // Per prefecture, the lines add up to the total; Tokyo's equals its own count.
    assert_eq!(r.lines.len(), 47);
    assert_eq!(
        r.lines.iter().map(|l| l.figures.addressed).sum::<u64>(),
        1788
    );
    assert_eq!(
        r.lines.iter().map(|l| l.figures.answered).sum::<u64>(),
        1000
    );
    // Channels as the fixture used them.
    let mut channels: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for c in &r.contacts {
        if seen.insert(c.org_id) && !c.channel.is_empty() {
            *channels.entry(c.channel.clone()).or_default() += 1;
        }
    }
    assert_eq!(
        channels,
        BTreeMap::from([
            ("mail_link".to_owned(), 680),
            ("mail_reply".to_owned(), 300),
            ("portal".to_owned(), 20),
        ])
    );

    // The page and the CSV over HTTP, as the central operator.
    let mut b = Browser::new(&app.address);
    b.log_in("operator@soumu.go.jp", "correct horse battery staple")
        .await;
    let page = b.get(&format!("/drills/{alert_id}/report")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<strong id=\"reach\">99.2%</strong>"),
        "1773/1788"
    );
    assert!(
        page.body.contains("<strong id=\"answer\">55.9%</strong>"),
        "1000/1788"
    );
    let csv = b.get(&format!("/drills/{alert_id}/report.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("\r\n"));
    let path = app.data_dir.path().join("report.csv");
    std::fs::write(&path, &csv.body).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import csv,sys\n\
             rows=list(csv.reader(open(sys.argv[1],encoding='utf-8-sig',newline='')))\n\
             head,body=rows[0],rows[1:]\n\
             assert head[0]=='団体コード', head\n\
             b=sum(1 for r in body if r[6])\n\
             a=len({r[0] for r in body if r[8]})\n\
             print(len(body), b, a, len(head))",
        )
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "5364 80 1000 10"
    );

    // A prefecture sees only its own.
    let tokyo_admin = "sec@metro.tokyo.lg.jp";
    user(&app.ctx, "130001", Role::PrefectureAdmin, tokyo_admin).await;
    let mut p = Browser::new(&app.address);
    p.log_in(tokyo_admin, "correct horse battery staple").await;
    let mine = p.get(&format!("/drills/{alert_id}/report.csv")).await;
    assert_eq!(mine.status, StatusCode::OK);
    let lines: Vec<&str> = mine.body.lines().skip(1).collect();
    assert_eq!(lines.len(), 63 * 3, "東京都 and its 62 municipalities");
    assert!(lines.iter().all(|l| l.starts_with("\"13")));
    app.stop().await;
}

#[tokio::test]
async fn a_prefecture_runs_a_drill_for_its_municipalities_with_two_of_its_own_staff() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = crate::helpers::mail::tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(&app.ctx, "130001", Role::Member, "staff@metro.tokyo.lg.jp").await;
    user(
        &app.ctx,
        "140007",
        Role::PrefectureAdmin,
        "sec@pref.kanagawa.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let pw = "correct horse battery staple";

    let mut staff = Browser::new(&app.address);
    staff.log_in("staff@metro.tokyo.lg.jp", pw).await;
    let form = staff.get("/drills/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    // The picker opens on 東京都 and its municipalities only (the selectors `muni:13`).
    assert!(
        form.body.contains("<option value=\"13\" selected>")
            && form.body.contains("<option value=\"munis\" selected>"),
        "its own municipalities by default"
    );
    let csrf = form.hidden("csrf");
    // Beyond its own prefecture: refused, nothing drafted.
    let refused = post_drill(&mut staff, &csrf, "pref:13+ pref:14").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("神奈川県"), "{}", refused.body);
    assert!(
        noroshi::alerts::store::list_drills(&app.ctx.db)
            .await
            .unwrap()
            .is_empty()
    );
    // Within it: a draft owned by 東京都.
    let made = post_drill(&mut staff, &csrf, "pref:13+").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft_path = made.location.clone().unwrap();
    let id: AlertId = draft_path.trim_start_matches("/drafts/").parse().unwrap();
    let draft = staff.get(&draft_path).await;
    assert_eq!(draft.status, StatusCode::OK, "{}", draft.body);
    let csrf = draft.hidden("csrf");
    let submitted = staff
        .post(&format!("{draft_path}/submit"), &[("csrf", &csrf)])
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);

    // Not the writer, not another prefecture, not the centre's approver: only 東京都's admin.
    let own = approve_draft(&mut staff, &draft_path, &csrf).await;
    assert_eq!(
        own.status,
        StatusCode::FORBIDDEN,
        "a member is not the approver"
    );
    let mut kanagawa = Browser::new(&app.address);
    kanagawa.log_in("sec@pref.kanagawa.lg.jp", pw).await;
    assert_eq!(
        kanagawa.get(&draft_path).await.status,
        StatusCode::FORBIDDEN
    );
    let err =
        noroshi::alerts::publish::approve(&app.ctx.db, &app.ctx.rules, id, &central.approver, None)
            .await
            .unwrap_err();
    assert!(
        matches!(err, noroshi::alerts::publish::PublishError::Forbidden(_)),
        "{err}"
    );
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", pw).await;
    assert_eq!(
        member.get("/drills/new").await.status,
        StatusCode::FORBIDDEN
    );

    let mut admin = Browser::new(&app.address);
    admin.log_in("sec@metro.tokyo.lg.jp", pw).await;
    let page = admin.get(&draft_path).await;
    assert!(
        page.body.contains("/approve"),
        "the admin may approve: {}",
        page.body
    );
    let done = approve_draft(&mut admin, &draft_path, &page.hidden("csrf")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    drain(&app.ctx, Lane::All).await;
    let mails = app.smtp.received();
    assert_eq!(mails.len(), 63, "東京都 and its 62 municipalities");
    assert!(mails.iter().all(|t| t.rcpt_to[0].contains("@13")));
    // The prefecture's staff see its report.
    let report = admin.get(&format!("/drills/{id}/report")).await;
    assert_eq!(report.status, StatusCode::OK);
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("alert:{id}")), 10)
        .await
        .unwrap();
    assert!(
        audited
            .iter()
            .any(|e| e.action == "alert.publish" && e.actor.contains("sec@metro.tokyo.lg.jp"))
    );
    app.stop().await;
}

async fn post_drill(b: &mut Browser, csrf: &str, to: &str) -> crate::helpers::browser::Page {
    b.post(
        "/drills/new",
        &[
            ("csrf", csrf),
            ("title", "東京都 連絡体制の確認訓練"),
            (
                "body",
                "都内区市町村の緊急連絡先の確認です。受領を報告してください。",
            ),
            ("to", to),
            ("hours", "24"),
        ],
    )
    .await
}

async fn approve_draft(b: &mut Browser, draft: &str, csrf: &str) -> crate::helpers::browser::Page {
    b.post(
        &format!("{draft}/approve"),
        &[("csrf", csrf), ("revision", "1")],
    )
    .await
}

#[tokio::test]
async fn a_scheduled_drill_goes_out_at_its_start_and_its_deadline_counts_from_there() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = crate::helpers::mail::tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let start = chrono::Utc::now() + chrono::Duration::seconds(3);
    let scenario = noroshi::drills::Scenario {
        title: "予定された訓練".into(),
        body: "開始時刻に配信されます。".into(),
        severity: None,
        tlp: None,
        answer_within_hours: Some(24),
        to: vec!["pref:13+".into()],
        starts_at: Some(start.to_rfc3339()),
    };
    let checked = scenario.check(&[]).unwrap();
    assert!(checked.starts_at.is_some());
    let draft = noroshi::drills::create(
        &app.ctx.db,
        &app.ctx.policy,
        &app.ctx.rules,
        checked,
        &noroshi::audit::Actor::of(&central.operator),
        None,
    )
    .await
    .unwrap();
    noroshi::alerts::publish::submit(&app.ctx.db, draft.id, &central.operator)
        .await
        .unwrap();
    noroshi::alerts::publish::approve(
        &app.ctx.db,
        &app.ctx.rules,
        draft.id,
        &central.approver,
        None,
    )
    .await
    .unwrap();
    drain(&app.ctx, Lane::All).await;
    assert_eq!(app.smtp.received().len(), 0, "nothing before the start");
    let first = noroshi::alerts::store::first_revision(&app.ctx.db, draft.id)
        .await
        .unwrap()
        .unwrap();
    let deadline = first.ack_deadline.unwrap();
    assert!(
        (deadline - (start + chrono::Duration::hours(24)))
            .num_seconds()
            .abs()
            <= 1,
        "the deadline counts from the start: {deadline} vs {start}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    drain(&app.ctx, Lane::All).await;
    assert_eq!(app.smtp.received().len(), 63, "sent at the start");
    let alert = noroshi::alerts::store::get(&app.ctx.db, draft.id)
        .await
        .unwrap()
        .unwrap();
    let r =
        noroshi::drills::report::build(&app.ctx.db, &alert, noroshi::drills::report::Scope::All)
            .await
            .unwrap()
            .unwrap();
    assert!(
        (r.sent_at - start).num_seconds().abs() <= 1,
        "timed from the start"
    );
    app.stop().await;
}
