//! A hub killed with SIGKILL in the middle of a fan-out: after a restart every recipient gets the
//! alert, nothing stays queued or sending, and the only recipients who may get it twice are those
//! whose rows were `sending` at the moment of the kill (the relay may have accepted a message
//! whose result was never written).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use noroshi::contacts::MailEncoding;
use noroshi::context::AppContext;
use noroshi::delivery::store as ledger;
use noroshi::registry::Prefecture;
use noroshi::registry::store::OrgFilter;
use noroshi::smtp_sink::SmtpSink;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::TestEnv;
use crate::helpers::mail::{Draft, add_contacts, central_users, publish_alert};

/// `noroshi serve --roles workers` sending to `sink`, slowly enough to be caught mid-fan-out.
async fn workers(env: &TestEnv, sink: &SmtpSink) -> Child {
    let mut cmd = env.command(&["serve", "--port", "0", "--roles", "workers"]);
    cmd.env(
        "NOROSHI__MAIL__SMTP_URL",
        format!("smtp://127.0.0.1:{}", sink.port()),
    )
    .env("NOROSHI__MAIL__RATE_PER_SECOND", "250")
    .env("NOROSHI__MAIL__BATCH", "40")
    .env("NOROSHI__MAIL__CONNECTIONS", "2")
    .env("NOROSHI__MAIL__LEASE_SECS", "2");
    let mut child = Command::from(cmd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut logs = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = logs.next_line().await.unwrap() {
            if line.contains("Noroshi started") {
                break;
            }
        }
    })
    .await
    .expect("the hub starts");
    tokio::spawn(async move { while let Ok(Some(_)) = logs.next_line().await {} });
    child
}

#[tokio::test]
async fn a_fan_out_killed_midway_finishes_after_restart_without_losing_anyone() {
    let env = TestEnv::new().await;
    let migrate = env.run(&["migrate"], "");
    assert!(migrate.status.success());
    let ctx = AppContext::connect(env.settings()).await.unwrap();
    let central = central_users(&ctx).await;
    let mut orgs = Vec::new();
    for pref in ["13", "14", "11"] {
        orgs.extend(
            noroshi::registry::store::list(
                &ctx.db,
                OrgFilter {
                    prefecture: Some(Prefecture::parse(pref).unwrap()),
                    kind: None,
                },
            )
            .await
            .unwrap(),
        );
    }
    let contacts = add_contacts(&ctx, &orgs, 3, |_| MailEncoding::Utf8).await;
    assert!(contacts.len() > 400, "{}", contacts.len());
    let (id, report) = publish_alert(
        &ctx,
        &central,
        Draft {
            to: &["pref:13+", "pref:14+", "pref:11+"],
            ..Draft::default()
        },
    )
    .await;
    assert_eq!(report.deliveries, contacts.len());

    let sink = SmtpSink::start().await.unwrap();
    let mut hub = workers(&env, &sink).await;
    let before = sink.wait_for(100, Duration::from_secs(60)).await.len();
    assert!(before >= 100);
    hub.start_kill().unwrap();
    hub.wait().await.unwrap();
    let rows = ledger::for_alert(&ctx.db, id).await.unwrap();
    let in_flight: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sending)
        .map(|r| r.email.clone())
        .collect();
    let sent_at_kill = rows
        .iter()
        .filter(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
        .count();
    assert!(
        sent_at_kill < contacts.len(),
        "the kill came mid-fan-out: {sent_at_kill} of {} sent",
        contacts.len()
    );

    // A new process takes over, including the rows whose lease the dead one still held.
    let mut hub = workers(&env, &sink).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let rows = ledger::for_alert(&ctx.db, id).await.unwrap();
        if rows
            .iter()
            .all(|r| r.status == noroshi::delivery::store::DeliveryStatus::Sent)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not finished: {:?}",
            rows.iter()
                .filter(|r| r.status != noroshi::delivery::store::DeliveryStatus::Sent)
                .map(|r| (&r.email, &r.status, &r.last_error))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    hub.start_kill().unwrap();
    hub.wait().await.unwrap();

    let mut per_rcpt: BTreeMap<String, usize> = BTreeMap::new();
    for t in sink.received() {
        assert_eq!(t.rcpt_to.len(), 1);
        *per_rcpt.entry(t.rcpt_to[0].clone()).or_default() += 1;
    }
    for c in &contacts {
        assert!(
            per_rcpt.contains_key(c.email.as_str()),
            "{} never got the alert",
            c.email
        );
    }
    let twice: BTreeSet<String> = per_rcpt
        .iter()
        .filter(|&(_, &n)| n > 1)
        .map(|(e, _)| e.clone())
        .collect();
    assert!(
        twice.is_subset(&in_flight),
        "duplicates only among rows in flight at the kill: {twice:?} vs {in_flight:?}"
    );
    assert!(per_rcpt.values().all(|&n| n <= 2));
    eprintln!(
        "killed with {sent_at_kill} of {} sent and {} in flight; {} received it twice",
        contacts.len(),
        in_flight.len(),
        twice.len()
    );
}
