//! 調査・点検: a survey goes out through four eyes, organisations answer in the portal and the
//! API (drafts, submission, late changes kept and marked), the results are the seed's formula
//! over the sums, each organisation sees its own 評価結果 beside an unnamed spread and answers
//! with its 改善方針, and the reminder and escalation go once.

use chrono::{Duration, Utc};
use noroshi::auth::Role;
use noroshi::auth::tokens::Scope;
use noroshi::contacts::MailEncoding;
use noroshi::surveys::definition::{Answer, Answers, TEMPLATES};
use noroshi::surveys::store;
use noroshi::workers::Outcome;
use reqwest::StatusCode;

use crate::access_matrix::publish_survey;
use crate::feeds::token_for;
use crate::helpers::browser::Browser;
use crate::helpers::mail::{add_contacts, central_users, tokyo, user};
use crate::helpers::spawn_app;

const PW: &str = "correct horse battery staple";

/// Sends what is queued; returns the mail that arrived since `seen` (and moves it on).
async fn send_notices(app: &crate::helpers::TestApp, seen: &mut usize) -> Vec<(String, String)> {
    while noroshi::jobs::send_notice(&app.ctx).await.unwrap() == Outcome::Worked {}
    let all = app.smtp.received();
    let from = *seen;
    *seen = all.len();
    all[from..]
        .iter()
        .map(|t| {
            let p = mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .unwrap();
            (
                t.rcpt_to.join(","),
                format!(
                    "{}\n{}",
                    p.subject().unwrap_or_default(),
                    p.body_text(0).unwrap_or_default()
                ),
            )
        })
        .collect()
}

fn count(done: u32, required: u32) -> Answer {
    Answer::Count { done, required }
}

#[tokio::test]
async fn a_survey_goes_out_through_four_eyes_and_is_answered_scored_and_reported_back() {
    let app = spawn_app().await;
    let mut seen = 0;
    central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
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
    user(
        &app.ctx,
        "141003",
        Role::Member,
        "member@city.yokohama.lg.jp",
    )
    .await;

    // The operator writes it from the shipped 緊急点検; nobody approves their own.
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let form = operator.get("/surveys/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.hidden("csrf");
    let deadline = (Utc::now() + Duration::days(10))
        .with_timezone(&noroshi::time::jst_offset())
        .format("%Y-%m-%d 17:00")
        .to_string();
    let bad = operator
        .post(
            "/surveys/new",
            &[
                ("csrf", &csrf),
                ("template", TEMPLATES[0].0),
                ("to", "pref:13+"),
                ("deadline", "来週"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("deadline"));
    let bad_day = operator
        .post(
            "/surveys/new",
            &[
                ("csrf", &csrf),
                ("template", TEMPLATES[0].0),
                ("to", "pref:13+"),
                ("deadline", &deadline),
                ("reference_date", "9月末"),
            ],
        )
        .await;
    assert_eq!(bad_day.status, StatusCode::BAD_REQUEST);
    assert!(bad_day.body.contains("reference_date"), "{}", bad_day.body);
    let made = operator
        .post(
            "/surveys/new",
            &[
                ("csrf", &csrf),
                ("template", TEMPLATES[0].0),
                ("to", "pref:13+"),
                ("deadline", &deadline),
                ("reference_date", "2026-09-30"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let written = operator.get(made.location.as_deref().unwrap()).await.body;
    assert!(
        written.contains("基準日: 2026年9月30日"),
        "the 基準日 is on the survey: {written}"
    );
    let path = made.location.unwrap();
    let id: i64 = path.trim_start_matches("/surveys/").parse().unwrap();
    assert_eq!(
        operator
            .post(&format!("{path}/submit"), &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        operator
            .post(&format!("{path}/approve"), &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut approver = Browser::new(&app.address);
    approver.log_in("approver@soumu.go.jp", PW).await;
    let csrf_a = approver.get(&path).await.hidden("csrf");
    assert_eq!(
        approver
            .post(&format!("{path}/approve"), &[("csrf", &csrf_a)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let sent = send_notices(&app, &mut seen).await;
    assert_eq!(
        sent.len(),
        63,
        "one request per contact of 東京都 and its municipalities"
    );
    assert!(sent[0].1.contains(&format!("/surveys/{id}")));

    // 千代田区 answers in the portal: a draft, an incomplete submission refused, then submitted.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let page = member.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf_m = page.hidden("csrf");
    let draft = member
        .post(
            &format!("{path}/answers"),
            &[
                ("csrf", &csrf_m),
                ("action", "save"),
                ("a_no_subcontract_done", "2"),
                ("a_no_subcontract_required", "3"),
            ],
        )
        .await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER);
    assert!(
        member.get(&path).await.body.contains("value=\"2\""),
        "the draft is kept"
    );
    let refused = member
        .post(
            &format!("{path}/answers"),
            &[
                ("csrf", &csrf_m),
                ("action", "submit"),
                ("a_no_subcontract_done", "2"),
                ("a_no_subcontract_required", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("no_takeout") && refused.body.contains("return_disposal"));
    let done = member
        .post(
            &format!("{path}/answers"),
            &[
                ("csrf", &csrf_m),
                ("action", "submit"),
                ("a_no_subcontract_done", "2"),
                ("a_no_subcontract_required", "3"),
                ("a_no_takeout_done", "3"),
                ("a_no_takeout_required", "3"),
                ("a_return_disposal_done", "0"),
                ("a_return_disposal_required", "3"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(member.get(&path).await.body.contains("提出済"));

    // 港区 answers through the API; 横浜市 was not asked.
    let minato = token_for(&app.ctx, "131032", &[Scope::Report]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Report]).await;
    let url = app.url(&format!("/api/v1/surveys/{id}/answers"));
    let body = serde_json::json!({"submit": true, "answers": {
        "no_subcontract": {"done": 4, "required": 4},
        "no_takeout": {"done": 4, "required": 4},
        "return_disposal": {"done": 1, "required": 4}
    }});
    let over = serde_json::json!({"answers": {"no_takeout": {"done": 5, "required": 4}}});
    let r = app
        .client
        .put(&url)
        .bearer_auth(&minato)
        .json(&over)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("no_takeout"));
    let r = app
        .client
        .put(&url)
        .bearer_auth(&minato)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got: serde_json::Value = app
        .client
        .get(&url)
        .bearer_auth(&minato)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["submitted"], true);
    assert_eq!(got["answers"]["return_disposal"]["done"], 1);
    assert_eq!(
        app.client
            .get(&url)
            .bearer_auth(&yokohama)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // The centre's results: the seed's formula over the summed counts. Items: 6/7, 7/7, 1/7 →
    // one category, mean 66.7 % → C; 把握率 2 of 63.
    let results = operator.get(&format!("{path}/results")).await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(
        results.body.contains("<td id=\"coverage\">3.2%</td>"),
        "{}",
        results.body
    );
    assert!(results.body.contains("<td id=\"overall\">66.7%</td>"));
    assert!(results.body.contains("<td id=\"grade\">C</td>"));
    assert!(results.body.contains("<svg"));
    // Item by item: the rate and how the two organisations answered (千代田区 2/3 and 0/3,
    // 港区 4/4 and 1/4), read off the page and off the CSV by Python's csv module.
    assert!(
        results
            .body
            .contains("すべて実施 1（50.0%） ・ 一部実施 1（50.0%） ・ 未実施 0（0.0%）"),
        "{}",
        results.body
    );
    assert!(
        results.body.contains("100%: 1/3（33.3%）"),
        "到達率 as a share"
    );
    let items_csv = operator
        .get(&format!("{path}/results.csv?table=items"))
        .await
        .body;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.csv");
    std::fs::write(&file, &items_csv).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import csv,sys\nrows={r['項目ID']: r for r in csv.DictReader(open(sys.argv[1],encoding='utf-8-sig',newline=''))}\nr=rows['return_disposal']\nprint(r['実施率'], r['回答団体数'], [(r[f'回答{k}'], r[f'団体数{k}'], r[f'割合{k}']) for k in range(1,5)])")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(
        line.contains("14.3% 2") && line.contains("('未実施', '1', '50.0%')"),
        "{line}"
    );
    assert_eq!(
        operator
            .get(&format!("{path}/results.csv?table=nope"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // 東京都 sees its own; 神奈川県 and a municipality see no results.
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    assert_eq!(
        pref.get(&format!("{path}/results")).await.status,
        StatusCode::OK
    );
    let mut kanagawa = Browser::new(&app.address);
    kanagawa.log_in("sec@pref.kanagawa.lg.jp", PW).await;
    assert_eq!(
        kanagawa.get(&format!("{path}/results")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        member.get(&format!("{path}/results")).await.status,
        StatusCode::FORBIDDEN
    );
    let mut yoko = Browser::new(&app.address);
    yoko.log_in("member@city.yokohama.lg.jp", PW).await;
    assert_eq!(yoko.get(&path).await.status, StatusCode::NOT_FOUND);

    // 千代田区's own 評価結果: its score and the spread, never 港区's name; its 改善方針.
    let own = member.get(&format!("{path}/result")).await;
    assert_eq!(own.status, StatusCode::OK);
    // (2/3 + 3/3 + 0/3) / 3 = 55.6 % → D.
    assert!(
        own.body.contains("<td id=\"own-overall\">55.6%</td>"),
        "{}",
        own.body
    );
    assert!(own.body.contains("<td id=\"own-grade\">D</td>"));
    // What pulled it down, lowest first: the 返還・廃棄 item at 0 %, then 再委託 at 66.7 %.
    let weakest = &own.body[own
        .body
        .find("id=\"own-weakest\"")
        .expect("the weakest items")..];
    let (disposal, subcontract) = (
        weakest.find("返還").unwrap(),
        weakest.find("再委託").unwrap(),
    );
    assert!(disposal < subcontract && weakest.contains("0.0%") && weakest.contains("66.7%"));
    assert!(!own.body.contains("港区"));
    let planned = member
        .post(
            &format!("{path}/plan"),
            &[
                ("csrf", &csrf_m),
                ("plan", "全委託契約に立入検査の条項を加える"),
                ("fiscal_year", "2027"),
            ],
        )
        .await;
    assert_eq!(planned.status, StatusCode::SEE_OTHER, "{}", planned.body);
    let table = pref.get(&format!("{path}/results")).await.body;
    assert!(table.contains("全委託契約に立入検査の条項を加える"));
    let csv = app
        .client
        .get(app.url(&format!("{path}/results.csv")))
        .header("cookie", operator.cookie_header())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("\r\n131016,"));

    // The 評価結果 by mail, once: each organisation its own, naming no other.
    let csrf_o = operator
        .get(&format!("{path}/results"))
        .await
        .hidden("csrf");
    assert_eq!(
        operator
            .post(&format!("{path}/results/send"), &[("csrf", &csrf_o)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        operator
            .post(&format!("{path}/results/send"), &[("csrf", &csrf_o)])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let mails = send_notices(&app, &mut seen).await;
    assert_eq!(mails.len(), 2);
    let chiyoda = mails.iter().find(|(to, _)| to.contains("131016")).unwrap();
    assert!(
        chiyoda.1.contains("55.6%") && !chiyoda.1.contains("港区") && !chiyoda.1.contains("131032")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_late_answer_is_kept_and_marked_late_and_the_follow_ups_go_once() {
    let app = spawn_app().await;
    let mut seen = 0;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let id = publish_survey(&app, &central, &["pref:13+"]).await;
    send_notices(&app, &mut seen).await;
    let s = store::get(&app.ctx.db, id).await.unwrap().unwrap();
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let answers: Answers = [
        ("no_subcontract", count(1, 1)),
        ("no_takeout", count(1, 1)),
        ("return_disposal", count(1, 1)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let actor = noroshi::audit::Actor::System;
    assert!(
        !noroshi::surveys::act::save_answers(
            &app.ctx.db,
            &s,
            chiyoda.id,
            &answers,
            true,
            &actor,
            Utc::now()
        )
        .await
        .unwrap()
    );

    // 48 hours before the deadline: one reminder, to those that have not submitted.
    let before = s.deadline - Duration::hours(47);
    let step = |at| {
        noroshi::surveys::timers::try_execute_task_at(
            &app.ctx.db,
            &app.ctx.settings.app.base_url,
            at,
        )
    };
    assert_eq!(
        step(s.deadline - Duration::hours(72)).await.unwrap(),
        Outcome::Idle
    );
    assert_eq!(step(before).await.unwrap(), Outcome::Worked);
    assert_eq!(
        step(before + Duration::hours(1)).await.unwrap(),
        Outcome::Idle,
        "once"
    );
    let reminders = send_notices(&app, &mut seen).await;
    assert_eq!(reminders.len(), 62, "everyone but 千代田区");
    assert!(
        reminders
            .iter()
            .all(|(to, m)| !to.contains("131016") && m.contains("【督促】"))
    );

    // After the deadline: 東京都 is told once that its municipalities are silent.
    let after = s.deadline + Duration::hours(1);
    assert_eq!(step(after).await.unwrap(), Outcome::Worked);
    assert_eq!(step(after).await.unwrap(), Outcome::Idle);
    let escalated = send_notices(&app, &mut seen).await;
    assert_eq!(escalated.len(), 1);
    assert!(
        escalated[0].0.contains("130001") && escalated[0].1.contains("管内の 61 団体"),
        "{escalated:?}"
    );

    // A change after the deadline is kept and marked late, with its time.
    let minato = orgs
        .iter()
        .find(|o| o.code.to_string() == "131032")
        .unwrap();
    assert!(
        noroshi::surveys::act::save_answers(
            &app.ctx.db,
            &s,
            minato.id,
            &answers,
            true,
            &actor,
            after
        )
        .await
        .unwrap()
    );
    let r = noroshi::surveys::results::build(
        &app.ctx.db,
        &s,
        noroshi::surveys::results::Scope::All,
        None,
    )
    .await
    .unwrap();
    let line = r
        .organisations
        .iter()
        .find(|o| o.org.id == minato.id)
        .unwrap();
    assert!(line.answered && line.late);
    assert!(
        !r.organisations
            .iter()
            .find(|o| o.org.id == chiyoda.id)
            .unwrap()
            .late
    );
    // "As of" the deadline, 港区 had not answered.
    let then = noroshi::surveys::results::build(
        &app.ctx.db,
        &s,
        noroshi::surveys::results::Scope::All,
        Some(s.deadline),
    )
    .await
    .unwrap();
    assert_eq!((then.total.answered, r.total.answered), (1, 2));
    app.stop().await;
}

#[tokio::test]
async fn a_second_round_shows_the_first_beside_it_and_a_prefecture_runs_its_own() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    let first = publish_survey(&app, &central, &["org:131016", "org:131032"]).await;
    let s1 = store::get(&app.ctx.db, first).await.unwrap().unwrap();
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let half: Answers = [
        ("no_subcontract", count(1, 2)),
        ("no_takeout", count(1, 2)),
        ("return_disposal", count(1, 2)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let full: Answers = half.keys().map(|k| (k.clone(), count(2, 2))).collect();
    let actor = noroshi::audit::Actor::System;
    noroshi::surveys::act::save_answers(
        &app.ctx.db,
        &s1,
        chiyoda.id,
        &half,
        true,
        &actor,
        Utc::now(),
    )
    .await
    .unwrap();
    let second = noroshi::surveys::publish::create(
        &app.ctx.db,
        &app.ctx.rules,
        noroshi::surveys::publish::Draft {
            definition: s1.definition.clone(),
            audience: vec!["org:131016".into(), "org:131032".into()],
            deadline: Utc::now() + Duration::days(7),
            previous: Some(first),
        },
        &central.operator,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    noroshi::surveys::publish::submit(&app.ctx.db, second, &central.operator)
        .await
        .unwrap();
    noroshi::surveys::publish::approve(
        &app.ctx.db,
        &app.ctx.rules,
        "http://hub",
        second,
        &central.approver2,
    )
    .await
    .unwrap();
    let s2 = store::get(&app.ctx.db, second).await.unwrap().unwrap();
    noroshi::surveys::act::save_answers(
        &app.ctx.db,
        &s2,
        chiyoda.id,
        &full,
        true,
        &actor,
        Utc::now(),
    )
    .await
    .unwrap();
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let page = operator
        .get(&format!("/surveys/{second}/results"))
        .await
        .body;
    assert!(page.contains("<td id=\"overall\">100.0%</td>"));
    assert!(
        page.contains("id=\"previous-round\"") && page.contains("<td>50.0%</td>"),
        "{page}"
    );
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    assert!(
        member
            .get(&format!("/surveys/{second}/result"))
            .await
            .body
            .contains("50.0%（D）")
    );

    // 東京都's own survey: its staff write it for its municipalities only; its admin publishes.
    user(&app.ctx, "130001", Role::Member, "staff@metro.tokyo.lg.jp").await;
    let staff = noroshi::auth::store::find_by_email(
        &app.ctx.db,
        &noroshi::auth::EmailAddress::parse("staff@metro.tokyo.lg.jp").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let tokyo_org = orgs
        .iter()
        .find(|o| o.code.to_string() == "130001")
        .unwrap();
    let draft = |to: &str| noroshi::surveys::publish::Draft {
        definition: s1.definition.clone(),
        audience: vec![to.into()],
        deadline: Utc::now() + Duration::days(7),
        previous: None,
    };
    let outside = noroshi::surveys::publish::create(
        &app.ctx.db,
        &app.ctx.rules,
        draft("pref:14+"),
        &staff,
        Some(tokyo_org),
        Utc::now(),
    )
    .await;
    assert!(outside.unwrap_err().to_string().contains("の管外です"));
    let own = noroshi::surveys::publish::create(
        &app.ctx.db,
        &app.ctx.rules,
        draft("pref:13+"),
        &staff,
        Some(tokyo_org),
        Utc::now(),
    )
    .await
    .unwrap();
    noroshi::surveys::publish::submit(&app.ctx.db, own, &staff)
        .await
        .unwrap();
    assert!(
        noroshi::surveys::publish::approve(
            &app.ctx.db,
            &app.ctx.rules,
            "http://hub",
            own,
            &central.approver
        )
        .await
        .is_err()
    );
    let admin = user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    let n =
        noroshi::surveys::publish::approve(&app.ctx.db, &app.ctx.rules, "http://hub", own, &admin)
            .await
            .unwrap();
    assert_eq!(n, 63);
    app.stop().await;
}

#[tokio::test]
async fn a_prefecture_sends_an_answer_back_with_a_question_and_it_counts_again_once_resubmitted() {
    let app = spawn_app().await;
    let mut seen = 0;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
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
    let id = publish_survey(&app, &central, &["org:131016", "org:131024"]).await;
    send_notices(&app, &mut seen).await;
    let path = format!("/surveys/{id}");
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();

    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let csrf_m = member.get(&path).await.hidden("csrf");
    let answers = [
        ("a_no_subcontract_done", "3"),
        ("a_no_subcontract_required", "3"),
        ("a_no_takeout_done", "3"),
        ("a_no_takeout_required", "3"),
        ("a_return_disposal_done", "0"),
        ("a_return_disposal_required", "0"),
    ];
    let submit = |csrf: String| {
        let mut form = vec![
            ("csrf".to_owned(), csrf),
            ("action".into(), "submit".into()),
        ];
        form.extend(
            answers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        form
    };
    let form = submit(csrf_m.clone());
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        member.post(&format!("{path}/answers"), &form).await.status,
        StatusCode::SEE_OTHER
    );

    // 東京都 reads 千代田区's answers item by item and sends them back with a question.
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    let results = pref.get(&format!("{path}/results")).await.body;
    assert!(
        results.contains(&format!("{path}/answers/131016")),
        "the table links each organisation"
    );
    let page = pref.get(&format!("{path}/answers/131016")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("3 / 3") && page.body.contains("0 / 0"),
        "{}",
        page.body
    );
    let csrf_p = page.hidden("csrf");
    let empty = pref
        .post(
            &format!("{path}/answers/131016/return"),
            &[("csrf", &csrf_p), ("note", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("差し戻す理由"), "{}", empty.body);
    const QUESTION: &str =
        "返還・廃棄の対象が 0 件となっていますが、今年度に終了した委託契約はありませんか。";
    let back = pref
        .post(
            &format!("{path}/answers/131016/return"),
            &[("csrf", &csrf_p), ("note", QUESTION)],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let mails = send_notices(&app, &mut seen).await;
    assert_eq!(mails.len(), 1, "千代田区's contact: {mails:?}");
    assert!(
        mails[0].0.contains("131016")
            && mails[0].1.contains("【差し戻し】")
            && mails[0].1.contains(QUESTION)
    );
    // It is a draft again: the organisation sees the question; the results no longer count it.
    let own = member.get(&path).await.body;
    assert!(
        own.contains("差し戻されました") && own.contains(QUESTION),
        "{own}"
    );
    let row = store::answer(&app.ctx.db, id, chiyoda.id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.returned() && !row.submitted);
    let results = pref.get(&format!("{path}/results")).await.body;
    assert!(results.contains("差し戻し中"), "{results}");
    assert!(
        results.contains("<td id=\"coverage\">0.0%</td>"),
        "{results}"
    );
    // "As of" a time before the 差し戻し the answer counted; from it on, not.
    let first_submission = row.submitted_at.unwrap();
    let db = &app.ctx.db;
    let at_submission = store::answers_as_of(db, id, first_submission)
        .await
        .unwrap();
    assert!(at_submission.iter().any(|(o, _)| *o == chiyoda.id));
    let now = store::answers_as_of(db, id, Utc::now()).await.unwrap();
    assert!(!now.iter().any(|(o, _)| *o == chiyoda.id));
    // Neither another prefecture nor a municipality may read or send back 千代田区's answers.
    let mut kanagawa = Browser::new(&app.address);
    kanagawa.log_in("sec@pref.kanagawa.lg.jp", PW).await;
    assert_eq!(
        kanagawa.get(&format!("{path}/answers/131016")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        member.get(&format!("{path}/answers/131016")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .post(
                &format!("{path}/answers/131016/return"),
                &[("csrf", &csrf_m), ("note", "x")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Submitted anew, it counts again and the notice is gone.
    let csrf_m = member.get(&path).await.hidden("csrf");
    let form = submit(csrf_m);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        member.post(&format!("{path}/answers"), &form).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(!member.get(&path).await.body.contains("差し戻されました"));
    let results = pref.get(&format!("{path}/results")).await.body;
    assert!(
        results.contains("<td id=\"coverage\">50.0%</td>"),
        "{results}"
    );
    let audit = noroshi::audit::recent(&app.ctx.db, Some(&format!("survey:{id}")), 20)
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "survey.return"));
    app.stop().await;
}
