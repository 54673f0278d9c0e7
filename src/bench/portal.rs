//! Portal latency under load: a fresh SQLite database with all 1,788 local governments and N
//! published alerts (2 % to every local government, a third to one prefecture and its
//! municipalities, the rest to five organisations each; half of each organisation's alerts
//! acknowledged), the real HTTP server, a signed-in municipality user, and `wrk` (Debian package
//! `wrk`, an independent load tool) with C concurrent connections on the inbox and an alert page.
//! Prints wrk's latency percentiles and request rate.

use crate::domain::ids::OrgId;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;

use crate::acks::{AckState, Channel};
use crate::alerts::audience::AudienceSpec;
use crate::alerts::store::{self, NewAlert, NewRevision};
use crate::alerts::{AlertStatus, RevisionKind};
use crate::audit::Actor;
use crate::auth::{self, AddUser, EmailAddress, Role};
use crate::classify::model::Category;
use crate::config::{ProcessRoles, Settings};
use crate::context::AppContext;
use crate::domain::{Severity, Tlp};
use crate::registry::{OrgCode, OrgKind};
use crate::startup::Application;

const WRK: &str = "wrk";
const PASSWORD: &str = "benchmark password 1";

pub async fn run(
    alerts: usize,
    clients: usize,
    seconds: u64,
    settings: &Settings,
) -> anyhow::Result<()> {
    check_load(alerts, clients, seconds)?;
    let wrk_version = wrk_version()?;
    let dir = tempfile::tempdir()?;
    let ctx = AppContext::connect(bench_settings(settings, dir.path())).await?;
    let started = Instant::now();
    let (public_id, inbox_size) = seed(&ctx, alerts).await?;
    println!(
        "seeded {} alerts over 1,788 local governments in {:.1} s; 千代田区's inbox holds {} of them",
        crate::domain::text::count(alerts as u64),
        started.elapsed().as_secs_f64(),
        crate::domain::text::count(inbox_size as u64),
    );
    let app = Application::build_with_context(ctx.clone(), ctx.settings.app.roles)?;
    let port = app.port().context("the web role has a port")?;
    let server = tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let cookie = log_in_as(&base, "bench@city.chiyoda.lg.jp", PASSWORD).await?;
    println!(
        "{wrk_version}; {clients} connections, 2 threads, {seconds} s per page after a 2 s warm-up; \
         the hub serves on the same 2 cores"
    );
    for (label, path) in [
        ("inbox", "/inbox".to_owned()),
        ("alert page", format!("/alerts/{public_id}")),
    ] {
        let url = format!("{base}{path}");
        let check = reqwest::Client::new()
            .get(&url)
            .header("Cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(
            check.status().is_success(),
            "{path} answered {} to the signed-in user",
            check.status()
        );
        let headers = [format!("Cookie: {cookie}")];
        wrk(&url, &headers, clients, 2).await?;
        let out = wrk(&url, &headers, clients, seconds).await?;
        let p = |q: &str| percentile(&out, q).unwrap_or_else(|| "?".into());
        println!(
            "{label:<10} {path}: median {}, p90 {}, p99 {}, {} requests/s, {} non-2xx",
            p("50%"),
            p("90%"),
            p("99%"),
            field(&out, "Requests/sec:").unwrap_or_else(|| "?".into()),
            field(&out, "Non-2xx or 3xx responses:").unwrap_or_else(|| "0".into()),
        );
    }
    ctx.shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    Ok(())
}

/// The limits of the load benchmarks' arguments.
pub(super) fn check_load(alerts: usize, clients: usize, seconds: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=200_000).contains(&alerts),
        "--alerts must be from 1 to 200,000"
    );
    anyhow::ensure!(
        (1..=1_000).contains(&clients),
        "--clients must be from 1 to 1,000"
    );
    anyhow::ensure!(
        (1..=600).contains(&seconds),
        "--seconds must be from 1 to 600"
    );
    Ok(())
}

/// wrk's version line, or an error saying how to install it.
pub(super) fn wrk_version() -> anyhow::Result<String> {
    std::process::Command::new(WRK)
        .arg("-v")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .map_err(|_| anyhow::anyhow!("`wrk` is not installed: apt-get install wrk"))
}

/// Settings for a benchmark hub: a throw-away SQLite database in `dir`, the web role only, no
/// polling, no mail, any free port.
pub(super) fn bench_settings(settings: &Settings, dir: &std::path::Path) -> Settings {
    let mut s = settings.clone();
    s.app.data_dir = dir.to_path_buf();
    s.database.url = None;
    s.ingest.poll = false;
    s.classify.auto_drafts = false;
    s.mail.smtp_url = None;
    s.server.host = "127.0.0.1".into();
    s.server.port = 0;
    s.app.roles = ProcessRoles {
        web: true,
        workers: false,
    };
    s
}

/// Runs wrk on `url` with `headers` (`Name: value`); returns its report.
pub(super) async fn wrk(
    url: &str,
    headers: &[String],
    clients: usize,
    seconds: u64,
) -> anyhow::Result<String> {
    let out = tokio::process::Command::new(WRK)
        .args([
            &format!("-t{}", clients.min(2)),
            &format!("-c{clients}"),
            &format!("-d{seconds}s"),
            "--latency",
        ])
        .args(headers.iter().flat_map(|h| ["-H", h.as_str()]))
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .context("cannot run wrk")?;
    anyhow::ensure!(
        out.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `50%    1.23ms` in wrk's latency distribution.
pub(super) fn percentile(out: &str, q: &str) -> Option<String> {
    out.lines()
        .map(str::trim)
        .find(|l| l.starts_with(q))
        .and_then(|l| l.split_whitespace().nth(1))
        .map(str::to_owned)
}

pub(super) fn field(out: &str, name: &str) -> Option<String> {
    out.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_owned())
}

/// Signs in through the login form as `email` with `password`; returns the session cookie.
pub(super) async fn log_in_as(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client.get(format!("{base}/login")).send().await?;
    let login_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let body = form.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = body
        .find(marker)
        .context("no CSRF field on the login page")?
        + marker.len();
    let csrf = &body[start..start + body[start..].find('"').context("CSRF value")?];
    let done = client
        .post(format!("{base}/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", csrf),
            ("next", "/inbox"),
        ])
        .send()
        .await?;
    done.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with(crate::auth::session::SESSION_COOKIE))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .context("login gave no session cookie")
}

/// Writes the alerts; returns the public id of the newest alert to 千代田区 and its inbox size.
pub(super) async fn seed(ctx: &AppContext, alerts: usize) -> anyhow::Result<(String, usize)> {
    let orgs: Vec<_> = crate::registry::store::list(&ctx.db, Default::default())
        .await?
        .into_iter()
        .filter(|o| o.kind != OrgKind::Central)
        .collect();
    anyhow::ensure!(
        orgs.len() == 1_788,
        "{} local governments, not 1,788",
        orgs.len()
    );
    let chiyoda = OrgCode::parse("131016").map_err(|e| anyhow::anyhow!("{e}"))?;
    let chiyoda_id = orgs
        .iter()
        .find(|o| o.code == chiyoda)
        .context("千代田区 is seeded")?
        .id;
    auth::add_user(
        &ctx.db,
        &ctx.settings.auth,
        AddUser {
            org: chiyoda,
            role: Role::Member,
            email: EmailAddress::parse("bench@city.chiyoda.lg.jp")
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            display_name: Some("負荷試験".into()),
            password: SecretString::from(PASSWORD),
        },
        &Actor::System,
    )
    .await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1788);
    let now = Utc::now();
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Info,
    ];
    let mut newest = String::new();
    let mut inbox = 0;
    for chunk in (0..alerts).collect::<Vec<_>>().chunks(250) {
        let txn = crate::db::begin_write(&ctx.db).await?;
        for &i in chunk {
            let at = now - chrono::Duration::minutes(((alerts - i) * 50) as i64);
            let members: Vec<OrgId> = if i % 50 == 0 {
                orgs.iter().map(|o| o.id).collect()
            } else if i % 3 == 0 {
                let p = (i % 47 + 1) as i16;
                orgs.iter()
                    .filter(|o| o.prefecture.is_some_and(|x| i16::from(x.number()) == p))
                    .map(|o| o.id)
                    .collect()
            } else {
                let mut picked: Vec<OrgId> = (0..5)
                    .map(|_| orgs[rng.gen_range(0..orgs.len())].id)
                    .collect();
                picked.sort_unstable();
                picked.dedup();
                picked
            };
            let severity = severities[i % severities.len()];
            let title = format!("負荷試験用の注意喚起 {i}: 製品の脆弱性に関する情報");
            let body = "影響を受けるバージョンを使用している場合は、修正版へ更新してください。\n"
                .repeat(8);
            let tlp = if i % 4 == 0 { Tlp::Amber } else { Tlp::Clear };
            let alert = store::insert(
                &txn,
                NewAlert {
                    status: AlertStatus::Published,
                    title: title.clone(),
                    body: body.clone(),
                    severity,
                    categories: vec![Category::Vulnerability],
                    tlp,
                    ack_required: true,
                    ack_within_hours: Some(72),
                    ack_office_days: false,
                    drill: false,
                    audience: AudienceSpec::default(),
                    origin: "bench".into(),
                    cluster_key: None,
                    owner: None,
                    starts_at: None,
                },
                at,
            )
            .await?;
            store::insert_revision(
                &txn,
                NewRevision {
                    alert_id: alert.id,
                    number: 1,
                    kind: RevisionKind::Publish,
                    title,
                    body,
                    changes: None,
                    severity,
                    tlp,
                    categories: vec![Category::Vulnerability],
                    drill: false,
                    ack_deadline: Some(at + chrono::Duration::hours(72)),
                    submitted_by: "bench".into(),
                    approved_by: "bench".into(),
                    idempotency_key: None,
                    recipients: i32::try_from(members.len()).unwrap_or(i32::MAX),
                },
                at,
            )
            .await?;
            let public_id = format!("NRS-BENCH-{i:06}");
            store::set_published(&txn, alert.id, AlertStatus::Published, 1, &public_id, at).await?;
            store::add_audience_many(&txn, alert.id, &members, &["bench".to_owned()], 1).await?;
            if members.contains(&chiyoda_id) {
                inbox += 1;
                newest = public_id;
                if i % 2 == 0 {
                    crate::acks::store::set(
                        &txn,
                        alert.id,
                        chiyoda_id,
                        AckState::Done,
                        None,
                        &Actor::System,
                        Channel::Portal,
                        at,
                    )
                    .await?;
                }
            }
        }
        sea_orm::TransactionSession::commit(txn).await?;
    }
    anyhow::ensure!(!newest.is_empty(), "no alert reached 千代田区");
    Ok((newest, inbox))
}
