//! `noroshi org …`: the organisation registry from the command line.

use clap::Subcommand;

use super::output::{count, plural, table};
use crate::config::Settings;
use crate::context::AppContext;
use crate::registry::store::{self, OrgFilter};
use crate::registry::{OrgCode, OrgKind, Prefecture};

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Load every local government and central body into the registry. Safe to run again:
    /// existing organisations are updated only where the shipped list differs.
    Seed,
    /// List organisations in code order.
    List {
        /// Only this prefecture and its municipalities: a number (13) or a name (東京都, 東京).
        #[arg(long, value_parser = Prefecture::parse)]
        prefecture: Option<Prefecture>,
        /// Only organisations of this kind: prefecture, municipality or central.
        #[arg(long, value_parser = OrgKind::parse)]
        kind: Option<OrgKind>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one organisation by its six-digit code (check digit included).
    Show {
        #[arg(value_parser = OrgCode::parse)]
        code: OrgCode,
    },
    /// The mail domains an organisation holds: an address at one of them is its own (a contact
    /// there needs no confirmation, a メールマガジン reader there may be vouched for by it).
    #[command(subcommand)]
    Domain(DomainCommand),
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Register a domain for an organisation (never a carrier's or web-mail's).
    Add {
        #[arg(value_parser = OrgCode::parse)]
        code: OrgCode,
        /// `city.chiyoda.lg.jp`; addresses under it count too.
        domain: String,
    },
    /// Remove a domain by its id (`org domain list`).
    Remove {
        #[arg(value_parser = OrgCode::parse)]
        code: OrgCode,
        id: i64,
    },
    /// The organisation's domains.
    List {
        #[arg(value_parser = OrgCode::parse)]
        code: OrgCode,
    },
}

pub async fn run(cmd: OrgCommand, mut settings: Settings) -> anyhow::Result<()> {
    if matches!(cmd, OrgCommand::Seed) {
        // Seeding is what this command does; do not also do it implicitly at connect.
        settings.database.migrate_on_start = false;
        let db = crate::db::connect(&settings).await?;
        crate::db::migrate(&db).await?;
        let report = crate::registry::seed(&db).await?;
        println!(
            "registry seeded: {} inserted, {} updated, {} unchanged",
            count(report.inserted as u64),
            count(report.updated as u64),
            count(report.unchanged as u64)
        );
        return Ok(());
    }
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        OrgCommand::Seed => Ok(()),
        OrgCommand::List {
            prefecture,
            kind,
            json,
        } => {
            let orgs = store::list(&ctx.db, OrgFilter { prefecture, kind }).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&orgs)?);
                return Ok(());
            }
            let of = |k| orgs.iter().filter(|o| o.kind == k).count() as u64;
            let (p, m, c) = (
                of(OrgKind::Prefecture),
                of(OrgKind::Municipality),
                of(OrgKind::Central),
            );
            let rows = orgs
                .iter()
                .map(|o| {
                    vec![
                        o.code.to_string(),
                        o.kind.label_ja().to_owned(),
                        o.full_name(),
                        o.kana.clone(),
                    ]
                })
                .collect();
            table(&["code", "kind", "name", "kana"], rows);
            let mut summary = format!(
                "{} ({}, {})",
                plural(p + m, "local government", "local governments"),
                plural(p, "prefecture", "prefectures"),
                plural(m, "municipality", "municipalities")
            );
            if c > 0 {
                summary.push_str(&format!(
                    " and {}",
                    plural(c, "central body", "central bodies")
                ));
            }
            println!("{summary}");
            Ok(())
        }
        OrgCommand::Domain(cmd) => domain(&ctx, cmd).await,
        OrgCommand::Show { code } => {
            let org = store::find_by_code(&ctx.db, code)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organisation has the code {code}"))?;
            println!("code        {}", org.code);
            println!("name        {}", org.full_name());
            println!("kana        {}", org.kana);
            println!("kind        {} ({})", org.kind.label_ja(), org.kind);
            if let Some(p) = org.prefecture {
                println!("prefecture  {:02} {}", p.number(), p.name());
            }
            let users = crate::auth::store::list_for_org(&ctx.db, org.id).await?;
            println!("users       {}", users.len());
            for u in users {
                println!(
                    "  {}  {}  {}",
                    u.email,
                    u.role,
                    if u.disabled { "(disabled)" } else { "" }
                );
            }
            Ok(())
        }
    }
}

async fn domain(ctx: &AppContext, cmd: DomainCommand) -> anyhow::Result<()> {
    let code = match &cmd {
        DomainCommand::Add { code, .. }
        | DomainCommand::Remove { code, .. }
        | DomainCommand::List { code } => *code,
    };
    let org = store::find_by_code(&ctx.db, code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organisation has the code {code}"))?;
    let actor = crate::audit::Actor::cli();
    match cmd {
        DomainCommand::Add { domain, .. } => {
            let (held, verified) =
                crate::contacts::domains::add(&ctx.db, &org, &domain, &actor, chrono::Utc::now())
                    .await?;
            println!(
                "{} now holds {} (domain {}); {} verified",
                org.full_name(),
                held.domain,
                held.id,
                plural(verified, "contact address", "contact addresses")
            );
        }
        DomainCommand::Remove { id, .. } => {
            let held = crate::contacts::domains::remove(&ctx.db, &org, id, &actor).await?;
            println!("{} no longer holds {}", org.full_name(), held.domain);
        }
        DomainCommand::List { .. } => {
            let rows = crate::registry::domains::of(&ctx.db, org.id)
                .await?
                .into_iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.domain.to_string(),
                        crate::time::format_jst(&d.created_at),
                        d.created_by,
                    ]
                })
                .collect();
            table(&["id", "domain", "registered", "by"], rows);
        }
    }
    Ok(())
}
