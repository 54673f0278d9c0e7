//! `noroshi magazine …`: メールマガジン issues from the command line — compose a week's issue,
//! hand it to an approver, publish it, list the issues and the readers.

use crate::domain::ids::IssueId;
use chrono::Utc;
use clap::Subcommand;

use super::output::table;
use crate::config::Settings;
use crate::context::AppContext;
use crate::magazine::issue::{self, Status};
use crate::magazine::subscribers;

#[derive(Debug, Subcommand)]
pub enum MagazineCommand {
    /// Compose a draft from a week's alerts, cases and JPCERT/CC items (then `submit`, `approve`).
    Compose {
        /// The ISO week, JST: `2026-W49` (Monday 00:00 to Monday 00:00).
        #[arg(long)]
        week: String,
        /// A central operator.
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        user: crate::domain::EmailAddress,
    },
    /// Hand a draft to an approver.
    Submit {
        id: IssueId,
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        user: crate::domain::EmailAddress,
    },
    /// Publish a submitted issue (a central approver other than who composed or submitted it).
    Approve {
        id: IssueId,
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        user: crate::domain::EmailAddress,
    },
    /// Every issue, and who receives the magazine.
    List,
}

pub async fn run(cmd: MagazineCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    let failed = |e: crate::error::Failure| anyhow::anyhow!("{e}");
    match cmd {
        MagazineCommand::Compose { week, user: email } => {
            let (from, to) =
                issue::parse_week(&week).map_err(|e| anyhow::anyhow!("--week: {e}"))?;
            let u = super::acting_user(&ctx, &email).await?;
            let i = issue::compose(&ctx.db, &u, from, to, Utc::now())
                .await
                .map_err(failed)?;
            println!(
                "drafted magazine issue {} for {week} with {} items; next: noroshi magazine submit {} --as {email}",
                i.id,
                i.items.len(),
                i.id
            );
        }
        MagazineCommand::Submit { id, user: email } => {
            let u = super::acting_user(&ctx, &email).await?;
            issue::submit(&ctx.db, &u, id, Utc::now())
                .await
                .map_err(failed)?;
            println!(
                "magazine issue {id} waits for an approver: noroshi magazine approve {id} --as APPROVER"
            );
        }
        MagazineCommand::Approve { id, user: email } => {
            let u = super::acting_user(&ctx, &email).await?;
            let p = issue::approve(&ctx.db, &u, id, Utc::now())
                .await
                .map_err(failed)?;
            let n = p.issue.number.unwrap_or_default();
            if p.newly {
                println!(
                    "published magazine issue {id} as No. {n}; {} copies queued (noroshi mail send, or the running hub, sends them)",
                    p.copies
                );
            } else {
                println!("magazine issue {id} was published already as No. {n}; nothing changed");
            }
        }
        MagazineCommand::List => {
            let rows = issue::list(&ctx.db, true, 500)
                .await?
                .into_iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.number.map(|n| n.to_string()).unwrap_or_default(),
                        match i.status {
                            Status::Draft => "draft",
                            Status::Submitted => "submitted",
                            Status::Published => "published",
                        }
                        .to_owned(),
                        issue::week_of(i.period_from),
                        i.items.len().to_string(),
                        i.title,
                    ]
                })
                .collect();
            table(&["id", "no.", "state", "week", "items", "title"], rows);
            let c = subscribers::counts(&ctx.db).await?;
            println!(
                "readers: {} contact addresses ({} opted out), {} staff subscribers ({} awaiting confirmation)",
                c.contacts, c.contacts_opted_out, c.staff_active, c.staff_pending
            );
        }
    }
    Ok(())
}
