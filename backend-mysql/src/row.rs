//! A row of a MySQL result set, read in place; its text handed over without
//! a copy to a reader that reads the column once.

use std::cell::{Cell, UnsafeCell};

use athanor_core::{ConversionError, Error, Result, Row, ValueRef};
use mysql::consts::ColumnType as MyType;
use mysql::{Column, Value as MyValue};

use crate::values::{decode, BINARY_CHARSET};

/// Columns at or past this index are never moved out (one bit each in
/// [`MyRow`]'s `lent` mask): their text is copied.
const MOVABLE_COLUMNS: usize = u64::BITS as usize;

/// One row of a result set.
///
/// Values are lent from the driver's row. Text can also be moved out of it
/// ([`Row::take_text`]): the driver holds each value in a buffer of its own,
/// and a model's `String` field takes that buffer over, as the raw driver's
/// `Row::take` does, instead of a copy (one allocation and one free less
/// per text column and row).
///
/// Why moving through `&self` is sound: every reference this row lends
/// points into a value's own heap buffer (text, bytes) or is a copy, never
/// into the row's array of values. A column is moved out only when nothing
/// was ever lent from it (its `lent` bit is clear), and once moved its slot
/// in the driver's row is empty, so every read of it is refused. So no reference
/// this row handed out points into a buffer it gave away.
pub(crate) struct MyRow {
    row: UnsafeCell<mysql::Row>,
    /// Columns something was lent from: never moved.
    lent: Cell<u64>,
}

impl MyRow {
    pub(crate) fn new(row: mysql::Row) -> Self {
        MyRow {
            row: UnsafeCell::new(row),
            lent: Cell::new(0),
        }
    }

    /// The driver's row, for reads that copy. Whatever hands out a
    /// reference into a value goes through [`lend`](MyRow::lend) first.
    fn row(&self) -> &mysql::Row {
        // SAFETY: the row is mutated only by `take_text`, which replaces one
        // value no reference points into (see the type's documentation).
        unsafe { &*self.row.get() }
    }

    /// Records that a reference into column `index` is handed out.
    fn lend(&self, index: usize) {
        if index < MOVABLE_COLUMNS {
            self.lent.set(self.lent.get() | 1 << index);
        }
    }

    /// The bytes at `index` when the column is text (as `decode` reads it)
    /// and they are UTF-8.
    fn text_at(&self, index: usize) -> Option<&str> {
        let row = self.row();
        let (MyValue::Bytes(b), Some(column)) = (row.as_ref(index)?, row.columns_ref().get(index))
        else {
            return None;
        };
        if is_text(column) {
            std::str::from_utf8(b).ok()
        } else {
            None
        }
    }
}

/// The column types `decode` reads as text unless the character set is binary.
fn is_text(column: &Column) -> bool {
    use MyType::*;
    matches!(
        column.column_type(),
        MYSQL_TYPE_VARCHAR
            | MYSQL_TYPE_VAR_STRING
            | MYSQL_TYPE_STRING
            | MYSQL_TYPE_TINY_BLOB
            | MYSQL_TYPE_MEDIUM_BLOB
            | MYSQL_TYPE_LONG_BLOB
            | MYSQL_TYPE_BLOB
    ) && column.character_set() != BINARY_CHARSET
}

impl Row for MyRow {
    fn len(&self) -> usize {
        self.row().len()
    }

    #[inline]
    fn get_int(&self, index: usize) -> Option<i64> {
        // `decode` reads a binary-protocol integer as it is, whatever the column.
        match self.row().as_ref(index)? {
            MyValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    #[inline]
    fn is_null(&self, index: usize) -> Result<bool> {
        match self.row().as_ref(index) {
            Some(value) => Ok(matches!(value, MyValue::NULL)),
            None => self.get(index).map(|_| false),
        }
    }

    #[inline]
    fn get_int_or_null(&self, index: usize) -> Option<Option<i64>> {
        match self.row().as_ref(index)? {
            MyValue::Int(i) => Some(Some(*i)),
            MyValue::NULL => Some(None),
            _ => None,
        }
    }

    #[inline]
    fn get_text_or_null(&self, index: usize) -> Option<Option<&str>> {
        match self.row().as_ref(index)? {
            MyValue::NULL => Some(None),
            _ => self.get_text(index).map(Some),
        }
    }

    #[inline]
    fn get_text(&self, index: usize) -> Option<&str> {
        let text = self.text_at(index)?;
        self.lend(index);
        Some(text)
    }

    #[inline]
    fn take_text(&self, index: usize) -> Option<String> {
        if index >= MOVABLE_COLUMNS || self.lent.get() & 1 << index != 0 {
            return self.get_text(index).map(str::to_owned);
        }
        // Checked before the value leaves the row, so that a value that is
        // not text stays where it is.
        self.text_at(index)?;
        // SAFETY: nothing was lent from column `index` (its bit in `lent` is
        // clear), so no reference into its buffer exists; taking it replaces
        // that one value, and references lent from other columns point into
        // their own buffers, which stay where they are.
        let value = unsafe { &mut *self.row.get() }.take_opt::<MyValue, usize>(index);
        match value {
            Some(Ok(MyValue::Bytes(bytes))) => {
                // SAFETY: `text_at` found these bytes UTF-8 just above.
                Some(unsafe { String::from_utf8_unchecked(bytes) })
            }
            _ => None,
        }
    }

    #[inline]
    fn take_text_or_null(&self, index: usize) -> Option<Option<String>> {
        match self.row().as_ref(index)? {
            MyValue::NULL => Some(None),
            _ => self.take_text(index).map(Some),
        }
    }

    fn get(&self, index: usize) -> Result<ValueRef<'_>> {
        let row = self.row();
        let Some(column) = row.columns_ref().get(index) else {
            return Err(Error::column_index(index, row.len()));
        };
        // A value is missing only when `take_text` moved it out.
        let Some(value) = row.as_ref(index) else {
            return Err(Error::Conversion(in_column(
                ConversionError::new(
                    "a column not read before",
                    "a value already moved out of the row (read each column once)",
                ),
                column,
            )));
        };
        self.lend(index);
        decode(value, column).map_err(|e| Error::Conversion(in_column(e, column)))
    }
}

/// Names the table (when the column comes from one) and the column of a
/// decoding error.
pub(crate) fn in_column(mut e: ConversionError, column: &Column) -> ConversionError {
    let table = column.org_table_str();
    if e.table.is_none() && !table.is_empty() {
        e.table = Some(table.into_owned());
    }
    e.column
        .get_or_insert_with(|| column.name_str().into_owned());
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::row::new_row;
    use std::sync::Arc;

    const UTF8MB4: u16 = 45;

    fn column(name: &str, ty: MyType, charset: u16) -> Column {
        Column::new(ty)
            .with_name(name.as_bytes())
            .with_org_table(b"users")
            .with_character_set(charset)
    }

    /// id BIGINT, name VARCHAR, nick VARCHAR NULL, photo VARBINARY.
    fn user(name: &str, nick: Option<&str>) -> MyRow {
        let columns: Arc<[Column]> = Arc::from(vec![
            column("id", MyType::MYSQL_TYPE_LONGLONG, BINARY_CHARSET),
            column("name", MyType::MYSQL_TYPE_VAR_STRING, UTF8MB4),
            column("nick", MyType::MYSQL_TYPE_VAR_STRING, UTF8MB4),
            column("photo", MyType::MYSQL_TYPE_VAR_STRING, BINARY_CHARSET),
        ]);
        let nick = nick.map_or(MyValue::NULL, |n| MyValue::Bytes(n.into()));
        MyRow::new(new_row(
            vec![
                MyValue::Int(7),
                MyValue::Bytes(name.into()),
                nick,
                MyValue::Bytes(vec![0xff, 0]),
            ],
            columns,
        ))
    }

    #[test]
    fn text_is_moved_out_once_and_a_second_read_names_the_column() {
        let row = user("Ada", Some("ada"));
        let name = row.take_text(1).expect("text");
        assert_eq!(name, "Ada");
        assert_eq!(row.get_text(1), None);
        let Err(Error::Conversion(e)) = row.get(1) else {
            panic!("a moved column must be refused");
        };
        assert_eq!(
            (e.table.as_deref(), e.column.as_deref()),
            (Some("users"), Some("name"))
        );
        assert!(e.to_string().contains("moved out"), "{e}");
        assert!(row.is_null(1).is_err());
        // The other columns are untouched.
        assert_eq!(row.get_int(0), Some(7));
        assert_eq!(row.take_text_or_null(2), Some(Some("ada".to_owned())));
    }

    #[test]
    fn a_lent_column_is_copied_not_moved() {
        let row = user("Ada", None);
        let lent = row.get_text(1).expect("text");
        let taken = row.take_text(1).expect("text");
        assert_eq!((lent, taken.as_str()), ("Ada", "Ada"));
        assert!(matches!(row.get(1), Ok(ValueRef::Text("Ada"))));
        let through_get = row.get(2).expect("value");
        assert!(matches!(through_get, ValueRef::Null));
    }

    #[test]
    fn a_column_lent_stays_whole_while_another_is_moved() {
        // The case the soundness argument is about (run it under Miri):
        // text lent from one column, another column moved out meanwhile.
        let row = user("Ada", Some("ada"));
        let name = row.get_text(1).expect("text");
        let nick = row.take_text(2).expect("text");
        let taken_again = row.take_text(1).expect("a lent column is copied");
        assert_eq!(
            (name, nick.as_str(), taken_again.as_str()),
            ("Ada", "ada", "Ada")
        );
        assert!(matches!(row.get(1), Ok(ValueRef::Text("Ada"))));
    }

    #[test]
    fn columns_past_the_mask_are_copied() {
        let width = MOVABLE_COLUMNS + 2;
        let columns: Arc<[Column]> = (0..width)
            .map(|i| column(&format!("c{i}"), MyType::MYSQL_TYPE_VAR_STRING, UTF8MB4))
            .collect();
        let values = (0..width)
            .map(|i| MyValue::Bytes(format!("v{i}").into_bytes()))
            .collect();
        let row = MyRow::new(new_row(values, columns));
        let last = width - 1;
        assert_eq!(
            row.take_text(last).as_deref(),
            Some(format!("v{last}").as_str())
        );
        // Copied, not moved: the column still reads.
        assert_eq!(row.get_text(last), Some(format!("v{last}").as_str()));
        assert_eq!(row.take_text(0).as_deref(), Some("v0"));
        assert_eq!(row.get_text(0), None);
    }

    #[test]
    fn only_text_is_moved() {
        let row = user("Ada", None);
        assert_eq!(row.take_text(0), None);
        assert_eq!(row.take_text(3), None);
        assert_eq!(row.take_text_or_null(2), Some(None));
        assert_eq!(row.take_text(9), None);
        // Nothing left the row: every column still reads.
        assert!(matches!(row.get(0), Ok(ValueRef::I64(7))));
        assert!(matches!(row.get(3), Ok(ValueRef::Bytes(&[0xff, 0]))));
        assert!(matches!(row.get(2), Ok(ValueRef::Null)));
        assert!(matches!(row.get(9), Err(Error::Database { .. })));
    }

    #[test]
    fn text_that_is_not_utf8_stays_in_the_row() {
        let columns: Arc<[Column]> =
            Arc::from(vec![column("name", MyType::MYSQL_TYPE_VAR_STRING, UTF8MB4)]);
        let row = MyRow::new(new_row(vec![MyValue::Bytes(vec![0xc3])], columns));
        assert_eq!(row.take_text(0), None);
        let Err(Error::Conversion(e)) = row.get(0) else {
            panic!("bytes that are not UTF-8 are a conversion error");
        };
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }
}
