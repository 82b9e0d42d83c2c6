//! Typed expressions: aggregates, functions and arithmetic over columns, each
//! knowing the Rust type it reads into, so `sum(Order::TOTAL)` over a decimal
//! column reads a decimal and `Item::PRICE * 2` compares only with prices.

use std::marker::PhantomData;
use std::ops::{Add, Div, Mul, Sub};

use crate::convert::{IntoOperand, SqlType};
use crate::expr::{BinOp, Column, Expr, Func, Order};
use crate::model::FromRow;
use crate::query::Selection;

/// A SQL expression that reads into `T` (with `T`'s nullability).
pub struct TypedExpr<T> {
    expr: Expr,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for TypedExpr<T> {
    fn clone(&self) -> Self {
        TypedExpr::new(self.expr.clone())
    }
}

impl<T> std::fmt::Debug for TypedExpr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expr.fmt(f)
    }
}

impl<T> TypedExpr<T> {
    /// An expression that reads into `T`; the caller vouches for the type.
    pub fn new(expr: Expr) -> Self {
        TypedExpr {
            expr,
            _marker: PhantomData,
        }
    }

    /// The untyped expression.
    pub fn expr(self) -> Expr {
        self.expr
    }

    /// Ascending order on this expression.
    pub fn asc(self) -> Order {
        Order {
            expr: self.expr,
            descending: false,
            nullable: true,
        }
    }

    /// Descending order on this expression.
    pub fn desc(self) -> Order {
        Order {
            expr: self.expr,
            descending: true,
            nullable: true,
        }
    }

    /// `expr IS NULL`.
    pub fn is_null(self) -> Expr {
        Expr::IsNull {
            expr: Box::new(self.expr),
            negated: false,
        }
    }

    /// `expr IS NOT NULL`.
    pub fn is_not_null(self) -> Expr {
        Expr::IsNull {
            expr: Box::new(self.expr),
            negated: true,
        }
    }
}

impl<T: SqlType> TypedExpr<T> {
    fn compare<O: IntoOperand<T::Base>>(self, op: BinOp, other: O) -> Expr {
        Expr::Binary {
            op,
            left: Box::new(self.expr),
            right: Box::new(other.into_operand()),
        }
    }

    crate::expr::comparison_methods!("expr");
}

impl<T: FromRow> Selection for TypedExpr<T> {
    type Output = T;
    fn exprs(self) -> Vec<Expr> {
        vec![self.expr]
    }
}

impl<T: SqlType> IntoOperand<T::Base> for TypedExpr<T> {
    fn into_operand(self) -> Expr {
        self.expr
    }
}

/// Anything that is a typed expression: a column or a [`TypedExpr`].
pub trait IntoTyped {
    /// The Rust type it reads into.
    type Type;
    /// Converts into a typed expression.
    fn into_typed(self) -> TypedExpr<Self::Type>;
    /// The declared scale, when this is a decimal column.
    fn decimal_scale(&self) -> Option<u8> {
        None
    }
}

impl<M: crate::model::Model, T> IntoTyped for Column<M, T> {
    type Type = T;
    fn into_typed(self) -> TypedExpr<T> {
        TypedExpr::new(self.expr())
    }
    fn decimal_scale(&self) -> Option<u8> {
        match M::TABLE.columns[self.index()].ty {
            crate::value::ColumnType::Decimal(_, s) => Some(s),
            _ => None,
        }
    }
}

impl<T> IntoTyped for TypedExpr<T> {
    type Type = T;
    fn into_typed(self) -> TypedExpr<T> {
        self
    }
}

fn call<T>(func: Func, args: Vec<Expr>) -> TypedExpr<T> {
    TypedExpr::new(Expr::Call { func, args })
}

/// `COUNT(*)`.
pub fn count_all() -> TypedExpr<i64> {
    call(Func::Count, Vec::new())
}

/// `COUNT(expr)`: the rows where `expr` is not NULL.
pub fn count(e: impl IntoTyped) -> TypedExpr<i64> {
    call(Func::Count, vec![e.into_typed().expr])
}

/// `COUNT(DISTINCT expr)`.
pub fn count_distinct(e: impl IntoTyped) -> TypedExpr<i64> {
    call(Func::CountDistinct, vec![e.into_typed().expr])
}

/// A numeric type: arithmetic applies to it.
pub trait Numeric {
    /// Whether `/` is integer division (truncating toward zero on every backend).
    const INTEGER: bool;
}

/// A type `SUM` applies to, and the type of the sum.
pub trait Summable {
    /// The sum's type: `i64` for integers, `f64` for floats, a decimal for decimals.
    type Sum;
    /// What the sum is cast to so every backend returns the same type.
    const CAST: Option<CastTarget>;
}

/// A type a SQL expression is cast to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastTarget {
    /// A 64-bit integer.
    BigInt,
    /// A 64-bit float.
    Double,
}

macro_rules! numeric {
    ($($t:ty: $int:expr, $sum:ty, $cast:expr;)*) => {$(
        impl Numeric for $t {
            const INTEGER: bool = $int;
        }
        impl Summable for $t {
            type Sum = $sum;
            const CAST: Option<CastTarget> = $cast;
        }
    )*};
}

numeric! {
    i16: true, i64, Some(CastTarget::BigInt);
    i32: true, i64, Some(CastTarget::BigInt);
    i64: true, i64, Some(CastTarget::BigInt);
    f32: false, f64, Some(CastTarget::Double);
    f64: false, f64, Some(CastTarget::Double);
}

#[cfg(feature = "decimal")]
numeric! {
    rust_decimal::Decimal: false, rust_decimal::Decimal, None;
}

fn cast<T>(e: Expr, target: Option<CastTarget>) -> TypedExpr<T> {
    match target {
        Some(target) => TypedExpr::new(Expr::Cast {
            expr: Box::new(e),
            target,
        }),
        None => TypedExpr::new(e),
    }
}

/// `SUM(expr)`: `None` over no rows (or only NULLs). Integer sums are `i64`,
/// float sums `f64`, decimal sums decimals, on every backend. The sum of a
/// decimal column is rounded to the column's scale, which keeps it exact on
/// SQLite, where decimals are floats.
pub fn sum<E>(e: E) -> TypedExpr<Option<<<E::Type as SqlType>::Base as Summable>::Sum>>
where
    E: IntoTyped,
    E::Type: SqlType,
    <E::Type as SqlType>::Base: Summable,
{
    let scale = e.decimal_scale();
    let mut inner = call::<()>(Func::Sum, vec![e.into_typed().expr]).expr;
    if let Some(digits) = scale {
        inner = Expr::Round {
            expr: Box::new(inner),
            digits,
        };
    }
    cast(inner, <<E::Type as SqlType>::Base as Summable>::CAST)
}

/// `AVG(expr)` as an `f64`; `None` over no rows.
pub fn avg<E>(e: E) -> TypedExpr<Option<f64>>
where
    E: IntoTyped,
    E::Type: SqlType,
    <E::Type as SqlType>::Base: Numeric,
{
    let inner = call::<()>(Func::Avg, vec![e.into_typed().expr]).expr;
    cast(inner, Some(CastTarget::Double))
}

/// `MIN(expr)`; `None` over no rows.
pub fn min<E>(e: E) -> TypedExpr<Option<<E::Type as SqlType>::Base>>
where
    E: IntoTyped,
    E::Type: SqlType,
{
    call(Func::Min, vec![e.into_typed().expr])
}

/// `MAX(expr)`; `None` over no rows.
pub fn max<E>(e: E) -> TypedExpr<Option<<E::Type as SqlType>::Base>>
where
    E: IntoTyped,
    E::Type: SqlType,
{
    call(Func::Max, vec![e.into_typed().expr])
}

/// `LOWER(text)`.
pub fn lower<E>(e: E) -> TypedExpr<E::Type>
where
    E: IntoTyped,
    E::Type: SqlType<Base = String>,
{
    call(Func::Lower, vec![e.into_typed().expr])
}

/// `UPPER(text)`.
pub fn upper<E>(e: E) -> TypedExpr<E::Type>
where
    E: IntoTyped,
    E::Type: SqlType<Base = String>,
{
    call(Func::Upper, vec![e.into_typed().expr])
}

/// `COALESCE(expr, fallback)`: never NULL.
pub fn coalesce<E, O>(e: E, fallback: O) -> TypedExpr<<E::Type as SqlType>::Base>
where
    E: IntoTyped,
    E::Type: SqlType,
    O: IntoOperand<<E::Type as SqlType>::Base>,
{
    call(
        Func::Coalesce,
        vec![e.into_typed().expr, fallback.into_operand()],
    )
}

/// String concatenation, `a || b` (or `CONCAT(a, b)` on MySQL); NULL if either is NULL.
pub fn concat<E, O>(e: E, other: O) -> TypedExpr<E::Type>
where
    E: IntoTyped,
    E::Type: SqlType<Base = String>,
    O: IntoOperand<String>,
{
    call(
        Func::Concat,
        vec![e.into_typed().expr, other.into_operand()],
    )
}

fn arithmetic<T: SqlType>(op: BinOp, left: Expr, right: Expr) -> TypedExpr<T>
where
    T::Base: Numeric,
{
    let op = match op {
        BinOp::Div if <T::Base as Numeric>::INTEGER => BinOp::IntDiv,
        op => op,
    };
    TypedExpr::new(Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    })
}

macro_rules! arithmetic_ops {
    ($($trait:ident $method:ident $op:ident),*) => {$(
        impl<T, O> $trait<O> for TypedExpr<T>
        where
            T: SqlType,
            T::Base: Numeric,
            O: IntoOperand<T::Base>,
        {
            type Output = TypedExpr<T>;
            fn $method(self, rhs: O) -> TypedExpr<T> {
                arithmetic(BinOp::$op, self.expr, rhs.into_operand())
            }
        }

        impl<M: crate::model::Model, T, O> $trait<O> for Column<M, T>
        where
            T: SqlType,
            T::Base: Numeric,
            O: IntoOperand<T::Base>,
        {
            type Output = TypedExpr<T>;
            fn $method(self, rhs: O) -> TypedExpr<T> {
                arithmetic(BinOp::$op, self.expr(), rhs.into_operand())
            }
        }
    )*};
}

arithmetic_ops!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);
