//! The portal's own state: page caches no other edge uses, registered as its own `app_data`
//! (not in the shared `AppContext`, which names no edge's types).

use crate::domain::ids::AlertId;

use super::cases::CaseRow;
use super::i18n::Lang;

/// "Related cases" of alert pages, kept per alert revision, reader and language until any case
/// changes (the library's epoch), so an alert page does not search on every view.
pub type RelatedCache = crate::cache::EpochMap<RelatedKey, (i64, i64), Vec<CaseRow>>;

/// Alert, revision number, the reader's access keys, language.
pub type RelatedKey = (AlertId, i32, String, Lang);

/// Entries kept before the cache starts over.
pub const RELATED_ENTRIES: usize = 4_096;

/// The portal's caches, one per process, shared by its HTTP worker threads.
pub struct PortalState {
    /// Related cases of alert pages, kept until the case library changes.
    pub related_cases: RelatedCache,
    /// Published revisions by alert, kept until the alert publishes another (they never change).
    pub alert_revisions: crate::alerts::revisions::RevisionCache,
    /// Inbox pages by organisation, kept until an alert or the organisation's state changes.
    pub inbox: crate::acks::inbox_cache::InboxCache,
    /// Posts of the public subscription form: per client address and for everybody.
    pub subscribe_limit: crate::web::limit::Limiter,
}

/// The public subscription form: 5 at once and 5 an hour from one address; 30 at once and
/// 120 an hour from everybody together (a municipality's staff subscribing after an
/// announcement fit; a flood does not).
pub fn subscribe_limiter() -> crate::web::limit::Limiter {
    use crate::web::limit::{Limiter, Rate};
    Limiter::new(
        Rate {
            burst: 5.0,
            per_minute: 5.0 / 60.0,
        },
        Rate {
            burst: 30.0,
            per_minute: 2.0,
        },
    )
}

impl PortalState {
    pub fn new() -> Self {
        Self {
            related_cases: crate::cache::EpochMap::new(RELATED_ENTRIES),
            alert_revisions: crate::cache::EpochMap::new(crate::alerts::revisions::CACHED_ALERTS),
            inbox: crate::acks::inbox_cache::InboxCache::new(crate::acks::inbox_cache::PAGES),
            subscribe_limit: subscribe_limiter(),
        }
    }
}

impl Default for PortalState {
    fn default() -> Self {
        Self::new()
    }
}
