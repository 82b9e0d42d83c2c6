//! The session: a unit of work over one connection (SQLAlchemy's `Session`),
//! with an identity map, dirty tracking, lazy transactions, autoflush,
//! collections kept in sync and savepoints.

mod collection;
mod entry;
mod flush;
mod handle;
mod identity;
mod nested;
mod relations;

use std::fmt;

use crate::conn::{Conn, Executor};
use crate::error::{Error, Result, TransientKind};
use crate::fast_hash::FastMap;
use crate::model::Model;
use crate::query::Select;

pub use collection::ToMany;
use collection::{Collection, LinkChange};
use entry::{DetachedDelete, Entry, Status, Tracked};
pub use handle::Handle;
use identity::Identity;
use nested::Mark;
pub use nested::Nested;

/// The bounds of a model a session can hold: its objects are shared through
/// [`Handle`]s that may cross threads.
pub trait SessionModel: Model + Send + Sync {}

impl<M: Model + Send + Sync> SessionModel for M {}

/// A unit of work over one connection (SQLAlchemy's `Session`).
///
/// - **Identity map**: [`get`](Session::get), [`find`](Session::find) and
///   [`all`](Session::all)/[`one`](Session::one) return [`Handle`]s, and a
///   row already in the session comes back as the same object (a key already
///   loaded costs no query). [`refresh`](Session::refresh) reads it again.
/// - **Dirty tracking**: change an object through [`Handle::get_mut`]; the
///   next flush writes exactly the changed columns, and nothing for an
///   object that did not change.
/// - **Lazy transactions**: the session begins its transaction at its first
///   statement, not when it is made or after a commit; a commit with nothing
///   to do sends nothing.
/// - **Autoflush**: pending changes are flushed before any statement runs
///   through the session (queries included), so queries see them;
///   [`set_autoflush`](Session::set_autoflush) turns it off.
/// - **Collections**: [`children`](Session::children),
///   [`add_child`](Session::add_child), [`remove_child`](Session::remove_child),
///   [`link`](Session::link) and [`unlink`](Session::unlink) keep a parent's
///   relationship field and the rows in step. Deleting an object through the
///   session deletes the association rows of the many-to-many relationships
///   its model declares first.
/// - **Savepoints**: [`begin_nested`](Session::begin_nested); rolling one back
///   restores the rows and the session's objects.
///
/// A flush inserts and updates parents before children, then deletes
/// children before parents. A failed flush rolls the transaction back
/// (inside a savepoint: the savepoint) and the session forgets what it
/// rolled back; outside a savepoint it then refuses statements and commits
/// until [`rollback`](Session::rollback). Dropping the session rolls back
/// what was not committed.
/// Queries run through the session (it is an [`Executor`]) return detached
/// values; run them through [`all`](Session::all) to get session objects.
///
/// After [`commit`](Session::commit) the objects stay as they are (they are
/// not reread); after [`rollback`](Session::rollback) the session forgets
/// every object, and their handles are detached copies.
pub struct Session<E: Executor> {
    ex: E,
    entries: Vec<Box<dyn Entry>>,
    identity: FastMap<Identity, usize>,
    detached_deletes: Vec<DetachedDelete>,
    links: Vec<Box<dyn LinkChange>>,
    collections: Vec<Box<dyn Collection>>,
    in_transaction: bool,
    autoflush: bool,
    marks: Vec<Mark>,
    /// Set when a failed flush rolled the transaction back: until
    /// [`rollback`](Session::rollback), statements and commits are refused,
    /// so that a second `commit` cannot report success for lost work.
    rolled_back: Option<(String, Option<TransientKind>)>,
}

impl<E: Executor> fmt::Debug for Session<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("objects", &self.identity.len())
            .field("pending", &self.pending())
            .field("in_transaction", &self.in_transaction)
            .field("savepoints", &self.marks.len())
            .finish()
    }
}

impl<E: Executor> Session<E> {
    /// A session on `ex`. Sends nothing: the transaction begins at the first
    /// statement.
    pub fn new(ex: E) -> Result<Self> {
        Ok(Session {
            ex,
            entries: Vec::new(),
            identity: FastMap::default(),
            detached_deletes: Vec::new(),
            links: Vec::new(),
            collections: Vec::new(),
            in_transaction: false,
            autoflush: true,
            marks: Vec::new(),
            rolled_back: None,
        })
    }

    /// Turns autoflush (on by default) on or off. With it off, queries
    /// through the session do not see changes until [`flush`](Session::flush).
    pub fn set_autoflush(&mut self, on: bool) {
        self.autoflush = on;
    }

    /// Whether the session has a transaction open.
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Begins the session's transaction if none is open: for writing (a
    /// flush), or for whatever statement comes (SQLite then begins DEFERRED,
    /// so a session that reads does not lock writers out).
    fn begin_if_needed(&mut self, writing: bool) -> Result<()> {
        self.refuse_if_rolled_back()?;
        if !self.in_transaction {
            let conn = self.ex.conn()?;
            if writing {
                conn.begin()?;
            } else {
                conn.begin_reading()?;
            }
            self.in_transaction = true;
        }
        Ok(())
    }

    fn refuse_if_rolled_back(&self) -> Result<()> {
        match &self.rolled_back {
            Some((cause, transient)) => Err(Error::TransactionFailed {
                cause: format!(
                    "a flush failed and rolled the session's transaction back ({cause}); \
                     call rollback() before going on"
                ),
                transient: *transient,
            }),
            None => Ok(()),
        }
    }

    /// The connection, with the transaction begun, without autoflush.
    fn raw_conn(&mut self) -> Result<&mut Conn> {
        self.begin_if_needed(false)?;
        self.ex.conn()
    }

    // ----- objects -------------------------------------------------------

    fn push_entry(&mut self, entry: Box<dyn Entry>) -> usize {
        self.entries.push(entry);
        self.entries.len() - 1
    }

    fn handle_at<M: SessionModel>(&self, index: usize) -> Option<Handle<M>> {
        self.entries[index]
            .handle()
            .downcast_ref::<Handle<M>>()
            .cloned()
    }

    /// The session's object for `identity`, if it holds one.
    fn mapped<M: SessionModel>(&self, identity: &Identity) -> Option<Handle<M>> {
        let &i = self.identity.get(identity)?;
        self.handle_at(i)
    }

    /// The entry of the object behind `handle`, if the session tracks it.
    fn entry_of<M: SessionModel>(&self, handle: &Handle<M>) -> Option<usize> {
        let found = |i: usize| {
            let e = &self.entries[i];
            e.status() != Status::Gone
                && e.handle()
                    .downcast_ref::<Handle<M>>()
                    .is_some_and(|h| Handle::ptr_eq(h, handle))
        };
        if let Ok(identity) = handle.read().map(|m| Identity::of(&*m)) {
            if let Some(&i) = self.identity.get(&identity) {
                if found(i) {
                    return Some(i);
                }
            }
        }
        // New objects are not in the identity map until flushed.
        (0..self.entries.len()).rev().find(|&i| found(i))
    }

    /// A row read from the database, as the session's object: the one it
    /// already holds for that key (unchanged), or a new persistent one.
    fn merge<M: SessionModel>(&mut self, row: M) -> Result<Handle<M>> {
        let identity = Identity::of(&row);
        if let Some(h) = self.mapped::<M>(&identity) {
            return Ok(h);
        }
        let handle = Handle::new(row);
        let i = self.push_entry(Box::new(Tracked::loaded(handle.clone())?));
        self.identity.insert(identity, i);
        Ok(handle)
    }

    /// Adds a new object: the next flush inserts it (filling its generated
    /// key), or, when it carries a key that has a row, updates that row.
    pub fn add<M: SessionModel>(&mut self, model: M) -> Handle<M> {
        let handle = Handle::new(model);
        self.push_entry(Box::new(Tracked::new(handle.clone(), None)));
        handle
    }

    /// Makes an object read elsewhere (a plain query) a session object. When
    /// the session already holds that row, its object is returned and
    /// `model` is dropped; an object whose generated key is unset is added.
    pub fn track<M: SessionModel>(&mut self, model: M) -> Result<Handle<M>> {
        if M::TABLE.auto_key.is_some() && model.auto_key_unset() {
            return Ok(self.add(model));
        }
        self.merge(model)
    }

    /// Makes sure `handle`'s object is written at the next flush. Changes to
    /// session objects are found without it; this re-adds an object the
    /// session forgot (after a rollback, say).
    pub fn save<M: SessionModel>(&mut self, handle: &Handle<M>) {
        if self.entry_of(handle).is_none() {
            self.push_entry(Box::new(Tracked::new(handle.clone(), None)));
        }
    }

    /// The object with primary key `key`: the session's own when it holds
    /// it (no query), else read from the database.
    ///
    /// # Failure
    /// [`Error::NoRows`] when there is no such row.
    pub fn get<M: SessionModel>(&mut self, key: M::Key) -> Result<Handle<M>> {
        self.find::<M>(key)?.ok_or_else(|| Error::NoRows {
            table: M::TABLE.name.to_owned(),
        })
    }

    /// Like [`get`](Session::get), `None` when there is no such row.
    pub fn find<M: SessionModel>(&mut self, key: M::Key) -> Result<Option<Handle<M>>> {
        let identity = Identity::of_key::<M>(&key);
        if let Some(h) = self.mapped::<M>(&identity) {
            return Ok((!h.is_deleted()).then_some(h));
        }
        match M::find(self, key)? {
            Some(row) => self.merge(row).map(Some),
            None => Ok(None),
        }
    }

    /// Runs `query` and returns its rows as session objects (rows the
    /// session already holds come back as its objects, unchanged).
    pub fn all<M: SessionModel>(&mut self, query: &Select<M>) -> Result<Vec<Handle<M>>> {
        let rows = query.all(self)?;
        rows.into_iter().map(|r| self.merge(r)).collect()
    }

    /// Runs `query`, which must find exactly one row, as a session object.
    ///
    /// # Failure
    /// [`Error::NoRows`] or [`Error::MultipleRows`].
    pub fn one<M: SessionModel>(&mut self, query: &Select<M>) -> Result<Handle<M>> {
        let row = query.one(self)?;
        self.merge(row)
    }

    /// Runs `query`, which must find at most one row, as a session object.
    ///
    /// # Failure
    /// [`Error::MultipleRows`].
    pub fn one_or_none<M: SessionModel>(&mut self, query: &Select<M>) -> Result<Option<Handle<M>>> {
        match query.one_or_none(self)? {
            Some(row) => self.merge(row).map(Some),
            None => Ok(None),
        }
    }

    /// Reads `handle`'s row again, replacing the object's columns (changes
    /// not flushed are lost).
    ///
    /// # Failure
    /// [`Error::NoRows`] when the row is gone; [`Error::Session`] when the
    /// session does not hold the object.
    pub fn refresh<M: SessionModel>(&mut self, handle: &Handle<M>) -> Result<()> {
        self.entry_of(handle).ok_or_else(|| not_tracked::<M>())?;
        let key: Vec<_> = {
            let m = handle.read()?;
            M::TABLE
                .primary_key
                .iter()
                .map(|&k| m.value_at(k).to_owned())
                .collect()
        };
        let condition = crate::query::key_condition(M::TABLE, key);
        // The query may autoflush, which moves entries: find it afterwards.
        let fresh = M::query().filter(condition).one(self)?;
        let i = self.entry_of(handle).ok_or_else(|| not_tracked::<M>())?;
        self.entries[i].reload(&fresh)
    }

    /// Queues the deletion of an object's row: a session object
    /// (`&Handle<M>`) or a model read elsewhere (`&M`). The association rows
    /// of the many-to-many relationships the model declares are deleted
    /// first; at the flush, the object leaves every collection the session
    /// keeps.
    ///
    /// # Failure
    /// [`Error::Session`] when the object is borrowed (a guard from
    /// [`Handle::get_mut`] is alive), so its key cannot be read.
    pub fn delete<T: Deletable>(&mut self, target: &T) -> Result<()> {
        target.queue_delete(self)
    }

    fn delete_handle<M: SessionModel>(&mut self, handle: &Handle<M>) -> Result<()> {
        match self.entry_of(handle) {
            Some(i) if self.entries[i].status() == Status::New => {
                // Never written: forget it.
                self.entries[i].set_status(Status::Gone);
            }
            Some(i) => self.entries[i].set_status(Status::Deleting),
            None => {
                // A handle the session forgot (after a rollback, say): the
                // object the session holds for that row, if any, is deleted.
                let identity = Identity::of(&*handle.read()?);
                if let Some(held) = self.mapped::<M>(&identity) {
                    handle.set_deleted(true);
                    return self.delete_handle(&held);
                }
                let mut entry = Tracked::loaded(handle.clone())?;
                entry.set_status(Status::Deleting);
                let i = self.push_entry(Box::new(entry));
                self.identity.insert(identity, i);
            }
        }
        Ok(())
    }

    fn delete_model<M: SessionModel>(&mut self, model: &M) -> Result<()> {
        match self.mapped::<M>(&Identity::of(model)) {
            Some(h) => self.delete_handle(&h),
            None => {
                self.detached_deletes.push(DetachedDelete::of(model));
                Ok(())
            }
        }
    }

    /// The number of writes the next flush would make (objects to insert,
    /// update or delete, and association rows to change).
    pub fn pending(&self) -> usize {
        self.entries.iter().filter(|e| e.has_changes()).count()
            + self.detached_deletes.len()
            + self.links.len()
    }

    // ----- commit, rollback ----------------------------------------------

    /// Forgets every object after the transaction rolled back (a commit
    /// that failed rolled it back too), taking the versions it wrote back
    /// out of the objects.
    fn clear(&mut self) {
        for e in &mut self.entries {
            e.rolled_back();
        }
        self.entries.clear();
        self.identity.clear();
        self.detached_deletes.clear();
        self.links.clear();
        self.collections.clear();
        self.marks.clear();
    }

    fn rollback_quietly(&mut self) {
        if let Err(e) = self.end_transaction(false) {
            tracing::warn!(target: "athanor::sql", error = %e, "session rollback failed");
        }
        self.clear();
    }

    fn end_transaction(&mut self, commit: bool) -> Result<()> {
        if !self.in_transaction {
            return Ok(());
        }
        self.in_transaction = false;
        let conn = self.ex.conn()?;
        // Savepoints end with their transaction; every level is rolled back
        // even when one fails, so that the connection is left clean.
        let mut first = None;
        for _ in 0..self.marks.len() {
            if let Err(e) = conn.rollback_level() {
                first.get_or_insert(e);
            }
        }
        let ended = if commit && first.is_none() {
            conn.commit_level()
        } else {
            conn.rollback_level()
        };
        match first {
            Some(e) => Err(e),
            None => ended,
        }
    }

    /// Flushes and commits. Sends nothing when no transaction is open and
    /// nothing is pending; the next transaction begins at the next statement.
    ///
    /// # Failure
    /// [`Error::Session`] inside a savepoint (end it first); flush errors.
    pub fn commit(&mut self) -> Result<()> {
        if !self.marks.is_empty() {
            return Err(Error::Session(
                "commit inside a savepoint: commit or roll back the nested transaction first"
                    .into(),
            ));
        }
        self.flush()?;
        let committed = self.end_transaction(true);
        if committed.is_ok() {
            for e in &mut self.entries {
                e.committed();
            }
        }
        if committed.is_err() {
            // The transaction was rolled back (a failed statement, or a
            // failed COMMIT): what the session holds no longer matches.
            self.clear();
        }
        committed
    }

    /// Discards pending changes and rolls back the transaction; the session
    /// then forgets every object (their handles keep their values).
    pub fn rollback(&mut self) -> Result<()> {
        let result = self.end_transaction(false);
        self.clear();
        self.rolled_back = None;
        result
    }

    /// Ends the session, discarding what was not committed
    /// (SQLAlchemy's `close`; dropping the session does the same).
    pub fn close(self) {}
}

fn not_tracked<M: Model>() -> Error {
    Error::Session(format!(
        "this {} is not an object of the session",
        M::TABLE.model
    ))
}

/// What [`Session::delete`] takes: a session object or a model read elsewhere.
pub trait Deletable {
    #[doc(hidden)]
    fn queue_delete<E: Executor>(&self, session: &mut Session<E>) -> Result<()>;
}

impl<M: SessionModel> Deletable for M {
    fn queue_delete<E: Executor>(&self, session: &mut Session<E>) -> Result<()> {
        session.delete_model(self)
    }
}

impl<M: SessionModel> Deletable for Handle<M> {
    fn queue_delete<E: Executor>(&self, session: &mut Session<E>) -> Result<()> {
        session.delete_handle(self)
    }
}

impl<E: Executor> Executor for Session<E> {
    /// Flushes pending changes (when autoflush is on) and begins the
    /// transaction if none is open.
    fn conn(&mut self) -> Result<&mut Conn> {
        self.refuse_if_rolled_back()?;
        if self.autoflush {
            self.flush()?;
        }
        self.raw_conn()
    }
}

impl<E: Executor> Drop for Session<E> {
    fn drop(&mut self) {
        if let Err(e) = self.end_transaction(false) {
            tracing::warn!(target: "athanor::sql", error = %e, "session rollback failed");
        }
        // Handles outlive the session: versions it wrote but never
        // committed are taken back out of them.
        for e in &mut self.entries {
            e.rolled_back();
        }
    }
}
