//! Renders the AST into SQL text and bound parameters, in a dialect.
//!
//! All SQL is written here, once; a [`Dialect`] only answers what differs.

use crate::dialect::{write_quoted, Dialect};
use crate::error::{Error, Result};
use crate::expr::{BinOp, Expr, Func, Order};
use crate::query::{JoinKind, SelectStmt, TableRef};
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

/// How deep expressions may nest (subqueries included) before rendering
/// stops with an error instead of overflowing the stack. Databases refuse
/// far less: SQLite's own limit is 1000.
pub const MAX_EXPR_DEPTH: usize = 256;

/// SQL text being written, with its parameters.
pub struct SqlWriter<'a> {
    /// The SQL so far.
    pub sql: String,
    /// The parameters bound so far, in placeholder order.
    pub params: Vec<ValueRef<'a>>,
    dialect: &'static dyn Dialect,
    depth: usize,
    alias_columns: bool,
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
        }
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
        if self.depth >= MAX_EXPR_DEPTH {
            return Err(Error::Unsupported {
                backend: "athanor",
                capability: format!("expressions nested more than {MAX_EXPR_DEPTH} deep"),
            });
        }
        self.depth += 1;
        let written = self.expr_inner(e);
        self.depth -= 1;
        written
    }

    // Each arm that recurses is a function of its own, so that one level of
    // nesting costs a small stack frame even in debug builds.
    fn expr_inner(&mut self, e: &'a Expr) -> Result<()> {
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
            Expr::Folded(inner) => {
                if self.dialect.collations_decide_case() {
                    self.expr(inner)
                } else {
                    self.lowered(inner)
                }
            }
            Expr::And(items) => self.junction(items, true),
            Expr::Or(items) => self.junction(items, false),
            Expr::Not(inner) => self.wrapped("(NOT ", inner, ")"),
            Expr::IsNull { expr, negated } => self.wrapped(
                "(",
                expr,
                if *negated {
                    " IS NOT NULL)"
                } else {
                    " IS NULL)"
                },
            ),
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
            Expr::Exists { query, negated } => {
                self.push(if *negated {
                    "(NOT EXISTS ("
                } else {
                    "(EXISTS ("
                });
                self.subquery(query, "))")
            }
            Expr::Subquery(query) => {
                self.push("(");
                self.subquery(query, ")")
            }
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
            Expr::Cast { expr, target } => match self.dialect.checked_cast(*target) {
                Some((before, after)) => self.wrapped(before, expr, after),
                None => {
                    let ty = self.dialect.cast_type(*target);
                    self.wrapped("CAST(", expr, "")?;
                    self.push(" AS ").push(ty).push(")");
                    Ok(())
                }
            },
            Expr::Round { expr, digits } => {
                self.wrapped("ROUND(", expr, "")?;
                self.push(&format!(", {digits})"));
                Ok(())
            }
        }
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
    fn wrapped(&mut self, before: &str, e: &'a Expr, after: &str) -> Result<()> {
        self.push(before);
        self.expr(e)?;
        self.push(after);
        Ok(())
    }

    /// Writes a subquery, then `after`.
    fn subquery(&mut self, query: &'a SelectStmt, after: &str) -> Result<()> {
        self.select(query)?;
        self.push(after);
        Ok(())
    }

    fn binary(&mut self, op: BinOp, left: &'a Expr, right: &'a Expr) -> Result<()> {
        // One side is a case-insensitive column: compare both lowered.
        let folds = self.folds(left, right);
        self.push("(");
        if folds {
            self.lowered(left)?;
        } else {
            self.expr(left)?;
        }
        self.push(binary_operator(op, self.dialect));
        if folds {
            self.lowered(right)?;
        } else {
            self.expr(right)?;
        }
        self.push(")");
        Ok(())
    }

    fn junction(&mut self, items: &'a [Expr], is_and: bool) -> Result<()> {
        if items.is_empty() {
            self.push(if is_and { "(1 = 1)" } else { "(1 = 0)" });
            return Ok(());
        }
        self.push("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(if is_and { " AND " } else { " OR " });
            }
            self.expr(item)?;
        }
        self.push(")");
        Ok(())
    }

    fn in_list(&mut self, expr: &'a Expr, list: &'a [Expr], negated: bool) -> Result<()> {
        if list.is_empty() {
            // `IN ()` is not valid SQL; the empty set is false (NOT IN: true).
            self.push(if negated { "(1 = 1)" } else { "(1 = 0)" });
            return Ok(());
        }
        let fold = matches!(*expr, Expr::Folded(_)) && !self.dialect.collations_decide_case();
        self.push("(");
        self.expr(expr)?;
        self.push(if negated { " NOT IN (" } else { " IN (" });
        self.list(
            list,
            |w, item| if fold { w.lowered(item) } else { w.expr(item) },
        )?;
        self.push("))");
        Ok(())
    }

    fn in_integers(
        &mut self,
        expr: &'a Expr,
        values: &'a [i64],
        json: &'a Value,
        negated: bool,
    ) -> Result<()> {
        let Some((before, after)) = self.dialect.integer_list_subquery() else {
            self.push("(");
            self.expr(expr)?;
            self.push(if negated { " NOT IN (" } else { " IN (" });
            self.list(values, |w, v| {
                w.param(ValueRef::I64(*v));
                Ok(())
            })?;
            self.push("))");
            return Ok(());
        };
        self.push("(");
        self.expr(expr)?;
        self.push(if negated { " NOT IN " } else { " IN " });
        self.push(before);
        self.param(json.as_ref());
        self.push(after);
        self.push(")");
        Ok(())
    }

    fn in_subquery(&mut self, expr: &'a Expr, query: &'a SelectStmt, negated: bool) -> Result<()> {
        self.push("(");
        self.expr(expr)?;
        self.push(if negated { " NOT IN (" } else { " IN (" });
        self.subquery(query, "))")
    }

    fn between(
        &mut self,
        expr: &'a Expr,
        low: &'a Expr,
        high: &'a Expr,
        negated: bool,
    ) -> Result<()> {
        self.push("(");
        self.expr(expr)?;
        self.push(if negated {
            " NOT BETWEEN "
        } else {
            " BETWEEN "
        });
        self.expr(low)?;
        self.push(" AND ");
        self.expr(high)?;
        self.push(")");
        Ok(())
    }

    fn like(
        &mut self,
        expr: &'a Expr,
        pattern: &'a Expr,
        negated: bool,
        case_insensitive: bool,
    ) -> Result<()> {
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
            self.expr(expr)?;
            self.push(") ").push(not).push("LIKE LOWER(");
            self.expr(pattern)?;
            self.push(")");
        } else {
            let wrap = matches!(pattern, Expr::Value(crate::value::Value::Text(p)) if self.dialect.like_avoids_index(p));
            if wrap {
                self.push("CONCAT(");
                self.expr(expr)?;
                self.push(")");
            } else {
                self.expr(expr)?;
            }
            self.push(" ").push(not).push("LIKE ");
            self.expr(pattern)?;
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
    fn lowered(&mut self, e: &'a Expr) -> Result<()> {
        let inner = match e {
            Expr::Folded(inner) => &**inner,
            e => e,
        };
        self.push("LOWER(");
        self.expr(inner)?;
        self.push(")");
        Ok(())
    }

    fn call(&mut self, func: Func, args: &'a [Expr]) -> Result<()> {
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
            self.list(args, |w, a| w.expr(a))?;
        }
        self.push(")");
        Ok(())
    }

    fn concat(&mut self, args: &'a [Expr]) -> Result<()> {
        if self.dialect.concat_operator() {
            self.push("(");
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    self.push(" || ");
                }
                self.expr(a)?;
            }
            self.push(")");
        } else {
            self.push("CONCAT(");
            self.list(args, |w, a| w.expr(a))?;
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
        self.select_with_limit(s, s.limit)
    }

    /// Writes a SELECT statement whose selected columns are named `c1`,
    /// `c2`, ... (`expr AS "c1"`), for use as a derived table, where every
    /// column must have a distinct name.
    pub fn select_with_column_aliases(&mut self, s: &'a SelectStmt) -> Result<()> {
        self.alias_columns = true;
        self.select_with_limit(s, s.limit)
    }

    /// Writes a SELECT statement with `limit` in place of its own (so that
    /// `first()` and `one()` need not copy the statement).
    pub fn select_with_limit(&mut self, s: &'a SelectStmt, limit: Option<u64>) -> Result<()> {
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
            self.list(&s.columns, |w, c| {
                w.expr(c)?;
                if alias {
                    n += 1;
                    w.push(" AS ").ident(&format!("c{n}"));
                }
                Ok(())
            })?;
        }
        self.from_clause(s)?;
        self.order_by(&s.order_by)?;
        self.limit_offset(limit, s.offset);
        if let Some(lock) = s.lock {
            match self.dialect.row_lock_clause(lock) {
                Some(clause) => self.sql.push_str(&clause),
                None => {
                    return Err(crate::Error::Unsupported {
                        backend: self.dialect.name(),
                        capability: format!("the row lock {lock:?}"),
                    })
                }
            }
        }
        Ok(())
    }

    /// Writes ` FROM ...` with the joins, `WHERE`, `GROUP BY` and `HAVING` of `s`.
    pub fn from_clause(&mut self, s: &'a SelectStmt) -> Result<()> {
        self.push(" FROM ");
        self.table_ref(&s.from);
        for j in &s.joins {
            self.push(match j.kind {
                JoinKind::Inner => " INNER JOIN ",
                JoinKind::Left => " LEFT JOIN ",
            });
            self.table_ref(&j.table);
            self.push(" ON ");
            self.expr(&j.on)?;
        }
        if let Some(f) = &s.filter {
            self.push(" WHERE ");
            self.expr(f)?;
        }
        if !s.group_by.is_empty() {
            self.push(" GROUP BY ");
            self.list(&s.group_by, |w, g| w.expr(g))?;
        }
        if let Some(h) = &s.having {
            self.push(" HAVING ");
            self.expr(h)?;
        }
        Ok(())
    }

    /// Writes ` ORDER BY ...` when `order` is not empty. NULLs sort first
    /// ascending and last descending on every backend (as SQLite and MySQL do).
    pub fn order_by(&mut self, order: &'a [Order]) -> Result<()> {
        if order.is_empty() {
            return Ok(());
        }
        self.push(" ORDER BY ");
        self.list(order, |w, o| {
            w.expr(&o.expr)?;
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

    /// Writes ` LIMIT n OFFSET m` as the dialect wants it.
    pub fn limit_offset(&mut self, limit: Option<u64>, offset: Option<u64>) {
        use std::fmt::Write;
        match (limit, offset) {
            (Some(l), _) => {
                let _ = write!(self.sql, " LIMIT {l}");
            }
            (None, Some(_)) => {
                if let Some(all) = self.dialect.limit_for_offset_only() {
                    self.push(" LIMIT ").push(all);
                }
            }
            (None, None) => {}
        }
        if let Some(o) = offset {
            let _ = write!(self.sql, " OFFSET {o}");
        }
    }
}
