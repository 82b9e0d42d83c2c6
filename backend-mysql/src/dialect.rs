//! MySQL's and MariaDB's answers to the dialect questions.
//!
//! The two servers speak the same SQL for everything athanor renders except
//! the names of their collations and `CREATE INDEX IF NOT EXISTS`, so one
//! dialect type serves both, in variants: [`MARIADB`] and [`MYSQL`], and
//! for older servers [`MARIADB_10_5`], [`MARIADB_LEGACY`] and [`MYSQL_LEGACY`].

use athanor_core::migrate::DefaultSpec;
use athanor_core::{
    AlterColumnStyle, CastTarget, Catalog, ColumnType, Dialect, Isolation, KeyStrategy, LockMode,
    RowLock, UpsertStyle,
};

/// The MySQL / MariaDB dialect. The connection picks the variant from the
/// server's version string; use [`MARIADB`] or [`MYSQL`] to render SQL
/// without a connection.
#[derive(Debug)]
pub struct MysqlDialect {
    mariadb: bool,
    /// Whether `INSERT ... RETURNING` gives the generated keys (MariaDB 10.5+).
    returning: bool,
    /// Whether `JSON_TABLE` unpacks a JSON array (MariaDB 10.6+, MySQL 8.0.4+).
    json_table: bool,
    /// Binary (case-sensitive, no trailing-space padding) utf8mb4 collation.
    binary_collation: &'static str,
    /// `CREATE TABLE` suffix naming the engine and the binary collation.
    table_options: &'static str,
    /// Column clause of a case-sensitive text column.
    text_cs: &'static str,
    /// Column clause of a case-insensitive text column.
    text_ci: &'static str,
    /// The case-insensitive collation's name.
    ci_collation: &'static str,
}

/// The dialect of MariaDB (10.6 and later): collations `utf8mb4_nopad_bin`
/// and `utf8mb4_unicode_nopad_ci`; generated keys come back by
/// `INSERT ... RETURNING`; `JSON_TABLE` unpacks long integer lists.
pub static MARIADB: MysqlDialect = MysqlDialect {
    mariadb: true,
    returning: true,
    json_table: true,
    binary_collation: "utf8mb4_nopad_bin",
    table_options: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin",
    text_cs: "CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
    text_ci: "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_nopad_ci",
    ci_collation: "utf8mb4_unicode_nopad_ci",
};

/// The dialect of MariaDB 10.5: as [`MARIADB`], but without `JSON_TABLE`
/// (10.6), so an integer list too long for one parameter per value is an
/// `Error::Unsupported`.
pub static MARIADB_10_5: MysqlDialect = MysqlDialect {
    json_table: false,
    ..MARIADB
};

/// The dialect of MariaDB before 10.5, which has no `INSERT ... RETURNING`:
/// as [`MARIADB_10_5`], but generated keys come back by the last insert id
/// (the first row's key, the others `@@auto_increment_increment` apart).
pub static MARIADB_LEGACY: MysqlDialect = MysqlDialect {
    returning: false,
    ..MARIADB_10_5
};

/// The dialect of MySQL 8 (8.0.4 and later): collations `utf8mb4_0900_bin`
/// and `utf8mb4_0900_ai_ci`.
pub static MYSQL: MysqlDialect = MysqlDialect {
    mariadb: false,
    returning: false,
    json_table: true,
    binary_collation: "utf8mb4_0900_bin",
    table_options: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin",
    text_cs: "CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin",
    text_ci: "CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci",
    ci_collation: "utf8mb4_0900_ai_ci",
};

/// The dialect of MySQL before 8.0.4: as [`MYSQL`], but without
/// `JSON_TABLE`.
pub static MYSQL_LEGACY: MysqlDialect = MysqlDialect {
    json_table: false,
    ..MYSQL
};

impl MysqlDialect {
    /// Whether this is the MariaDB variant.
    pub fn is_mariadb(&self) -> bool {
        self.mariadb
    }

    /// The binary utf8mb4 collation athanor uses for text by default (and for
    /// the connection): case-sensitive, trailing spaces significant.
    pub fn binary_collation(&self) -> &'static str {
        self.binary_collation
    }
}

impl Dialect for MysqlDialect {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn identifier_quote(&self) -> char {
        '`'
    }

    fn write_placeholder(&self, _index: usize, out: &mut String) {
        out.push('?');
    }

    // Keyed text must be bounded: MySQL cannot index (or make a primary key
    // of) TEXT/BLOB without a prefix length.
    fn column_type(&self, ty: ColumnType, keyed: bool) -> String {
        match ty {
            ColumnType::Bool => "BOOLEAN".into(),
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INT".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Real => "FLOAT".into(),
            ColumnType::Double => "DOUBLE".into(),
            ColumnType::Text if keyed => "VARCHAR(255)".into(),
            ColumnType::Text => "LONGTEXT".into(),
            ColumnType::Varchar(n) => format!("VARCHAR({n})"),
            ColumnType::Bytes if keyed => "VARBINARY(255)".into(),
            ColumnType::Bytes => "LONGBLOB".into(),
            ColumnType::Decimal(p, s) => format!("DECIMAL({p}, {s})"),
            ColumnType::Date => "DATE".into(),
            ColumnType::Time => "TIME(6)".into(),
            ColumnType::Timestamp => "DATETIME(6)".into(),
            // DATETIME, not TIMESTAMP: TIMESTAMP converts from and to the
            // session time zone and ends in 2038. The instant is stored as
            // its UTC date and time; the connection binds and reads it so.
            ColumnType::TimestampTz => "DATETIME(6)".into(),
            // The 16 bytes of the UUID: compact, and a key like any other.
            ColumnType::Uuid => "BINARY(16)".into(),
            // MySQL's native JSON; on MariaDB an alias of LONGTEXT (in the
            // table's utf8mb4, binary collation) with a JSON_VALID check.
            // Neither server can key a JSON column.
            ColumnType::Json => "JSON".into(),
            _ => "LONGTEXT".into(),
        }
    }

    fn auto_key_column(&self, ty: ColumnType) -> String {
        let ty = match ty {
            ColumnType::SmallInt => "SMALLINT",
            ColumnType::Integer => "INT",
            _ => "BIGINT",
        };
        format!("{ty} NOT NULL AUTO_INCREMENT PRIMARY KEY")
    }

    // INSERT ... RETURNING exists on MariaDB 10.5+ but not on MySQL, where
    // the last insert id is the first row's key and the others follow
    // `@@auto_increment_increment` apart (the connection reports the step).
    fn key_strategy(&self) -> KeyStrategy {
        if self.returning {
            KeyStrategy::Returning
        } else {
            KeyStrategy::LastInsertIdFirst
        }
    }

    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnDuplicateKey
    }

    fn begin_sql(&self) -> &'static str {
        "START TRANSACTION"
    }

    fn ddl_commits_transaction(&self) -> bool {
        true
    }

    fn deletes_row_by_row(&self) -> bool {
        true
    }

    fn table_columns_sql(&self) -> Option<&'static str> {
        Some(
            "SELECT COLUMN_NAME, CASE WHEN IS_NULLABLE = 'YES' THEN 1 ELSE 0 END, \
             CASE WHEN COLUMN_KEY = 'PRI' THEN 1 ELSE 0 END \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        )
    }

    // SET TRANSACTION applies to the next transaction only.
    fn begin_isolated_sql(&self, isolation: Isolation) -> String {
        format!(
            "SET TRANSACTION ISOLATION LEVEL {}; START TRANSACTION",
            isolation.sql()
        )
    }

    // MariaDB has no FOR SHARE; MySQL 8 takes NOWAIT and SKIP LOCKED only
    // after FOR SHARE.
    fn row_lock_clause(&self, lock: RowLock) -> Option<String> {
        let mode = match lock.mode {
            LockMode::Update => " FOR UPDATE",
            LockMode::Share if self.mariadb => " LOCK IN SHARE MODE",
            LockMode::Share => " FOR SHARE",
        };
        Some(format!("{mode}{}", lock.wait.sql()))
    }

    fn table_options(&self) -> &'static str {
        self.table_options
    }

    fn text_collation(&self, case_insensitive: bool) -> &'static str {
        if case_insensitive {
            self.text_ci
        } else {
            self.text_cs
        }
    }

    // The largest LIMIT MySQL accepts: it has no OFFSET without LIMIT.
    fn limit_for_offset_only(&self) -> Option<&'static str> {
        Some("18446744073709551615")
    }

    // JSON_TABLE: MariaDB 10.6+, MySQL 8.0.4+.
    // `JSON_TABLE` came with MariaDB 10.6 and MySQL 8.0.4; before, a list
    // too long for one parameter per value cannot be sent.
    fn integer_list_subquery(&self) -> Option<(&'static str, &'static str)> {
        if !self.json_table {
            return None;
        }
        Some((
            "(SELECT athanor_v FROM JSON_TABLE(",
            ", '$[*]' COLUMNS (athanor_v BIGINT PATH '$')) AS athanor_list)",
        ))
    }

    fn max_parameters(&self) -> usize {
        65_535
    }

    // MariaDB has it since 10.1.4; MySQL 8 does not.
    fn supports_create_index_if_not_exists(&self) -> bool {
        self.mariadb
    }

    // The connection's sql_mode leaves NO_BACKSLASH_ESCAPES off, so a
    // backslash in a literal is an escape: `'\\'` is one backslash.
    fn like_escape_literal(&self) -> &'static str {
        "'\\\\'"
    }

    fn escape_string_literal(&self, text: &str) -> String {
        text.replace('\\', "\\\\")
    }

    fn default_values(&self) -> &'static str {
        " () VALUES ()"
    }

    // `||` is OR unless PIPES_AS_CONCAT is set; CONCAT() needs no sql_mode.
    fn concat_operator(&self) -> bool {
        false
    }

    // `/` yields a DECIMAL even between integers; DIV truncates toward zero,
    // as integer `/` does on PostgreSQL and SQLite.
    fn integer_division(&self) -> &'static str {
        " DIV "
    }

    // MariaDB 10.11 computes the index range of a LIKE prefix as if no
    // character lay beyond U+FFFF, so an indexed `name LIKE '😀%'` misses
    // '😀🎵'. Such patterns are matched without the index: CONCAT(name) is
    // an expression no index covers.
    fn like_operand_wrapper(&self, pattern: &str) -> Option<(&'static str, &'static str)> {
        pattern
            .chars()
            .any(|c| u32::from(c) > 0xFFFF)
            .then_some(("CONCAT(", ")"))
    }

    // A decimal travels as text, and arithmetic on text is floating-point:
    // `price * '1.1'` would round like a double. A cast keeps it exact.
    fn cast_decimal_parameters(&self) -> bool {
        true
    }

    // CAST takes neither BIGINT nor DOUBLE PRECISION; SIGNED is a 64-bit
    // integer, and DOUBLE is accepted by MariaDB 10.4+ and MySQL 8.0.17+.
    fn cast_type(&self, target: CastTarget) -> &'static str {
        match target {
            CastTarget::BigInt => "SIGNED",
            CastTarget::Double => "DOUBLE",
        }
    }

    // CAST(x AS SIGNED) saturates at i64::MAX with a warning, even in strict
    // mode; DIV converts its result to BIGINT and fails with error 1690 when
    // it does not fit, as PostgreSQL's and SQLite's integers do.
    fn checked_cast(&self, target: CastTarget) -> Option<(&'static str, &'static str)> {
        match target {
            CastTarget::BigInt => Some(("(", " DIV 1)")),
            CastTarget::Double => None,
        }
    }

    // DECIMAL holds 65 digits, but values are read into rust_decimal, which
    // holds 28.
    fn max_decimal_precision(&self) -> u8 {
        28
    }

    // MariaDB's JSON is LONGTEXT with a JSON_VALID check named after the
    // column; MySQL's is its own type.
    fn catalog_sql(&self, catalog: Catalog) -> Option<String> {
        Some(match catalog {
            Catalog::Tables => format!(
                "SELECT TABLE_NAME, CASE WHEN ENGINE = 'InnoDB' AND TABLE_COLLATION = '{}' \
                 THEN 1 ELSE 0 END FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                self.binary_collation
            ),
            Catalog::Columns => {
                let ty = if self.mariadb {
                    "CASE WHEN EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k \
                       WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME \
                       AND k.CONSTRAINT_NAME = c.COLUMN_NAME \
                       AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)')) \
                     THEN 'json' ELSE c.COLUMN_TYPE END"
                } else {
                    "c.COLUMN_TYPE"
                };
                format!(
                    "SELECT c.COLUMN_NAME, {ty}, CASE WHEN c.IS_NULLABLE = 'YES' THEN 1 ELSE 0 END, \
                     c.COLUMN_DEFAULT, \
                     CASE WHEN c.EXTRA LIKE '%auto_increment%' THEN 1 ELSE 0 END, \
                     c.COLLATION_NAME, COALESCE((SELECT k.ORDINAL_POSITION \
                       FROM information_schema.KEY_COLUMN_USAGE k \
                       WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME \
                       AND k.CONSTRAINT_NAME = 'PRIMARY' AND k.COLUMN_NAME = c.COLUMN_NAME), 0), \
                     CASE WHEN c.EXTRA LIKE '%DEFAULT_GENERATED%' THEN 1 ELSE 0 END \
                     FROM information_schema.COLUMNS c \
                     WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION"
                )
            }
            Catalog::Indexes => "SELECT INDEX_NAME, 1 - NON_UNIQUE, COLUMN_NAME \
                 FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY' \
                 ORDER BY INDEX_NAME, SEQ_IN_INDEX"
                .into(),
            Catalog::ForeignKeys => "SELECT k.CONSTRAINT_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, \
                 k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE \
                 FROM information_schema.KEY_COLUMN_USAGE k \
                 JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                   ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                  AND r.TABLE_NAME = k.TABLE_NAME \
                 WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? \
                   AND k.REFERENCED_TABLE_NAME IS NOT NULL \
                 ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
                .into(),
            _ => return None,
        })
    }

    // COLUMN_TYPE as the servers report what column_type() writes (MariaDB
    // keeps display widths such as `int(11)`; MySQL 8 drops them).
    fn introspected_default(
        &self,
        raw: &str,
        sql_type: &str,
        expression: bool,
    ) -> Option<DefaultSpec> {
        // MySQL 8 and MariaDB spell defaults differently (see `defaults`).
        crate::defaults::read_default(raw, sql_type, expression, self.mariadb)
    }

    fn introspected_type(&self, sql_type: &str) -> Option<ColumnType> {
        let t = sql_type.to_ascii_lowercase();
        let (base, args) = match t.split_once('(') {
            Some((b, rest)) => (b, rest.split(')').next().unwrap_or("")),
            None => (t.as_str(), ""),
        };
        let unsigned = t.contains("unsigned");
        if unsigned {
            return None;
        }
        Some(match (base, args) {
            ("tinyint", "1") | ("boolean", _) => ColumnType::Bool,
            ("smallint", _) => ColumnType::SmallInt,
            ("int", _) => ColumnType::Integer,
            ("bigint", _) => ColumnType::BigInt,
            ("float", _) => ColumnType::Real,
            ("double", _) => ColumnType::Double,
            ("longtext", _) => ColumnType::Text,
            ("varchar", n) => ColumnType::Varchar(n.parse().ok()?),
            ("varbinary", "255") | ("longblob", _) => ColumnType::Bytes,
            ("decimal", ps) => {
                let (p, s) = ps.split_once(',')?;
                ColumnType::Decimal(p.trim().parse().ok()?, s.trim().parse().ok()?)
            }
            ("date", _) => ColumnType::Date,
            ("time", "6") => ColumnType::Time,
            ("datetime", "6") => ColumnType::Timestamp,
            ("binary", "16") => ColumnType::Uuid,
            ("json", _) => ColumnType::Json,
            _ => return None,
        })
    }

    fn text_collation_name(&self, case_insensitive: bool) -> Option<&'static str> {
        Some(if case_insensitive {
            self.ci_collation
        } else {
            self.binary_collation
        })
    }

    fn alter_column_style(&self) -> AlterColumnStyle {
        AlterColumnStyle::Redefine
    }

    // A unique constraint is an index to MySQL.
    fn drop_constraint_clause(&self, foreign_key: bool) -> &'static str {
        if foreign_key {
            "DROP FOREIGN KEY"
        } else {
            "DROP INDEX"
        }
    }

    fn drop_index_names_table(&self) -> bool {
        true
    }

    // Every DDL statement commits the open transaction.
    fn transactional_ddl(&self) -> bool {
        false
    }

    // Held by the session until released or the connection closes; waits up
    // to an hour. Named per database: the lock is the server's.
    fn advisory_lock_sql(&self) -> Option<(&'static str, &'static str)> {
        Some((
            // A lock name is at most 64 characters: the database's name is
            // hashed to a fixed length (and may be NULL: no database).
            "SELECT GET_LOCK(CONCAT('athanor:', MD5(COALESCE(DATABASE(), '')), ':', ?), 3600)",
            "SELECT RELEASE_LOCK(CONCAT('athanor:', MD5(COALESCE(DATABASE(), '')), ':', ?))",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_differ_only_where_servers_do() {
        assert!(MARIADB.supports_create_index_if_not_exists());
        assert!(!MYSQL.supports_create_index_if_not_exists());
        assert!(MARIADB.table_options().ends_with("utf8mb4_nopad_bin"));
        assert!(MYSQL.table_options().ends_with("utf8mb4_0900_bin"));
        assert_eq!(
            MYSQL.text_collation(true),
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci"
        );
        for d in [&MARIADB, &MYSQL] {
            assert_eq!(d.name(), "mysql");
            assert_eq!(d.column_type(ColumnType::Text, true), "VARCHAR(255)");
            assert_eq!(d.column_type(ColumnType::Text, false), "LONGTEXT");
            assert_eq!(d.column_type(ColumnType::Bytes, true), "VARBINARY(255)");
            assert_eq!(
                d.column_type(ColumnType::Decimal(10, 4), false),
                "DECIMAL(10, 4)"
            );
            assert_eq!(d.column_type(ColumnType::Date, false), "DATE");
            assert_eq!(d.column_type(ColumnType::Time, false), "TIME(6)");
            assert_eq!(d.column_type(ColumnType::Timestamp, true), "DATETIME(6)");
            assert_eq!(d.column_type(ColumnType::TimestampTz, false), "DATETIME(6)");
            assert_eq!(d.column_type(ColumnType::Uuid, true), "BINARY(16)");
            assert_eq!(d.column_type(ColumnType::Uuid, false), "BINARY(16)");
            assert_eq!(d.column_type(ColumnType::Json, false), "JSON");
            assert_eq!(d.cast_type(CastTarget::BigInt), "SIGNED");
            assert_eq!(d.cast_type(CastTarget::Double), "DOUBLE");
            assert_eq!(d.checked_cast(CastTarget::BigInt), Some(("(", " DIV 1)")));
            assert_eq!(d.integer_division(), " DIV ");
            assert_eq!(d.max_decimal_precision(), 28);
            assert_eq!(
                d.auto_key_column(ColumnType::Integer),
                "INT NOT NULL AUTO_INCREMENT PRIMARY KEY"
            );
            assert_eq!(d.like_escape_literal(), r"'\\'");
            assert_eq!(d.escape_string_literal(r"a\b"), r"a\\b");
            let mut s = String::new();
            d.write_placeholder(3, &mut s);
            assert_eq!(s, "?");
        }
    }
}
