//! DuckDB's answers to the dialect questions.

use athanor_core::{CastTarget, ColumnType, Dialect, Error, Isolation, Result, RowLock};

/// The DuckDB dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct DuckDbDialect;

/// The one DuckDB dialect value.
pub static DUCKDB: DuckDbDialect = DuckDbDialect;

/// Writes `ident` as a double-quoted identifier, doubling inner quotes.
fn push_ident(ident: &str, out: &mut String) {
    athanor_core::write_quoted(&DUCKDB, ident, out);
}

/// Writes `text` as a single-quoted string literal, doubling inner quotes
/// (DuckDB reads backslashes as plain characters).
fn push_literal(text: &str, out: &mut String) {
    out.push('\'');
    out.push_str(&text.replace('\'', "''"));
    out.push('\'');
}

/// The name of the sequence `table`'s generated key `column` draws from.
pub(crate) fn sequence_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_seq")
}

/// `nextval('"<sequence>"')`: the argument is parsed as a (quoted) name.
fn push_nextval(table: &str, column: &str, out: &mut String) {
    let mut quoted = String::new();
    push_ident(&sequence_name(table, column), &mut quoted);
    out.push_str("nextval(");
    push_literal(&quoted, out);
    out.push(')');
}

/// `<head>"<sequence>"` for the sequence of `table`'s generated key, or no
/// statement when the table has none.
fn sequence_statement(head: &str, table: &str, auto_key: Option<&str>) -> Vec<String> {
    auto_key
        .map(|column| {
            let mut sql = String::from(head);
            push_ident(&sequence_name(table, column), &mut sql);
            sql
        })
        .into_iter()
        .collect()
}

impl Dialect for DuckDbDialect {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn write_placeholder(&self, _index: usize, out: &mut String) {
        out.push('?');
    }

    fn begin_sql(&self) -> &'static str {
        "BEGIN TRANSACTION"
    }

    // DuckDB has one isolation level, snapshot isolation with write
    // conflicts reported at once (as retryable serialization failures):
    // every level asked for gets it, which is at least what was asked,
    // as SQLite's serializable transactions are.
    fn begin_isolated_sql(&self, _isolation: Isolation) -> String {
        self.begin_sql().to_owned()
    }

    // No SAVEPOINT statement: nested transactions are refused.
    fn supports_savepoints(&self) -> bool {
        false
    }

    // No row locks (`FOR UPDATE` parses and is ignored): refused.
    fn row_lock_clause(&self, _lock: RowLock) -> Option<String> {
        None
    }

    fn column_type(&self, ty: ColumnType, keyed: bool) -> String {
        self.try_column_type(ty, keyed)
            .unwrap_or_else(|_| "VARCHAR".into())
    }

    fn try_column_type(&self, ty: ColumnType, _keyed: bool) -> Result<String> {
        Ok(match ty {
            ColumnType::Bool => "BOOLEAN".into(),
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Real => "REAL".into(),
            ColumnType::Double => "DOUBLE".into(),
            // DuckDB keeps no length: athanor checks it as it writes
            // (enforces_text_length).
            ColumnType::Text | ColumnType::Varchar(_) => "VARCHAR".into(),
            ColumnType::Bytes => "BLOB".into(),
            ColumnType::Decimal(p, s) => format!("DECIMAL({p}, {s})"),
            ColumnType::Date => "DATE".into(),
            ColumnType::Time => "TIME".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::TimestampTz => "TIMESTAMPTZ".into(),
            ColumnType::Uuid => "UUID".into(),
            // The JSON type is an extension the bundled build leaves out:
            // the document's text.
            ColumnType::Json => "VARCHAR".into(),
            other => {
                return Err(Error::Unsupported {
                    backend: "duckdb",
                    capability: format!("columns of type {other:?}"),
                })
            }
        })
    }

    fn auto_key_column(&self, ty: ColumnType) -> String {
        let int = match ty {
            ColumnType::SmallInt => "SMALLINT",
            ColumnType::Integer => "INTEGER",
            _ => "BIGINT",
        };
        format!("{int} PRIMARY KEY")
    }

    // No identity columns: the key's default draws from a sequence made
    // before the table (before_create_table).
    fn auto_key_column_of(&self, table: &str, column: &str, ty: ColumnType) -> String {
        let mut sql = self.auto_key_column(ty);
        sql.push_str(" DEFAULT ");
        push_nextval(table, column, &mut sql);
        sql
    }

    fn before_create_table(&self, table: &str, auto_key: Option<&str>) -> Vec<String> {
        sequence_statement("CREATE SEQUENCE IF NOT EXISTS ", table, auto_key)
    }

    fn after_drop_table(&self, table: &str, auto_key: Option<&str>) -> Vec<String> {
        sequence_statement("DROP SEQUENCE IF EXISTS ", table, auto_key)
    }

    // `setval` moves the sequence to the largest key in the table (the next
    // key is one past it), only forwards: in one statement however large
    // the explicit key.
    fn sync_key_sequence_sql(&self, table: &str, column: &str) -> Option<String> {
        let seq = sequence_name(table, column);
        let mut quoted = String::new();
        push_ident(&seq, &mut quoted);
        let mut sql = String::from("SELECT setval(");
        push_literal(&quoted, &mut sql);
        sql.push_str(", athanor_max.m) FROM (SELECT MAX(");
        push_ident(column, &mut sql);
        sql.push_str(") AS m FROM ");
        push_ident(table, &mut sql);
        sql.push_str(
            ") AS athanor_max WHERE athanor_max.m > COALESCE((SELECT last_value \
             FROM duckdb_sequences() WHERE database_name = current_database() \
             AND schema_name = current_schema() AND sequence_name = ",
        );
        push_literal(&seq, &mut sql);
        sql.push_str("), 0)");
        Some(sql)
    }

    // A NOCASE column's unique index still compares bytes: case-insensitive
    // columns are compared through LOWER() by the core, and their unique
    // constraint is a unique index on LOWER(column).
    fn collations_decide_case(&self) -> bool {
        false
    }

    // DuckDB sorts NULLs last both ways; SQLite and MySQL as the smallest value.
    fn nulls_order_clause(&self, descending: bool) -> &'static str {
        if descending {
            " NULLS LAST"
        } else {
            " NULLS FIRST"
        }
    }

    // `/` divides integers into a DOUBLE; `//` truncates as the others' `/`.
    fn integer_division(&self) -> &'static str {
        " // "
    }

    fn cast_type(&self, target: CastTarget) -> &'static str {
        match target {
            CastTarget::BigInt => "BIGINT",
            _ => "DOUBLE",
        }
    }

    // The JSON array's text cast to a list, unnested.
    fn integer_list_subquery(&self) -> Option<(&'static str, &'static str)> {
        Some(("(SELECT unnest(CAST(CAST(", " AS VARCHAR) AS BIGINT[])))"))
    }

    fn max_parameters(&self) -> usize {
        65_535
    }

    // rust_decimal's limit: DECIMAL stores 38 digits, but a value with more
    // than 28 could not be read back exactly.
    fn max_decimal_precision(&self) -> u8 {
        28
    }

    // VARCHAR(n) keeps no length in DuckDB; athanor checks it as it writes.
    fn enforces_text_length(&self) -> bool {
        false
    }

    fn table_columns_sql(&self) -> Option<&'static str> {
        Some(
            "SELECT c.column_name, CASE WHEN c.is_nullable THEN 1 ELSE 0 END, \
             CASE WHEN EXISTS (SELECT 1 FROM duckdb_constraints() k \
               WHERE k.schema_name = c.schema_name AND k.table_name = c.table_name \
                 AND k.constraint_type = 'PRIMARY KEY' \
                 AND list_contains(k.constraint_column_names, c.column_name)) \
             THEN 1 ELSE 0 END \
             FROM duckdb_columns() c \
             WHERE c.schema_name = current_schema() AND c.table_name = ? \
             ORDER BY c.column_index",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_names_are_quoted_in_their_literal() {
        let col = DUCKDB.auto_key_column_of("it's", "id", ColumnType::BigInt);
        assert_eq!(
            col,
            "BIGINT PRIMARY KEY DEFAULT nextval('\"it''s_id_seq\"')"
        );
        let before = DUCKDB.before_create_table("a\"b", Some("id"));
        assert_eq!(before, ["CREATE SEQUENCE IF NOT EXISTS \"a\"\"b_id_seq\""]);
        assert!(DUCKDB.before_create_table("t", None).is_empty());
    }
}
