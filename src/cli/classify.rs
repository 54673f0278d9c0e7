//! `noroshi classify`, `noroshi inventory …` and `noroshi alerts …`.

use anyhow::Context;
use clap::Subcommand;

use super::output::{count, plural, table};
use crate::alerts::audience::AudienceSpec;
use crate::alerts::{self, DraftRequest};
use crate::audit::Actor;
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::{Severity, Tlp};
use crate::inventory::{self, AddItem};
use crate::registry::OrgCode;
use crate::time::format_jst;

/// Classifies pending advisories; with `all`, every advisory again under the current rules.
pub async fn run_classify(all: bool, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    if all {
        let n = crate::classify::store::mark_all_stale(&ctx.db).await?;
        println!(
            "reclassifying {} under rules {}",
            plural(n, "advisory", "advisories"),
            ctx.rules.version
        );
    }
    let (mut classified, mut changed, mut drafts) = (0usize, Vec::new(), Vec::new());
    loop {
        let report = crate::jobs::classify::step(&ctx).await?;
        if report.classified == 0 {
            break;
        }
        classified += report.classified;
        changed.extend(report.changed);
        drafts.extend(report.drafts_created);
    }
    println!(
        "{} classified under rules {}; {} changed; {} drafted",
        plural(classified as u64, "advisory", "advisories"),
        ctx.rules.version,
        count(changed.len() as u64),
        plural(drafts.len() as u64, "alert", "alerts")
    );
    for (id, what) in changed {
        println!("  advisory {id}: {what}");
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Declare a product an organisation runs: a CPE name, or a vendor and product, with an
    /// optional version range.
    ///
    /// Example: noroshi inventory add --org 131016 --cpe cpe:2.3:o:fortinet:fortios --versions ">=7.0, <7.2.7"
    Add {
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
        /// CPE 2.3 (cpe:2.3:o:fortinet:fortios:…) or 2.2 (cpe:/o:fortinet:fortios).
        #[arg(long)]
        cpe: Option<String>,
        #[arg(long)]
        vendor: Option<String>,
        #[arg(long)]
        product: Option<String>,
        /// Versions in use, e.g. ">=7.0, <7.2.7" or "=8.2"; every version when absent.
        #[arg(long)]
        versions: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// List an organisation's products.
    List {
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
    },
    /// Remove one product (by the id `inventory list` shows).
    Remove {
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
        id: i64,
    },
}

pub async fn run_inventory(cmd: InventoryCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        InventoryCommand::Add {
            org,
            cpe,
            vendor,
            product,
            versions,
            note,
        } => {
            let item = inventory::add_item(
                &ctx.db,
                AddItem {
                    org: Some(org),
                    cpe,
                    vendor,
                    product,
                    versions,
                    note,
                },
                &Actor::cli(),
            )
            .await?;
            println!("added #{}: {}", item.id, item.label());
            Ok(())
        }
        InventoryCommand::List { org } => {
            let found = crate::registry::store::find_by_code(&ctx.db, org)
                .await?
                .with_context(|| format!("no organisation has the code {org}"))?;
            let rows = inventory::store::list_for_org(&ctx.db, found.id)
                .await?
                .into_iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.vendor,
                        i.product,
                        i.versions_text.unwrap_or_else(|| "all".into()),
                        i.cpe_text.unwrap_or_default(),
                        i.note.unwrap_or_default(),
                    ]
                })
                .collect();
            println!("{} {}", found.code, found.full_name());
            table(
                &["id", "vendor", "product", "versions", "cpe", "note"],
                rows,
            );
            Ok(())
        }
        InventoryCommand::Remove { org, id } => {
            let found = crate::registry::store::find_by_code(&ctx.db, org)
                .await?
                .with_context(|| format!("no organisation has the code {org}"))?;
            if !inventory::remove_item(&ctx.db, &found, id, &Actor::cli()).await? {
                anyhow::bail!("{} has no inventory item {id}", found.full_name());
            }
            println!("removed #{id}");
            Ok(())
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    #[command(flatten)]
    Publish(super::publish::PublishCommand),
    /// Drafts waiting for review, with how many organisations each would reach.
    Drafts,
    /// One alert: its text, the advisories behind it, and its audience organisation by
    /// organisation with the reason each is included.
    Show {
        id: i64,
        /// List every organisation of the audience (default: counts and the first 20).
        #[arg(long)]
        full: bool,
    },
    /// Draft an alert by hand from advisories (or from a title and body alone).
    ///
    /// Audience selectors (repeat --to): all, prefectures, pref:13, pref:13+ (with its
    /// municipalities), org:131016, inventory (organisations whose products match).
    Draft {
        /// An advisory the alert is based on (its number in `noroshi advisories list`); repeat.
        #[arg(long = "advisory")]
        advisories: Vec<i64>,
        /// An audience selector (see above); repeat to combine.
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// The subject line (default: from the advisories).
        #[arg(long)]
        title: Option<String>,
        /// The body, plain text (default: drafted from the advisories).
        #[arg(long)]
        body: Option<String>,
        /// 緊急, 重要, 注意 or 情報 (critical, high, medium, info); default from the advisories.
        #[arg(long, value_parser = Severity::parse)]
        severity: Option<Severity>,
        /// CLEAR, GREEN, AMBER, AMBER+STRICT or RED (default from policy).
        #[arg(long, value_parser = Tlp::parse)]
        tlp: Option<Tlp>,
        /// Hours to acknowledge (default from severity).
        #[arg(long)]
        ack_within_hours: Option<u32>,
        /// A communication drill (連絡体制の確認訓練).
        #[arg(long)]
        drill: bool,
        /// The central operator writing it (recorded as its author for the four-eyes rule);
        /// default: the operating-system user.
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        author: Option<crate::domain::EmailAddress>,
    },
}

pub async fn run_alerts(cmd: AlertsCommand, settings: Settings) -> anyhow::Result<()> {
    let cmd = match cmd {
        AlertsCommand::Publish(p) => return super::publish::run_publish(p, settings).await,
        other => other,
    };
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        AlertsCommand::Publish(_) => Ok(()),
        AlertsCommand::Drafts => {
            let mut rows = Vec::new();
            for a in alerts::store::list_by_status(&ctx.db, alerts::AlertStatus::Draft).await? {
                let members = alerts::resolved_audience(&ctx.db, &ctx.rules, &a)
                    .await?
                    .len();
                let spec = &a.audience;
                let severity = a.severity.label_ja();
                rows.push(vec![
                    a.id.to_string(),
                    severity.to_owned(),
                    format!("TLP:{}", a.tlp),
                    a.title.chars().take(50).collect(),
                    format!("{} ({})", count(members as u64), spec.describe()),
                    a.origin.clone(),
                ]);
            }
            table(
                &["id", "severity", "tlp", "title", "audience", "made by"],
                rows,
            );
            Ok(())
        }
        AlertsCommand::Show { id, full } => {
            let a = alerts::store::get(&ctx.db, alerts::AlertId(id))
                .await?
                .with_context(|| format!("no alert {id}"))?;
            let spec = &a.audience;
            let severity = a.severity.label_ja();
            println!("alert     {} ({})", a.id, a.status);
            println!("title     {}", a.title);
            println!(
                "severity  {severity}   TLP:{}   drill: {}",
                a.tlp,
                if a.drill { "yes (訓練)" } else { "no" }
            );
            println!(
                "ack       {}",
                match a.ack_within_hours {
                    Some(h) if a.ack_required => format!("required within {h} h"),
                    _ => "not required".into(),
                }
            );
            println!("made by   {} at {}", a.origin, format_jst(&a.created_at));
            println!(
                "advisories {:?}",
                alerts::store::advisory_ids(&ctx.db, a.id).await?
            );
            println!("\n{}\n", a.body);
            let members = alerts::resolved_audience(&ctx.db, &ctx.rules, &a).await?;
            println!(
                "audience: {} — {}",
                spec.describe(),
                plural(members.len() as u64, "organisation", "organisations")
            );
            let shown = if full {
                members.len()
            } else {
                members.len().min(20)
            };
            let rows = members
                .iter()
                .take(shown)
                .map(|r| {
                    vec![
                        r.organisation.code.to_string(),
                        r.organisation.full_name(),
                        r.reasons.join("; "),
                    ]
                })
                .collect();
            table(&["code", "organisation", "why"], rows);
            if shown < members.len() {
                println!(
                    "… and {} more (--full lists them all)",
                    members.len() - shown
                );
            }
            Ok(())
        }
        AlertsCommand::Draft {
            advisories,
            to,
            title,
            body,
            severity,
            tlp,
            ack_within_hours,
            drill,
            author,
        } => {
            let audience = AudienceSpec::parse_selectors(&to)?;
            let actor = match author {
                None => Actor::cli(),
                Some(email) => {
                    let user = super::acting_user(&ctx, &email).await?;
                    anyhow::ensure!(
                        matches!(
                            user.role,
                            crate::auth::Role::CentralOperator | crate::auth::Role::Admin
                        ),
                        "drafting alerts is for central operators; {email} is {}",
                        user.role
                    );
                    Actor::of(&user)
                }
            };
            let alert = alerts::create_draft(
                &ctx.db,
                &ctx.policy,
                DraftRequest {
                    ack_office_days: None,
                    advisory_ids: advisories,
                    title,
                    body,
                    severity,
                    tlp,
                    audience,
                    ack_within_hours,
                    drill,
                    starts_at: None,
                },
                &actor,
            )
            .await?;
            let members = alerts::resolved_audience(&ctx.db, &ctx.rules, &alert)
                .await?
                .len();
            println!(
                "drafted alert {}: {} (audience: {})",
                alert.id,
                alert.title,
                plural(members as u64, "organisation", "organisations")
            );
            Ok(())
        }
    }
}
