//! The connection's prepared statements, kept across calls.
//!
//! rusqlite's own statement cache costs about 800 instructions a call (an
//! LRU keyed by shared strings, bindings cleared and the statement moved
//! back into the cache on every return); on a one-row query that was a
//! tenth of the whole call. Here a statement stays where it is between
//! calls: a lookup is one hash of the SQL text and a comparison.
//!
//! The statements borrow the connection they were prepared on; Rust cannot
//! name that borrow, so they are stored as `Statement<'static>` beside the
//! connection in [`KeptConnection`], which keeps the rules that make it
//! sound: the connection is on the heap behind a raw pointer (so moving
//! the owner neither moves it nor asserts a unique borrow of it), it is
//! lent mutably only after every statement is finalized, and the
//! statements are finalized before it closes.

use std::collections::HashMap;
use std::ptr::NonNull;

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

/// A SQLite connection and the statements kept on it.
pub(crate) struct KeptConnection {
    statements: Statements,
    /// From `Box::into_raw`; freed in `Drop`, after the statements.
    conn: NonNull<rusqlite::Connection>,
}

// SAFETY: rusqlite's Connection is Send; a Statement is not only because it
// borrows its connection. The statements here borrow only the connection
// this value owns and move with it, and both are reachable through this
// value alone (`&mut self` for statements), so they are used by one thread
// at a time, which SQLite (built thread-safe) allows on any thread.
unsafe impl Send for KeptConnection {}

impl KeptConnection {
    /// Takes ownership of `conn`.
    pub(crate) fn new(conn: rusqlite::Connection) -> Self {
        KeptConnection {
            statements: Statements::default(),
            conn: NonNull::from(Box::leak(Box::new(conn))),
        }
    }

    /// The connection.
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        // SAFETY: the pointer is the live box's; no `&mut` to it exists
        // while `&self` is borrowed (`conn_mut` takes `&mut self`).
        unsafe { self.conn.as_ref() }
    }

    /// The connection, lent mutably: every kept statement is finalized
    /// first, since none may borrow it meanwhile.
    pub(crate) fn conn_mut(&mut self) -> &mut rusqlite::Connection {
        self.statements.clear();
        // SAFETY: the live box's pointer, and no statement borrows it now.
        unsafe { self.conn.as_mut() }
    }

    /// The kept statement for `sql`, prepared the first time (see
    /// [`Statements::get`]).
    pub(crate) fn statement(&mut self, sql: &str) -> rusqlite::Result<&mut Statement<'static>> {
        // SAFETY: the connection stays at its address until `Drop`, which
        // finalizes the statements first, and is lent mutably only by
        // `conn_mut`, which finalizes them before.
        unsafe { self.statements.get(self.conn.as_ref(), sql) }
    }

    /// How many statements are kept.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.statements.entries.len()
    }
}

impl Drop for KeptConnection {
    fn drop(&mut self) {
        self.statements.clear();
        // SAFETY: the pointer came from `Box::leak` in `new` and is freed
        // only here; no statement borrows the connection any more.
        drop(unsafe { Box::from_raw(self.conn.as_ptr()) });
    }
}

/// Prepared statements by SQL text.
#[derive(Default)]
struct Statements {
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
    unsafe fn get(
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
    fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
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
        let mut kept = KeptConnection::new(rusqlite::Connection::open_in_memory().unwrap());
        let sql = |n: usize| format!("SELECT {n}");
        let read = |kept: &mut KeptConnection, n: usize| -> i64 {
            let stmt = kept.statement(&sql(n)).unwrap();
            stmt.query_row([], |r| r.get(0)).unwrap()
        };
        for n in 0..CAPACITY {
            assert_eq!(read(&mut kept, n), n as i64);
        }
        // Statement 0 used again: statement 1 is now the oldest.
        assert_eq!(read(&mut kept, 0), 0);
        assert_eq!(read(&mut kept, CAPACITY), CAPACITY as i64);
        assert_eq!(kept.kept(), CAPACITY);
        let index = &kept.statements.index;
        assert!(index.contains_key(sql(0).as_str()));
        assert!(!index.contains_key(sql(1).as_str()));
        // Every index entry names the statement it points at.
        for (text, &at) in index {
            assert_eq!(&*kept.statements.entries[at].sql, &**text);
        }
        // Lending the connection mutably finalizes them all; they come back.
        kept.conn_mut().execute_batch("CREATE TABLE t (a)").unwrap();
        assert_eq!(kept.kept(), 0);
        assert_eq!(read(&mut kept, 7), 7);
        // Moving the owner keeps its statements usable.
        let mut moved = Box::new(kept);
        assert_eq!(read(&mut moved, 7), 7);
        assert_eq!(moved.kept(), 1);
    }
}
