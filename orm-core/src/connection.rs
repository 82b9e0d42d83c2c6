//! The connection a backend provides, and the row view it hands out.

use crate::dialect::Dialect;
use crate::error::Result;
use crate::value::ValueRef;

/// One result row, read in place: values are borrowed from the driver's row
/// where the driver allows it, so reading a text column into a `String` copies
/// it at most once, into the struct (not at all where the backend can hand
/// the driver's own buffer over: [`take_text`](Row::take_text)).
pub trait Row {
    /// The number of columns.
    fn len(&self) -> usize;

    /// Whether the row has no columns.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index` (0-based).
    ///
    /// # Failure
    /// Fails when the index is out of range, the driver cannot decode the
    /// value's type, or the value was moved out by
    /// [`take_text`](Row::take_text).
    fn get(&self, index: usize) -> Result<ValueRef<'_>>;

    /// The value at `index` when the driver holds it as an integer, `None`
    /// for anything else (NULL, another type, an index out of range).
    ///
    /// A fast path for reading integer fields: the answer comes back in
    /// registers, without building [`get`](Row::get)'s `Result`. Whenever it
    /// answers, it must give the integer `get` gives as [`ValueRef::I64`]
    /// (or a narrower integer variant); readers fall back to `get` on `None`.
    /// The default always answers `None`.
    fn get_int(&self, index: usize) -> Option<i64> {
        let _ = index;
        None
    }

    /// The value at `index` when the driver holds it as text (valid UTF-8),
    /// `None` for anything else. A fast path like [`get_int`](Row::get_int):
    /// whenever it answers, it must give the text `get` gives as
    /// [`ValueRef::Text`]. The default always answers `None`.
    fn get_text(&self, index: usize) -> Option<&str> {
        let _ = index;
        None
    }

    /// Whether the value at `index` is NULL, without decoding it. The
    /// default asks [`get`](Row::get); a backend answers it from the
    /// driver's type tag where it can (an `Option` of a model read from a
    /// LEFT JOIN asks it of the model's key columns on every row).
    ///
    /// # Failure
    /// As [`get`](Row::get): an index out of range, a value moved out.
    fn is_null(&self, index: usize) -> Result<bool> {
        Ok(matches!(self.get(index)?, ValueRef::Null))
    }

    /// [`get_int`](Row::get_int) for a nullable column: `Some(None)` for
    /// NULL, `Some(Some(n))` for an integer, `None` for anything else. Lets
    /// an `Option<i64>` field read a NULL without a second call through
    /// [`get`](Row::get). The default answers only what `get_int` answers.
    fn get_int_or_null(&self, index: usize) -> Option<Option<i64>> {
        self.get_int(index).map(Some)
    }

    /// [`get_text`](Row::get_text) for a nullable column: `Some(None)` for
    /// NULL, `Some(Some(text))` for text, `None` for anything else. The
    /// default answers only what `get_text` answers.
    fn get_text_or_null(&self, index: usize) -> Option<Option<&str>> {
        self.get_text(index).map(Some)
    }

    /// [`get_text`](Row::get_text) as an owned `String`, which a backend
    /// may move out of the driver's row instead of copying it (MySQL's
    /// driver holds each text value in a buffer of its own).
    ///
    /// The caller reads this column no more: a backend that moved the text
    /// out answers a later [`get`](Row::get) or [`is_null`](Row::is_null) of
    /// the column with an [`Error::Conversion`](crate::Error::Conversion)
    /// naming it (its fast paths answer `None`), never NULL. A backend may
    /// move a value only when nothing was lent from it before. A model's
    /// derived [`FromRow`](crate::FromRow) reads its text fields this way,
    /// each column once. The default copies what `get_text` lends.
    fn take_text(&self, index: usize) -> Option<String> {
        self.get_text(index).map(str::to_owned)
    }

    /// [`take_text`](Row::take_text) for a nullable column: `Some(None)`
    /// for NULL, as [`get_text_or_null`](Row::get_text_or_null) answers.
    fn take_text_or_null(&self, index: usize) -> Option<Option<String>> {
        self.get_text_or_null(index)
            .map(|text| text.map(str::to_owned))
    }
}

/// What a backend implements to talk to its database: run statements with
/// bound parameters, hand out rows, report generated keys.
///
/// Methods take SQL already rendered by the core in the backend's dialect.
/// Implementations cache prepared statements by SQL text and map driver
/// errors to [`Error`](crate::Error) kinds. The trait is object-safe.
pub trait Connection: Send {
    /// The dialect this connection speaks.
    fn dialect(&self) -> &'static dyn Dialect;

    /// Runs a statement and returns the number of rows it affected (matched,
    /// for an UPDATE, on every backend).
    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<u64>;

    /// Runs a query and calls `each` for every row, in order. An error from
    /// `each` stops the query and is returned.
    fn query(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()>;

    /// Runs one or more statements without parameters (DDL, transaction control).
    fn execute_batch(&mut self, sql: &str) -> Result<()>;

    /// The key generated by the last insert on this connection
    /// (used when the dialect's [`KeyStrategy`](crate::KeyStrategy) is `LastInsertIdFirst`).
    fn last_insert_id(&mut self) -> Result<i64>;

    /// The step between the keys one multi-row insert generates (MySQL's
    /// `@@auto_increment_increment`, above 1 on Galera clusters): with
    /// [`KeyStrategy::LastInsertIdFirst`](crate::KeyStrategy), row `n`'s key
    /// is the last insert id plus `n` steps. 1 by default.
    fn key_increment(&mut self) -> Result<i64> {
        Ok(1)
    }

    /// A handle that cancels the statement running on this connection from
    /// another thread; `None` when the backend cannot.
    fn cancel_handle(&mut self) -> Option<crate::CancelHandle> {
        None
    }

    /// Whether the database has a transaction open on this connection, as
    /// the driver knows it without a round trip; `None` when it cannot tell
    /// (then a pool rolls back on return whenever a transaction may be open).
    fn in_transaction(&mut self) -> Option<bool> {
        None
    }

    /// Restores the session settings athanor set up when connecting (and
    /// undoes what SQL written by the program may have changed: settings,
    /// temporary tables, session locks) before a pool hands the connection
    /// to another borrower. Called outside any transaction, only after raw
    /// SQL ran on the connection. The default does nothing.
    fn reset_session(&mut self) -> Result<()> {
        Ok(())
    }

    /// Whether the connection still answers (used by pools before handing it out).
    fn is_valid(&mut self) -> bool {
        self.execute_batch("SELECT 1").is_ok()
    }

    /// Whether the connection is known to be unusable without asking the
    /// server (the driver saw it close, or gave it up after a timeout):
    /// a pool then closes it instead of handing it out again.
    fn is_broken(&mut self) -> bool {
        false
    }
}
