//! The holes the third security review found (`shared/reviews/security-2026-12-05.md`), each kept
//! closed by a test named for the behaviour.

use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::user;
use crate::helpers::{spawn_app, spawn_app_with};
use noroshi::auth::Role;

const PASSWORD: &str = "correct horse battery staple";

/// N-L4: a client behind our proxy cannot pick its own address by writing `X-Forwarded-For`:
/// the limit counts the address our proxy appended.
#[tokio::test]
async fn a_client_behind_the_proxy_cannot_rotate_its_address_past_the_login_limit() {
    let app = spawn_app_with(|s| s.auth.login_attempts_per_minute = 3).await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    let csrf = b.get("/login").await.hidden("csrf");
    let mut statuses = Vec::new();
    for n in 0..6 {
        // What a same-host proxy sends: the client's own header, then the address it saw.
        let forwarded = format!("192.0.2.{n}, 198.51.100.9");
        let r = reqwest::Client::new()
            .post(app.url("/login"))
            .header("cookie", b.cookie_header())
            .header("x-forwarded-for", forwarded)
            .form(&[
                ("email", "joho@city.chiyoda.lg.jp"),
                ("password", "not the password!"),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
        ]
    );
    let audited = noroshi::audit::recent(&app.ctx.db, None, 50).await.unwrap();
    let failed: Vec<_> = audited
        .iter()
        .filter(|e| e.action == "auth.login_failed")
        .collect();
    assert_eq!(failed.len(), 3);
    for e in failed {
        assert!(
            e.detail.contains("\"from\":\"198.51.100.9\""),
            "{}",
            e.detail
        );
    }
}

/// N-L4: without a token, `/metrics` is for a scraper on this machine, not for whoever reaches
/// a proxy on it.
#[tokio::test]
async fn metrics_through_a_proxy_need_the_token() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::OK);
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.66"),
        ("forwarded", "for=203.0.113.66"),
        ("x-real-ip", "203.0.113.66"),
    ] {
        let r = app
            .client
            .get(app.url("/metrics"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{name}");
    }
}

async fn org(app: &crate::helpers::TestApp, code: &str) -> noroshi::registry::Organisation {
    noroshi::registry::store::find_by_code(
        &app.ctx.db,
        noroshi::registry::OrgCode::parse(code).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
}

/// A closed report as 千代田区 would file it, marked `tlp`.
async fn closed_report(app: &crate::helpers::TestApp, tlp: &str) -> noroshi::reports::ReportId {
    let reporter = org(app, "131016").await;
    let input = noroshi::reports::ReportInput {
        title: "幹部端末の侵害".into(),
        summary: "端末に侵入の痕跡があった。".into(),
        found_at: "2026-11-30 10:00".into(),
        systems: "庁内端末".into(),
        personal_data: "no".into(),
        leaked: "no".into(),
        phase: "resolved".into(),
        situation: "端末を隔離した。".into(),
        categories: vec!["unauthorized_access".into()],
        causes: vec!["external_attack".into()],
        response_result: "端末を初期化".into(),
        prevention: "多要素認証を導入".into(),
        final_report: true,
        tlp: tlp.into(),
        ..Default::default()
    };
    let at = chrono::Utc::now();
    noroshi::reports::store::file(
        &app.ctx.db,
        &noroshi::reports::mail::Mailing::of(&app.ctx.settings),
        &reporter,
        input.validate(at).unwrap(),
        &noroshi::audit::Actor::System,
        at,
    )
    .await
    .unwrap()
}

/// N-L3: a case made from a RED report starts RED; making it looser takes a reason, which the
/// audit log keeps, and the edit and case pages say where it came from.
#[tokio::test]
async fn a_case_from_a_red_report_starts_red_and_is_made_looser_only_with_an_audited_reason() {
    use crate::helpers::mail::central_users;
    use noroshi::domain::Tlp;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "141003",
        Role::Member,
        "member@city.yokohama.lg.jp",
    )
    .await;
    let report = closed_report(&app, "RED").await;
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PASSWORD).await;
    let csrf = operator
        .get(&format!("/reports/{report}"))
        .await
        .hidden("csrf");
    let made = operator
        .post(
            &format!("/reports/{report}/case"),
            &[("csrf", &csrf), ("kind", "incident")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let case_id: i64 = made
        .location
        .unwrap()
        .trim_start_matches("/cases/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap();
    let case = noroshi::cases::store::get(&app.ctx.db, case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        case.fields.tlp,
        Tlp::Red,
        "the case starts at the report's TLP"
    );

    // The edit page names the report and its marking; GREEN without a reason is refused.
    let edit = operator.get(&format!("/cases/{case_id}/edit")).await;
    assert!(edit.body.contains("id=\"case-origin\""), "{}", edit.body);
    assert!(
        edit.body.contains(&format!("#{report} (TLP:RED)")),
        "{}",
        edit.body
    );
    let mut fields = case.fields.to_input();
    fields.tlp = "GREEN".into();
    let lowered = noroshi::cases::store::edit(
        &app.ctx.db,
        case_id,
        &fields.validate(noroshi::time::today_jst()).unwrap(),
        None,
        None,
        &noroshi::audit::Actor::of(&central.operator),
    )
    .await;
    assert!(lowered.is_err(), "no reason, no looser TLP");
    let still = noroshi::cases::store::get(&app.ctx.db, case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.fields.tlp, Tlp::Red, "a refused edit changes nothing");

    // Published as RED, another municipality does not see it.
    noroshi::cases::store::publish(
        &app.ctx.db,
        case_id,
        &noroshi::audit::Actor::of(&central.approver),
    )
    .await
    .unwrap();
    let mut other = Browser::new(&app.address);
    other.log_in("member@city.yokohama.lg.jp", PASSWORD).await;
    assert_eq!(
        other.get(&format!("/cases/{case_id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // With a reason, the editor may share it: audited, and the case page says so.
    noroshi::cases::store::edit(
        &app.ctx.db,
        case_id,
        &fields.validate(noroshi::time::today_jst()).unwrap(),
        Some("匿名化のうえ共有"),
        Some("匿名化済みで、他団体の再発防止に役立つため"),
        &noroshi::audit::Actor::of(&central.operator),
    )
    .await
    .unwrap();
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("case:{case_id}")), 20)
        .await
        .unwrap();
    let entry = audited
        .iter()
        .find(|e| e.action == "case.tlp_lowered")
        .expect("the looser TLP is audited");
    assert!(
        entry.detail.contains("\"report_tlp\":\"RED\""),
        "{}",
        entry.detail
    );
    assert!(
        entry.detail.contains("他団体の再発防止"),
        "{}",
        entry.detail
    );
    let page = operator.get(&format!("/cases/{case_id}")).await;
    assert!(
        page.body.contains("id=\"case-tlp-lowered\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"case-report-tlp\""),
        "{}",
        page.body
    );
}

/// N-L2: what a prefecture reads about one of its municipalities — the report card, the drill
/// list and the 疎通確認 report — holds the TLP rule and never shows an unapproved edit.
#[tokio::test]
async fn a_prefecture_reads_no_red_drill_or_report_and_no_unapproved_title_of_its_municipality() {
    use crate::helpers::mail::{Draft, central_users, publish_alert};
    use noroshi::domain::Tlp;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    closed_report(&app, "RED").await;
    closed_report(&app, "GREEN").await;
    let (red_drill, red) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            title: "【赤】幹部の緊急連絡網の訓練",
            tlp: Tlp::Red,
            drill: true,
            ..Draft::default()
        },
    )
    .await;
    let (green_drill, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            title: "通常の連絡訓練",
            tlp: Tlp::Green,
            drill: true,
            ..Draft::default()
        },
    )
    .await;
    noroshi::alerts::publish::revise(
        &app.ctx.db,
        green_drill,
        &central.operator,
        noroshi::alerts::publish::Edit {
            title: Some("【未承認の第2報】".into()),
            changes: Some("件名".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let mut tokyo = Browser::new(&app.address);
    tokyo.log_in("sec@metro.tokyo.lg.jp", PASSWORD).await;
    let card = tokyo.get("/stats/card?org=131016").await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(!card.body.contains("【赤】"), "{}", card.body);
    assert!(!card.body.contains("未承認"), "{}", card.body);
    assert!(card.body.contains("通常の連絡訓練"), "{}", card.body);
    assert!(card.body.contains("id=\"card-withheld\""), "{}", card.body);
    let reports = card.body.split("障害・事故等報告</th><td>").nth(1).unwrap();
    assert!(
        reports.starts_with("1<"),
        "one GREEN report counted: {reports}"
    );
    let drills = tokyo.get("/drills").await;
    assert!(!drills.body.contains("【赤】"), "{}", drills.body);
    assert!(!drills.body.contains(&red.public_id), "{}", drills.body);
    assert!(!drills.body.contains("未承認"), "{}", drills.body);
    for path in [
        format!("/drills/{red_drill}/report"),
        format!("/drills/{red_drill}/report.csv"),
    ] {
        assert_eq!(
            tokyo.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        tokyo
            .get(&format!("/drills/{green_drill}/report"))
            .await
            .status,
        StatusCode::OK
    );

    // The organisation itself reads its whole card.
    let mut own = Browser::new(&app.address);
    own.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let card = own.get("/stats/card").await;
    assert!(card.body.contains("【赤】"), "{}", card.body);
    assert!(!card.body.contains("未承認"), "{}", card.body);
    assert!(!card.body.contains("id=\"card-withheld\""), "{}", card.body);
}
