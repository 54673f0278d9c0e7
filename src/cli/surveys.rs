//! `noroshi surveys …`: 調査・点検 from the command line — load a template as a draft, hand it
//! to an approver, publish it, list the surveys and print (or write as CSV) the results.

use anyhow::Context;
use clap::Subcommand;

use super::output::{count, table};
use crate::config::Settings;
use crate::context::AppContext;
use crate::surveys::definition::Definition;
use crate::surveys::publish::{self, Draft};
use crate::surveys::results::{self, Scope};
use crate::surveys::score::percent;
use crate::surveys::{SurveyId, store};

#[derive(Debug, Subcommand)]
pub enum SurveysCommand {
    /// Draft a survey from a template (TOML; see data/surveys/). Then `submit` and `approve`.
    Load {
        /// The template.
        file: std::path::PathBuf,
        /// Audience selectors: all, prefectures, pref:13, pref:13+, org:131016. Repeat for more.
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// The deadline, JST: `2026-12-20 17:00`.
        #[arg(long)]
        deadline: String,
        /// The first round, when this is the second (results show both).
        #[arg(long)]
        previous: Option<i64>,
        /// Who writes it: a central operator, or a prefecture's staff (for its municipalities).
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        author: crate::domain::EmailAddress,
    },
    /// Hand a draft to an approver.
    Submit {
        id: i64,
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        user: crate::domain::EmailAddress,
    },
    /// Publish a submitted survey (someone other than its writer and submitter).
    Approve {
        id: i64,
        #[arg(long = "as", value_name = "EMAIL", value_parser = crate::domain::EmailAddress::parse)]
        user: crate::domain::EmailAddress,
    },
    /// Every survey with its 把握率.
    List,
    /// The results: the whole, by 区分 and by prefecture.
    Results {
        id: i64,
        /// Also write the per-organisation CSV (Excel-ready) to this file.
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
}

pub async fn run(cmd: SurveysCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        SurveysCommand::Load {
            file,
            to,
            deadline,
            previous,
            author,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let definition =
                Definition::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let now = chrono::Utc::now();
            let deadline = publish::parse_deadline(&deadline, now).map_err(anyhow::Error::msg)?;
            let writer = super::acting_user(&ctx, &author).await?;
            let org = crate::registry::store::find_by_id(&ctx.db, writer.org_id)
                .await?
                .context("the user's organisation is missing")?;
            let owner = (org.kind == crate::registry::OrgKind::Prefecture).then_some(&org);
            let items = definition.items().count();
            let id = publish::create(
                &ctx.db,
                &ctx.rules,
                Draft {
                    definition,
                    audience: to,
                    deadline,
                    previous: previous.map(SurveyId),
                },
                &writer,
                owner,
                now,
            )
            .await?;
            println!(
                "drafted survey {id} ({items} items)\nnext: noroshi surveys submit {id} --as WRITER, then noroshi surveys approve {id} --as APPROVER"
            );
        }
        SurveysCommand::Submit { id, user: email } => {
            let u = super::acting_user(&ctx, &email).await?;
            publish::submit(&ctx.db, SurveyId(id), &u).await?;
            println!("survey {id} submitted: an approver publishes it");
        }
        SurveysCommand::Approve { id, user: email } => {
            let u = super::acting_user(&ctx, &email).await?;
            let n = publish::approve(
                &ctx.db,
                &ctx.rules,
                ctx.settings.app.base_url.as_str(),
                SurveyId(id),
                &u,
            )
            .await?;
            println!("survey {id} published to {} organisations", count(n as u64));
        }
        SurveysCommand::List => {
            let mut rows = Vec::new();
            for s in store::all(&ctx.db).await? {
                let (addressed, answered) = match s.status {
                    crate::surveys::Status::Published => {
                        let r = results::build(&ctx.db, &s, Scope::All, None).await?;
                        (
                            count(r.total.addressed),
                            format!(
                                "{} ({})",
                                count(r.total.answered),
                                r.total.coverage().percent()
                            ),
                        )
                    }
                    _ => Default::default(),
                };
                rows.push(vec![
                    s.id.to_string(),
                    s.title.chars().take(40).collect(),
                    s.status.as_str().into(),
                    crate::time::format_jst(&s.deadline),
                    addressed,
                    answered,
                ]);
            }
            table(
                &[
                    "id",
                    "title",
                    "status",
                    "deadline",
                    "addressed",
                    "answered (把握率)",
                ],
                rows,
            );
        }
        SurveysCommand::Results { id, csv } => {
            let s = store::get(&ctx.db, SurveyId(id))
                .await?
                .with_context(|| format!("no survey {id}"))?;
            anyhow::ensure!(
                s.status == crate::surveys::Status::Published,
                "survey {id} is not published"
            );
            let r = results::build(&ctx.db, &s, Scope::All, None).await?;
            let mut rows = Vec::new();
            for g in std::iter::once(&r.total)
                .chain(&r.by_class)
                .chain(&r.by_prefecture)
            {
                rows.push(vec![
                    g.label.clone(),
                    count(g.addressed),
                    count(g.answered),
                    g.coverage().percent(),
                    percent(g.score.overall),
                    g.score.grade().map_or("", |g| g.as_str()).into(),
                    results::grades_line(g),
                ]);
            }
            table(
                &[
                    "group",
                    "addressed",
                    "answered",
                    "把握率",
                    "総合評価",
                    "評価",
                    "grades",
                ],
                rows,
            );
            if let Some(path) = csv {
                crate::files::write_replacing(&path, results::csv(&s, &r).as_bytes(), 0o644)?;
                println!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}
