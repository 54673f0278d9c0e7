//! The portal in a real headless Chromium: a municipality user with JavaScript disabled logs in,
//! opens an alert from the inbox and acknowledges it, and the central board shows it; and, with
//! JavaScript enabled, hostile upstream markup in an alert renders as inert text.

use crate::helpers::mail::{Draft, central_users, publish_alert, user};
use crate::helpers::spawn_app;
use crate::helpers::webdriver::Chromium;
use noroshi::auth::Role;

const PASSWORD: &str = "correct horse battery staple";

const HOSTILE: &str = "更新してください。<script>window.__xss = 1; document.title = 'pwned';</script>\
<a href=\"javascript:window.__xss=2\">詳細</a><img src=x onerror=\"window.__xss=3\">\
<b onmouseover=\"window.__xss=4\">壊れた <i>マークアップ</b><svg onload=\"window.__xss=5\">";

async fn log_in(browser: &Chromium, base: &str, email: &str) {
    browser.goto(&format!("{base}/login")).await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;
    assert!(
        browser.url().await.ends_with("/inbox"),
        "{email} lands on the inbox: {}",
        browser.url().await
    );
}

#[tokio::test]
async fn a_municipality_acknowledges_in_a_browser_without_javascript_and_the_board_updates() {
    let Some(member) = Chromium::start(false).await else {
        return;
    };
    let Some(operator) = Chromium::start(false).await else {
        return;
    };
    let app = spawn_app().await;
    let base = app.address.trim_end_matches('/').to_owned();
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let (_, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            body: HOSTILE,
            ..Draft::default()
        },
    )
    .await;
    let alert = format!("/alerts/{}", report.public_id);

    log_in(&operator, &base, "operator@soumu.go.jp").await;
    operator.goto(&format!("{base}{alert}/board")).await;
    assert!(
        operator
            .source()
            .await
            .contains("対象 63 団体 ・ 把握率 <strong>0.0%</strong>")
    );

    log_in(&member, &base, "member@city.chiyoda.lg.jp").await;
    member.click_and_wait(&format!("a[href=\"{alert}\"]")).await;
    assert!(member.url().await.ends_with(&alert));
    assert_eq!(member.text("#ack-state").await, "未確認");
    member.click("input[name=state][value=done]").await;
    member
        .type_into("#note", "修正版へ更新しました（ブラウザから）")
        .await;
    member
        .click_and_wait("form[action$=\"/ack\"] button[type=submit]")
        .await;
    assert!(member.url().await.ends_with(&alert), "back on the alert");
    assert_eq!(member.text("#ack-state").await, "対応完了");
    assert!(
        member
            .source()
            .await
            .contains("修正版へ更新しました（ブラウザから）")
    );

    operator.goto(&format!("{base}{alert}/board")).await;
    let board = operator.source().await;
    assert!(
        board.contains("把握率 <strong>1.6%</strong>"),
        "the board counts it: {board}"
    );
    // The one that reported finished: 実施率 100 %; of all 63 concerned, 1.6 %.
    assert!(board.contains("実施率 <strong>100.0%</strong>"), "{board}");
    assert!(board.contains("完了率（対象比） 1.6%"), "{board}");
    member.quit().await;
    operator.quit().await;
}

#[tokio::test]
async fn hostile_markup_in_an_alert_does_not_execute_in_a_browser_with_javascript() {
    let Some(browser) = Chromium::start(true).await else {
        return;
    };
    let app = spawn_app().await;
    let base = app.address.trim_end_matches('/').to_owned();
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let (_, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            title: "<script>window.__xss=6</script>件名の<b>タグ</b>",
            body: HOSTILE,
            ..Draft::default()
        },
    )
    .await;
    log_in(&browser, &base, "member@city.chiyoda.lg.jp").await;
    for path in ["/inbox".to_owned(), format!("/alerts/{}", report.public_id)] {
        browser.goto(&format!("{base}{path}")).await;
        // Hover and click where the hostile elements would be, if they existed.
        let state = browser
            .execute(
                "return { xss: typeof window.__xss, title: document.title, \
                 scripts: document.querySelectorAll('script').length, \
                 handlers: document.querySelectorAll('[onerror],[onload],[onmouseover],[onclick]').length, \
                 js_links: document.querySelectorAll('a[href^=\"javascript\"]').length, \
                 images: document.querySelectorAll('img,svg').length };",
            )
            .await;
        assert_eq!(state["xss"], "undefined", "{path}: {state}");
        assert_ne!(state["title"], "pwned", "{path}");
        assert_eq!(state["scripts"], 0, "{path}: {state}");
        assert_eq!(state["handlers"], 0, "{path}: {state}");
        assert_eq!(state["js_links"], 0, "{path}: {state}");
        // The only picture on the alert page is the server-drawn chart, not on these pages.
        assert_eq!(state["images"], 0, "{path}: {state}");
        let text = browser.text("main").await;
        assert!(
            text.contains("件名の<b>タグ</b>"),
            "{path}: markup shown as text: {text}"
        );
    }
    assert!(
        browser
            .text(".body")
            .await
            .contains("<img src=x onerror=\"window.__xss=3\">")
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_municipality_files_an_incident_report_in_a_browser_without_javascript_and_its_prefecture_confirms_it()
 {
    let Some(member) = Chromium::start(false).await else {
        return;
    };
    let Some(prefecture) = Chromium::start(false).await else {
        return;
    };
    let app = spawn_app().await;
    let base = app.address.trim_end_matches('/').to_owned();
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

    log_in(&member, &base, "member@city.chiyoda.lg.jp").await;
    member.click_and_wait("a[href=\"/reports\"]").await;
    member.click_and_wait("a[href=\"/reports/new\"]").await;
    member
        .type_into("#title", "窓口端末でマルウェアを検知")
        .await;
    member
        .type_into(
            "#summary",
            "窓口端末のウイルス対策ソフトがマルウェアを検知した。",
        )
        .await;
    member.type_into("#systems", "窓口端末 1 台").await;
    member.click("input[name=personal_data][value=no]").await;
    member.click("input[name=leaked][value=unknown]").await;
    member.click("#phase option[value=initial]").await;
    member
        .type_into("#situation", "端末をネットワークから切り離した。")
        .await;
    // What can wait sits folded under 「分かっていれば」: the officer opens it to add a category.
    member.click("#later summary").await;
    member.click("input[name=category_malware]").await;
    // 発見日時 starts empty; 「今」 fills it without script and keeps what was typed.
    member.click_and_wait("button[name=fill_now]").await;
    assert_eq!(member.value("#title").await, "窓口端末でマルウェアを検知");
    assert!(!member.value("#found_at").await.is_empty());
    member.click_and_wait("#submit-report").await;
    let url = member.url().await;
    let path = url.trim_start_matches(&base).to_owned();
    assert!(path.starts_with("/reports/"), "on the report: {url}");
    assert_eq!(member.text("#report-status").await, "対応中");

    log_in(&prefecture, &base, "sec@metro.tokyo.lg.jp").await;
    prefecture.goto(&format!("{base}/reports")).await;
    prefecture
        .click_and_wait(&format!("a[href=\"{path}\"]"))
        .await;
    prefecture.type_into("#note", "都でも確認しました").await;
    prefecture
        .click_and_wait(&format!(
            "form[action=\"{path}/notes\"] button[type=submit]"
        ))
        .await;
    prefecture
        .click_and_wait(&format!(
            "form[action=\"{path}/confirm\"] button[type=submit]"
        ))
        .await;
    assert_eq!(prefecture.text("#report-relay").await, "都道府県確認済");

    member.goto(&format!("{base}{path}")).await;
    assert!(member.source().await.contains("都でも確認しました"));
    member.quit().await;
    prefecture.quit().await;
}

/// An approver signs in, in a real browser without JavaScript, on a hub that asks approvers
/// for a second factor: the draft's approval leads to the set-up instead; once the code from
/// an authenticator app (computed here from the secret the page shows) is entered, the approve
/// button publishes the alert.
#[tokio::test]
async fn an_approver_sets_up_the_second_factor_in_a_browser_before_approving() {
    let Some(browser) = Chromium::start(false).await else {
        return;
    };
    let app = crate::helpers::spawn_app_with(|s| s.auth.require_second_factor = true).await;
    let base = app.address.trim_end_matches('/').to_owned();
    let central = central_users(&app.ctx).await;
    let draft = noroshi::alerts::create_draft(
        &app.ctx.db,
        &app.ctx.policy,
        noroshi::alerts::DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some("ブラウザでの二要素の確認".into()),
            body: Some("本文".into()),
            severity: Some(noroshi::domain::Severity::High),
            tlp: Some(noroshi::domain::Tlp::Green),
            audience: noroshi::alerts::audience::AudienceSpec::parse_selectors(&["org:131016"])
                .unwrap(),
            ack_within_hours: None,
            drill: false,
            starts_at: None,
        },
        &noroshi::audit::Actor::of(&central.operator),
    )
    .await
    .unwrap();
    noroshi::alerts::publish::submit(&app.ctx.db, draft.id, &central.operator)
        .await
        .unwrap();

    browser.goto(&format!("{base}/login")).await;
    browser.type_into("#email", "approver@soumu.go.jp").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;
    assert!(
        browser.url().await.ends_with("/settings/totp"),
        "{}",
        browser.url().await
    );
    // The draft (and its approve button) is out of reach until the set-up is done.
    browser.goto(&format!("{base}/drafts/{}", draft.id.0)).await;
    assert!(browser.url().await.ends_with("/settings/totp"));
    assert!(browser.source().await.contains("id=\"setup-required\""));
    assert_eq!(browser.count("svg").await, 1, "the QR code is drawn");
    let secret = browser.text("#totp-secret").await;
    let code = noroshi::auth::second_factor::code_at(&secret, chrono::Utc::now()).unwrap();
    browser.type_into("#code", &code).await;
    browser.click_and_wait("#setup-submit").await;
    assert_eq!(browser.count("#recovery-codes li").await, 10);

    browser.goto(&format!("{base}/drafts/{}", draft.id.0)).await;
    browser
        .click_and_wait("form[action$=\"/approve\"] button[type=submit]")
        .await;
    assert!(
        browser.url().await.contains("/alerts/NRS-"),
        "published: {}",
        browser.url().await
    );
    browser.quit().await;
}
