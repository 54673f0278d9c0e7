//! The holes the 2026-12 security review found, each kept closed by a test named for the
//! behaviour: account management above one's role, open redirects, the login lockout, browser
//! hardening headers and HEAD.

use noroshi::auth::Role;
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
    while noroshi::notices::worker::try_execute_task(&app.ctx)
        .await
        .unwrap()
        == Outcome::Worked
    {}
    let mails = app.smtp.received();
    let notice = mails
        .iter()
        .find(|t| t.rcpt_to == ["admin@j-lis.go.jp"])
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
