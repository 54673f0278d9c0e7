//! Values kept in memory with the epoch they were read at: a database aggregate (or version)
//! that changes whenever anything the value depends on changes, whichever process made the
//! change. A view reads the epoch first and uses a kept value only when it was read at that same
//! epoch, so a kept value is never stale. When full, the map starts over (the entries are cheap to
//! read again, and a bounded map needs no eviction order).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct EpochMap<K, E, V> {
    entries: Mutex<HashMap<K, (E, V)>>,
    capacity: usize,
}

impl<K: Eq + Hash, E: PartialEq, V: Clone> EpochMap<K, E, V> {
    /// Keeps at most `capacity` values (0: none).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The value kept for `key`, if it was read at `epoch`.
    pub fn get<Q>(&self, key: &Q, epoch: &E) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(at, _)| at == epoch)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value`, read at `epoch`, for `key`.
    pub fn put(&self, key: K, epoch: E, value: V) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, (epoch, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_returned_only_at_the_epoch_it_was_read_at() {
        let map: EpochMap<String, u32, &str> = EpochMap::new(2);
        map.put("a".into(), 1, "one");
        assert_eq!(map.get("a", &1), Some("one"));
        assert_eq!(map.get("a", &2), None);
        assert_eq!(map.get("b", &1), None);
        map.put("a".into(), 2, "two");
        assert_eq!(map.get("a", &2), Some("two"));
        // Full: a new key starts the map over.
        map.put("b".into(), 1, "b");
        map.put("c".into(), 1, "c");
        assert_eq!(map.get("a", &2), None);
        assert_eq!(map.get("c", &1), Some("c"));
        let none: EpochMap<u8, u8, u8> = EpochMap::new(0);
        none.put(1, 1, 1);
        assert_eq!(none.get(&1, &1), None);
    }
}
