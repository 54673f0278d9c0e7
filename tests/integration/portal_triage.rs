//! Triage and the four-eyes publication in the portal, over real HTTP: advisories with their
//! classification and why, a draft made from one, its resolved audience shown before
//! publishing, submit by the operator, approval by another person, and nothing for anyone else.

use noroshi::alerts::store as alert_store;
use noroshi::auth::Role;
use noroshi::ingest::store::{self, AdvisoryFilter};
use reqwest::StatusCode;

use crate::helpers::advisories::{classify_all, ingest_sample};
use crate::helpers::browser::Browser;
use crate::helpers::mail::{central_users, user};
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

async fn alert_count(db: &sea_orm::DatabaseConnection) -> usize {
    let mut n = 0;
    for status in [
        noroshi::alerts::AlertStatus::Draft,
        noroshi::alerts::AlertStatus::PendingApproval,
        noroshi::alerts::AlertStatus::Published,
    ] {
        n += alert_store::list_by_status(db, status).await.unwrap().len();
    }
    n
}

#[tokio::test]
async fn central_staff_triage_an_advisory_into_a_draft_and_publish_it_with_four_eyes() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    central_users(&app.ctx).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    ingest_sample(&app.ctx, "cisa-kev", "kev.json").await;
    classify_all(&app.ctx).await;

    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    for path in ["/triage", "/drafts"] {
        assert_eq!(
            member.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PASSWORD).await;
    let list = operator.get("/triage").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let advisories = store::list(
        db,
        &AdvisoryFilter {
            source: Some("cisa-kev".into()),
            cve: None,
            limit: 1_000,
            offset: 0,
            before_id: None,
        },
    )
    .await
    .unwrap();
    assert!(!advisories.is_empty());
    let kev = operator.get("/triage?source=cisa-kev").await;
    assert_eq!(
        kev.body.matches("<a href=\"/triage/").count(),
        advisories.len().min(50),
        "only KEV entries, one page"
    );
    let bad = operator.get("/triage?severity=apocalyptic").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("apocalyptic"));

    let advisory = &advisories[0];
    let page = operator.get(&format!("/triage/{}", advisory.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("分類の根拠"), "{}", page.body);
    assert!(
        page.body.contains("kev"),
        "the KEV rule is named: {}",
        page.body
    );
    let csrf = page.hidden("csrf");
    let draft_path = format!("/triage/{}/draft", advisory.id);

    // Member cannot draft; a bad audience or TLP is refused and writes nothing.
    let member_csrf = member.get("/inbox").await.hidden("csrf");
    let denied = member
        .post(
            &draft_path,
            &[
                ("csrf", &member_csrf),
                ("audience", "all"),
                ("tlp", "CLEAR"),
            ],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let before = alert_count(db).await;
    for (audience, tlp, hours, message) in [
        ("pref:99", "CLEAR", "", "is not an audience"),
        ("all", "PURPLE", "", "is not a TLP marking"),
        ("all", "CLEAR", "soon", "回答期限は時間数で"),
    ] {
        let page = operator
            .post(
                &draft_path,
                &[
                    ("csrf", &csrf),
                    ("audience", audience),
                    ("tlp", tlp),
                    ("ack_hours", hours),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{audience} {tlp}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    assert_eq!(alert_count(db).await, before);

    let made = operator
        .post(
            &draft_path,
            &[
                ("csrf", &csrf),
                ("audience", "pref:13+ org:141003"),
                ("tlp", "AMBER"),
                ("ack_hours", "72"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft_url = made.location.unwrap();
    let id: i64 = draft_url.trim_start_matches("/drafts/").parse().unwrap();
    let draft = operator.get(&draft_url).await;
    assert!(draft.body.contains("64 団体"), "{}", draft.body);
    assert!(
        draft.body.contains("都道府県 1 ・ 市区町村 63"),
        "{}",
        draft.body
    );
    assert!(draft.body.contains("横浜市"));
    assert!(draft.body.contains("承認を依頼"));
    assert!(operator.get("/drafts").await.body.contains(&draft_url));

    // Approval before submission is refused with the reason; the operator cannot approve.
    let mut approver = Browser::new(&app.address);
    approver.log_in("approver@soumu.go.jp", PASSWORD).await;
    let approver_csrf = approver.get("/drafts").await.hidden("csrf");
    let early = approver
        .post(
            &format!("/drafts/{id}/approve"),
            &[("csrf", &approver_csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early.body.contains("pending_approval"), "{}", early.body);
    let submitted = operator
        .post(&format!("/drafts/{id}/submit"), &[("csrf", &csrf)])
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let self_approve = operator
        .post(
            &format!("/drafts/{id}/approve"),
            &[("csrf", &csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(self_approve.status, StatusCode::FORBIDDEN);
    let forged = approver
        .post(
            &format!("/drafts/{id}/approve"),
            &[("csrf", "forged"), ("revision", "1")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        alert_store::get(db, noroshi::alerts::AlertId(id))
            .await
            .unwrap()
            .unwrap()
            .status,
        noroshi::alerts::AlertStatus::PendingApproval
    );

    let review = approver.get(&draft_url).await;
    assert!(
        review.body.contains("承認して 64 団体へ配信"),
        "{}",
        review.body
    );
    let approved = approver
        .post(
            &format!("/drafts/{id}/approve"),
            &[("csrf", &approver_csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let alert_url = approved.location.unwrap();
    assert!(alert_url.starts_with("/alerts/NRS-"), "{alert_url}");
    let revisions = || async {
        alert_store::revisions(db, noroshi::alerts::AlertId(id))
            .await
            .unwrap()
            .len()
    };
    assert_eq!(revisions().await, 1);
    // A double click: the same revision again publishes nothing new.
    let again = approver
        .post(
            &format!("/drafts/{id}/approve"),
            &[("csrf", &approver_csrf), ("revision", "1")],
        )
        .await;
    assert_eq!(again.location.as_deref(), Some(alert_url.as_str()));
    assert_eq!(revisions().await, 1);

    let shown = approver.get(&alert_url).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("元になった情報と分類の根拠"));
    assert!(shown.body.contains(&advisory.upstream_id), "{}", shown.body);
    // The published alert leaves the drafts list; its draft URL leads to the alert.
    assert!(!approver.get("/drafts").await.body.contains(&draft_url));
    assert_eq!(
        approver.get(&draft_url).await.location.as_deref(),
        Some(alert_url.as_str())
    );
}
