//! Collections a session keeps in sync: the children of a one-to-many and
//! the objects linked through a many-to-many, as session objects, mirrored
//! into the parent's relationship field.

use std::any::Any;

use crate::conn::Conn;
use crate::error::Result;
use crate::model::Model;
use crate::query::Select;
use crate::related::Related;
use crate::relation::{HasMany, ManyToMany};

use super::handle::Handle;

mod sealed {
    pub trait Sealed {}
}

/// A relationship whose far side is a collection: [`HasMany`] or
/// [`ManyToMany`]. Sessions load and keep these collections in sync
/// ([`Session::children`](crate::Session::children)).
pub trait ToMany<P, C>: sealed::Sealed + Copy + Send + Sync + 'static {
    /// The relationship field's name.
    fn name(&self) -> &'static str;

    #[doc(hidden)]
    fn field(&self) -> fn(&mut P) -> &mut Related<Vec<C>>;

    /// The query for the far side of `parent`.
    fn of(&self, parent: &P) -> Result<Select<C>>;
}

impl<P, C> sealed::Sealed for HasMany<P, C> {}

impl<P: Model, C: Model> ToMany<P, C> for HasMany<P, C> {
    fn name(&self) -> &'static str {
        HasMany::name(self)
    }
    fn field(&self) -> fn(&mut P) -> &mut Related<Vec<C>> {
        HasMany::field(self)
    }
    fn of(&self, parent: &P) -> Result<Select<C>> {
        HasMany::of(self, parent)
    }
}

impl<L, R, A> sealed::Sealed for ManyToMany<L, R, A> {}

impl<L: Model, R: Model, A: Model> ToMany<L, R> for ManyToMany<L, R, A> {
    fn name(&self) -> &'static str {
        ManyToMany::name(self)
    }
    fn field(&self) -> fn(&mut L) -> &mut Related<Vec<R>> {
        ManyToMany::field(self)
    }
    fn of(&self, parent: &L) -> Result<Select<R>> {
        ManyToMany::of(self, parent)
    }
}

/// A loaded collection, type-erased.
pub(crate) trait Collection: Send {
    /// Which parent object and relationship it belongs to.
    fn owner(&self) -> (usize, &'static str);
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Drops deleted objects and writes copies of the rest into the parent's field.
    fn sync(&mut self) -> Result<()>;
    fn save(&self) -> Box<dyn Any + Send>;
    fn restore(&mut self, saved: Box<dyn Any + Send>);
    /// Whether the parent object was deleted (the collection is then dropped).
    fn parent_deleted(&self) -> bool;
    /// Puts back the parent's field as it was before the session loaded
    /// the collection (a savepoint that loaded it is rolled back).
    fn forget(&mut self) -> Result<()>;
}

/// The objects of one parent's collection.
pub(crate) struct Children<P, C> {
    pub(crate) parent: Handle<P>,
    pub(crate) name: &'static str,
    pub(crate) field: fn(&mut P) -> &mut Related<Vec<C>>,
    pub(crate) items: Vec<Handle<C>>,
    /// The parent's field before the session loaded the collection.
    pub(crate) before: Related<Vec<C>>,
}

impl<P, C> Children<P, C> {
    pub(crate) fn position(&self, child: &Handle<C>) -> Option<usize> {
        self.items.iter().position(|c| Handle::ptr_eq(c, child))
    }
}

impl<P, C> Collection for Children<P, C>
where
    P: Model + Send + Sync,
    C: Model + Clone + Send + Sync,
{
    fn owner(&self) -> (usize, &'static str) {
        (self.parent.addr(), self.name)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn sync(&mut self) -> Result<()> {
        self.items.retain(|c| !c.is_deleted());
        let copies = self
            .items
            .iter()
            .map(|c| c.read().map(|c| c.clone()))
            .collect::<Result<Vec<C>>>()?;
        let mut parent = self.parent.write()?;
        *(self.field)(&mut parent) = Related::loaded(copies);
        Ok(())
    }

    fn save(&self) -> Box<dyn Any + Send> {
        Box::new(self.items.clone())
    }

    fn restore(&mut self, saved: Box<dyn Any + Send>) {
        if let Ok(items) = saved.downcast::<Vec<Handle<C>>>() {
            self.items = *items;
        }
    }

    fn parent_deleted(&self) -> bool {
        self.parent.is_deleted()
    }

    fn forget(&mut self) -> Result<()> {
        let mut parent = self.parent.write()?;
        *(self.field)(&mut parent) = std::mem::take(&mut self.before);
        Ok(())
    }
}

/// A queued insert or delete of an association row.
pub(crate) trait LinkChange: Send {
    fn apply(&self, conn: &mut Conn) -> Result<()>;
    /// The two objects and the relationship.
    fn pair(&self) -> (usize, usize, &'static str);
}

pub(crate) struct LinkOp<L, R, A> {
    pub(crate) relation: ManyToMany<L, R, A>,
    pub(crate) left: Handle<L>,
    pub(crate) right: Handle<R>,
    pub(crate) link: bool,
}

impl<L, R, A> LinkChange for LinkOp<L, R, A>
where
    L: Model + Send + Sync,
    R: Model + Send + Sync,
    A: Model,
{
    fn apply(&self, conn: &mut Conn) -> Result<()> {
        let left = self.left.read()?;
        let right = self.right.read()?;
        if self.link {
            self.relation.link(conn, &*left, &*right)
        } else {
            self.relation.unlink(conn, &*left, &*right).map(|_| ())
        }
    }

    fn pair(&self) -> (usize, usize, &'static str) {
        (self.left.addr(), self.right.addr(), self.relation.name())
    }
}
