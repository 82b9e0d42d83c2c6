//! Conversions between Rust types and SQL values.

use crate::connection::Row;
use crate::error::ConversionError;
use crate::value::{ColumnType, Value, ValueRef};

/// A Rust type that can be stored in a column.
///
/// Implemented for `bool`, `i16`, `i32`, `i64`, `f32`, `f64`, `String`,
/// `Vec<u8>` and `Option<T>` of those. The model's Rust type decides the column
/// type, so the same model declares the same table on every backend.
pub trait SqlType: Sized {
    /// The column type this Rust type maps to.
    const COLUMN_TYPE: ColumnType;
    /// Whether the column accepts NULL (true only for `Option<T>`).
    const NULLABLE: bool = false;
    /// The type without `Option`: values of this type can be compared with the column.
    type Base;

    /// Borrows the value for binding.
    fn to_value_ref(&self) -> ValueRef<'_>;

    /// Reads the value from a row.
    ///
    /// # Failure
    /// Returns a [`ConversionError`] when the database value has another type,
    /// is out of range, or is NULL for a non-`Option` type.
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError>;

    /// Reads the value at `index` of `row` through the row's fast paths
    /// ([`Row::get_int`], [`Row::get_text`]) when they answer; `None` sends
    /// the reader to [`from_value_ref`](SqlType::from_value_ref) of
    /// [`Row::get`]. Answers only what `from_value_ref` would give for the same
    /// value. The default never answers.
    fn read_fast(row: &dyn Row, index: usize) -> Option<Self> {
        let _ = (row, index);
        None
    }

    /// [`read_fast`](SqlType::read_fast) for an `Option` of this type:
    /// `Some(None)` for NULL. Answers only what `from_value_ref` would give
    /// for the same value; the default answers only what `read_fast` does.
    fn read_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
        Self::read_fast(row, index).map(Some)
    }

    /// Reads the value at `index` of `row`: the fast path, else
    /// [`from_value_ref`](SqlType::from_value_ref) of [`Row::get`].
    ///
    /// # Failure
    /// The outer error is the row's (index out of range, undecodable value);
    /// the inner one is the conversion's, for the caller to locate.
    #[inline]
    fn read_column(
        row: &dyn Row,
        index: usize,
    ) -> crate::error::Result<Result<Self, ConversionError>> {
        fast_or_get(Self::read_fast(row, index), row, index)
    }

    /// [`read_fast`](SqlType::read_fast) for a reader that reads this
    /// column no more, so the row may hand its value over instead of
    /// lending it ([`Row::take_text`]). The default is `read_fast`.
    fn take_fast(row: &dyn Row, index: usize) -> Option<Self> {
        Self::read_fast(row, index)
    }

    /// [`take_fast`](SqlType::take_fast) for an `Option` of this type, as
    /// [`read_fast_or_null`](SqlType::read_fast_or_null) is for `read_fast`.
    fn take_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
        Self::read_fast_or_null(row, index)
    }

    /// [`read_column`](SqlType::read_column) for a reader that reads this
    /// column no more (a derived model's fields): the fast path is
    /// [`take_fast`](SqlType::take_fast).
    ///
    /// # Failure
    /// As [`read_column`](SqlType::read_column).
    #[inline]
    fn take_column(
        row: &dyn Row,
        index: usize,
    ) -> crate::error::Result<Result<Self, ConversionError>> {
        fast_or_get(Self::take_fast(row, index), row, index)
    }

    /// Copies the value into an owned [`Value`].
    fn to_value(&self) -> Value {
        self.to_value_ref().to_owned()
    }
}

/// The value a fast path read, else `T`'s reading of [`Row::get`].
#[inline]
fn fast_or_get<T: SqlType>(
    fast: Option<T>,
    row: &dyn Row,
    index: usize,
) -> crate::error::Result<Result<T, ConversionError>> {
    match fast {
        Some(v) => Ok(Ok(v)),
        None => Ok(T::from_value_ref(row.get(index)?)),
    }
}

fn mismatch<T>(expected: &str, found: ValueRef<'_>) -> Result<T, ConversionError> {
    Err(ConversionError::new(expected, found.kind()))
}

fn out_of_range<T>(expected: &str, v: i64) -> Result<T, ConversionError> {
    Err(ConversionError::new(
        expected,
        format!("{v} (out of range)"),
    ))
}

impl SqlType for bool {
    const COLUMN_TYPE: ColumnType = ColumnType::Bool;
    type Base = bool;
    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::Bool(*self)
    }
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
        match value {
            ValueRef::Bool(v) => Ok(v),
            // SQLite and MySQL store booleans as integers.
            v => match v.as_i64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                Some(n) => out_of_range("bool", n),
                None => mismatch("bool", v),
            },
        }
    }
}

macro_rules! integer_sql_type {
    ($t:ty, $variant:ident, $col:ident, $name:literal) => {
        impl SqlType for $t {
            const COLUMN_TYPE: ColumnType = ColumnType::$col;
            type Base = $t;
            fn to_value_ref(&self) -> ValueRef<'_> {
                ValueRef::$variant(*self)
            }
            fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
                match value.as_i64() {
                    Some(n) => <$t>::try_from(n).or_else(|_| out_of_range($name, n)),
                    None => mismatch($name, value),
                }
            }
            #[inline]
            fn read_fast(row: &dyn Row, index: usize) -> Option<Self> {
                // Out of range: `from_value_ref` reports it.
                row.get_int(index).and_then(|n| <$t>::try_from(n).ok())
            }
            #[inline]
            fn read_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
                match row.get_int_or_null(index)? {
                    None => Some(None),
                    Some(n) => <$t>::try_from(n).ok().map(Some),
                }
            }
        }
    };
}

integer_sql_type!(i16, I16, SmallInt, "i16");
integer_sql_type!(i32, I32, Integer, "i32");
integer_sql_type!(i64, I64, BigInt, "i64");

/// Integers beyond 2^53 do not fit an f64 exactly; below that they convert losslessly.
const EXACT_F64_INT: u64 = 1 << 53;

impl SqlType for f64 {
    const COLUMN_TYPE: ColumnType = ColumnType::Double;
    type Base = f64;
    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::F64(*self)
    }
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
        // `+ 0.0` turns -0.0 into 0.0 (and changes nothing else): MySQL and
        // SQLite store -0.0 as 0.0, PostgreSQL keeps the sign.
        match value {
            ValueRef::F64(v) => Ok(v + 0.0),
            ValueRef::F32(v) => Ok(f64::from(v) + 0.0),
            v => match v.as_i64() {
                Some(n) if n.unsigned_abs() <= EXACT_F64_INT => Ok(n as f64),
                _ => mismatch("f64", v),
            },
        }
    }
}

impl SqlType for f32 {
    const COLUMN_TYPE: ColumnType = ColumnType::Real;
    type Base = f32;
    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::F32(*self)
    }
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
        match value {
            ValueRef::F32(v) => Ok(v + 0.0),
            // SQLite keeps every float as f64; accept it when it is an f32 exactly.
            ValueRef::F64(v) if v.is_nan() || (v as f32) as f64 == v => Ok(v as f32 + 0.0),
            v => match v.as_i64() {
                Some(n) if n.unsigned_abs() <= 1 << 24 => Ok(n as f32),
                _ => mismatch("f32", v),
            },
        }
    }
}

impl SqlType for String {
    const COLUMN_TYPE: ColumnType = ColumnType::Text;
    type Base = String;
    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
        match value {
            ValueRef::Text(s) => Ok(s.to_owned()),
            ValueRef::Bytes(b) => match std::str::from_utf8(b) {
                Ok(s) => Ok(s.to_owned()),
                Err(_) => Err(ConversionError::new("text", "bytes that are not UTF-8")),
            },
            v => mismatch("text", v),
        }
    }
    #[inline]
    fn read_fast(row: &dyn Row, index: usize) -> Option<Self> {
        row.get_text(index).map(str::to_owned)
    }
    #[inline]
    fn read_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
        row.get_text_or_null(index)
            .map(|text| text.map(str::to_owned))
    }
    #[inline]
    fn take_fast(row: &dyn Row, index: usize) -> Option<Self> {
        row.take_text(index)
    }
    #[inline]
    fn take_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
        row.take_text_or_null(index)
    }
}

impl SqlType for Vec<u8> {
    const COLUMN_TYPE: ColumnType = ColumnType::Bytes;
    type Base = Vec<u8>;
    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::Bytes(self)
    }
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
        match value {
            ValueRef::Bytes(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            v => mismatch("bytes", v),
        }
    }
}

impl<T: SqlType> SqlType for Option<T> {
    const COLUMN_TYPE: ColumnType = T::COLUMN_TYPE;
    const NULLABLE: bool = true;
    type Base = T::Base;
    fn to_value_ref(&self) -> ValueRef<'_> {
        match self {
            Some(v) => v.to_value_ref(),
            None => ValueRef::Null,
        }
    }
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, ConversionError> {
        match value {
            ValueRef::Null => Ok(None),
            v => T::from_value_ref(v).map(Some),
        }
    }
    #[inline]
    fn read_fast(row: &dyn Row, index: usize) -> Option<Self> {
        T::read_fast_or_null(row, index)
    }
    #[inline]
    fn read_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
        // NULL is the outer `None`, as `from_value_ref` reads it.
        T::read_fast_or_null(row, index).map(|v| v.map(Some))
    }
    #[inline]
    fn take_fast(row: &dyn Row, index: usize) -> Option<Self> {
        T::take_fast_or_null(row, index)
    }
    #[inline]
    fn take_fast_or_null(row: &dyn Row, index: usize) -> Option<Option<Self>> {
        T::take_fast_or_null(row, index).map(|v| v.map(Some))
    }
}

/// A value usable where a column of base type `B` is expected.
///
/// This is what makes `Artist::NAME.eq(5)` a compile error: `i32` is not an
/// operand for a text column.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be compared with a column of type `{B}`",
    label = "expected a value of the column's type `{B}`"
)]
pub trait IntoOperand<B> {
    /// Converts into an expression operand.
    fn into_operand(self) -> crate::expr::Expr;
}

macro_rules! operand_by_value {
    ($base:ty: $($t:ty),*) => {$(
        impl $crate::convert::IntoOperand<$base> for $t {
            fn into_operand(self) -> $crate::expr::Expr {
                $crate::expr::Expr::Value($crate::convert::SqlType::to_value(&<$base>::from(self)))
            }
        }
    )*};
}
#[allow(unused_imports)] // used by the feature-gated types
pub(crate) use operand_by_value;

operand_by_value!(bool: bool);
operand_by_value!(i16: i16);
operand_by_value!(i32: i32, i16);
operand_by_value!(i64: i64, i32, i16);
operand_by_value!(f32: f32);
operand_by_value!(f64: f64, f32);
operand_by_value!(String: String, &str, &String);
operand_by_value!(Vec<u8>: Vec<u8>, &[u8]);

impl IntoOperand<Vec<u8>> for &Vec<u8> {
    fn into_operand(self) -> crate::expr::Expr {
        crate::expr::Expr::Value(Value::Bytes(self.clone()))
    }
}

/// An integer type usable as an auto-generated key: zero (or `None`) means
/// "not yet assigned", and the generated key is filled in after insert.
pub trait AutoKey: Sized {
    /// Whether the key is not yet assigned.
    fn is_unset(&self) -> bool;
    /// Converts a generated key, failing when it does not fit.
    fn from_generated(key: i64) -> Result<Self, ConversionError>;
}

macro_rules! auto_key {
    ($($t:ty),*) => {$(
        impl AutoKey for $t {
            fn is_unset(&self) -> bool {
                *self == 0
            }
            fn from_generated(key: i64) -> Result<Self, ConversionError> {
                <$t>::try_from(key).or_else(|_| out_of_range(stringify!($t), key))
            }
        }
    )*};
}

auto_key!(i16, i32, i64);

impl<T: AutoKey> AutoKey for Option<T> {
    fn is_unset(&self) -> bool {
        self.is_none()
    }
    fn from_generated(key: i64) -> Result<Self, ConversionError> {
        T::from_generated(key).map(Some)
    }
}

/// Holds when a foreign-key field of base type `Self` can reference a
/// primary key of type `K`: the types must be the same.
#[diagnostic::on_unimplemented(
    message = "a foreign key of type `{Self}` cannot reference a primary key of type `{K}`",
    label = "this field's type must be the referenced model's key type `{K}`"
)]
pub trait ForeignKeyType<K> {}

impl<T> ForeignKeyType<T> for T {}

/// Used by `#[derive(Model)]` to check a foreign key's type at compile time.
#[doc(hidden)]
pub fn assert_foreign_key_type<F: ForeignKeyType<K>, K>() {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::Result;

    /// A row of given values whose fast paths answer as a backend's do.
    pub(crate) struct Values(pub(crate) Vec<ValueRef<'static>>);

    impl Row for Values {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, index: usize) -> Result<ValueRef<'_>> {
            Ok(self.0[index])
        }
        fn get_int(&self, index: usize) -> Option<i64> {
            match self.0[index] {
                ValueRef::I64(n) => Some(n),
                _ => None,
            }
        }
        fn get_text(&self, index: usize) -> Option<&str> {
            match self.0[index] {
                ValueRef::Text(t) => Some(t),
                _ => None,
            }
        }
        fn get_int_or_null(&self, index: usize) -> Option<Option<i64>> {
            match self.0[index] {
                ValueRef::Null => Some(None),
                _ => self.get_int(index).map(Some),
            }
        }
        fn get_text_or_null(&self, index: usize) -> Option<Option<&str>> {
            match self.0[index] {
                ValueRef::Null => Some(None),
                _ => self.get_text(index).map(Some),
            }
        }
    }

    /// What the fast path reads, and what `from_value_ref` of `get` reads.
    fn both<T: SqlType>(row: &Values, index: usize) -> (Option<T>, Result<T, ConversionError>) {
        (
            T::read_fast(row, index),
            T::from_value_ref(row.get(index).unwrap()),
        )
    }

    #[test]
    fn fast_paths_read_what_the_slow_path_reads() {
        let row = Values(vec![
            ValueRef::Null,
            ValueRef::I64(7),
            ValueRef::I64(40_000),
            ValueRef::Text("t"),
        ]);
        for i in 0..row.len() {
            let (fast, slow) = both::<Option<i64>>(&row, i);
            assert!(
                fast.is_none() || fast == slow.clone().ok(),
                "{i}: {fast:?} {slow:?}"
            );
            let (fast, slow) = both::<Option<i16>>(&row, i);
            assert!(
                fast.is_none() || fast == slow.clone().ok(),
                "{i}: {fast:?} {slow:?}"
            );
            let (fast, slow) = both::<Option<String>>(&row, i);
            assert!(
                fast.is_none() || fast == slow.clone().ok(),
                "{i}: {fast:?} {slow:?}"
            );
            let (fast, slow) = both::<Option<Option<i64>>>(&row, i);
            assert!(
                fast.is_none() || fast == slow.clone().ok(),
                "{i}: {fast:?} {slow:?}"
            );
            let (fast, slow) = both::<Option<Option<String>>>(&row, i);
            assert!(
                fast.is_none() || fast == slow.clone().ok(),
                "{i}: {fast:?} {slow:?}"
            );
        }
        // The paths that must answer do: NULL and fitting values.
        assert_eq!(<Option<Option<i64>>>::read_fast(&row, 0), Some(None));
        assert_eq!(
            <Option<Option<i64>>>::read_fast(&row, 1),
            Some(Some(Some(7)))
        );
        assert_eq!(<Option<i16>>::read_fast(&row, 0), Some(None));
        // Out of range: no fast answer, and the slow path's error.
        assert_eq!(<Option<i16>>::read_fast(&row, 2), None);
        assert!(<Option<i16>>::from_value_ref(ValueRef::I64(40_000)).is_err());
    }
}
