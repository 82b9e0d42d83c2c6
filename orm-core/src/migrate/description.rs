//! The owned description of tables that both the models and a live
//! database are read into, so that the two can be compared.

use crate::model::{DefaultValue, ReferentialAction, TableDef};
use crate::schema::{fit_generated_name, foreign_key_name, Schema};
use crate::value::ColumnType;

/// A column's default value, owned (a live database's defaults are read at
/// run time, a model's are constants).
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultSpec {
    /// A boolean literal.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A text literal.
    Text(String),
}

impl From<DefaultValue> for DefaultSpec {
    fn from(d: DefaultValue) -> Self {
        match d {
            DefaultValue::Bool(b) => DefaultSpec::Bool(b),
            DefaultValue::Int(n) => DefaultSpec::Int(n),
            DefaultValue::Float(f) => DefaultSpec::Float(f),
            DefaultValue::Text(s) => DefaultSpec::Text(s.to_owned()),
        }
    }
}

impl DefaultSpec {
    /// Whether two defaults store the same value: databases without a
    /// boolean type keep `TRUE` as `1`, and `1.0` may read back as `1`.
    pub fn same_as(&self, other: &DefaultSpec) -> bool {
        fn as_int(d: &DefaultSpec) -> Option<i64> {
            match d {
                DefaultSpec::Bool(b) => Some(i64::from(*b)),
                DefaultSpec::Int(n) => Some(*n),
                _ => None,
            }
        }
        match (self, other) {
            (DefaultSpec::Float(a), DefaultSpec::Float(b)) => a == b,
            (DefaultSpec::Float(f), d) | (d, DefaultSpec::Float(f)) => {
                as_int(d).is_some_and(|n| n as f64 == *f)
            }
            (DefaultSpec::Text(a), DefaultSpec::Text(b)) => a == b,
            (a, b) => as_int(a).is_some() && as_int(a) == as_int(b),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    /// The column's name in the database.
    pub name: String,
    /// The SQL type. Read from a live database, it is the type the backend
    /// stores: SQLite's `INTEGER` reads as [`ColumnType::BigInt`] whatever
    /// the model declared, and the diff compares types as stored.
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default value, if any.
    pub default: Option<DefaultSpec>,
    /// Whether the database generates the value (the auto-generated key).
    pub auto_increment: bool,
    /// Whether the column has a single-column unique constraint.
    pub unique: bool,
    /// Whether text compares case-insensitively.
    pub case_insensitive: bool,
}

impl ColumnSchema {
    /// A nullable column of type `ty` with nothing else set.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        ColumnSchema {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            auto_increment: false,
            unique: false,
            case_insensitive: false,
        }
    }

    /// The same column, NOT NULL.
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// The same column with a default value.
    pub fn default_value(mut self, default: DefaultSpec) -> Self {
        self.default = Some(default);
        self
    }

    /// The same column with a unique constraint.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
}

/// An index on one or more columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSchema {
    /// The index's name.
    pub name: String,
    /// The indexed columns.
    pub columns: Vec<String>,
    /// Whether the index is unique.
    pub unique: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeySchema {
    /// The constraint's name (athanor's `fk_<table>_<columns>`; SQLite keeps no names).
    pub name: String,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns.
    pub ref_columns: Vec<String>,
    /// The action on delete of the referenced row.
    pub on_delete: ReferentialAction,
}

/// A table: columns, primary key, indexes and foreign keys.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// The table's name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<ColumnSchema>,
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// Indexes beyond single-column unique constraints.
    pub indexes: Vec<IndexSchema>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKeySchema>,
}

impl TableSchema {
    /// A table with no columns yet.
    pub fn new(name: impl Into<String>) -> Self {
        TableSchema {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        }
    }

    /// The description of a model's table.
    pub fn from_def(def: &TableDef) -> Self {
        TableSchema {
            name: def.name.to_owned(),
            columns: def
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| ColumnSchema {
                    name: c.name.to_owned(),
                    ty: c.ty,
                    nullable: c.nullable && !c.primary_key,
                    default: c.default.map(DefaultSpec::from),
                    auto_increment: def.auto_key == Some(i),
                    unique: c.unique && !c.primary_key,
                    case_insensitive: c.case_insensitive,
                })
                .collect(),
            primary_key: def.primary_key_columns().map(str::to_owned).collect(),
            indexes: def
                .indexes
                .iter()
                .map(|ix| IndexSchema {
                    name: fit_generated_name(ix.name),
                    columns: ix.columns.iter().map(|c| (*c).to_owned()).collect(),
                    unique: ix.unique,
                })
                .collect(),
            foreign_keys: def
                .foreign_keys
                .iter()
                .map(|fk| ForeignKeySchema {
                    name: foreign_key_name(def.name, fk.columns),
                    columns: fk.columns.iter().map(|c| (*c).to_owned()).collect(),
                    ref_table: (fk.references)().name.to_owned(),
                    ref_columns: fk.target_columns().into_iter().map(str::to_owned).collect(),
                    on_delete: fk.on_delete,
                })
                .collect(),
        }
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The auto-generated key column, if any.
    pub fn auto_key(&self) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.auto_increment)
    }

    /// Whether `column` must have a bounded type on backends that cannot
    /// index or default unbounded text (MySQL): it is keyed, unique,
    /// indexed, referenced or referencing, or has a default.
    pub fn is_keyed(&self, column: &ColumnSchema) -> bool {
        let name = column.name.as_str();
        column.unique
            || column.default.is_some()
            || self.primary_key.iter().any(|c| c == name)
            || self.indexes.iter().any(|ix| ix.columns.iter().any(|c| c == name))
            || self
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| c == name))
            // A self-reference targets this table's own columns.
            || self
                .foreign_keys
                .iter()
                .any(|fk| fk.ref_table == self.name && fk.ref_columns.iter().any(|c| c == name))
    }
}

/// A whole database's tables, in creation order (each after the tables it
/// references, where the references allow).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatabaseSchema {
    /// The tables.
    pub tables: Vec<TableSchema>,
}

impl DatabaseSchema {
    /// The description of a schema's registered models, in creation order.
    ///
    /// # Failure
    /// [`Error::InvalidModel`](crate::Error::InvalidModel) as
    /// [`Schema::creation_order`].
    ///
    /// ```
    /// # use athanor_core::{Schema, migrate::DatabaseSchema};
    /// let described = DatabaseSchema::from_schema(&Schema::new()).unwrap();
    /// assert!(described.tables.is_empty());
    /// ```
    pub fn from_schema(schema: &Schema) -> crate::Result<Self> {
        Ok(DatabaseSchema {
            tables: schema
                .creation_order()?
                .into_iter()
                .map(TableSchema::from_def)
                .collect(),
        })
    }

    /// The table with this name.
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The table with this name, to change.
    pub fn table_mut(&mut self, name: &str) -> Option<&mut TableSchema> {
        self.tables.iter_mut().find(|t| t.name == name)
    }
}
