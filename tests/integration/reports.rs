//! 障害・事故等報告: a municipality's report with its successive 報 reaches its prefecture and
//! the central desk by mail (no personal data in it) and nobody else, on the portal and the
//! API; the prefecture relays it; timers remind once; a case made of it is refused while it
//! names the town; the 年度 statistics turn at 1 April; synonyms find cases written with the
//! other word.

use chrono::{Duration, Utc};
use noroshi::audit::Actor;
use noroshi::auth::Role;
use noroshi::auth::tokens::Scope;
use noroshi::contacts::MailEncoding;
use noroshi::domain::ids::CaseId;
use noroshi::registry::{OrgCode, Organisation};
use noroshi::reports::mail::Mailing;
use noroshi::reports::{ReportId, ReportInput};
use noroshi::workers::Outcome;
use reqwest::StatusCode;

use crate::feeds::token_for;
use crate::helpers::browser::Browser;
use crate::helpers::mail::{add_contacts, central_users, fixture, user};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const PW: &str = "correct horse battery staple";
const DESK: &str = "incident-desk@soumu.go.jp";

fn settings(s: &mut noroshi::config::Settings) {
    s.reports.desk = vec![DESK.into()];
    s.mail.dkim_rsa_key = Some(fixture("test-rsa2048.pem"));
}

async fn org(app: &TestApp, code: &str) -> Organisation {
    noroshi::registry::store::find_by_code(&app.ctx.db, OrgCode::parse(code).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn send_notices(app: &TestApp) -> usize {
    crate::helpers::mail::send_notices(&app.ctx).await
}

struct Mail {
    to: String,
    subject: String,
    text: String,
    raw: String,
}

fn mails(app: &TestApp) -> Vec<Mail> {
    app.smtp
        .received()
        .iter()
        .map(|t| {
            let p = mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .unwrap();
            Mail {
                to: t.rcpt_to.join(","),
                subject: p.subject().unwrap_or_default().to_owned(),
                text: p.body_text(0).unwrap_or_default().into_owned(),
                raw: t.data_str(),
            }
        })
        .collect()
}

fn first_report() -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", "委託先が山田太郎さんほかの住民情報を持ち出し"),
        ("found_at", "2026-12-01 09:30"),
        (
            "summary",
            "委託先の社員が住民 山田太郎（千代田区一番町1-1）ほか 144 名分のデータを自宅に持ち帰った。",
        ),
        ("systems", "住民情報系システム（山田太郎の記録を含む）"),
        ("personal_data", "yes"),
        ("data_kind_name", "on"),
        ("data_kind_address", "on"),
        ("leaked", "unknown"),
        ("phase", "initial"),
        (
            "situation",
            "委託先に事実確認中。山田太郎さんには連絡済み。",
        ),
        ("category_data_leak", "on"),
        ("cause_external_contractor", "on"),
        ("records", "144"),
        ("contractor", "yes"),
    ]
}

fn form<'a>(csrf: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("csrf", csrf)];
    f.extend_from_slice(fields);
    f
}

#[tokio::test]
async fn a_municipalitys_report_reaches_its_prefecture_and_the_desk_and_nobody_else() {
    let app = spawn_app_with(settings).await;
    central_users(&app.ctx).await;
    let tokyo = org(&app, "130001").await;
    let chiyoda = org(&app, "131016").await;
    add_contacts(&app.ctx, &[tokyo.clone(), chiyoda.clone()], 1, |_| {
        MailEncoding::Utf8
    })
    .await;
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

    // 千代田区 files a 第1報 in the portal.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let page = member.get("/reports/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("value=\"AMBER\" selected"),
        "AMBER by default"
    );
    let csrf = page.hidden("csrf");
    let filed = member
        .post("/reports/new", &form(&csrf, &first_report()))
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let path = filed.location.unwrap();
    let id: i64 = path.trim_start_matches("/reports/").parse().unwrap();

    // One mail to the prefecture's contact and one to the desk: TLP-marked, signed, with the
    // report's number and path, and none of the report's free text. The desk's 受理 goes to the
    // reporter and the prefecture (`report_desk` follows it).
    assert_eq!(send_notices(&app).await, 4);
    let (got, received): (Vec<Mail>, Vec<Mail>) = mails(&app)
        .into_iter()
        .partition(|m| !m.subject.contains("【受理】"));
    let to: Vec<&str> = received.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        to,
        vec!["c0@131016.example.lg.jp", "c0@130001.example.lg.jp"]
    );
    let to: Vec<&str> = got.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, vec!["c0@130001.example.lg.jp", DESK], "{to:?}");
    for m in &got {
        assert!(m.subject.starts_with("[TLP:AMBER]"), "{}", m.subject);
        assert!(m.subject.contains("第1報") && m.subject.contains(&format!("#{id}")));
        assert!(m.raw.contains("DKIM-Signature:"), "signed");
        assert!(m.text.contains(&format!("/reports/{id}")), "{}", m.text);
        assert!(
            m.text.contains("個人情報: あり（氏名、住所）"),
            "{}",
            m.text
        );
        assert!(m.text.contains("個人情報 144 件"), "{}", m.text);
        for secret in ["山田", "一番町", "住民情報系システム", "事実確認中"] {
            assert!(
                !m.text.contains(secret) && !m.subject.contains(secret),
                "{secret} in {}",
                m.text
            );
        }
    }

    // Seen by its prefecture and central staff; 404 to another municipality, another
    // prefecture; the login page for nobody.
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    let seen = pref.get(&path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(
        seen.body.contains("山田太郎"),
        "the portal holds the details"
    );
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    assert_eq!(operator.get(&path).await.status, StatusCode::OK);
    for email in ["member@city.yokohama.lg.jp", "sec@pref.kanagawa.lg.jp"] {
        let mut other = Browser::new(&app.address);
        other.log_in(email, PW).await;
        assert_eq!(
            other.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{email}"
        );
        assert!(
            !other
                .get("/reports")
                .await
                .body
                .contains(&format!("href=\"{path}\""))
        );
    }
    let anonymous = Browser::new(&app.address).get(&path).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location.unwrap().starts_with("/login"));

    // The API: 千代田区's report token reads it and adds the 第2報; 横浜市's does not see it.
    let token = token_for(&app.ctx, "131016", &[Scope::Report]).await;
    let yokohama = token_for(&app.ctx, "141003", &[Scope::Report]).await;
    let read_only = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let api = |t: &str| {
        app.client
            .get(app.url(&format!("/api/v1/reports/{id}")))
            .bearer_auth(t.to_owned())
    };
    assert_eq!(api(&token).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        api(&yokohama).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api(&read_only).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let anon = app
        .client
        .get(app.url(&format!("/api/v1/reports/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let second = serde_json::json!({
        "title": "委託先による住民情報の持ち出し",
        "summary": "持ち出されたデータは回収した。",
        "found_at": "2026-12-01 09:30",
        "systems": "住民情報系システム",
        "personal_data": "yes",
        "data_kinds": ["name", "address"],
        "leaked": "no",
        "phase": "planned",
        "situation": "外部への流出はないことを確認した。",
        "response_plan": "委託契約を見直す。",
        "records": 144
    });
    let post = |t: &str, body: &serde_json::Value| {
        app.client
            .post(app.url(&format!("/api/v1/reports/{id}/updates")))
            .bearer_auth(t.to_owned())
            .json(body)
    };
    assert_eq!(
        post(&yokohama, &second).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let r = post(&token, &second).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (body["seq"].as_i64(), body["status"].as_str()),
        (Some(2), Some("open"))
    );
    assert_eq!(
        send_notices(&app).await,
        4,
        "one to the prefecture, one to the desk, the 受理 to the reporter and the prefecture"
    );

    // The prefecture relays: a note, 確認済, forwarded to the desk with one action.
    let page = pref.get(&path).await;
    let csrf = page.hidden("csrf");
    assert!(page.body.contains("/confirm") && page.body.contains("/forward"));
    let noted = pref
        .post(
            &format!("{path}/notes"),
            &[("csrf", &csrf), ("note", "都の情報政策課で確認しました")],
        )
        .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    let forwarded = pref
        .post(&format!("{path}/forward"), &[("csrf", &csrf)])
        .await;
    assert_eq!(forwarded.status, StatusCode::SEE_OTHER);
    assert_eq!(send_notices(&app).await, 1, "the desk is told once");
    let relay = mails(&app).pop().unwrap();
    assert_eq!(relay.to, DESK);
    assert!(
        relay.subject.contains("都道府県から連携"),
        "{}",
        relay.subject
    );
    // The member sees the note and the relay; the member may not relay.
    let own = member.get(&path).await;
    assert!(own.body.contains("都の情報政策課で確認しました"));
    assert!(own.body.contains("都道府県確認・連携済"));
    let csrf_m = own.hidden("csrf");
    assert_eq!(
        member
            .post(&format!("{path}/confirm"), &[("csrf", &csrf_m)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The 最終報 closes it; nothing more is taken, on either channel.
    let update = member.get(&format!("{path}/update")).await;
    assert_eq!(update.status, StatusCode::OK);
    assert!(
        update.body.contains("委託契約を見直す。"),
        "the form starts from the last 報"
    );
    let mut last = first_report();
    last.extend([
        (
            "response_result",
            "データを回収し、委託先の端末を点検した。",
        ),
        ("prevention", "委託契約に持ち出し禁止と立入検査を明記した。"),
        ("phase", "resolved"),
        ("final_report", "on"),
    ]);
    let closed = member
        .post(
            &format!("{path}/update"),
            &form(&update.hidden("csrf"), &last),
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    assert_eq!(send_notices(&app).await, 4);
    assert!(
        mails(&app)
            .iter()
            .rev()
            .take(4)
            .all(|m| m.subject.contains("最終報"))
    );
    let late = post(&token, &second).send().await.unwrap();
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert_eq!(
        member.get(&format!("{path}/update")).await.status,
        StatusCode::BAD_REQUEST
    );
    let updates = noroshi::reports::store::updates(&app.ctx.db, ReportId(id))
        .await
        .unwrap();
    assert_eq!(updates.len(), 3, "every 報 kept as written");
    assert_eq!(updates[0].fields.leaked, noroshi::reports::Tri::Unknown);
    assert_eq!(updates[1].fields.leaked, noroshi::reports::Tri::No);
    assert_eq!(send_notices(&app).await, 0);

    // Every step is audited.
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("report:{id}")), 20)
        .await
        .unwrap();
    let actions: Vec<&str> = audited.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "report.file",
        "report.update",
        "report.note",
        "report.forward",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    // The report's page lists its mail: three 報 and the relay to two addresses, and each 報's
    // 受理 to the reporter and the prefecture.
    let page = pref.get(&path).await;
    assert_eq!(page.body.matches("class=\"report-mail\"").count(), 13);
    app.stop().await;
}

#[tokio::test]
async fn a_red_report_is_for_the_reporter_and_central_staff_only() {
    let app = spawn_app_with(settings).await;
    central_users(&app.ctx).await;
    let tokyo = org(&app, "130001").await;
    add_contacts(&app.ctx, &[tokyo], 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    let token = token_for(&app.ctx, "131016", &[Scope::Report]).await;
    let r = app
        .client
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "title": "標的型メールによる感染（捜査中）",
            "summary": "警察と連携して調査中",
            "found_at": "2026-12-02 18:00",
            "systems": "庁内LAN",
            "personal_data": "unknown",
            "leaked": "unknown",
            "phase": "investigating",
            "situation": "端末を隔離した",
            "tlp": "RED"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(send_notices(&app).await, 1);
    assert_eq!(mails(&app)[0].to, DESK, "the prefecture is not mailed");
    assert!(mails(&app)[0].subject.starts_with("[TLP:RED]"));
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    assert_eq!(
        pref.get(&format!("/reports/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    assert_eq!(
        operator.get(&format!("/reports/{id}")).await.status,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_reports_are_refused_with_the_field_named_and_store_nothing() {
    let app = spawn_app_with(settings).await;
    let token = token_for(&app.ctx, "131016", &[Scope::Report]).await;
    let send = |body: String| {
        app.client
            .post(app.url("/api/v1/reports"))
            .bearer_auth(token.clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let future = (Utc::now() + Duration::days(2))
        .with_timezone(&noroshi::time::jst_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    for (body, field) in [
        ("{}".to_owned(), "title"),
        (
            serde_json::json!({"title": "x", "summary": "x", "found_at": future, "systems": "x",
                "personal_data": "yes", "leaked": "no", "phase": "initial", "situation": "x"})
            .to_string(),
            "found_at",
        ),
        (
            serde_json::json!({"title": "x", "summary": "あ".repeat(10_001), "found_at": "2026-12-01 09:00",
                "systems": "x", "personal_data": "yes", "leaked": "no", "phase": "initial", "situation": "x"})
            .to_string(),
            "summary",
        ),
        (
            serde_json::json!({"title": "x", "summary": "x", "found_at": "2026-12-01 09:00", "systems": "x",
                "personal_data": "maybe", "leaked": "no", "phase": "initial", "situation": "x"})
            .to_string(),
            "personal_data",
        ),
        (r#"{"titel": "x"}"#.to_owned(), "titel"),
    ] {
        let r = send(body).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(e["message"].as_str().unwrap().contains(field), "{field}: {e}");
    }
    // The portal form says the same and keeps what was typed.
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let csrf = member.get("/reports/new").await.hidden("csrf");
    let refused = member
        .post(
            "/reports/new",
            &[
                ("csrf", &csrf),
                ("title", "件名だけ"),
                ("records", "たくさん"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    for field in ["records", "summary", "found_at", "personal_data", "phase"] {
        assert!(refused.body.contains(field), "{field}");
    }
    assert!(refused.body.contains("value=\"件名だけ\""));
    let reader = noroshi::registry::Caller::new(&org(&app, "131016").await, None);
    let stored = noroshi::reports::store::list(&app.ctx.db, &reader, Default::default())
        .await
        .unwrap();
    assert!(stored.is_empty());
    assert_eq!(send_notices(&app).await, 0);
    app.stop().await;
}

fn input(title: &str, found_at: &str) -> ReportInput {
    ReportInput {
        title: title.into(),
        summary: "千代田区の職員が個人情報を含むメールを誤送信した。".into(),
        found_at: found_at.into(),
        systems: "メールシステム".into(),
        personal_data: "yes".into(),
        leaked: "yes".into(),
        phase: "resolved".into(),
        situation: "千代田区として受信者に削除を依頼し、削除を確認した。".into(),
        categories: vec!["data_leak".into()],
        causes: vec!["human_error".into()],
        response_result: "受信者全員の削除を確認".into(),
        prevention: "外部宛先の確認機能を導入".into(),
        final_report: true,
        records: Some(144),
        ..Default::default()
    }
}

async fn file(app: &TestApp, code: &str, i: ReportInput, at: chrono::DateTime<Utc>) -> ReportId {
    let reporter = org(app, code).await;
    let fields = i.validate(at).unwrap();
    noroshi::reports::act::file(
        &app.ctx.db,
        &Mailing::of(&app.ctx.settings),
        &reporter,
        fields,
        &Actor::System,
        at,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_case_made_from_a_report_that_names_its_town_cannot_be_published_until_the_name_is_gone()
{
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let id = file(
        &app,
        "131016",
        input("千代田区でメール誤送信", "2026-11-30 10:00"),
        Utc::now(),
    )
    .await;
    let open = file(
        &app,
        "131016",
        ReportInput {
            final_report: false,
            ..input("対応中の報告", "2026-11-30 10:00")
        },
        Utc::now(),
    )
    .await;

    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let page = operator.get(&format!("/reports/{id}")).await;
    assert!(page.body.contains("/case"), "a closed report offers a case");
    let csrf = page.hidden("csrf");
    let refused = operator
        .post(
            &format!("/reports/{open}/case"),
            &[("csrf", &csrf), ("kind", "incident")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "an open report makes no case"
    );
    let made = operator
        .post(
            &format!("/reports/{id}/case"),
            &[("csrf", &csrf), ("kind", "near_miss")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let case_id: CaseId = made
        .location
        .unwrap()
        .trim_start_matches("/cases/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap();
    let again = operator
        .post(
            &format!("/reports/{id}/case"),
            &[("csrf", &csrf), ("kind", "incident")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "one case per report");
    let case = noroshi::cases::store::get(&app.ctx.db, case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.fields.kind, noroshi::cases::Kind::NearMiss);
    assert_eq!(
        (case.fields.org_kind.as_str(), case.fields.prefecture),
        ("city", Some(13))
    );
    assert!(!case.fields.named);
    assert_eq!(case.fields.records_affected, Some(144));
    assert_eq!(case.fields.lessons, "外部宛先の確認機能を導入");

    // The text still names 千代田区, which did not agree: an approver cannot publish it.
    let err = noroshi::cases::act::publish(&app.ctx.db, case_id, &Actor::of(&central.approver))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("千代田区"), "{err}");
    let mut fields = case.fields.clone();
    fields.title = "メール誤送信".into();
    fields.summary = fields.summary.replace("千代田区の", "");
    fields.body = fields
        .body
        .replace("千代田区の", "")
        .replace("千代田区として", "");
    noroshi::cases::act::edit(
        &app.ctx.db,
        case_id,
        &fields,
        None,
        None,
        &Actor::of(&central.operator),
    )
    .await
    .unwrap();
    noroshi::cases::act::publish(&app.ctx.db, case_id, &Actor::of(&central.approver))
        .await
        .unwrap();

    // The link back is for central staff only.
    let central_page = operator.get(&format!("/cases/{case_id}")).await;
    assert!(central_page.body.contains("id=\"case-report\""));
    assert!(central_page.body.contains("ひやり事案"));
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let public = member.get(&format!("/cases/{case_id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(!public.body.contains("id=\"case-report\""));
    app.stop().await;
}

#[tokio::test]
async fn reports_count_by_fiscal_year_with_the_boundary_at_midnight_on_the_first_of_april() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    let now = Utc::now();
    // 23:59 on 31 March is 令和7年度; a minute later is 令和8年度.
    file(&app, "131016", input("年度末", "2026-03-31 23:59"), now).await;
    file(&app, "131016", input("年度初め", "2026-04-01 00:00"), now).await;
    file(&app, "141003", input("横浜", "2026-06-01 10:00"), now).await;
    file(
        &app,
        "130001",
        ReportInput {
            categories: vec!["malware".into()],
            causes: vec![],
            ..input("都", "2026-07-01 10:00")
        },
        now,
    )
    .await;
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let y2025 = operator.get("/reports/stats?fy=2025").await;
    assert!(
        y2025.body.contains("<td id=\"total\">1</td>"),
        "{}",
        y2025.body
    );
    let y2026 = operator.get("/reports/stats?fy=2026").await;
    assert!(y2026.body.contains("<td id=\"total\">3</td>"));
    let reader =
        noroshi::registry::Caller::new(&org(&app, "990019").await, Some(Role::CentralOperator));
    let s =
        noroshi::reports::stats::build(&app.ctx.db, &reader, 2026, &app.ctx.settings.reports, now)
            .await
            .unwrap();
    let count = |rows: &[noroshi::reports::stats::Row], id: &str| {
        rows.iter().find(|r| r.id == id).map_or(0, |r| r.count)
    };
    assert_eq!((s.total, s.closed, s.personal_data, s.leaked), (3, 3, 3, 3));
    assert_eq!(
        (
            count(&s.by_category, "data_leak"),
            count(&s.by_category, "malware")
        ),
        (2, 1)
    );
    assert_eq!(
        (
            count(&s.by_cause, "human_error"),
            count(&s.by_cause, "none")
        ),
        (2, 1)
    );
    assert_eq!(
        (
            count(&s.by_org_kind, "municipality"),
            count(&s.by_org_kind, "prefecture")
        ),
        (2, 1)
    );
    assert_eq!(
        (count(&s.by_prefecture, "13"), count(&s.by_prefecture, "14")),
        (2, 1)
    );
    // The 和暦 heading, and the CSV Excel opens.
    let mut wareki = operator
        .get("/preferences/dates?style=wareki&next=/reports/stats?fy=2026")
        .await;
    wareki = if wareki.status == StatusCode::SEE_OTHER {
        operator.get("/reports/stats?fy=2026").await
    } else {
        wareki
    };
    assert!(wareki.body.contains("令和8年度"), "{}", wareki.body);
    let csv = app
        .client
        .get(app.url("/reports/stats.csv?fy=2026"))
        .header("cookie", operator.cookie_header())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("\r\n"));
    assert!(
        csv.contains("\"2026年度\",\"合計\",\"total\",\"報告\",3\r\n"),
        "{csv}"
    );
    // 東京都 counts its own and its municipalities', not 横浜市's.
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    assert!(
        pref.get("/reports/stats?fy=2026")
            .await
            .body
            .contains("<td id=\"total\">2</td>")
    );
    let bad = pref.get("/reports/stats?fy=1999").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn an_overdue_report_reminds_its_organisation_once_and_shows_as_overdue() {
    let app = spawn_app().await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    let chiyoda = org(&app, "131016").await;
    add_contacts(&app.ctx, &[chiyoda], 1, |_| MailEncoding::Utf8).await;
    // Found six days ago, first reported four days ago (late), nothing since (overdue).
    let filed_at = Utc::now() - Duration::days(4);
    let found = (Utc::now() - Duration::days(6))
        .with_timezone(&noroshi::time::jst_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let id = file(
        &app,
        "131016",
        ReportInput {
            final_report: false,
            ..input("放置された報告", &found)
        },
        filed_at,
    )
    .await;
    send_notices(&app).await;
    let before = app.smtp.received().len();
    assert_eq!(
        noroshi::jobs::report_timers(&app.ctx).await.unwrap(),
        Outcome::Worked
    );
    assert_eq!(
        noroshi::jobs::report_timers(&app.ctx).await.unwrap(),
        Outcome::Idle,
        "once per timer"
    );
    send_notices(&app).await;
    let got = mails(&app);
    assert_eq!(got.len(), before + 1);
    let reminder = got.last().unwrap();
    assert_eq!(reminder.to, "c0@131016.example.lg.jp");
    assert!(
        reminder.subject.contains("第2報の期限を過ぎています"),
        "{}",
        reminder.subject
    );
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    let overdue = pref.get("/reports?overdue=1").await;
    assert!(overdue.body.contains(&format!("href=\"/reports/{id}\"")));
    assert!(overdue.body.contains("第1報の遅れ"));
    // A new 報 starts the next timer; it is not due yet.
    let r = noroshi::reports::store::get(&app.ctx.db, id)
        .await
        .unwrap()
        .unwrap();
    let t = noroshi::reports::timers::of(&r, &app.ctx.settings.reports, Utc::now());
    assert!(t.overdue && t.first_late);
    let reader = noroshi::registry::Caller::new(&org(&app, "131016").await, Some(Role::Member));
    noroshi::reports::act::add_update(
        &app.ctx.db,
        &Mailing {
            settings: &app.ctx.settings.reports,
            base_url: "http://hub",
        },
        id,
        &reader,
        ReportInput {
            final_report: false,
            ..input("放置された報告", &found)
        }
        .validate(Utc::now())
        .unwrap(),
        &Actor::System,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        noroshi::jobs::report_timers(&app.ctx).await.unwrap(),
        Outcome::Idle
    );
    assert!(
        !pref
            .get("/reports?overdue=1")
            .await
            .body
            .contains(&format!("href=\"/reports/{id}\""))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_search_for_one_word_finds_cases_written_with_its_synonym_until_the_list_changes() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    let case = |title: &str, body: &str| {
        noroshi::cases::CaseInput {
            kind: "incident".into(),
            title: title.into(),
            summary: "概要".into(),
            body: body.into(),
            categories: vec!["data_leak".into()],
            org_kind: "city".into(),
            tlp: "CLEAR".into(),
            ..Default::default()
        }
        .validate(noroshi::time::today_jst())
        .unwrap()
    };
    for (t, b) in [
        (
            "私物パソコンからの流出",
            "自宅のパソコンのファイル共有ソフトからデータが流出した。",
        ),
        ("宛先の誤り", "通知を別の保護者へ誤送付した。"),
    ] {
        noroshi::cases::act::create_published(&app.ctx.db, &case(t, b), &Actor::System)
            .await
            .unwrap();
    }
    noroshi::cases::outbox::drain(&app.ctx.db, &app.ctx.search)
        .await
        .unwrap();
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let finds = |body: &str, title: &str| body.contains(title);
    for (q, title) in [
        ("Winny", "私物パソコンからの流出"),
        ("ファイル交換ソフト", "私物パソコンからの流出"),
        ("P2P", "私物パソコンからの流出"),
        ("%E8%AA%A4%E9%80%81%E4%BF%A1", "宛先の誤り"),
    ] {
        let page = operator.get(&format!("/cases?q={q}")).await;
        assert!(finds(&page.body, title), "{q} finds {title}");
    }
    // Central staff edit the list: without the group, Winny finds nothing; a new group works.
    let page = operator.get("/cases/synonyms").await;
    assert!(page.body.contains("ファイル共有ソフト"));
    let csrf = page.hidden("csrf");
    let bad = operator
        .post(
            "/cases/synonyms",
            &[("csrf", &csrf), ("text", "ひとつだけ")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("1行目"));
    let saved = operator
        .post(
            "/cases/synonyms",
            &[("csrf", &csrf), ("text", "誤送付, 誤った送付先\n")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    noroshi::cases::outbox::drain(&app.ctx.db, &app.ctx.search)
        .await
        .unwrap();
    let winny = operator.get("/cases?q=Winny").await;
    assert!(!finds(&winny.body, "私物パソコンからの流出"));
    let new = operator
        .get("/cases?q=%E8%AA%A4%E3%81%A3%E3%81%9F%E9%80%81%E4%BB%98%E5%85%88")
        .await;
    assert!(finds(&new.body, "宛先の誤り"));
    let audited = noroshi::audit::recent(&app.ctx.db, None, 20).await.unwrap();
    assert!(audited.iter().any(|e| e.action == "search.synonyms"));
    app.stop().await;
}

#[tokio::test]
async fn a_prefecture_sends_its_own_alert_to_its_municipalities_through_four_eyes() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
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
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    // The prefecture's administrator sets its own 問合せ先.
    const LINE: &str = "東京都 デジタルサービス局 情報セキュリティ担当 03-5388-0000";
    let mut admin = Browser::new(&app.address);
    admin.log_in("sec@metro.tokyo.lg.jp", PW).await;
    let csrf = admin.get("/settings").await.hidden("csrf");
    let set = admin
        .post("/settings/inquiry-line", &[("csrf", &csrf), ("line", LINE)])
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert!(set.body.contains(LINE));
    let mut staff = Browser::new(&app.address);
    staff.log_in("staff@metro.tokyo.lg.jp", PW).await;
    let page = staff.get("/alerts/new").await;
    assert_eq!(page.status, StatusCode::OK);
    // The picker opens on 東京都's municipalities only (the selectors `muni:13`).
    assert!(
        page.body.contains("<option value=\"13\" selected>")
            && page.body.contains("<option value=\"munis\" selected>"),
        "its municipalities by default, not itself"
    );
    let csrf = page.hidden("csrf");
    let post = |to: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", "都内で確認された不審メールへの注意".to_owned()),
            (
                "body",
                "件名「請求書の送付」の不審なメールに注意してください。".to_owned(),
            ),
            ("severity", "high".to_owned()),
            ("tlp", "GREEN".to_owned()),
            ("to", to.to_owned()),
            ("hours", "48".to_owned()),
            ("office_days", "on".to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    let outside = as_refs(&post("pref:13+ org:141003"));
    let outside: Vec<(&str, &str)> = outside.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = staff.post("/alerts/new", &outside).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("横浜市"), "{}", refused.body);
    let inside = post("muni:13");
    let inside: Vec<(&str, &str)> = inside.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = staff.post("/alerts/new", &inside).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft = made.location.unwrap();
    let csrf = staff.get(&draft).await.hidden("csrf");
    assert_eq!(
        staff
            .post(&format!("{draft}/submit"), &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // The writer cannot approve; the prefecture's administrator can.
    let own = staff
        .post(
            &format!("{draft}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let csrf = admin.get(&draft).await.hidden("csrf");
    let done = admin
        .post(
            &format!("{draft}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    crate::helpers::mail::drain(&app.ctx, noroshi::delivery::worker::Lane::All).await;
    let received = app.smtp.received();
    assert_eq!(
        received.len(),
        62,
        "the 62 municipalities, not 東京都 itself"
    );
    assert!(received.iter().all(|t| t.rcpt_to[0].contains("@13")));
    assert!(!received.iter().any(|t| t.rcpt_to[0].contains("@130001.")));
    // Whoever sends, signs: 東京都 and its own 問合せ先, not the centre's.
    let text = mail_parser::MessageParser::default()
        .parse(received[0].data.as_slice())
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(text.contains("発信: 東京都"), "{text}");
    assert!(text.contains(&format!("問合せ先: {LINE}")), "{text}");
    assert!(!text.contains("自治体CEPTOAR 事務局"), "{text}");
    // 48 hours counted on 開庁日: weekends, 祝日 and 年末年始 do not run the clock.
    let id: i64 = draft.trim_start_matches("/drafts/").parse().unwrap();
    let revisions =
        noroshi::alerts::store::revisions(&app.ctx.db, noroshi::domain::ids::AlertId(id))
            .await
            .unwrap();
    let first = &revisions[0];
    assert_eq!(
        first.ack_deadline,
        Some(noroshi::time::OfficeCalendar::default().add_hours(first.published_at, 48))
    );
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let alert = noroshi::alerts::store::get(&app.ctx.db, noroshi::domain::ids::AlertId(id))
        .await
        .unwrap()
        .unwrap();
    assert!(alert.ack_office_days, "the box was ticked");
    let public_id = alert.public_id.unwrap();
    let page = member.get(&format!("/alerts/{public_id}")).await.body;
    let shown = noroshi::time::format_deadline(
        &first.ack_deadline.unwrap(),
        noroshi::time::DateStyle::Western,
    );
    assert!(
        page.contains(&shown) && page.contains("開庁日で数えた期限"),
        "{shown}: {page}"
    );
    // A municipality's staff may not write one.
    assert_eq!(
        member.get("/alerts/new").await.status,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
