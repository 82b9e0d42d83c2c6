//! The per-connection cache of prepared statements: bounded, evicting the
//! least recently used statement when full.

use std::collections::HashMap;

/// A least-recently-used cache from SQL text to a prepared statement.
///
/// A lookup is one hash probe and a counter bump; finding the entry to evict
/// scans the cache, which only happens on a miss that is about to pay a
/// round trip to the server to prepare the statement anyway.
#[derive(Debug)]
pub(crate) struct StatementCache<S> {
    entries: HashMap<String, Entry<S>>,
    capacity: usize,
    clock: u64,
}

#[derive(Debug)]
struct Entry<S> {
    value: S,
    used: u64,
}

impl<S: Clone> StatementCache<S> {
    /// An empty cache holding at most `capacity` statements (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        StatementCache {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            clock: 0,
        }
    }

    /// The statement for `sql`, marked as the most recently used.
    pub(crate) fn get(&mut self, sql: &str) -> Option<S> {
        let entry = self.entries.get_mut(sql)?;
        self.clock += 1;
        entry.used = self.clock;
        Some(entry.value.clone())
    }

    /// Stores the statement for `sql`, evicting the least recently used one
    /// when the cache is full.
    pub(crate) fn insert(&mut self, sql: &str, value: S) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(sql) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
        self.clock += 1;
        let used = self.clock;
        self.entries.insert(sql.to_owned(), Entry { value, used });
    }

    /// Forgets the statement for `sql`.
    pub(crate) fn remove(&mut self, sql: &str) {
        self.entries.remove(sql);
    }

    /// How many statements are cached.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::StatementCache;

    #[test]
    fn evicts_the_least_recently_used_statement() {
        let mut cache = StatementCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!(cache.get("a"), Some(1)); // "b" is now the oldest
        cache.insert("c", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("c"), Some(3));
    }

    #[test]
    fn keeps_evicting_as_new_statements_come() {
        let mut cache = StatementCache::new(3);
        cache.insert("hot", 0);
        for i in 0..100 {
            cache.insert(&format!("cold {i}"), i);
            // The statement used on every round stays; the cache stays bounded.
            assert_eq!(cache.get("hot"), Some(0));
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.get("cold 99"), Some(99));
        assert_eq!(cache.get("cold 98"), Some(98));
        assert_eq!(cache.get("cold 97"), None);
    }

    #[test]
    fn replacing_a_statement_does_not_evict_another() {
        let mut cache = StatementCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("a", 10);
        assert_eq!(cache.get("a"), Some(10));
        assert_eq!(cache.get("b"), Some(2));
        cache.remove("a");
        assert_eq!(cache.len(), 1);
    }
}
