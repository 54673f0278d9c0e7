//! Inbox pages kept in memory until something they depend on changes ([`super::store::inbox_epoch`]:
//! a new alert revision anywhere, or a new acknowledgement event of the organisation). A view
//! then costs one small aggregate instead of the join and sort over the organisation's alerts;
//! a page can never be stale, since the epoch is read before the rows.

use crate::domain::ids::OrgId;
use std::sync::Arc;

use sea_orm::ConnectionTrait;

use super::store::{InboxEpoch, InboxFilter, InboxRow, inbox, inbox_epoch};
use crate::cache::EpochMap;

/// Pages kept (about 2 KB each); when full, the cache starts over.
pub const PAGES: usize = 4_096;

type Key = (
    OrgId,
    Option<Option<&'static str>>,
    Option<String>,
    u64,
    u64,
);

pub struct InboxCache {
    pages: EpochMap<Key, InboxEpoch, Arc<Vec<InboxRow>>>,
    /// Per organisation: the deadlines of the alerts it has not reported on (今日の確認事項).
    waiting: EpochMap<OrgId, InboxEpoch, Arc<Vec<Option<chrono::DateTime<chrono::Utc>>>>>,
}

impl InboxCache {
    /// Keeps at most `capacity` pages (0: none; every view queries).
    pub fn new(capacity: usize) -> Self {
        Self {
            pages: EpochMap::new(capacity),
            waiting: EpochMap::new(capacity),
        }
    }

    /// The inbox page, from memory when nothing it depends on has changed.
    pub async fn page(
        &self,
        db: &impl ConnectionTrait,
        org_id: OrgId,
        filter: &InboxFilter,
        limit: u64,
        offset: u64,
    ) -> anyhow::Result<Arc<Vec<InboxRow>>> {
        // Searches are rare and read every alert's text; they are not kept.
        if self.pages.capacity() == 0 || !filter.words.is_empty() {
            return Ok(Arc::new(inbox(db, org_id, filter, limit, offset).await?));
        }
        let epoch = inbox_epoch(db, org_id).await?;
        let key: Key = (
            org_id,
            filter.state.map(|s| s.map(|s| s.as_str())),
            filter.severity.clone(),
            limit,
            offset,
        );
        if let Some(rows) = self.pages.get(&key, &epoch) {
            return Ok(rows);
        }
        let rows = Arc::new(inbox(db, org_id, filter, limit, offset).await?);
        self.pages.put(key, epoch, Arc::clone(&rows));
        Ok(rows)
    }

    /// How many alerts the organisation has not reported on, and how many of those are past
    /// their deadline at `now`: the deadlines from memory while nothing changed.
    pub async fn unacknowledged(
        &self,
        db: &impl ConnectionTrait,
        org_id: OrgId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<(usize, usize)> {
        let dues = if self.waiting.capacity() == 0 {
            Arc::new(super::store::unacknowledged(db, org_id).await?)
        } else {
            let epoch = inbox_epoch(db, org_id).await?;
            match self.waiting.get(&org_id, &epoch) {
                Some(d) => d,
                None => {
                    let d = Arc::new(super::store::unacknowledged(db, org_id).await?);
                    self.waiting.put(org_id, epoch, Arc::clone(&d));
                    d
                }
            }
        };
        let late = dues.iter().filter(|d| d.is_some_and(|d| d < now)).count();
        Ok((dues.len(), late))
    }
}
