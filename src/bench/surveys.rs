//! `noroshi bench surveys`: a 50-item 重点検査 (10 categories × 5 items) addressed to and
//! answered by all 1,788 local governments — how long the results (the seed's scoring for the
//! whole, by prefecture, by 区分 and every organisation) take to compute, and how long the
//! results page and its CSV take over HTTP on the hub's own server. SQLite by default;
//! `--database-url` runs it on a PostgreSQL server in a database of its own.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use secrecy::SecretString;

use crate::audit::Actor;
use crate::auth::{self, AddUser, EmailAddress, Role};
use crate::config::Settings;
use crate::context::AppContext;
use crate::registry::{OrgCode, OrgKind};
use crate::startup::Application;
use crate::surveys::definition::{Answer, Answers, Category, Definition, Item, ItemType};
use crate::surveys::publish::{self, Draft};
use crate::surveys::results::{self, Scope};
use crate::surveys::store;

const PASSWORD: &str = "benchmark password 1";

fn definition() -> Definition {
    Definition {
        title: "ベンチマーク重点検査（50 項目）".into(),
        kind: "self_assessment".into(),
        description: String::new(),
        reference_date: String::new(),
        categories: (0..10)
            .map(|c| Category {
                id: format!("c{c}"),
                title: format!("分類{c}"),
                items: (0..5)
                    .map(|i| Item {
                        id: format!("c{c}i{i}"),
                        text: format!("項目 {c}-{i}"),
                        kind: if i % 2 == 0 {
                            ItemType::Count
                        } else {
                            ItemType::Implementation
                        },
                        help: String::new(),
                        source: String::new(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

pub async fn run(
    requests: usize,
    database_url: Option<&str>,
    settings: &Settings,
) -> anyhow::Result<()> {
    super::fanout::check_server_url(database_url)?;
    anyhow::ensure!(
        (1..=10_000).contains(&requests),
        "--requests must be from 1 to 10,000"
    );
    let dir = tempfile::tempdir()?;
    let mut s = super::portal::bench_settings(settings, dir.path());
    let db = super::fanout::fresh_database(database_url).await?;
    s.database.url = db.as_ref().map(|(u, _)| SecretString::from(u.clone()));
    let result = measure(requests, s).await;
    if let Some((_, name)) = &db {
        super::fanout::drop_database(database_url, name).await;
    }
    result
}

async fn measure(requests: usize, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    let backend = match ctx.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
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
    let started = Instant::now();
    let def = definition();
    let id = publish::create(
        &ctx.db,
        &ctx.rules,
        Draft {
            definition: def.clone(),
            audience: vec!["all".into()],
            deadline: Utc::now() + chrono::Duration::days(14),
            previous: None,
        },
        &users[0],
        None,
        Utc::now(),
    )
    .await?;
    publish::submit(&ctx.db, id, &users[0]).await?;
    let addressed = publish::approve(&ctx.db, &ctx.rules, "http://bench", id, &users[1]).await?;
    let survey = store::get(&ctx.db, id)
        .await?
        .context("the survey is gone")?;
    let orgs: Vec<_> = crate::registry::store::list(&ctx.db, Default::default())
        .await?
        .into_iter()
        .filter(|o| o.kind != OrgKind::Central)
        .collect();
    for (n, o) in orgs.iter().enumerate() {
        let mut a = Answers::new();
        for (i, item) in def.items().enumerate() {
            let k = (n * 7 + i * 3) % 10;
            a.insert(
                item.id.clone(),
                match item.kind {
                    ItemType::Count => Answer::Count {
                        done: (k % 4) as u32,
                        required: 3 + (k % 2) as u32,
                    },
                    _ => Answer::Text(
                        if k < 7 {
                            "implemented"
                        } else if k < 9 {
                            "partial"
                        } else {
                            "not_applicable"
                        }
                        .into(),
                    ),
                },
            );
        }
        crate::surveys::act::save_answers(
            &ctx.db,
            &survey,
            o.id,
            &a,
            true,
            &Actor::System,
            Utc::now(),
        )
        .await?;
    }
    println!(
        "{backend}: a 50-item survey addressed to {addressed} organisations and answered by {} in {:.1} s",
        orgs.len(),
        started.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    let mut last = None;
    for i in 0..requests + 3 {
        let t = Instant::now();
        let r = results::build(&ctx.db, &survey, Scope::All, None).await?;
        if i >= 3 {
            times.push(t.elapsed());
        }
        last = Some(r);
    }
    if let Some(r) = &last {
        println!(
            "compute      results::build (nation, 47 prefectures, 区分, {} organisations): median {:.1} ms over {requests} runs; 総合評価 {} ({})",
            r.organisations.len(),
            super::median(times).as_secs_f64() * 1000.0,
            crate::surveys::score::percent(r.total.score.overall),
            r.total.score.grade().map_or("—", |g| g.as_str())
        );
    }
    let app = Application::build_with_context(ctx.clone(), ctx.settings.app.roles)?;
    let port = app.port().context("the web role has a port")?;
    let server = tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = super::portal::log_in_as(&base, "bench-operator@soumu.go.jp", PASSWORD).await?;
    for (label, path) in [
        ("results page", format!("/surveys/{id}/results")),
        ("results CSV", format!("/surveys/{id}/results.csv")),
    ] {
        let (times, bytes) =
            super::time_gets(&client, &format!("{base}{path}"), &cookie, requests).await?;
        println!(
            "{label:<12} {path}: median {:.1} ms over {requests} requests ({} KiB)",
            super::median(times).as_secs_f64() * 1000.0,
            bytes / 1024
        );
    }
    ctx.shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    Ok(())
}
