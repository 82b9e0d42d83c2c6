//! Models: the static description of a table and the trait `#[derive(Model)]` implements.

use crate::conn::Executor;
use crate::connection::Row;
use crate::error::{Error, Result};
use crate::key::KeyValue;
use crate::query::Select;
use crate::value::{ColumnType, ValueRef};
use crate::write::{self, AnyColumn};

/// A column's default value, written into DDL as a literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// A boolean literal.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A text literal.
    Text(&'static str),
}

/// What happens to referencing rows when the referenced row is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferentialAction {
    /// The delete fails while referencing rows exist (checked at the end of the statement).
    #[default]
    NoAction,
    /// The delete fails while referencing rows exist.
    Restrict,
    /// Referencing rows are deleted too.
    Cascade,
    /// The referencing column is set to NULL.
    SetNull,
}

impl ReferentialAction {
    /// The SQL words for this action.
    pub fn sql(&self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
        }
    }
}

/// One column of a model's table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    /// The column's name in the database.
    pub name: &'static str,
    /// The Rust field it maps to.
    pub field: &'static str,
    /// The SQL type.
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Whether the column is (part of) the primary key.
    pub primary_key: bool,
    /// Whether the database generates the value (integer primary key).
    pub auto_increment: bool,
    /// Whether the column has a single-column UNIQUE constraint.
    pub unique: bool,
    /// Whether text compares case-insensitively (the default is case-sensitive on every backend).
    pub case_insensitive: bool,
    /// The default value in DDL.
    pub default: Option<DefaultValue>,
    /// The column's name before a rename (`#[orm(renamed_from = "OLD")]`):
    /// a hint for generated migrations, which rename the column instead of
    /// dropping and adding it while the database has the old name.
    pub renamed_from: Option<&'static str>,
}

/// A foreign key from a model's columns to another model's key.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKeyDef {
    /// The referencing columns (database names).
    pub columns: &'static [&'static str],
    /// The referenced model's table.
    pub references: fn() -> &'static TableDef,
    /// The referenced columns; empty means the referenced table's primary key.
    pub referenced_columns: &'static [&'static str],
    /// The action on delete of the referenced row.
    pub on_delete: ReferentialAction,
}

impl ForeignKeyDef {
    /// The referenced columns, the primary key when none were named.
    pub fn target_columns(&self) -> Vec<&'static str> {
        if self.referenced_columns.is_empty() {
            (self.references)().primary_key_columns().collect()
        } else {
            self.referenced_columns.to_vec()
        }
    }
}

/// An index on one or more columns.
#[derive(Debug, Clone, Copy)]
pub struct IndexDef {
    /// The index's name.
    pub name: &'static str,
    /// The indexed columns (database names).
    pub columns: &'static [&'static str],
    /// Whether the index is unique.
    pub unique: bool,
}

/// An association table that links a model to another one in a
/// many-to-many relationship: deleting the model through a
/// [`Session`](crate::Session) deletes its rows there first, as
/// SQLAlchemy's `secondary` does.
#[derive(Debug, Clone, Copy)]
pub struct Association {
    /// The association model's table.
    pub table: fn() -> &'static TableDef,
    /// The index in that table's columns of the column referencing this model.
    pub column: usize,
}

/// The static description of a model's table.
#[derive(Debug)]
pub struct TableDef {
    /// The table's name in the database.
    pub name: &'static str,
    /// The Rust type's name, for messages.
    pub model: &'static str,
    /// The columns, in field order.
    pub columns: &'static [ColumnDef],
    /// Indexes into `columns` of the primary key.
    pub primary_key: &'static [usize],
    /// Index into `columns` of the auto-generated key, if any.
    pub auto_key: Option<usize>,
    /// Index into `columns` of the version column (`#[orm(version)]`), if
    /// any: every update and delete of one row checks that it still holds
    /// the version the object was read with, and an update increments it,
    /// so a write based on a stale read fails with
    /// [`Error::StaleObject`](crate::Error::StaleObject) (optimistic locking).
    pub version: Option<usize>,
    /// Foreign keys.
    pub foreign_keys: &'static [ForeignKeyDef],
    /// Indexes (beyond single-column unique constraints).
    pub indexes: &'static [IndexDef],
}

impl TableDef {
    /// The database names of the primary key's columns.
    pub fn primary_key_columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.primary_key.iter().map(|&i| self.columns[i].name)
    }

    /// The column with the given database name.
    pub fn column(&self, name: &str) -> Option<&'static ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The index in `columns` of the column with the given database name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Reads a value of this type from consecutive columns of a row.
///
/// Implemented by models (by the derive), by the scalar types, by tuples of
/// readable types, and by `Option<T>`, which is `None` when the columns of
/// `T`'s [`PRESENCE`](FromRow::PRESENCE) are all NULL (the missing side of a
/// left join).
pub trait FromRow: Sized {
    /// How many columns the value occupies.
    const WIDTH: usize;

    /// The columns (offsets within the value's own, each below
    /// [`WIDTH`](FromRow::WIDTH)) that are all NULL exactly when there is no
    /// value: for a derived model, its primary key, as SQLAlchemy decides
    /// (a row whose key is NULL is no object, whatever else it holds).
    /// Empty (the default): the value is absent only when every one of its
    /// columns is NULL. `Option<Self>` reads these alone to tell `None`.
    const PRESENCE: &'static [usize] = &[];

    /// Reads the value from columns `offset..offset + WIDTH`.
    ///
    /// A derived model reads each of its columns once and may move its
    /// text out of the row ([`Row::take_text`]): read such a column from
    /// the model afterwards, not from the row again (the MySQL backend
    /// answers a second read with [`Error::Conversion`](crate::Error)). So
    /// does anything that holds a model: a tuple, an `Option` of a model, a
    /// derived `FromRow` struct with a model field. Scalars (`String`
    /// read on its own) copy.
    fn from_row(row: &dyn Row, offset: usize) -> Result<Self>;
}

/// A table mapped to a Rust struct. Implemented by `#[derive(Model)]`; the
/// provided methods are the model's CRUD operations.
pub trait Model: FromRow + 'static {
    /// The table's description.
    const TABLE: &'static TableDef;

    /// The primary key's type: the key field's type, or a tuple for a composite key.
    type Key: KeyValue;

    /// The association tables of this model's many-to-many relationships
    /// (generated by the derive from `many_to_many(..)` fields).
    const ASSOCIATIONS: &'static [Association] = &[];

    /// The value of the column at `index` (in `TABLE.columns` order).
    fn value_at(&self, index: usize) -> ValueRef<'_>;

    /// Whether the auto-generated key is not yet assigned (it is the key
    /// type's zero, or `None`). False for models without an auto-generated key.
    fn auto_key_unset(&self) -> bool;

    /// Fills in the auto-generated key after an insert.
    fn set_auto_key(&mut self, key: i64) -> Result<()>;

    /// Sets the column at `index` from a value (used to point a child at its
    /// parent through a relationship).
    ///
    /// # Failure
    /// [`Error::Conversion`] when the value does not fit the field's type
    /// (NULL for a non-`Option` field, say).
    fn set_value(&mut self, index: usize, value: ValueRef<'_>) -> Result<()>;

    /// A query over this model's table.
    fn query() -> Select<Self> {
        Select::new()
    }

    /// Inserts the row; a generated key is filled back into `self`.
    fn insert<E: Executor + ?Sized>(&mut self, ex: &mut E) -> Result<()> {
        write::insert_rows(ex.conn()?, std::slice::from_mut(self))
    }

    /// Inserts all `rows` in as few statements as possible (one, below the
    /// backend's parameter limit); generated keys are filled back. Either
    /// every row is inserted or none is.
    fn insert_many<E: Executor + ?Sized>(ex: &mut E, rows: &mut [Self]) -> Result<()> {
        write::insert_rows(ex.conn()?, rows)
    }

    /// Inserts all `rows` as [`insert_many`](Model::insert_many) does, but
    /// does not read generated keys back: no `RETURNING` clause, no
    /// last-insert-id, and `rows` stay as they are (an unset auto key stays
    /// unset in the structs; the database assigns one all the same). For bulk
    /// loads whose keys the caller does not need, this is the cheaper form.
    /// Rows that carry an explicit key keep it. Either every row is inserted
    /// or none is.
    ///
    /// # Failure
    /// As [`insert_many`](Model::insert_many): constraint violations and
    /// values that do not fit their columns are errors, and nothing is inserted.
    fn insert_many_without_keys<E: Executor + ?Sized>(ex: &mut E, rows: &[Self]) -> Result<()> {
        write::insert_rows_without_keys(ex.conn()?, rows)
    }

    /// The row with primary key `key`, if there is one.
    fn find<E: Executor + ?Sized>(ex: &mut E, key: Self::Key) -> Result<Option<Self>> {
        let mut values = Vec::with_capacity(Self::Key::LEN);
        key.push_values(&mut values);
        crate::query::find_by_key::<Self, E>(ex, &values)
    }

    /// The row with primary key `key`; [`Error::NoRows`] when there is none.
    fn get<E: Executor + ?Sized>(ex: &mut E, key: Self::Key) -> Result<Self> {
        Self::find(ex, key)?.ok_or_else(|| Error::NoRows {
            table: Self::TABLE.name.to_owned(),
        })
    }

    /// Writes every non-key column to the row with this key;
    /// [`Error::NoRows`] when there is no such row.
    ///
    /// A model with a version column is refused
    /// ([`Error::Unsupported`]): `update` cannot write the new version back
    /// into `self`; use [`save`](Model::save) or a session.
    fn update<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<()> {
        write::refuse_versioned::<Self>("update")?;
        write::update_row(ex.conn()?, self, None).map(drop)
    }

    /// Inserts the row when its generated key is unset (filling the key
    /// back), otherwise writes every non-key column to the row with this
    /// key, or inserts it when there is none. With a version column the
    /// update checks the version the object was read with
    /// ([`Error::StaleObject`] when the row changed since) and writes the
    /// new version back into `self`, and a row deleted since is not
    /// inserted again ([`Error::NoRows`]). Inside a transaction that then
    /// rolls back, `self` keeps the new version: read it again.
    fn save<E: Executor + ?Sized>(&mut self, ex: &mut E) -> Result<()> {
        write::save_row(ex.conn()?, self)
    }

    /// Writes only the given columns to the row with this key.
    fn update_columns<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        columns: &[&dyn AnyColumn<Self>],
    ) -> Result<()> {
        write::refuse_versioned::<Self>("update_columns")?;
        let columns: Vec<usize> = columns.iter().map(|c| c.column_index()).collect();
        write::update_row(ex.conn()?, self, Some(&columns)).map(drop)
    }

    /// Deletes the row with this key; [`Error::NoRows`] when there is none.
    fn delete<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<()> {
        write::delete_row(ex.conn()?, self)
    }

    /// Inserts the row, or updates the row with the same primary key.
    ///
    /// A model with a version column is refused ([`Error::Unsupported`]):
    /// an upsert overwrites whatever version the row holds.
    fn upsert<E: Executor + ?Sized>(&mut self, ex: &mut E) -> Result<()> {
        write::refuse_versioned::<Self>("upsert")?;
        write::upsert_row(ex.conn()?, self, Self::TABLE.primary_key)
    }

    /// Inserts the row, or updates the row whose `conflict` columns (a unique
    /// key) hold the same values. MySQL matches on any unique key of the table.
    /// Refused for a model with a version column, as [`upsert`](Model::upsert) is.
    fn upsert_on<E: Executor + ?Sized>(
        &mut self,
        ex: &mut E,
        conflict: &[&dyn AnyColumn<Self>],
    ) -> Result<()> {
        write::refuse_versioned::<Self>("upsert_on")?;
        let conflict: Vec<usize> = conflict.iter().map(|c| c.column_index()).collect();
        write::upsert_row(ex.conn()?, self, &conflict)
    }
}
