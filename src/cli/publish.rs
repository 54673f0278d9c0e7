//! `noroshi contact …`, `noroshi alerts submit|approve|revise|withdraw|revisions`,
//! `noroshi deliveries` and `noroshi mail send`: contacts, four eyes, and the delivery ledger.
//!
//! The command line acts for a named portal user (`--as EMAIL`): it runs on the hub's own
//! machine with the database's credentials, so it identifies rather than authenticates; the
//! role checks and the four-eyes rule are the same as in the portal.

use crate::domain::ids::AlertId;
use crate::domain::ids::RevisionId;
use anyhow::Context;
use clap::{Args, Subcommand};

use super::output::{count, plural, table};
use crate::alerts::publish::{self, Edit, PublishReport};
use crate::audit::Actor;
use crate::auth::EmailAddress;
use crate::config::Settings;
use crate::contacts::{self, ContactKind, Language, MailEncoding};
use crate::context::AppContext;
use crate::delivery;
use crate::delivery::store::DeliveryStatus;
use crate::domain::{Severity, Tlp};
use crate::registry::OrgCode;
use crate::time::format_jst;
use crate::workers::Outcome;

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a mail address alerts go to.
    ///
    /// Example: noroshi contact add --org 131016 --email joho@city.chiyoda.lg.jp --encoding iso-2022-jp
    Add {
        /// The organisation's six-digit code (e.g. 131016).
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
        /// The address; no display name, one address only.
        #[arg(long, value_parser = EmailAddress::parse)]
        email: EmailAddress,
        /// primary, backup or role.
        #[arg(long, default_value = "primary", value_parser = ContactKind::parse)]
        kind: ContactKind,
        /// ja or en.
        #[arg(long, default_value = "ja", value_parser = Language::parse)]
        language: Language,
        /// utf-8, or iso-2022-jp for mail systems that need it.
        #[arg(long, default_value = "utf-8", value_parser = MailEncoding::parse)]
        encoding: MailEncoding,
    },
    /// List an organisation's addresses.
    List {
        /// The organisation's six-digit code.
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
    },
    /// Stop sending to an address (it stays in the ledger's history).
    Disable {
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
        /// The contact's id (see `noroshi contact list`).
        id: i64,
    },
    /// Ask every active address of the organisations in `--to` to confirm it (連絡先確認): one
    /// mail each with a one-click link, valid 60 days.
    Campaign {
        /// Audience selectors as for alerts: all, prefectures, pref:13+, org:131016.
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// Every active address (the April round), not only the organisations with a gap and
        /// the addresses not yet verified.
        #[arg(long)]
        everyone: bool,
    },
    /// Addresses not confirmed for `--months`, bouncing or unreachable, and organisations with
    /// no working address (連絡先確認).
    Stale {
        #[arg(long, default_value_t = 12)]
        months: u32,
    },
    /// Send to an address again.
    Enable {
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
        /// The contact's id (see `noroshi contact list`).
        id: i64,
    },
}

pub async fn run_contact(cmd: ContactCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        ContactCommand::Add {
            org,
            email,
            kind,
            language,
            encoding,
        } => {
            // At the command line on the hub's machine: the operator vouches for the address.
            let by = contacts::Adder {
                actor: Actor::cli(),
                trusted: true,
            };
            let c = contacts::add_contact(
                &ctx.db,
                &ctx.contact_links(),
                org,
                email,
                kind,
                language,
                encoding,
                &by,
            )
            .await?;
            println!(
                "added contact {}: {} ({}, {}, {})",
                c.id,
                c.email,
                c.kind.as_str(),
                c.language.as_str(),
                c.encoding
            );
        }
        ContactCommand::List { org } => {
            let found = crate::registry::store::find_by_code(&ctx.db, org)
                .await?
                .with_context(|| format!("no organisation has the code {org}"))?;
            let rows = contacts::store::list_for_org(&ctx.db, found.id)
                .await?
                .into_iter()
                .map(|c| {
                    vec![
                        c.id.to_string(),
                        c.email.to_string(),
                        c.kind.as_str().into(),
                        c.language.as_str().into(),
                        c.encoding.to_string(),
                        if c.active { "active" } else { "disabled" }.into(),
                    ]
                })
                .collect::<Vec<_>>();
            println!(
                "{} — {}",
                found.full_name(),
                plural(rows.len() as u64, "contact", "contacts")
            );
            table(&["id", "email", "kind", "lang", "encoding", "state"], rows);
        }
        ContactCommand::Disable { org, id } | ContactCommand::Enable { org, id } => {
            let active = matches!(cmd, ContactCommand::Enable { .. });
            contacts::set_active(&ctx.db, org, id, active, &Actor::cli()).await?;
            println!(
                "contact {id} {}",
                if active { "enabled" } else { "disabled" }
            );
        }
        ContactCommand::Stale { months } => super::drills::stale(&ctx, months).await?,
        ContactCommand::Campaign { to, everyone } => {
            let spec = crate::alerts::audience::AudienceSpec::parse_selectors(&to)?;
            anyhow::ensure!(
                !spec.inventory,
                "--to inventory: a campaign has no products"
            );
            let orgs: Vec<_> = crate::alerts::audience::resolve(&ctx.db, &spec, &[], &ctx.rules)
                .await?
                .into_iter()
                .map(|r| r.organisation)
                .collect();
            let reach = if everyone {
                contacts::confirm::Reach::Everyone
            } else {
                contacts::confirm::Reach::Gaps
            };
            let scope = format!("cli:{}", to.join(","));
            let c = match contacts::confirm::start_campaign(
                &ctx.db,
                &ctx.contact_links(),
                &orgs,
                &scope,
                reach,
                &Actor::cli(),
                chrono::Utc::now(),
            )
            .await?
            {
                contacts::confirm::Started::Queued(c) => c,
                contacts::confirm::Started::AlreadyToday => anyhow::bail!(
                    "a campaign to {} was started today already; nothing was sent",
                    to.join(" ")
                ),
            };
            println!(
                "confirmation asked of {} ({}); {} without an address; the hub's notice worker sends them",
                plural(c.organisations as u64, "organisation", "organisations"),
                plural(c.mails as u64, "address", "addresses"),
                plural(c.without_address as u64, "organisation", "organisations"),
            );
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ActAs {
    /// The portal user doing this (a central operator or approver).
    #[arg(long = "as", value_name = "EMAIL", value_parser = EmailAddress::parse)]
    pub user: EmailAddress,
}

#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Send a draft for approval (central operators).
    Submit {
        /// The alert's number (see `noroshi alerts drafts`).
        id: AlertId,
        #[command(flatten)]
        who: ActAs,
    },
    /// Approve a submitted alert, which publishes it: 第1報, or the next 第N報 of a published
    /// alert (central approvers who neither wrote nor submitted it).
    Approve {
        /// The alert's number.
        id: AlertId,
        #[command(flatten)]
        who: ActAs,
        /// Sending the same key again publishes nothing new (safe to retry).
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Edit a draft, or prepare the next revision of a published alert (then submit and
    /// approve it again).
    Revise {
        /// The alert's number.
        id: AlertId,
        #[command(flatten)]
        who: ActAs,
        /// A new subject line.
        #[arg(long)]
        title: Option<String>,
        /// A new body (plain text).
        #[arg(long)]
        body: Option<String>,
        /// A new severity: 緊急, 重要, 注意 or 情報.
        #[arg(long, value_parser = Severity::parse)]
        severity: Option<Severity>,
        /// A new TLP marking.
        #[arg(long, value_parser = Tlp::parse)]
        tlp: Option<Tlp>,
        /// What changed, shown at the top of the revision (required once published).
        #[arg(long)]
        changes: Option<String>,
    },
    /// Withdraw a published alert: a cancellation notice goes to its whole audience.
    Withdraw {
        /// The alert's number.
        id: AlertId,
        #[command(flatten)]
        who: ActAs,
        /// Why it is withdrawn; it opens the withdrawal notice.
        #[arg(long)]
        reason: String,
        /// Sending the same key again sends nothing new (safe to retry).
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// The published revisions of an alert (第1報, 第2報 …).
    Revisions {
        /// The alert's number.
        id: AlertId,
    },
}

fn print_report(r: &PublishReport, ctx: &AppContext) {
    if r.repeated {
        println!(
            "already published: {} 第{}報 (the idempotency key was used before; nothing new was sent)",
            r.public_id, r.revision
        );
        return;
    }
    println!(
        "published {} 第{}報 to {}: {} queued",
        r.public_id,
        r.revision,
        plural(r.organisations as u64, "organisation", "organisations"),
        plural(r.deliveries as u64, "message", "messages")
    );
    if r.without_contacts > 0 {
        println!(
            "  {} no active contact and will see it in the portal only",
            plural(
                r.without_contacts as u64,
                "organisation has",
                "organisations have"
            )
        );
    }
    println!("  mail goes to {}", ctx.mailer.describe());
    println!("  the hub's mail lanes send it; `noroshi mail send` sends it now from here");
}

pub async fn run_publish(cmd: PublishCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        PublishCommand::Submit { id, who } => {
            let user = super::acting_user(&ctx, &who.user).await?;
            publish::submit(&ctx.db, id, &user).await?;
            println!(
                "alert {id} is waiting for approval by a central approver other than {}",
                user.email
            );
        }
        PublishCommand::Approve {
            id,
            who,
            idempotency_key,
        } => {
            let user = super::acting_user(&ctx, &who.user).await?;
            let report =
                publish::approve(&ctx.db, &ctx.rules, id, &user, idempotency_key.as_deref())
                    .await?;
            print_report(&report, &ctx);
        }
        PublishCommand::Revise {
            id,
            who,
            title,
            body,
            severity,
            tlp,
            changes,
        } => {
            let user = super::acting_user(&ctx, &who.user).await?;
            publish::revise(
                &ctx.db,
                id,
                &user,
                Edit {
                    title,
                    body,
                    severity,
                    tlp,
                    changes,
                },
            )
            .await?;
            println!("alert {id} edited; submit it for approval to publish it");
        }
        PublishCommand::Withdraw {
            id,
            who,
            reason,
            idempotency_key,
        } => {
            let user = super::acting_user(&ctx, &who.user).await?;
            let report = publish::withdraw(
                &ctx.db,
                &ctx.rules,
                id,
                &user,
                &reason,
                idempotency_key.as_deref(),
            )
            .await?;
            print_report(&report, &ctx);
        }
        PublishCommand::Revisions { id } => {
            let alert = crate::alerts::store::get(&ctx.db, id)
                .await?
                .with_context(|| format!("no alert {id}"))?;
            println!(
                "alert {id} {} ({})",
                alert.public_id.as_deref().unwrap_or("not yet published"),
                alert.status
            );
            let rows = crate::alerts::store::revisions(&ctx.db, id)
                .await?
                .into_iter()
                .map(|r| {
                    vec![
                        format!("第{}報", r.number),
                        r.kind.to_string(),
                        format_jst(&r.published_at),
                        r.approved_by,
                        count(u64::try_from(r.recipients).unwrap_or(0)),
                        r.title.chars().take(40).collect(),
                    ]
                })
                .collect();
            table(
                &[
                    "revision",
                    "kind",
                    "published",
                    "approved by",
                    "recipients",
                    "title",
                ],
                rows,
            );
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// The alert: its number or public id (NRS-2026-0001).
    #[arg(long)]
    pub alert: String,
    /// Only rows in this state: queued, sending, sent, deferred, failed or bounced.
    #[arg(long, value_parser = DeliveryStatus::parse)]
    pub status: Option<DeliveryStatus>,
    /// Queue every failed delivery of the alert again.
    #[arg(long)]
    pub retry_failed: bool,
    /// List every row (default: the counts and the first 50).
    #[arg(long)]
    pub all: bool,
}

pub async fn run_deliveries(args: DeliveriesArgs, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    let alert = match args.alert.parse::<i64>() {
        Ok(id) => crate::alerts::store::get(&ctx.db, crate::alerts::AlertId(id)).await?,
        Err(_) => crate::alerts::store::by_public_id(&ctx.db, args.alert.trim()).await?,
    }
    .with_context(|| format!("no alert {}", args.alert))?;
    if args.retry_failed {
        let n = delivery::retry_failed(&ctx.db, alert.id, &Actor::cli()).await?;
        println!(
            "{} queued again",
            plural(n, "failed delivery", "failed deliveries")
        );
    }
    let rows = delivery::store::for_alert(&ctx.db, alert.id).await?;
    let revisions: std::collections::HashMap<RevisionId, i32> =
        crate::alerts::store::revisions(&ctx.db, alert.id)
            .await?
            .into_iter()
            .map(|r| (r.id, r.number))
            .collect();
    let mut counts = std::collections::BTreeMap::<DeliveryStatus, u64>::new();
    for r in &rows {
        *counts.entry(r.status).or_default() += 1;
    }
    println!(
        "alert {} {} — {}: {}",
        alert.id,
        alert.public_id.as_deref().unwrap_or("(unpublished)"),
        plural(rows.len() as u64, "delivery", "deliveries"),
        DeliveryStatus::ALL
            .iter()
            .filter(|s| **s != DeliveryStatus::Bounced || counts.contains_key(*s))
            .map(|s| format!("{} {}", s, count(counts.get(s).copied().unwrap_or(0))))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let doubles: Vec<&str> = rows
        .iter()
        .filter(|r| r.possible_duplicate)
        .map(|r| r.email.as_str())
        .collect();
    if !doubles.is_empty() {
        println!(
            "{} taken over from a process that died while sending: they may have the message twice (same Message-ID): {}",
            plural(doubles.len() as u64, "recipient was", "recipients were"),
            doubles.join(", ")
        );
    }
    let shown: Vec<_> = rows
        .iter()
        .filter(|r| args.status.is_none_or(|s| r.status == s))
        .collect();
    let limit = if args.all {
        shown.len()
    } else {
        shown.len().min(50)
    };
    let table_rows = shown
        .iter()
        .take(limit)
        .map(|r| {
            let detail = match r.status {
                DeliveryStatus::Sent => r.last_reply.clone().unwrap_or_default(),
                DeliveryStatus::Deferred => format!(
                    "next {}: {}",
                    format_jst(&r.next_attempt_at),
                    r.last_error.clone().unwrap_or_default()
                ),
                DeliveryStatus::Sending => format!(
                    "held by {} until {}",
                    r.lease_owner.clone().unwrap_or_default(),
                    r.lease_until.as_ref().map(format_jst).unwrap_or_default()
                ),
                DeliveryStatus::Bounced => format!(
                    "bounced {}: {} {}",
                    r.bounced_at.as_ref().map(format_jst).unwrap_or_default(),
                    r.bounce_status.clone().unwrap_or_default(),
                    r.bounce_reason.clone().unwrap_or_default()
                ),
                _ => r.last_error.clone().unwrap_or_default(),
            };
            vec![
                r.id.to_string(),
                format!(
                    "第{}報",
                    revisions.get(&r.revision_id).copied().unwrap_or(0)
                ),
                r.email.clone(),
                if r.possible_duplicate {
                    format!("{} (possible duplicate)", r.status)
                } else {
                    r.status.to_string()
                },
                r.attempts.to_string(),
                r.sent_at.as_ref().map(format_jst).unwrap_or_default(),
                detail.chars().take(100).collect(),
            ]
        })
        .collect();
    table(
        &[
            "id",
            "revision",
            "recipient",
            "status",
            "tries",
            "sent at",
            "reply / reason",
        ],
        table_rows,
    );
    if limit < shown.len() {
        println!(
            "… and {} more (--all lists them all)",
            count((shown.len() - limit) as u64)
        );
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send the mail that is due now from this process (what a running hub's mail lanes do),
    /// until nothing is due. Deferred mail whose retry time has not come stays deferred.
    Send,
}

pub async fn run_mail(cmd: MailCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        MailCommand::Send => {
            println!("sending to {}", ctx.mailer.describe());
            let mut batches = 0;
            while crate::jobs::mail::try_execute_task(&ctx, delivery::worker::Lane::All).await?
                == Outcome::Worked
            {
                batches += 1;
            }
            if let delivery::Sink::Relay(r) = &ctx.mailer.sink {
                r.close_idle().await;
            }
            let totals = delivery::store::status_totals(&ctx.db).await?;
            println!(
                "{} sent; ledger now: {}",
                plural(batches as u64, "batch", "batches"),
                totals
                    .iter()
                    .map(|(s, n)| format!("{s} {}", count(*n)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}
