//! The delivery engine when things go wrong: refusals per recipient, a relay that hangs up
//! mid-transaction, a relay that is down and comes back, and recipients that never accept.
//! Whatever happens, every recipient ends `sent` or `failed` with the reason, and nobody gets
//! the message twice unless the relay lost track of it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store as ledger;
use noroshi::delivery::worker::Lane;
use noroshi::smtp_sink::{DataOutcome, Reply, SinkPolicy, SmtpSink, Transaction};

use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo};
use crate::helpers::spawn_app_with;

/// 千代田区: every address unknown (550). 中央区: greylisted twice (451), then accepted.
/// 港区: mailbox full forever (452). 新宿区: the relay hangs up after the first DATA.
#[derive(Default)]
struct Faults {
    greylist: Mutex<HashMap<String, u32>>,
    dropped: Mutex<bool>,
    no_pipelining: bool,
}

impl SinkPolicy for Faults {
    fn pipelining(&self) -> bool {
        !self.no_pipelining
    }

    fn on_rcpt(&self, rcpt: &str) -> Reply {
        if rcpt.contains("@131016.") {
            return Reply::new(550, format!("5.1.1 <{rcpt}>: user unknown"));
        }
        if rcpt.contains("@131032.") {
            return Reply::new(452, "4.2.2 mailbox full");
        }
        if rcpt.contains("@131024.") {
            let mut seen = self.greylist.lock().unwrap();
            let n = seen.entry(rcpt.to_owned()).or_default();
            *n += 1;
            if *n <= 2 {
                return Reply::new(451, "4.7.1 greylisted, try again later");
            }
        }
        Reply::new(250, "2.1.5 OK")
    }

    fn on_data(&self, txn: &Transaction) -> DataOutcome {
        if txn.rcpt_to[0].contains("@131041.") {
            let mut dropped = self.dropped.lock().unwrap();
            if !*dropped {
                *dropped = true;
                return DataOutcome::Drop;
            }
        }
        DataOutcome::Reply(Reply::new(250, "2.0.0 OK queued"))
    }
}

fn by_org_code(
    rows: &[noroshi::delivery::store::LedgerRow],
) -> BTreeMap<String, Vec<&noroshi::delivery::store::LedgerRow>> {
    let mut out: BTreeMap<String, Vec<&noroshi::delivery::store::LedgerRow>> = BTreeMap::new();
    for r in rows {
        let code = r.email.split(['@', '.']).nth(1).unwrap().to_owned();
        out.entry(code).or_default().push(r);
    }
    out
}

/// Retries whatever is deferred, as the backoff would after its delay, until nothing is left.
async fn retry_until_settled(app: &crate::helpers::TestApp, rounds: usize) {
    for _ in 0..rounds {
        let due = ledger::make_deferred_due(&app.ctx.db, Utc::now())
            .await
            .unwrap();
        if due == 0 {
            return;
        }
        drain(&app.ctx, Lane::All).await;
    }
}

#[tokio::test]
async fn refusals_are_recorded_per_recipient_and_retried_until_they_settle() {
    refusals(true).await;
}

#[tokio::test]
async fn refusals_are_handled_the_same_by_a_relay_without_pipelining() {
    refusals(false).await;
}

async fn refusals(pipelining: bool) {
    let app = spawn_app_with(|s| {
        s.mail.max_attempts = 3;
        s.mail.connections = 2;
    })
    .await;
    app.smtp.set_policy(Faults {
        no_pipelining: !pipelining,
        ..Faults::default()
    });
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 2, |_| MailEncoding::Utf8).await;
    let (id, _) = publish_alert(&app.ctx, &central, Draft::default()).await;

    drain(&app.ctx, Lane::All).await;
    let first = ledger::for_alert(&app.ctx.db, id).await.unwrap();
    let codes = by_org_code(&first);
    for r in &codes["131016"] {
        assert_eq!(
            r.status,
            noroshi::delivery::store::DeliveryStatus::Failed,
            "550 is permanent at once"
        );
        assert!(
            r.last_error.as_deref().unwrap().contains("user unknown"),
            "{r:?}"
        );
        assert_eq!(r.attempts, 1);
    }
    for code in ["131024", "131032"] {
        for r in &codes[code] {
            assert_eq!(
                r.status,
                noroshi::delivery::store::DeliveryStatus::Deferred,
                "{code}: 4xx is temporary"
            );
            assert!(r.next_attempt_at > Utc::now() + chrono::Duration::seconds(30));
            assert!(r.last_error.as_deref().unwrap().starts_with("4"), "{r:?}");
        }
    }
    let dropped: Vec<_> = codes["131041"]
        .iter()
        .filter(|r| r.status == noroshi::delivery::store::DeliveryStatus::Deferred)
        .collect();
    assert_eq!(dropped.len(), 1, "the hang-up defers that one message only");
    assert!(
        dropped[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("connection"),
        "{:?}",
        dropped[0]
    );
    // The content had gone when the relay hung up: it may have been delivered, so the retry is
    // marked as a possible duplicate (and carries the same Message-ID).
    assert!(
        dropped[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("after the message was sent")
            && dropped[0].possible_duplicate,
        "{:?}",
        dropped[0]
    );
    let marked = dropped[0].id;
    assert!(
        first
            .iter()
            .filter(|r| r.id != marked)
            .all(|r| !r.possible_duplicate),
        "refusals before the content are not marked"
    );
    // Everyone else was sent on the first pass, over connections that survived the refusals.
    let fine = first
        .iter()
        .filter(|r| {
            !["131016", "131024", "131032"]
                .iter()
                .any(|c| r.email.contains(&format!("@{c}.")))
        })
        .filter(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
        .count();
    assert_eq!(fine, 126 - 6 - 1);

    retry_until_settled(&app, 5).await;
    let last = ledger::for_alert(&app.ctx.db, id).await.unwrap();
    let codes = by_org_code(&last);
    for r in &codes["131024"] {
        assert_eq!(
            r.status,
            noroshi::delivery::store::DeliveryStatus::Sent,
            "accepted on the third attempt"
        );
        assert_eq!(r.attempts, 3);
        assert!(r.last_reply.as_deref().unwrap().starts_with("250"));
    }
    for r in &codes["131032"] {
        assert_eq!(r.status, noroshi::delivery::store::DeliveryStatus::Failed);
        let e = r.last_error.as_deref().unwrap();
        assert!(
            e.starts_with("gave up after 3 attempts") && e.contains("mailbox full"),
            "{e}"
        );
    }
    for r in &codes["131041"] {
        assert_eq!(r.status, noroshi::delivery::store::DeliveryStatus::Sent);
        assert_eq!(r.possible_duplicate, r.id == marked, "{r:?}");
    }
    assert!(
        last.iter().all(
            |r| r.status == noroshi::delivery::store::DeliveryStatus::Sent
                || r.status == noroshi::delivery::store::DeliveryStatus::Failed
        ),
        "nothing is left queued, sending or deferred"
    );
    assert!(last.iter().all(|r| r.lease_owner.is_none()));

    // The sink saw each accepted recipient exactly once.
    let mut per_rcpt: BTreeMap<String, usize> = BTreeMap::new();
    for t in app.smtp.received() {
        assert_eq!(t.rcpt_to.len(), 1);
        *per_rcpt.entry(t.rcpt_to[0].clone()).or_default() += 1;
    }
    let sent: Vec<_> = last
        .iter()
        .filter(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
        .collect();
    assert_eq!(per_rcpt.len(), sent.len());
    assert!(per_rcpt.values().all(|&n| n == 1), "{per_rcpt:?}");

    // "Retry failed" queues the failures again with fresh attempts; the unknown users fail again.
    let requeued = ledger::retry_failed(&app.ctx.db, id, Utc::now())
        .await
        .unwrap();
    assert_eq!(requeued, 4);
    drain(&app.ctx, Lane::All).await;
    let again = ledger::for_alert(&app.ctx.db, id).await.unwrap();
    let codes = by_org_code(&again);
    assert!(
        codes["131016"].iter().all(|r| r.status
            == noroshi::delivery::store::DeliveryStatus::Failed
            && r.attempts == 1)
    );
}

#[tokio::test]
async fn a_relay_that_is_down_defers_quickly_and_nothing_is_lost_when_it_returns() {
    let app = spawn_app_with(|s| s.mail.connections = 4).await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;

    // One alert goes out, so the pool holds connections to the relay…
    let (first, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    drain(&app.ctx, Lane::All).await;
    assert_eq!(app.smtp.received().len(), 63);
    // …then the relay goes away, and a second alert is published.
    let addr = app.smtp.addr();
    app.smtp.shut_down();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (second, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            title: "第二の注意喚起",
            ..Draft::default()
        },
    )
    .await;
    let started = Instant::now();
    drain(&app.ctx, Lane::All).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a dead relay does not hold the lane for long: {:?}",
        started.elapsed()
    );
    let rows = ledger::for_alert(&app.ctx.db, second).await.unwrap();
    assert_eq!(rows.len(), 63);
    for r in &rows {
        assert_eq!(
            r.status,
            noroshi::delivery::store::DeliveryStatus::Deferred,
            "{r:?}"
        );
        assert!(
            r.last_error.as_deref().unwrap().contains("127.0.0.1"),
            "the reason names the relay: {r:?}"
        );
    }

    // The relay comes back on the same address.
    let back = SmtpSink::start_on(addr, true).await.unwrap();
    retry_until_settled(&app, 3).await;
    let rows = ledger::for_alert(&app.ctx.db, second).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent),
        "{rows:?}"
    );
    let received = back.received();
    assert_eq!(received.len(), 63, "each recipient exactly once");
    assert!(
        received
            .iter()
            .all(|t| t.data_str().contains("X-Noroshi-Alert: "))
    );
    assert!(
        ledger::for_alert(&app.ctx.db, first)
            .await
            .unwrap()
            .iter()
            .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
    );
}

/// A relay that answers every message with 421 until `until` (an LGWAN gateway throttling us),
/// then accepts.
struct Overloaded {
    until: Instant,
}

impl SinkPolicy for Overloaded {
    fn on_rcpt(&self, _rcpt: &str) -> Reply {
        if Instant::now() < self.until {
            Reply::new(421, "4.7.0 Too many messages, try again later")
        } else {
            Reply::new(250, "2.1.5 OK")
        }
    }
}

#[tokio::test]
async fn a_relay_answering_421_for_a_minute_gets_everything_once_and_never_faster_than_its_limit() {
    const RATE: u32 = 50;
    let app = spawn_app_with(|s| {
        s.mail.connections = 4;
        s.mail.rate_per_second = RATE;
        s.mail.retry_base_secs = 1;
    })
    .await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 10, |_| MailEncoding::Utf8).await;
    let outage = Duration::from_secs(60);
    let started = Instant::now();
    app.smtp.set_policy(Overloaded {
        until: started + outage,
    });
    let (alert, published) = publish_alert(&app.ctx, &central, Draft::default()).await;
    assert_eq!(published.deliveries, 630);

    // The hub's workers, as they run: a unit of work, and a short sleep when there is none.
    let all_sent = |rows: &[noroshi::delivery::store::LedgerRow]| {
        rows.iter()
            .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
    };
    crate::helpers::mail::user(
        &app.ctx,
        "990027",
        noroshi::auth::Role::Admin,
        "admin@j-lis.go.jp",
    )
    .await;
    let mut admin = crate::helpers::browser::Browser::new(&app.address);
    admin
        .log_in("admin@j-lis.go.jp", "correct horse battery staple")
        .await;
    let mut saw_pause = false;
    let mut ledger_said = false;
    loop {
        let worked = noroshi::jobs::mail::try_execute_task(&app.ctx, Lane::All)
            .await
            .unwrap();
        let status = app.ctx.mailer.limiter.status();
        if status.paused_until.is_some() {
            saw_pause = true;
            assert!(
                status.last.as_deref().is_some_and(|l| l.starts_with("421")),
                "{status:?}"
            );
        }
        let rows = ledger::for_alert(&app.ctx.db, alert).await.unwrap();
        if all_sent(&rows) {
            break;
        }
        // The delivery ledger says the mail is stuck and what the relay said.
        if saw_pause && !ledger_said {
            let page = admin
                .get(&format!("/admin/alerts/{}/deliveries", alert.0))
                .await;
            if page.body.contains("件がまだ送れていません") {
                assert!(page.body.contains("421 4.7.0"), "{}", page.body);
                ledger_said = true;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "not everything went within 3 minutes: {:?}",
            rows.iter()
                .filter(|r| !all_sent(std::slice::from_ref(r)))
                .count()
        );
        if worked == noroshi::workers::Outcome::Idle {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(saw_pause, "the relay's 421 paused the sending");
    assert!(ledger_said, "the delivery ledger showed the waiting mail");
    let done = started.elapsed();

    // Nothing missing, nobody twice; no row used up its attempts on the pauses.
    let received = app.smtp.received();
    let rcpts: std::collections::BTreeSet<&str> =
        received.iter().map(|t| t.rcpt_to[0].as_str()).collect();
    assert_eq!((received.len(), rcpts.len()), (630, 630));
    let rows = ledger::for_alert(&app.ctx.db, alert).await.unwrap();
    assert!(
        rows.iter().all(|r| r.attempts <= 3),
        "{:?}",
        rows.iter().map(|r| r.attempts).max()
    );
    // Nothing before the relay took mail again, and no 10 s window over the limit by 5 %.
    let mut at: Vec<Instant> = received.iter().map(|t| t.at).collect();
    at.sort();
    assert!(
        at[0] >= started + outage,
        "accepted before the outage ended"
    );
    let most = (f64::from(RATE) * 10.0 * 1.05) as usize;
    for (i, first) in at.iter().enumerate() {
        let within = at[i..]
            .iter()
            .take_while(|t| t.duration_since(*first) < Duration::from_secs(10))
            .count();
        assert!(
            within <= most,
            "{within} messages in 10 s from message {i}; the limit allows {most}"
        );
    }
    eprintln!(
        "421 for {} s: all 630 sent {:.1} s after the start, the last {:.1} s after the relay took mail again",
        outage.as_secs(),
        done.as_secs_f64(),
        (at[at.len() - 1] - at[0]).as_secs_f64()
    );
}
