//! The polling worker: each step claims the most overdue source (a lease, so several hub
//! processes never poll one source at once), fetches it, ingests what it says, and records the
//! source's health and next poll. Upstream failures are recorded, not raised: a broken source never
//! stops the others.

use std::time::Duration;

use chrono::Utc;

use super::catalogue::{Location, SourceDef};
use super::fetch::{self, FetchError, FetchOutcome, Fetched};
use super::ingest_document;
use super::parse::Format;
use super::store::{self, Claim, PollResult, StoreCounts};
use crate::maildir;
use crate::workers::Outcome;

/// How long a claim holds before another process may take the source over.
const LEASE: Duration = Duration::from_secs(15 * 60);
/// Messages read from a Maildir in one poll.
const MAILDIR_BATCH: usize = 100;

/// What polling uses: the hub's shared pieces, cloned (each is a handle) by the job that runs it.
#[derive(Clone)]
pub struct Poller {
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub db: sea_orm::DatabaseConnection,
    pub instance: std::sync::Arc<str>,
    pub catalogue: std::sync::Arc<super::catalogue::Catalogue>,
    pub http: reqwest::Client,
    /// For sources on private addresses (an internal Maildir relay, a LAN mirror).
    pub http_private: reqwest::Client,
    pub metrics: std::sync::Arc<crate::telemetry::Metrics>,
}

/// One unit of work: poll one due source, or report `Idle`.
#[tracing::instrument(name = "Poll a source", skip_all)]
pub async fn try_execute_task(ctx: &Poller) -> anyhow::Result<Outcome> {
    let now = Utc::now();
    let lease_until = now + chrono::Duration::from_std(LEASE)?;
    let Some(claim) = store::claim_due_source(&ctx.db, &ctx.instance, now, lease_until).await?
    else {
        return Ok(Outcome::Idle);
    };
    let (result, retry_after, interval) = match ctx.catalogue.get(&claim.key) {
        Some(def) => {
            let (result, retry_after) = poll(ctx, def, &claim).await;
            (result, retry_after, def.interval)
        }
        None => (
            PollResult::Failed {
                error: "the source is no longer in the catalogue".into(),
            },
            None,
            Duration::from_secs(24 * 3600),
        ),
    };
    let delay = match &result {
        PollResult::Failed { error } => {
            let failures = claim.consecutive_failures + 1;
            let delay = backoff(failures).max(retry_after.unwrap_or_default());
            tracing::warn!(source = %claim.key, failures, retry_in = ?delay, %error, "poll failed");
            delay
        }
        _ => interval,
    };
    let outcome = match &result {
        PollResult::Ingested { .. } => "ingested",
        PollResult::NotModified => "not_modified",
        PollResult::Failed { .. } => "failed",
    };
    ctx.metrics.record_poll(&claim.key, outcome);
    let next = Utc::now() + chrono::Duration::from_std(delay)?;
    store::record_poll(
        &ctx.db,
        &claim.key,
        &ctx.instance,
        &result,
        Utc::now(),
        next,
    )
    .await?;
    Ok(Outcome::Worked)
}

/// After `failures` failures in a row: 1 min, 2, 4, … up to 6 h.
pub fn backoff(failures: i32) -> Duration {
    let exp = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    Duration::from_secs(60u64.saturating_mul(1 << exp)).min(Duration::from_secs(6 * 3600))
}

/// The guarded client, or the one that may reach private addresses for a source that says so.
fn client_for<'a>(ctx: &'a Poller, def: &SourceDef) -> &'a reqwest::Client {
    if def.allow_private_network {
        &ctx.http_private
    } else {
        &ctx.http
    }
}

async fn poll(ctx: &Poller, def: &SourceDef, claim: &Claim) -> (PollResult, Option<Duration>) {
    match def.poll_location(ctx.settings.ingest.offline) {
        Location::Url(url) => {
            if let Err(e) = fetch::check_target(&url, def.allow_private_network) {
                return (failed(e), None);
            }
            let fetched = fetch::fetch_url(
                client_for(ctx, def),
                &url,
                def.max_bytes,
                def.timeout,
                claim.etag.as_deref(),
                claim.last_modified.as_deref(),
            )
            .await;
            match fetched {
                Ok(FetchOutcome::NotModified) => (PollResult::NotModified, None),
                Ok(FetchOutcome::Fetched(doc)) => {
                    (ingest_fetched(ctx, def, def.format, &doc).await, None)
                }
                Err(e) => {
                    let retry = e.retry_after();
                    (failed(e), retry)
                }
            }
        }
        Location::File(path) => match fetch::read_file(&path, def.max_bytes).await {
            Ok(doc) => (ingest_fetched(ctx, def, def.format, &doc).await, None),
            Err(e) => (failed(e), None),
        },
        Location::Maildir(dir) => (poll_maildir(ctx, def, &dir).await, None),
        Location::Manual => (
            PollResult::Ingested {
                items: 0,
                counts: StoreCounts::default(),
                etag: None,
                last_modified: None,
            },
            None,
        ),
    }
}

fn failed(e: FetchError) -> PollResult {
    PollResult::Failed {
        error: e.to_string(),
    }
}

/// Ingests a fetched document, then any documents it points at (ROLIE), up to the source's limit.
async fn ingest_fetched(
    ctx: &Poller,
    def: &SourceDef,
    format: Format,
    doc: &Fetched,
) -> PollResult {
    let report = match ingest_document(&ctx.db, def, format, doc).await {
        Ok(r) => r,
        Err(e) => {
            return PollResult::Failed {
                error: e.to_string(),
            };
        }
    };
    let mut items = report.items;
    let mut counts = report.counts;
    let mut errors = Vec::new();
    if let Some(follow_format) = report.follow_format {
        for link in report.follow.iter().take(def.max_documents) {
            let result = match resolve(&doc.origin, link) {
                Err(e) => PollResult::Failed { error: e },
                Ok(Location::Url(url)) if downgrades(&doc.origin, &url) => PollResult::Failed {
                    error: format!("refused: {url} is plain HTTP, linked from an https document"),
                },
                Ok(Location::Url(url)) => {
                    let fetched = match fetch::check_target(&url, def.allow_private_network) {
                        Ok(()) => {
                            fetch::fetch_url(
                                client_for(ctx, def),
                                &url,
                                def.max_bytes,
                                def.timeout,
                                None,
                                None,
                            )
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    match fetched {
                        Ok(FetchOutcome::Fetched(sub)) => {
                            Box::pin(ingest_fetched(ctx, def, follow_format, &sub)).await
                        }
                        Ok(FetchOutcome::NotModified) => continue,
                        Err(e) => PollResult::Failed {
                            error: e.to_string(),
                        },
                    }
                }
                Ok(Location::File(path)) => match fetch::read_file(&path, def.max_bytes).await {
                    Ok(sub) => Box::pin(ingest_fetched(ctx, def, follow_format, &sub)).await,
                    Err(e) => PollResult::Failed {
                        error: e.to_string(),
                    },
                },
                Ok(_) => continue,
            };
            match result {
                PollResult::Ingested {
                    items: n,
                    counts: c,
                    ..
                } => {
                    items += n;
                    counts.new += c.new;
                    counts.revised += c.revised;
                    counts.unchanged += c.unchanged;
                    counts.quarantined += c.quarantined;
                }
                PollResult::Failed { error } => errors.push(format!("{link}: {error}")),
                PollResult::NotModified => {}
            }
        }
    }
    if let Some(first) = errors.first() {
        return PollResult::Failed {
            error: format!(
                "{} of the linked documents failed; first: {first}",
                errors.len()
            ),
        };
    }
    PollResult::Ingested {
        items,
        counts,
        etag: doc.etag.clone(),
        last_modified: doc.last_modified.clone(),
    }
}

/// Whether following `link` from a document read at `origin` would go from https to http.
fn downgrades(origin: &str, link: &url::Url) -> bool {
    url::Url::parse(origin).is_ok_and(|o| o.scheme() == "https") && link.scheme() != "https"
}

/// Resolves a link found in a document against where the document came from: a URL for fetched
/// documents, a sibling file for local ones (an offline mirror of a ROLIE feed). A file document
/// may not point at a file outside its own folder.
fn resolve(origin: &str, link: &str) -> Result<Location, String> {
    if let Ok(base) = url::Url::parse(origin)
        && matches!(base.scheme(), "http" | "https")
    {
        let url = base.join(link).map_err(|e| format!("not a URL: {e}"))?;
        return match url.scheme() {
            "http" | "https" => Ok(Location::Url(url)),
            other => Err(format!("links must be http or https, not {other}")),
        };
    }
    if let Ok(url) = url::Url::parse(link) {
        return match url.scheme() {
            "http" | "https" => Ok(Location::Url(url)),
            other => Err(format!("links must be http or https, not {other}")),
        };
    }
    let relative = std::path::Path::new(link);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err("a local document may only link to files beside it".into());
    }
    let dir = std::path::Path::new(origin)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    Ok(Location::File(dir.join(relative)))
}

async fn poll_maildir(ctx: &Poller, def: &SourceDef, dir: &std::path::Path) -> PollResult {
    let waiting = maildir::ensure(dir).and_then(|()| maildir::pending(dir, MAILDIR_BATCH));
    let waiting = match waiting {
        Ok(w) => w,
        Err(e) => {
            return PollResult::Failed {
                error: format!("cannot read the Maildir {}: {e}", dir.display()),
            };
        }
    };
    let mut counts = StoreCounts::default();
    let mut errors = Vec::new();
    for path in &waiting {
        let result = match fetch::read_file(path, def.max_bytes).await {
            Ok(doc) => ingest_document(&ctx.db, def, Format::Mail, &doc)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let refused = match result {
            Ok(report) => {
                counts.new += report.counts.new;
                counts.revised += report.counts.revised;
                counts.unchanged += report.counts.unchanged;
                false
            }
            Err(e) => {
                errors.push(format!(
                    "{}: {e}",
                    path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
                ));
                true
            }
        };
        if let Err(e) = maildir::finish(dir, path, refused) {
            errors.push(format!("cannot move {}: {e}", path.display()));
        }
    }
    if let Some(first) = errors.first() {
        return PollResult::Failed {
            error: format!(
                "{} of {} messages refused; first: {first}",
                errors.len(),
                waiting.len()
            ),
        };
    }
    PollResult::Ingested {
        items: waiting.len(),
        counts,
        etag: None,
        last_modified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_from_an_https_document_to_plain_http_is_a_downgrade() {
        let url = |s: &str| url::Url::parse(s).unwrap_or_else(|_| unreachable!());
        assert!(downgrades(
            "https://psirt.example/csaf/feed.json",
            &url("http://psirt.example/csaf/a.json")
        ));
        assert!(!downgrades(
            "https://psirt.example/csaf/feed.json",
            &url("https://cdn.example/a.json")
        ));
        assert!(!downgrades(
            "http://mirror.example/feed.json",
            &url("http://mirror.example/a.json")
        ));
    }

    #[test]
    fn links_resolve_against_their_document() {
        assert_eq!(
            resolve("https://psirt.example/csaf/feed.json", "2026/a.json"),
            Ok(Location::Url(
                url::Url::parse("https://psirt.example/csaf/2026/a.json")
                    .unwrap_or_else(|_| unreachable!())
            ))
        );
        assert_eq!(
            resolve("feeds/samples/csaf_rolie.json", "csaf_advisory.json"),
            Ok(Location::File("feeds/samples/csaf_advisory.json".into()))
        );
        assert!(resolve("feeds/samples/csaf_rolie.json", "../../etc/passwd").is_err());
        assert!(resolve("feeds/samples/csaf_rolie.json", "/etc/passwd").is_err());
        assert!(resolve("https://psirt.example/feed.json", "file:///etc/passwd").is_err());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(240));
        assert_eq!(backoff(40), Duration::from_secs(6 * 3600));
    }
}
