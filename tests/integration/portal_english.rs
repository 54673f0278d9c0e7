//! The portal in English, page by page and role by role, over real HTTP: after the switch every
//! page a role uses is `<html lang="en">`, shows its English text, and carries none of the
//! catalog's Japanese sentences; messages made by handlers (refusals, form errors, notices) and
//! the error pages are English too, and the mailed acknowledgement link's page follows the
//! browser's choice without a login.

use noroshi::auth::Role;
use noroshi::delivery::worker::Lane;
use noroshi::ingest::store::{self, AdvisoryFilter};
use reqwest::StatusCode;

use crate::helpers::advisories::{classify_all, ingest_sample};
use crate::helpers::browser::{Browser, Page};
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo, user};
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

/// Japanese page text that must not be left on an English page: the catalog's sentences and
/// longer labels (shorter words such as 訓練 also occur in what people wrote, so they are left
/// to the catalog test, which reads the templates themselves).
fn japanese_sentences() -> Vec<&'static str> {
    noroshi::portal::catalog::EN
        .iter()
        .map(|(ja, _)| *ja)
        .filter(|ja| ja.chars().count() >= 6 && !ja.starts_with("例:"))
        .collect()
}

/// Asserts `page` is an English page that shows each of `english`.
fn english(path: &str, page: &Page, english: &[&str]) {
    assert!(
        page.body.contains(r#"<html lang="en">"#),
        "{path}: not English: {}",
        page.body
    );
    for e in english {
        assert!(page.body.contains(e), "{path}: no {e:?} in {}", page.body);
    }
    let left: Vec<&str> = japanese_sentences()
        .into_iter()
        .filter(|ja| page.body.contains(ja))
        .collect();
    assert!(left.is_empty(), "{path}: Japanese left: {left:?}");
}

async fn in_english(address: &str, email: &str) -> Browser {
    let mut b = Browser::new(address);
    b.get("/preferences/lang?lang=en&next=%2F").await;
    b.log_in(email, PASSWORD).await;
    b
}

#[tokio::test]
async fn every_page_of_every_role_is_english_after_the_switch() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "990027", Role::Admin, "admin@j-lis.go.jp").await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "admin@pref.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "131016",
        Role::OrgAdmin,
        "admin@city.chiyoda.lg.jp",
    )
    .await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[1..2], 1, |_| {
        noroshi::contacts::MailEncoding::Utf8
    })
    .await;
    ingest_sample(&app.ctx, "cisa-kev", "kev.json").await;
    classify_all(&app.ctx).await;
    let (alert_id, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["pref:13+"],
            ..Draft::default()
        },
    )
    .await;
    let a = report.public_id;
    drain(&app.ctx, Lane::All).await;

    // The landing page, before any login.
    let mut anonymous = Browser::new(&app.address);
    anonymous.get("/preferences/lang?lang=en&next=%2F").await;
    let home = anonymous.get("/").await;
    english("/", &home, &["Registered organisations", "Municipality"]);

    // The hub administrator: administration, triage, drafts, statistics, boards, settings.
    let mut admin = in_english(&app.address, "admin@j-lis.go.jp").await;
    let advisory = store::list(
        &app.ctx.db,
        &AdvisoryFilter {
            source: Some("cisa-kev".into()),
            cve: None,
            limit: 1,
            offset: 0,
            before_id: None,
        },
    )
    .await
    .unwrap()
    .remove(0);
    for (path, expected) in [
        (
            "/admin",
            &["Sources", "Delivery ledger", "Published alerts"][..],
        ),
        (
            "/admin/organisations?prefecture=13",
            &["without a mail address: 62", "Active addresses"],
        ),
        (
            "/admin/users",
            &["Search by address", "Issue a new password", "(you)"],
        ),
        (
            "/admin/audit",
            &["Intact (", "entries of the hash chain verified)", "Actor"],
        ),
        (
            &format!("/admin/alerts/{alert_id}/deliveries"),
            &["Server reply", "Update 1"],
        ),
        (
            "/triage",
            &[
                "Triage (collected vulnerability and threat information)",
                "Relevance",
            ],
        ),
        (
            &format!("/triage/{}", advisory.id),
            &[
                "Draft an alert",
                "Why it was classified so",
                "Aspect",
                "Category",
            ],
        ),
        (
            "/drafts",
            &[
                "Drafts and approval",
                "organisations whose product inventory matches (0 organisations)",
            ],
        ),
        (
            "/stats",
            &[
                "Acknowledgement statistics (last 90 days)",
                "Known rate",
                "Counted over",
            ],
        ),
        (
            &format!("/alerts/{a}/board"),
            &[
                "Acknowledgement status",
                "Save as CSV",
                "Acknowledgements over time (known 0 / done 0 / addressed 63)",
            ],
        ),
        (
            "/settings",
            &[
                "Organisation settings",
                "API and feed tokens",
                "Issue the token",
            ],
        ),
        (
            "/settings/password",
            &["Current password", "New password (at least 12 characters)"],
        ),
        ("/cases", &["Incident cases and good practices"]),
        (
            "/cases/new",
            &[
                "Central staff check and anonymise",
                "Happened on",
                "TLP:GREEN (shared among local governments)",
                "Contractor",
            ],
        ),
        ("/cases/desk", &["Review and publication"]),
        (&format!("/alerts/{a}"), &["Acknowledgement"]),
        (
            "/magazine",
            &["Newsletter", "Compose a new issue", "Published issues"],
        ),
        (
            "/magazine/subscribe",
            &["Subscribe to the newsletter", "Send the confirmation mail"],
        ),
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        english(path, &page, expected);
    }
    // A draft made from the advisory (refused first), and its resolved audience.
    let csrf = admin.get("/triage").await.hidden("csrf");
    let draft_form = |hours: &'static str| {
        [
            ("csrf", csrf.as_str()),
            ("audience", "org:131016"),
            ("tlp", "GREEN"),
            ("ack_hours", hours),
        ]
    };
    let to_draft = format!("/triage/{}/draft", advisory.id);
    let refused = admin.post(&to_draft, &draft_form("x")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    english(
        "draft refused",
        &refused,
        &["Give the report deadline as a number of hours (`x`)"],
    );
    let made = admin.post(&to_draft, &draft_form("48")).await;
    let draft = made.location.clone().expect("a draft");
    let page = admin.get(&draft).await;
    english(
        &draft,
        &page,
        &[
            "Report asked within 48 hours",
            "Named organisation",
            "Municipalities: 1",
            "Submit for approval",
        ],
    );
    // Settings forms answer in English.
    for (path, form, status, expected) in [
        (
            "/settings/tokens",
            vec![("name", "reader"), ("scope_read", "on"), ("days", "x")],
            StatusCode::BAD_REQUEST,
            &["Give the validity as a number of days (1 to"][..],
        ),
        (
            "/settings/tokens",
            vec![("name", "reader"), ("scope_read", "on"), ("days", "30")],
            StatusCode::OK,
            &[
                "The token &#34;reader&#34; was issued.",
                "Token (shown on this page only; copy it now)",
                "Read (feeds, API)",
            ],
        ),
        (
            "/settings/password",
            vec![("current", "wrong"), ("new", "short"), ("repeat", "short")],
            StatusCode::BAD_REQUEST,
            &["The current password is not correct."],
        ),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let page = admin.post(path, &fields).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        english(path, &page, expected);
    }

    // The prefecture: its municipalities' board and statistics.
    let mut pref = in_english(&app.address, "admin@pref.tokyo.lg.jp").await;
    for (path, expected) in [
        (
            format!("/alerts/{a}/board"),
            &["By organisation", "Not yet known"][..],
        ),
        ("/stats".to_owned(), &["Organisation-alerts"]),
    ] {
        let page = pref.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        english(&path, &page, expected);
    }

    // A municipality: refusals and error pages.
    let mut city = in_english(&app.address, "admin@city.chiyoda.lg.jp").await;
    let csrf = city.get("/settings").await.hidden("csrf");
    for (path, status, expected) in [
        (
            "/admin",
            StatusCode::FORBIDDEN,
            "Administration is for the hub&#39;s administrators only.",
        ),
        (
            "/triage",
            StatusCode::FORBIDDEN,
            "This page is for central staff only.",
        ),
        (
            "/alerts/NRS-2000-9999",
            StatusCode::NOT_FOUND,
            "The page you are looking for was not found.",
        ),
        (
            "/cases?page=0",
            StatusCode::BAD_REQUEST,
            "page must be 1 to 500",
        ),
    ] {
        let page = city.get(path).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        english(path, &page, &[expected, "To the inbox"]);
    }
    let forged = city
        .post(
            "/settings/contacts",
            &[
                ("csrf", "forged"),
                ("email", "x@example.lg.jp"),
                ("kind", "primary"),
                ("language", "ja"),
                ("encoding", "utf-8"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    english(
        "forged",
        &forged,
        &["The form was not accepted", "The form has expired"],
    );
    let page = city
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "new@city.chiyoda.lg.jp"),
                ("role", "admin"),
            ],
        )
        .await;
    english(
        "role refused",
        &page,
        &["The role `admin` cannot be given here."],
    );

    // The mailed link, opened in a browser that chose English, without a login.
    let text = app
        .smtp
        .received()
        .iter()
        .filter_map(|t| {
            mail_parser::MessageParser::default()
                .parse(t.data.as_slice())
                .and_then(|m| m.body_text(0).map(|b| b.into_owned()))
        })
        .find(|t| t.contains("/ack/"))
        .expect("a mail with a link");
    let token: String = text
        .split("/ack/")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let mut reader = Browser::new(&app.address);
    reader.get("/preferences/lang?lang=en&next=%2F").await;
    let link = format!("/ack/{token}");
    let page = reader.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    english(
        &link,
        &page,
        &[
            "Opening this page records nothing.",
            "Reporting organisation",
            "In progress",
        ],
    );
    let done = reader.post(&link, &[("state", "done"), ("note", "")]).await;
    english(&link, &done, &["Reported as &#34;Done&#34;. Thank you."]);
    assert!(
        reader
            .get(&format!("/ack/{token}x"))
            .await
            .body
            .contains("The page you are looking for was not found.")
    );
    app.stop().await;
}
