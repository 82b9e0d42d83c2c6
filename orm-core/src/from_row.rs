//! [`FromRow`] for scalars, tuples and `Option`.

use crate::connection::Row;
use crate::convert::SqlType;
use crate::error::{Error, Result};
use crate::model::FromRow;

macro_rules! scalar_from_row {
    ($($t:ty),*) => {$(
        impl FromRow for $t {
            const WIDTH: usize = 1;
            fn from_row(row: &dyn Row, offset: usize) -> Result<Self> {
                <$t as SqlType>::read_column(row, offset)?.map_err(Error::from)
            }
        }
    )*};
}

scalar_from_row!(bool, i16, i32, i64, f32, f64, String, Vec<u8>);
#[cfg(feature = "decimal")]
scalar_from_row!(rust_decimal::Decimal);
#[cfg(feature = "uuid")]
scalar_from_row!(uuid::Uuid);
#[cfg(feature = "json")]
scalar_from_row!(serde_json::Value);
#[cfg(feature = "chrono")]
scalar_from_row!(
    chrono::NaiveDate,
    chrono::NaiveTime,
    chrono::NaiveDateTime,
    chrono::DateTime<chrono::Utc>
);

/// `None` when the columns of [`T::PRESENCE`](FromRow::PRESENCE) are all
/// NULL (a model's primary key), or every column of `T` when it names none.
impl<T: FromRow> FromRow for Option<T> {
    const WIDTH: usize = T::WIDTH;
    fn from_row(row: &dyn Row, offset: usize) -> Result<Self> {
        if T::PRESENCE.is_empty() {
            for i in offset..offset + T::WIDTH {
                if !row.is_null(i)? {
                    return T::from_row(row, offset).map(Some);
                }
            }
            return Ok(None);
        }
        for &i in T::PRESENCE {
            debug_assert!(i < T::WIDTH, "PRESENCE names a column outside the value");
            if !row.is_null(offset + i)? {
                return T::from_row(row, offset).map(Some);
            }
        }
        Ok(None)
    }
}

macro_rules! tuple_from_row {
    ($($name:ident)+) => {
        impl<$($name: FromRow),+> FromRow for ($($name,)+) {
            const WIDTH: usize = 0 $(+ $name::WIDTH)+;
            #[allow(unused_assignments)]
            fn from_row(row: &dyn Row, offset: usize) -> Result<Self> {
                let mut at = offset;
                Ok(($({
                    let v = $name::from_row(row, at)?;
                    at += $name::WIDTH;
                    v
                },)+))
            }
        }
    };
}

tuple_from_row!(A);
tuple_from_row!(A B);
tuple_from_row!(A B C);
tuple_from_row!(A B C D);
tuple_from_row!(A B C D E);
tuple_from_row!(A B C D E F);
tuple_from_row!(A B C D E F G);
tuple_from_row!(A B C D E F G H);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::Values;
    use crate::value::ValueRef;

    /// Two columns, present when its second is not NULL.
    #[derive(Debug, PartialEq)]
    struct Keyed(Option<i64>, i64);

    impl FromRow for Keyed {
        const WIDTH: usize = 2;
        const PRESENCE: &'static [usize] = &[1];
        fn from_row(row: &dyn Row, offset: usize) -> Result<Self> {
            Ok(Keyed(
                Option::<i64>::from_row(row, offset)?,
                i64::from_row(row, offset + 1)?,
            ))
        }
    }

    #[test]
    fn an_option_asks_only_the_presence_columns() {
        use ValueRef::{Null, I64};
        let read = |values: Vec<ValueRef<'static>>| {
            <(i64, Option<Keyed>)>::from_row(&Values(values), 0).map(|(_, k)| k)
        };
        assert_eq!(read(vec![I64(1), I64(5), Null]).unwrap(), None);
        assert_eq!(
            read(vec![I64(1), Null, I64(7)]).unwrap(),
            Some(Keyed(None, 7))
        );
        // Without PRESENCE, any column that is not NULL makes a value.
        let plain = <Option<(Option<i64>, Option<i64>)>>::from_row(&Values(vec![Null, I64(2)]), 0);
        assert_eq!(plain.unwrap(), Some((None, Some(2))));
        let none = <Option<(Option<i64>, Option<i64>)>>::from_row(&Values(vec![Null, Null]), 0);
        assert_eq!(none.unwrap(), None);
    }
}
