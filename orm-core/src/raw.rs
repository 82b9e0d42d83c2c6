//! Raw SQL with bound parameters, mapped into models or tuples.

use crate::conn::Executor;
use crate::error::Result;
use crate::model::FromRow;
use crate::value::Value;

/// A raw SQL statement with bound parameters. Placeholders are written `?`
/// on every backend and rewritten to the backend's own form (`$1` on
/// PostgreSQL); a `?` inside a quoted string or identifier is left alone.
///
/// ```
/// let q = athanor_core::raw::Raw::new("SELECT ? + ?").bind(1i64).bind(2i64);
/// assert_eq!(q.params().len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Raw {
    sql: String,
    params: Vec<Value>,
}

impl Raw {
    /// A statement; bind its `?` placeholders with [`Raw::bind`].
    pub fn new(sql: impl Into<String>) -> Self {
        Raw {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.params.push(value.into());
        self
    }

    /// The bound parameters.
    pub fn params(&self) -> &[Value] {
        &self.params
    }

    fn render(&self, dialect: &'static dyn crate::Dialect) -> std::borrow::Cow<'_, str> {
        if dialect.placeholder_is_question_mark() {
            return std::borrow::Cow::Borrowed(&self.sql);
        }
        let mut out = String::with_capacity(self.sql.len() + 8);
        let mut n = 0;
        let mut quote: Option<char> = None;
        for c in self.sql.chars() {
            match quote {
                Some(q) => {
                    if c == q {
                        quote = None;
                    }
                    out.push(c);
                }
                None if c == '\'' || c == '"' || c == '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                None if c == '?' => {
                    n += 1;
                    dialect.write_placeholder(n, &mut out);
                }
                None => out.push(c),
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// Runs the statement; returns the number of rows affected.
    pub fn execute<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<u64> {
        let conn = ex.conn()?;
        let sql = self.render(conn.dialect());
        conn.check_raw(&sql)?;
        let params: Vec<_> = self.params.iter().map(Value::as_ref).collect();
        conn.execute(&sql, &params)
    }

    /// Runs the query and reads every row into `R` (a model, a scalar or a tuple).
    pub fn fetch_all<R: FromRow, E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Vec<R>> {
        let conn = ex.conn()?;
        let sql = self.render(conn.dialect());
        conn.check_raw(&sql)?;
        let params: Vec<_> = self.params.iter().map(Value::as_ref).collect();
        let mut out = Vec::new();
        conn.query(&sql, &params, &mut |row| {
            out.push(R::from_row(row, 0)?);
            Ok(())
        })?;
        Ok(out)
    }
}
