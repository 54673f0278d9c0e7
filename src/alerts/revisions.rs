//! An alert's published revisions (第1報, 第2報 …), oldest first, kept per alert at its
//! `published_revision`: revisions are only ever added, and each one raises that number in the
//! same transaction, so a list read at a number never goes stale.

use std::sync::Arc;

use sea_orm::ConnectionTrait;

use super::{Alert, AlertId, Revision};

/// Revisions by alert, read at its `published_revision`.
pub type RevisionCache = crate::cache::EpochMap<AlertId, i32, Arc<Vec<Revision>>>;

/// Alerts whose revisions are kept before a cache starts over.
pub const CACHED_ALERTS: usize = 2_048;

/// The alert's published revisions, oldest first; from `cache` when it holds them at the
/// alert's number.
pub async fn published(
    db: &impl ConnectionTrait,
    cache: Option<&RevisionCache>,
    alert: &Alert,
) -> anyhow::Result<Arc<Vec<Revision>>> {
    if let Some(kept) = cache.and_then(|c| c.get(&alert.id, &alert.published_revision)) {
        return Ok(kept);
    }
    let read = Arc::new(super::store::revisions(db, alert.id).await?);
    // Kept only when complete: a revision published since the alert row was read is not yet
    // in `alert`, and a list that already has it would be kept under the older number.
    if let Some(cache) = cache
        && read.last().map(|r| r.number) == Some(alert.published_revision)
    {
        cache.put(alert.id, alert.published_revision, Arc::clone(&read));
    }
    Ok(read)
}
