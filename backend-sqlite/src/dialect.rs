//! SQLite's answers to the dialect questions.

use athanor_core::{
    Catalog, ColumnType, Dialect, ForeignKeySuspension, Isolation, LockWait, RowLock,
};

/// The SQLite dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteDialect;

/// The one SQLite dialect value.
pub static SQLITE: SqliteDialect = SqliteDialect;

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn write_placeholder(&self, _index: usize, out: &mut String) {
        out.push('?');
    }

    // IMMEDIATE takes the write lock at BEGIN: a transaction that reads and
    // then writes cannot fail at its first write with a BUSY that waiting
    // cannot cure (two readers both wanting to write), and it is what makes
    // `for_update()` hold on SQLite.
    fn begin_sql(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    // A session that begins by reading must not lock writers out: DEFERRED
    // takes the write lock at its first write (or fails with a retryable
    // Busy when another writer got there first).
    fn begin_read_sql(&self) -> &'static str {
        "BEGIN DEFERRED"
    }

    fn table_columns_sql(&self) -> Option<&'static str> {
        Some(
            "SELECT name, CASE WHEN \"notnull\" = 0 THEN 1 ELSE 0 END, \
             CASE WHEN pk > 0 THEN 1 ELSE 0 END FROM pragma_table_info(?) ORDER BY cid",
        )
    }

    // SQLite's transactions are serializable whatever the level asked for.
    fn begin_isolated_sql(&self, _isolation: Isolation) -> String {
        self.begin_sql().to_owned()
    }

    // No row locks: the write lock of the IMMEDIATE transaction covers every
    // row. Skipping or refusing to wait for locked rows cannot be expressed.
    fn row_lock_clause(&self, lock: RowLock) -> Option<String> {
        (lock.wait == LockWait::Wait).then(String::new)
    }

    // Tables are STRICT, so only SQLite's own type names are allowed, and a
    // value of the wrong type is refused as on the other backends.
    fn column_type(&self, ty: ColumnType, _keyed: bool) -> String {
        match ty {
            ColumnType::Bool | ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => {
                "INTEGER".into()
            }
            ColumnType::Real | ColumnType::Double => "REAL".into(),
            ColumnType::Text | ColumnType::Varchar(_) => "TEXT".into(),
            ColumnType::Bytes => "BLOB".into(),
            // No exact decimal type: an 8-byte float holds 15 digits exactly,
            // and only that precision is allowed (max_decimal_precision).
            ColumnType::Decimal(..) => "REAL".into(),
            // Fixed-width ISO-8601 text, so that text order is time order.
            ColumnType::Date
            | ColumnType::Time
            | ColumnType::Timestamp
            | ColumnType::TimestampTz => "TEXT".into(),
            // Hyphenated lowercase text, and the document's text.
            ColumnType::Uuid | ColumnType::Json => "TEXT".into(),
            _ => "ANY".into(),
        }
    }

    // AUTOINCREMENT: keys are never reused after a delete, as on the other backends.
    fn auto_key_column(&self, _ty: ColumnType) -> String {
        "INTEGER PRIMARY KEY AUTOINCREMENT".into()
    }

    // NOCASE folds ASCII letters only; see the README's known differences.
    fn text_collation(&self, case_insensitive: bool) -> &'static str {
        if case_insensitive {
            "COLLATE NOCASE"
        } else {
            ""
        }
    }

    fn table_options(&self) -> &'static str {
        " STRICT"
    }

    fn limit_for_offset_only(&self) -> Option<&'static str> {
        Some("-1")
    }

    fn integer_list_subquery(&self) -> Option<(&'static str, &'static str)> {
        Some(("(SELECT value FROM json_each(", "))"))
    }

    fn max_parameters(&self) -> usize {
        32_766
    }

    fn cast_type(&self, target: athanor_core::CastTarget) -> &'static str {
        match target {
            athanor_core::CastTarget::BigInt => "INTEGER",
            _ => "REAL",
        }
    }

    fn max_decimal_precision(&self) -> u8 {
        15
    }

    // pragma_table_info has no collation: a NOCASE column is found in the
    // table's SQL as athanor writes it (`"name" TEXT COLLATE NOCASE`).
    fn catalog_sql(&self, catalog: Catalog) -> Option<String> {
        Some(match catalog {
            Catalog::Tables => "SELECT name, strict FROM pragma_table_list \
                 WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                 ORDER BY name"
                .into(),
            Catalog::Columns => "SELECT p.name, p.type, \
                 CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 1 ELSE 0 END, p.dflt_value, \
                 CASE WHEN p.pk = 1 AND upper(p.type) = 'INTEGER' \
                   AND instr(upper(m.sql), 'AUTOINCREMENT') > 0 THEN 1 ELSE 0 END, \
                 CASE WHEN instr(m.sql, '\"' || replace(p.name, '\"', '\"\"') || '\" ' || p.type \
                   || ' COLLATE NOCASE') > 0 THEN 'NOCASE' END, p.pk, 0 \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name = ? ORDER BY p.cid"
                .into(),
            // A UNIQUE constraint's index is nameless (`sqlite_autoindex_..`):
            // it is given athanor's constraint name, `uq_<table>_<column>`.
            Catalog::Indexes => "SELECT CASE WHEN il.origin = 'u' \
                   THEN 'uq_' || ?1 || '_' || ii.name ELSE il.name END, \
                 il.\"unique\", coalesce(ii.name, '') \
                 FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii \
                 WHERE il.origin <> 'pk' ORDER BY il.name, ii.seqno"
                .into(),
            Catalog::ForeignKeys => "SELECT CAST(id AS TEXT), NULL, \"from\", \"table\", \"to\", on_delete \
                 FROM pragma_foreign_key_list(?) ORDER BY id, seq"
                .into(),
            _ => return None,
        })
    }

    fn introspected_type(&self, sql_type: &str) -> Option<ColumnType> {
        match sql_type.to_ascii_uppercase().as_str() {
            "INTEGER" => Some(ColumnType::BigInt),
            "REAL" => Some(ColumnType::Double),
            "TEXT" => Some(ColumnType::Text),
            "BLOB" => Some(ColumnType::Bytes),
            _ => None,
        }
    }

    fn text_collation_name(&self, case_insensitive: bool) -> Option<&'static str> {
        case_insensitive.then_some("NOCASE")
    }

    // ALTER TABLE can add, rename and (with limits) drop columns, nothing
    // more: every other change rebuilds the table.
    fn alters_columns_in_place(&self) -> bool {
        false
    }

    /// What a rebuild (new table, copy, drop, rename) would lose: triggers
    /// (dropped with the table), hidden or generated columns, CHECK
    /// constraints, partial and expression indexes, and defaults that are
    /// expressions (they would come back as text).
    fn rebuild_blockers_sql(&self) -> Option<&'static str> {
        Some(
            "SELECT 'trigger', name FROM sqlite_schema \
               WHERE type = 'trigger' AND tbl_name = ?1 \
             UNION ALL SELECT 'generated column', name FROM pragma_table_xinfo(?1) \
               WHERE hidden <> 0 \
             UNION ALL SELECT 'CHECK constraint', name FROM sqlite_schema \
               WHERE type = 'table' AND name = ?1 AND upper(sql) LIKE '%CHECK%(%' \
             UNION ALL SELECT 'partial index', name FROM pragma_index_list(?1) \
               WHERE partial = 1 \
             UNION ALL SELECT 'expression index', il.name \
               FROM pragma_index_list(?1) AS il, pragma_index_xinfo(il.name) AS ix \
               WHERE ix.cid = -2 \
             UNION ALL SELECT 'default expression', name FROM pragma_table_info(?1) \
               WHERE dflt_value IS NOT NULL AND NOT (dflt_value GLOB '''*''' \
                 OR dflt_value GLOB '[0-9-]*' OR upper(dflt_value) IN ('NULL', 'TRUE', 'FALSE'))",
        )
    }

    // VARCHAR(n) is TEXT here; athanor checks lengths when it writes.
    fn enforces_text_length(&self) -> bool {
        false
    }

    // AUTOINCREMENT keeps its counter in sqlite_sequence, by table name;
    // renaming the new table carries its row along.
    fn copy_key_counter_sql(&self, from: &str, to: &str) -> Option<String> {
        let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let (from, to) = (literal(from), literal(to));
        Some(format!(
            "DELETE FROM sqlite_sequence WHERE name = {to}; \
             INSERT INTO sqlite_sequence (name, seq) \
             SELECT {to}, seq FROM sqlite_sequence WHERE name = {from}"
        ))
    }

    // Foreign keys must be off while a table is rebuilt, or dropping the old
    // table would delete (cascade) or orphan its children's rows; the
    // pragma is ignored inside a transaction, hence before and after it.
    fn foreign_key_suspension(&self) -> Option<ForeignKeySuspension> {
        Some(ForeignKeySuspension {
            off: "PRAGMA foreign_keys = OFF",
            on: "PRAGMA foreign_keys = ON",
            check: "SELECT \"table\", \"parent\" FROM pragma_foreign_key_check(?1)",
        })
    }
}
