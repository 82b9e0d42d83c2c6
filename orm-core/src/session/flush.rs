//! Flushing a session: what changed, in which order it is written, and what
//! the session knows afterwards.

use std::collections::HashSet;

use crate::conn::Executor;
use crate::error::{Error, Result};
use crate::schema::dependency_depth;

use super::entry::Status;
use super::Session;

impl<E: Executor> Session<E> {
    /// Writes every pending change: inserts and updates (parents before
    /// children, changed columns only), association rows, then deletes
    /// (children before parents). Sends nothing when nothing changed.
    ///
    /// # Failure
    /// [`Error::Session`], before anything is sent, for a borrowed object or
    /// a key clash among objects; otherwise the first failing statement's
    /// error: the transaction (inside a savepoint: the savepoint) is rolled
    /// back and the session forgets what was rolled back. After a failed
    /// flush outside a savepoint, the session refuses statements and commits
    /// with [`Error::TransactionFailed`] until [`rollback`](Session::rollback).
    pub fn flush(&mut self) -> Result<()> {
        self.refuse_if_rolled_back()?;
        if self.pending() == 0 {
            return Ok(());
        }
        self.check_before_flush()?;
        // A BEGIN that fails (SQLite busy) has changed nothing: the pending
        // work stays, to flush again.
        self.begin_if_needed(true)?;
        match self.write_pending() {
            Ok(()) => self.after_flush(),
            Err(e) => {
                self.undo_failed_flush(&e);
                Err(e)
            }
        }
    }

    /// What can be refused before anything is sent (and so without rolling
    /// anything back): an object the caller has borrowed, a new object
    /// whose key is the key of an object the session holds (the flush would
    /// overwrite that object's row behind its back), two new objects with
    /// one key.
    fn check_before_flush(&self) -> Result<()> {
        let mut new_keys = HashSet::new();
        for e in &self.entries {
            e.check_available()?;
            if e.status() != Status::New || !e.has_key()? {
                continue;
            }
            let identity = e.identity()?;
            let model = e.table().model;
            if let Some(&held) = self.identity.get(&identity) {
                if self.entries[held].status() != Status::Gone {
                    return Err(Error::Session(format!(
                        "a new {model} has the key of a {model} the session already holds; \
                         change that object instead of adding another"
                    )));
                }
            }
            if !new_keys.insert(identity) {
                return Err(Error::Session(format!(
                    "two new {model}s added to the session have the same key"
                )));
            }
        }
        Ok(())
    }

    fn write_pending(&mut self) -> Result<()> {
        let mut saves: Vec<(usize, usize)> = Vec::new();
        let mut deletes: Vec<(usize, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            match e.status() {
                Status::New | Status::Persistent => saves.push((dependency_depth(e.table()), i)),
                Status::Deleting => deletes.push((usize::MAX - dependency_depth(e.table()), i)),
                Status::Gone => {}
            }
        }
        // Stable: objects of one table keep the order they were added in.
        saves.sort_by_key(|&(depth, _)| depth);
        let conn = self.ex.conn()?;
        for &(_, i) in &saves {
            self.entries[i].write(conn)?;
        }
        // One change per pair of objects (link and unlink cancel out when
        // queued), so their order does not matter.
        let links = std::mem::take(&mut self.links);
        let result = links.iter().try_for_each(|l| l.apply(conn));
        self.links = links;
        result?;
        // Deletes: children before parents, the session's objects and rows
        // it never loaded alike.
        let detached = std::mem::take(&mut self.detached_deletes);
        let mut order: Vec<(usize, DeleteOf)> = deletes
            .iter()
            .map(|&(depth, i)| (depth, DeleteOf::Object(i)))
            .chain(
                detached
                    .iter()
                    .enumerate()
                    .map(|(n, d)| (usize::MAX - dependency_depth(d.table), DeleteOf::Row(n))),
            )
            .collect();
        order.sort_by_key(|&(depth, _)| depth);
        let result = order.iter().try_for_each(|&(_, of)| match of {
            DeleteOf::Object(i) => self.entries[i].delete(conn),
            DeleteOf::Row(n) => detached[n].apply(conn),
        });
        self.detached_deletes = detached;
        result
    }

    fn after_flush(&mut self) -> Result<()> {
        self.links.clear();
        self.detached_deletes.clear();
        for i in 0..self.entries.len() {
            let was_new = self.entries[i].status() == Status::New;
            self.entries[i].flushed()?;
            if was_new {
                let identity = self.entries[i].identity()?;
                self.identity.insert(identity, i);
            }
        }
        self.sync_collections()?;
        self.compact();
        Ok(())
    }

    pub(super) fn sync_collections(&mut self) -> Result<()> {
        self.collections.iter_mut().try_for_each(|c| c.sync())
    }

    /// Forgets deleted objects (and the collections of deleted parents),
    /// unless a savepoint may bring them back.
    fn compact(&mut self) {
        if !self.marks.is_empty() || !self.entries.iter().any(|e| e.status() == Status::Gone) {
            return;
        }
        self.collections.retain(|c| !c.parent_deleted());
        self.entries.retain(|e| e.status() != Status::Gone);
        self.rebuild_identity();
    }

    pub(super) fn rebuild_identity(&mut self) {
        self.identity.clear();
        for (i, e) in self.entries.iter().enumerate() {
            if e.status() != Status::New && e.status() != Status::Gone {
                if let Ok(identity) = e.identity() {
                    self.identity.insert(identity, i);
                }
            }
        }
    }

    fn undo_failed_flush(&mut self, e: &Error) {
        if self.marks.is_empty() {
            self.rollback_quietly();
            self.rolled_back = Some((e.to_string(), e.transient_kind()));
        } else if let Err(e) = self.rollback_to_mark() {
            tracing::warn!(target: "athanor::sql", error = %e, "savepoint rollback failed");
        }
    }
}

/// One delete of a flush.
#[derive(Clone, Copy)]
enum DeleteOf {
    /// A session object, by entry.
    Object(usize),
    /// A row deleted by key, by position in the detached deletes.
    Row(usize),
}
