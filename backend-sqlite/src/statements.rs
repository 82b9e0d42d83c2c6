//! The connection's prepared statements, kept across calls.
//!
//! rusqlite's own statement cache costs about 800 instructions a call (an
//! LRU keyed by shared strings, bindings cleared and the statement moved
//! back into the cache on every return); on a one-row query that was a
//! tenth of the whole call. Here a statement stays where it is between
//! calls: a lookup is one hash of the SQL text and a comparison.
//!
//! The statements borrow the connection they were prepared on, which
//! `SqliteConnection` owns beside them; Rust cannot name that borrow, so
//! they are stored as `Statement<'static>`, and the owner keeps the rules
//! that make it sound (see [`Statements::get`]).

use std::collections::HashMap;

use foldhash::fast::FixedState;
use rusqlite::Statement;

/// The most statements a connection keeps; the least recently used one
/// goes when another is needed.
pub(crate) const CAPACITY: usize = 256;

/// One kept statement.
struct Entry {
    sql: Box<str>,
    statement: Statement<'static>,
    /// The value of the use counter at its last use.
    used: u64,
}

/// Prepared statements by SQL text.
#[derive(Default)]
pub(crate) struct Statements {
    index: HashMap<Box<str>, usize, FixedState>,
    entries: Vec<Entry>,
    uses: u64,
}

impl Statements {
    /// The statement for `sql`, prepared on `conn` the first time it is
    /// asked for, reset (rusqlite resets a statement when its rows or its
    /// execution end). The caller clears its bindings after each use, so
    /// that no bound value outlives the call.
    ///
    /// # Safety
    /// `conn` must be the connection every kept statement was prepared on
    /// (the caller's own), at an address that does not change while any
    /// statement is kept, and must outlive them: the caller drops this
    /// store (or calls [`clear`](Statements::clear)) before it drops,
    /// moves or hands out `&mut` to the connection.
    pub(crate) unsafe fn get(
        &mut self,
        conn: &rusqlite::Connection,
        sql: &str,
    ) -> rusqlite::Result<&mut Statement<'static>> {
        self.uses += 1;
        if let Some(&at) = self.index.get(sql) {
            let entry = &mut self.entries[at];
            entry.used = self.uses;
            return Ok(&mut entry.statement);
        }
        let statement = conn.prepare(sql)?;
        // SAFETY: the statement borrows `conn`, which (by this function's
        // contract) stays put and outlives every kept statement.
        let statement =
            unsafe { std::mem::transmute::<Statement<'_>, Statement<'static>>(statement) };
        if self.entries.len() >= CAPACITY {
            self.evict_least_recently_used();
        }
        let at = self.entries.len();
        self.index.insert(sql.into(), at);
        self.entries.push(Entry {
            sql: sql.into(),
            statement,
            used: self.uses,
        });
        Ok(&mut self.entries[at].statement)
    }

    /// Finalizes every statement.
    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
    }

    /// How many statements are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn evict_least_recently_used(&mut self) {
        let Some(oldest) = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| e.used)
            .map(|(at, _)| at)
        else {
            return;
        };
        let gone = self.entries.swap_remove(oldest);
        self.index.remove(&gone.sql);
        if let Some(moved) = self.entries.get(oldest) {
            if let Some(at) = self.index.get_mut(&moved.sql) {
                *at = oldest;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_store_drops_the_least_recently_used_statement() {
        let conn = Box::new(rusqlite::Connection::open_in_memory().unwrap());
        let mut kept = Statements::default();
        let sql = |n: usize| format!("SELECT {n}");
        for n in 0..CAPACITY {
            // SAFETY: `conn` is boxed and outlives `kept` (dropped first below).
            unsafe { kept.get(&conn, &sql(n)) }.unwrap();
        }
        // Statement 0 used again: statement 1 is now the oldest.
        let first = unsafe { kept.get(&conn, &sql(0)) }.unwrap();
        let one: i64 = first.query_row([], |r| r.get(0)).unwrap();
        assert_eq!(one, 0);
        unsafe { kept.get(&conn, &sql(CAPACITY)) }.unwrap();
        assert_eq!(kept.len(), CAPACITY);
        assert!(kept.index.contains_key(sql(0).as_str()));
        assert!(!kept.index.contains_key(sql(1).as_str()));
        // Every index entry names the statement it points at.
        for (text, &at) in &kept.index {
            assert_eq!(&*kept.entries[at].sql, &**text);
        }
        let n: i64 = unsafe { kept.get(&conn, &sql(CAPACITY)) }
            .unwrap()
            .query_row([], |r| r.get(0))
            .unwrap();
        assert_eq!(n, CAPACITY as i64);
        drop(kept);
        drop(conn);
    }
}
