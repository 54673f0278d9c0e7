//! Publishing one alert to N recipients spread over all 1,788 local governments and sending it
//! into a loopback SMTP sink: postfix's `smtp-sink` when installed (an independent server), else
//! the in-process one. Each run uses a fresh SQLite database and times what an approver waits
//! for: approval (audience and ledger written), then every message composed, signed, sent over
//! the relay connections of both mail lanes and recorded in the ledger.

use crate::domain::ids::AlertId;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use secrecy::SecretString;

use crate::alerts::audience::AudienceSpec;
use crate::alerts::{self, DraftRequest, publish};
use crate::audit::Actor;
use crate::auth::{self, AddUser, EmailAddress, Role};
use crate::config::Settings;
use crate::contacts::{ContactKind, Language, MailEncoding};
use crate::context::AppContext;
use crate::delivery::worker::Lane;
use crate::domain::{Severity, Tlp};
use crate::jobs::mail::try_execute_task;
use crate::registry::OrgCode;
use crate::smtp_sink::SmtpSink;
use crate::workers::Outcome;

const POSTFIX_SINK: &str = "/usr/sbin/smtp-sink";
/// Postfix's own load generator: the wire-speed reference in the same run.
const POSTFIX_SOURCE: &str = "/usr/sbin/smtp-source";

/// Where the benchmark's mail goes.
pub(super) enum Sink {
    Postfix {
        child: tokio::process::Child,
        port: u16,
        log: PathBuf,
        _dir: tempfile::TempDir,
    },
    InProcess(SmtpSink),
}

impl Sink {
    pub(super) async fn start(in_process: bool) -> anyhow::Result<Self> {
        if !in_process && Path::new(POSTFIX_SINK).exists() {
            let port = free_port()?;
            let dir = tempfile::tempdir()?;
            let log = dir.path().join("smtp-sink.out");
            let mut cmd = tokio::process::Command::new(POSTFIX_SINK);
            cmd.arg("-c");
            if std::fs::metadata("/proc/self")
                .map(|m| m.uid())
                .unwrap_or(1)
                == 0
            {
                // smtp-sink refuses to run as root without a user to switch to.
                cmd.args(["-u", "nobody"]);
            }
            cmd.arg(format!("127.0.0.1:{port}"))
                .arg("1024")
                .stdout(std::fs::File::create(&log)?)
                .stderr(Stdio::null())
                .kill_on_drop(true);
            let child = cmd.spawn().context("cannot start postfix's smtp-sink")?;
            // Wait until it accepts connections.
            for _ in 0..100 {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return Ok(Self::Postfix {
                        child,
                        port,
                        log,
                        _dir: dir,
                    });
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::bail!("postfix's smtp-sink did not start listening on port {port}");
        }
        let addr = "127.0.0.1:0".parse().context("loopback address")?;
        Ok(Self::InProcess(SmtpSink::start_on(addr, false).await?))
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Self::Postfix { port, .. } => format!("postfix smtp-sink on 127.0.0.1:{port}"),
            Self::InProcess(s) => format!("the in-process SMTP sink on {}", s.addr()),
        }
    }

    pub(super) fn port(&self) -> u16 {
        match self {
            Self::Postfix { port, .. } => *port,
            Self::InProcess(s) => s.port(),
        }
    }

    /// Messages the sink has accepted so far.
    pub(super) async fn accepted(&self) -> anyhow::Result<u64> {
        match self {
            Self::Postfix { log, .. } => {
                // smtp-sink -c rewrites "sess=N quit=N mesg=N" after each message.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let text = tokio::fs::read_to_string(log).await?;
                Ok(text
                    .rsplit("mesg=")
                    .next()
                    .and_then(|n| n.trim_end_matches(['\r', '\n']).trim().parse().ok())
                    .unwrap_or(0))
            }
            Self::InProcess(s) => Ok(s.received().len() as u64),
        }
    }

    pub(super) async fn stop(self) {
        if let Self::Postfix { mut child, .. } = self {
            let _ = child.kill().await;
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// The shipped test keys, for when no DKIM key is configured.
pub(super) fn dkim_keys(settings: &Settings) -> (PathBuf, Option<PathBuf>) {
    match &settings.mail.dkim_rsa_key {
        Some(rsa) => (rsa.clone(), settings.mail.dkim_ed25519_key.clone()),
        None => (
            PathBuf::from("tests/fixtures/dkim/test-rsa2048.pem"),
            Some(PathBuf::from("tests/fixtures/dkim/test-ed25519.pem")),
        ),
    }
}

struct Run {
    publish: Duration,
    send: Duration,
    total: Duration,
}

/// What postfix's `smtp-source` pushes into the same sink: `recipients` messages of about the
/// size Noroshi sends, over as many persistent sessions as Noroshi's two lanes use; messages/s.
async fn wire_reference(
    sink: &Sink,
    recipients: usize,
    sessions: usize,
) -> anyhow::Result<Option<f64>> {
    if !Path::new(POSTFIX_SOURCE).exists() || matches!(sink, Sink::InProcess(_)) {
        return Ok(None);
    }
    let before = sink.accepted().await?;
    let started = std::time::Instant::now();
    let status = tokio::process::Command::new(POSTFIX_SOURCE)
        .args([
            "-d",
            "-s",
            &sessions.to_string(),
            "-m",
            &recipients.to_string(),
        ])
        .args([
            "-l",
            "3000",
            "-f",
            "noreply@noroshi.example",
            "-t",
            "c0@131016.example.lg.jp",
        ])
        .arg(format!("127.0.0.1:{}", sink.port()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .context("cannot run postfix's smtp-source")?;
    let took = started.elapsed();
    anyhow::ensure!(status.success(), "smtp-source failed: {status}");
    let accepted = sink.accepted().await? - before;
    anyhow::ensure!(
        accepted == recipients as u64,
        "the sink accepted {accepted} of smtp-source's {recipients} messages"
    );
    Ok(Some(recipients as f64 / took.as_secs_f64()))
}

/// A fresh database for one run: a new SQLite file, or a new database on the PostgreSQL server
/// `server` names (dropped afterwards by [`drop_database`]).
pub(super) async fn fresh_database(
    server: Option<&str>,
) -> anyhow::Result<Option<(String, String)>> {
    let Some(server) = server else {
        return Ok(None);
    };
    use sea_orm::ConnectionTrait;
    let name = format!("noroshi_bench_{:016x}", rand::random::<u64>());
    let admin = sea_orm::Database::connect(server).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    let _ = admin.close().await;
    let mut url = url::Url::parse(server)?;
    url.set_path(&format!("/{name}"));
    Ok(Some((url.to_string(), name)))
}

pub(super) async fn drop_database(server: Option<&str>, name: &str) {
    use sea_orm::ConnectionTrait;
    if let Some(server) = server
        && let Ok(admin) = sea_orm::Database::connect(server).await
    {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
    }
}

/// A benchmark's `--database-url` must name a PostgreSQL server (each run makes its own database).
pub(super) fn check_server_url(database_url: Option<&str>) -> anyhow::Result<()> {
    if let Some(url) = database_url {
        anyhow::ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "--database-url must name a PostgreSQL server (postgres://user@host:port/db): each run creates and drops its own database there"
        );
    }
    Ok(())
}

pub async fn run(
    recipients: usize,
    connections: usize,
    in_process: bool,
    database_url: Option<&str>,
    settings: &Settings,
) -> anyhow::Result<()> {
    check_server_url(database_url)?;
    anyhow::ensure!(
        (1..=200_000).contains(&recipients),
        "--recipients must be from 1 to 200,000"
    );
    anyhow::ensure!(
        (1..=64).contains(&connections),
        "--connections must be from 1 to 64"
    );
    if !in_process && !Path::new(POSTFIX_SINK).exists() {
        println!(
            "{POSTFIX_SINK} is not installed (Debian package postfix): using the in-process sink"
        );
    }
    let sink = Sink::start(in_process).await?;
    let (rsa, ed) = dkim_keys(settings);
    println!(
        "fan-out of one alert to {} recipients over all local governments into {}; \
         {connections} connections per mail lane (two lanes); a fresh {} database each run",
        crate::domain::text::count(recipients as u64),
        sink.describe(),
        if database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let wire = wire_reference(&sink, recipients, connections * 2).await?;
    match wire {
        Some(rate) => println!(
            "wire reference: postfix smtp-source, {} persistent sessions, 3,000-byte messages: {rate:.0} msg/s",
            connections * 2
        ),
        None => {
            println!("wire reference: {POSTFIX_SOURCE} or postfix's smtp-sink not installed; none")
        }
    }
    let dkim_label = format!(
        "DKIM ({}{})",
        rsa.display(),
        ed.as_ref()
            .map(|e| format!(" + {}", e.display()))
            .unwrap_or_default()
    );
    for (label, signed) in [("no DKIM", false), (dkim_label.as_str(), true)] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            let mut s = settings.clone();
            let dir = tempfile::tempdir()?;
            s.app.data_dir = dir.path().to_path_buf();
            let db = fresh_database(database_url).await?;
            s.database.url = db.as_ref().map(|(u, _)| SecretString::from(u.clone()));
            s.ingest.poll = false;
            s.classify.auto_drafts = false;
            s.auth.argon2_memory_kib = 64;
            s.auth.argon2_iterations = 1;
            s.mail.smtp_url = Some(SecretString::from(format!(
                "smtp://127.0.0.1:{}",
                sink.port()
            )));
            s.mail.connections = connections;
            s.mail.rate_per_second = 0;
            s.mail.dkim_rsa_key = signed.then(|| rsa.clone());
            s.mail.dkim_ed25519_key = if signed { ed.clone() } else { None };
            let before = sink.accepted().await?;
            let run = one_run(s, recipients).await;
            if let Some((_, name)) = &db {
                drop_database(database_url, name).await;
            }
            let run = run?;
            let accepted = sink.accepted().await? - before;
            anyhow::ensure!(
                accepted == recipients as u64,
                "the sink accepted {accepted} of {recipients} messages"
            );
            runs.push(run);
        }
        let per_run: Vec<String> = runs
            .iter()
            .map(|r| {
                format!(
                    "{} (approve {} ms + send {} ms, {})",
                    ms(r.total),
                    r.publish.as_millis(),
                    r.send.as_millis(),
                    super::rate(recipients, r.send)
                )
            })
            .collect();
        let mut sends: Vec<Duration> = runs.iter().map(|r| r.send).collect();
        sends.sort();
        let mut totals: Vec<Duration> = runs.iter().map(|r| r.total).collect();
        totals.sort();
        let versus = match wire {
            Some(w) => format!(
                "; {:.2} × the wire reference",
                recipients as f64 / sends[1].as_secs_f64() / w
            ),
            None => String::new(),
        };
        println!(
            "{label}: sending {:>10}, whole alert {} (medians of 3){versus}",
            super::rate(recipients, sends[1]),
            ms(totals[1]),
        );
        for r in per_run {
            println!("    {r}");
        }
    }
    sink.stop().await;
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn one_run(settings: Settings, recipients: usize) -> anyhow::Result<Run> {
    let ctx = AppContext::connect(settings).await?;
    let (draft_id, approver) = prepare(&ctx, recipients).await?;
    let started = Instant::now();
    let report = publish::approve(&ctx.db, &ctx.rules, draft_id, &approver, None).await?;
    let published = started.elapsed();
    anyhow::ensure!(
        report.deliveries == recipients,
        "queued {} of {recipients}",
        report.deliveries
    );
    drain_lanes(&ctx).await?;
    let total = started.elapsed();
    let totals = crate::delivery::store::status_totals(&ctx.db).await?;
    let sent = totals
        .iter()
        .find(|(s, _)| *s == crate::delivery::store::DeliveryStatus::Sent)
        .map_or(0, |(_, n)| *n);
    anyhow::ensure!(
        sent == recipients as u64,
        "the ledger records {sent} of {recipients} sent: {totals:?}"
    );
    if let crate::delivery::Sink::Relay(r) = &ctx.mailer.sink {
        r.close_idle().await;
    }
    Ok(Run {
        publish: published,
        send: total - published,
        total,
    })
}

/// Contacts over every local government, two central users and a submitted critical alert to
/// all: what approval then fans out. Returns the draft and the approver.
pub(super) async fn prepare(
    ctx: &AppContext,
    recipients: usize,
) -> anyhow::Result<(AlertId, crate::auth::User)> {
    let orgs: Vec<_> = crate::registry::store::list(&ctx.db, Default::default())
        .await?
        .into_iter()
        .filter(|o| o.kind != crate::registry::OrgKind::Central)
        .collect();
    anyhow::ensure!(
        orgs.len() == 1_788,
        "{} local governments are seeded, not 1,788",
        orgs.len()
    );
    // Contacts round-robin over every organisation: 10,000 over 1,788 is 5 or 6 each.
    let txn = crate::db::begin_write(&ctx.db).await?;
    for i in 0..recipients {
        let org = &orgs[i % orgs.len()];
        let email = EmailAddress::parse(&format!("c{}@{}.bench.lg.jp", i / orgs.len(), org.code))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let encoding = if i % 10 == 0 {
            MailEncoding::Iso2022Jp
        } else {
            MailEncoding::Utf8
        };
        crate::contacts::store::insert(
            &txn,
            org.id,
            &email,
            ContactKind::Primary,
            Language::Ja,
            encoding,
            Some(crate::contacts::Verified::Admin),
        )
        .await
        .map_err(|e| match e {
            crate::contacts::store::InsertError::Duplicate => anyhow::anyhow!("duplicate {email}"),
            crate::contacts::store::InsertError::Unexpected(e) => e,
        })?;
    }
    sea_orm::TransactionSession::commit(txn).await?;
    let (operator, approver) = central_pair(ctx).await?;
    let draft = alerts::create_draft(
        &ctx.db,
        &ctx.policy,
        DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some(
                "Fortinet製FortiOSのSSL-VPN機能の脆弱性（CVE-2024-21762）に関する注意喚起".into(),
            ),
            body: Some(
                "FortiOS の SSL-VPN 機能に境界外書き込みの脆弱性があり、悪用が確認されています。\n\
                 影響を受けるバージョンを使用している場合は、直ちに修正版へ更新してください。\n"
                    .repeat(8),
            ),
            severity: Some(Severity::Critical),
            tlp: Some(Tlp::Amber),
            audience: AudienceSpec::parse_selectors(&["all"])
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            ack_within_hours: None,
            drill: false,
            starts_at: None,
        },
        &Actor::System,
    )
    .await?;
    publish::submit(&ctx.db, draft.id, &operator).await?;
    Ok((draft.id, approver))
}

/// The operator and the approver every benchmark publishes with (central, four eyes).
pub(super) async fn central_pair(
    ctx: &AppContext,
) -> anyhow::Result<(crate::auth::User, crate::auth::User)> {
    let user = |email: &str, role: Role| AddUser {
        org: OrgCode::parse("990019").unwrap_or_else(|_| unreachable!("a shipped central code")),
        role,
        email: EmailAddress::parse(email).unwrap_or_else(|_| unreachable!("a literal address")),
        display_name: None,
        password: SecretString::from("bench password, not a secret"),
    };
    let (operator, _) = auth::add_user(
        &ctx.db,
        &ctx.settings.auth,
        user("operator@bench.go.jp", Role::CentralOperator),
        &Actor::System,
    )
    .await?;
    let (approver, _) = auth::add_user(
        &ctx.db,
        &ctx.settings.auth,
        user("approver@bench.go.jp", Role::CentralApprover),
        &Actor::System,
    )
    .await?;
    Ok((operator, approver))
}

/// Runs both mail lanes of `ctx` side by side until neither has anything left to send.
pub(super) async fn drain_lanes(ctx: &AppContext) -> anyhow::Result<()> {
    let lane = |lane: Lane| async move {
        while try_execute_task(ctx, lane).await? == Outcome::Worked {}
        anyhow::Ok(())
    };
    let (urgent, all) = tokio::join!(lane(Lane::Urgent), lane(Lane::All));
    urgent.and(all)
}
