//! One object tracked by a session, type-erased: what a flush writes for it
//! (insert, the changed columns, or a delete) and the state a savepoint
//! restores.

use std::any::Any;

use crate::conn::Conn;
use crate::error::{Error, Result};
use crate::model::{Association, Model, TableDef};
use crate::relation::single_key;
use crate::render::SqlWriter;
use crate::value::{Value, ValueRef};
use crate::write;

use super::handle::Handle;
use super::identity::Identity;

/// Where an object stands with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Added to the session; the next flush inserts it (or saves it over
    /// the row with its key).
    New,
    /// Has a row; the next flush writes the columns that changed.
    Persistent,
    /// Its row is deleted at the next flush.
    Deleting,
    /// Its row is deleted; the session forgets it when no savepoint needs it.
    Gone,
}

/// Sets a child's foreign key from its parent's key, just before the child's
/// first write (the parent may get its key earlier in the same flush).
pub(crate) type Link<M> = Box<dyn Fn(&mut M) -> Result<()> + Send + Sync>;

/// A tracked object of some model.
pub(crate) trait Entry: Send {
    fn table(&self) -> &'static TableDef;
    fn status(&self) -> Status;
    fn set_status(&mut self, status: Status);
    /// The handle, as `&Handle<M>` behind `Any`.
    fn handle(&self) -> &dyn Any;
    fn identity(&self) -> Result<Identity>;
    /// Whether the object carries its key (a new object may not, yet).
    fn has_key(&self) -> Result<bool>;
    /// Fails when the caller holds a guard of the object that a flush
    /// would need.
    fn check_available(&self) -> Result<()>;
    /// Whether a flush would write something for this object.
    fn has_changes(&self) -> bool;
    /// Inserts a new object, or writes the changed columns of a persistent one.
    fn write(&mut self, conn: &mut Conn) -> Result<()>;
    /// Deletes the row (and its association rows first).
    fn delete(&mut self, conn: &mut Conn) -> Result<()>;
    /// After a successful flush: the object is now what its row holds.
    fn flushed(&mut self) -> Result<()>;
    fn save(&self) -> Result<Saved>;
    fn restore(&mut self, saved: Saved) -> Result<()>;
    /// Replaces the object's columns with a freshly read row.
    fn reload(&mut self, fresh: &dyn Any) -> Result<()>;
    /// The transaction committed: the versions written are the rows' now.
    fn committed(&mut self);
    /// The transaction rolled back: versions written since it began are
    /// taken back out of the object (its next write checks the row's).
    fn rolled_back(&mut self);
}

/// An entry's state kept by a savepoint.
pub(crate) struct Saved {
    status: Status,
    values: Vec<Value>,
    row: Option<Vec<Value>>,
    deleted: bool,
}

pub(crate) struct Tracked<M> {
    handle: Handle<M>,
    /// The row as the database holds it after the last flush or load;
    /// `None` until the object is first written.
    row: Option<Vec<Value>>,
    status: Status,
    link: Option<Link<M>>,
    /// The version the object held before the open transaction wrote a new
    /// one, if it did: put back when the transaction rolls back.
    unbumped: Option<i64>,
}

fn values_of<M: Model>(m: &M) -> Vec<Value> {
    (0..M::TABLE.columns.len())
        .map(|i| m.value_at(i).to_owned())
        .collect()
}

fn set_values<M: Model>(m: &mut M, values: &[Value]) -> Result<()> {
    for (i, v) in values.iter().enumerate() {
        m.set_value(i, v.as_ref())?;
    }
    Ok(())
}

impl<M: Model + Send + Sync> Tracked<M> {
    /// An object to insert at the next flush.
    pub(crate) fn new(handle: Handle<M>, link: Option<Link<M>>) -> Self {
        Tracked {
            handle,
            row: None,
            status: Status::New,
            link,
            unbumped: None,
        }
    }

    /// An object read from its row.
    pub(crate) fn loaded(handle: Handle<M>) -> Result<Self> {
        let row = values_of(&*handle.read()?);
        handle.untouch();
        Ok(Tracked {
            handle,
            row: Some(row),
            status: Status::Persistent,
            link: None,
            unbumped: None,
        })
    }

    /// The columns to write: those whose values differ from the row's;
    /// a changed primary key or version column is an error.
    fn checked_changes(&self, m: &M) -> Result<Vec<usize>> {
        let changed = self.changed(m);
        let managed = |i: usize| M::TABLE.columns[i].primary_key || Some(i) == M::TABLE.version;
        if let Some(&k) = changed.iter().find(|&&i| managed(i)) {
            let advice = if Some(k) == M::TABLE.version {
                "athanor writes the version itself; leave it as read"
            } else {
                "delete the object and add a new one instead"
            };
            return Err(Error::Session(format!(
                "the {} {}.{} of a loaded {} was changed; {advice}",
                if Some(k) == M::TABLE.version {
                    "version column"
                } else {
                    "primary key"
                },
                M::TABLE.name,
                M::TABLE.columns[k].name,
                M::TABLE.model
            )));
        }
        Ok(changed)
    }

    /// The columns whose values differ from the row's.
    fn changed(&self, m: &M) -> Vec<usize> {
        let Some(row) = &self.row else {
            return Vec::new();
        };
        row.iter()
            .enumerate()
            .filter(|(i, v)| v.as_ref() != m.value_at(*i))
            .map(|(i, _)| i)
            .collect()
    }
}

impl<M: Model + Send + Sync> Entry for Tracked<M> {
    fn table(&self) -> &'static TableDef {
        M::TABLE
    }

    fn status(&self) -> Status {
        self.status
    }

    fn set_status(&mut self, status: Status) {
        self.status = status;
        self.handle
            .set_deleted(matches!(status, Status::Deleting | Status::Gone));
    }

    fn handle(&self) -> &dyn Any {
        &self.handle
    }

    fn identity(&self) -> Result<Identity> {
        Ok(Identity::of(&*self.handle.read()?))
    }

    fn has_key(&self) -> Result<bool> {
        let m = self.handle.read()?;
        Ok(M::TABLE.auto_key.is_none() || !m.auto_key_unset())
    }

    fn has_changes(&self) -> bool {
        match self.status {
            Status::New | Status::Deleting => true,
            Status::Gone => false,
            // Only an object handed out through `get_mut` can have changed
            // (and a locked one may have).
            Status::Persistent => {
                self.handle.touched()
                    && self
                        .handle
                        .read()
                        .map_or(true, |m| !self.changed(&m).is_empty())
            }
        }
    }

    fn check_available(&self) -> Result<()> {
        match self.status {
            Status::New => self.handle.write().map(drop),
            // An untouched object is not read by the flush.
            Status::Persistent if !self.handle.touched() => Ok(()),
            // The flush writes the new version into the object.
            Status::Persistent if M::TABLE.version.is_some() => self.handle.write().map(drop),
            Status::Persistent | Status::Deleting => self.handle.read().map(drop),
            Status::Gone => Ok(()),
        }
    }

    fn write(&mut self, conn: &mut Conn) -> Result<()> {
        match self.status {
            Status::New => {
                let mut m = self.handle.write()?;
                if let Some(link) = &self.link {
                    link(&mut m)?;
                }
                // An object added with its key (or saved again after a
                // rollback) updates its row, version checked, or is inserted.
                let before = crate::versioning::version_of(&*m)?.map(|(_, v)| v);
                write::save_or_insert(conn, &mut *m, true)?;
                if before != crate::versioning::version_of(&*m)?.map(|(_, v)| v) {
                    self.unbumped = self.unbumped.or(before);
                }
                Ok(())
            }
            Status::Persistent if !self.handle.touched() => Ok(()),
            Status::Persistent if M::TABLE.version.is_some() => {
                // The new version is written back into the object.
                let mut m = self.handle.write()?;
                let changed = self.checked_changes(&m)?;
                if changed.is_empty() {
                    return Ok(());
                }
                let before = crate::versioning::version_of(&*m)?.map(|(_, v)| v);
                if write::update_row(conn, &*m, Some(&changed))? {
                    write::bump_version(&mut *m)?;
                    self.unbumped = self.unbumped.or(before);
                }
                Ok(())
            }
            Status::Persistent => {
                // Reading is enough: others may read the object meanwhile.
                let m = self.handle.read()?;
                let changed = self.checked_changes(&m)?;
                if changed.is_empty() {
                    return Ok(());
                }
                write::update_row(conn, &*m, Some(&changed)).map(drop)
            }
            Status::Deleting | Status::Gone => Ok(()),
        }
    }

    fn delete(&mut self, conn: &mut Conn) -> Result<()> {
        let m = self.handle.read()?;
        if !M::ASSOCIATIONS.is_empty() {
            let k = single_key(M::TABLE, "many-to-many")?;
            delete_links(conn, M::ASSOCIATIONS, m.value_at(k))?;
        }
        write::delete_row(conn, &*m)
    }

    fn flushed(&mut self) -> Result<()> {
        match self.status {
            Status::Persistent if !self.handle.touched() => {}
            Status::New | Status::Persistent => {
                self.row = Some(values_of(&*self.handle.read()?));
                self.status = Status::Persistent;
                self.link = None;
                self.handle.untouch();
            }
            Status::Deleting => self.set_status(Status::Gone),
            Status::Gone => {}
        }
        Ok(())
    }

    fn save(&self) -> Result<Saved> {
        Ok(Saved {
            status: self.status,
            values: values_of(&*self.handle.read()?),
            row: self.row.clone(),
            deleted: self.handle.is_deleted(),
        })
    }

    fn restore(&mut self, saved: Saved) -> Result<()> {
        set_values(&mut *self.handle.write()?, &saved.values)?;
        self.row = saved.row;
        self.status = saved.status;
        self.handle.set_deleted(saved.deleted);
        // Compared with its row at the next flush, whatever it was before.
        self.handle.touch();
        Ok(())
    }

    fn reload(&mut self, fresh: &dyn Any) -> Result<()> {
        let Some(fresh) = fresh.downcast_ref::<M>() else {
            return Err(Error::Session(format!(
                "a row of another model was read for a {}",
                M::TABLE.model
            )));
        };
        let values = values_of(fresh);
        set_values(&mut *self.handle.write()?, &values)?;
        self.row = Some(values);
        self.handle.untouch();
        Ok(())
    }

    fn committed(&mut self) {
        self.unbumped = None;
    }

    fn rolled_back(&mut self) {
        let (Some(v), Some(i)) = (self.unbumped.take(), M::TABLE.version) else {
            return;
        };
        // A borrowed object keeps the new version: its next write then
        // fails with StaleObject, which says to read it again.
        if let Ok(mut m) = self.handle.write() {
            let _ = crate::versioning::set_version(&mut *m, i, v);
        }
    }
}

/// Deletes the association rows that reference a row whose key is `key`.
pub(crate) fn delete_links(
    conn: &mut Conn,
    associations: &[Association],
    key: ValueRef<'_>,
) -> Result<()> {
    for a in associations {
        let table = (a.table)();
        let mut w = SqlWriter::new(conn.dialect());
        w.push("DELETE FROM ").ident(table.name).push(" WHERE ");
        w.ident(table.columns[a.column].name).push(" = ").param(key);
        conn.execute(&w.sql, &w.params)
            .map_err(|e| e.in_table(table))?;
    }
    Ok(())
}

/// The deletion of a row the session never loaded (`session.delete(&model)`
/// with a model read elsewhere).
pub(crate) struct DetachedDelete {
    pub(crate) table: &'static TableDef,
    pub(crate) key: Vec<Value>,
    pub(crate) associations: &'static [Association],
    /// The version column and the version the model was read with.
    pub(crate) version: Option<(usize, i64)>,
}

impl DetachedDelete {
    pub(crate) fn of<M: Model>(model: &M) -> Self {
        DetachedDelete {
            table: M::TABLE,
            key: M::TABLE
                .primary_key
                .iter()
                .map(|&i| model.value_at(i).to_owned())
                .collect(),
            associations: M::ASSOCIATIONS,
            // A derived model's version field is an integer: version_of
            // cannot fail for it.
            version: crate::versioning::version_of(model).ok().flatten(),
        }
    }

    pub(crate) fn apply(&self, conn: &mut Conn) -> Result<()> {
        if let (false, [key]) = (self.associations.is_empty(), self.key.as_slice()) {
            delete_links(conn, self.associations, key.as_ref())?;
        }
        let key: Vec<ValueRef<'_>> = self.key.iter().map(Value::as_ref).collect();
        match self.version {
            Some(version) => crate::versioning::delete_versioned(conn, self.table, &key, version),
            None => write::delete_by_key(conn, self.table, &key),
        }
    }
}
