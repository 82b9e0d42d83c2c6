//! Eager loading: one query per relationship level, whatever the number of
//! parents (no N+1).
//!
//! `Artist::query().with(Artist::ALBUMS.then(Album::TRACKS)).all(&mut conn)`
//! runs three queries: the artists, their albums (`artist_id IN (...)`), and
//! those albums' tracks. Key lists longer than the backend's parameter limit
//! are split, one query per chunk. Each parent's related rows come in the
//! related table's primary-key order; ordering and limits on the main query
//! apply to the parents only.

use crate::fast_hash::FastMap;

type KeyMap<V> = FastMap<Key, V>;

use crate::conn::{Conn, Executor};
use crate::error::Result;
use crate::expr::Expr;
use crate::model::{Model, TableDef};
use crate::query::{model_columns, Join, JoinKind, Select, SelectStmt, TableRef};
use crate::related::Related;
use crate::relation::{single_key, BelongsTo, HasMany, ManyToMany};
use crate::render::SqlWriter;
use crate::value::ValueRef;

/// A key value usable in a hash map (integers of every width compare equal).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

fn key_of(v: ValueRef<'_>) -> Option<Key> {
    match v {
        ValueRef::Bool(b) => Some(Key::Bool(b)),
        ValueRef::Text(s) => Some(Key::Text(s.to_owned())),
        ValueRef::Bytes(b) => Some(Key::Bytes(b.to_vec())),
        #[cfg(feature = "uuid")]
        ValueRef::Uuid(u) => Some(Key::Bytes(u.as_bytes().to_vec())),
        v => v.as_i64().map(Key::Int),
    }
}

/// The positions of the parents holding one key: nearly always one (a
/// primary key), so that case allocates nothing.
#[derive(Debug)]
enum Positions {
    One(usize),
    Many(Vec<usize>),
}

impl Positions {
    fn as_slice(&self) -> &[usize] {
        match self {
            Positions::One(p) => std::slice::from_ref(p),
            Positions::Many(ps) => ps,
        }
    }

    fn push(&mut self, p: usize) {
        match self {
            Positions::One(first) => *self = Positions::Many(vec![*first, p]),
            Positions::Many(ps) => ps.push(p),
        }
    }
}

/// The distinct keys among `values`, each with the positions holding it.
fn group_keys<'a>(
    values: impl ExactSizeIterator<Item = ValueRef<'a>>,
) -> (Vec<ValueRef<'a>>, KeyMap<Positions>) {
    let mut distinct = Vec::with_capacity(values.len());
    let mut positions: KeyMap<Positions> =
        KeyMap::with_capacity_and_hasher(values.len(), Default::default());
    for (i, v) in values.enumerate() {
        let Some(k) = key_of(v) else { continue };
        match positions.entry(k) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().push(i),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Positions::One(i));
                distinct.push(v);
            }
        }
    }
    (distinct, positions)
}

/// Related rows fetched for a slice of parents.
pub struct Fetched<T> {
    /// The related rows, each once.
    pub targets: Vec<T>,
    /// `(parent index, target index)` pairs; each parent's targets in order.
    pub links: Vec<(usize, usize)>,
}

/// A relationship that can be loaded for many parents at once.
pub trait Relation<P>: Copy + Send + Sync + 'static {
    /// The related model.
    type Target: Model + Clone;

    /// Fetches the related rows of all `parents` (one query per chunk of keys).
    fn fetch(&self, conn: &mut Conn, parents: &[P]) -> Result<Fetched<Self::Target>>;

    /// Stores a parent's related rows into its relationship field.
    fn assign(&self, parent: &mut P, targets: Vec<Self::Target>);

    /// Loads `next` on the related rows too (nested eager loading).
    fn then<N: Load<Self::Target>>(self, next: N) -> Then<Self, N> {
        Then { first: self, next }
    }
}

/// Something that loads relationship fields of a slice of `P`s.
pub trait Load<P>: Send + Sync {
    /// Loads into `parents`.
    fn load(&self, conn: &mut Conn, parents: &mut [P]) -> Result<()>;
}

fn distribute<P, R: Relation<P>>(rel: &R, parents: &mut [P], fetched: Fetched<R::Target>) {
    let Fetched { targets, links } = fetched;
    // Each parent's list is allocated once, at its final size.
    let mut counts = vec![0usize; parents.len()];
    for &(p, _) in &links {
        counts[p] += 1;
    }
    let mut per_parent: Vec<Vec<R::Target>> =
        counts.iter().map(|&n| Vec::with_capacity(n)).collect();
    let one_each = links.len() == targets.len() && links.iter().enumerate().all(|(i, l)| l.1 == i);
    if one_each {
        // Every target goes to one parent, in order (a one-to-many load):
        // move them, no bookkeeping.
        for ((p, _), target) in links.into_iter().zip(targets) {
            per_parent[p].push(target);
        }
    } else {
        let mut uses = vec![0usize; targets.len()];
        for &(_, t) in &links {
            uses[t] += 1;
        }
        let mut slots: Vec<Option<R::Target>> = targets.into_iter().map(Some).collect();
        for (p, t) in links {
            uses[t] -= 1;
            // The last parent to use a target takes it; others get a copy.
            let value = if uses[t] == 0 {
                slots[t].take()
            } else {
                slots[t].clone()
            };
            if let Some(v) = value {
                per_parent[p].push(v);
            }
        }
    }
    for (parent, items) in parents.iter_mut().zip(per_parent) {
        rel.assign(parent, items);
    }
}

fn load_relation<P, R: Relation<P>>(rel: &R, conn: &mut Conn, parents: &mut [P]) -> Result<()> {
    let fetched = rel.fetch(conn, parents)?;
    distribute(rel, parents, fetched);
    Ok(())
}

impl<P: Model, C: Model + Clone> Load<P> for HasMany<P, C> {
    fn load(&self, conn: &mut Conn, parents: &mut [P]) -> Result<()> {
        load_relation(self, conn, parents)
    }
}

impl<C: Model, P: Model + Clone> Load<C> for BelongsTo<C, P> {
    fn load(&self, conn: &mut Conn, children: &mut [C]) -> Result<()> {
        load_relation(self, conn, children)
    }
}

impl<L: Model, R: Model + Clone, A: Model> Load<L> for ManyToMany<L, R, A> {
    fn load(&self, conn: &mut Conn, lefts: &mut [L]) -> Result<()> {
        load_relation(self, conn, lefts)
    }
}

/// A relationship followed by loads on its related rows: `A::B.then(B::C)`.
#[derive(Debug, Clone, Copy)]
pub struct Then<R, N> {
    first: R,
    next: N,
}

macro_rules! inherent_then {
    ($($rel:ident < $($g:ident),+ > for $owner:ident => $target:ident;)*) => {$(
        impl<$($g: Model),+> $rel<$($g),+>
        where
            $target: Clone,
        {
            /// Loads `next` on the related rows too (nested eager loading):
            /// `Artist::ALBUMS.then(Album::TRACKS)`.
            pub fn then<N: Load<$target>>(self, next: N) -> Then<Self, N> {
                Then { first: self, next }
            }
        }
    )*};
}

inherent_then! {
    HasMany<P, C> for P => C;
    BelongsTo<C, P> for C => P;
    ManyToMany<L, R, A> for L => R;
}

impl<P, R: Relation<P>, N: Load<R::Target>> Load<P> for Then<R, N> {
    fn load(&self, conn: &mut Conn, parents: &mut [P]) -> Result<()> {
        let mut fetched = self.first.fetch(conn, parents)?;
        self.next.load(conn, &mut fetched.targets)?;
        distribute(&self.first, parents, fetched);
        Ok(())
    }
}

/// Runs `select` once per chunk of `keys` (an `IN` list on `column`) and
/// hands each row to `each`.
fn fetch_in_chunks(
    conn: &mut Conn,
    mut base: SelectStmt,
    column: Expr,
    keys: &[ValueRef<'_>],
    table: &'static TableDef,
    each: &mut dyn FnMut(&dyn crate::Row) -> Result<()>,
) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let chunk = conn.dialect().max_parameters().max(1);
    let filter = base.filter.take();
    for part in keys.chunks(chunk) {
        let mut stmt = base.clone();
        let list = Expr::InList {
            expr: Box::new(column.clone()),
            list: part.iter().map(|v| Expr::Value(v.to_owned())).collect(),
            negated: false,
        };
        stmt.filter = Some(match &filter {
            Some(f) => f.clone().and(list),
            None => list,
        });
        let w = SqlWriter::statement(conn.dialect(), |w| w.select(&stmt))?;
        conn.query(&w.sql, &w.params, each)
            .map_err(|e| e.in_table(table))?;
    }
    Ok(())
}

fn column(table: &'static TableDef, index: usize) -> Expr {
    Expr::Column {
        table: table.name,
        name: table.columns[index].name,
    }
}

fn by_primary_key<M: Model>() -> Result<Select<M>> {
    let k = single_key(M::TABLE, M::TABLE.model)?;
    Ok(M::query().order_by(crate::Order {
        nullable: false,
        expr: column(M::TABLE, k),
        descending: false,
    }))
}

impl<P: Model, C: Model + Clone> Relation<P> for HasMany<P, C> {
    type Target = C;

    fn fetch(&self, conn: &mut Conn, parents: &[P]) -> Result<Fetched<C>> {
        let pk = single_key(P::TABLE, self.name())?;
        let (keys, positions) = group_keys(parents.iter().map(|p| p.value_at(pk)));
        let fk = self.foreign_key();
        let mut targets = Vec::new();
        let mut links = Vec::new();
        let base: SelectStmt = by_primary_key::<C>()?.into();
        fetch_in_chunks(
            conn,
            base,
            column(C::TABLE, fk),
            &keys,
            C::TABLE,
            &mut |row| {
                let child = C::from_row(row, 0)?;
                if let Some(ps) = key_of(child.value_at(fk)).and_then(|k| positions.get(&k)) {
                    for &p in ps.as_slice() {
                        links.push((p, targets.len()));
                    }
                }
                targets.push(child);
                Ok(())
            },
        )?;
        Ok(Fetched { targets, links })
    }

    fn assign(&self, parent: &mut P, targets: Vec<C>) {
        *(self.field())(parent) = Related::loaded(targets);
    }
}

impl<C: Model, P: Model + Clone> Relation<C> for BelongsTo<C, P> {
    type Target = P;

    fn fetch(&self, conn: &mut Conn, children: &[C]) -> Result<Fetched<P>> {
        let pk = single_key(P::TABLE, self.name())?;
        let fk = self.foreign_key();
        let (keys, positions) = group_keys(children.iter().map(|c| c.value_at(fk)));
        let mut targets = Vec::new();
        let mut links = Vec::new();
        let base: SelectStmt = P::query().into();
        fetch_in_chunks(
            conn,
            base,
            column(P::TABLE, pk),
            &keys,
            P::TABLE,
            &mut |row| {
                let parent = P::from_row(row, 0)?;
                if let Some(cs) = key_of(parent.value_at(pk)).and_then(|k| positions.get(&k)) {
                    for &c in cs.as_slice() {
                        links.push((c, targets.len()));
                    }
                }
                targets.push(parent);
                Ok(())
            },
        )?;
        Ok(Fetched { targets, links })
    }

    fn assign(&self, child: &mut C, mut targets: Vec<P>) {
        *(self.field())(child) = match targets.pop() {
            Some(p) => Related::loaded(p),
            None => Related::Absent,
        };
    }
}

impl<L: Model, R: Model + Clone, A: Model> Relation<L> for ManyToMany<L, R, A> {
    type Target = R;

    fn fetch(&self, conn: &mut Conn, lefts: &[L]) -> Result<Fetched<R>> {
        let lk = single_key(L::TABLE, self.name())?;
        let rk = single_key(R::TABLE, self.name())?;
        let (local, remote) = self.columns();
        let (keys, positions) = group_keys(lefts.iter().map(|l| l.value_at(lk)));
        let mut stmt: SelectStmt = by_primary_key::<R>()?.into();
        let mut columns = vec![column(A::TABLE, local)];
        columns.extend(model_columns(R::TABLE, R::TABLE.name));
        stmt.columns = columns;
        stmt.joins.push(Join {
            kind: JoinKind::Inner,
            table: TableRef {
                name: A::TABLE.name,
                alias: None,
            },
            on: Expr::Binary {
                op: crate::BinOp::Eq,
                left: Box::new(column(A::TABLE, remote)),
                right: Box::new(column(R::TABLE, rk)),
            },
        });
        let mut targets: Vec<R> = Vec::new();
        let mut seen: KeyMap<usize> = KeyMap::default();
        let mut links = Vec::new();
        fetch_in_chunks(
            conn,
            stmt,
            column(A::TABLE, local),
            &keys,
            R::TABLE,
            &mut |row| {
                let owner = key_of(row.get(0)?);
                let right = R::from_row(row, 1)?;
                let index = match key_of(right.value_at(rk)) {
                    Some(k) => *seen.entry(k).or_insert_with(|| {
                        targets.push(right);
                        targets.len() - 1
                    }),
                    None => return Ok(()),
                };
                if let Some(ls) = owner.and_then(|k| positions.get(&k)) {
                    for &l in ls.as_slice() {
                        links.push((l, index));
                    }
                }
                Ok(())
            },
        )?;
        Ok(Fetched { targets, links })
    }

    fn assign(&self, left: &mut L, targets: Vec<R>) {
        *(self.field())(left) = Related::loaded(targets);
    }
}

/// A query over `M` with relationships to load eagerly, made by
/// [`Select::with`].
pub struct EagerSelect<M> {
    select: Select<M>,
    loads: Vec<Box<dyn Load<M>>>,
}

impl<M> std::fmt::Debug for EagerSelect<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EagerSelect")
            .field("loads", &self.loads.len())
            .finish()
    }
}

impl<M: Model> Select<M> {
    /// Loads a relationship (or a chain: `A::B.then(B::C)`) of every row the
    /// query returns, with one query per relationship level.
    pub fn with<L: Load<M> + 'static>(self, load: L) -> EagerSelect<M> {
        EagerSelect {
            select: self,
            loads: vec![Box::new(load)],
        }
    }
}

impl<M: Model> EagerSelect<M> {
    /// Loads another relationship too.
    pub fn with<L: Load<M> + 'static>(mut self, load: L) -> Self {
        self.loads.push(Box::new(load));
        self
    }

    fn load_into<E: Executor + ?Sized>(&self, ex: &mut E, rows: &mut [M]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let conn = ex.conn()?;
        for load in &self.loads {
            load.load(conn, rows)?;
        }
        Ok(())
    }

    /// Every matching row, with its relationships loaded.
    pub fn all<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Vec<M>> {
        let mut rows = self.select.all(ex)?;
        self.load_into(ex, &mut rows)?;
        Ok(rows)
    }

    /// The first matching row, with its relationships loaded.
    pub fn first<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Option<M>> {
        let mut row: Vec<M> = self.select.first(ex)?.into_iter().collect();
        self.load_into(ex, &mut row)?;
        Ok(row.pop())
    }

    /// Exactly one row, with its relationships loaded.
    pub fn one<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<M> {
        let mut row = vec![self.select.one(ex)?];
        self.load_into(ex, &mut row)?;
        Ok(row.remove(0))
    }
}
