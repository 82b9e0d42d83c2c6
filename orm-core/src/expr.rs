//! The expression AST and typed column handles.

use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use crate::convert::{IntoOperand, SqlType};
use crate::query::SelectStmt;
use crate::value::Value;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `/` between integers, truncating toward zero on every backend.
    IntDiv,
}

/// A SQL function the core knows how to render on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Func {
    /// `COUNT(*)`, or `COUNT(x)` with an argument.
    Count,
    /// `COUNT(DISTINCT x)`.
    CountDistinct,
    /// `SUM(x)`.
    Sum,
    /// `AVG(x)`.
    Avg,
    /// `MIN(x)`.
    Min,
    /// `MAX(x)`.
    Max,
    /// `LOWER(x)`.
    Lower,
    /// `UPPER(x)`.
    Upper,
    /// `COALESCE(a, b, ...)`.
    Coalesce,
    /// String concatenation.
    Concat,
}

/// The length above which an `is_in`/`not_in` list of integers is bound as
/// one parameter ([`Expr::InIntegers`]) instead of one parameter per value,
/// where the backend can unpack a JSON array (see
/// [`SqlWriter::statement`](crate::SqlWriter::statement)).
pub const LONG_IN_LIST: usize = 1000;

/// The values of `list` when every one is a bound integer.
fn integers(list: &[Expr]) -> Option<Vec<i64>> {
    list.iter()
        .map(|e| match e {
            Expr::Value(v) => v.as_ref().as_i64(),
            _ => None,
        })
        .collect()
}

/// `[1,2,3]`.
fn json_array(values: &[i64]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(values.len() * 8 + 2);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v}");
    }
    out.push(']');
    out
}

/// A SQL expression: what filters, selections, orderings and assignments are made of.
///
/// Built from typed [`Column`] handles, so the values compared with a column
/// have the column's type; combined with `&`, `|` and `!`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// A column, qualified by its table (or alias).
    Column {
        /// Table name or alias.
        table: &'static str,
        /// Column name.
        name: &'static str,
    },
    /// A bound value.
    Value(Value),
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// Conjunction; true when empty.
    And(Vec<Expr>),
    /// Disjunction; false when empty.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// `x IS [NOT] NULL`.
    IsNull {
        /// The tested expression.
        expr: Box<Expr>,
        /// `IS NOT NULL` when set.
        negated: bool,
    },
    /// `x [NOT] IN (a, b, ...)`; an empty list is false (true when negated).
    InList {
        /// The tested expression.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `NOT IN` when set.
        negated: bool,
    },
    /// `x [NOT] IN (integers...)` for a list longer than [`LONG_IN_LIST`]:
    /// the integers are bound as one parameter, a JSON array the database
    /// unpacks, so the list stays under any parameter limit (one parameter
    /// per value on a backend that cannot unpack it).
    InIntegers {
        /// The tested expression.
        expr: Box<Expr>,
        /// The integers.
        values: Vec<i64>,
        /// The same integers as a JSON array (`[1,2,3]`), the bound text.
        json: Value,
        /// `NOT IN` when set.
        negated: bool,
    },
    /// `x [NOT] IN (SELECT ...)`.
    InSubquery {
        /// The tested expression.
        expr: Box<Expr>,
        /// The subquery (one column).
        query: Box<SelectStmt>,
        /// `NOT IN` when set.
        negated: bool,
    },
    /// `[NOT] EXISTS (SELECT ...)`.
    Exists {
        /// The subquery.
        query: Box<SelectStmt>,
        /// `NOT EXISTS` when set.
        negated: bool,
    },
    /// A scalar subquery `(SELECT ...)`.
    Subquery(Box<SelectStmt>),
    /// `x [NOT] BETWEEN low AND high`.
    Between {
        /// The tested expression.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
        /// `NOT BETWEEN` when set.
        negated: bool,
    },
    /// `x [NOT] LIKE pattern`, `\` escaping, optionally case-insensitive.
    Like {
        /// The tested expression.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// `NOT LIKE` when set.
        negated: bool,
        /// Case-insensitive match.
        case_insensitive: bool,
    },
    /// A function call.
    Call {
        /// The function.
        func: Func,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `*` (only inside `COUNT(*)`).
    Star,
    /// A text column declared `case_insensitive`: its collation decides on
    /// SQLite and MySQL; on backends whose collations cannot
    /// ([`Dialect::collations_decide_case`](crate::Dialect::collations_decide_case)),
    /// it and what it is compared with are written inside `LOWER()`.
    Folded(Box<Expr>),
    /// `CAST(expr AS type)`, the type named by the dialect.
    Cast {
        /// The expression.
        expr: Box<Expr>,
        /// The type.
        target: crate::typed::CastTarget,
    },
    /// `ROUND(expr, digits)`.
    Round {
        /// The expression.
        expr: Box<Expr>,
        /// Digits after the point.
        digits: u8,
    },
}

impl Expr {
    /// `self AND other`.
    pub fn and(self, other: Expr) -> Expr {
        match self {
            Expr::And(mut v) => {
                v.push(other);
                Expr::And(v)
            }
            e => Expr::And(vec![e, other]),
        }
    }

    /// `self OR other`.
    pub fn or(self, other: Expr) -> Expr {
        match self {
            Expr::Or(mut v) => {
                v.push(other);
                Expr::Or(v)
            }
            e => Expr::Or(vec![e, other]),
        }
    }

    /// A bound value.
    pub fn value(v: impl Into<Value>) -> Expr {
        Expr::Value(v.into())
    }

    pub(crate) fn boxed(self) -> Box<Expr> {
        Box::new(self)
    }
}

impl BitAnd for Expr {
    type Output = Expr;
    fn bitand(self, rhs: Expr) -> Expr {
        self.and(rhs)
    }
}

impl BitOr for Expr {
    type Output = Expr;
    fn bitor(self, rhs: Expr) -> Expr {
        self.or(rhs)
    }
}

impl Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::Not(self.boxed())
    }
}

/// An ordering term.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// What is ordered by.
    pub expr: Expr,
    /// Descending when set.
    pub descending: bool,
    /// Whether the expression can be NULL. Only then does a backend that
    /// sorts NULLs differently need a NULLS FIRST/LAST clause, which would
    /// keep it from reading a plain index in order.
    pub nullable: bool,
}

/// A typed handle to a model's column: `Artist::NAME` is a
/// `Column<Artist, String>`. Comparing it with a value of another type does
/// not compile.
pub struct Column<M, T> {
    table: &'static str,
    name: &'static str,
    index: usize,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.table, self.name)
    }
}

impl<M, T> Column<M, T> {
    /// A handle to column `name` of `table`, at `index` in the model's columns.
    /// Generated by the derive.
    pub const fn new(table: &'static str, name: &'static str, index: usize) -> Self {
        Column {
            table,
            name,
            index,
            _marker: PhantomData,
        }
    }

    /// The column's database name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The table (or alias) the column is qualified with.
    pub const fn table(&self) -> &'static str {
        self.table
    }

    /// The column's position among the model's columns.
    pub const fn index(&self) -> usize {
        self.index
    }

    /// The same column qualified by a table alias (for self-joins).
    pub const fn of(self, alias: &'static str) -> Self {
        Column {
            table: alias,
            ..self
        }
    }
}

impl<M: crate::model::Model, T> Column<M, T> {
    /// The column as an untyped expression (marked [`Expr::Folded`] when
    /// the column compares case-insensitively).
    pub fn expr(self) -> Expr {
        let column = Expr::Column {
            table: self.table,
            name: self.name,
        };
        match M::TABLE.columns.get(self.index) {
            Some(def) if def.case_insensitive => Expr::Folded(Box::new(column)),
            _ => column,
        }
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order {
        Order {
            nullable: self.nullable(),
            expr: self.expr(),
            descending: false,
        }
    }

    fn nullable(&self) -> bool {
        M::TABLE.columns.get(self.index).is_none_or(|c| c.nullable)
    }

    /// Descending order on this column.
    pub fn desc(self) -> Order {
        Order {
            nullable: self.nullable(),
            expr: self.expr(),
            descending: true,
        }
    }

    /// `column IS NULL`.
    pub fn is_null(self) -> Expr {
        Expr::IsNull {
            expr: self.expr().boxed(),
            negated: false,
        }
    }

    /// `column IS NOT NULL`.
    pub fn is_not_null(self) -> Expr {
        Expr::IsNull {
            expr: self.expr().boxed(),
            negated: true,
        }
    }
}

/// The comparison methods shared by [`Column`] and
/// [`TypedExpr`](crate::TypedExpr); each provides `fn compare(self, op, other)`.
macro_rules! comparison_methods {
    ($what:literal) => {
        #[doc = concat!("`", $what, " = value`.")]
        pub fn eq<O: IntoOperand<T::Base>>(self, other: O) -> Expr {
            self.compare(BinOp::Eq, other)
        }

        #[doc = concat!("`", $what, " <> value`.")]
        pub fn ne<O: IntoOperand<T::Base>>(self, other: O) -> Expr {
            self.compare(BinOp::Ne, other)
        }

        #[doc = concat!("`", $what, " < value`.")]
        pub fn lt<O: IntoOperand<T::Base>>(self, other: O) -> Expr {
            self.compare(BinOp::Lt, other)
        }

        #[doc = concat!("`", $what, " <= value`.")]
        pub fn le<O: IntoOperand<T::Base>>(self, other: O) -> Expr {
            self.compare(BinOp::Le, other)
        }

        #[doc = concat!("`", $what, " > value`.")]
        pub fn gt<O: IntoOperand<T::Base>>(self, other: O) -> Expr {
            self.compare(BinOp::Gt, other)
        }

        #[doc = concat!("`", $what, " >= value`.")]
        pub fn ge<O: IntoOperand<T::Base>>(self, other: O) -> Expr {
            self.compare(BinOp::Ge, other)
        }
    };
}
pub(crate) use comparison_methods;

impl<M: crate::model::Model, T: SqlType> Column<M, T> {
    fn compare<O: IntoOperand<T::Base>>(self, op: BinOp, other: O) -> Expr {
        Expr::Binary {
            op,
            left: self.expr().boxed(),
            right: other.into_operand().boxed(),
        }
    }

    comparison_methods!("column");

    /// `column BETWEEN low AND high` (inclusive).
    pub fn between<O: IntoOperand<T::Base>>(self, low: O, high: O) -> Expr {
        Expr::Between {
            expr: self.expr().boxed(),
            low: low.into_operand().boxed(),
            high: high.into_operand().boxed(),
            negated: false,
        }
    }

    fn in_list_impl<O: IntoOperand<T::Base>>(
        self,
        values: impl IntoIterator<Item = O>,
        negated: bool,
    ) -> Expr {
        let list: Vec<Expr> = values.into_iter().map(|v| v.into_operand()).collect();
        if list.len() > LONG_IN_LIST {
            if let Some(values) = integers(&list) {
                return Expr::InIntegers {
                    expr: self.expr().boxed(),
                    json: Value::Text(json_array(&values)),
                    values,
                    negated,
                };
            }
        }
        Expr::InList {
            expr: self.expr().boxed(),
            list,
            negated,
        }
    }

    /// `column IN (values...)`; false for an empty list.
    pub fn is_in<O: IntoOperand<T::Base>>(self, values: impl IntoIterator<Item = O>) -> Expr {
        self.in_list_impl(values, false)
    }

    /// `column NOT IN (values...)`; true for an empty list.
    pub fn not_in<O: IntoOperand<T::Base>>(self, values: impl IntoIterator<Item = O>) -> Expr {
        self.in_list_impl(values, true)
    }

    /// `column IN (SELECT ...)`.
    pub fn in_subquery(self, query: impl Into<SelectStmt>) -> Expr {
        Expr::InSubquery {
            expr: self.expr().boxed(),
            query: Box::new(query.into()),
            negated: false,
        }
    }

    /// `column NOT IN (SELECT ...)`.
    pub fn not_in_subquery(self, query: impl Into<SelectStmt>) -> Expr {
        Expr::InSubquery {
            expr: self.expr().boxed(),
            query: Box::new(query.into()),
            negated: true,
        }
    }
}

impl<M: crate::model::Model, T: SqlType<Base = String>> Column<M, T> {
    fn like_impl(self, pattern: &str, negated: bool, case_insensitive: bool) -> Expr {
        Expr::Like {
            expr: self.expr().boxed(),
            pattern: Expr::Value(Value::Text(pattern.to_owned())).boxed(),
            negated,
            case_insensitive,
        }
    }

    /// `column LIKE pattern` (`%` and `_` wildcards, `\` escapes); case-sensitive on every backend.
    pub fn like(self, pattern: &str) -> Expr {
        self.like_impl(pattern, false, false)
    }

    /// `column NOT LIKE pattern`.
    pub fn not_like(self, pattern: &str) -> Expr {
        self.like_impl(pattern, true, false)
    }

    /// Case-insensitive `LIKE`.
    pub fn ilike(self, pattern: &str) -> Expr {
        self.like_impl(pattern, false, true)
    }
}

/// Another column of the same base type is an operand too: `Album::FK.eq(Artist::PK)`.
impl<M2: crate::model::Model, T2: SqlType> IntoOperand<T2::Base> for Column<M2, T2> {
    fn into_operand(self) -> Expr {
        self.expr()
    }
}

/// Escapes `%`, `_` and `\` so that `text` matches literally inside a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

macro_rules! value_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$v(v.into())
            }
        }
    )*};
}

value_from!(bool => Bool, i16 => I16, i32 => I32, i64 => I64, f32 => F32, f64 => F64,
    String => Text, &str => Text, Vec<u8> => Bytes);
