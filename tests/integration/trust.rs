//! The holes the third security review found (`shared/reviews/security-2026-12-05.md`), each kept
//! closed by a test named for the behaviour.

use noroshi::domain::ids::CaseId;
use noroshi::domain::ids::ReportId;
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
    crate::helpers::mail::org_by_code(&app.ctx, code).await
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
    noroshi::reports::act::file(
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
    let case_id: CaseId = made
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
    let lowered = noroshi::cases::act::edit(
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
    noroshi::cases::act::publish(
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
    noroshi::cases::act::edit(
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

/// The addresses of the magazine copies received by the sink, with their text.
fn magazine_copies(app: &crate::helpers::TestApp) -> Vec<(String, String)> {
    app.smtp
        .received()
        .into_iter()
        .filter(|t| t.data_str().contains("X-Noroshi-Magazine"))
        .map(|t| {
            let text = mail_parser::MessageParser::default()
                .parse(&t.data)
                .and_then(|m| m.body_text(0).map(|b| b.into_owned()))
                .unwrap_or_default();
            (t.rcpt_to[0].clone(), text)
        })
        .collect()
}

/// Composes, submits and publishes this week's issue; returns how many copies were queued.
async fn publish_issue(
    app: &crate::helpers::TestApp,
    central: &crate::helpers::mail::Central,
) -> u64 {
    let draft = crate::helpers::mail::submitted_issue(&app.ctx, central).await;
    noroshi::magazine::issue::approve(&app.ctx.db, &central.approver, draft, chrono::Utc::now())
        .await
        .unwrap()
        .copies
}

fn link_in(text: &str, path: &str) -> String {
    text.split(path)
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {path} in {text}"))
        .to_owned()
}

/// N-H1: a mail domain never makes anyone an organisation's reader. A municipality's duty
/// officer's carrier address is a contact, but neither it (until its owner confirms it) nor any
/// other holder of an address there receives the municipality's AMBER items; a staff member at
/// the municipality's own domain gets them only once the municipality vouches for them.
#[tokio::test]
async fn an_outsider_at_a_contacts_carrier_domain_never_receives_the_organisations_amber_items() {
    use crate::helpers::mail::{Draft, central_users, drain, publish_alert, send_notices};
    use noroshi::delivery::worker::Lane;
    use noroshi::domain::Tlp;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let chiyoda = org(&app, "131016").await;
    crate::helpers::mail::register_domains(&app.ctx, std::slice::from_ref(&chiyoda)).await;
    user(
        &app.ctx,
        "131016",
        Role::OrgAdmin,
        "admin@131016.example.lg.jp",
    )
    .await;
    let mut admin = Browser::new(&app.address);
    admin.log_in("admin@131016.example.lg.jp", PASSWORD).await;
    let csrf = admin.get("/settings").await.hidden("csrf");
    for (email, kind) in [
        ("joho@131016.example.lg.jp", "primary"),
        ("chiyoda.keitai@docomo.ne.jp", "backup"),
    ] {
        let added = admin
            .post(
                "/settings/contacts",
                &[
                    ("csrf", csrf.as_str()),
                    ("email", email),
                    ("kind", kind),
                    ("language", "ja"),
                    ("encoding", "utf-8"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    }
    let contacts = noroshi::contacts::store::list_for_org(&app.ctx.db, chiyoda.id)
        .await
        .unwrap();
    let keitai = contacts
        .iter()
        .find(|c| c.email.as_str() == "chiyoda.keitai@docomo.ne.jp")
        .unwrap();
    assert!(
        keitai.verified.is_none(),
        "a carrier address is not verified"
    );
    assert!(
        contacts
            .iter()
            .find(|c| c.email.as_str() == "joho@131016.example.lg.jp")
            .unwrap()
            .verified
            .is_some(),
        "an address at the organisation's domain is"
    );
    let ask = crate::helpers::mail::queued_notice_to(&app.ctx, keitai.email.as_str()).await;
    let confirm_token = link_in(&ask, "/contacts/confirm/");

    // Anyone at docomo.ne.jp asks to subscribe: the same answer as an accepted address, and
    // nothing stored or mailed.
    let outsider = "outsider.anyone@docomo.ne.jp";
    let staff = "kato@131016.example.lg.jp";
    for email in [outsider, staff] {
        let mut b = Browser::new(&app.address);
        let form_csrf = b.get("/magazine/subscribe").await.hidden("csrf");
        let page = b
            .post(
                "/magazine/subscribe",
                &[
                    ("csrf", form_csrf.as_str()),
                    ("email", email),
                    ("language", "ja"),
                    ("encoding", "utf-8"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
        assert!(
            page.body.contains("確認メールを送りました"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("docomo"), "the page names no domain");
    }
    let rows = noroshi::magazine::subscribers::counts(&app.ctx.db)
        .await
        .unwrap();
    assert_eq!(
        rows.staff_pending, 1,
        "only the staff member's request is kept"
    );
    let token = link_in(
        &crate::helpers::mail::queued_notice_to(&app.ctx, staff).await,
        "/magazine/confirm/",
    );
    noroshi::magazine::subscribers::confirm(&app.ctx.db, &token, chrono::Utc::now())
        .await
        .unwrap();

    // 千代田区's AMBER and AMBER+STRICT items, and a CLEAR one for everybody.
    for (title, tlp) in [
        ("【千代田区限定】庁内VPN装置の未公開脆弱性", Tlp::Amber),
        ("【千代田区内限り】幹部端末の侵害調査", Tlp::AmberStrict),
        ("公開の注意喚起", Tlp::Clear),
    ] {
        publish_alert(
            &app.ctx,
            &central,
            Draft {
                to: &["org:131016"],
                title,
                tlp,
                ..Draft::default()
            },
        )
        .await;
    }
    drain(&app.ctx, Lane::All).await;
    // The alerts themselves: the unverified carrier address got the CLEAR one only.
    let to_keitai: Vec<String> = app
        .smtp
        .received()
        .into_iter()
        .filter(|t| t.rcpt_to[0] == keitai.email.as_str())
        .map(|t| t.data_str())
        .collect();
    assert_eq!(to_keitai.len(), 1, "{to_keitai:?}");
    assert!(!to_keitai.iter().any(|m| m.contains("TLP:AMBER")));

    publish_issue(&app, &central).await;
    drain(&app.ctx, Lane::All).await;
    let copies = magazine_copies(&app);
    assert!(
        !copies.iter().any(|(to, _)| to == outsider),
        "the outsider gets nothing"
    );
    for (to, text) in &copies {
        let own = to == "joho@131016.example.lg.jp";
        assert!(text.contains("公開の注意喚起"), "{to}: {text}");
        assert_eq!(text.contains("庁内VPN装置"), own, "{to}: {text}");
        assert_eq!(text.contains("幹部端末"), own, "{to}: {text}");
    }
    assert!(copies.iter().any(|(to, _)| to == staff));
    assert!(copies.iter().any(|(to, _)| to == keitai.email.as_str()));

    // The organisation vouches for its staff member, and the duty officer confirms the carrier
    // address from it: from the next issue on, both read the organisation's items.
    let settings = admin.get("/settings").await;
    assert!(settings.body.contains(staff), "{}", settings.body);
    let id = noroshi::magazine::subscribers::of_organisation(&app.ctx.db, chiyoda.id)
        .await
        .unwrap()[0]
        .id;
    let vouched = admin
        .post(
            &format!("/settings/magazine/{id}/vouch"),
            &[("csrf", csrf.as_str()), ("vouch", "yes")],
        )
        .await;
    assert_eq!(vouched.status, StatusCode::OK, "{}", vouched.body);
    let confirmed = reqwest::Client::new()
        .post(app.url(&format!("/contacts/confirm/{confirm_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    send_notices(&app.ctx).await;
    app.smtp.clear();
    publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            title: "【千代田区限定】第二のAMBER",
            tlp: Tlp::Amber,
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    publish_issue(&app, &central).await;
    drain(&app.ctx, Lane::All).await;
    let copies = magazine_copies(&app);
    for who in [staff, keitai.email.as_str()] {
        let (_, text) = copies.iter().find(|(to, _)| to == who).unwrap();
        assert!(text.contains("第二のAMBER"), "{who}: {text}");
    }
    assert!(!copies.iter().any(|(to, _)| to == outsider));
}

/// N-L7 and I-3: a campaign goes out once a day per scope and only after its confirmation
/// step; a report card is mailed once a day per organisation; one address's link confirms that
/// address only.
#[tokio::test]
async fn mail_buttons_send_once_a_day_and_one_link_confirms_one_address() {
    use crate::helpers::mail::{add_contacts, send_notices, tokyo};
    let app = spawn_app().await;
    let orgs = tokyo(&app.ctx).await;
    let contacts = add_contacts(&app.ctx, &orgs, 2, |_| {
        noroshi::contacts::MailEncoding::Utf8
    })
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
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut tokyo_admin = Browser::new(&app.address);
    tokyo_admin.log_in("sec@metro.tokyo.lg.jp", PASSWORD).await;
    let csrf = tokyo_admin.get("/contacts/coverage").await.hidden("csrf");
    let mut pages = Vec::new();
    for _ in 0..5 {
        pages.push(
            tokyo_admin
                .post(
                    "/contacts/coverage/campaign",
                    &[("csrf", &csrf), ("reach", "everyone"), ("confirmed", "yes")],
                )
                .await,
        );
    }
    assert!(
        pages[0].body.contains("63 団体の 126 件"),
        "{}",
        pages[0].body
    );
    for p in &pages[1..] {
        assert!(p.body.contains("本日すでに送っています"), "{}", p.body);
    }
    assert_eq!(send_notices(&app.ctx).await, 126, "one campaign, not five");

    // Each address's own link confirms it, not its organisation's other address.
    let chiyoda: Vec<_> = contacts
        .iter()
        .filter(|c| c.email.as_str().contains("@131016."))
        .collect();
    let mail = app
        .smtp
        .received()
        .into_iter()
        .find(|t| t.rcpt_to[0] == chiyoda[0].email.as_str())
        .unwrap();
    let text = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    let token = link_in(&text, "/contacts/confirm/");
    let done = reqwest::Client::new()
        .post(app.url(&format!("/contacts/confirm/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let now: Vec<_> =
        noroshi::contacts::store::by_ids(&app.ctx.db, &[chiyoda[0].id, chiyoda[1].id])
            .await
            .unwrap();
    let confirmed = |id: i64| {
        now.iter()
            .find(|c| c.id == id)
            .unwrap()
            .confirmed_at
            .is_some()
    };
    assert!(confirmed(chiyoda[0].id));
    assert!(
        !confirmed(chiyoda[1].id),
        "the other address is not vouched for"
    );

    // The report card: once a day per organisation, whichever 年度.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let csrf = member.get("/stats/card").await.hidden("csrf");
    let mut statuses = Vec::new();
    for fy in ["2026", "2025", "2007", "2026"] {
        let r = member
            .post(
                "/stats/card/mail",
                &[("csrf", csrf.as_str()), ("fy", fy), ("org", "131016")],
            )
            .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::SEE_OTHER,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    app.smtp.clear();
    assert_eq!(
        send_notices(&app.ctx).await,
        2,
        "one card to each of the two addresses"
    );
}

/// N-M2: the public subscription form is limited per client and for everybody, one mailbox
/// gets one confirmation whatever `+tag` it is written with, and a flood of confirmations never
/// delays an incident report's mail.
#[tokio::test]
async fn a_subscription_flood_is_cut_short_and_never_delays_an_incident_report() {
    use noroshi::notices::store::NoticeKind;
    let app = spawn_app().await;
    let chiyoda = org(&app, "131016").await;
    crate::helpers::mail::register_domains(&app.ctx, std::slice::from_ref(&chiyoda)).await;
    let post = |email: String, client: &'static str| {
        let app = &app;
        async move {
            let mut b = Browser::new(&app.address);
            let csrf = b.get("/magazine/subscribe").await.hidden("csrf");
            reqwest::Client::new()
                .post(app.url("/magazine/subscribe"))
                .header("cookie", b.cookie_header())
                // As our same-host proxy would pass the client on.
                .header("x-forwarded-for", client)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("email", email.as_str()),
                    ("language", "ja"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // One client: its burst, then 429 with Retry-After.
    let mut statuses = Vec::new();
    for n in 0..7 {
        statuses.push(post(format!("flood{n}@131016.example.lg.jp"), "198.51.100.7").await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS);
    // Many clients: the global bucket stops them too (30 at once).
    let mut admitted = 0;
    for n in 0..40 {
        let client: &'static str = Box::leak(format!("203.0.113.{n}").into_boxed_str());
        if post(format!("many{n}@131016.example.lg.jp"), client).await == StatusCode::OK {
            admitted += 1;
        }
    }
    assert!(admitted <= 30 - 5 + 1, "{admitted} admitted");

    // One mailbox, written three ways: one confirmation.
    let app2 = spawn_app().await;
    crate::helpers::mail::register_domains(&app2.ctx, std::slice::from_ref(&chiyoda)).await;
    for (email, client) in [
        ("victim@131016.example.lg.jp", "192.0.2.1"),
        ("victim+1@131016.example.lg.jp", "192.0.2.2"),
        ("Victim+3@131016.EXAMPLE.lg.jp", "192.0.2.3"),
    ] {
        let mut b = Browser::new(&app2.address);
        let csrf = b.get("/magazine/subscribe").await.hidden("csrf");
        let r = reqwest::Client::new()
            .post(app2.url("/magazine/subscribe"))
            .header("cookie", b.cookie_header())
            .header("x-forwarded-for", client)
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("language", "ja"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let notices = noroshi::notices::store::recent(&app2.ctx.db, 100)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1, "one mailbox, one mail");

    // The notice queue by kind: an incident report's mail goes before every confirmation.
    let now = chrono::Utc::now();
    let to = |s: &str| noroshi::domain::EmailAddress::parse(s).unwrap();
    for n in 0..50 {
        noroshi::notices::store::queue(
            &app2.ctx.db,
            NoticeKind::Subscription,
            &to(&format!("s{n}@131016.example.lg.jp")),
            "確認",
            "本文",
            now,
        )
        .await
        .unwrap();
    }
    noroshi::notices::store::queue_for_report(
        &app2.ctx.db,
        &to("desk@soumu.go.jp"),
        "[TLP:AMBER] 障害・事故等報告 #1",
        "本文",
        now,
        ReportId(1),
    )
    .await
    .unwrap();
    assert_eq!(
        noroshi::jobs::send_notice(&app2.ctx).await.unwrap(),
        noroshi::workers::Outcome::Worked
    );
    assert_eq!(
        app2.smtp.received()[0].rcpt_to,
        vec!["desk@soumu.go.jp".to_owned()],
        "the report's mail overtakes 51 confirmations"
    );
}

/// N-M2: unconfirmed subscriptions are forgotten once their link has expired.
#[tokio::test]
async fn an_unconfirmed_subscription_is_forgotten_after_its_link_expires() {
    use noroshi::magazine::subscribers;
    let app = spawn_app().await;
    let chiyoda = org(&app, "131016").await;
    crate::helpers::mail::register_domains(&app.ctx, std::slice::from_ref(&chiyoda)).await;
    let request = |email: &'static str, at| {
        let app = &app;
        async move {
            subscribers::request(
                &app.ctx.db,
                &app.ctx.mailer.verp,
                &app.ctx.settings.app.base_url,
                email,
                "ja",
                "utf-8",
                &subscribers::Requester::Public,
                at,
            )
            .await
            .unwrap()
        }
    };
    let old = chrono::Utc::now() - chrono::Duration::hours(subscribers::CONFIRM_HOURS + 1);
    request("old@131016.example.lg.jp", old).await;
    assert_eq!(
        subscribers::counts(&app.ctx.db)
            .await
            .unwrap()
            .staff_pending,
        1
    );
    request("new@131016.example.lg.jp", chrono::Utc::now()).await;
    assert_eq!(
        subscribers::counts(&app.ctx.db)
            .await
            .unwrap()
            .staff_pending,
        1,
        "the expired one is gone"
    );
}

/// N-M1: hostile MIME in the return channel never holds the database: three of the reviewer's
/// 1.9 MB messages (and three cut under the size limit) are read while staff log in, and every
/// login answers within a second; the messages wait, unread, for an operator.
#[tokio::test]
async fn hostile_mail_in_the_return_channel_never_stops_logins() {
    let app = spawn_app().await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let dir = noroshi::inbound::maildir(&app.ctx.settings);
    noroshi::maildir::ensure(&dir).unwrap();
    for (parts, name) in [(28_522, "big"), (3_700, "small")] {
        let m = noroshi::domain::mime_guard::hostile(parts);
        for n in 0..3 {
            // Three different messages (the same bytes twice would be one message).
            let mut one = format!("X-Attempt: {n}\r\n").into_bytes();
            one.extend_from_slice(&m);
            std::fs::write(dir.join("new").join(format!("{name}{n}.host")), &one).unwrap();
        }
    }
    let inbox = app.ctx.clone();
    let worker = tokio::spawn(async move {
        let t = std::time::Instant::now();
        let done = noroshi::inbound::process_maildir(
            &inbox.inbox(),
            &noroshi::inbound::maildir(&inbox.settings),
            100,
        )
        .await
        .unwrap();
        (t.elapsed(), done)
    });
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..5 {
        let mut b = Browser::new(&app.address);
        let t = std::time::Instant::now();
        let page = b.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
        slowest = slowest.max(t.elapsed());
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let (took, done) = worker.await.unwrap();
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "a login took {slowest:?}"
    );
    assert!(
        took < std::time::Duration::from_secs(1),
        "the worker took {took:?}"
    );
    assert_eq!(done.len(), 6);
    for p in &done {
        assert_eq!(p.outcome, noroshi::inbound::Outcome::Pending, "{p:?}");
        assert!(p.detail.starts_with("unreadable:"), "{p:?}");
    }
    assert!(done.iter().any(|p| p.detail.contains("bytes")));
    assert!(
        done.iter()
            .any(|p| p.detail.contains("MIME parts") || p.detail.contains("multipart"))
    );
}

/// N-M1: the same shape sent to the NCO mailbox is refused from its header section, before its
/// body is parsed.
#[tokio::test]
async fn a_hostile_notice_is_refused_before_its_body_is_parsed() {
    let app = spawn_app().await;
    let def = app.ctx.catalogue.get("nco-mail").unwrap().clone();
    let doc = noroshi::ingest::fetch::Fetched {
        bytes: noroshi::domain::mime_guard::hostile(28_522),
        content_type: None,
        etag: None,
        last_modified: None,
        origin: "nco-mail/new/hostile".into(),
    };
    let t = std::time::Instant::now();
    let refused = noroshi::ingest::ingest_document(&app.ctx.db, &def, def.format, &doc).await;
    assert!(
        t.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        t.elapsed()
    );
    let e = refused.unwrap_err().to_string();
    assert!(e.contains("multipart") || e.contains("MIME parts"), "{e}");
}

/// N-L1: a reply acknowledges only when our own mail server vouched for its sender; one with the
/// organisation's address in `From:` and anyone else's verdict waits for an operator.
#[tokio::test]
async fn a_reply_acknowledges_only_when_our_mail_server_vouched_for_its_sender() {
    use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert};
    use noroshi::delivery::worker::Lane;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let chiyoda = org(&app, "131016").await;
    let contacts = add_contacts(&app.ctx, std::slice::from_ref(&chiyoda), 1, |_| {
        noroshi::contacts::MailEncoding::Utf8
    })
    .await;
    let (alert, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let code = app.ctx.mailer.verp.reply_code(alert, chiyoda.id);
    let from = contacts[0].email.as_str();
    let reply = |n: u32, verdict: &str| {
        format!(
            "{verdict}From: {from}\r\nTo: noreply@noroshi.example\r\nSubject: Re\r\nMessage-ID: <r{n}@x>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n対応完了\r\n> 返信用コード: {code}\r\n"
        )
    };
    let dir = noroshi::inbound::maildir(&app.ctx.settings);
    noroshi::maildir::ensure(&dir).unwrap();
    let forged = [
        reply(1, "Authentication-Results: mx.attacker; dmarc=fail\r\n"),
        reply(
            2,
            "Authentication-Results: mx.attacker; dmarc=pass header.from=131016.example.lg.jp\r\n",
        ),
        reply(
            3,
            &format!(
                "Authentication-Results: {}; dmarc=fail header.from=131016.example.lg.jp\r\n",
                crate::helpers::mail::AUTHSERV_ID
            ),
        ),
        reply(4, ""),
    ];
    for (n, m) in forged.iter().enumerate() {
        std::fs::write(dir.join("new").join(format!("{n}.forged")), m).unwrap();
    }
    let done = noroshi::inbound::process_maildir(&app.ctx.inbox(), &dir, 100)
        .await
        .unwrap();
    assert_eq!(done.len(), 4);
    for p in &done {
        assert_eq!(p.outcome, noroshi::inbound::Outcome::Pending, "{p:?}");
        assert!(p.detail.contains("did not vouch"), "{p:?}");
    }
    let state = noroshi::acks::store::current(&app.ctx.db, alert, chiyoda.id)
        .await
        .unwrap();
    assert!(state.is_none(), "nothing acknowledged: {state:?}");
    // What our MTA vouched for acknowledges.
    std::fs::write(
        dir.join("new").join("9.real"),
        crate::helpers::mail::vouched(reply(9, "").as_bytes()),
    )
    .unwrap();
    let done = noroshi::inbound::process_maildir(&app.ctx.inbox(), &dir, 100)
        .await
        .unwrap();
    assert_eq!(
        done[0].outcome,
        noroshi::inbound::Outcome::Recorded,
        "{:?}",
        done[0]
    );
}

/// Creates a user on the settings page as `b`; returns the page and the initial password shown.
async fn create_user(b: &mut Browser, csrf: &str, email: &str, role: &str) -> (String, String) {
    let page = b
        .post(
            "/settings/users",
            &[("csrf", csrf), ("email", email), ("role", role)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let start = page.body.find("<code id=\"secret\">").unwrap() + 18;
    let end = page.body[start..].find("</code>").unwrap() + start;
    (page.body.clone(), page.body[start..end].to_owned())
}

/// Writes a prefecture's own alert (to its municipalities) as `b`, submits it; returns its
/// draft path.
async fn own_alert(b: &mut Browser, title: &str) -> String {
    let csrf = b.get("/alerts/new").await.hidden("csrf");
    let made = b
        .post(
            "/alerts/new",
            &[
                ("csrf", csrf.as_str()),
                ("title", title),
                ("body", "次のページでパスワードを再設定してください。"),
                ("severity", "critical"),
                ("tlp", "GREEN"),
                ("to", "pref:13+"),
                ("hours", "24"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft = made.location.unwrap();
    let csrf = b.get(&draft).await.hidden("csrf");
    let submitted = b.post(&format!("{draft}/submit"), &[("csrf", &csrf)]).await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    draft
}

/// N-M3: one prefecture administrator cannot be both eyes. The second administrator they
/// create cannot sign in until a hub administrator (not its creator) enables it — every hub
/// administrator is mailed — and even then it does not approve its creator's alert; nor does an
/// administrator approve what an account they created (and were shown the password of) wrote.
#[tokio::test]
async fn a_prefecture_administrators_second_account_cannot_approve_their_alert() {
    use crate::helpers::mail::send_notices;
    let app = spawn_app().await;
    let admin = user(&app.ctx, "990019", Role::Admin, "admin@soumu.go.jp").await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec2@metro.tokyo.lg.jp",
    )
    .await;
    let mut sec = Browser::new(&app.address);
    sec.log_in("sec@metro.tokyo.lg.jp", PASSWORD).await;
    let csrf = sec.get("/settings").await.hidden("csrf");
    let (page, sock_password) = create_user(
        &mut sec,
        &csrf,
        "sock@metro.tokyo.lg.jp",
        "prefecture_admin",
    )
    .await;
    assert!(page.contains("システム管理者が有効にするまで"), "{page}");
    let (_, staff_password) =
        create_user(&mut sec, &csrf, "puppet@metro.tokyo.lg.jp", "member").await;

    // The new administrator cannot sign in; the hub administrators were told.
    let mut sock = Browser::new(&app.address);
    let refused = sock.log_in("sock@metro.tokyo.lg.jp", &sock_password).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    send_notices(&app.ctx).await;
    let told = app.smtp.received().iter().any(|t| {
        t.rcpt_to == [admin.email.to_string()]
            && mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .and_then(|m| m.body_text(0).map(|b| b.contains("sock@metro.tokyo.lg.jp")))
                .unwrap_or(false)
    });
    assert!(told, "every hub administrator is mailed");
    // Its creator cannot enable it (only a hub administrator can).
    let sock_id = noroshi::auth::store::find_by_email(
        &app.ctx.db,
        &noroshi::auth::EmailAddress::parse("sock@metro.tokyo.lg.jp").unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let by_creator = sec
        .post(
            &format!("/settings/users/{sock_id}/disabled"),
            &[("csrf", csrf.as_str()), ("active", "true")],
        )
        .await;
    assert_eq!(
        by_creator.status,
        StatusCode::FORBIDDEN,
        "{}",
        by_creator.body
    );

    // The creator writes a 緊急 alert; a hub administrator enables the second account, which
    // still may not approve it.
    let draft = own_alert(
        &mut sec,
        "【東京都】至急: VPN パスワードを次のページで再設定してください",
    )
    .await;
    let mut hub = Browser::new(&app.address);
    hub.log_in("admin@soumu.go.jp", PASSWORD).await;
    let hub_csrf = hub.get("/admin/users").await.hidden("csrf");
    let enabled = hub
        .post(
            &format!("/admin/users/{sock_id}/disabled"),
            &[("csrf", hub_csrf.as_str()), ("active", "true")],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    let mut sock = Browser::new(&app.address);
    sock.log_in("sock@metro.tokyo.lg.jp", &sock_password).await;
    let form = sock.get("/settings/password").await;
    sock.post(
        "/settings/password",
        &[
            ("csrf", form.hidden("csrf").as_str()),
            ("current", sock_password.as_str()),
            ("new", "the sock's own passphrase"),
            ("repeat", "the sock's own passphrase"),
        ],
    )
    .await;
    let csrf2 = sock.get(&draft).await.hidden("csrf");
    let approved = sock
        .post(
            &format!("{draft}/approve"),
            &[("csrf", &csrf2), ("revision", "1")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::FORBIDDEN, "{}", approved.body);
    assert!(approved.body.contains("created"), "{}", approved.body);

    // The creator, signed in as the member account it made, writes; the creator may not
    // approve that either. Another administrator may.
    let mut puppet = Browser::new(&app.address);
    puppet
        .log_in("puppet@metro.tokyo.lg.jp", &staff_password)
        .await;
    let form = puppet.get("/settings/password").await;
    puppet
        .post(
            "/settings/password",
            &[
                ("csrf", form.hidden("csrf").as_str()),
                ("current", staff_password.as_str()),
                ("new", "the puppet's own passphrase"),
                ("repeat", "the puppet's own passphrase"),
            ],
        )
        .await;
    let second = own_alert(&mut puppet, "【東京都】偽の注意喚起").await;
    let csrf = sec.get(&second).await.hidden("csrf");
    let refused = sec
        .post(
            &format!("{second}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let mut other = Browser::new(&app.address);
    other.log_in("sec2@metro.tokyo.lg.jp", PASSWORD).await;
    let csrf = other.get(&second).await.hidden("csrf");
    let ok = other
        .post(
            &format!("{second}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

/// A second factor for those who approve: an approver without one cannot approve (every page
/// leads to its set-up); with one, the password alone opens only the code's page; a code works
/// once; a recovery code works once; an administrator's reset makes them set it up again.
#[tokio::test]
async fn an_approver_without_a_second_factor_cannot_approve() {
    use crate::helpers::mail::central_users;
    use noroshi::auth::second_factor::code_at;
    let app = spawn_app_with(|s| s.auth.require_second_factor = true).await;
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "990019", Role::Admin, "hub@soumu.go.jp").await;
    let draft = noroshi::alerts::create_draft(
        &app.ctx.db,
        &app.ctx.policy,
        noroshi::alerts::DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some("二要素の確認".into()),
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
    let path = format!("/drafts/{}", draft.id.0);

    // The operator (who does not approve) works with the password alone.
    let mut op = Browser::new(&app.address);
    op.log_in("operator@soumu.go.jp", PASSWORD).await;
    assert_eq!(op.get("/drafts").await.status, StatusCode::OK);

    // The approver: every page leads to the set-up, approving included.
    let mut ap = Browser::new(&app.address);
    let csrf = {
        let login = ap.log_in("approver@soumu.go.jp", PASSWORD).await;
        assert_eq!(login.status, StatusCode::SEE_OTHER);
        let page = ap.get(&path).await;
        assert_eq!(page.location.as_deref(), Some("/settings/totp"));
        ap.get("/settings/password").await.hidden("csrf")
    };
    let refused = ap
        .post(
            &format!("{path}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(refused.location.as_deref(), Some("/settings/totp"));
    let api = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", ap.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert!(api.text().await.unwrap().contains("second_factor_required"));
    let state = noroshi::alerts::store::get(&app.ctx.db, draft.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.status, noroshi::alerts::AlertStatus::PendingApproval);

    // Set-up: the secret is shown (and as a QR code); the first code enables it.
    let setup = ap.get("/settings/totp").await;
    assert!(setup.body.contains("<svg"), "{}", setup.body);
    assert!(setup.body.contains("<code id=\"totp-secret\">"));
    let wrong = ap
        .post("/settings/totp", &[("csrf", &csrf), ("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let secret = between(&wrong.body, "<code id=\"totp-secret\">", "</code>");
    let now = chrono::Utc::now();
    let done = ap
        .post(
            "/settings/totp",
            &[("csrf", &csrf), ("code", &code_at(&secret, now).unwrap())],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let recovery: Vec<String> = done
        .body
        .split("<li><code>")
        .skip(1)
        .map(|c| c.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    let approved = ap
        .post(
            &format!("{path}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert!(approved.location.unwrap().starts_with("/alerts/NRS-"));

    // Next time: the password opens only the code's page.
    let mut again = Browser::new(&app.address);
    let login = again.log_in("approver@soumu.go.jp", PASSWORD).await;
    assert!(login.location.unwrap().starts_with("/login/totp"));
    assert_eq!(
        again.get("/drafts").await.location.as_deref(),
        Some("/login/totp")
    );
    let code_page = again.get("/login/totp").await;
    let csrf2 = code_page.hidden("csrf");
    // The code used at the set-up does not work twice.
    let reused = again
        .post(
            "/login/totp",
            &[("csrf", &csrf2), ("code", &code_at(&secret, now).unwrap())],
        )
        .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST, "{}", reused.body);
    let next_step = now + chrono::Duration::seconds(30);
    let ok = again
        .post(
            "/login/totp",
            &[
                ("csrf", &csrf2),
                ("code", &code_at(&secret, next_step).unwrap()),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(again.get("/drafts").await.status, StatusCode::OK);

    // A recovery code works once.
    for (n, expect) in [(0, StatusCode::SEE_OTHER), (1, StatusCode::BAD_REQUEST)] {
        let mut b = Browser::new(&app.address);
        b.log_in("approver@soumu.go.jp", PASSWORD).await;
        let c = b.get("/login/totp").await.hidden("csrf");
        let r = b
            .post("/login/totp", &[("csrf", &c), ("code", &recovery[0])])
            .await;
        assert_eq!(r.status, expect, "attempt {n}: {}", r.body);
    }

    // The hub administrator resets it: audited, sessions ended, set up again next time.
    let approver = noroshi::auth::store::find_by_email(
        &app.ctx.db,
        &noroshi::auth::EmailAddress::parse("approver@soumu.go.jp").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let mut hub = Browser::new(&app.address);
    hub.log_in("hub@soumu.go.jp", PASSWORD).await;
    // The hub administrator sets up their own first.
    let setup = hub.get("/settings/totp").await;
    let hub_secret = between(&setup.body, "<code id=\"totp-secret\">", "</code>");
    let hub_csrf = setup.hidden("csrf");
    hub.post(
        "/settings/totp",
        &[
            ("csrf", &hub_csrf),
            ("code", &code_at(&hub_secret, chrono::Utc::now()).unwrap()),
        ],
    )
    .await;
    let reset = hub
        .post(
            &format!("/admin/users/{}/second-factor-reset", approver.id),
            &[("csrf", &hub_csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert_eq!(
        again.get("/drafts").await.location.as_deref(),
        Some("/login?next=%2Fdrafts")
    );
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("user:{}", approver.id)), 20)
        .await
        .unwrap();
    assert!(
        audited
            .iter()
            .any(|e| e.action == "user.second_factor_reset")
    );
    let mut fresh = Browser::new(&app.address);
    fresh.log_in("approver@soumu.go.jp", PASSWORD).await;
    assert_eq!(
        fresh.get("/drafts").await.location.as_deref(),
        Some("/settings/totp")
    );
}

fn between(text: &str, start: &str, end: &str) -> String {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"))
        + start.len();
    text[at..at + text[at..].find(end).unwrap()].to_owned()
}

/// I-5: an issue's items are what their alerts are at publication: one withdrawn since the
/// issue was composed is left out, one whose 第2報 is marked stricter carries that marking.
#[tokio::test]
async fn an_issue_publishes_what_its_alerts_are_at_publication_not_at_composition() {
    use crate::helpers::mail::{Draft, central_users, publish_alert, publish_revision};
    use noroshi::domain::Tlp;
    use noroshi::magazine::issue;
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let alert = |title| Draft {
        to: &["pref:13+"],
        title,
        tlp: Tlp::Clear,
        ..Draft::default()
    };
    let (gone, _) = publish_alert(&app.ctx, &central, alert("取り下げられる注意喚起")).await;
    let (tightened, _) = publish_alert(&app.ctx, &central, alert("あとで限定される注意喚起")).await;
    let draft = crate::helpers::mail::submitted_issue(&app.ctx, &central).await;
    noroshi::alerts::publish::withdraw(
        &app.ctx.db,
        &app.ctx.rules,
        gone,
        &central.approver,
        "誤り",
        None,
    )
    .await
    .unwrap();
    publish_revision(
        &app.ctx,
        &central,
        tightened,
        noroshi::alerts::publish::Edit {
            tlp: Some(Tlp::AmberStrict),
            changes: Some("配布範囲を限定".into()),
            ..Default::default()
        },
    )
    .await;
    let published = issue::approve(&app.ctx.db, &central.approver, draft, chrono::Utc::now())
        .await
        .unwrap();
    let items = &published.issue.items;
    assert!(
        !items.iter().any(|i| i.title.contains("取り下げられる")),
        "{items:?}"
    );
    let t = items
        .iter()
        .find(|i| i.title.contains("あとで限定される"))
        .unwrap();
    assert_eq!(t.tlp, Tlp::AmberStrict);
    let feed = app.get("/magazine/feed.atom").await.text().await.unwrap();
    assert!(!feed.contains("あとで限定される"), "{feed}");
    assert!(!feed.contains("取り下げられる"), "{feed}");
}
