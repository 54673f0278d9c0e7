//! `noroshi cases …` and `noroshi reindex`: the case library from the command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;

use super::output::{count, table};
use crate::audit::Actor;
use crate::cases::{Status, seed, store};
use crate::config::Settings;
use crate::context::AppContext;

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Load a case library file (TOML, `[[case]]` tables; see data/cases/library.toml) as
    /// published cases. Every case is checked first: one bad case and nothing is stored.
    /// Without a file, the library shipped with Noroshi is loaded.
    Load { file: Option<PathBuf> },
    /// List cases, newest change first.
    List {
        /// submitted, reviewing, published or withdrawn.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

pub async fn run(cmd: CasesCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        CasesCommand::Load { file } => {
            let text = match &file {
                Some(path) => {
                    let meta = std::fs::metadata(path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    anyhow::ensure!(
                        meta.len() <= seed::MAX_FILE as u64,
                        "{} is {} bytes; at most {} are read",
                        path.display(),
                        meta.len(),
                        seed::MAX_FILE
                    );
                    std::fs::read_to_string(path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
                }
                None => seed::LIBRARY.to_owned(),
            };
            let cases = seed::parse(&text, crate::time::today_jst())?;
            let n = seed::load(&ctx.db, &cases, &Actor::cli()).await?;
            let indexed = crate::cases::outbox::drain(&ctx.db, &ctx.search).await?;
            println!(
                "loaded {} published cases; {} written to the {} search index",
                count(n as u64),
                count(indexed as u64),
                ctx.search.engine()
            );
        }
        CasesCommand::List { status, limit } => {
            let statuses = match status.as_deref() {
                None => Vec::new(),
                Some(s) => vec![Status::from_code(s).ok_or_else(|| {
                    anyhow::anyhow!(
                        "`{s}` is not a status: expected submitted, reviewing, published or withdrawn"
                    )
                })?],
            };
            let cases = store::list(&ctx.db, &statuses, None, limit.clamp(1, 10_000)).await?;
            table(
                &["id", "kind", "status", "rev", "tlp", "title"],
                cases
                    .into_iter()
                    .map(|c| {
                        vec![
                            c.id.to_string(),
                            c.fields.kind.label_ja().into(),
                            c.status.label_ja().into(),
                            c.revision.to_string(),
                            c.fields.tlp.as_str().into(),
                            c.fields.title,
                        ]
                    })
                    .collect(),
            );
        }
    }
    Ok(())
}

/// `noroshi reindex`: rebuild the search index from the database with a progress bar.
pub async fn reindex(settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last_tenth = u64::MAX;
    let mut progress = move |done: u64, total: u64| {
        let width = 30u64;
        let filled = (done * width)
            .checked_div(total)
            .unwrap_or(width)
            .min(width);
        let bar = format!(
            "[{}{}] {} / {} cases",
            "#".repeat(filled as usize),
            ".".repeat((width - filled) as usize),
            count(done),
            count(total)
        );
        let mut err = std::io::stderr();
        if tty {
            let _ = write!(err, "\r{bar}");
            let _ = err.flush();
        } else {
            // Not a terminal (a log): a line per tenth.
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            if tenth != last_tenth {
                last_tenth = tenth;
                let _ = writeln!(err, "{bar}");
            }
        }
    };
    let n = crate::cases::outbox::rebuild(&ctx.db, &ctx.search, &mut progress).await?;
    if tty {
        eprintln!();
    }
    println!(
        "reindexed {} published cases into the {} search index in {:.1} s",
        count(n),
        ctx.search.engine(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
