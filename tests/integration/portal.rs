//! The portal over real HTTP, as a browser without JavaScript uses it: login with CSRF and
//! lockout, the inbox of one's own organisation only, alert pages that other organisations
//! cannot see whatever URL they type, and acknowledgement with its history.

use noroshi::acks::store as acks;
use noroshi::audit::Actor;
use noroshi::auth::Role;
use noroshi::domain::ids::AlertId;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Central, Draft, central_users, publish_alert, publish_revision, user};
use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery staple";

/// An alert to 千代田区 and one to 中央区; returns (id, public id) of each.
async fn two_alerts(app: &TestApp, central: &Central) -> ((AlertId, String), (AlertId, String)) {
    let (a, ra) = publish_alert(
        &app.ctx,
        central,
        Draft {
            to: &["org:131016"],
            title: "千代田区あての注意喚起",
            body: "<script>alert('x')</script><a href=\"javascript:alert(1)\" onclick=\"x()\">リンク</a>",
            ..Draft::default()
        },
    )
    .await;
    let (b, rb) = publish_alert(
        &app.ctx,
        central,
        Draft {
            to: &["org:131024"],
            title: "中央区あての注意喚起",
            ..Draft::default()
        },
    )
    .await;
    ((a, ra.public_id), (b, rb.public_id))
}

#[tokio::test]
async fn a_municipality_user_sees_only_its_alerts_and_acknowledges_one() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let ((chiyoda_id, chiyoda), (_, chuo)) = two_alerts(&app, &central).await;
    let member = user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);

    // Anonymous: sent to the login page, which remembers where to return.
    let page = b.get("/inbox").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Finbox"));

    let wrong = b
        .log_in("joho@city.chiyoda.lg.jp", "not the password")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .body
            .contains("メールアドレスまたはパスワードが正しくありません")
    );
    let ok = b.log_in("joho@city.chiyoda.lg.jp", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location.as_deref(), Some("/inbox"));
    let cookie = b.cookies.get("noroshi_session").cloned().unwrap();
    assert!(cookie.len() >= 40);

    let inbox = b.get("/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains("受信一覧") && inbox.body.contains("千代田区"));
    assert!(inbox.body.contains(&chiyoda) && inbox.body.contains("千代田区あての注意喚起"));
    assert!(inbox.body.contains("未確認") && inbox.body.contains("緊急"));
    assert!(!inbox.body.contains(&chuo) && !inbox.body.contains("中央区あて"));

    // Another organisation's alert is not found, whatever the URL; so is one that does not exist.
    for path in [
        format!("/alerts/{chuo}"),
        "/alerts/NRS-1999-0001".to_owned(),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("中央区あて"));
    }

    // The alert page: upstream-looking markup in the body is shown as text, never run.
    let page = b.get(&format!("/alerts/{chiyoda}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("&#60;script&#62;"), "{}", page.body);
    assert!(!page.body.contains("<script>") && !page.body.contains("href=\"javascript:"));
    assert!(page.body.contains("TLP:AMBER") && page.body.contains("組織内と"));
    // Printed for 決裁・回覧: the approval boxes and the 出力日時 on paper, the forms not.
    assert!(
        page.body.contains("class=\"approval-boxes\"")
            && page.body.contains("@media print")
            && page.body.contains("出力日時"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(" JST（令和"),
        "dates also in 和暦: {}",
        page.body
    );
    let csrf = page.hidden("csrf");

    // Without the CSRF token nothing is recorded.
    let refused = b
        .post(
            &format!("/alerts/{chiyoda}/ack"),
            &[("state", "received"), ("csrf", "forged")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let org = member.org_id;
    assert!(
        acks::current(&app.ctx.db, chiyoda_id, org)
            .await
            .unwrap()
            .is_none()
    );
    // A state that does not exist is refused with the reason.
    let bad = b
        .post(
            &format!("/alerts/{chiyoda}/ack"),
            &[("state", "ok"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("`ok` is not a state"), "{}", bad.body);
    assert!(
        acks::current(&app.ctx.db, chiyoda_id, org)
            .await
            .unwrap()
            .is_none()
    );

    let done = b
        .post(
            &format!("/alerts/{chiyoda}/ack"),
            &[("state", "received"), ("csrf", &csrf), ("note", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let done = b
        .post(
            &format!("/alerts/{chiyoda}/ack"),
            &[
                ("state", "done"),
                ("csrf", &csrf),
                ("note", "修正版へ更新済み（情報政策課）"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/alerts/{chiyoda}")).await;
    assert!(
        page.body
            .contains("<strong id=\"ack-state\">対応完了</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("受領") && page.body.contains("修正版へ更新済み（情報政策課）"));
    assert!(
        page.body.contains("joho@city.chiyoda.lg.jp"),
        "the history says who"
    );
    let history = acks::history(&app.ctx.db, chiyoda_id, org).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.state.as_str()).collect::<Vec<_>>(),
        ["received", "done"]
    );
    let inbox = b.get("/inbox?state=done").await;
    assert!(inbox.body.contains(&chiyoda) && inbox.body.contains("対応完了"));
    let inbox = b.get("/inbox?state=unknown").await;
    assert!(!inbox.body.contains(&chiyoda));
    let bad = b.get("/inbox?severity=extreme").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("alert:{chiyoda_id}")), 20)
        .await
        .unwrap();
    assert!(audited.iter().any(|e| e.action == "ack.set"));

    // Logging out ends the session on the server, not only in the browser.
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!b.cookies.contains_key("noroshi_session"));
    b.cookies.insert("noroshi_session".into(), cookie);
    assert_eq!(b.get("/inbox").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_prefecture_sees_its_municipalities_alerts_but_reports_only_for_itself() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let ((_, chiyoda), _) = two_alerts(&app, &central).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "security@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "140007",
        Role::PrefectureAdmin,
        "security@pref.kanagawa.lg.jp",
    )
    .await;

    let mut tokyo = Browser::new(&app.address);
    tokyo.log_in("security@metro.tokyo.lg.jp", PASSWORD).await;
    let page = tokyo.get(&format!("/alerts/{chiyoda}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("東京都 宛てではありません"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("状態を報告する"));
    let csrf = page.hidden("csrf");
    let refused = tokyo
        .post(
            &format!("/alerts/{chiyoda}/ack"),
            &[("state", "received"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        !tokyo.get("/inbox").await.body.contains(&chiyoda),
        "not in Tokyo's own inbox"
    );

    let mut kanagawa = Browser::new(&app.address);
    kanagawa
        .log_in("security@pref.kanagawa.lg.jp", PASSWORD)
        .await;
    let page = kanagawa.get(&format!("/alerts/{chiyoda}")).await;
    assert_eq!(
        page.status,
        StatusCode::NOT_FOUND,
        "another prefecture sees nothing"
    );
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_and_logins_need_the_form_token() {
    let app = spawn_app().await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    for i in 1..=5 {
        let page = b.log_in("joho@city.chiyoda.lg.jp", "wrong password!").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Locked: even the right password is refused for now, with the same answer as a wrong
    // one (see `security::unknown_wrong_and_locked_logins_get_the_same_answer`).
    let page = b.log_in("joho@city.chiyoda.lg.jp", PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("正しくありません"), "{}", page.body);
    assert!(!b.cookies.contains_key("noroshi_session"));
    let audited = noroshi::audit::recent(&app.ctx.db, None, 20).await.unwrap();
    assert!(audited.iter().any(|e| e.action == "auth.locked"));

    // A login posted without the form's own token (another site's form) is refused.
    let mut fresh = Browser::new(&app.address);
    let page = fresh
        .post(
            "/login",
            &[
                ("email", "joho@city.chiyoda.lg.jp"),
                ("password", PASSWORD),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // An unknown address gets exactly the answer a wrong password gets.
    let page = fresh.log_in("nobody@example.lg.jp", PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.body
            .contains("メールアドレスまたはパスワードが正しくありません")
    );
}

#[tokio::test]
async fn the_board_grades_prefectures_and_exports_what_the_viewer_may_see() {
    use noroshi::acks::{AckState, Channel, acknowledge};
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let (id, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["pref:13+", "pref:14"],
            ..Draft::default()
        },
    )
    .await;
    let orgs = crate::helpers::mail::tokyo(&app.ctx).await;
    // 50 of Tokyo's 63 report: 40 done, 5 in progress, 5 not applicable.
    for (i, org) in orgs.iter().take(50).enumerate() {
        let state = match i {
            0..40 => AckState::Done,
            40..45 => AckState::InProgress,
            _ => AckState::NotApplicable,
        };
        acknowledge(
            &app.ctx.db,
            id,
            org.id,
            state,
            None,
            &Actor::System,
            None,
            Channel::Portal,
        )
        .await
        .unwrap();
    }
    let mut b = Browser::new(&app.address);
    b.log_in("approver@soumu.go.jp", "correct horse battery staple")
        .await;
    let page = b.get(&format!("/alerts/{}/board", report.public_id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Tokyo: 把握率 50/63 = 79.4 % (C); 実施率 (of the 45 that reported and are concerned) 40/45 =
    // 88.9 % (B); done of all 58 concerned 40/58 = 69.0 % (C). Kanagawa: 0 of 1 (D).
    assert!(page.body.contains("<td>東京都</td><td>63</td><td>13</td><td>0</td><td>5</td><td>40</td><td>5</td><td>79.4% C</td><td>88.9% B</td><td>69.0% C</td>"), "{}", page.body);
    assert!(
        page.body.contains("<td>神奈川県</td><td>1</td><td>1</td>"),
        "{}",
        page.body
    );
    let csv = b
        .get(&format!("/alerts/{}/board.csv", report.public_id))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.lines().count(), 1 + 64);
    assert!(csv.body.contains("\"131016\",\"千代田区\""), "{}", csv.body);

    // Tokyo's staff see Tokyo and its municipalities only.
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "security@metro.tokyo.lg.jp",
    )
    .await;
    let mut t = Browser::new(&app.address);
    t.log_in("security@metro.tokyo.lg.jp", PASSWORD).await;
    let csv = t
        .get(&format!("/alerts/{}/board.csv", report.public_id))
        .await;
    assert_eq!(csv.body.lines().count(), 1 + 63);
    assert!(!csv.body.contains("神奈川"));
    // A municipality's staff have no board.
    user(
        &app.ctx,
        "131016",
        Role::OrgAdmin,
        "admin@city.chiyoda.lg.jp",
    )
    .await;
    let mut m = Browser::new(&app.address);
    m.log_in("admin@city.chiyoda.lg.jp", PASSWORD).await;
    let page = m.get(&format!("/alerts/{}/board", report.public_id)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_prefecture_note_reaches_its_own_municipalities_only() {
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
    user(
        &app.ctx,
        "141003",
        Role::Member,
        "member@city.yokohama.lg.jp",
    )
    .await;
    let (_, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["pref:13+", "pref:14+"],
            ..Draft::default()
        },
    )
    .await;
    let alert = format!("/alerts/{}", report.public_id);
    let notes = format!("{alert}/notes");
    let text = "都内の団体は、本日17時までに庁内のVPN装置を確認してください。<script>x()</script>";

    let mut tokyo = Browser::new(&app.address);
    tokyo.log_in("sec@metro.tokyo.lg.jp", PASSWORD).await;
    let csrf = tokyo.get(&alert).await.hidden("csrf");
    assert_eq!(
        tokyo
            .post(&notes, &[("csrf", &csrf), ("note", "   ")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        tokyo
            .post(&notes, &[("csrf", "forged"), ("note", text)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let added = tokyo.post(&notes, &[("csrf", &csrf), ("note", text)]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);

    let escaped = "本日17時までに庁内のVPN装置を確認してください。&#60;script&#62;";
    for (email, sees) in [
        ("member@city.chiyoda.lg.jp", true),
        ("sec@metro.tokyo.lg.jp", true),
        ("operator@soumu.go.jp", true),
        ("member@city.yokohama.lg.jp", false),
        ("sec@pref.kanagawa.lg.jp", false),
    ] {
        let mut b = Browser::new(&app.address);
        b.log_in(email, PASSWORD).await;
        let page = b.get(&alert).await;
        assert_eq!(page.status, StatusCode::OK, "{email}");
        assert_eq!(page.body.contains(escaped), sees, "{email}: {}", page.body);
        assert!(!page.body.contains("<script>x()"), "{email}");
    }
    // Only prefecture staff write notes.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let member_csrf = member.get(&alert).await.hidden("csrf");
    assert_eq!(
        member
            .post(&notes, &[("csrf", &member_csrf), ("note", "x")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let audited = noroshi::audit::recent(&app.ctx.db, None, 50).await.unwrap();
    assert_eq!(
        audited.iter().filter(|e| e.action == "alert.note").count(),
        1
    );
}

#[tokio::test]
async fn dates_are_written_in_wareki_when_the_browser_asks_and_the_switch_returns_to_the_page() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let ((_, a), _) = two_alerts(&app, &central).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut b = Browser::new(&app.address);
    b.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let western = b.get("/inbox").await;
    assert!(western.body.contains(" JST") && !western.body.contains("令和"));
    assert!(
        western
            .body
            .contains("/preferences/dates?style=wareki&amp;next=%2Finbox")
    );

    let path = format!("/alerts/{a}");
    let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    let switch = b
        .get(&format!("/preferences/dates?style=wareki&next={encoded}"))
        .await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.location.as_deref(), Some(path.as_str()));
    let page = b.get(&path).await;
    assert!(page.body.contains("令和"), "{}", page.body);
    assert!(page.body.contains("<strong>和暦</strong>"));
    let inbox = b.get("/inbox").await;
    assert!(inbox.body.contains("令和") && inbox.body.contains(" JST"));

    // Bad values are refused; an outside address is never returned to.
    assert_eq!(
        b.get("/preferences/dates?style=showa&next=%2Finbox")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let outside = b
        .get("/preferences/dates?style=western&next=https%3A%2F%2Fevil.example%2F")
        .await;
    assert_eq!(outside.location.as_deref(), Some("/inbox"));
    assert!(!b.get("/inbox").await.body.contains("令和"));
    app.stop().await;
}

#[tokio::test]
async fn the_portal_switches_to_english_and_back_for_this_browser() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let ((_, a), _) = two_alerts(&app, &central).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut b = Browser::new(&app.address);
    // The login page has the switch too.
    let login = b.get("/preferences/lang?lang=en&next=%2Flogin").await;
    assert_eq!(login.location.as_deref(), Some("/login"));
    let form = b.get("/login").await;
    assert!(form.body.contains(r#"<html lang="en">"#) && form.body.contains("Mail address"));
    b.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let inbox = b.get("/inbox").await;
    assert!(inbox.body.contains(r#"<html lang="en">"#), "{}", inbox.body);
    for english in [
        "Inbox",
        "Log out",
        "Severity",
        "Respond by",
        "Not yet known",
        "日本語",
    ] {
        assert!(inbox.body.contains(english), "{english} in {}", inbox.body);
    }
    for japanese in ["受信一覧", "ログアウト", "深刻度", "未確認", "対応期限"] {
        assert!(
            !inbox.body.contains(japanese),
            "{japanese} left in the English inbox"
        );
    }
    let alert = b.get(&format!("/alerts/{a}")).await;
    for english in [
        "Acknowledgement",
        "Report the state",
        "Received",
        "In progress",
    ] {
        assert!(alert.body.contains(english), "{english} in {}", alert.body);
    }
    assert!(!alert.body.contains("受領・対応状況"));
    // Acknowledging works the same in English.
    let csrf = alert.hidden("csrf");
    let done = b
        .post(
            &format!("/alerts/{a}/ack"),
            &[("csrf", &csrf), ("state", "received"), ("note", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(
        b.get(&format!("/alerts/{a}"))
            .await
            .body
            .contains("<strong id=\"ack-state\">Received</strong>")
    );
    let cases = b.get("/cases").await;
    assert!(cases.body.contains("Incident cases and good practices"));

    // Bad values are refused; an outside address is never returned to; back to Japanese.
    assert_eq!(
        b.get("/preferences/lang?lang=fr&next=%2Finbox")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let back = b
        .get("/preferences/lang?lang=ja&next=https%3A%2F%2Fevil.example%2F")
        .await;
    assert_eq!(back.location.as_deref(), Some("/inbox"));
    let inbox = b.get("/inbox").await;
    assert!(inbox.body.contains("受信一覧") && inbox.body.contains(r#"<html lang="ja">"#));
    app.stop().await;
}

#[tokio::test]
async fn an_alert_page_and_its_board_show_a_new_revision_at_once() {
    use noroshi::alerts::publish::Edit;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let ((id, a), _) = two_alerts(&app, &central).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut b = Browser::new(&app.address);
    b.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PASSWORD).await;
    // Read twice, so the revisions are kept.
    for _ in 0..2 {
        let first = b.get(&format!("/alerts/{a}")).await;
        assert!(!first.body.contains("第2報"), "{}", first.body);
        assert!(!first.body.contains("修正版が公開されました"));
    }
    assert!(
        !operator
            .get(&format!("/alerts/{a}/board"))
            .await
            .body
            .contains("（修正版あり）")
    );

    publish_revision(
        &app.ctx,
        &central,
        id,
        Edit {
            title: Some("千代田区あての注意喚起（修正版あり）".into()),
            body: Some("修正版が公開されました。".into()),
            changes: Some("修正版の公開を追記".into()),
            ..Edit::default()
        },
    )
    .await;

    let second = b.get(&format!("/alerts/{a}")).await;
    for expected in ["第2報", "修正版が公開されました。", "修正版の公開を追記"]
    {
        assert!(
            second.body.contains(expected),
            "{expected} in {}",
            second.body
        );
    }
    let board = operator.get(&format!("/alerts/{a}/board")).await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(
        board.body.contains("千代田区あての注意喚起（修正版あり）"),
        "{}",
        board.body
    );
    app.stop().await;
}

#[tokio::test]
async fn the_inbox_finds_alerts_by_product_or_cve_in_any_width_and_only_its_own() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut published = Vec::new();
    for (to, title, body) in [
        (
            "org:131016",
            "Fortinet製品の脆弱性について",
            "FortiGate の SSL-VPN に脆弱性（CVE-2026-24858）があります。",
        ),
        (
            "org:131016",
            "Ivanti Connect Secure の脆弱性について",
            "修正版へ更新してください。",
        ),
        (
            "org:131024",
            "中央区あての FortiGate の注意喚起",
            "FortiGate CVE-2026-24858",
        ),
    ] {
        let (_, r) = publish_alert(
            &app.ctx,
            &central,
            Draft {
                to: &[to],
                title,
                body,
                ..Draft::default()
            },
        )
        .await;
        published.push(r.public_id);
    }
    let mut b = Browser::new(&app.address);
    b.log_in("joho@city.chiyoda.lg.jp", PASSWORD).await;
    let search = |q: &str| {
        format!(
            "/inbox?q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        )
    };
    // Full-width and lower-case input finds the product; a CVE id in any case finds its alert.
    for q in [
        "ｆｏｒｔｉｇａｔｅ",
        "cve-2026-24858",
        "ＦｏｒｔｉＧａｔｅ　ＳＳＬ－ＶＰＮ",
    ] {
        let page = b.get(&search(q)).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert!(page.body.contains(&published[0]), "{q}: {}", page.body);
        assert!(!page.body.contains(&published[1]), "{q}");
        assert!(
            !page.body.contains(&published[2]) && !page.body.contains("中央区あて"),
            "another organisation's alert never shows: {q}"
        );
        assert!(
            page.body.contains(&format!("value=\"{q}\"")),
            "the box keeps the words"
        );
    }
    let page = b.get(&search("Ivanti")).await;
    assert!(page.body.contains(&published[1]) && !page.body.contains(&published[0]));
    let none = b.get(&search("FortiGate Ivanti")).await;
    assert!(
        none.body.contains("この検索語を含む注意喚起はありません"),
        "every word must match"
    );
    let too_long = b.get(&search(&"あ".repeat(201))).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert!(too_long.body.contains("200 文字以内"), "{}", too_long.body);
}

#[tokio::test]
async fn the_inbox_says_what_waits_today_and_forgets_what_is_done() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    b.log_in("joho@city.chiyoda.lg.jp", PASSWORD).await;
    let empty = b.get("/inbox").await.body;
    assert!(
        empty.contains("今日の確認事項") && empty.contains("いま対応を待っているものはありません"),
        "{empty}"
    );

    let (_, alert) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            title: "千代田区あての注意喚起",
            ..Draft::default()
        },
    )
    .await;
    let survey = crate::access_matrix::publish_survey(&app, &central, &["org:131016"]).await;
    let page = b.get("/inbox").await.body;
    assert!(page.contains("未確認の注意喚起・訓練 1 件"), "{page}");
    assert!(page.contains("回答が必要な調査 1 件"), "{page}");
    assert!(page.contains("href=\"/inbox?state=unknown\"") && page.contains("href=\"/surveys\""));
    // In English for a reader who chose it.
    b.cookies.insert("noroshi_lang".into(), "en".into());
    let en = b.get("/inbox").await.body;
    assert!(
        en.contains("Waiting for you today")
            && en.contains("1 alerts and drills not yet acknowledged"),
        "{en}"
    );
    b.cookies.remove("noroshi_lang");

    // Acknowledged and submitted, they leave the panel.
    let csrf = b
        .get(&format!("/alerts/{}", alert.public_id))
        .await
        .hidden("csrf");
    let acked = b
        .post(
            &format!("/alerts/{}/ack", alert.public_id),
            &[("state", "received"), ("csrf", &csrf), ("note", "")],
        )
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "submit"),
        ("a_no_subcontract_done", "1"),
        ("a_no_subcontract_required", "1"),
        ("a_no_takeout_done", "1"),
        ("a_no_takeout_required", "1"),
        ("a_return_disposal_done", "1"),
        ("a_return_disposal_required", "1"),
    ];
    let done = b.post(&format!("/surveys/{survey}/answers"), &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = b.get("/inbox").await.body;
    assert!(
        after.contains("いま対応を待っているものはありません"),
        "{after}"
    );
}
