//! `noroshi bench drill`: the 疎通確認 report of a national drill (1,788 organisations × 3
//! contacts, 80 bounced, 1,000 answers) — how long the report page and its CSV take over HTTP
//! on the hub's own server — and how fast the inbound worker reads returned mail (DSNs and
//! replies written into its Maildir). SQLite by default; `--database-url` runs it on a
//! PostgreSQL server in a database of its own.

use crate::domain::ids::{AlertId, OrgId};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use secrecy::SecretString;

use crate::acks::{AckState, Channel};
use crate::alerts::audience::AudienceSpec;
use crate::alerts::{DraftRequest, publish};
use crate::audit::Actor;
use crate::auth::{self, AddUser, EmailAddress, Role};
use crate::config::Settings;
use crate::contacts::{ContactKind, Language, MailEncoding};
use crate::context::AppContext;
use crate::domain::{Severity, Tlp};
use crate::registry::{OrgCode, OrgKind};
use crate::startup::Application;

const PASSWORD: &str = "benchmark password 1";

pub async fn run(
    requests: usize,
    inbound: usize,
    database_url: Option<&str>,
    settings: &Settings,
) -> anyhow::Result<()> {
    super::fanout::check_server_url(database_url)?;
    anyhow::ensure!(
        (1..=10_000).contains(&requests),
        "--requests must be from 1 to 10,000"
    );
    anyhow::ensure!(
        (1..=200_000).contains(&inbound),
        "--inbound must be from 1 to 200,000"
    );
    let dir = tempfile::tempdir()?;
    let mut s = super::portal::bench_settings(settings, dir.path());
    s.mail.authserv_id = Some(BENCH_AUTHSERV.into());
    let db = super::fanout::fresh_database(database_url).await?;
    s.database.url = db.as_ref().map(|(u, _)| SecretString::from(u.clone()));
    let result = measure(requests, inbound, s, dir.path()).await;
    if let Some((_, name)) = &db {
        super::fanout::drop_database(database_url, name).await;
    }
    result
}

/// The authserv-id of the bench's "MTA": replies carry its verdict, as a real site's do.
const BENCH_AUTHSERV: &str = "mx.bench.example";

async fn measure(
    requests: usize,
    inbound: usize,
    settings: Settings,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    let backend = match ctx.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
    let started = Instant::now();
    let (alert_id, delivery_ids, reply_orgs) = seed(&ctx).await?;
    println!(
        "{backend}: seeded a national drill (1,788 organisations × 3 contacts, 80 bounced, 1,000 answers) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The report over HTTP, as a central operator.
    let app = Application::build_with_context(ctx.clone(), ctx.settings.app.roles)?;
    let port = app.port().context("the web role has a port")?;
    let server = tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = super::portal::log_in_as(&base, "bench-operator@soumu.go.jp", PASSWORD).await?;
    for (label, path) in [
        ("report page", format!("/drills/{alert_id}/report")),
        ("report CSV", format!("/drills/{alert_id}/report.csv")),
    ] {
        let (times, bytes) =
            super::time_gets(&client, &format!("{base}{path}"), &cookie, requests).await?;
        println!(
            "{label:<12} {path}: median {:.1} ms, p90 {:.1} ms over {requests} requests ({} KiB)",
            super::median(times.clone()).as_secs_f64() * 1000.0,
            super::percentile(times, 90).as_secs_f64() * 1000.0,
            bytes / 1024
        );
    }

    // Returned mail: DSNs for the delivered rows and replies quoting reply codes, half each.
    let maildir = dir.join("inbound-bench");
    crate::maildir::ensure(&maildir)?;
    for n in 0..inbound {
        let text = if n % 2 == 0 {
            let id = delivery_ids[n / 2 % delivery_ids.len()];
            format!(
                "From: MAILER-DAEMON@mx.example.lg.jp\r\nTo: {rp}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn{n}@mx.example.lg.jp>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nUser unknown.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.lg.jp\r\n\r\nFinal-Recipient: rfc822; x@example.lg.jp\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n--B--\r\n",
                rp = ctx.mailer.verp.return_path(id)
            )
        } else {
            let (org, email) = &reply_orgs[n / 2 % reply_orgs.len()];
            let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
            format!(
                "Authentication-Results: {BENCH_AUTHSERV}; dmarc=pass header.from={domain}\r\nFrom: {email}\r\nTo: noreply@noroshi.example\r\nSubject: Re: drill\r\nMessage-ID: <reply{n}@example.lg.jp>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n対応中です。\r\n\r\n> 返信用コード: {}\r\n",
                ctx.mailer.verp.reply_code(alert_id, *org)
            )
        };
        std::fs::write(maildir.join("new").join(format!("{n:08}.bench")), text)?;
    }
    let t = Instant::now();
    let mut read = 0;
    loop {
        let done = crate::inbound::process_maildir(&ctx.inbox(), &maildir, 1000).await?;
        if done.is_empty() {
            break;
        }
        read += done.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "inbound      {} messages (half DSNs, half replies that acknowledge) read in {secs:.2} s: {:.0} messages/s",
        crate::domain::text::count(read as u64),
        read as f64 / secs
    );
    // Hostile mail (review 3 N-M1): the reviewer's 1.9 MB shape (28,522 parts, each declaring a
    // boundary that never comes) and one cut to fit the size limit, three of each.
    for (label, parts) in [("1.9 MB", 28_522), ("250 KB", 3_700)] {
        let hostile = crate::domain::mime_guard::hostile(parts);
        for n in 0..3 {
            std::fs::write(
                maildir.join("new").join(format!("hostile{n}.{parts}")),
                &hostile,
            )?;
        }
        let t = Instant::now();
        let done = crate::inbound::process_maildir(&ctx.inbox(), &maildir, 1000).await?;
        println!(
            "hostile      3 messages of the {label} shape ({} bytes each) read in {:.1} ms: {}",
            crate::domain::text::count(hostile.len() as u64),
            t.elapsed().as_secs_f64() * 1000.0,
            done.first().map_or("none".into(), |p| p.detail.clone())
        );
    }
    ctx.shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    Ok(())
}

/// A published national drill with its ledger settled: every delivery sent, 80 bounced, 1,000
/// organisations answered. Returns the alert, the delivered rows and (organisation, contact
/// address) of answering organisations for replies.
async fn seed(ctx: &AppContext) -> anyhow::Result<(AlertId, Vec<i64>, Vec<(OrgId, String)>)> {
    let orgs: Vec<_> = crate::registry::store::list(&ctx.db, Default::default())
        .await?
        .into_iter()
        .filter(|o| o.kind != OrgKind::Central)
        .collect();
    let txn = crate::db::begin_write(&ctx.db).await?;
    for o in &orgs {
        for i in 0..3 {
            let email = EmailAddress::parse(&format!("c{i}@{}.example.lg.jp", o.code))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let kind = if i == 0 {
                ContactKind::Primary
            } else {
                ContactKind::Backup
            };
            crate::contacts::store::insert(
                &txn,
                o.id,
                &email,
                kind,
                Language::Ja,
                MailEncoding::Utf8,
                Some(crate::contacts::Verified::Admin),
            )
            .await
            .map_err(|_| anyhow::anyhow!("cannot write contact {email}"))?;
        }
    }
    sea_orm::TransactionSession::commit(txn).await?;
    let soumu = OrgCode::parse("990019").map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut users = Vec::new();
    for (email, role) in [
        ("bench-operator@soumu.go.jp", Role::CentralOperator),
        ("bench-approver@soumu.go.jp", Role::CentralApprover),
    ] {
        let req = AddUser {
            org: soumu,
            role,
            email: EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?,
            display_name: None,
            password: SecretString::from(PASSWORD),
        };
        users.push(
            auth::add_user(&ctx.db, &ctx.settings.auth, req, &Actor::System)
                .await?
                .0,
        );
    }
    let (operator, approver) = (&users[0], &users[1]);
    let draft = crate::alerts::create_draft(
        &ctx.db,
        &ctx.policy,
        DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some("負荷試験用 連絡体制の確認訓練".into()),
            body: Some("受領したら報告してください。".into()),
            severity: Some(Severity::High),
            tlp: Some(Tlp::Green),
            audience: AudienceSpec::parse_selectors(&["all"])
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            ack_within_hours: Some(24),
            drill: true,
            starts_at: None,
        },
        &Actor::of(operator),
    )
    .await?;
    publish::submit(&ctx.db, draft.id, operator).await?;
    let report = publish::approve(&ctx.db, &ctx.rules, draft.id, approver, None).await?;
    let alert_id = report.alert_id;
    // Settle the ledger as a finished send would leave it.
    let now = Utc::now();
    {
        use sea_orm::ConnectionTrait;
        ctx.db
            .execute_raw(crate::db::statement(
                ctx.db.get_database_backend(),
                "UPDATE deliveries SET status = 'sent', attempts = 1, sent_at = $1 WHERE alert_id = $2",
                vec![now.into(), alert_id.into()],
            ))
            .await?;
    }
    let rows = crate::delivery::store::for_alert(&ctx.db, alert_id).await?;
    for r in rows.iter().step_by(67).take(80) {
        crate::delivery::store::mark_bounced(&ctx.db, r.id, Some("5.1.1"), "User unknown", now)
            .await?;
    }
    let txn = crate::db::begin_write(&ctx.db).await?;
    let mut reply_orgs = Vec::new();
    for (k, o) in orgs.iter().take(1000).enumerate() {
        crate::acks::store::set(
            &txn,
            alert_id,
            o.id,
            if k % 2 == 0 {
                AckState::Received
            } else {
                AckState::Done
            },
            None,
            &Actor::System,
            Channel::Portal,
            now + chrono::Duration::seconds(k as i64 * 3),
        )
        .await?;
        reply_orgs.push((o.id, format!("c0@{}.example.lg.jp", o.code)));
    }
    sea_orm::TransactionSession::commit(txn).await?;
    let delivered: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok((alert_id, delivered, reply_orgs))
}
