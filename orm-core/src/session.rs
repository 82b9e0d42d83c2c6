//! The session: a unit of work over one connection and its transaction.

use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::rc::Rc;

use crate::conn::{Conn, Executor};
use crate::error::{Error, Result};
use crate::model::{Model, TableDef};
use crate::relation::HasMany;
use crate::schema::dependency_depth;
use crate::value::{Value, ValueRef};
use crate::write;

/// A model object tracked by a [`Session`]: after a flush it holds the
/// generated key. Cloning the handle shares the object.
pub struct Handle<M>(Rc<RefCell<M>>);

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Handle(Rc::clone(&self.0))
    }
}

impl<M: fmt::Debug> fmt::Debug for Handle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.try_borrow() {
            Ok(m) => m.fmt(f),
            Err(_) => f.write_str("Handle(<borrowed>)"),
        }
    }
}

impl<M: Model> Handle<M> {
    fn read(&self) -> Result<Ref<'_, M>> {
        self.0.try_borrow().map_err(|_| Self::busy())
    }

    fn write(&self) -> Result<RefMut<'_, M>> {
        self.0.try_borrow_mut().map_err(|_| Self::busy())
    }

    fn busy() -> Error {
        Error::Session(format!(
            "a {} is borrowed while the session flushes it",
            M::TABLE.model
        ))
    }
}

impl<M> Handle<M> {
    /// Reads the object.
    ///
    /// # Panics
    /// When the object is borrowed mutably through [`Handle::get_mut`] at the same time.
    pub fn get(&self) -> Ref<'_, M> {
        self.0.borrow()
    }

    /// Changes the object; the change is written at the next flush if the
    /// object is added to the session again.
    ///
    /// # Panics
    /// When the object is borrowed through [`Handle::get`] at the same time.
    pub fn get_mut(&self) -> RefMut<'_, M> {
        self.0.borrow_mut()
    }

    /// A copy of the object as it is now.
    pub fn snapshot(&self) -> M
    where
        M: Clone,
    {
        self.0.borrow().clone()
    }
}

trait PendingWrite {
    fn table(&self) -> &'static TableDef;
    fn is_delete(&self) -> bool;
    fn apply(&self, conn: &mut Conn) -> Result<()>;
}

struct Save<M>(Handle<M>);

impl<M: Model> PendingWrite for Save<M> {
    fn table(&self) -> &'static TableDef {
        M::TABLE
    }
    fn is_delete(&self) -> bool {
        false
    }
    fn apply(&self, conn: &mut Conn) -> Result<()> {
        write::save_row(conn, &mut *self.0.write()?)
    }
}

/// A child saved through its parent's relationship: its foreign key is set
/// from the parent's key at flush time, after the parent got one.
struct SaveChild<P, C> {
    parent: Handle<P>,
    relation: HasMany<P, C>,
    child: Handle<C>,
}

impl<P: Model, C: Model> PendingWrite for SaveChild<P, C> {
    fn table(&self) -> &'static TableDef {
        C::TABLE
    }
    fn is_delete(&self) -> bool {
        false
    }
    fn apply(&self, conn: &mut Conn) -> Result<()> {
        let parent = self.parent.read()?;
        let mut child = self.child.write()?;
        self.relation.add(conn, &*parent, &mut *child)
    }
}

/// A child removed through its parent's relationship.
struct RemoveChild<P, C> {
    parent: Handle<P>,
    relation: HasMany<P, C>,
    child: Handle<C>,
}

impl<P: Model, C: Model> PendingWrite for RemoveChild<P, C> {
    fn table(&self) -> &'static TableDef {
        C::TABLE
    }
    fn is_delete(&self) -> bool {
        true
    }
    fn apply(&self, conn: &mut Conn) -> Result<()> {
        let parent = self.parent.read()?;
        let mut child = self.child.write()?;
        self.relation.remove(conn, &*parent, &mut *child)
    }
}

struct Delete {
    table: &'static TableDef,
    key: Vec<Value>,
}

impl PendingWrite for Delete {
    fn table(&self) -> &'static TableDef {
        self.table
    }
    fn is_delete(&self) -> bool {
        true
    }
    fn apply(&self, conn: &mut Conn) -> Result<()> {
        let params: Vec<ValueRef<'_>> = self.key.iter().map(Value::as_ref).collect();
        write::delete_by_key(conn, self.table, &params)
    }
}

/// A unit of work over one connection (SQLAlchemy's `Session`).
///
/// Writes are queued by [`add`](Session::add) and [`delete`](Session::delete)
/// and run by [`flush`](Session::flush) inside the session's transaction:
/// inserts and updates parents before children, then deletes children before
/// parents. [`commit`](Session::commit) flushes and commits, then begins the
/// next transaction; dropping the session rolls back what was not committed.
/// Queries run through the session (it is an [`Executor`]) see flushed
/// writes only.
pub struct Session<E: Executor> {
    ex: E,
    pending: Vec<Box<dyn PendingWrite>>,
    open: bool,
}

impl<E: Executor> fmt::Debug for Session<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("pending", &self.pending.len())
            .field("open", &self.open)
            .finish()
    }
}

impl<E: Executor> Session<E> {
    /// Begins a session (and its transaction) on `ex`.
    pub fn new(mut ex: E) -> Result<Self> {
        ex.conn().begin()?;
        Ok(Session {
            ex,
            pending: Vec::new(),
            open: true,
        })
    }

    /// Queues `model` to be saved: inserted when its generated key is unset
    /// (the key is filled in at flush), else updated, or inserted when no row
    /// has its key.
    pub fn add<M: Model>(&mut self, model: M) -> Handle<M> {
        let handle = Handle(Rc::new(RefCell::new(model)));
        self.pending.push(Box::new(Save(handle.clone())));
        handle
    }

    /// Queues a tracked object to be saved again (after changing it through
    /// [`Handle::get_mut`]).
    pub fn save<M: Model>(&mut self, handle: &Handle<M>) {
        self.pending.push(Box::new(Save(handle.clone())));
    }

    /// Queues `child` to be saved as a child of `parent` through `relation`
    /// (the seed's `artist.albums.append(album)`): at flush, after the
    /// parent is saved, the child's foreign key is set to the parent's key.
    pub fn add_child<P: Model, C: Model>(
        &mut self,
        parent: &Handle<P>,
        relation: HasMany<P, C>,
        child: C,
    ) -> Handle<C> {
        let handle = Handle(Rc::new(RefCell::new(child)));
        self.pending.push(Box::new(SaveChild {
            parent: parent.clone(),
            relation,
            child: handle.clone(),
        }));
        handle
    }

    /// Queues the removal of `child` from `parent` through `relation` (the
    /// seed's `artist.albums.remove(album)`): the child is deleted or its
    /// foreign key cleared, as the relationship declares.
    pub fn remove_child<P: Model, C: Model>(
        &mut self,
        parent: &Handle<P>,
        relation: HasMany<P, C>,
        child: &Handle<C>,
    ) {
        self.pending.push(Box::new(RemoveChild {
            parent: parent.clone(),
            relation,
            child: child.clone(),
        }));
    }

    /// Starts tracking an object loaded by a query, so it can be saved,
    /// or used as a parent in [`add_child`](Session::add_child), later.
    pub fn track<M: Model>(&mut self, model: M) -> Handle<M> {
        Handle(Rc::new(RefCell::new(model)))
    }

    /// Queues the deletion of the row with `model`'s key.
    pub fn delete<M: Model>(&mut self, model: &M) {
        let key = M::TABLE
            .primary_key
            .iter()
            .map(|&i| model.value_at(i).to_owned())
            .collect();
        self.pending.push(Box::new(Delete {
            table: M::TABLE,
            key,
        }));
    }

    /// The number of queued writes.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Runs the queued writes: saves parents before children, then deletes
    /// children before parents. On error the transaction is rolled back and
    /// the queue is emptied.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut pending = std::mem::take(&mut self.pending);
        // Stable: objects of one table keep the order they were added in.
        pending.sort_by_key(|p| {
            let depth = dependency_depth(p.table());
            if p.is_delete() {
                (1, usize::MAX - depth)
            } else {
                (0, depth)
            }
        });
        self.ensure_open()?;
        let conn = self.ex.conn();
        for p in &pending {
            if let Err(e) = p.apply(conn) {
                self.rollback_open();
                return Err(e);
            }
        }
        Ok(())
    }

    fn ensure_open(&mut self) -> Result<()> {
        if !self.open {
            self.ex.conn().begin()?;
            self.open = true;
        }
        Ok(())
    }

    fn rollback_open(&mut self) {
        if self.open {
            self.open = false;
            if let Err(e) = self.ex.conn().rollback_level() {
                tracing::warn!(target: "athanor::sql", error = %e, "session rollback failed");
            }
        }
    }

    /// Flushes and commits, then begins the next transaction.
    pub fn commit(&mut self) -> Result<()> {
        self.flush()?;
        if self.open {
            self.open = false;
            self.ex.conn().commit_level()?;
        }
        self.ensure_open()
    }

    /// Discards queued writes and rolls back what was flushed but not committed.
    pub fn rollback(&mut self) -> Result<()> {
        self.pending.clear();
        if self.open {
            self.open = false;
            self.ex.conn().rollback_level()?;
        }
        self.ensure_open()
    }

    /// Ends the session, discarding what was not committed
    /// (SQLAlchemy's `close`; dropping the session does the same).
    pub fn close(self) {}
}

impl<E: Executor> Executor for Session<E> {
    fn conn(&mut self) -> &mut Conn {
        self.ex.conn()
    }
}

impl<E: Executor> Drop for Session<E> {
    fn drop(&mut self) {
        self.rollback_open();
    }
}
