//! `noroshi drills …`, `noroshi inbound …` and `noroshi contacts stale`: the 連絡体制の確認訓練
//! and the return channel from the command line. A drill is drafted here and published through
//! the usual four eyes (`noroshi alerts publish submit|approve --as`).

use crate::domain::ids::OrgId;
use anyhow::Context;
use clap::Subcommand;

use super::output::{count, plural, table};
use crate::audit::Actor;
use crate::config::Settings;
use crate::context::AppContext;
use crate::drills::report::{self, Scope, duration_ja};
use crate::drills::{self, Scenario};

#[derive(Debug, Subcommand)]
pub enum DrillsCommand {
    /// Draft a drill from a scenario file (TOML: title, body, optional severity, tlp,
    /// answer_within_hours, to). Then submit and approve it as any alert (`noroshi alerts
    /// submit|approve`).
    Create {
        /// The scenario file (see data/drills/).
        #[arg(long)]
        scenario: std::path::PathBuf,
        /// Audience selectors, replacing the file's: all, prefectures, pref:13, pref:13+,
        /// org:131016. Repeat for more.
        #[arg(long = "to")]
        to: Vec<String>,
        /// The central operator drafting it (default: the command line).
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        author: Option<crate::domain::EmailAddress>,
    },
    /// Every drill and how it went.
    List,
    /// The 疎通確認 report of a drill: by prefecture and in total.
    Report {
        /// The drill's number or public id.
        id: String,
        /// Only this prefecture (number or name), as its staff see it.
        #[arg(long)]
        prefecture: Option<String>,
        /// Also write the per-contact CSV (Excel-ready) to this file.
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum InboundCommand {
    /// Read what waits in the inbound Maildir now (the worker does this every few seconds).
    Process {
        /// Another Maildir than `mail.inbound_maildir`.
        #[arg(long)]
        maildir: Option<std::path::PathBuf>,
    },
    /// Messages waiting for an operator or refused, and the totals.
    List,
}

async fn drill_by(ctx: &AppContext, id: &str) -> anyhow::Result<crate::alerts::Alert> {
    let alert = match id.trim().parse::<i64>() {
        Ok(n) => crate::alerts::store::get(&ctx.db, crate::alerts::AlertId(n)).await?,
        Err(_) => crate::alerts::store::by_public_id(&ctx.db, id.trim()).await?,
    }
    .with_context(|| format!("no alert {id}"))?;
    anyhow::ensure!(alert.drill, "alert {id} is not a drill");
    Ok(alert)
}

pub async fn run(cmd: DrillsCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        DrillsCommand::Create {
            scenario,
            to,
            author,
        } => {
            let text = std::fs::read_to_string(&scenario)
                .with_context(|| format!("cannot read {}", scenario.display()))?;
            let checked = Scenario::parse(&text)
                .and_then(|s| s.check(&to).map_err(|p| p.en))
                .map_err(|e| anyhow::anyhow!("{}: {e}", scenario.display()))?;
            let (actor, owner) = match author {
                None => (Actor::cli(), None),
                Some(email) => {
                    let user = super::acting_user(&ctx, &email).await?;
                    let org = crate::registry::store::find_by_id(&ctx.db, user.org_id)
                        .await?
                        .context("the user's organisation is missing")?;
                    // A prefecture's staff draft drills of their own prefecture.
                    let owner = (org.kind == crate::registry::OrgKind::Prefecture).then_some(org);
                    anyhow::ensure!(
                        owner.is_some()
                            || matches!(
                                user.role,
                                crate::auth::Role::CentralOperator | crate::auth::Role::Admin
                            ),
                        "drafting drills is for central operators and prefecture staff; {email} is {}",
                        user.role
                    );
                    (Actor::of(&user), owner)
                }
            };
            let alert = drills::create(
                &ctx.db,
                &ctx.policy,
                &ctx.rules,
                checked,
                &actor,
                owner.as_ref(),
            )
            .await?;
            let members = crate::alerts::resolved_audience(&ctx.db, &ctx.rules, &alert)
                .await?
                .len();
            println!(
                "drafted drill {}: 【訓練】{} (audience: {})\nnext: noroshi alerts submit {} --as OPERATOR, then noroshi alerts approve {} --as APPROVER",
                alert.id,
                alert.title,
                plural(members as u64, "organisation", "organisations"),
                alert.id,
                alert.id
            );
        }
        DrillsCommand::List => {
            let mut rows = Vec::new();
            for d in crate::alerts::store::list_drills(&ctx.db).await? {
                let figures = report::build(&ctx.db, &d, Scope::All).await?;
                rows.push(vec![
                    d.id.to_string(),
                    d.public_id.clone().unwrap_or_else(|| d.status.to_string()),
                    d.title.chars().take(40).collect(),
                    figures
                        .as_ref()
                        .map(|r| count(r.total.addressed))
                        .unwrap_or_default(),
                    figures
                        .as_ref()
                        .map(|r| r.total.reach().percent())
                        .unwrap_or_default(),
                    figures
                        .as_ref()
                        .map(|r| r.total.answer().percent())
                        .unwrap_or_default(),
                ]);
            }
            table(
                &["id", "drill", "title", "addressed", "reached", "answered"],
                rows,
            );
        }
        DrillsCommand::Report {
            id,
            prefecture,
            csv,
        } => {
            let alert = drill_by(&ctx, &id).await?;
            let scope = match prefecture {
                None => Scope::All,
                Some(p) => {
                    let pref = crate::registry::Prefecture::parse(&p)?;
                    let org = crate::registry::store::list(
                        &ctx.db,
                        crate::registry::store::OrgFilter {
                            prefecture: Some(pref),
                            kind: Some(crate::registry::OrgKind::Prefecture),
                        },
                    )
                    .await?
                    .into_iter()
                    .next()
                    .with_context(|| format!("no organisation for {}", pref.name()))?;
                    Scope::Prefecture(org.id)
                }
            };
            let r = report::build(&ctx.db, &alert, scope)
                .await?
                .with_context(|| format!("drill {id} has not gone out yet"))?;
            println!(
                "{} 【訓練】{} — sent {}",
                r.public_id,
                r.title,
                crate::time::format_jst(&r.sent_at)
            );
            let line = |name: String, f: &report::Figures| {
                vec![
                    name,
                    count(f.addressed),
                    format!(
                        "{} {} ({})",
                        count(f.reached),
                        f.reach().percent(),
                        f.reach_grade().map_or("", |g| g.as_str())
                    ),
                    format!(
                        "{} {} ({})",
                        count(f.answered),
                        f.answer().percent(),
                        f.answer_grade().map_or("", |g| g.as_str())
                    ),
                    duration_ja(f.median_secs()),
                    duration_ja(f.p90_secs()),
                    count(f.bounced),
                    count(f.without_working_contact),
                ]
            };
            let mut rows: Vec<Vec<String>> = r
                .lines
                .iter()
                .map(|l| line(l.prefecture.name().to_owned(), &l.figures))
                .collect();
            rows.push(line("合計".into(), &r.total));
            if let Some(p) = &r.previous {
                rows.push(line(format!("前回 {}", p.public_id), &p.total));
            }
            table(
                &[
                    "prefecture",
                    "addressed",
                    "reached",
                    "answered",
                    "median",
                    "p90",
                    "bounced",
                    "no working contact",
                ],
                rows,
            );
            if let Some(path) = csv {
                crate::files::write_replacing(&path, report::csv(&r).as_bytes(), 0o644)?;
                println!(
                    "{} written to {}",
                    plural(r.contacts.len() as u64, "contact row", "contact rows"),
                    path.display()
                );
            }
        }
    }
    Ok(())
}

pub async fn run_inbound(cmd: InboundCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        InboundCommand::Process { maildir } => {
            let dir = maildir.unwrap_or_else(|| crate::inbound::maildir(&ctx.settings));
            let mut total = 0;
            loop {
                let done = crate::inbound::process_maildir(&ctx.inbox(), &dir, 500).await?;
                if done.is_empty() {
                    break;
                }
                total += done.len();
                for p in &done {
                    println!("{:<10} {:<9} {}", p.kind, p.outcome.as_str(), p.detail);
                }
            }
            println!(
                "{} read from {}",
                plural(total as u64, "message", "messages"),
                dir.display()
            );
        }
        InboundCommand::List => {
            let totals = crate::inbound::store::totals(&ctx.db).await?;
            table(
                &["kind", "outcome", "messages"],
                totals
                    .into_iter()
                    .map(|(k, o, n)| vec![k, o, count(n)])
                    .collect(),
            );
            let waiting = crate::inbound::store::for_operator(&ctx.db, 100).await?;
            table(
                &[
                    "id", "received", "kind", "outcome", "from", "subject", "detail",
                ],
                waiting
                    .into_iter()
                    .map(|m| {
                        vec![
                            m.id.to_string(),
                            crate::time::format_jst(&m.received_at),
                            m.kind,
                            m.outcome,
                            m.from_address,
                            m.subject.chars().take(30).collect(),
                            m.detail.chars().take(60).collect(),
                        ]
                    })
                    .collect(),
            );
        }
    }
    Ok(())
}

/// `noroshi contacts stale --months 12`: addresses that have not been confirmed for that long,
/// that bounce, or that are unreachable, and organisations with no working address at all.
pub async fn stale(ctx: &AppContext, months: u32) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=120).contains(&months),
        "--months {months}: give 1 to 120"
    );
    let now = chrono::Utc::now();
    let limit = now - chrono::Duration::days(i64::from(months) * 30);
    let orgs = crate::registry::store::list(&ctx.db, Default::default()).await?;
    let ids: Vec<crate::registry::OrgId> = orgs.iter().map(|o| o.id).collect();
    let contacts = crate::contacts::store::active_for(&ctx.db, &ids).await?;
    let mut by_org: std::collections::HashMap<OrgId, Vec<&crate::contacts::Contact>> =
        std::collections::HashMap::new();
    for c in &contacts {
        by_org.entry(c.org_id).or_default().push(c);
    }
    let mut rows = Vec::new();
    let mut without = 0u64;
    for o in orgs
        .iter()
        .filter(|o| o.kind != crate::registry::OrgKind::Central)
    {
        let list = by_org.get(&o.id).cloned().unwrap_or_default();
        if list.iter().all(|c| c.unreachable) {
            without += 1;
            rows.push(vec![
                o.code.to_string(),
                o.full_name(),
                String::new(),
                if list.is_empty() {
                    "no address".into()
                } else {
                    "only unreachable addresses".into()
                },
            ]);
        }
        for c in list {
            let why = if c.unreachable {
                Some("unreachable".to_owned())
            } else if c.hard_bounces > 0 {
                Some(format!("bounced {} times", c.hard_bounces))
            } else if c.confirmed_at.is_none_or(|t| t < limit) {
                Some(match c.confirmed_at {
                    None => "never confirmed".to_owned(),
                    Some(t) => format!("confirmed {}", crate::time::format_jst(&t)),
                })
            } else {
                None
            };
            if let Some(why) = why {
                rows.push(vec![
                    o.code.to_string(),
                    o.full_name(),
                    c.email.to_string(),
                    why,
                ]);
            }
        }
    }
    println!(
        "{} with no working address; {} to look at",
        plural(without, "organisation", "organisations"),
        plural(rows.len() as u64, "line", "lines")
    );
    table(&["code", "organisation", "address", "why"], rows);
    Ok(())
}
