//! Migration files: the text a user reviews and commits, written here and
//! read back by [`parse`](super::parse). Backend-neutral: SQL is rendered
//! for the database's dialect when the migration is applied.
//!
//! The format, one step after another (newlines are free; `#` starts a
//! comment):
//!
//! ```text
//! version 2
//! name 'album ratings'
//!
//! add column "albums"."rating" smallint not null default 3
//! alter column "albums"."year" from integer null to bigint null
//! rename column "artists"."name" to "full_name"
//! sql 'UPDATE "albums" SET "rating" = 5 WHERE "year" < 1990'
//!   down 'UPDATE "albums" SET "rating" = 3'
//! # drops column albums.legacy and its values
//! lossy drop column "albums"."legacy" text null
//! ```
//!
//! A step that can lose data must say `lossy`: reading a file where it
//! does not is an error, so that an edit cannot make a migration
//! destructive unseen. Every schema step carries what undoing it needs, so
//! the down migration is derived; an SQL step gives its own `down`.

use crate::model::ReferentialAction;
use crate::value::ColumnType;

use super::description::{ColumnSchema, DefaultSpec, ForeignKeySchema, TableSchema};
use super::migration::{Migration, Step};
use super::operation::Operation;

/// Writes `name` as a double-quoted identifier.
fn ident(name: &str, out: &mut String) {
    out.push('"');
    out.push_str(&name.replace('"', "\"\""));
    out.push('"');
}

/// Writes `text` as a single-quoted string.
fn string(text: &str, out: &mut String) {
    out.push('\'');
    out.push_str(&text.replace('\'', "''"));
    out.push('\'');
}

fn idents(names: &[String], out: &mut String) {
    out.push('(');
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        ident(n, out);
    }
    out.push(')');
}

/// The file's name for a type.
pub(crate) fn type_name(ty: ColumnType) -> String {
    match ty {
        ColumnType::Bool => "bool".into(),
        ColumnType::SmallInt => "smallint".into(),
        ColumnType::Integer => "integer".into(),
        ColumnType::BigInt => "bigint".into(),
        ColumnType::Real => "real".into(),
        ColumnType::Double => "double".into(),
        ColumnType::Text => "text".into(),
        ColumnType::Varchar(n) => format!("varchar({n})"),
        ColumnType::Bytes => "bytes".into(),
        ColumnType::Decimal(p, s) => format!("decimal({p}, {s})"),
        ColumnType::Date => "date".into(),
        ColumnType::Time => "time".into(),
        ColumnType::Timestamp => "timestamp".into(),
        ColumnType::TimestampTz => "timestamptz".into(),
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Json => "json".into(),
    }
}

pub(crate) fn literal(d: &DefaultSpec, out: &mut String) {
    match d {
        DefaultSpec::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        DefaultSpec::Int(n) => out.push_str(&n.to_string()),
        DefaultSpec::Float(f) => out.push_str(&format!("{f:?}")),
        DefaultSpec::Text(s) => string(s, out),
    }
}

fn column_def(c: &ColumnSchema, out: &mut String) {
    out.push_str(&type_name(c.ty));
    out.push_str(if c.nullable { " null" } else { " not null" });
    if let Some(d) = &c.default {
        out.push_str(" default ");
        literal(d, out);
    }
    if c.auto_increment {
        out.push_str(" auto");
    }
    if c.unique {
        out.push_str(" unique");
    }
    if c.case_insensitive {
        out.push_str(" case_insensitive");
    }
}

pub(crate) fn action_words(a: ReferentialAction) -> &'static str {
    match a {
        ReferentialAction::NoAction => "no action",
        ReferentialAction::Restrict => "restrict",
        ReferentialAction::Cascade => "cascade",
        ReferentialAction::SetNull => "set null",
    }
}

fn foreign_key(table: &str, fk: &ForeignKeySchema, out: &mut String) {
    ident(&fk.name, out);
    if !table.is_empty() {
        out.push_str(" on ");
        ident(table, out);
    }
    out.push(' ');
    idents(&fk.columns, out);
    out.push_str(" references ");
    ident(&fk.ref_table, out);
    out.push(' ');
    idents(&fk.ref_columns, out);
    out.push_str(" on delete ");
    out.push_str(action_words(fk.on_delete));
}

fn index_words(unique: bool) -> &'static str {
    if unique {
        "unique index "
    } else {
        "index "
    }
}

fn table_body(t: &TableSchema, out: &mut String) {
    ident(&t.name, out);
    out.push_str(" (\n");
    for c in &t.columns {
        out.push_str("  column ");
        ident(&c.name, out);
        out.push(' ');
        column_def(c, out);
        out.push('\n');
    }
    if !t.primary_key.is_empty() {
        out.push_str("  primary key ");
        idents(&t.primary_key, out);
        out.push('\n');
    }
    for ix in &t.indexes {
        out.push_str("  ");
        out.push_str(index_words(ix.unique));
        ident(&ix.name, out);
        out.push(' ');
        idents(&ix.columns, out);
        out.push('\n');
    }
    for fk in &t.foreign_keys {
        out.push_str("  foreign key ");
        foreign_key("", fk, out);
        out.push('\n');
    }
    out.push(')');
}

fn qualified(table: &str, column: &str, out: &mut String) {
    ident(table, out);
    out.push('.');
    ident(column, out);
}

fn operation(op: &Operation, out: &mut String) {
    match op {
        Operation::CreateTable(t) => {
            out.push_str("create table ");
            table_body(t, out);
        }
        Operation::DropTable(t) => {
            out.push_str("drop table ");
            table_body(t, out);
        }
        Operation::AddColumn {
            table,
            column,
            fill,
        } => {
            out.push_str("add column ");
            qualified(table, &column.name, out);
            out.push(' ');
            column_def(column, out);
            if let Some(f) = fill {
                out.push_str(" fill ");
                literal(f, out);
            }
        }
        Operation::DropColumn { table, column } => {
            out.push_str("drop column ");
            qualified(table, &column.name, out);
            out.push(' ');
            column_def(column, out);
        }
        Operation::RenameColumn { table, from, to } => {
            out.push_str("rename column ");
            qualified(table, from, out);
            out.push_str(" to ");
            ident(to, out);
        }
        Operation::AlterColumn { table, from, to } => {
            out.push_str("alter column ");
            qualified(table, &to.name, out);
            out.push_str(" from ");
            column_def(from, out);
            out.push_str(" to ");
            column_def(to, out);
        }
        Operation::AddIndex { table, index } | Operation::DropIndex { table, index } => {
            out.push_str(if matches!(op, Operation::AddIndex { .. }) {
                "add "
            } else {
                "drop "
            });
            out.push_str(index_words(index.unique));
            ident(&index.name, out);
            out.push_str(" on ");
            ident(table, out);
            out.push(' ');
            idents(&index.columns, out);
        }
        Operation::AddUnique { table, column } => {
            out.push_str("add unique ");
            qualified(table, column, out);
        }
        Operation::DropUnique { table, column } => {
            out.push_str("drop unique ");
            qualified(table, column, out);
        }
        Operation::AddForeignKey {
            table,
            foreign_key: fk,
        } => {
            out.push_str("add foreign key ");
            foreign_key(table, fk, out);
        }
        Operation::DropForeignKey {
            table,
            foreign_key: fk,
        } => {
            out.push_str("drop foreign key ");
            foreign_key(table, fk, out);
        }
    }
}

impl Migration {
    /// The migration as a file's text, which [`parse`](super::parse) reads
    /// back into the same migration. Steps that can lose data are marked
    /// `lossy`, with a comment saying what they lose.
    ///
    /// ```
    /// # use athanor_core::migrate::{self, Migration};
    /// let m = Migration::new(1, "first").sql("UPDATE t SET a = 1", Some("UPDATE t SET a = 0"));
    /// let text = m.to_text();
    /// assert!(text.contains("version 1"));
    /// assert_eq!(migrate::parse(&text).unwrap(), m);
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# athanor migration: review it, then commit it with the code that needs it.\n\
             # Steps run in order; undoing them is derived from them. A step that can lose\n\
             # data is marked `lossy`. Hand-written SQL goes in `sql '...' down '...'` steps.\n",
        );
        out.push_str(&format!("version {}\nname ", self.version));
        string(&self.name, &mut out);
        out.push_str("\n\n");
        for step in &self.steps {
            match step {
                Step::Schema(op) => {
                    if let Some(loss) = op.data_loss() {
                        out.push_str("# ");
                        out.push_str(&loss);
                        out.push_str("\nlossy ");
                    }
                    operation(op, &mut out);
                }
                Step::Sql { up, down } => {
                    out.push_str("sql ");
                    string(up, &mut out);
                    if let Some(down) = down {
                        out.push_str("\n  down ");
                        string(down, &mut out);
                    }
                }
            }
            out.push('\n');
        }
        out
    }

    /// The file name this migration is saved under:
    /// `<version, 4 digits at least>_<name in lowercase words>.migration`.
    ///
    /// ```
    /// # use athanor_core::migrate::Migration;
    /// assert_eq!(Migration::new(3, "Album Year!").file_name(), "0003_album_year.migration");
    /// ```
    pub fn file_name(&self) -> String {
        let mut slug = String::new();
        for c in self.name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('_') && !slug.is_empty() {
                slug.push('_');
            }
        }
        let slug = slug.trim_end_matches('_');
        format!("{:04}_{slug}.migration", self.version)
    }
}
