//! Feeds out: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of published alerts, and CAP 1.2 per alert.
//! The public feed carries TLP:CLEAR alerts that are not drills; an organisation's token feeds
//! carry what is addressed to it (drills included and marked); a prefecture's prefecture feed
//! also what is addressed to its municipalities. Every answer has an `ETag` computed from the same
//! rows as its entries, so a conditional GET costs one aggregate query and a `304`.

pub mod cap;
pub mod http;
pub mod render;
pub mod store;

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

/// Rendered feeds by ETag. The ETag names the exact rows a feed holds (and its scope, filters and
/// format), so an entry can never be stale: a changed feed has a new ETag. Bounded; when full it
/// starts again empty, which costs one render per feed.
pub struct RenderCache {
    /// Feeds kept rendered (0: none, and no fingerprints kept either).
    capacity: usize,
    entries: Mutex<HashMap<String, Bytes>>,
    /// Fingerprints by scope and filter, with the epoch they were computed at.
    prints: crate::cache::EpochMap<String, store::Epoch, store::Fingerprint>,
}

/// Bytes kept rendered.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

impl RenderCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::default(),
            prints: crate::cache::EpochMap::new(capacity * 16),
        }
    }

    /// The fingerprint of `key` if it was computed at `epoch` ([`store::epoch`]): every change
    /// to what any feed holds writes an alert revision, so an unchanged epoch means an unchanged
    /// feed, whichever process sharing the database made the change.
    pub fn fingerprint(&self, key: &str, epoch: store::Epoch) -> Option<store::Fingerprint> {
        self.prints.get(key, &epoch)
    }

    pub fn put_fingerprint(&self, key: String, epoch: store::Epoch, print: store::Fingerprint) {
        self.prints.put(key, epoch, print);
    }

    pub fn get(&self, etag: &str) -> Option<Bytes> {
        self.entries.lock().ok()?.get(etag).cloned()
    }

    pub fn put(&self, etag: String, body: Bytes) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut map) = self.entries.lock() else {
            return;
        };
        let held: usize = map.values().map(Bytes::len).sum();
        if map.len() >= self.capacity || held + body.len() > CACHE_BYTES {
            map.clear();
        }
        if body.len() <= CACHE_BYTES {
            map.insert(etag, body);
        }
    }
}
