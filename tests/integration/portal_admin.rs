//! The administrator's pages over real HTTP: the delivery ledger with "retry failed" against a
//! real SMTP server, organisations, users (disable, reset), sources and the audit log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store as ledger;
use noroshi::delivery::worker::Lane;
use noroshi::smtp_sink::{Reply, SinkPolicy};
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo, user};
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

/// 千代田区's mail server refuses every address until it is fixed.
struct Broken(Arc<AtomicBool>);

impl SinkPolicy for Broken {
    fn on_rcpt(&self, rcpt: &str) -> Reply {
        if rcpt.contains("@131016.") && !self.0.load(Ordering::SeqCst) {
            Reply::new(550, format!("5.1.1 <{rcpt}>: user unknown"))
        } else {
            Reply::new(250, "2.1.5 OK")
        }
    }
}

#[tokio::test]
async fn the_admin_retries_failed_deliveries_and_manages_users_while_others_are_refused() {
    let app = spawn_app().await;
    let fixed = Arc::new(AtomicBool::new(false));
    app.smtp.set_policy(Broken(fixed.clone()));
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "990027", Role::Admin, "admin@j-lis.go.jp").await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 2, |_| MailEncoding::Utf8).await;
    let (id, report) = publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;
    let failed = |rows: &[noroshi::delivery::store::LedgerRow]| {
        rows.iter()
            .filter(|r| r.status == noroshi::delivery::store::DeliveryStatus::Failed)
            .count()
    };
    assert_eq!(
        failed(&ledger::for_alert(&app.ctx.db, id).await.unwrap()),
        2
    );

    // Nobody but the administrator reaches these pages.
    let ledger_path = format!("/admin/alerts/{id}/deliveries");
    for who in ["operator@soumu.go.jp", "member@city.chiyoda.lg.jp"] {
        let mut b = Browser::new(&app.address);
        b.log_in(who, PASSWORD).await;
        for path in [
            "/admin",
            "/admin/users",
            "/admin/audit",
            "/admin/organisations",
            &ledger_path,
        ] {
            assert_eq!(
                b.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{who} {path}"
            );
        }
        let csrf = b.get("/inbox").await.hidden("csrf");
        let retry = b
            .post(&format!("/admin/alerts/{id}/retry"), &[("csrf", &csrf)])
            .await;
        assert_eq!(retry.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(
        failed(&ledger::for_alert(&app.ctx.db, id).await.unwrap()),
        2
    );

    let mut admin = Browser::new(&app.address);
    admin.log_in("admin@j-lis.go.jp", PASSWORD).await;
    let overview = admin.get("/admin").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert!(overview.body.contains("jvn"), "sources are listed");
    assert!(overview.body.contains(&report.public_id));
    let page = admin.get(&ledger_path).await;
    assert!(page.body.contains("失敗 2 件"), "{}", page.body);
    assert!(
        page.body.contains("user unknown"),
        "the relay's reply is shown"
    );
    assert_eq!(page.body.matches("user unknown").count(), 2);
    let csrf = page.hidden("csrf");
    let forged = admin
        .post(&format!("/admin/alerts/{id}/retry"), &[("csrf", "x")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    fixed.store(true, Ordering::SeqCst);
    let before = app.smtp.received().len();
    let retried = admin
        .post(&format!("/admin/alerts/{id}/retry"), &[("csrf", &csrf)])
        .await;
    assert_eq!(retried.status, StatusCode::OK);
    assert!(
        retried
            .body
            .contains("失敗した 2 件を再送キューに戻しました")
    );
    drain(&app.ctx, Lane::All).await;
    let rows = ledger::for_alert(&app.ctx.db, id).await.unwrap();
    assert_eq!(failed(&rows), 0);
    assert!(
        rows.iter()
            .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
    );
    let again: Vec<_> = app.smtp.received()[before..]
        .iter()
        .flat_map(|t| t.rcpt_to.clone())
        .collect();
    assert_eq!(
        again.len(),
        2,
        "only the failed two were sent again: {again:?}"
    );
    assert!(again.iter().all(|r| r.contains("@131016.")));

    // Organisations, with those that have no address to receive at.
    let tokyo_page = admin.get("/admin/organisations?prefecture=13").await;
    assert!(
        tokyo_page
            .body
            .contains("63 団体 ・ 配信先アドレスのない団体 0"),
        "{}",
        tokyo_page.body
    );
    let all = admin.get("/admin/organisations").await;
    assert!(
        all.body
            .contains("1791 団体 ・ 配信先アドレスのない団体 1728"),
        "{}",
        &all.body[..2000]
    );
    assert_eq!(
        admin.get("/admin/organisations?prefecture=99").await.status,
        StatusCode::BAD_REQUEST
    );

    // Users: found by address, disabled (their session ends), re-enabled, password reset.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    let found = admin.get("/admin/users?q=chiyoda").await;
    assert!(found.body.contains("member@city.chiyoda.lg.jp"));
    assert!(!found.body.contains("operator@soumu.go.jp"));
    let at = found.body.find("/disabled\"").unwrap();
    let start = found.body[..at].rfind("action=\"").unwrap() + "action=\"".len();
    let disable = format!("{}/disabled", &found.body[start..at]);
    admin
        .post(&disable, &[("csrf", &csrf), ("active", "false")])
        .await;
    assert_eq!(member.get("/inbox").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        Browser::new(&app.address)
            .log_in("member@city.chiyoda.lg.jp", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    admin
        .post(&disable, &[("csrf", &csrf), ("active", "true")])
        .await;
    let reset = admin
        .post(&disable.replace("/disabled", "/reset"), &[("csrf", &csrf)])
        .await;
    let s = reset.body.find("<code id=\"secret\">").unwrap() + "<code id=\"secret\">".len();
    let fresh = &reset.body[s..s + reset.body[s..].find("</code>").unwrap()];
    assert_eq!(
        Browser::new(&app.address)
            .log_in("member@city.chiyoda.lg.jp", fresh)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Not one's own account, and not a user that does not exist.
    let me = admin.get("/admin/users?q=j-lis").await;
    assert!(me.body.contains("（本人）"));
    assert_eq!(
        admin
            .post("/admin/users/999999/reset", &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The audit log: the chain checks out, and it can be narrowed to one alert.
    let log = admin.get(&format!("/admin/audit?target=alert:{id}")).await;
    assert!(log.body.contains("改ざんなし"), "{}", log.body);
    assert!(log.body.contains("delivery.retry_failed"));
    assert!(log.body.contains("alert.publish"));
    assert!(!log.body.contains("user.disable"), "narrowed to the alert");
    assert!(
        admin
            .get("/admin/audit")
            .await
            .body
            .contains("user.disable")
    );
}
