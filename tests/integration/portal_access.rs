//! Every portal route for every role: who may see what, checked over real HTTP. And the
//! password change, which ends the user's other sessions.

use std::collections::BTreeMap;

use noroshi::audit::Actor;
use noroshi::auth::{self, AddUser, EmailAddress, Role};
use noroshi::registry::OrgCode;
use reqwest::StatusCode;
use secrecy::SecretString;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, central_users, publish_alert};
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn every_route_answers_every_role_as_the_access_rules_say() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let (a_id, a) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            ..Draft::default()
        },
    )
    .await;
    // To 横浜市: outside Tokyo altogether.
    let (_, b) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:141003"],
            ..Draft::default()
        },
    )
    .await;
    let (a, b) = (a.public_id, b.public_id);
    // Two published cases: TLP:CLEAR for everyone, TLP:AMBER of 横浜市 (its own, its
    // prefecture's and central staff's only).
    let case = |title: &str, tlp: &str| {
        noroshi::cases::CaseInput {
            kind: "incident".into(),
            title: title.into(),
            summary: "概要".into(),
            body: "本文".into(),
            categories: vec!["malware".into()],
            org_kind: "city".into(),
            tlp: tlp.into(),
            ..Default::default()
        }
        .validate(noroshi::time::today_jst())
        .unwrap()
    };
    let open_case = noroshi::cases::act::create_published(
        &app.ctx.db,
        &case("公開事例", "CLEAR"),
        &Actor::System,
    )
    .await
    .unwrap();
    let yokohama =
        noroshi::registry::store::find_by_code(&app.ctx.db, OrgCode::parse("141003").unwrap())
            .await
            .unwrap()
            .unwrap();
    let amber_case = noroshi::cases::act::submit(
        &app.ctx.db,
        &case("限定事例", "AMBER"),
        Some(yokohama.id),
        &Actor::System,
    )
    .await
    .unwrap();
    noroshi::cases::act::publish(
        &app.ctx.db,
        amber_case,
        &Actor::Cli {
            os_user: "walk".into(),
        },
    )
    .await
    .unwrap();
    noroshi::cases::outbox::drain(&app.ctx.db, &app.ctx.search)
        .await
        .unwrap();
    let people = [
        (
            "member",
            "131016",
            Role::Member,
            "member@city.chiyoda.lg.jp",
        ),
        (
            "org_admin",
            "131016",
            Role::OrgAdmin,
            "admin@city.chiyoda.lg.jp",
        ),
        (
            "prefecture",
            "130001",
            Role::PrefectureAdmin,
            "sec@metro.tokyo.lg.jp",
        ),
        ("admin", "990027", Role::Admin, "admin@j-lis.go.jp"),
    ];
    for (_, org, role, email) in people {
        auth::add_user(
            &app.ctx.db,
            &app.ctx.settings.auth,
            AddUser {
                org: OrgCode::parse(org).unwrap(),
                role,
                email: EmailAddress::parse(email).unwrap(),
                display_name: None,
                password: SecretString::from(PASSWORD),
            },
            &Actor::System,
        )
        .await
        .unwrap();
    }
    let mut logins: Vec<(&str, Option<&str>)> = vec![
        ("anonymous", None),
        ("operator", Some("operator@soumu.go.jp")),
        ("approver", Some("approver@soumu.go.jp")),
    ];
    logins.extend(
        people
            .iter()
            .map(|(name, _, _, email)| (*name, Some(*email))),
    );

    // (method, path, expected status per role name; a role not listed expects the default).
    const OK: u16 = 200;
    const LOGIN: u16 = 303;
    const DENY: u16 = 403;
    const GONE: u16 = 404;
    // A recorded acknowledgement redirects back to the alert.
    const BACK: u16 = 303;
    let mut routes: Vec<(&str, String, u16, BTreeMap<&str, u16>)> = vec![
        ("GET", "/".into(), OK, BTreeMap::new()),
        ("GET", "/login".into(), OK, BTreeMap::new()),
        ("GET", "/inbox".into(), OK, [("anonymous", LOGIN)].into()),
        (
            "GET",
            "/settings/password".into(),
            OK,
            [("anonymous", LOGIN)].into(),
        ),
        (
            "GET",
            format!("/alerts/{a}"),
            OK,
            [("anonymous", LOGIN)].into(),
        ),
        (
            "GET",
            format!("/alerts/{b}"),
            GONE,
            [
                ("anonymous", LOGIN),
                ("operator", OK),
                ("approver", OK),
                ("admin", OK),
            ]
            .into(),
        ),
        (
            "GET",
            format!("/alerts/{a}/board"),
            OK,
            [("anonymous", LOGIN), ("member", DENY), ("org_admin", DENY)].into(),
        ),
        (
            "GET",
            format!("/alerts/{a}/board.csv"),
            OK,
            [("anonymous", LOGIN), ("member", DENY), ("org_admin", DENY)].into(),
        ),
        (
            "GET",
            format!("/alerts/{b}/board"),
            OK,
            [
                ("anonymous", LOGIN),
                ("member", DENY),
                ("org_admin", DENY),
                ("prefecture", GONE),
            ]
            .into(),
        ),
        (
            "POST",
            format!("/alerts/{a}/ack"),
            DENY,
            [("anonymous", LOGIN), ("member", BACK), ("org_admin", BACK)].into(),
        ),
        (
            "POST",
            format!("/alerts/{b}/ack"),
            DENY,
            [
                ("anonymous", LOGIN),
                ("member", GONE),
                ("org_admin", GONE),
                ("prefecture", GONE),
            ]
            .into(),
        ),
    ];
    // Organisation settings: organisation administrators only (a central admin manages J-LIS).
    let org_admins = |ok: u16| -> BTreeMap<&str, u16> {
        [
            ("anonymous", LOGIN),
            ("org_admin", ok),
            ("prefecture", ok),
            ("admin", ok),
        ]
        .into()
    };
    routes.push(("GET", "/settings".into(), DENY, org_admins(OK)));
    routes.push(("POST", "/settings/tokens".into(), DENY, org_admins(OK)));
    routes.push(("POST", "/settings/contacts".into(), DENY, org_admins(OK)));
    routes.push(("POST", "/settings/inventory".into(), DENY, org_admins(OK)));
    // Central work: triage, drafts, submit and approve (the alert is already published, so
    // those who may act get the reason it cannot be done again).
    let central = |ok: u16| -> BTreeMap<&str, u16> {
        [
            ("anonymous", LOGIN),
            ("operator", ok),
            ("approver", ok),
            ("admin", ok),
        ]
        .into()
    };
    let admin_only: BTreeMap<&str, u16> = [("anonymous", LOGIN), ("admin", OK)].into();
    for path in [
        "/admin",
        "/admin/users",
        "/admin/organisations",
        "/admin/audit",
    ] {
        routes.push(("GET", path.into(), DENY, admin_only.clone()));
    }
    routes.push((
        "GET",
        format!("/admin/alerts/{a_id}/deliveries"),
        DENY,
        admin_only.clone(),
    ));
    routes.push((
        "POST",
        format!("/admin/alerts/{a_id}/retry"),
        DENY,
        admin_only,
    ));
    let mut stats = central(OK);
    stats.insert("prefecture", OK);
    routes.push(("GET", "/stats".into(), DENY, stats));
    routes.push(("GET", "/triage".into(), DENY, central(OK)));
    routes.push(("GET", "/drafts".into(), DENY, central(OK)));
    // A published alert's draft page leads to the alert.
    routes.push(("GET", format!("/drafts/{a_id}"), DENY, central(BACK)));
    let mut submit = central(400);
    submit.insert("approver", DENY);
    routes.push(("POST", format!("/drafts/{a_id}/submit"), DENY, submit));
    let mut approve = central(DENY);
    approve.insert("approver", 400);
    routes.push(("POST", format!("/drafts/{a_id}/approve"), DENY, approve));
    // The case library: everyone signed in searches, reads and reports; central staff edit and
    // withdraw (the walk's form lacks what those need, so they answer 400); approvers publish
    // (the case is already published: 400).
    let signed_in: BTreeMap<&str, u16> = [("anonymous", LOGIN)].into();
    for path in [
        "/cases",
        "/cases/new",
        "/cases/desk",
        "/cases?category=malware",
    ] {
        routes.push(("GET", path.into(), OK, signed_in.clone()));
    }
    routes.push(("GET", format!("/cases/{open_case}"), OK, signed_in.clone()));
    routes.push((
        "GET",
        format!("/cases/{amber_case}"),
        GONE,
        [
            ("anonymous", LOGIN),
            ("operator", OK),
            ("approver", OK),
            ("admin", OK),
        ]
        .into(),
    ));
    routes.push(("POST", "/cases/new".into(), 400, signed_in.clone()));
    routes.push(("GET", format!("/cases/{open_case}/edit"), DENY, central(OK)));
    routes.push((
        "POST",
        format!("/cases/{open_case}/edit"),
        DENY,
        central(400),
    ));
    routes.push((
        "POST",
        format!("/cases/{open_case}/withdraw"),
        DENY,
        central(400),
    ));
    routes.push((
        "POST",
        format!("/cases/{open_case}/publish"),
        DENY,
        [("anonymous", LOGIN), ("approver", 400)].into(),
    ));
    let mut failures = Vec::new();
    for (who, email) in &logins {
        let mut browser = Browser::new(&app.address);
        let mut csrf = String::new();
        if let Some(email) = email {
            let page = browser.log_in(email, PASSWORD).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{who} logs in");
            csrf = browser.get("/inbox").await.hidden("csrf");
        }
        for (method, path, default, special) in &routes {
            let expected = special.get(who).copied().unwrap_or(*default);
            let page = if *method == "GET" {
                browser.get(path).await
            } else {
                // Each form gets what it asks for, so only access decides the answer.
                browser
                    .post(
                        path,
                        &[
                            ("csrf", &csrf),
                            ("state", "received"),
                            ("name", "walk"),
                            ("scope_read", "on"),
                            ("email", "walk@example.lg.jp"),
                            ("kind", "primary"),
                            ("language", "ja"),
                            ("encoding", "utf-8"),
                            ("vendor", "Walk"),
                            ("product", "Walker"),
                            ("revision", "1"),
                        ],
                    )
                    .await
            };
            if page.status.as_u16() != expected {
                failures.push(format!(
                    "{who} {method} {path}: {} (expected {expected})",
                    page.status
                ));
            }
            if expected == LOGIN && email.is_none() && *method == "GET" {
                assert!(
                    page.location
                        .as_deref()
                        .unwrap_or("")
                        .starts_with("/login?next="),
                    "{who} {method} {path} goes to the login page"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    let email = "operator@soumu.go.jp";
    let mut laptop = Browser::new(&app.address);
    laptop.log_in(email, PASSWORD).await;
    let mut phone = Browser::new(&app.address);
    phone.log_in(email, PASSWORD).await;
    assert_eq!(phone.get("/inbox").await.status, StatusCode::OK);

    let csrf = laptop.get("/settings/password").await.hidden("csrf");
    let new = "a much longer new passphrase";
    for (current, repeat, message) in [
        (
            "wrong current password",
            new,
            "現在のパスワードが正しくありません",
        ),
        (PASSWORD, "something else entirely", "確認欄と一致しません"),
    ] {
        let page = laptop
            .post(
                "/settings/password",
                &[
                    ("csrf", &csrf),
                    ("current", current),
                    ("new", new),
                    ("repeat", repeat),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.body.contains(message), "{}", page.body);
    }
    let short = laptop
        .post(
            "/settings/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "short"),
                ("repeat", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("12 文字以上"), "{}", short.body);
    let forged = laptop
        .post(
            "/settings/password",
            &[
                ("csrf", "forged"),
                ("current", PASSWORD),
                ("new", new),
                ("repeat", new),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Nothing so far changed anything: the phone is still signed in, the old password works.
    assert_eq!(phone.get("/inbox").await.status, StatusCode::OK);

    let done = laptop
        .post(
            "/settings/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", new),
                ("repeat", new),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("パスワードを変更しました"));
    assert_eq!(
        laptop.get("/inbox").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        phone.get("/inbox").await.status,
        StatusCode::SEE_OTHER,
        "others end"
    );
    let mut fresh = Browser::new(&app.address);
    assert_eq!(
        fresh.log_in(email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(fresh.log_in(email, new).await.status, StatusCode::SEE_OTHER);
    let audited = noroshi::audit::recent(&app.ctx.db, None, 30).await.unwrap();
    assert!(audited.iter().any(|e| e.action == "user.password_change"));
}
