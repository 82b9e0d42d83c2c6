//! [`Handle`]: a model object owned by a session and shared with the caller.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{Error, Result};
use crate::model::Model;

struct Shared<M> {
    value: RwLock<M>,
    /// Set when the session deleted the object's row (or will at flush).
    deleted: AtomicBool,
    /// Set by `get_mut`: only such objects can have changed, so a flush
    /// compares those alone with their rows.
    touched: AtomicBool,
}

/// A model object known to a [`Session`](crate::Session). Cloning the
/// handle shares the object: the session's identity map hands out the same
/// object for the same row, and [`Handle::ptr_eq`] tells whether two handles
/// are one object.
///
/// Change the object through [`get_mut`](Handle::get_mut); the session
/// finds the change at its next flush and writes the changed columns only.
/// A handle is `Send + Sync` when the model is, so a session and its objects
/// can move to another thread.
pub struct Handle<M>(Arc<Shared<M>>);

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Handle(Arc::clone(&self.0))
    }
}

impl<M: fmt::Debug> fmt::Debug for Handle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.value.try_read() {
            Ok(m) => m.fmt(f),
            Err(_) => f.write_str("Handle(<locked>)"),
        }
    }
}

impl<M: fmt::Display> fmt::Display for Handle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.value.try_read() {
            Ok(m) => m.fmt(f),
            Err(_) => f.write_str("Handle(<locked>)"),
        }
    }
}

impl<M> Handle<M> {
    pub(crate) fn new(model: M) -> Self {
        Handle(Arc::new(Shared {
            value: RwLock::new(model),
            deleted: AtomicBool::new(false),
            touched: AtomicBool::new(false),
        }))
    }

    /// Reads the object. Several readers may hold it at once.
    ///
    /// Like a read lock: while this thread holds a [`get_mut`](Handle::get_mut)
    /// guard of the same object, this call waits forever. Drop that guard first.
    pub fn get(&self) -> RwLockReadGuard<'_, M> {
        // A panic while changing plain data leaves it usable.
        self.0.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the object; the session writes the changed columns at its
    /// next flush.
    ///
    /// Like a write lock: while this thread holds another guard of the same
    /// object, this call waits forever. Drop that guard first.
    pub fn get_mut(&self) -> RwLockWriteGuard<'_, M> {
        self.0.touched.store(true, Ordering::Release);
        self.0.value.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the object as it is now.
    pub fn snapshot(&self) -> M
    where
        M: Clone,
    {
        self.get().clone()
    }

    /// Whether the two handles are the same object.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Whether the session deleted (or will delete at its next flush) the
    /// object's row.
    pub fn is_deleted(&self) -> bool {
        self.0.deleted.load(Ordering::Relaxed)
    }

    /// Whether the object may have changed since [`Handle::untouch`].
    pub(crate) fn touched(&self) -> bool {
        self.0.touched.load(Ordering::Acquire)
    }

    /// Marks the object as matching its row (after a flush or a load).
    pub(crate) fn untouch(&self) {
        self.0.touched.store(false, Ordering::Release);
    }

    /// Marks the object as possibly changed.
    pub(crate) fn touch(&self) {
        self.0.touched.store(true, Ordering::Release);
    }

    pub(crate) fn set_deleted(&self, deleted: bool) {
        self.0.deleted.store(deleted, Ordering::Relaxed);
    }

    /// The object's address: the identity of the object within a session.
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

impl<M: Model> Handle<M> {
    /// Reads the object for the session, failing instead of waiting when the
    /// caller holds a write guard.
    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, M>> {
        match self.0.value.try_read() {
            Ok(g) => Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(Self::busy()),
        }
    }

    /// Changes the object for the session, failing instead of waiting when
    /// the caller holds a guard.
    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, M>> {
        match self.0.value.try_write() {
            Ok(g) => Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(Self::busy()),
        }
    }

    fn busy() -> Error {
        Error::Session(format!(
            "a {} is borrowed (a guard from Handle::get or get_mut is alive) while the session needs it",
            M::TABLE.model
        ))
    }
}
