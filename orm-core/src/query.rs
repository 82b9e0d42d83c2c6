//! The typed query builder: `Artist::query().filter(Artist::NAME.eq("x")).one(&mut conn)`.

use std::marker::PhantomData;

use crate::conn::Executor;
use crate::convert::{IntoOperand, SqlType};
use crate::error::{Error, Result};
use crate::expr::{BinOp, Column, Expr, Order};
use crate::model::{FromRow, Model, ReferentialAction, TableDef};
use crate::render::SqlWriter;
use crate::sql_cache::{cached_sql, Kind};
use crate::value::ValueRef;

/// `k1 = v1 AND k2 = v2 ...` over the primary key of `table`.
pub(crate) fn key_condition(table: &'static TableDef, key: Vec<crate::value::Value>) -> Expr {
    Expr::And(
        table
            .primary_key
            .iter()
            .zip(key)
            .map(|(&i, v)| Expr::Binary {
                op: BinOp::Eq,
                left: Box::new(Expr::Column {
                    table: table.name,
                    name: table.columns[i].name,
                }),
                right: Box::new(Expr::Value(v)),
            })
            .collect(),
    )
}

/// A table in a FROM or JOIN clause, with an optional alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRef {
    /// The table's name.
    pub name: &'static str,
    /// The alias, when the table is joined to itself.
    pub alias: Option<&'static str>,
}

impl TableRef {
    /// The name columns are qualified with: the alias, or the table's name.
    pub fn qualifier(&self) -> &'static str {
        self.alias.unwrap_or(self.name)
    }
}

/// The kind of a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `INNER JOIN`.
    Inner,
    /// `LEFT JOIN`.
    Left,
}

/// One JOIN clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Inner or left.
    pub kind: JoinKind,
    /// The joined table.
    pub table: TableRef,
    /// The join condition.
    pub on: Expr,
}

/// A SELECT statement's AST, independent of any dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectStmt {
    /// `SELECT DISTINCT`.
    pub distinct: bool,
    /// The selected expressions.
    pub columns: Vec<Expr>,
    /// The main table.
    pub from: TableRef,
    /// Joined tables.
    pub joins: Vec<Join>,
    /// The WHERE condition.
    pub filter: Option<Expr>,
    /// GROUP BY terms.
    pub group_by: Vec<Expr>,
    /// The HAVING condition.
    pub having: Option<Expr>,
    /// ORDER BY terms.
    pub order_by: Vec<Order>,
    /// LIMIT.
    pub limit: Option<u64>,
    /// OFFSET.
    pub offset: Option<u64>,
    /// A row lock taken on the rows read (`FOR UPDATE`, `FOR SHARE`).
    pub lock: Option<RowLock>,
}

/// Which lock a SELECT takes on the rows it reads, until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// An exclusive lock: other transactions can neither lock nor change
    /// the rows (`FOR UPDATE`).
    Update,
    /// A shared lock: others can read and share-lock the rows, not change
    /// them (`FOR SHARE`; `LOCK IN SHARE MODE` on MySQL/MariaDB).
    Share,
}

/// What a locking SELECT does when another transaction holds a lock on a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Waits for the lock (up to the server's lock timeout).
    Wait,
    /// Fails at once with [`TransientKind::LockTimeout`](crate::TransientKind).
    NoWait,
    /// Leaves locked rows out of the result (work queues).
    SkipLocked,
}

impl LockWait {
    /// The words after the lock clause: empty, ` NOWAIT` or ` SKIP LOCKED`.
    pub fn sql(&self) -> &'static str {
        match self {
            LockWait::Wait => "",
            LockWait::NoWait => " NOWAIT",
            LockWait::SkipLocked => " SKIP LOCKED",
        }
    }
}

/// A row lock: its mode and what to do when a row is locked already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLock {
    /// Exclusive or shared.
    pub mode: LockMode,
    /// Wait, fail, or skip.
    pub wait: LockWait,
}

impl SelectStmt {
    /// `SELECT * FROM table`.
    pub fn from(table: TableRef) -> Self {
        SelectStmt {
            distinct: false,
            columns: Vec::new(),
            from: table,
            joins: Vec::new(),
            filter: None,
            group_by: Vec::new(),
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            lock: None,
        }
    }

    pub(crate) fn add_filter(&mut self, e: Expr) {
        self.filter = Some(match self.filter.take() {
            Some(f) => f.and(e),
            None => e,
        });
    }
}

/// The columns of `table`, qualified with `qualifier`, as expressions.
pub fn model_columns(table: &'static TableDef, qualifier: &'static str) -> Vec<Expr> {
    table
        .columns
        .iter()
        .map(|c| Expr::Column {
            table: qualifier,
            name: c.name,
        })
        .collect()
}

/// The row of `M` whose primary key is `key` (values in key-column order),
/// if there is one; [`Error::MultipleRows`] if several match (a key the
/// database does not enforce). The SQL is rendered once per model and
/// dialect.
pub(crate) fn find_by_key<M: Model, E: Executor + ?Sized>(
    ex: &mut E,
    key: &[ValueRef<'_>],
) -> Result<Option<M>> {
    let table = M::TABLE;
    let conn = ex.conn()?;
    let dialect = conn.dialect();
    let sql = cached_sql(table, dialect, Kind::FindByKey, || {
        let condition = key_condition(table, key.iter().map(|v| v.to_owned()).collect());
        let select = Select::<M>::new().filter(condition);
        let mut w = SqlWriter::new(dialect);
        // Two rows are enough to know there is more than one.
        w.select_with_limit(&select.stmt, Some(2))?;
        debug_assert_eq!(w.params.len(), key.len());
        Ok(w.sql)
    })?;
    let mut out = None;
    let mut seen = 0;
    conn.query(&sql, key, &mut |row| {
        seen += 1;
        if seen == 1 {
            out = Some(M::from_row(row, 0)?);
        }
        Ok(())
    })
    .map_err(|e| e.in_table(table))?;
    if seen > 1 {
        return Err(Error::MultipleRows {
            table: table.name.to_owned(),
        });
    }
    Ok(out)
}

/// What can be selected: a column, a [`TypedExpr`](crate::TypedExpr), or a
/// tuple of those. `Output` is what each row reads into.
pub trait Selection {
    /// The Rust type a row of this selection reads into.
    type Output: FromRow;
    /// The selected expressions.
    fn exprs(self) -> Vec<Expr>;
}

impl<M: Model, T: SqlType + FromRow> Selection for Column<M, T> {
    type Output = T;
    fn exprs(self) -> Vec<Expr> {
        vec![self.expr()]
    }
}

macro_rules! tuple_selection {
    ($($name:ident $idx:tt)+) => {
        impl<$($name: Selection),+> Selection for ($($name,)+) {
            type Output = ($($name::Output,)+);
            fn exprs(self) -> Vec<Expr> {
                let mut v = Vec::new();
                $(v.extend(self.$idx.exprs());)+
                v
            }
        }
    };
}

tuple_selection!(A 0);
tuple_selection!(A 0 B 1);
tuple_selection!(A 0 B 1 C 2);
tuple_selection!(A 0 B 1 C 2 D 3);
tuple_selection!(A 0 B 1 C 2 D 3 E 4);
tuple_selection!(A 0 B 1 C 2 D 3 E 4 F 5);
tuple_selection!(A 0 B 1 C 2 D 3 E 4 F 5 G 6);
tuple_selection!(A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7);

/// A path between two models along a declared foreign key, for
/// [`Select::join`]: `Album::ARTIST` (many-to-one) or `Artist::ALBUMS`
/// (one-to-many).
pub trait JoinPath {
    /// The model joined to.
    type To: Model;
    /// The join condition, or why there is none.
    fn on(&self) -> std::result::Result<Expr, String>;
}

/// `SET column = value` in an update of model `M`: an assignment to another
/// model's column does not compile (`Select<M>::update` takes `Assignment<M>`).
pub struct Assignment<M> {
    /// The assigned column's name.
    pub column: &'static str,
    /// The new value.
    pub value: Expr,
    _model: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Assignment<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assignment")
            .field("column", &self.column)
            .field("value", &self.value)
            .finish()
    }
}

impl<M> PartialEq for Assignment<M> {
    fn eq(&self, other: &Self) -> bool {
        self.column == other.column && self.value == other.value
    }
}

impl<M> Clone for Assignment<M> {
    fn clone(&self) -> Self {
        Assignment {
            column: self.column,
            value: self.value.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model, T: SqlType> Column<M, T> {
    /// `SET column = value` (a value of the column's type, or an expression
    /// over columns: `Item::PRICE.set(Item::PRICE * 2)`). A computed value
    /// for a decimal column is rounded to the column's scale on every backend.
    pub fn set<O: IntoOperand<T::Base>>(self, value: O) -> Assignment<M> {
        let value = match (value.into_operand(), M::TABLE.columns[self.index()].ty) {
            (e @ Expr::Value(_), _) => e,
            (e, crate::value::ColumnType::Decimal(_, scale)) => Expr::Round {
                expr: Box::new(e),
                digits: scale,
            },
            (e, _) => e,
        };
        Assignment {
            column: self.name(),
            value,
            _model: PhantomData,
        }
    }
}

impl<M: Model, T: SqlType> Column<M, Option<T>> {
    /// `SET column = NULL` (only for nullable columns).
    pub fn set_null(self) -> Assignment<M> {
        Assignment {
            column: self.name(),
            value: Expr::Value(crate::value::Value::Null),
            _model: PhantomData,
        }
    }
}

/// A typed SELECT over model `M`, reading rows into `R` (by default the model).
#[derive(Debug, Clone)]
pub struct Select<M, R = M> {
    stmt: SelectStmt,
    /// A mistake found while building (reported when the query runs).
    invalid: Option<String>,
    /// Whether the selected columns are still `M`'s own, as [`Select::new`]
    /// made them (with no joins, they are exactly `M`'s columns).
    model_columns: bool,
    _marker: PhantomData<fn() -> (M, R)>,
}

impl<M, R> From<Select<M, R>> for SelectStmt {
    fn from(s: Select<M, R>) -> SelectStmt {
        s.stmt
    }
}

impl<M: Model> Select<M, M> {
    /// `SELECT <all columns of M> FROM M`.
    pub fn new() -> Self {
        let table = TableRef {
            name: M::TABLE.name,
            alias: None,
        };
        let mut stmt = SelectStmt::from(table);
        stmt.columns = model_columns(M::TABLE, M::TABLE.name);
        Select {
            stmt,
            invalid: None,
            model_columns: true,
            _marker: PhantomData,
        }
    }
}

impl<M: Model> Default for Select<M, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model, R: FromRow> Select<M, R> {
    /// The statement's AST.
    pub fn statement(&self) -> &SelectStmt {
        &self.stmt
    }

    /// Adds a WHERE condition (ANDed with earlier ones).
    pub fn filter(mut self, condition: Expr) -> Self {
        self.stmt.add_filter(condition);
        self
    }

    /// Adds an ORDER BY term.
    pub fn order_by(mut self, order: Order) -> Self {
        self.stmt.order_by.push(order);
        self
    }

    /// Limits the number of rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.stmt.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.stmt.offset = Some(n);
        self
    }

    /// Locks the rows read against changes by other transactions until this
    /// one ends (`FOR UPDATE`): the read-modify-write that loses no update.
    /// Use it inside a transaction. SQLite has no row locks: athanor begins
    /// SQLite transactions `IMMEDIATE`, so the whole database is locked for
    /// writing by the first transaction to begin, which gives the same
    /// guarantee.
    pub fn for_update(mut self) -> Self {
        self.stmt.lock = Some(RowLock {
            mode: LockMode::Update,
            wait: LockWait::Wait,
        });
        self
    }

    /// Locks the rows read against changes, letting others read and
    /// share-lock them (`FOR SHARE`); see [`for_update`](Select::for_update).
    pub fn for_share(mut self) -> Self {
        self.stmt.lock = Some(RowLock {
            mode: LockMode::Share,
            wait: LockWait::Wait,
        });
        self
    }

    /// With [`for_update`](Select::for_update) or [`for_share`](Select::for_share):
    /// leaves out rows another transaction has locked (`SKIP LOCKED`).
    /// Without a lock, and on SQLite, the statement fails with
    /// [`Error::Unsupported`].
    pub fn skip_locked(mut self) -> Self {
        self.set_wait(LockWait::SkipLocked);
        self
    }

    /// With [`for_update`](Select::for_update) or [`for_share`](Select::for_share):
    /// fails at once instead of waiting for a locked row (`NOWAIT`).
    /// Without a lock, and on SQLite, the statement fails with
    /// [`Error::Unsupported`].
    pub fn nowait(mut self) -> Self {
        self.set_wait(LockWait::NoWait);
        self
    }

    fn set_wait(&mut self, wait: LockWait) {
        match &mut self.stmt.lock {
            Some(lock) => lock.wait = wait,
            None => {
                self.invalid.get_or_insert_with(|| {
                    "skip_locked() and nowait() need for_update() or for_share() first".into()
                });
            }
        }
    }

    /// `SELECT DISTINCT`.
    pub fn distinct(mut self) -> Self {
        self.stmt.distinct = true;
        self
    }

    /// Adds GROUP BY terms: a column, a typed expression, or a tuple of them.
    pub fn group_by<S: Selection>(mut self, terms: S) -> Self {
        self.stmt.group_by.extend(terms.exprs());
        self
    }

    /// Adds a HAVING condition (ANDed with earlier ones).
    pub fn having(mut self, condition: Expr) -> Self {
        self.stmt.having = Some(match self.stmt.having.take() {
            Some(h) => h.and(condition),
            None => condition,
        });
        self
    }

    /// Selects chosen columns or expressions instead of the whole model.
    pub fn select<S: Selection>(self, selection: S) -> Select<M, S::Output> {
        let mut stmt = self.stmt;
        stmt.columns = selection.exprs();
        Select {
            stmt,
            invalid: self.invalid,
            model_columns: false,
            _marker: PhantomData,
        }
    }

    /// Reads each row into `T` instead (a struct with `#[derive(FromRow)]`
    /// whose fields match the selected columns in order and type).
    pub fn read_as<T: FromRow>(self) -> Select<M, T> {
        const {
            assert!(
                T::WIDTH == R::WIDTH,
                "read_as: the struct has a different number of columns than the selection"
            )
        };
        Select {
            stmt: self.stmt,
            invalid: self.invalid,
            model_columns: self.model_columns,
            _marker: PhantomData,
        }
    }

    fn add_join<J: Model, R2>(
        mut self,
        kind: JoinKind,
        alias: Option<&'static str>,
        on: Result<Expr, String>,
    ) -> Select<M, R2> {
        let table = TableRef {
            name: J::TABLE.name,
            alias,
        };
        let on = match on {
            Ok(on) => on,
            Err(e) => {
                self.invalid.get_or_insert(e);
                Expr::Or(Vec::new())
            }
        };
        self.stmt
            .columns
            .extend(model_columns(J::TABLE, table.qualifier()));
        self.stmt.joins.push(Join { kind, table, on });
        Select {
            stmt: self.stmt,
            invalid: self.invalid,
            model_columns: self.model_columns,
            _marker: PhantomData,
        }
    }

    /// `INNER JOIN` along a declared relationship (`Album::ARTIST`,
    /// `Artist::ALBUMS`); rows read into `(R, Target)`.
    pub fn join<P: JoinPath>(self, path: P) -> Select<M, (R, P::To)> {
        self.add_join::<P::To, _>(JoinKind::Inner, None, path.on())
    }

    /// `LEFT JOIN` along a declared relationship; rows read into
    /// `(R, Option<Target>)`, `None` where nothing matched.
    pub fn left_join<P: JoinPath>(self, path: P) -> Select<M, (R, Option<P::To>)> {
        self.add_join::<P::To, _>(JoinKind::Left, None, path.on())
    }

    /// `INNER JOIN J ON condition`.
    pub fn join_on<J: Model>(self, condition: Expr) -> Select<M, (R, J)> {
        self.add_join::<J, _>(JoinKind::Inner, None, Ok(condition))
    }

    /// `LEFT JOIN J ON condition`.
    pub fn left_join_on<J: Model>(self, condition: Expr) -> Select<M, (R, Option<J>)> {
        self.add_join::<J, _>(JoinKind::Left, None, Ok(condition))
    }

    /// `INNER JOIN J AS alias ON condition`, for joining a model to itself:
    /// name the alias's columns with [`Column::of`].
    pub fn join_as<J: Model>(self, alias: &'static str, condition: Expr) -> Select<M, (R, J)> {
        self.add_join::<J, _>(JoinKind::Inner, Some(alias), Ok(condition))
    }

    /// `LEFT JOIN J AS alias ON condition`.
    pub fn left_join_as<J: Model>(
        self,
        alias: &'static str,
        condition: Expr,
    ) -> Select<M, (R, Option<J>)> {
        self.add_join::<J, _>(JoinKind::Left, Some(alias), Ok(condition))
    }

    fn check(&self) -> Result<()> {
        match &self.invalid {
            Some(e) => Err(Error::InvalidModel(e.clone())),
            None => Ok(()),
        }
    }

    /// This query as a typed scalar subquery, for use inside another query's
    /// filter or selection (it must select one column and at most one row).
    pub fn as_scalar(self) -> crate::typed::TypedExpr<Option<R>> {
        crate::typed::TypedExpr::new(Expr::Subquery(Box::new(self.stmt)))
    }

    /// Runs the query, with `limit` in place of its own, and hands each of
    /// the first `cap` rows to `each`; returns how many rows came back.
    fn fetch<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        limit: Option<u64>,
        cap: usize,
        mut each: impl FnMut(R) -> Result<()>,
    ) -> Result<usize> {
        self.check()?;
        let conn = ex.conn()?;
        let mut seen = 0;
        let mut on_row = |row: &dyn crate::Row| {
            seen += 1;
            if seen <= cap {
                each(R::from_row(row, 0)?)?;
            }
            Ok(())
        };
        if let Some(kind) = self.cacheable(limit) {
            // Every column of every row: the same text on every call.
            let dialect = conn.dialect();
            let sql = cached_sql(M::TABLE, dialect, kind, || {
                let mut w = SqlWriter::new(dialect);
                w.select_with_limit(&self.stmt, limit)?;
                Ok(w.sql)
            })?;
            conn.query(&sql, &[], &mut on_row)
        } else {
            let w =
                SqlWriter::statement(conn.dialect(), |w| w.select_with_limit(&self.stmt, limit))?;
            conn.query(&w.sql, &w.params, &mut on_row)
        }
        .map_err(|e| e.in_table(M::TABLE))?;
        Ok(seen)
    }

    /// The cache kind of this query run with `limit`, when its SQL is one of
    /// the cached per-model statements: `M`'s columns from `M`'s table, no
    /// alias, no join, filter, grouping, order or offset, and no limit or the
    /// limit `first` (1) or `one` (2) adds.
    fn cacheable(&self, limit: Option<u64>) -> Option<Kind> {
        // Every field named: a new clause of SelectStmt fails to compile
        // here until it says whether it changes the cached text.
        let SelectStmt {
            distinct,
            columns: _,
            from,
            joins,
            filter,
            group_by,
            having,
            order_by,
            limit: _,
            offset,
            lock,
        } = &self.stmt;
        let plain = self.model_columns
            && !distinct
            && from.alias.is_none()
            && joins.is_empty()
            && filter.is_none()
            && group_by.is_empty()
            && having.is_none()
            && order_by.is_empty()
            && offset.is_none()
            && lock.is_none()
            && matches!(limit, None | Some(1) | Some(2));
        plain.then_some(Kind::SelectAll { limit })
    }

    /// Every matching row.
    pub fn all<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Vec<R>> {
        let mut out = Vec::new();
        self.fetch(ex, self.stmt.limit, usize::MAX, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `each` for every matching row without collecting them into a
    /// `Vec`. (The PostgreSQL backend receives a statement's rows in one
    /// buffer, its driver's fastest path, so memory there still grows with
    /// the result; page with `limit`/`offset` for very large reads.)
    pub fn for_each<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        each: impl FnMut(R) -> Result<()>,
    ) -> Result<()> {
        self.fetch(ex, self.stmt.limit, usize::MAX, each)
            .map(|_| ())
    }

    /// The first matching row, if any (adds `LIMIT 1`).
    pub fn first<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Option<R>> {
        let mut out = None;
        self.fetch(ex, Some(1), 1, |r| {
            out = Some(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// At most one row: `None` for zero rows, [`Error::MultipleRows`] for several.
    pub fn one_or_none<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Option<R>> {
        // Two rows are enough to know there is more than one.
        let limit = self.stmt.limit.map_or(2, |l| l.min(2));
        let mut out = None;
        let seen = self.fetch(ex, Some(limit), 1, |r| {
            out = Some(r);
            Ok(())
        })?;
        if seen > 1 {
            return Err(Error::MultipleRows {
                table: M::TABLE.name.to_owned(),
            });
        }
        Ok(out)
    }

    /// Exactly one row: [`Error::NoRows`] for zero rows, [`Error::MultipleRows`] for several.
    pub fn one<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<R> {
        self.one_or_none(ex)?.ok_or_else(|| Error::NoRows {
            table: M::TABLE.name.to_owned(),
        })
    }

    /// The number of matching rows (LIMIT and OFFSET apply).
    pub fn count<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<i64> {
        self.check()?;
        if self.stmt.lock.is_some() {
            // An aggregate cannot lock rows (PostgreSQL refuses it; the others
            // would lock or not, each its own way).
            return Err(Error::InvalidModel(
                "count() of a query with a row lock: lock the rows with all() or one()".into(),
            ));
        }
        let plain = self.stmt.limit.is_none()
            && self.stmt.offset.is_none()
            && !self.stmt.distinct
            && self.stmt.group_by.is_empty();
        let conn = ex.conn()?;
        let w = SqlWriter::statement(conn.dialect(), |w| {
            if plain {
                // Written from the statement itself, not a copy of it.
                w.push("SELECT COUNT(*)");
                w.from_clause(&self.stmt)
            } else {
                // The derived table's columns get names of their own: MySQL
                // refuses two columns of the same name (a join's `id`s).
                w.push("SELECT COUNT(*) FROM (");
                w.select_with_column_aliases(&self.stmt)?;
                w.push(") AS ").ident("athanor_counted");
                Ok(())
            }
        })?;
        let mut n = 0i64;
        conn.query(&w.sql, &w.params, &mut |row| {
            n = i64::from_row(row, 0)?;
            Ok(())
        })?;
        Ok(n)
    }

    /// Whether any row matches.
    pub fn exists<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<bool> {
        self.check()?;
        let conn = ex.conn()?;
        let w = SqlWriter::statement(conn.dialect(), |w| {
            w.push("SELECT CASE WHEN EXISTS (");
            w.select(&self.stmt)?;
            w.push(") THEN 1 ELSE 0 END");
            Ok(())
        })?;
        let mut found = false;
        conn.query(&w.sql, &w.params, &mut |row| {
            found = bool::from_row(row, 0)?;
            Ok(())
        })?;
        Ok(found)
    }

    /// `EXISTS (this query)` as a condition, for use in another query's filter.
    pub fn exists_expr(self) -> Expr {
        Expr::Exists {
            query: Box::new(self.stmt),
            negated: false,
        }
    }

    /// This query as a scalar subquery `(SELECT ...)`.
    pub fn scalar(self) -> Expr {
        Expr::Subquery(Box::new(self.stmt))
    }

    /// `UPDATE M SET ... WHERE <this query's filter>`; returns the number of
    /// rows matched, on every backend.
    pub fn update<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        assignments: impl IntoIterator<Item = Assignment<M>>,
    ) -> Result<u64> {
        self.check()?;
        self.no_joins("update")?;
        let assignments: Vec<Assignment<M>> = assignments.into_iter().collect();
        if assignments.is_empty() {
            return Err(Error::InvalidModel(format!(
                "update of {} with no assignments",
                M::TABLE.name
            )));
        }
        let conn = ex.conn()?;
        let w = SqlWriter::statement(conn.dialect(), |w| {
            w.push("UPDATE ").ident(M::TABLE.name).push(" SET ");
            w.list(&assignments, |w, a| {
                w.ident(a.column).push(" = ");
                w.expr(&a.value)
            })?;
            // Rows changed in bulk get a new version too, so an object read
            // before fails its next write (optimistic locking); an explicit
            // assignment to the version column is written as given.
            if let Some(v) = M::TABLE.version.map(|i| M::TABLE.columns[i].name) {
                if !assignments.iter().any(|a| a.column == v) {
                    w.push(", ").ident(v).push(" = ").ident(v).push(" + 1");
                }
            }
            if let Some(f) = &self.stmt.filter {
                w.push(" WHERE ");
                w.expr(f)?;
            }
            Ok(())
        })?;
        conn.execute(&w.sql, &w.params)
            .map_err(|e| e.in_table(M::TABLE))
    }

    fn no_joins(&self, what: &str) -> Result<()> {
        if self.stmt.joins.is_empty() {
            return Ok(());
        }
        Err(Error::Unsupported {
            backend: "athanor",
            capability: format!(
                "{what} through a query with joins (filter with a subquery instead)"
            ),
        })
    }

    /// `DELETE FROM M WHERE <this query's filter>`; returns the number of rows deleted.
    ///
    /// The filter selects the rows as they are before the delete, on every
    /// backend: where the database applies `ON DELETE SET NULL` row by row
    /// as it deletes ([`Dialect::deletes_row_by_row`](crate::Dialect::deletes_row_by_row))
    /// and `M` references its own rows so, the rows are selected first.
    pub fn delete<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<u64> {
        self.check()?;
        self.no_joins("delete")?;
        let conn = ex.conn()?;
        let select_first = conn.dialect().deletes_row_by_row() && clears_own_keys(M::TABLE);
        let w = SqlWriter::statement(conn.dialect(), |w| {
            w.push("DELETE FROM ").ident(M::TABLE.name);
            let Some(f) = &self.stmt.filter else {
                return Ok(());
            };
            w.push(" WHERE ");
            if !select_first {
                return w.expr(f);
            }
            // A derived table is read in full before the delete starts
            // (MySQL refuses a plain subquery on the table it deletes from).
            let key = || M::TABLE.primary_key_columns();
            w.push("(").idents(key()).push(") IN (SELECT ");
            w.idents(key()).push(" FROM (SELECT ").idents(key());
            w.push(" FROM ").ident(M::TABLE.name).push(" WHERE ");
            w.expr(f)?;
            w.push(") AS ").ident("athanor_selected").push(")");
            Ok(())
        })?;
        conn.execute(&w.sql, &w.params)
            .map_err(|e| e.in_table(M::TABLE))
    }
}

/// Whether `table` has a key that references its own rows `ON DELETE SET NULL`.
fn clears_own_keys(table: &TableDef) -> bool {
    table.foreign_keys.iter().any(|fk| {
        fk.on_delete == ReferentialAction::SetNull && (fk.references)().name == table.name
    })
}
