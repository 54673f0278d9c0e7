//! `noroshi sources`, `noroshi ingest …` and `noroshi advisories …`: upstream sources and what
//! they brought in.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::output::{count, plural, table};
use crate::config::Settings;
use crate::context::AppContext;
use crate::ingest::catalogue::{Location, SourceDef};
use crate::ingest::fetch::{self, Fetched};
use crate::ingest::parse::Format;
use crate::ingest::parse::manual::ManualNotice;
use crate::ingest::store::{self, AdvisoryFilter};
use crate::ingest::{IngestReport, ingest_document};
use crate::time::format_jst;
use crate::workers::Outcome;

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Import one document now as if source KEY had served it (a saved feed, a CSAF file…).
    File {
        /// The source key from feeds/sources.toml (see `noroshi sources`).
        #[arg(long)]
        source: String,
        /// Read it as this format instead of the source's own (e.g. one `csaf` document for a
        /// `csaf-rolie` source).
        #[arg(long, value_parser = parse_format)]
        format: Option<Format>,
        path: PathBuf,
    },
    /// Import a NISC/NCO notice saved as an .eml file (raw message and attachments are kept).
    Mail {
        path: PathBuf,
        /// The mail source to file it under (default: the first mail source, nco-mail).
        #[arg(long)]
        source: Option<String>,
    },
    /// Enter a notice that arrived on paper or by phone.
    Manual {
        /// Title, as the issuer wrote it.
        #[arg(long)]
        title: String,
        /// The notice text.
        #[arg(long, conflicts_with = "body_file")]
        body: Option<String>,
        /// Read the notice text from a file (UTF-8).
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
        /// Who issued it (e.g. 国家サイバー統括室, ○○県 情報政策課（電話）).
        #[arg(long)]
        issuer: Option<String>,
        /// A link to the original, if there is one.
        #[arg(long)]
        url: Option<String>,
        /// CVE ids it concerns (repeat the option for several).
        #[arg(long = "cve")]
        cves: Vec<String>,
        /// TLP marking: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.
        #[arg(long)]
        tlp: Option<String>,
        /// When it was issued (e.g. 2026-11-16T17:30+09:00); default now.
        #[arg(long)]
        published: Option<String>,
        /// An id to update the same notice later.
        #[arg(long)]
        id: Option<String>,
    },
    /// Poll sources now instead of waiting for their interval.
    Poll {
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// The newest advisories (by last change).
    List {
        /// Only from this source.
        #[arg(long)]
        source: Option<String>,
        /// Only those mentioning this CVE id.
        #[arg(long)]
        cve: Option<String>,
        #[arg(long, default_value_t = 30)]
        limit: u64,
    },
    /// One advisory with its revisions and the advisories it is clustered with.
    Show { id: i64 },
}

fn parse_format(s: &str) -> Result<Format, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        "expected one of jpcert, jvn-rss, vuldef, myjvn-alert, myjvn-json, kev, csaf, csaf-rolie, feed, mail, manual".to_owned()
    })
}

fn source<'a>(ctx: &'a AppContext, key: &str) -> anyhow::Result<&'a SourceDef> {
    ctx.catalogue.get(key).with_context(|| {
        let keys: Vec<&str> = ctx.catalogue.iter().map(|s| s.key.as_str()).collect();
        format!(
            "no source `{key}` in {}; known: {}",
            ctx.catalogue.path.display(),
            keys.join(", ")
        )
    })
}

fn print_report(report: &IngestReport) {
    println!(
        "{}: {} new, {} revised, {} unchanged (raw document sha256 {})",
        plural(report.items as u64, "item", "items"),
        report.counts.new,
        report.counts.revised,
        report.counts.unchanged,
        &report.raw_sha256[..16]
    );
    if !report.follow.is_empty() {
        println!(
            "it lists {} to fetch; `noroshi ingest poll --source …` follows them",
            plural(report.follow.len() as u64, "document", "documents")
        );
    }
}

async fn ingest_path(
    ctx: &AppContext,
    def: &SourceDef,
    format: Format,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let doc = fetch::read_file(path, def.max_bytes).await?;
    let report = ingest_document(&ctx.db, def, format, &doc).await?;
    print_report(&report);
    Ok(())
}

pub async fn run_ingest(cmd: IngestCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        IngestCommand::File {
            source: key,
            format,
            path,
        } => {
            let def = source(&ctx, &key)?;
            ingest_path(&ctx, def, format.unwrap_or(def.format), &path).await
        }
        IngestCommand::Mail { path, source: key } => {
            let def = match key {
                Some(k) => source(&ctx, &k)?,
                None => ctx
                    .catalogue
                    .first_of(Format::Mail)
                    .context("the catalogue has no mail source")?,
            };
            if def.format != Format::Mail {
                anyhow::bail!("source `{}` reads {}, not mail", def.key, def.format);
            }
            ingest_path(&ctx, def, Format::Mail, &path).await
        }
        IngestCommand::Manual {
            title,
            body,
            body_file,
            issuer,
            url,
            cves,
            tlp,
            published,
            id,
        } => {
            let body = match (body, body_file) {
                (Some(b), _) => b,
                (None, Some(f)) => std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
                (None, None) => anyhow::bail!("give the notice text with --body or --body-file"),
            };
            let notice = ManualNotice {
                id,
                title,
                body,
                issuer,
                url,
                cves,
                tlp,
                published: published.or_else(|| Some(chrono::Utc::now().to_rfc3339())),
                entered_by: Some(crate::audit::Actor::cli().to_string()),
            };
            let def = ctx
                .catalogue
                .first_of(Format::Manual)
                .context("the catalogue has no manual source")?;
            let doc = Fetched {
                bytes: serde_json::to_vec_pretty(&notice)?,
                content_type: Some("application/json".into()),
                etag: None,
                last_modified: None,
                origin: "noroshi ingest manual".into(),
            };
            let report = ingest_document(&ctx.db, def, Format::Manual, &doc).await?;
            print_report(&report);
            Ok(())
        }
        IngestCommand::Poll { source: key } => {
            if let Some(k) = &key {
                source(&ctx, k)?;
            }
            let due = store::make_due(&ctx.db, key.as_deref(), chrono::Utc::now()).await?;
            println!("polling {}…", plural(due, "source", "sources"));
            while crate::jobs::poll_source(&ctx).await? == Outcome::Worked {}
            print_sources(&ctx).await
        }
    }
}

pub async fn run_sources(settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    print_sources(&ctx).await
}

async fn print_sources(ctx: &AppContext) -> anyhow::Result<()> {
    let health = store::list_sources(&ctx.db).await?;
    let rows = ctx
        .catalogue
        .iter()
        .map(|def| {
            let h = health.iter().find(|h| h.key == def.key);
            let location = match &def.location {
                Location::Url(u) => u.host_str().unwrap_or("").to_owned(),
                Location::File(p) => format!("file {}", p.display()),
                Location::Maildir(p) => format!("maildir {}", p.display()),
                Location::Manual => "manual".into(),
            };
            let last_ok = h
                .and_then(|h| h.last_success_at)
                .map(|t| format_jst(&t))
                .unwrap_or_else(|| "never".into());
            let state = match h {
                _ if !def.enabled => "disabled".to_owned(),
                Some(h) if h.consecutive_failures > 0 => format!(
                    "FAILING ×{}: {}",
                    h.consecutive_failures,
                    h.last_error.clone().unwrap_or_default()
                ),
                Some(h) => h
                    .last_outcome
                    .clone()
                    .unwrap_or_else(|| "not polled yet".into()),
                None => "not polled yet".into(),
            };
            vec![
                def.key.clone(),
                def.format.to_string(),
                location,
                last_ok,
                h.map(|h| count(h.items_seen.max(0) as u64))
                    .unwrap_or_default(),
                h.map(|h| count(h.items_quarantined.max(0) as u64))
                    .unwrap_or_default(),
                state,
            ]
        })
        .collect();
    table(
        &[
            "source",
            "format",
            "from",
            "last success",
            "items",
            "quarantined",
            "state",
        ],
        rows,
    );
    Ok(())
}

pub async fn run_advisories(cmd: AdvisoriesCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        AdvisoriesCommand::List { source, cve, limit } => {
            let filter = AdvisoryFilter {
                source,
                cve,
                limit,
                offset: 0,
                before_id: None,
            };
            let advisories = store::list(&ctx.db, &filter).await?;
            let ids: Vec<i64> = advisories.iter().map(|a| a.id).collect();
            let classes: std::collections::HashMap<i64, crate::classify::model::Classification> =
                crate::classify::store::get_many(&ctx.db, &ids)
                    .await?
                    .iter()
                    .map(|m| Ok((m.advisory_id, crate::classify::store::to_domain(m)?)))
                    .collect::<anyhow::Result<_>>()?;
            let rows = advisories
                .into_iter()
                .map(|a| {
                    let title: String = a.title.chars().take(50).collect();
                    let (severity, categories, relevance) = match classes.get(&a.id) {
                        Some(c) => (
                            c.severity.label_ja().to_owned(),
                            c.categories
                                .iter()
                                .map(|c| c.label_ja())
                                .collect::<Vec<_>>()
                                .join("・"),
                            c.relevance.label_ja().to_owned(),
                        ),
                        None => ("(未分類)".into(), String::new(), String::new()),
                    };
                    vec![
                        a.id.to_string(),
                        a.source_key,
                        a.published_at.map(|t| format_jst(&t)).unwrap_or_default(),
                        severity,
                        relevance,
                        categories,
                        title,
                    ]
                })
                .collect();
            table(
                &[
                    "id",
                    "source",
                    "published",
                    "severity",
                    "relevance",
                    "categories",
                    "title",
                ],
                rows,
            );
            println!(
                "{} in all",
                plural(store::count(&ctx.db).await?, "advisory", "advisories")
            );
            Ok(())
        }
        AdvisoriesCommand::Show { id } => {
            let a = store::get(&ctx.db, id)
                .await?
                .with_context(|| format!("no advisory {id}"))?;
            println!("advisory    {} (revision {})", a.id, a.revision);
            println!("source      {} / {}", a.source_key, a.upstream_id);
            println!("title       {}", a.title);
            if let Some(u) = &a.url {
                println!("url         {u}");
            }
            println!("kind        {}", a.kind);
            println!(
                "published   {}",
                a.published_at.map(|t| format_jst(&t)).unwrap_or_default()
            );
            println!(
                "updated     {}",
                a.updated_at.map(|t| format_jst(&t)).unwrap_or_default()
            );
            println!("TLP         {}", a.tlp.as_deref().unwrap_or("(none given)"));
            println!("CVE         {}", a.cve_ids);
            println!("CVSS        {}", a.cvss);
            println!("products    {}", a.products);
            if a.withdrawn {
                println!("WITHDRAWN by the source");
            }
            println!("\n{}\n", a.summary_text);
            for r in store::revisions(&ctx.db, a.id).await? {
                println!(
                    "revision {} replaced {} ({})",
                    r.revision,
                    format_jst(&r.recorded_at),
                    r.changed_fields
                );
            }
            for m in store::cluster_members(&ctx.db, &a).await? {
                println!(
                    "same CVE as advisory {} ({} {}): {}",
                    m.id, m.source_key, m.upstream_id, m.title
                );
            }
            for att in store::attachments(&ctx.db, a.id).await? {
                println!(
                    "attachment {} ({}, sha256 {})",
                    att.filename,
                    att.media_type,
                    &att.sha256[..16]
                );
            }
            print_classification(&ctx, a.id).await
        }
    }
}

async fn print_classification(ctx: &AppContext, advisory_id: i64) -> anyhow::Result<()> {
    let Some(m) = crate::classify::store::get(&ctx.db, advisory_id).await? else {
        println!("\nnot classified yet (run `noroshi classify`)");
        return Ok(());
    };
    let c = crate::classify::store::to_domain(&m)?;
    println!(
        "\nclassification (rules {}, {}):",
        m.rules_version,
        format_jst(&m.classified_at)
    );
    let score = c
        .score
        .map(|s| format!(" (CVSS {s:.1})"))
        .unwrap_or_default();
    println!("  severity    {}{score}", c.severity.label_ja());
    let categories: Vec<&str> = c.categories.iter().map(|c| c.label_ja()).collect();
    println!("  categories  {}", categories.join("・"));
    println!(
        "  relevance   {} {}",
        c.relevance.label_ja(),
        c.themes.join("・")
    );
    for p in &c.products {
        println!(
            "  product     {} {}{}{}",
            p.vendor.as_deref().unwrap_or(""),
            p.product.as_deref().unwrap_or(""),
            p.version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            p.cpe
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default()
        );
    }
    println!("  why:");
    for f in &c.explanation {
        println!(
            "    {:<10} {:<28} {}  ← {}",
            f.aspect, f.rule, f.effect, f.evidence
        );
    }
    for change in crate::classify::store::changes_of(&ctx.db, advisory_id).await? {
        println!(
            "  changed {} (rules {}): {}",
            format_jst(&change.recorded_at),
            change.rules_version,
            change.changes
        );
    }
    Ok(())
}
