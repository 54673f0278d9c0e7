//! The holes the 2026-12 security review found, each kept closed by a test named for the
//! behaviour: account management above one's role, open redirects, the login lockout, browser
//! hardening headers and HEAD.

use noroshi::auth::Role;
use noroshi::domain::ids::AlertId;
use noroshi::workers::Outcome;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{central_users, user};
use crate::helpers::{spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn an_org_admin_cannot_reset_or_disable_a_central_approver() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    // An organisation administrator of 総務省, where the operators and approvers live.
    user(&app.ctx, "990019", Role::OrgAdmin, "oa@soumu.go.jp").await;
    let member = user(&app.ctx, "990019", Role::Member, "staff@soumu.go.jp").await;
    let mut b = Browser::new(&app.address);
    assert_eq!(
        b.log_in("oa@soumu.go.jp", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let settings = b.get("/settings").await;
    assert_eq!(settings.status, StatusCode::OK);
    let csrf = settings.hidden("csrf");
    for target in [&central.approver, &central.operator] {
        let reset = b
            .post(
                &format!("/settings/users/{}/reset", target.id),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(reset.status, StatusCode::NOT_FOUND, "{}", reset.body);
        assert!(!reset.body.contains("新しいパスワード"), "{}", reset.body);
        let disable = b
            .post(
                &format!("/settings/users/{}/disabled", target.id),
                &[("csrf", &csrf), ("active", "false")],
            )
            .await;
        assert_eq!(disable.status, StatusCode::NOT_FOUND, "{}", disable.body);
    }
    // The approver still signs in with their own password and is not disabled.
    let mut approver = Browser::new(&app.address);
    assert_eq!(
        approver
            .log_in("approver@soumu.go.jp", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // A member is within the org admin's own roles: that reset works.
    let reset = b
        .post(
            &format!("/settings/users/{}/reset", member.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert!(reset.body.contains("新しいパスワード"), "{}", reset.body);
    // And the rule lives in the capability, not only in the page.
    let oa = noroshi::auth::store::find_by_email(
        &app.ctx.db,
        &noroshi::auth::EmailAddress::parse("oa@soumu.go.jp").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(
        noroshi::auth::reset_password(
            &app.ctx.db,
            &app.ctx.settings.auth,
            &oa,
            central.approver.id
        )
        .await,
        Err(noroshi::auth::ManageUserError::NotFound)
    ));
}

#[tokio::test]
async fn a_prefecture_org_admin_cannot_take_over_the_prefecture_admin() {
    let app = spawn_app().await;
    let pref = user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(&app.ctx, "130001", Role::OrgAdmin, "oa@metro.tokyo.lg.jp").await;
    let mut b = Browser::new(&app.address);
    b.log_in("oa@metro.tokyo.lg.jp", PASSWORD).await;
    let csrf = b.get("/settings").await.hidden("csrf");
    let reset = b
        .post(
            &format!("/settings/users/{}/reset", pref.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reset_password_must_be_changed_at_the_next_login_and_hub_admins_are_told() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "990027", Role::Admin, "admin@j-lis.go.jp").await;
    let mut admin = Browser::new(&app.address);
    admin.log_in("admin@j-lis.go.jp", PASSWORD).await;
    let csrf = admin.get("/admin/users").await.hidden("csrf");
    let reset = admin
        .post(
            &format!("/admin/users/{}/reset", central.operator.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let marker = "の新しいパスワード";
    let at = reset
        .body
        .find(marker)
        .expect("the new password is shown once");
    let open = "<code id=\"secret\">";
    let code_start = reset.body[at..].find(open).expect("in a code element") + at + open.len();
    let code_end = reset.body[code_start..].find("</code>").unwrap() + code_start;
    let temporary = reset.body[code_start..code_end].to_owned();

    // Signed in with it, every page leads to the password change until it is changed.
    let mut op = Browser::new(&app.address);
    assert_eq!(
        op.log_in("operator@soumu.go.jp", &temporary).await.status,
        StatusCode::SEE_OTHER
    );
    for path in ["/inbox", "/drafts", "/triage"] {
        let page = op.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            page.location.as_deref(),
            Some("/settings/password"),
            "{path}"
        );
    }
    let form = op.get("/settings/password").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("管理者が設定したパスワード"),
        "{}",
        form.body
    );
    let changed = op
        .post(
            "/settings/password",
            &[
                ("csrf", &form.hidden("csrf")),
                ("current", &temporary),
                ("new", "an operator's own passphrase"),
                ("repeat", "an operator's own passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(op.get("/drafts").await.status, StatusCode::OK);

    // The reset of a privileged account is audited and mailed to the hub administrators.
    let audited = noroshi::audit::recent(&app.ctx.db, None, 50).await.unwrap();
    assert!(audited.iter().any(|e| e.action == "user.password_reset"
        && e.target == format!("user:{}", central.operator.id)));
    while noroshi::jobs::send_notice(&app.ctx).await.unwrap() == Outcome::Worked {}
    let mails = app.smtp.received();
    // (Creating the privileged accounts was mailed too; the reset is its own notice.)
    let notice = mails
        .iter()
        .filter(|t| t.rcpt_to == ["admin@j-lis.go.jp"])
        .find(|t| {
            mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .and_then(|m| m.body_text(0).map(|b| b.contains("password reset")))
                .unwrap_or(false)
        })
        .expect("the hub admin is told");
    let parsed = mail_parser::MessageParser::default()
        .parse(notice.data.as_slice())
        .unwrap();
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("operator@soumu.go.jp"), "{text}");
    assert!(text.contains("パスワード再発行"), "{text}");
    assert!(!text.contains(&temporary), "the password is never mailed");
}

#[tokio::test]
async fn a_tab_in_next_never_redirects_to_another_site() {
    let app = spawn_app().await;
    for path in [
        "/preferences/lang?lang=en&next=/%09/evil.example/",
        "/preferences/dates?style=wareki&next=/%09/evil.example/",
        "/preferences/lang?lang=ja&next=/%0A/evil.example/",
        "/preferences/lang?lang=ja&next=%2F%5C%2Fevil.example",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            r.headers().get("location").unwrap().to_str().unwrap(),
            "/inbox",
            "{path}"
        );
    }
    // The login form carries only a local `next`, and the login redirects only there.
    let form = app.get("/login?next=/%09/evil.example/").await;
    let body = form.text().await.unwrap();
    assert!(!body.contains("evil.example"), "{body}");
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    let csrf = b.get("/login").await.hidden("csrf");
    let done = b
        .post(
            "/login",
            &[
                ("email", "joho@city.chiyoda.lg.jp"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/\t/evil.example/"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/inbox"));
}

#[tokio::test]
async fn parallel_wrong_passwords_all_count_lock_the_account_and_are_all_audited() {
    let app = spawn_app().await;
    let u = user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let address = app.address.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = Browser::new(&address);
            b.log_in("joho@city.chiyoda.lg.jp", "not the password!")
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let record = noroshi::auth::store::login_record(&app.ctx.db, &u.email)
        .await
        .unwrap()
        .unwrap();
    assert!(
        record.locked_until.is_some(),
        "20 failures lock the account"
    );
    let audited = noroshi::audit::recent(&app.ctx.db, None, 100)
        .await
        .unwrap();
    let failures = audited
        .iter()
        .filter(|e| e.action.starts_with("auth.") && e.action != "auth.login")
        .count();
    assert_eq!(failures, 20, "every attempt is in the audit log");
    // Counted attempts plus those refused while locked make all twenty.
    let refused_locked = audited
        .iter()
        .filter(|e| e.action == "auth.login_refused_locked")
        .count();
    assert_eq!(record.failed_logins as usize + refused_locked, 20);
    assert!(matches!(
        noroshi::audit::verify(&app.ctx.db).await.unwrap(),
        noroshi::audit::ChainCheck::Intact { .. }
    ));
}

#[tokio::test]
async fn unknown_wrong_and_locked_logins_get_the_same_answer() {
    let app = spawn_app().await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let answer = |page: crate::helpers::browser::Page| {
        // The page minus its per-request form token.
        let csrf_at = page.body.find("name=\"csrf\"").unwrap();
        (page.status, page.body[..csrf_at].to_owned())
    };
    let mut b = Browser::new(&app.address);
    let unknown = answer(
        b.log_in("nobody@city.chiyoda.lg.jp", "not the password!")
            .await,
    );
    let wrong = answer(
        b.log_in("joho@city.chiyoda.lg.jp", "not the password!")
            .await,
    );
    for _ in 0..6 {
        b.log_in("joho@city.chiyoda.lg.jp", "not the password!")
            .await;
    }
    let locked_right = answer(b.log_in("joho@city.chiyoda.lg.jp", PASSWORD).await);
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    let unknown_body = unknown.1.replace("nobody@city.chiyoda.lg.jp", "ADDRESS");
    let wrong_body = wrong.1.replace("joho@city.chiyoda.lg.jp", "ADDRESS");
    let locked_body = locked_right.1.replace("joho@city.chiyoda.lg.jp", "ADDRESS");
    assert_eq!(unknown_body, wrong_body);
    assert_eq!(
        wrong_body, locked_body,
        "a locked account answers like a wrong password"
    );
    assert_eq!(locked_right.0, StatusCode::UNAUTHORIZED);
    assert!(!b.cookies.contains_key("noroshi_session"));
}

#[tokio::test]
async fn login_attempts_beyond_the_per_address_limit_answer_429_with_retry_after() {
    let app = spawn_app_with(|s| s.auth.login_attempts_per_minute = 3).await;
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    for _ in 0..3 {
        assert_eq!(
            b.log_in("joho@city.chiyoda.lg.jp", "not the password!")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let csrf = b.get("/login").await.hidden("csrf");
    let r = reqwest::Client::new()
        .post(app.url("/login"))
        .header("cookie", b.cookie_header())
        .form(&[
            ("email", "joho@city.chiyoda.lg.jp"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Refused before any password check: not counted against the account.
    let audited = noroshi::audit::recent(&app.ctx.db, None, 50).await.unwrap();
    assert_eq!(
        audited
            .iter()
            .filter(|e| e.action == "auth.login_failed")
            .count(),
        3
    );
}

#[tokio::test]
async fn every_answer_carries_the_hardening_headers_and_head_works_where_get_does() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/login",
        "/inbox",
        "/feeds/public.rss",
        "/api/v1/openapi.json",
        "/healthz",
    ] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has a CSP"))
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("script-src"),
            "no script is allowed at all: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "plain HTTP: no HSTS"
        );
    }
    // Feeds keep their stricter referrer policy.
    assert_eq!(
        app.get("/feeds/public.rss").await.headers()["referrer-policy"],
        "no-referrer"
    );
    for path in [
        "/",
        "/login",
        "/feeds/public.rss",
        "/feeds/public.json",
        "/healthz",
    ] {
        let get = app.get(path).await;
        let get_status = get.status();
        let get_len = get.bytes().await.unwrap().len();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get_status, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-length").map(|v| v
                .to_str()
                .unwrap()
                .parse::<usize>()
                .unwrap()),
            Some(get_len),
            "HEAD {path} names the GET answer's length"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
}

#[tokio::test]
async fn over_https_the_portal_sends_hsts() {
    let app = spawn_app_with(|s| {
        s.app.base_url = url::Url::parse("https://noroshi.example.lg.jp/").unwrap();
    })
    .await;
    let r = app.get("/login").await;
    assert_eq!(
        r.headers()["strict-transport-security"],
        noroshi::web::STRICT_TRANSPORT_SECURITY
    );
}

/// A TLP:AMBER NCO notice naming a CVE of an alert already published (and an embargoed one).
fn amber_notice() -> Vec<u8> {
    "Authentication-Results: mail.noroshi.example; dkim=pass header.d=cyber.go.jp\r\n\
     From: notice@cyber.go.jp\r\n\
     To: ceptoar-inbox@j-lis.go.jp\r\n\
     Subject: =?UTF-8?B?44CQ5rOo5oSP5Zaa6LW344CRVExQOkFNQkVSIEZvcnRpT1Mg5pyq5YWs6ZaL6ISG5byx5oCn?=\r\n\
     Date: Wed, 02 Dec 2026 10:00:00 +0900\r\n\
     Message-ID: <amber-1@cyber.go.jp>\r\n\
     MIME-Version: 1.0\r\n\
     Content-Type: text/plain; charset=UTF-8\r\n\
     Content-Transfer-Encoding: 8bit\r\n\
     \r\n\
     関係者限り。FortiOS の CVE-2024-21762 に関連して、未公開の CVE-2026-99999 が悪用されています。\r\n"
        .as_bytes()
        .to_vec()
}

async fn ingest_amber_notice(app: &crate::helpers::TestApp) -> i64 {
    let path = app.data_dir.path().join("amber.eml");
    std::fs::write(&path, amber_notice()).unwrap();
    let def = app.ctx.catalogue.get("nco-mail").unwrap().clone();
    let doc = noroshi::ingest::fetch::read_file(&path, def.max_bytes)
        .await
        .unwrap();
    noroshi::ingest::ingest_document(&app.ctx.db, &def, def.format, &doc)
        .await
        .unwrap();
    noroshi::ingest::store::find(&app.ctx.db, "nco-mail", "<amber-1@cyber.go.jp>")
        .await
        .unwrap()
        .expect("the notice is an advisory")
        .id
}

/// The JPCERT 注意喚起 on FortiOS (CVE-2024-21762), drafted by the policy, marked CLEAR by the
/// operator and published to every local government; returns (alert id, public id).
async fn published_clear_fortios_alert(
    app: &crate::helpers::TestApp,
    central: &crate::helpers::mail::Central,
) -> (AlertId, String) {
    use crate::helpers::advisories::{classify_all, ingest_sample};
    use noroshi::alerts::publish;
    ingest_sample(&app.ctx, "jpcert-ja", "jpcert_ja.rdf").await;
    classify_all(&app.ctx).await;
    let drafts =
        noroshi::alerts::store::list_by_status(&app.ctx.db, noroshi::alerts::AlertStatus::Draft)
            .await
            .unwrap();
    let mut fortios = None;
    for d in drafts {
        let ids = noroshi::alerts::store::advisory_ids(&app.ctx.db, d.id)
            .await
            .unwrap();
        let linked = noroshi::ingest::store::get_many(&app.ctx.db, &ids)
            .await
            .unwrap();
        if linked.iter().any(|a| a.cve_ids.contains("CVE-2024-21762")) {
            fortios = Some(d);
        }
    }
    let draft = fortios.expect("a policy draft for the FortiOS 注意喚起");
    assert_eq!(
        draft.tlp,
        noroshi::domain::Tlp::Green,
        "an unmarked upstream item is never drafted as CLEAR"
    );
    assert!(draft.body.contains("TLP の指定がない"), "{}", draft.body);
    publish::revise(
        &app.ctx.db,
        draft.id,
        &central.operator,
        publish::Edit {
            tlp: Some(noroshi::domain::Tlp::Clear),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    publish::submit(&app.ctx.db, draft.id, &central.operator)
        .await
        .unwrap();
    let report = publish::approve(
        &app.ctx.db,
        &app.ctx.rules,
        draft.id,
        &central.approver,
        None,
    )
    .await
    .unwrap();
    (draft.id, report.public_id)
}

#[tokio::test]
async fn a_new_advisory_never_joins_a_published_alert_it_becomes_a_new_draft() {
    use crate::helpers::advisories::classify_all;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let (alert_id, public_id) = published_clear_fortios_alert(&app, &central).await;
    let before = noroshi::alerts::store::advisory_ids(&app.ctx.db, alert_id)
        .await
        .unwrap();
    let notice = ingest_amber_notice(&app).await;
    classify_all(&app.ctx).await;
    assert_eq!(
        noroshi::alerts::store::advisory_ids(&app.ctx.db, alert_id)
            .await
            .unwrap(),
        before,
        "the published alert's advisories are what the approver approved"
    );
    // The notice is a draft of its own (to all, as its rule says), AMBER, waiting for four
    // eyes, and it says that the cluster's alert already went out.
    let drafts =
        noroshi::alerts::store::list_by_status(&app.ctx.db, noroshi::alerts::AlertStatus::Draft)
            .await
            .unwrap();
    let mut found = None;
    for d in drafts {
        if noroshi::alerts::store::advisory_ids(&app.ctx.db, d.id)
            .await
            .unwrap()
            .contains(&notice)
        {
            found = Some(d);
        }
    }
    let draft = found.expect("the notice has a draft of its own");
    assert_eq!(draft.origin, "policy:nco-notice-to-all");
    assert_eq!(draft.tlp, noroshi::domain::Tlp::Amber);
    assert!(draft.body.contains(&public_id), "{}", draft.body);
    // Nothing changed on any channel.
    for path in [
        "/feeds/public.json?min_severity=info",
        "/feeds/public.rss?min_severity=info",
    ] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(body.contains(&public_id), "{path}");
        assert!(!body.contains("CVE-2026-99999"), "{path}: {body}");
    }
}

#[tokio::test]
async fn an_advisory_marked_stricter_than_its_alert_is_shown_on_no_channel() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let (alert_id, public_id) = published_clear_fortios_alert(&app, &central).await;
    let notice = ingest_amber_notice(&app).await;
    // What the old code did (and what a database from before the fix may hold): the AMBER
    // notice linked to the published CLEAR alert.
    noroshi::alerts::store::link_advisory(&app.ctx.db, alert_id, notice)
        .await
        .unwrap();
    // Feeds rendered for the first time after the link (no cached render can hide a leak).
    for path in [
        "/feeds/public.json?min_severity=info",
        "/feeds/public.rss?min_severity=info",
        "/feeds/public.atom?min_severity=info",
    ] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(body.contains(&public_id), "{path}");
        assert!(
            body.contains("CVE-2024-21762"),
            "{path}: the CLEAR CVE stays"
        );
        assert!(!body.contains("CVE-2026-99999"), "{path}: {body}");
    }
    user(&app.ctx, "131016", Role::Member, "joho@city.chiyoda.lg.jp").await;
    let mut b = Browser::new(&app.address);
    b.log_in("joho@city.chiyoda.lg.jp", PASSWORD).await;
    let page = b.get(&format!("/alerts/{public_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("CVE-2026-99999"), "{}", page.body);
    assert!(!page.body.contains("amber-1@cyber.go.jp"), "{}", page.body);
    for path in [
        "/api/v1/alerts".to_owned(),
        format!("/api/v1/alerts/{public_id}"),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .header("cookie", b.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(&public_id), "{path}");
        assert!(!body.contains("CVE-2026-99999"), "{path}: {body}");
        assert!(!body.contains("amber-1@cyber.go.jp"), "{path}: {body}");
    }
}

#[tokio::test]
async fn an_approver_can_withdraw_while_an_edit_for_the_next_revision_is_pending() {
    use crate::helpers::mail::{Draft, publish_alert};
    use noroshi::alerts::publish;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let (id, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            ..Draft::default()
        },
    )
    .await;
    publish::revise(
        &app.ctx.db,
        id,
        &central.operator,
        publish::Edit {
            title: Some("未承認の第2報の件名".into()),
            changes: Some("件名を変更".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let withdrawal = publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        id,
        &central.approver,
        "誤って配信したため",
        None,
    )
    .await
    .expect("an approver can always withdraw");
    assert_eq!(withdrawal.public_id, report.public_id);
    let revisions = noroshi::alerts::store::revisions(&app.ctx.db, id)
        .await
        .unwrap();
    let last = revisions.last().unwrap();
    assert_eq!(last.kind, noroshi::alerts::RevisionKind::Withdrawal);
    assert!(
        !last.title.contains("未承認"),
        "the withdrawal never carries the unapproved edit: {}",
        last.title
    );
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("alert:{id}")), 20)
        .await
        .unwrap();
    assert!(audited.iter().any(|e| e.action == "alert.edit_discarded"));
}

#[tokio::test]
async fn metrics_answer_only_the_configured_scraper() {
    // No token configured: only this machine (the tests connect over loopback).
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::OK);
    // With a token, only a request that carries it.
    let app = spawn_app_with(|s| {
        s.server.metrics_token = Some(secrecy::SecretString::from("scrape-secret-0123456789"));
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-secret-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-secret-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("http_requests"));
}

#[tokio::test]
async fn removing_the_newest_audit_entries_is_caught_by_the_checkpoint_outside_the_database() {
    use noroshi::audit::ChainCheck;
    use noroshi::audit::anchor::{Anchor, verify_anchored};
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    let anchor = Anchor::open(app.data_dir.path()).unwrap();
    let written = anchor
        .write(&app.ctx.db)
        .await
        .unwrap()
        .expect("a checkpoint");
    assert!(written.seq >= 3);
    assert!(matches!(
        verify_anchored(&app.ctx.db, &anchor).await.unwrap(),
        ChainCheck::Intact { .. }
    ));
    // Someone with write access to the database removes the last two entries.
    app.ctx
        .db
        .execute_unprepared(&format!(
            "DELETE FROM audit_log WHERE seq > {}",
            written.seq - 2
        ))
        .await
        .unwrap();
    // The chain alone still looks whole …
    assert!(matches!(
        noroshi::audit::verify(&app.ctx.db).await.unwrap(),
        ChainCheck::Intact { .. }
    ));
    // … the checkpoint does not.
    match verify_anchored(&app.ctx.db, &anchor).await.unwrap() {
        ChainCheck::Broken { reason, .. } => {
            assert!(reason.contains("removed"), "{reason}")
        }
        other => panic!("the truncation went unnoticed: {other:?}"),
    }
    // A checkpoint written without the key is refused, not believed.
    let mut text = std::fs::read_to_string(anchor.file()).unwrap();
    text.push_str(&format!(
        "{{\"seq\":1,\"hash\":\"{}\",\"at\":\"2026-12-03T00:00:00Z\",\"mac\":\"00\"}}\n",
        "0".repeat(64)
    ));
    std::fs::write(anchor.file(), text).unwrap();
    let refused = verify_anchored(&app.ctx.db, &anchor).await.unwrap_err();
    assert!(format!("{refused:#}").contains("signature"), "{refused:#}");
}

#[tokio::test]
async fn a_notice_with_a_forged_from_is_held_not_ingested() {
    let app = spawn_app().await;
    let def = app.ctx.catalogue.get("nco-mail").unwrap().clone();
    let noroshi::ingest::catalogue::Location::Maildir(dir) = def.location.clone() else {
        panic!("nco-mail reads a Maildir");
    };
    noroshi::maildir::ensure(&dir).unwrap();
    let sample = std::fs::read_to_string("feeds/samples/nco_notice.eml").unwrap();
    // The From is an allowed sender's, but our mail server never vouched for it: no header …
    let unsigned = sample
        .split_once("Content-Type: multipart/mixed")
        .map(|(_, rest)| format!("Content-Type: multipart/mixed{rest}"))
        .unwrap()
        .replace("NCO-2026-0142", "FORGED-1");
    // … or a header the sender wrote itself, under another authserv-id …
    let own_header = format!(
        "Authentication-Results: mx.evil.example; dkim=pass header.d=cyber.go.jp\r\n{}",
        unsigned.replace("FORGED-1", "FORGED-2")
    );
    // … or our server saw the signature fail (the sender's own header below ours is ignored).
    let failed = format!(
        "Authentication-Results: mail.noroshi.example; dkim=fail header.d=cyber.go.jp\r\n{}",
        own_header.replace("FORGED-2", "FORGED-3")
    );
    for (i, m) in [unsigned, own_header, failed].iter().enumerate() {
        std::fs::write(dir.join(format!("new/17632800{i:02}.{i}.host")), m).unwrap();
    }
    while noroshi::jobs::poll_source(&app.ctx).await.unwrap() == Outcome::Worked {}
    let count = noroshi::ingest::store::list(
        &app.ctx.db,
        &noroshi::ingest::store::AdvisoryFilter {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .len();
    assert_eq!(count, 0, "no forged notice became an advisory");
    for i in 0..3 {
        assert!(
            dir.join(format!("cur/17632800{i:02}.{i}.host:2,FS"))
                .is_file(),
            "message {i} is flagged for an operator"
        );
    }
    let health = noroshi::ingest::store::source(&app.ctx.db, "nco-mail")
        .await
        .unwrap()
        .unwrap();
    let error = health.last_error.unwrap_or_default();
    assert!(error.contains("not authenticated"), "{error}");
}
