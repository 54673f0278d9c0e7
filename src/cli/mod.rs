//! The `noroshi` command line: argument definitions and dispatch. Each command group lives in
//! its own file and calls capability functions; nothing here touches the database directly.

pub mod backup;
mod cases;
mod classify;
mod demo;
mod demo_inquiries;
mod demo_reports;
mod demo_surveys;
mod drills;
mod ingest;
mod magazine;
mod org;
pub mod output;
mod publish;
mod surveys;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{ProcessRoles, Settings};
use crate::context::AppContext;
use crate::startup::Application;

/// Noroshi (狼煙): the advisory distribution hub for Japanese local governments (自治体CEPTOAR).
///
/// Settings come from compiled defaults, then the TOML file given by --config (or the
/// NOROSHI_CONFIG variable), then NOROSHI__SECTION__KEY environment variables, e.g.
/// NOROSHI__SERVER__PORT=8081. `noroshi config show` prints what is in force.
#[derive(Debug, Parser)]
#[command(name = "noroshi", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Settings file (TOML). See docker/noroshi.example.toml for every key.
    #[arg(long, global = true, value_name = "FILE", env = "NOROSHI_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub: the web portal, API and feeds, and the background workers.
    Serve(ServeArgs),
    /// Run the hub on a throw-away data directory with the registry, demo users (passwords
    /// printed once) and demo content. Open http://localhost:8080 afterwards.
    Demo(demo::DemoArgs),
    /// Apply pending database migrations (or list them with --status).
    Migrate {
        /// Only list migrations and whether each is applied.
        #[arg(long)]
        status: bool,
    },
    /// The organisation registry: local governments and central bodies.
    #[command(subcommand)]
    Org(org::OrgCommand),
    /// Users of the portal and their roles.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Upstream sources and their health (last success, last error, failures, items seen).
    Sources,
    /// Bring advisories in now: a saved document, a notice mail, a hand-entered notice, a poll.
    #[command(subcommand)]
    Ingest(ingest::IngestCommand),
    /// Advisories that ingest brought in.
    #[command(subcommand)]
    Advisories(ingest::AdvisoriesCommand),
    /// Classify advisories that need it (new, changed, or made under older rules), apply the
    /// draft policy, and report what changed. --all redoes every advisory (after editing rules).
    Classify {
        #[arg(long)]
        all: bool,
    },
    /// Products each organisation runs (for matching advisories and audiences).
    #[command(subcommand)]
    Inventory(classify::InventoryCommand),
    /// Alerts: drafts and their audiences, four-eyes publication, revisions, withdrawal.
    #[command(subcommand)]
    Alerts(classify::AlertsCommand),
    /// The mail addresses each organisation receives alerts at.
    #[command(subcommand, alias = "contacts")]
    Contact(publish::ContactCommand),
    /// 連絡体制の確認訓練: drills from a scenario, and their 疎通確認 report.
    #[command(subcommand)]
    Drills(drills::DrillsCommand),
    /// 調査・点検: surveys from a template, their four eyes and their results.
    #[command(subcommand)]
    Surveys(surveys::SurveysCommand),
    /// メールマガジン: compose a week's issue, its four eyes, the issues and their readers.
    #[command(subcommand)]
    Magazine(magazine::MagazineCommand),
    /// Mail that came back: bounces, auto-replies and replies in the inbound Maildir.
    #[command(subcommand)]
    Inbound(drills::InboundCommand),
    /// The delivery ledger of one alert: every recipient and what happened to its message.
    Deliveries(publish::DeliveriesArgs),
    /// Outgoing mail.
    #[command(subcommand)]
    Mail(publish::MailCommand),
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Settings in force.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Benchmarks that print their figures (build with --release).
    #[command(subcommand)]
    #[cfg(feature = "bench")]
    Bench(BenchCommand),
    /// The incident-case library (事故事例・取組事例).
    #[command(subcommand)]
    Cases(cases::CasesCommand),
    /// Rebuild the case library's search index from the database (after deleting the index
    /// folder, changing engine, or upgrading), with a progress bar.
    Reindex,
    /// Print the API's OpenAPI 3 document (the one served at /api/v1/openapi.json).
    Openapi,
    /// Copy the running hub into a new folder: the SQLite database at one consistent moment
    /// (on PostgreSQL, use pg_dump for the database), keys, audit checkpoints, inbound mail,
    /// with a manifest of checksums and row counts.
    Backup {
        /// A new (or empty) folder.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup back into an empty data directory: every file checked against the
    /// manifest first (a partial or changed backup is refused and nothing is written), the
    /// database migrated to this release and its counts checked, the search index rebuilt.
    Restore {
        /// The backup's folder (with manifest.json).
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

#[cfg(feature = "bench")]
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Parse, normalise and store a generated JVN iPedia-style feed on a throw-away SQLite
    /// database; prints items/s for parsing alone and for the whole path.
    Ingest {
        #[arg(long, default_value_t = 20_000)]
        items: usize,
    },
    /// Classify generated advisories with the shipped rules; prints advisories/s.
    Classify {
        #[arg(long, default_value_t = 20_000)]
        advisories: usize,
    },
    /// Publish one alert to N recipients over all local governments and send it into a
    /// loopback SMTP sink (postfix's smtp-sink when installed); prints messages/s and the time
    /// from approval to the last ledger row, with and without DKIM.
    Fanout {
        #[arg(long, default_value_t = 10_000)]
        recipients: usize,
        /// SMTP connections per mail lane.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Send to the in-process sink even when postfix's smtp-sink is installed.
        #[arg(long)]
        in_process_sink: bool,
        /// A PostgreSQL server (postgres://user@host:port/db) to run on instead of SQLite: each
        /// run creates a database of its own there and drops it afterwards.
        #[arg(long)]
        database_url: Option<String>,
        /// Instead: this many real `serve --roles workers` processes share the fan-out (needs
        /// --database-url), and one is killed with SIGKILL --kill-one-after seconds after
        /// approval; prints in flight at the kill, recipients sent twice (from the sink's own
        /// record), missing, marked, and how long after the kill the last row settled.
        #[arg(long, requires = "database_url")]
        processes: Option<usize>,
        #[arg(long, default_value_t = 1.0, requires = "processes")]
        kill_one_after: f64,
    },
    /// Index N generated cases with the embedded search engine and run queries with facet
    /// counts; prints cases/s and p50 / p95 / p99 query latency.
    Search {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
    },
    /// Load 千代田区's token feed (its newest 500 alerts, RSS and JSON Feed) with `wrk`
    /// (apt-get install wrk): conditional GETs (304), full answers from the render cache, and
    /// full answers rendered every time; prints requests/s and latency.
    Feeds {
        /// Alerts in the database (about 2.8 % of them reach 千代田区).
        #[arg(long, default_value_t = 20_000)]
        alerts: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds of load per run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The 疎通確認 report of a national drill over HTTP (page and CSV) and the inbound
    /// worker's throughput, on SQLite or (with --database-url) PostgreSQL.
    Drill {
        /// Requests per page.
        #[arg(long, default_value_t = 30)]
        requests: usize,
        /// Returned messages to read (half DSNs, half replies).
        #[arg(long, default_value_t = 10_000)]
        inbound: usize,
        /// A PostgreSQL server (postgres://user@host:port/db): the run creates and drops its own
        /// database there.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// One メールマガジン issue to N self-subscribed readers, DKIM-signed, into postfix's
    /// smtp-sink: approval to the last ledger row, ledger rows/s, resident memory.
    Magazine {
        #[arg(long, default_value_t = 10_000)]
        subscribers: usize,
        /// A PostgreSQL server (postgres://user@host:port/db): the run creates and drops its own
        /// database there.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The results of a 50-item survey answered by all 1,788 local governments: computed, and
    /// the page and CSV over HTTP, on SQLite or (with --database-url) PostgreSQL.
    Surveys {
        /// Runs (and requests per page).
        #[arg(long, default_value_t = 20)]
        requests: usize,
        /// A PostgreSQL server (postgres://user@host:port/db): the run creates and drops its own
        /// database there.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Load the inbox and an alert page with `wrk` (apt-get install wrk) over the real HTTP
    /// server, with all 1,788 local governments and N alerts; prints median / p90 / p99 latency
    /// and requests/s.
    Portal {
        #[arg(long, default_value_t = 10_000)]
        alerts: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds of load per page.
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which parts to run in this process: web, workers, or web,workers.
    #[arg(long, value_name = "ROLES", value_parser = ProcessRoles::parse)]
    pub roles: Option<ProcessRoles>,
    /// Do not apply pending migrations at start-up (run `noroshi migrate` yourself).
    #[arg(long)]
    pub no_migrate: bool,
    /// Interface to listen on (overrides server.host).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on (overrides server.port).
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash of the audit log, compare the log with the latest checkpoint
    /// outside the database, and say whether both hold.
    Verify,
    /// Write the head of the chain as a signed checkpoint outside the database now (the hub
    /// writes one a day by itself).
    Checkpoint,
    /// Show the newest entries.
    List {
        /// How many entries.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// Only entries about this target, e.g. user:3.
        #[arg(long)]
        target: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the settings in force as TOML, secrets redacted.
    Show,
    /// Check the settings and say whether they are valid.
    Check,
}

/// Runs the parsed command line.
/// The portal user a command acts for (`--as EMAIL`): one that exists and is not disabled.
async fn acting_user(
    ctx: &AppContext,
    email: &crate::domain::EmailAddress,
) -> anyhow::Result<crate::auth::User> {
    let user = crate::auth::store::find_by_email(&ctx.db, email)
        .await?
        .with_context(|| format!("no user has the address {email}"))?;
    anyhow::ensure!(!user.disabled, "{email} is disabled");
    Ok(user)
}

pub async fn run(cli: Cli) -> ExitCode {
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Demo(_));
    crate::telemetry::init(&settings.log, !long_running);
    match dispatch(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command, mut settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            if let Some(roles) = args.roles {
                settings.app.roles = roles;
            }
            if args.no_migrate {
                settings.database.migrate_on_start = false;
            }
            if let Some(host) = args.host {
                settings.server.host = host;
            }
            if let Some(port) = args.port {
                settings.server.port = port;
            }
            let app = Application::build(settings).await?;
            if let Some(port) = app.port() {
                let host = &app.context().settings.server.host;
                println!("Noroshi is listening on http://{host}:{port}/");
            }
            app.run_until_stopped().await
        }
        Command::Demo(args) => demo::run(args, settings).await,
        Command::Migrate { status } => migrate(settings, status).await,
        Command::Org(cmd) => org::run(cmd, settings).await,
        Command::User(cmd) => user::run(cmd, settings).await,
        Command::Sources => ingest::run_sources(settings).await,
        Command::Ingest(cmd) => ingest::run_ingest(cmd, settings).await,
        Command::Advisories(cmd) => ingest::run_advisories(cmd, settings).await,
        Command::Classify { all } => classify::run_classify(all, settings).await,
        Command::Inventory(cmd) => classify::run_inventory(cmd, settings).await,
        Command::Alerts(cmd) => classify::run_alerts(cmd, settings).await,
        Command::Contact(cmd) => publish::run_contact(cmd, settings).await,
        Command::Drills(cmd) => drills::run(cmd, settings).await,
        Command::Surveys(cmd) => surveys::run(cmd, settings).await,
        Command::Magazine(cmd) => magazine::run(cmd, settings).await,
        Command::Inbound(cmd) => drills::run_inbound(cmd, settings).await,
        Command::Deliveries(args) => publish::run_deliveries(args, settings).await,
        Command::Mail(cmd) => publish::run_mail(cmd, settings).await,
        Command::Audit(cmd) => audit(cmd, settings).await,
        #[cfg(feature = "bench")]
        Command::Bench(cmd) => run_bench(cmd, settings).await,
        Command::Cases(cmd) => cases::run(cmd, settings).await,
        Command::Reindex => cases::reindex(settings).await,
        Command::Backup { to } => {
            let ctx = AppContext::connect(settings).await?;
            let m = backup::take(&ctx, &to).await?;
            println!(
                "backup written to {}: {} files, database {} ({}), {} audit entries, {} alerts",
                to.display(),
                m.files.len(),
                m.database,
                if m.database == "sqlite" {
                    "included"
                } else {
                    "not included: copy it with pg_dump -Fc"
                },
                m.rows.get("audit_log").copied().unwrap_or(0),
                m.rows.get("alerts").copied().unwrap_or(0),
            );
            Ok(())
        }
        Command::Restore { from } => {
            let r = backup::restore(settings, &from).await?;
            println!(
                "restored {} files from {} (taken {} by noroshi {}); row counts match; {} cases indexed. Run `noroshi audit verify` to check the audit chain.",
                r.files,
                from.display(),
                crate::time::format_jst(&r.manifest.created_at),
                r.manifest.noroshi,
                r.cases_indexed
            );
            Ok(())
        }
        Command::Openapi => {
            print!("{}", crate::api::openapi_document()?);
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => {
            print!("{}", settings.to_redacted_toml());
            Ok(())
        }
        Command::Config(ConfigCommand::Check) => {
            println!("settings are valid");
            Ok(())
        }
    }
}

/// `noroshi bench …` (built with the `bench` feature, on by default; release images leave it out).
#[cfg(feature = "bench")]
async fn run_bench(cmd: BenchCommand, settings: Settings) -> anyhow::Result<()> {
    println!("{}", crate::bench::machine());
    match cmd {
        BenchCommand::Ingest { items } => crate::bench::ingest::run(items, settings).await,
        BenchCommand::Fanout {
            recipients,
            connections,
            database_url,
            processes: Some(processes),
            kill_one_after,
            ..
        } => {
            crate::bench::takeover::run(
                recipients,
                connections,
                processes,
                kill_one_after,
                database_url.as_deref().unwrap_or_default(),
                &settings,
            )
            .await
        }
        BenchCommand::Fanout {
            recipients,
            connections,
            in_process_sink,
            database_url,
            processes: None,
            ..
        } => {
            crate::bench::fanout::run(
                recipients,
                connections,
                in_process_sink,
                database_url.as_deref(),
                &settings,
            )
            .await
        }
        BenchCommand::Portal {
            alerts,
            clients,
            seconds,
        } => crate::bench::portal::run(alerts, clients, seconds, &settings).await,
        BenchCommand::Drill {
            requests,
            inbound,
            database_url,
        } => crate::bench::drill::run(requests, inbound, database_url.as_deref(), &settings).await,
        BenchCommand::Surveys {
            requests,
            database_url,
        } => crate::bench::surveys::run(requests, database_url.as_deref(), &settings).await,
        BenchCommand::Magazine {
            subscribers,
            database_url,
        } => crate::bench::magazine::run(subscribers, database_url.as_deref(), &settings).await,
        BenchCommand::Search { cases, queries } => crate::bench::search::run(cases, queries),
        BenchCommand::Feeds {
            alerts,
            clients,
            seconds,
        } => crate::bench::feeds::run(alerts, clients, seconds, &settings).await,
        BenchCommand::Classify { advisories } => crate::bench::classify::run(advisories, &settings),
    }
}

async fn migrate(settings: Settings, status_only: bool) -> anyhow::Result<()> {
    let db = crate::db::connect(&settings).await?;
    if status_only {
        for (name, applied) in crate::db::migration_status(&db).await? {
            println!("{}  {name}", if applied { "applied" } else { "pending" });
        }
        return Ok(());
    }
    let applied = crate::db::migrate(&db).await?;
    println!("{applied} migration(s) applied; the schema is current");
    Ok(())
}

async fn audit_verify(
    ctx: &AppContext,
    anchor: &crate::audit::anchor::Anchor,
) -> anyhow::Result<()> {
    use crate::audit::anchor::AnchorCheck;
    match crate::audit::anchor::verify_anchored(&ctx.db, anchor).await? {
        crate::audit::ChainCheck::Intact { entries } => {
            println!(
                "the audit log is intact: {}",
                output::plural(entries, "entry", "entries")
            );
            match anchor.check(&ctx.db).await? {
                AnchorCheck::Holds { seq, at } => println!(
                    "and matches the latest checkpoint (entry {seq}, {}) in {}",
                    crate::time::format_jst(&at),
                    anchor.file().display()
                ),
                _ => println!(
                    "no checkpoint yet in {} (`noroshi audit checkpoint` writes one)",
                    anchor.file().display()
                ),
            }
            Ok(())
        }
        crate::audit::ChainCheck::Broken { seq, reason } => {
            anyhow::bail!("the audit log is broken at entry {seq}: {reason}")
        }
    }
}

async fn audit(cmd: AuditCommand, settings: Settings) -> anyhow::Result<()> {
    let ctx = AppContext::connect(settings).await?;
    match cmd {
        AuditCommand::Verify => {
            let anchor = crate::audit::anchor::Anchor::open(&ctx.settings.app.data_dir)?;
            audit_verify(&ctx, &anchor).await
        }
        AuditCommand::Checkpoint => {
            let anchor = crate::audit::anchor::Anchor::open(&ctx.settings.app.data_dir)?;
            match anchor.write(&ctx.db).await? {
                Some(c) => println!(
                    "checkpoint written to {}: entry {} ({})",
                    anchor.file().display(),
                    c.seq,
                    c.hash
                ),
                None => println!("the audit log is empty: nothing to checkpoint"),
            }
            Ok(())
        }
        AuditCommand::List { limit, target } => {
            let entries = crate::audit::recent(&ctx.db, target.as_deref(), limit).await?;
            let rows = entries
                .into_iter()
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        crate::time::format_jst(&e.at),
                        e.actor,
                        e.action,
                        e.target,
                        e.detail,
                    ]
                })
                .collect();
            output::table(
                &["seq", "at (JST)", "actor", "action", "target", "detail"],
                rows,
            );
            Ok(())
        }
    }
}
