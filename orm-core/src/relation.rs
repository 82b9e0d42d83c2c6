//! Relationships between models: one-to-many ([`HasMany`]), many-to-one
//! ([`BelongsTo`]) and many-to-many through an association table
//! ([`ManyToMany`]). `#[derive(Model)]` makes one constant per relationship
//! field (`Artist::ALBUMS`); these are the handles to query through a
//! relationship, change it, and load it eagerly
//! ([`Select::with`](crate::Select::with)).

use std::marker::PhantomData;

use crate::conn::Executor;
use crate::convert::{ForeignKeyType, SqlType};
use crate::error::{Error, Result};
use crate::expr::{BinOp, Column, Expr};
use crate::model::{Model, TableDef};
use crate::query::{Select, SelectStmt, TableRef};
use crate::related::Related;
use crate::render::SqlWriter;
use crate::value::ValueRef;
use crate::write;

/// What removing a child from a one-to-many relationship does to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orphans {
    /// Delete the child row.
    Delete,
    /// Set the child's foreign key to NULL.
    Nullify,
    /// Nullify when the foreign key is nullable, else delete.
    Default,
}

/// The index of a foreign-key column of `C` that references `P`'s key,
/// checked at compile time: the column's type must be the key's type.
/// Used by `#[derive(Model)]`.
pub const fn foreign_key_column<C, T, P>(column: Column<C, T>) -> usize
where
    T: SqlType,
    T::Base: ForeignKeyType<P::Key>,
    P: Model,
{
    column.index()
}

/// The single-column primary key of `table`, or an error naming the model.
pub(crate) fn single_key(table: &'static TableDef, what: &str) -> Result<usize> {
    match table.primary_key {
        [k] => Ok(*k),
        _ => Err(Error::InvalidModel(format!(
            "{what}: {} ({}) needs a single-column primary key to be the target of a relationship",
            table.model, table.name
        ))),
    }
}

fn column_expr(table: &'static TableDef, index: usize) -> Expr {
    Expr::Column {
        table: table.name,
        name: table.columns[index].name,
    }
}

fn equals(left: Expr, right: Expr) -> Expr {
    Expr::Binary {
        op: BinOp::Eq,
        left: Box::new(left),
        right: Box::new(right),
    }
}

/// A one-to-many relationship from parent `P` to children `C`, through a
/// foreign-key column of `C`.
pub struct HasMany<P, C> {
    name: &'static str,
    foreign_key: usize,
    field: fn(&mut P) -> &mut Related<Vec<C>>,
    orphans: Orphans,
}

impl<P, C> Clone for HasMany<P, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, C> Copy for HasMany<P, C> {}

impl<P, C> std::fmt::Debug for HasMany<P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HasMany({})", self.name)
    }
}

impl<P: Model, C: Model> HasMany<P, C> {
    /// Declared by the derive: field `name` of `P`, children's foreign key at
    /// column index `foreign_key` of `C`.
    pub const fn new(
        name: &'static str,
        foreign_key: usize,
        field: fn(&mut P) -> &mut Related<Vec<C>>,
        orphans: Orphans,
    ) -> Self {
        HasMany {
            name,
            foreign_key,
            field,
            orphans,
        }
    }

    /// The relationship field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The foreign key's column index in `C`.
    pub fn foreign_key(&self) -> usize {
        self.foreign_key
    }

    pub(crate) fn field(&self) -> fn(&mut P) -> &mut Related<Vec<C>> {
        self.field
    }

    fn parent_key<'p>(&self, parent: &'p P) -> Result<ValueRef<'p>> {
        Ok(parent.value_at(single_key(P::TABLE, self.name)?))
    }

    fn fk_expr(&self) -> Expr {
        column_expr(C::TABLE, self.foreign_key)
    }

    /// The children of `parent`, as a query to refine (lazy loading).
    pub fn of(&self, parent: &P) -> Result<Select<C>> {
        let key = self.parent_key(parent)?.to_owned();
        Ok(C::query().filter(equals(self.fk_expr(), Expr::Value(key))))
    }

    /// The children of all `parents`, as one query.
    pub fn of_all(&self, parents: &[P]) -> Result<Select<C>> {
        let k = single_key(P::TABLE, self.name)?;
        let keys: Vec<Expr> = parents
            .iter()
            .map(|p| Expr::Value(p.value_at(k).to_owned()))
            .collect();
        Ok(C::query().filter(Expr::InList {
            expr: Box::new(self.fk_expr()),
            list: keys,
            negated: false,
        }))
    }

    /// The children of the parents a query selects, as one query
    /// (`fk IN (SELECT key FROM parents WHERE ...)`).
    pub fn of_query<R>(&self, parents: Select<P, R>) -> Result<Select<C>> {
        let k = single_key(P::TABLE, self.name)?;
        let mut stmt: SelectStmt = parents.into();
        stmt.columns = vec![column_expr(P::TABLE, k)];
        stmt.order_by.clear();
        Ok(C::query().filter(Expr::InSubquery {
            expr: Box::new(self.fk_expr()),
            query: Box::new(stmt),
            negated: false,
        }))
    }

    /// A condition on the parent: it has at least one child matching `condition`
    /// (a correlated `EXISTS`). Not for self-referential relationships.
    pub fn any(&self, condition: Expr) -> Result<Expr> {
        let k = single_key(P::TABLE, self.name)?;
        Ok(C::query()
            .filter(equals(self.fk_expr(), column_expr(P::TABLE, k)))
            .filter(condition)
            .exists_expr())
    }

    /// Loads the children of `parent` into its relationship field and returns them.
    pub fn load<'p, E: Executor + ?Sized>(&self, ex: &mut E, parent: &'p mut P) -> Result<&'p [C]> {
        let children = self.of(parent)?.all(ex)?;
        let field = (self.field)(parent);
        *field = Related::loaded(children);
        Ok(field.get().map(Vec::as_slice).unwrap_or_default())
    }

    /// Adds `child` to `parent`: sets its foreign key to the parent's key and
    /// saves it (inserted, or updated when it already has a row). The seed's
    /// `artist.albums.append(album)`.
    pub fn add<E: Executor + ?Sized>(&self, ex: &mut E, parent: &P, child: &mut C) -> Result<()> {
        self.point_at(parent, child)?;
        write::save_row(ex.conn()?, child)
    }

    /// Sets `child`'s foreign key to `parent`'s key.
    ///
    /// # Failure
    /// [`Error::Session`] when the parent has no generated key yet.
    pub(crate) fn point_at(&self, parent: &P, child: &mut C) -> Result<()> {
        let key = self.parent_key(parent)?;
        if P::TABLE.auto_key.is_some() && parent.auto_key_unset() {
            return Err(Error::Session(format!(
                "cannot add to {}.{} of a {} that has not been inserted",
                P::TABLE.model,
                self.name,
                P::TABLE.model
            )));
        }
        child.set_value(self.foreign_key, key)
    }

    /// Removes `child` from `parent`: deletes it or sets its foreign key to
    /// NULL, as the relationship declares. The seed's `artist.albums.remove(album)`.
    ///
    /// # Failure
    /// [`Error::InvalidModel`] when `child` does not belong to `parent`.
    pub fn remove<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        parent: &P,
        child: &mut C,
    ) -> Result<()> {
        self.check_child(parent, child)?;
        if self.deletes_orphans() {
            write::delete_row(ex.conn()?, child)
        } else {
            child.set_value(self.foreign_key, ValueRef::Null)?;
            if write::update_row(ex.conn()?, child, Some(&[self.foreign_key]))? {
                write::bump_version(child)?;
            }
            Ok(())
        }
    }

    pub(crate) fn deletes_orphans(&self) -> bool {
        match self.orphans {
            Orphans::Delete => true,
            Orphans::Nullify => false,
            Orphans::Default => !C::TABLE.columns[self.foreign_key].nullable,
        }
    }

    pub(crate) fn check_child(&self, parent: &P, child: &C) -> Result<()> {
        let key = self.parent_key(parent)?;
        if child.value_at(self.foreign_key) != key {
            return Err(Error::InvalidModel(format!(
                "this {} is not in {}.{} of the given {}",
                C::TABLE.model,
                P::TABLE.model,
                self.name,
                P::TABLE.model
            )));
        }
        Ok(())
    }
}

/// A many-to-one relationship from child `C` to its parent `P`, through a
/// foreign-key column of `C`.
pub struct BelongsTo<C, P> {
    name: &'static str,
    foreign_key: usize,
    field: fn(&mut C) -> &mut Related<P>,
}

impl<C, P> Clone for BelongsTo<C, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C, P> Copy for BelongsTo<C, P> {}

impl<C, P> std::fmt::Debug for BelongsTo<C, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BelongsTo({})", self.name)
    }
}

impl<C: Model, P: Model> BelongsTo<C, P> {
    /// Declared by the derive.
    pub const fn new(
        name: &'static str,
        foreign_key: usize,
        field: fn(&mut C) -> &mut Related<P>,
    ) -> Self {
        BelongsTo {
            name,
            foreign_key,
            field,
        }
    }

    /// The relationship field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The foreign key's column index in `C`.
    pub fn foreign_key(&self) -> usize {
        self.foreign_key
    }

    pub(crate) fn field(&self) -> fn(&mut C) -> &mut Related<P> {
        self.field
    }

    /// The parent of `child`, as a query (none when the foreign key is NULL).
    pub fn of(&self, child: &C) -> Result<Select<P>> {
        let k = single_key(P::TABLE, self.name)?;
        let condition = match child.value_at(self.foreign_key) {
            ValueRef::Null => Expr::Or(Vec::new()),
            v => equals(column_expr(P::TABLE, k), Expr::Value(v.to_owned())),
        };
        Ok(P::query().filter(condition))
    }

    /// Loads the parent of `child` into its relationship field and returns it.
    pub fn load<'c, E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        child: &'c mut C,
    ) -> Result<Option<&'c P>> {
        let parent = self.of(child)?.one_or_none(ex)?;
        let field = (self.field)(child);
        *field = match parent {
            Some(p) => Related::loaded(p),
            None => Related::Absent,
        };
        Ok(field.get())
    }

    /// Points `child` at `parent` (sets the foreign key; the caller saves the child).
    pub fn set(&self, child: &mut C, parent: &P) -> Result<()> {
        let k = single_key(P::TABLE, self.name)?;
        child.set_value(self.foreign_key, parent.value_at(k))
    }
}

/// A many-to-many relationship from `L` to `R` through association model `A`,
/// whose `local` column references `L` and `remote` column references `R`.
pub struct ManyToMany<L, R, A> {
    name: &'static str,
    local: usize,
    remote: usize,
    field: fn(&mut L) -> &mut Related<Vec<R>>,
    _through: PhantomData<fn() -> A>,
}

impl<L, R, A> Clone for ManyToMany<L, R, A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, R, A> Copy for ManyToMany<L, R, A> {}

impl<L, R, A> std::fmt::Debug for ManyToMany<L, R, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ManyToMany({})", self.name)
    }
}

impl<L: Model, R: Model, A: Model> ManyToMany<L, R, A> {
    /// Declared by the derive: `local` and `remote` are column indexes in `A`.
    pub const fn new(
        name: &'static str,
        local: usize,
        remote: usize,
        field: fn(&mut L) -> &mut Related<Vec<R>>,
    ) -> Self {
        ManyToMany {
            name,
            local,
            remote,
            field,
            _through: PhantomData,
        }
    }

    /// The relationship field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn field(&self) -> fn(&mut L) -> &mut Related<Vec<R>> {
        self.field
    }

    pub(crate) fn columns(&self) -> (usize, usize) {
        (self.local, self.remote)
    }

    /// The objects linked to `left`, as a query to refine.
    pub fn of(&self, left: &L) -> Result<Select<R>> {
        let lk = single_key(L::TABLE, self.name)?;
        let rk = single_key(R::TABLE, self.name)?;
        let mut links = SelectStmt::from(TableRef {
            name: A::TABLE.name,
            alias: None,
        });
        links.columns = vec![column_expr(A::TABLE, self.remote)];
        links.filter = Some(equals(
            column_expr(A::TABLE, self.local),
            Expr::Value(left.value_at(lk).to_owned()),
        ));
        Ok(R::query().filter(Expr::InSubquery {
            expr: Box::new(column_expr(R::TABLE, rk)),
            query: Box::new(links),
            negated: false,
        }))
    }

    fn link_values<'a>(&self, left: &'a L, right: &'a R) -> Result<[ValueRef<'a>; 2]> {
        let lk = single_key(L::TABLE, self.name)?;
        let rk = single_key(R::TABLE, self.name)?;
        Ok([left.value_at(lk), right.value_at(rk)])
    }

    /// Links `left` and `right` (inserts an association row).
    pub fn link<E: Executor + ?Sized>(&self, ex: &mut E, left: &L, right: &R) -> Result<()> {
        let [l, r] = self.link_values(left, right)?;
        let conn = ex.conn()?;
        let mut w = SqlWriter::new(conn.dialect());
        w.push("INSERT INTO ").ident(A::TABLE.name).push(" (");
        w.ident(A::TABLE.columns[self.local].name).push(", ");
        w.ident(A::TABLE.columns[self.remote].name)
            .push(") VALUES (");
        w.param(l).push(", ").param(r).push(")");
        conn.execute(&w.sql, &w.params)
            .map_err(|e| e.in_table(A::TABLE))?;
        Ok(())
    }

    /// Unlinks `left` and `right` (deletes their association row); returns
    /// whether they were linked.
    pub fn unlink<E: Executor + ?Sized>(&self, ex: &mut E, left: &L, right: &R) -> Result<bool> {
        let [l, r] = self.link_values(left, right)?;
        let conn = ex.conn()?;
        let mut w = SqlWriter::new(conn.dialect());
        w.push("DELETE FROM ").ident(A::TABLE.name).push(" WHERE ");
        w.ident(A::TABLE.columns[self.local].name)
            .push(" = ")
            .param(l);
        w.push(" AND ");
        w.ident(A::TABLE.columns[self.remote].name)
            .push(" = ")
            .param(r);
        let n = conn
            .execute(&w.sql, &w.params)
            .map_err(|e| e.in_table(A::TABLE))?;
        Ok(n > 0)
    }

    /// Loads the objects linked to `left` into its relationship field and returns them.
    pub fn load<'l, E: Executor + ?Sized>(&self, ex: &mut E, left: &'l mut L) -> Result<&'l [R]> {
        let rows = self.of(left)?.all(ex)?;
        let field = (self.field)(left);
        *field = Related::loaded(rows);
        Ok(field.get().map(Vec::as_slice).unwrap_or_default())
    }
}

fn key_condition(
    child: &'static TableDef,
    foreign_key: usize,
    parent: &'static TableDef,
    name: &str,
) -> std::result::Result<Expr, String> {
    let k = single_key(parent, name).map_err(|e| e.to_string())?;
    Ok(equals(
        column_expr(child, foreign_key),
        column_expr(parent, k),
    ))
}

impl<P: Model, C: Model> crate::query::JoinPath for HasMany<P, C> {
    type To = C;
    fn on(&self) -> std::result::Result<Expr, String> {
        key_condition(C::TABLE, self.foreign_key, P::TABLE, self.name)
    }
}

impl<C: Model, P: Model> crate::query::JoinPath for BelongsTo<C, P> {
    type To = P;
    fn on(&self) -> std::result::Result<Expr, String> {
        key_condition(C::TABLE, self.foreign_key, P::TABLE, self.name)
    }
}
