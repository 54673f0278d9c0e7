//! Leases that fit the work: a worker renews the lease of what it holds while it sends (so a
//! short lease never lets a slow relay cause a second send), a row left by a dead process is
//! taken over, counted as a second attempt and marked as possibly sent twice, and the ledger
//! shows which recipients those are.

use std::time::Duration;

use chrono::Utc;
use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store as ledger;
use noroshi::delivery::worker::Lane;
use noroshi::jobs::mail::try_execute_task;
use noroshi::smtp_sink::SinkPolicy;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo, user};
use crate::helpers::spawn_app_with;

/// A relay that takes its time over every message.
struct Slow(Duration);

impl SinkPolicy for Slow {
    fn data_delay(&self) -> Duration {
        self.0
    }
}

#[tokio::test]
async fn a_heartbeat_keeps_a_slow_send_from_being_taken_over() {
    let app = spawn_app_with(|s| {
        s.mail.lease_secs = 1;
        s.mail.connections = 1;
        s.mail.pipeline_depth = 50;
    })
    .await;
    app.smtp.set_policy(Slow(Duration::from_millis(150)));
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..12], 1, |_| MailEncoding::Utf8).await;
    let (alert_id, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    // 12 messages at 150 ms each: nearly two seconds, twice the lease.
    let ctx = app.ctx.clone();
    let sending = tokio::spawn(async move { try_execute_task(&ctx, Lane::All).await });
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let now = Utc::now();
    let stolen = ledger::claim(
        &app.ctx.db,
        "another-process",
        i16::MAX,
        500,
        now,
        now + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    assert!(
        stolen.is_empty(),
        "a lease past its first second was renewed, so nothing could be taken over: {stolen:?}"
    );
    sending.await.unwrap().unwrap();
    drain(&app.ctx, Lane::All).await;
    let rows = ledger::for_alert(&app.ctx.db, alert_id).await.unwrap();
    assert_eq!(rows.len(), 12);
    for r in &rows {
        assert_eq!(
            r.status,
            noroshi::delivery::store::DeliveryStatus::Sent,
            "{r:?}"
        );
        assert_eq!(r.attempts, 1, "{r:?}");
        assert!(!r.possible_duplicate, "{r:?}");
    }
    assert_eq!(
        app.smtp.received().len(),
        12,
        "each recipient got exactly one message"
    );
}

#[tokio::test]
async fn a_delivery_whose_lease_ran_out_is_taken_over_counted_and_marked() {
    let app = spawn_app_with(|_| {}).await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..5], 1, |_| MailEncoding::Utf8).await;
    let (alert_id, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    // A process claims three rows and dies (its lease has run out).
    let now = Utc::now();
    let held = ledger::claim(
        &app.ctx.db,
        "dead-host:4242:0",
        i16::MAX,
        3,
        now,
        now - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    assert_eq!(held.len(), 3);
    drain(&app.ctx, Lane::All).await;
    let rows = ledger::for_alert(&app.ctx.db, alert_id).await.unwrap();
    let taken_over: Vec<_> = rows.iter().filter(|r| r.possible_duplicate).collect();
    assert_eq!(taken_over.len(), 3);
    for r in &rows {
        assert_eq!(
            r.status,
            noroshi::delivery::store::DeliveryStatus::Sent,
            "{r:?}"
        );
        let held_by_the_dead = held.iter().any(|h| h.id == r.id);
        assert_eq!(r.possible_duplicate, held_by_the_dead, "{r:?}");
        assert_eq!(
            r.attempts,
            if held_by_the_dead { 2 } else { 1 },
            "the dead process's attempt counts: {r:?}"
        );
    }

    // The hub admin's ledger page says who may have it twice.
    user(&app.ctx, "990027", Role::Admin, "admin@j-lis.go.jp").await;
    let mut admin = Browser::new(&app.address);
    admin
        .log_in("admin@j-lis.go.jp", "correct horse battery staple")
        .await;
    let page = admin
        .get(&format!("/admin/alerts/{alert_id}/deliveries"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("重複の可能性").count(),
        3,
        "{}",
        page.body
    );
    assert!(page.body.contains("二重に届いた可能性"), "{}", page.body);
}

#[tokio::test]
async fn a_lane_claims_the_next_batch_while_it_sends_but_never_sends_two_unrecorded() {
    let app = spawn_app_with(|s| {
        s.mail.connections = 1;
        s.mail.pipeline_depth = 3;
    })
    .await;
    app.smtp.set_policy(Slow(Duration::from_millis(60)));
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..12], 1, |_| MailEncoding::Utf8).await;
    let (alert_id, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    let ctx = app.ctx.clone();
    let sending = tokio::spawn(async move { try_execute_task(&ctx, Lane::All).await });
    let (mut most_held, mut most_unrecorded) = (0, 0);
    while !sending.is_finished() {
        let rows = ledger::for_alert(&app.ctx.db, alert_id).await.unwrap();
        let held = rows
            .iter()
            .filter(|r| r.status == ledger::DeliveryStatus::Sending)
            .count();
        let recorded = rows
            .iter()
            .filter(|r| r.status == ledger::DeliveryStatus::Sent)
            .count();
        // Read after the ledger: the sink can only have gained since.
        let on_the_wire = app.smtp.received().len();
        most_held = most_held.max(held);
        most_unrecorded = most_unrecorded.max(on_the_wire.saturating_sub(recorded));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sending.await.unwrap().unwrap();
    let rows = ledger::for_alert(&app.ctx.db, alert_id).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == ledger::DeliveryStatus::Sent && r.attempts == 1),
        "one unit sent the whole queue, batch after batch: {rows:?}"
    );
    assert_eq!(app.smtp.received().len(), 12);
    assert_eq!(
        most_held, 6,
        "the batch on the wire and the one claimed ahead, never more"
    );
    assert!(
        (1..=3).contains(&most_unrecorded),
        "sent but not yet recorded: at most one batch ({most_unrecorded})"
    );
}

#[tokio::test]
async fn rows_given_back_are_queued_for_anyone_at_once_and_keep_their_attempts() {
    let app = spawn_app_with(|_| {}).await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs[..4], 1, |_| MailEncoding::Utf8).await;
    let (alert_id, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    let now = Utc::now();
    let lease = now + chrono::Duration::seconds(60);
    let mine = ledger::claim(&app.ctx.db, "this-process", i16::MAX, 10, now, lease)
        .await
        .unwrap();
    assert_eq!(mine.len(), 4);
    let ids: Vec<i64> = mine.iter().map(|c| c.id).collect();
    // Another owner's rows are not this process's to give back.
    assert_eq!(
        ledger::release(&app.ctx.db, "another-process", &ids)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        ledger::release(&app.ctx.db, "this-process", &ids)
            .await
            .unwrap(),
        4
    );
    let theirs = ledger::claim(&app.ctx.db, "another-process", i16::MAX, 10, now, lease)
        .await
        .unwrap();
    assert_eq!(theirs.len(), 4, "claimable at once, not after the lease");
    assert!(theirs.iter().all(|c| c.attempts == 0));
    let rows = ledger::for_alert(&app.ctx.db, alert_id).await.unwrap();
    assert!(rows.iter().all(|r| !r.possible_duplicate), "{rows:?}");
}
