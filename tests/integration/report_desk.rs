//! The centre answers a report (`004:692–779`): 港区 files a 第1報 with personal data leaked,
//! the desk's 受理 is mailed at once, the centre asks for more, 港区 answers with a 第2報,
//! 東京都 relays, the centre approves the 対処方針, records the 連携 to the 個人情報保護委員会
//! with a reference, approves the 再発防止策 with a follow-up date, the 最終報 comes and the
//! 確認 closes it — each step in the history, the audit log and the mail (no personal data),
//! the 速報 deadline overdue until the 連携 is recorded; and who may not take a step.

use chrono::{Duration, Utc};
use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::db::entities::audit_log;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::helpers::browser::Browser;
use crate::helpers::mail::{add_contacts, central_users, org_by_code, user};
use crate::helpers::{TestApp, spawn_app_with};

const PW: &str = "correct horse battery staple";
const DESK: &str = "incident-desk@soumu.go.jp";
const SECRETS: [&str; 3] = ["佐藤花子", "芝公園四丁目", "被害範囲の詳細"];

/// Sends what is queued; the mails that went, as (recipient, subject, text).
async fn sent(app: &TestApp, before: usize) -> Vec<(String, String, String)> {
    crate::helpers::mail::send_notices(&app.ctx).await;
    app.smtp.received()[before..]
        .iter()
        .map(|t| {
            let p = mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .unwrap();
            (
                t.rcpt_to.join(","),
                p.subject().unwrap_or_default().to_owned(),
                p.body_text(0).unwrap_or_default().into_owned(),
            )
        })
        .collect()
}

async fn audited(app: &TestApp, id: i64) -> Vec<String> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Target.eq(format!("report:{id}")))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.ctx.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

fn report(found_at: &str) -> Vec<(&'static str, String)> {
    [
        (
            "title",
            "住民 佐藤花子さんほかの情報を記録したUSBメモリを紛失",
        ),
        (
            "summary",
            "芝公園四丁目の出張所で、住民 80 名分の記録を入れたUSBメモリを紛失した。",
        ),
        ("systems", "住民記録システムから書き出したデータ"),
        ("personal_data", "yes"),
        ("data_kind_name", "on"),
        ("data_kind_address", "on"),
        ("leaked", "yes"),
        ("phase", "initial"),
        ("situation", "出張所と庁舎を捜索中。"),
        ("category_data_leak", "on"),
        ("cause_human_error", "on"),
        ("records", "80"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .chain([("found_at", found_at.to_owned())])
    .collect()
}

fn with_csrf<'a>(csrf: &'a str, fields: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("csrf", csrf)];
    f.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    f
}

fn jst(t: chrono::DateTime<Utc>, fmt: &str) -> String {
    t.with_timezone(&noroshi::time::jst_offset())
        .format(fmt)
        .to_string()
}

#[tokio::test]
async fn the_centre_answers_a_report_step_by_step_until_its_confirmation_closes_it() {
    let app = spawn_app_with(|s| {
        s.reports.desk = vec![DESK.into()];
    })
    .await;
    central_users(&app.ctx).await;
    let tokyo = org_by_code(&app.ctx, "130001").await;
    let minato = org_by_code(&app.ctx, "131032").await;
    add_contacts(&app.ctx, &[tokyo.clone(), minato.clone()], 1, |_| {
        MailEncoding::Utf8
    })
    .await;
    user(&app.ctx, "131032", Role::Member, "member@city.minato.lg.jp").await;
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
    let (minato_mail, tokyo_mail) = ("c0@131032.example.lg.jp", "c0@130001.example.lg.jp");

    // 港区 files a 第1報: found six days ago, personal data leaked.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.minato.lg.jp", PW).await;
    let found = jst(Utc::now() - Duration::days(6), "%Y-%m-%d %H:%M");
    let csrf = member.get("/reports/new").await.hidden("csrf");
    let first = report(&found);
    let filed = member.post("/reports/new", &with_csrf(&csrf, &first)).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let path = filed.location.unwrap();
    let id: i64 = path.trim_start_matches("/reports/").parse().unwrap();

    // One worker cycle later the 受理 has reached 港区 (and its prefecture), in the desk's name.
    let mails = sent(&app, 0).await;
    let received: Vec<_> = mails.iter().filter(|m| m.1.contains("【受理】")).collect();
    let to: Vec<&str> = received.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(to, vec![minato_mail, tokyo_mail], "{mails:?}");
    assert!(
        received[0].2.contains("自治体CEPTOAR 受付が"),
        "{}",
        received[0].2
    );
    assert!(received[0].1.starts_with("[TLP:AMBER]"));

    // The centre sees the 速報 to the 個人情報保護委員会 overdue, and what waits on whom.
    let mut centre = Browser::new(&app.address);
    centre.log_in("operator@soumu.go.jp", PW).await;
    let page = centre.get(&path).await;
    assert!(page.body.contains("ppc-overdue"), "the 速報 is overdue");
    assert!(
        page.body.contains("step step-received"),
        "受理 is in the history"
    );
    let csrf_c = page.hidden("csrf");

    // Refusals: another prefecture sees nothing; the reporter and the relaying prefecture may
    // not take the desk's steps they are not given; anonymous callers are sent to log in.
    let instruction = [("kind", "instruction".to_owned()), ("body", "x".to_owned())];
    let mut kanagawa = Browser::new(&app.address);
    kanagawa.log_in("sec@pref.kanagawa.lg.jp", PW).await;
    let k_csrf = kanagawa.get("/reports").await.hidden("csrf");
    let r = kanagawa
        .post(&format!("{path}/steps"), &with_csrf(&k_csrf, &instruction))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let m_csrf = member.get(&path).await.hidden("csrf");
    let r = member
        .post(&format!("{path}/steps"), &with_csrf(&m_csrf, &instruction))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    let p_csrf = pref.get(&path).await.hidden("csrf");
    let liaison = [
        ("kind", "liaison".to_owned()),
        ("partner", "police".to_owned()),
    ];
    let r = pref
        .post(&format!("{path}/steps"), &with_csrf(&p_csrf, &liaison))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "連携 is the centre's");
    let anon = app
        .client
        .post(app.url(&format!("{path}/steps")))
        .form(&instruction)
        .send()
        .await
        .unwrap();
    assert!(
        anon.status() == StatusCode::SEE_OTHER || anon.status() == StatusCode::UNAUTHORIZED,
        "{}",
        anon.status()
    );
    let before_bad = app.smtp.received().len();
    let bad = centre
        .post(
            &format!("{path}/steps"),
            &with_csrf(&csrf_c, &[("kind", "request".to_owned())]),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("追加報告の依頼の内容を入力してください"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("期限（日時）を入力してください"));
    assert!(
        sent(&app, before_bad).await.is_empty(),
        "a refused step mails nobody"
    );

    // The centre asks for more, by a due time.
    let due = jst(Utc::now() + Duration::days(2), "%Y-%m-%dT%H:%M");
    let before = app.smtp.received().len();
    let asked = centre
        .post(
            &format!("{path}/steps"),
            &with_csrf(
                &csrf_c,
                &[
                    ("kind", "request".to_owned()),
                    (
                        "body",
                        "被害範囲の詳細と捜索の結果を報告してください。".to_owned(),
                    ),
                    ("due", due.clone()),
                ],
            ),
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let mails = sent(&app, before).await;
    let to: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(to, vec![minato_mail, tokyo_mail]);
    for (_, subject, text) in &mails {
        assert!(subject.contains("【追加報告の依頼】"), "{subject}");
        assert!(text.contains("期限: "), "{text}");
        assert!(text.contains(&format!("/reports/{id}")));
        for s in SECRETS {
            assert!(!text.contains(s) && !subject.contains(s), "{s} in {text}");
        }
    }
    let own = member.get(&path).await;
    assert!(
        own.body.contains("追加報告（依頼への回答）"),
        "港区 sees what waits on it"
    );
    assert!(
        own.body.contains("被害範囲の詳細と捜索の結果"),
        "and the request's words"
    );

    // 港区 answers with a 第2報 carrying its 対処方針.
    let mut second = report(&found);
    second.extend([
        ("phase", "planned".to_owned()),
        (
            "response_plan",
            "対象の住民に通知し、相談窓口を設ける。".to_owned(),
        ),
    ]);
    let csrf_m = member.get(&format!("{path}/update")).await.hidden("csrf");
    let r = member
        .post(&format!("{path}/update"), &with_csrf(&csrf_m, &second))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = centre.get(&path).await;
    assert!(
        page.body.contains("対処方針の承認"),
        "the plan waits on the desk"
    );
    let queue = centre.get("/reports?desk=1").await;
    assert!(
        queue.body.contains(&format!("href=\"/reports/{id}\"")),
        "and the desk finds it among the reports waiting on it"
    );
    assert!(
        !page.body.contains("追加報告（依頼への回答）"),
        "the request is answered"
    );

    // 東京都 relays it.
    let r = pref
        .post(&format!("{path}/forward"), &[("csrf", p_csrf.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The centre approves the plan and records the 速報 to the 個人情報保護委員会.
    for step in [
        vec![("kind", "plan_approved".to_owned())],
        vec![
            ("kind", "liaison".to_owned()),
            ("partner", "ppc".to_owned()),
            ("stage", "preliminary".to_owned()),
            ("reference", "PPC-R8-0123".to_owned()),
            ("update_seq", "2".to_owned()),
        ],
    ] {
        let r = centre
            .post(&format!("{path}/steps"), &with_csrf(&csrf_c, &step))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = centre.get(&path).await;
    assert!(!page.body.contains("ppc-overdue"), "the 速報 is recorded");
    assert!(
        !page.body.contains("<td>対処方針の承認</td>"),
        "the approved plan waits no more"
    );
    assert!(page.body.contains("PPC-R8-0123"));
    assert!(page.body.contains("個人情報保護委員会（速報）"));

    // A 第3報 carries the 再発防止策; the centre approves it with a follow-up date; the 最終報
    // follows and the centre's 確認 closes the report.
    let mut third = second.clone();
    third.extend([
        ("phase", "preventing".to_owned()),
        (
            "prevention",
            "USBメモリの持ち出しを禁止し、暗号化を必須にした。".to_owned(),
        ),
    ]);
    let csrf_m = member.get(&format!("{path}/update")).await.hidden("csrf");
    let r = member
        .post(&format!("{path}/update"), &with_csrf(&csrf_m, &third))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        centre.get(&path).await.body.contains("再発防止策の承認"),
        "it waits on the desk"
    );
    let follow = jst(Utc::now() + Duration::days(30), "%Y-%m-%d");
    let before = app.smtp.received().len();
    let r = centre
        .post(
            &format!("{path}/steps"),
            &with_csrf(
                &csrf_c,
                &[
                    ("kind", "prevention_approved".to_owned()),
                    ("follow_up_on", follow.clone()),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut last = third.clone();
    last.extend([
        ("phase", "resolved".to_owned()),
        ("response_result", "USBメモリを回収した。".to_owned()),
        ("final_report", "on".to_owned()),
    ]);
    let csrf_m = member.get(&format!("{path}/update")).await.hidden("csrf");
    let r = member
        .post(&format!("{path}/update"), &with_csrf(&csrf_m, &last))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = centre.get(&path).await;
    assert!(
        page.body.contains("対処結果の確認"),
        "the 最終報 waits for the 確認"
    );
    assert!(
        !page.body.contains("<td>再発防止策の承認</td>"),
        "the approved 再発防止策 does not wait again"
    );
    let r = centre
        .post(
            &format!("{path}/steps"),
            &with_csrf(&csrf_c, &[("kind", "result_confirmed".to_owned())]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mails = sent(&app, before).await;
    let subjects: Vec<&str> = mails
        .iter()
        .filter(|m| m.0 == minato_mail)
        .map(|m| m.1.as_str())
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("【再発防止策の承認】")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("【対処結果の確認（完了）】")),
        "{subjects:?}"
    );
    let page = member.get(&path).await;
    assert!(page.body.contains("id=\"report-status\">完了<"), "closed");
    assert!(
        page.body.contains("再発防止状況の確認"),
        "the follow-up waits"
    );

    // Closed: no more requests; the follow-up check and 連携 still go. It waits on the desk
    // only for that check.
    let queue = centre.get("/reports?desk=1").await;
    assert!(
        queue.body.contains("再発防止状況の確認"),
        "the follow-up is listed"
    );
    let r = centre
        .post(
            &format!("{path}/steps"),
            &with_csrf(
                &csrf_c,
                &[
                    ("kind", "request".to_owned()),
                    ("body", "もう一度".to_owned()),
                    ("due", due.clone()),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("この報告は対処結果の確認で完了しています"));

    // Every step is in the audit log, in order; the history exports as CSV and JSON.
    let actions = audited(&app, id).await;
    let want = [
        "report.file",
        "report.request",
        "report.update",
        "report.forward",
        "report.plan_approved",
        "report.liaison",
        "report.update",
        "report.prevention_approved",
        "report.update",
        "report.result_confirmed",
    ];
    assert_eq!(actions, want, "{actions:?}");
    let csv = centre.get(&format!("{path}/summary.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("PPC-R8-0123") && csv.body.contains("最終報"));
    let print = centre.get(&format!("{path}/print")).await;
    assert!(print.body.contains("決裁欄") && print.body.contains("対処方針の承認"));
    let json: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/reports/{id}")))
        .header("Cookie", centre.cookie_header())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["status"], "closed");
    let kinds: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "received",
            "request",
            "received",
            "plan_approved",
            "liaison",
            "received",
            "prevention_approved",
            "received",
            "result_confirmed"
        ]
    );
    assert_eq!(json["ppc_deadlines"][0]["stage"], "preliminary");
    assert!(json["ppc_deadlines"][0]["done_at"].is_string());
}

#[tokio::test]
async fn a_request_past_its_due_time_without_a_report_reminds_the_reporter_once() {
    let app = spawn_app_with(|s| {
        s.reports.desk = vec![DESK.into()];
    })
    .await;
    central_users(&app.ctx).await;
    let minato = org_by_code(&app.ctx, "131032").await;
    let soumu = org_by_code(&app.ctx, "990019").await;
    add_contacts(&app.ctx, std::slice::from_ref(&minato), 1, |_| {
        MailEncoding::Utf8
    })
    .await;
    let mailing = noroshi::reports::mail::Mailing::of(&app.ctx.settings);
    let now = Utc::now();
    let input = noroshi::reports::ReportInput {
        title: "庁内サーバーで不審な通信".into(),
        summary: "UTM が不審な通信を検知した。".into(),
        found_at: jst(now - Duration::days(3), "%Y-%m-%d %H:%M"),
        systems: "ファイルサーバー".into(),
        personal_data: "unknown".into(),
        leaked: "unknown".into(),
        phase: "initial".into(),
        situation: "切り離した。".into(),
        ..Default::default()
    };
    let id = noroshi::reports::act::file(
        &app.ctx.db,
        &mailing,
        &minato,
        input.validate(now).unwrap(),
        &noroshi::audit::Actor::System,
        now - Duration::days(2),
    )
    .await
    .unwrap();
    // Asked two days ago for more by yesterday; nothing came.
    let asked_at = now - Duration::days(2) + Duration::hours(1);
    noroshi::reports::act_steps::take_step(
        &app.ctx.db,
        &mailing,
        id,
        &noroshi::registry::Caller::new(&soumu, Some(Role::CentralOperator)),
        "自治体CEPTOAR 受付",
        &noroshi::reports::steps::StepInput {
            kind: "request".into(),
            body: "検知した通信の宛先を報告してください。".into(),
            due: jst(asked_at + Duration::days(1), "%Y-%m-%d %H:%M"),
            ..Default::default()
        },
        &noroshi::audit::Actor::System,
        asked_at,
    )
    .await
    .unwrap();
    let before = noroshi::notices::store::for_report(&app.ctx.db, id)
        .await
        .unwrap()
        .len();
    noroshi::jobs::report_timers(&app.ctx).await.unwrap();
    noroshi::jobs::report_timers(&app.ctx).await.unwrap();
    let mails = noroshi::notices::store::for_report(&app.ctx.db, id)
        .await
        .unwrap();
    let reminders: Vec<_> = mails[before..]
        .iter()
        .filter(|m| {
            m.recipient == "c0@131032.example.lg.jp" && m.subject.contains("期限を過ぎています")
        })
        .collect();
    assert_eq!(
        reminders.len(),
        1,
        "one reminder: {:?}",
        mails[before..]
            .iter()
            .map(|m| (&m.recipient, &m.subject))
            .collect::<Vec<_>>()
    );
    let actions = audited(&app, id.0).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "report.remind_request")
            .count(),
        1,
        "{actions:?}"
    );
    app.stop().await;
}
