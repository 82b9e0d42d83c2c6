//! The collections a session keeps in step: loading them, adding and
//! removing children, linking and unlinking many-to-many partners, and
//! many-to-one parents through the identity map.

use crate::conn::Executor;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::related::Related;
use crate::relation::{BelongsTo, HasMany, ManyToMany};
use crate::value::{Value, ValueRef};

use super::collection::{Children, Collection, LinkOp, ToMany};
use super::entry::{Link, Status, Tracked};
use super::handle::Handle;
use super::identity::Identity;
use super::{Session, SessionModel};

impl<E: Executor> Session<E> {
    fn collection_index(&self, parent: usize, name: &'static str) -> Option<usize> {
        self.collections
            .iter()
            .position(|c| c.owner() == (parent, name))
    }

    /// The index of `parent`'s collection through `relation`, loaded now
    /// when the session does not hold it yet (one query; none for a parent
    /// that has no row yet).
    fn collection<P, C, Rel>(&mut self, parent: &Handle<P>, relation: Rel) -> Result<usize>
    where
        P: SessionModel,
        C: SessionModel + Clone,
        Rel: ToMany<P, C>,
    {
        if let Some(i) = self.collection_index(parent.addr(), relation.name()) {
            return Ok(i);
        }
        let is_new = match self.entry_of(parent) {
            Some(i) => self.entries[i].status() == Status::New,
            // A parent without its generated key has no children yet; one
            // with a key that the session does not hold cannot be trusted
            // to be current.
            None if P::TABLE.auto_key.is_some() && parent.read()?.auto_key_unset() => true,
            None => return Err(not_tracked_parent::<P>()),
        };
        let items = if is_new {
            Vec::new()
        } else {
            let query = relation.of(&*parent.read()?)?;
            self.all(&query)?
        };
        let before = (relation.field())(&mut *parent.write()?).clone();
        let mut children = Children {
            parent: parent.clone(),
            name: relation.name(),
            field: relation.field(),
            items,
            before,
        };
        children.sync()?;
        self.collections.push(Box::new(children));
        Ok(self.collections.len() - 1)
    }

    fn children_at<P: SessionModel, C: SessionModel>(
        &mut self,
        index: usize,
    ) -> Result<&mut Children<P, C>> {
        self.collections[index]
            .as_any_mut()
            .downcast_mut::<Children<P, C>>()
            .ok_or_else(|| Error::Session("a collection of another type".into()))
    }

    /// The objects in `parent`'s collection through `relation` (a
    /// [`HasMany`] or [`ManyToMany`]), loaded once and then kept in step with
    /// the changes made through the session; the parent's relationship field
    /// holds copies of them.
    pub fn children<P, C, Rel>(
        &mut self,
        parent: &Handle<P>,
        relation: Rel,
    ) -> Result<Vec<Handle<C>>>
    where
        P: SessionModel,
        C: SessionModel + Clone,
        Rel: ToMany<P, C>,
    {
        let i = self.collection(parent, relation)?;
        Ok(self.children_at::<P, C>(i)?.items.clone())
    }

    /// The parent of `child` through a many-to-one relationship: the
    /// session's object when it holds that row (no query, as for every child
    /// of one parent after the first), else read; `None` when the foreign key
    /// is NULL or the row is missing. The child's relationship field gets a
    /// copy.
    pub fn parent<C, P>(
        &mut self,
        child: &Handle<C>,
        relation: BelongsTo<C, P>,
    ) -> Result<Option<Handle<P>>>
    where
        C: SessionModel,
        P: SessionModel + Clone,
    {
        let fk = child.read()?.value_at(relation.foreign_key()).to_owned();
        let parent = if fk == Value::Null {
            None
        } else {
            match self.mapped::<P>(&Identity::of_values::<P>(&[fk.as_ref()])) {
                Some(h) => (!h.is_deleted()).then_some(h),
                None => {
                    let query = relation.of(&*child.read()?)?;
                    self.one_or_none(&query)?
                }
            }
        };
        let copy = match &parent {
            Some(p) => Related::loaded(p.read()?.clone()),
            None => Related::Absent,
        };
        *(relation.field())(&mut *child.write()?) = copy;
        Ok(parent)
    }

    /// Adds `child` to `parent`'s collection (the seed's
    /// `artist.albums.append(album)`): the parent's field shows it at once,
    /// and the next flush inserts it with its foreign key set to the
    /// parent's key (after inserting the parent, when it is new too).
    ///
    /// # Failure
    /// Errors of loading the collection.
    pub fn add_child<P, C>(
        &mut self,
        parent: &Handle<P>,
        relation: HasMany<P, C>,
        child: C,
    ) -> Result<Handle<C>>
    where
        P: SessionModel,
        C: SessionModel + Clone,
    {
        let i = self.collection(parent, relation)?;
        let handle = Handle::new(child);
        let from = parent.clone();
        let link: Link<C> = Box::new(move |c| relation.point_at(&*from.read()?, c));
        self.push_entry(Box::new(Tracked::new(handle.clone(), Some(link))));
        let children = self.children_at::<P, C>(i)?;
        children.items.push(handle.clone());
        children.sync()?;
        Ok(handle)
    }

    /// Removes `child` from `parent`'s collection (the seed's
    /// `artist.albums.remove(album)`): the parent's field drops it at once,
    /// and the next flush deletes it or sets its foreign key to NULL, as
    /// the relationship declares.
    ///
    /// # Failure
    /// [`Error::InvalidModel`] when `child` is not in the collection.
    pub fn remove_child<P, C>(
        &mut self,
        parent: &Handle<P>,
        relation: HasMany<P, C>,
        child: &Handle<C>,
    ) -> Result<()>
    where
        P: SessionModel,
        C: SessionModel + Clone,
    {
        let i = self.collection(parent, relation)?;
        let children = self.children_at::<P, C>(i)?;
        let Some(at) = children.position(child) else {
            return Err(not_in_collection::<P, C>(relation.name()));
        };
        children.items.remove(at);
        if relation.deletes_orphans() {
            self.delete_handle(child)?;
        } else {
            // Tracked before the change, so the flush sees the change.
            if self.entry_of(child).is_none() {
                self.push_entry(Box::new(Tracked::loaded(child.clone())?));
            }
            child
                .write()?
                .set_value(relation.foreign_key(), ValueRef::Null)?;
            child.touch();
        }
        self.children_at::<P, C>(i)?.sync()
    }

    /// Links `left` and `right` through a many-to-many relationship: `left`'s
    /// collection shows `right` at once, and the next flush inserts the
    /// association row (after inserting either object when it is new).
    pub fn link<L, R, A>(
        &mut self,
        left: &Handle<L>,
        relation: ManyToMany<L, R, A>,
        right: &Handle<R>,
    ) -> Result<()>
    where
        L: SessionModel,
        R: SessionModel + Clone,
        A: Model,
    {
        self.change_link(left, relation, right, true)
    }

    /// Unlinks `left` and `right`: `left`'s collection drops `right` at once,
    /// and the next flush deletes the association row.
    pub fn unlink<L, R, A>(
        &mut self,
        left: &Handle<L>,
        relation: ManyToMany<L, R, A>,
        right: &Handle<R>,
    ) -> Result<()>
    where
        L: SessionModel,
        R: SessionModel + Clone,
        A: Model,
    {
        self.change_link(left, relation, right, false)
    }

    fn change_link<L, R, A>(
        &mut self,
        left: &Handle<L>,
        relation: ManyToMany<L, R, A>,
        right: &Handle<R>,
        link: bool,
    ) -> Result<()>
    where
        L: SessionModel,
        R: SessionModel + Clone,
        A: Model,
    {
        let i = self.collection(left, relation)?;
        let children = self.children_at::<L, R>(i)?;
        let linked = children.position(right);
        match (linked, link) {
            (None, true) => children.items.push(right.clone()),
            (Some(at), false) => {
                children.items.remove(at);
            }
            // Already as asked: nothing to write.
            _ => return Ok(()),
        }
        children.sync()?;
        let pair = (left.addr(), right.addr(), relation.name());
        match self.links.iter().position(|l| l.pair() == pair) {
            // The opposite change is queued: the two cancel out.
            Some(at) => {
                self.links.remove(at);
            }
            None => self.links.push(Box::new(LinkOp {
                relation,
                left: left.clone(),
                right: right.clone(),
                link,
            })),
        }
        Ok(())
    }
}

fn not_in_collection<P: Model, C: Model>(name: &str) -> Error {
    Error::InvalidModel(format!(
        "this {} is not in {}.{} of the given {}",
        C::TABLE.model,
        P::TABLE.model,
        name,
        P::TABLE.model
    ))
}

fn not_tracked_parent<P: Model>() -> Error {
    Error::Session(format!(
        "this {} is not an object of the session (load it through the session first)",
        P::TABLE.model
    ))
}
