//! Renders the AST into SQL text and bound parameters, in a dialect.
//!
//! All SQL is written here, once; a [`Dialect`] only answers what differs.

use crate::dialect::{write_quoted, Dialect};
use crate::error::{Error, Result};
use crate::expr::{BinOp, Expr, Func, Order};
use crate::query::{JoinKind, SelectStmt, TableRef};
use crate::typed::CastTarget;
use crate::value::{Value, ValueRef};

fn binary_operator(op: BinOp, dialect: &dyn Dialect) -> &'static str {
    match op {
        BinOp::Eq => " = ",
        BinOp::Ne => " <> ",
        BinOp::Lt => " < ",
        BinOp::Le => " <= ",
        BinOp::Gt => " > ",
        BinOp::Ge => " >= ",
        BinOp::Add => " + ",
        BinOp::Sub => " - ",
        BinOp::Mul => " * ",
        BinOp::Div => " / ",
        BinOp::IntDiv => dialect.integer_division(),
    }
}

/// What the renderer's recursive steps return: a boxed error keeps each
/// level's stack frame small (an [`Error`] is over 100 bytes, and debug
/// builds keep a copy of it per `?`).
type Step = std::result::Result<(), Box<Error>>;

/// The error for expressions nested deeper than [`MAX_EXPR_DEPTH`], built
/// out of line so that the check costs each level no stack.
#[cold]
#[inline(never)]
fn too_deep() -> Box<Error> {
    Box::new(Error::Unsupported {
        backend: "athanor",
        capability: format!("expressions nested more than {MAX_EXPR_DEPTH} deep"),
    })
}

/// The error for a statement whose long integer lists would take more
/// parameters than `dialect` allows, on a backend that cannot unpack them
/// from one JSON array.
#[cold]
#[inline(never)]
fn long_list_unsupported(dialect: &dyn Dialect) -> Error {
    Error::Unsupported {
        backend: dialect.name(),
        capability: format!(
            "integer lists of more than the {} parameters one statement takes \
             (bound as one JSON array, which this server version cannot unpack)",
            dialect.max_parameters()
        ),
    }
}

/// How deep expressions may nest (subqueries included) before rendering
/// stops with an [`Error::Unsupported`] instead of overflowing the stack:
/// 1000, SQLite's own limit. Each level costs the renderer about 1 KiB of
/// stack in a debug build (2 KiB through a subquery), so an expression at
/// the limit renders on a default 2 MiB thread. The databases have limits
/// of their own, which a query within this one may still meet (a database
/// error, not a crash).
pub const MAX_EXPR_DEPTH: usize = 1000;

/// SQL text being written, with its parameters.
pub struct SqlWriter<'a> {
    /// The SQL so far.
    pub sql: String,
    /// The parameters bound so far, in placeholder order.
    pub params: Vec<ValueRef<'a>>,
    dialect: &'static dyn Dialect,
    depth: usize,
    alias_columns: bool,
    /// Whether a long integer list was written one parameter per value
    /// (the dialect cannot unpack a JSON array).
    plain_long_lists: bool,
}

impl<'a> SqlWriter<'a> {
    /// An empty writer for `dialect`.
    pub fn new(dialect: &'static dyn Dialect) -> Self {
        SqlWriter {
            sql: String::with_capacity(128),
            params: Vec::new(),
            dialect,
            depth: 0,
            alias_columns: false,
            plain_long_lists: false,
        }
    }

    /// Writes one statement with `write`. A long integer list
    /// ([`Expr::InIntegers`]) is bound as one JSON array the database
    /// unpacks ([`Dialect::integer_list_subquery`]); on a backend that
    /// cannot unpack it (MariaDB before 10.6, MySQL before 8.0.4) it is a
    /// plain `IN (?, ?, ...)` list, one parameter per value, as long as the
    /// whole statement stays within the dialect's
    /// [`Dialect::max_parameters`].
    ///
    /// (Measured at 10 000 ids, medians of 20 runs: the JSON array took
    /// 7.3-8.3 ms against 9.3-10.3 ms for the plain list on PostgreSQL 15,
    /// 14.3-22.9 ms against 17.6-29.1 ms on MariaDB 10.11; at 1001 ids the
    /// two are within 0.5 ms of each other.)
    ///
    /// # Failure
    /// What `write` fails with; [`Error::Unsupported`] for a statement whose
    /// long integer lists the backend can take neither way.
    pub fn statement(
        dialect: &'static dyn Dialect,
        write: impl FnOnce(&mut SqlWriter<'a>) -> Result<()>,
    ) -> Result<SqlWriter<'a>> {
        let mut w = SqlWriter::new(dialect);
        write(&mut w)?;
        if w.plain_long_lists && w.params.len() > dialect.max_parameters() {
            return Err(long_list_unsupported(dialect));
        }
        Ok(w)
    }

    /// The dialect written in.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// Appends raw SQL text.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// Appends a quoted identifier.
    pub fn ident(&mut self, name: &str) -> &mut Self {
        write_quoted(self.dialect, name, &mut self.sql);
        self
    }

    /// Appends quoted identifiers separated by commas.
    pub fn idents<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) -> &mut Self {
        for (n, name) in names.into_iter().enumerate() {
            if n > 0 {
                self.sql.push_str(", ");
            }
            self.ident(name);
        }
        self
    }

    /// Appends `"table"."column"`.
    pub fn qualified(&mut self, table: &str, column: &str) -> &mut Self {
        self.ident(table).push(".").ident(column)
    }

    /// Appends a placeholder and binds `value` to it.
    pub fn param(&mut self, value: ValueRef<'a>) -> &mut Self {
        self.params.push(value);
        self.dialect
            .write_placeholder(self.params.len(), &mut self.sql);
        self
    }

    /// Appends a comma-separated list, written by `each`.
    pub fn list<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.list_step(items, |w, t| each(w, t).map_err(Box::new))
            .map_err(|e| *e)
    }

    fn list_step<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T) -> Step,
    ) -> Step {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            each(self, item)?;
        }
        Ok(())
    }

    /// Writes an expression.
    ///
    /// # Failure
    /// [`Error::Unsupported`] when expressions nest deeper than
    /// [`MAX_EXPR_DEPTH`].
    pub fn expr(&mut self, e: &'a Expr) -> Result<()> {
        self.expr_step(e).map_err(|e| *e)
    }

    fn expr_step(&mut self, e: &'a Expr) -> Step {
        if self.depth >= MAX_EXPR_DEPTH {
            return Err(too_deep());
        }
        self.depth += 1;
        let written = self.expr_inner(e);
        self.depth -= 1;
        written
    }

    // Each arm that recurses is a function of its own, so that one level of
    // nesting costs a small stack frame even in debug builds.
    fn expr_inner(&mut self, e: &'a Expr) -> Step {
        match e {
            Expr::Column { table, name } => {
                self.qualified(table, name);
                Ok(())
            }
            Expr::Value(v) => {
                self.value(v);
                Ok(())
            }
            Expr::Binary { op, left, right } => self.binary(*op, left, right),
            Expr::Folded(inner) => self.folded(inner),
            Expr::And(items) => self.junction(items, true),
            Expr::Or(items) => self.junction(items, false),
            Expr::Not(inner) => self.wrapped("(NOT ", inner, ")"),
            Expr::IsNull { expr, negated } => self.is_null(expr, *negated),
            Expr::InList {
                expr,
                list,
                negated,
            } => self.in_list(expr, list, *negated),
            Expr::InIntegers {
                expr,
                values,
                json,
                negated,
            } => self.in_integers(expr, values, json, *negated),
            Expr::InSubquery {
                expr,
                query,
                negated,
            } => self.in_subquery(expr, query, *negated),
            Expr::Exists { query, negated } => self.exists(query, *negated),
            Expr::Subquery(query) => self.scalar_subquery(query),
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => self.between(expr, low, high, *negated),
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => self.like(expr, pattern, *negated, *case_insensitive),
            Expr::Call { func, args } => self.call(*func, args),
            Expr::Star => {
                self.push("*");
                Ok(())
            }
            Expr::Cast { expr, target } => self.cast(expr, *target),
            Expr::Round { expr, digits } => self.round(expr, *digits),
        }
    }

    fn exists(&mut self, query: &'a SelectStmt, negated: bool) -> Step {
        self.push(if negated {
            "(NOT EXISTS ("
        } else {
            "(EXISTS ("
        });
        self.subquery(query, "))")
    }

    fn scalar_subquery(&mut self, query: &'a SelectStmt) -> Step {
        self.push("(");
        self.subquery(query, ")")
    }

    fn cast(&mut self, expr: &'a Expr, target: CastTarget) -> Step {
        match self.dialect.checked_cast(target) {
            Some((before, after)) => self.wrapped(before, expr, after),
            None => {
                let ty = self.dialect.cast_type(target);
                self.wrapped("CAST(", expr, "")?;
                self.push(" AS ").push(ty).push(")");
                Ok(())
            }
        }
    }

    fn round(&mut self, expr: &'a Expr, digits: u8) -> Step {
        self.wrapped("ROUND(", expr, "")?;
        self.push(&format!(", {digits})"));
        Ok(())
    }

    fn folded(&mut self, inner: &'a Expr) -> Step {
        if self.dialect.collations_decide_case() {
            self.expr_step(inner)
        } else {
            self.lowered(inner)
        }
    }

    fn is_null(&mut self, expr: &'a Expr, negated: bool) -> Step {
        self.wrapped(
            "(",
            expr,
            if negated {
                " IS NOT NULL)"
            } else {
                " IS NULL)"
            },
        )
    }

    /// Binds a value; a decimal is cast to a decimal type where the backend
    /// would otherwise take it as text and compute in floating point.
    fn value(&mut self, v: &'a Value) {
        #[cfg(feature = "decimal")]
        if let Value::Decimal(d) = v {
            if self.dialect.cast_decimal_parameters() {
                self.push("CAST(");
                self.param(v.as_ref());
                self.push(&format!(" AS DECIMAL(65, {}))", d.scale()));
                return;
            }
        }
        self.param(v.as_ref());
    }

    /// Writes `before`, the expression, then `after`.
    fn wrapped(&mut self, before: &str, e: &'a Expr, after: &str) -> Step {
        self.push(before);
        self.expr_step(e)?;
        self.push(after);
        Ok(())
    }

    /// Writes a subquery, then `after`.
    fn subquery(&mut self, query: &'a SelectStmt, after: &str) -> Step {
        self.select_step(query)?;
        self.push(after);
        Ok(())
    }

    fn binary(&mut self, op: BinOp, left: &'a Expr, right: &'a Expr) -> Step {
        // One side is a case-insensitive column: compare both lowered.
        let folds = self.folds(left, right);
        self.push("(");
        if folds {
            self.lowered(left)?;
        } else {
            self.expr_step(left)?;
        }
        self.push(binary_operator(op, self.dialect));
        if folds {
            self.lowered(right)?;
        } else {
            self.expr_step(right)?;
        }
        self.push(")");
        Ok(())
    }

    fn junction(&mut self, items: &'a [Expr], is_and: bool) -> Step {
        if items.is_empty() {
            self.push(if is_and { "(1 = 1)" } else { "(1 = 0)" });
            return Ok(());
        }
        self.push("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(if is_and { " AND " } else { " OR " });
            }
            self.expr_step(item)?;
        }
        self.push(")");
        Ok(())
    }

    fn in_list(&mut self, expr: &'a Expr, list: &'a [Expr], negated: bool) -> Step {
        if list.is_empty() {
            // `IN ()` is not valid SQL; the empty set is false (NOT IN: true).
            self.push(if negated { "(1 = 1)" } else { "(1 = 0)" });
            return Ok(());
        }
        let fold = matches!(*expr, Expr::Folded(_)) && !self.dialect.collations_decide_case();
        self.push("(");
        self.expr_step(expr)?;
        self.push(if negated { " NOT IN (" } else { " IN (" });
        self.list_step(list, |w, item| {
            if fold {
                w.lowered(item)
            } else {
                w.expr_step(item)
            }
        })?;
        self.push("))");
        Ok(())
    }

    fn in_integers(
        &mut self,
        expr: &'a Expr,
        values: &'a [i64],
        json: &'a Value,
        negated: bool,
    ) -> Step {
        let Some((before, after)) = self.dialect.integer_list_subquery() else {
            self.plain_long_lists = true;
            self.push("(");
            self.expr_step(expr)?;
            self.push(if negated { " NOT IN (" } else { " IN (" });
            self.list_step(values, |w, v| {
                w.param(ValueRef::I64(*v));
                Ok(())
            })?;
            self.push("))");
            return Ok(());
        };
        self.push("(");
        self.expr_step(expr)?;
        self.push(if negated { " NOT IN " } else { " IN " });
        self.push(before);
        self.param(json.as_ref());
        self.push(after);
        self.push(")");
        Ok(())
    }

    fn in_subquery(&mut self, expr: &'a Expr, query: &'a SelectStmt, negated: bool) -> Step {
        self.push("(");
        self.expr_step(expr)?;
        self.push(if negated { " NOT IN (" } else { " IN (" });
        self.subquery(query, "))")
    }

    fn between(&mut self, expr: &'a Expr, low: &'a Expr, high: &'a Expr, negated: bool) -> Step {
        self.push("(");
        self.expr_step(expr)?;
        self.push(if negated {
            " NOT BETWEEN "
        } else {
            " BETWEEN "
        });
        self.expr_step(low)?;
        self.push(" AND ");
        self.expr_step(high)?;
        self.push(")");
        Ok(())
    }

    fn like(
        &mut self,
        expr: &'a Expr,
        pattern: &'a Expr,
        negated: bool,
        case_insensitive: bool,
    ) -> Step {
        let not = if negated { "NOT " } else { "" };
        self.push("(");
        // SQLite's LIKE ignores collations: a case-insensitive column is
        // matched on lowered text everywhere.
        let case_insensitive = case_insensitive || matches!(expr, Expr::Folded(_));
        let expr = match expr {
            Expr::Folded(inner) => &**inner,
            e => e,
        };
        if case_insensitive {
            // LOWER() on both sides behaves the same on every backend.
            self.push("LOWER(");
            self.expr_step(expr)?;
            self.push(") ").push(not).push("LIKE LOWER(");
            self.expr_step(pattern)?;
            self.push(")");
        } else {
            let wrapper = match pattern {
                Expr::Value(crate::value::Value::Text(p)) => self.dialect.like_operand_wrapper(p),
                _ => None,
            };
            match wrapper {
                Some((before, after)) => {
                    self.push(before);
                    self.expr_step(expr)?;
                    self.push(after);
                }
                None => self.expr_step(expr)?,
            }
            self.push(" ").push(not).push("LIKE ");
            self.expr_step(pattern)?;
        }
        let escape = self.dialect.like_escape_literal();
        self.push(" ESCAPE ").push(escape);
        self.push(")");
        Ok(())
    }

    /// Whether a comparison must lower both sides: one is a case-insensitive
    /// column and the backend's collations cannot compare it so.
    fn folds(&self, left: &Expr, right: &Expr) -> bool {
        !self.dialect.collations_decide_case()
            && (matches!(left, Expr::Folded(_)) || matches!(right, Expr::Folded(_)))
    }

    /// Writes `LOWER(e)` (a folded column's own `LOWER` is not doubled).
    fn lowered(&mut self, e: &'a Expr) -> Step {
        let inner = match e {
            Expr::Folded(inner) => &**inner,
            e => e,
        };
        self.push("LOWER(");
        self.expr_step(inner)?;
        self.push(")");
        Ok(())
    }

    fn call(&mut self, func: Func, args: &'a [Expr]) -> Step {
        let (name, distinct) = match func {
            Func::Concat => return self.concat(args),
            Func::Count => ("COUNT", false),
            Func::CountDistinct => ("COUNT", true),
            Func::Sum => ("SUM", false),
            Func::Avg => ("AVG", false),
            Func::Min => ("MIN", false),
            Func::Max => ("MAX", false),
            Func::Lower => ("LOWER", false),
            Func::Upper => ("UPPER", false),
            Func::Coalesce => ("COALESCE", false),
        };
        self.push(name).push("(");
        if distinct {
            self.push("DISTINCT ");
        }
        if args.is_empty() && func == Func::Count {
            self.push("*");
        } else {
            self.list_step(args, |w, a| w.expr_step(a))?;
        }
        self.push(")");
        Ok(())
    }

    fn concat(&mut self, args: &'a [Expr]) -> Step {
        if self.dialect.concat_operator() {
            self.push("(");
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    self.push(" || ");
                }
                self.expr_step(a)?;
            }
            self.push(")");
        } else {
            self.push("CONCAT(");
            self.list_step(args, |w, a| w.expr_step(a))?;
            self.push(")");
        }
        Ok(())
    }

    fn table_ref(&mut self, t: &TableRef) {
        self.ident(t.name);
        if let Some(alias) = t.alias {
            self.push(" AS ").ident(alias);
        }
    }

    /// Writes a SELECT statement.
    pub fn select(&mut self, s: &'a SelectStmt) -> Result<()> {
        self.select_step(s).map_err(|e| *e)
    }

    fn select_step(&mut self, s: &'a SelectStmt) -> Step {
        self.select_with_limit_step(s, s.limit)
    }

    /// Writes a SELECT statement whose selected columns are named `c1`,
    /// `c2`, ... (`expr AS "c1"`), for use as a derived table, where every
    /// column must have a distinct name.
    pub fn select_with_column_aliases(&mut self, s: &'a SelectStmt) -> Result<()> {
        self.alias_columns = true;
        self.select_with_limit_step(s, s.limit).map_err(|e| *e)
    }

    /// Writes a SELECT statement with `limit` in place of its own (so that
    /// `first()` and `one()` need not copy the statement).
    pub fn select_with_limit(&mut self, s: &'a SelectStmt, limit: Option<u64>) -> Result<()> {
        self.select_with_limit_step(s, limit).map_err(|e| *e)
    }

    fn select_with_limit_step(&mut self, s: &'a SelectStmt, limit: Option<u64>) -> Step {
        // Only the outermost SELECT's columns are aliased, not its subqueries'.
        let alias = std::mem::take(&mut self.alias_columns);
        self.push("SELECT ");
        if s.distinct {
            self.push("DISTINCT ");
        }
        if s.columns.is_empty() {
            self.push("*");
        } else {
            let mut n = 0;
            self.list_step(&s.columns, |w, c| {
                w.expr_step(c)?;
                if alias {
                    n += 1;
                    w.push(" AS ").ident(&format!("c{n}"));
                }
                Ok(())
            })?;
        }
        self.write_from_clause(s)?;
        self.order_by_step(&s.order_by)?;
        self.limit_offset(limit, s.offset);
        if let Some(lock) = s.lock {
            match self.dialect.row_lock_clause(lock) {
                Some(clause) => self.sql.push_str(&clause),
                None => {
                    return Err(Box::new(crate::Error::Unsupported {
                        backend: self.dialect.name(),
                        capability: format!("the row lock {lock:?}"),
                    }))
                }
            }
        }
        Ok(())
    }

    /// Writes ` FROM ...` with the joins, `WHERE`, `GROUP BY` and `HAVING` of `s`.
    pub fn from_clause(&mut self, s: &'a SelectStmt) -> Result<()> {
        self.write_from_clause(s).map_err(|e| *e)
    }

    fn write_from_clause(&mut self, s: &'a SelectStmt) -> Step {
        self.push(" FROM ");
        self.table_ref(&s.from);
        for j in &s.joins {
            self.push(match j.kind {
                JoinKind::Inner => " INNER JOIN ",
                JoinKind::Left => " LEFT JOIN ",
            });
            self.table_ref(&j.table);
            self.push(" ON ");
            self.expr_step(&j.on)?;
        }
        if let Some(f) = &s.filter {
            self.push(" WHERE ");
            self.expr_step(f)?;
        }
        if !s.group_by.is_empty() {
            self.push(" GROUP BY ");
            self.list_step(&s.group_by, |w, g| w.expr_step(g))?;
        }
        if let Some(h) = &s.having {
            self.push(" HAVING ");
            self.expr_step(h)?;
        }
        Ok(())
    }

    /// Writes ` ORDER BY ...` when `order` is not empty. NULLs sort first
    /// ascending and last descending on every backend (as SQLite and MySQL do).
    pub fn order_by(&mut self, order: &'a [Order]) -> Result<()> {
        self.order_by_step(order).map_err(|e| *e)
    }

    fn order_by_step(&mut self, order: &'a [Order]) -> Step {
        if order.is_empty() {
            return Ok(());
        }
        self.push(" ORDER BY ");
        self.list_step(order, |w, o| {
            w.expr_step(&o.expr)?;
            let nulls = if o.nullable {
                w.dialect.nulls_order_clause(o.descending)
            } else {
                ""
            };
            w.push(if o.descending { " DESC" } else { " ASC" });
            w.push(nulls);
            Ok(())
        })
    }

    /// Writes ` LIMIT n OFFSET m` as the dialect wants it
    /// ([`Dialect::write_limit_offset`](crate::Dialect::write_limit_offset)).
    pub fn limit_offset(&mut self, limit: Option<u64>, offset: Option<u64>) {
        self.dialect
            .write_limit_offset(limit, offset, &mut self.sql);
    }
}
