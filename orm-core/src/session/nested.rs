//! Savepoints of a session ([`Session::begin_nested`]): rolling one back
//! restores the rows and the session's objects as they were.

use std::any::Any;
use std::ops::{Deref, DerefMut};

use crate::conn::{Conn, Executor};
use crate::error::{Error, Result};

use super::entry::Saved;
use super::Session;

/// The session's state when a savepoint began.
pub(crate) struct Mark {
    /// How many entries there were; later ones are forgotten on rollback.
    entries: usize,
    saved: Vec<Saved>,
    collections: Vec<Box<dyn Any + Send>>,
}

impl<E: Executor> Session<E> {
    /// Begins a nested transaction (a savepoint), after flushing. Work done
    /// through the returned guard is kept by [`Nested::commit`]; rolling it
    /// back ([`Nested::rollback`], or dropping the guard) undoes its rows
    /// and restores every session object, and every collection the session
    /// keeps, to what they were when it began; objects first seen inside it
    /// are forgotten.
    ///
    /// # Failure
    /// Flush errors, or the savepoint's; [`Error::Unsupported`] when the
    /// backend has no savepoints, before anything is sent.
    pub fn begin_nested(&mut self) -> Result<Nested<'_, E>> {
        let dialect = self.ex.conn()?.dialect();
        if !dialect.supports_savepoints() {
            return Err(Error::Unsupported {
                backend: dialect.name(),
                capability: "nested transactions (savepoints)".into(),
            });
        }
        self.flush()?;
        self.begin_if_needed(true)?;
        self.begin_savepoint()?;
        let level = self.marks.len();
        Ok(Nested {
            session: self,
            level,
            done: false,
        })
    }

    fn begin_savepoint(&mut self) -> Result<()> {
        let mark = Mark {
            entries: self.entries.len(),
            saved: self
                .entries
                .iter()
                .map(|e| e.save())
                .collect::<Result<_>>()?,
            collections: self.collections.iter().map(|c| c.save()).collect(),
        };
        self.ex.conn()?.begin()?;
        self.marks.push(mark);
        Ok(())
    }

    /// Rolls back the innermost savepoint and restores the state it marked.
    fn rollback_savepoint(&mut self) -> Result<()> {
        let Some(mark) = self.marks.pop() else {
            return Ok(());
        };
        let rolled_back = self.ex.conn().and_then(Conn::rollback_level);
        let restored = self.restore_mark(mark);
        rolled_back.and(restored)
    }

    /// Puts the session back as `mark` found it. Every step runs even when
    /// one fails (an object borrowed elsewhere keeps its values), so the
    /// identity map always matches the entries; the first error is returned.
    fn restore_mark(&mut self, mark: Mark) -> Result<()> {
        let mut first = None;
        self.entries.truncate(mark.entries);
        for (e, saved) in self.entries.iter_mut().zip(mark.saved) {
            if let Err(e) = e.restore(saved) {
                first.get_or_insert(e);
            }
        }
        let kept = mark.collections.len().min(self.collections.len());
        for mut c in self.collections.split_off(kept).into_iter().rev() {
            if let Err(e) = c.forget() {
                first.get_or_insert(e);
            }
        }
        for (c, saved) in self.collections.iter_mut().zip(mark.collections) {
            c.restore(saved);
        }
        self.links.clear();
        self.detached_deletes.clear();
        self.rebuild_identity();
        if let Err(e) = self.sync_collections() {
            first.get_or_insert(e);
        }
        first.map_or(Ok(()), Err)
    }

    /// After a flush failed inside a savepoint: the savepoint is rolled back
    /// and begun again, so the guard that owns it stays usable.
    pub(super) fn rollback_to_mark(&mut self) -> Result<()> {
        self.rollback_savepoint()?;
        self.begin_savepoint()
    }

    fn end_savepoint(&mut self, level: usize, commit: bool) -> Result<()> {
        if self.marks.len() < level || !self.in_transaction {
            return Ok(());
        }
        if commit {
            let committed = self.ex.conn().and_then(Conn::commit_level);
            let mark = self.marks.pop();
            if let (Err(_), Some(mark)) = (&committed, mark) {
                // A failed statement inside: the savepoint was rolled back
                // instead, so the objects go back too.
                if let Err(e) = self.restore_mark(mark) {
                    tracing::warn!(target: "athanor::sql", error = %e, "savepoint restore failed");
                }
            }
            committed
        } else {
            self.rollback_savepoint()
        }
    }
}

/// A nested transaction of a [`Session`] (a savepoint), from
/// [`Session::begin_nested`]. It derefs to the session; it rolls back when
/// dropped unless committed.
pub struct Nested<'s, E: Executor> {
    session: &'s mut Session<E>,
    level: usize,
    done: bool,
}

impl<E: Executor> std::fmt::Debug for Nested<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nested")
            .field("level", &self.level)
            .finish()
    }
}

impl<E: Executor> Nested<'_, E> {
    /// Flushes and releases the savepoint, keeping its work in the
    /// enclosing transaction.
    ///
    /// # Failure
    /// Flush errors: the savepoint is then rolled back.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        if let Err(e) = self.session.flush() {
            self.session.end_savepoint(self.level, false)?;
            return Err(e);
        }
        self.session.end_savepoint(self.level, true)
    }

    /// Rolls back the savepoint's rows and restores the session's objects.
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.session.end_savepoint(self.level, false)
    }
}

impl<E: Executor> Deref for Nested<'_, E> {
    type Target = Session<E>;
    fn deref(&self) -> &Session<E> {
        self.session
    }
}

impl<E: Executor> DerefMut for Nested<'_, E> {
    fn deref_mut(&mut self) -> &mut Session<E> {
        self.session
    }
}

impl<E: Executor> Executor for Nested<'_, E> {
    fn conn(&mut self) -> Result<&mut Conn> {
        self.session.conn()
    }
}

impl<E: Executor> Drop for Nested<'_, E> {
    fn drop(&mut self) {
        if !self.done {
            if let Err(e) = self.session.end_savepoint(self.level, false) {
                tracing::warn!(target: "athanor::sql", error = %e, "savepoint rollback failed");
            }
        }
    }
}
