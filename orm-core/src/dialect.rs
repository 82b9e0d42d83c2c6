//! What differs in SQL text between databases, and nothing else.

use crate::conn::Isolation;
use crate::query::{LockMode, RowLock};
use crate::value::ColumnType;

/// How a database returns the keys it generated for inserted rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyStrategy {
    /// `INSERT ... RETURNING key` gives the keys, one row per inserted row.
    Returning,
    /// The connection's last insert id is the key of the first row of a
    /// multi-row insert; the others follow, each
    /// [`Connection::key_increment`](crate::Connection::key_increment)
    /// after the one before (MySQL).
    LastInsertIdFirst,
}

/// A catalog of the database that [`Dialect::catalog_sql`] queries. Every
/// query but [`Catalog::Tables`] takes one parameter, the table's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Catalog {
    /// The tables of the current schema, athanor's own included: name
    /// (text), and 1 when the table has the options athanor creates tables
    /// with (SQLite STRICT; MySQL InnoDB in utf8mb4 with the binary
    /// collation), else 0.
    Tables,
    /// A table's columns in order: name (text), type name (text), nullable
    /// (1/0), default expression (text or NULL), generated key (1/0),
    /// collation (text or NULL), position in the primary key (1-based; 0
    /// when not part of it), and 1 when the default is an expression the
    /// catalog spells unlike a literal (MySQL 8's `DEFAULT_GENERATED`), else
    /// 0.
    Columns,
    /// A table's indexes but the primary key's, one row per indexed column
    /// in index order, grouped by index: index name (text), unique (1/0),
    /// column name (text; an expression's text when it is not a column).
    Indexes,
    /// A table's foreign keys, one row per column in key order, grouped by
    /// key: grouping key (text), constraint name (text, NULL when the
    /// database keeps none), column, referenced table, referenced column
    /// (text), delete rule (`NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL`).
    ForeignKeys,
}

/// How `ALTER TABLE` changes a column (see [`Dialect::alter_column_style`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterColumnStyle {
    /// One clause per change: `ALTER COLUMN c TYPE t USING CAST(c AS t)`,
    /// `SET NOT NULL`, `SET DEFAULT x` (PostgreSQL).
    Clauses,
    /// The whole definition written again: `MODIFY COLUMN c <definition>` (MySQL).
    Redefine,
}

/// How a backend suspends foreign-key enforcement around a table rebuild
/// (see [`Dialect::foreign_key_suspension`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKeySuspension {
    /// Run before the transaction: enforcement off.
    pub off: &'static str,
    /// Run after the transaction: enforcement on.
    pub on: &'static str,
    /// A query returning one row per violation of the foreign keys of the
    /// table bound as its one parameter (`?1`): the referencing table and
    /// the referenced table. Run, before commit, on the tables a migration
    /// may have broken; violations that were there before it are let be.
    pub check: &'static str,
}

/// The form an upsert ("insert or update on conflict") takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpsertStyle {
    /// `ON CONFLICT (cols) DO UPDATE SET col = excluded.col` (PostgreSQL, SQLite).
    OnConflict,
    /// `ON DUPLICATE KEY UPDATE col = VALUES(col)` (MySQL, MariaDB).
    OnDuplicateKey,
}

/// A database's SQL dialect: answers the narrow questions whose answer differs
/// between databases. The core renders all SQL; a dialect never builds a
/// statement itself.
///
/// The trait is object-safe so a backend chosen at run time is a
/// `&'static dyn Dialect`.
pub trait Dialect: Send + Sync + 'static {
    /// The backend's name, used in error messages (`"sqlite"`, `"postgres"`, `"mysql"`).
    fn name(&self) -> &'static str;

    /// The character that quotes identifiers (doubled inside an identifier).
    fn identifier_quote(&self) -> char {
        '"'
    }

    /// Writes the placeholder for the parameter at `index` (1-based).
    fn write_placeholder(&self, index: usize, out: &mut String);

    /// Whether the placeholder is `?` whatever its index (then raw SQL
    /// written with `?` needs no rewriting).
    fn placeholder_is_question_mark(&self) -> bool {
        true
    }

    /// The DDL type name for a column type. `keyed` is set when the column
    /// is part of a key, a unique constraint or an index, or has a default
    /// (MySQL can neither index nor default unbounded TEXT).
    fn column_type(&self, ty: ColumnType, keyed: bool) -> String;

    /// The DDL type name for a column type, or the refusal of a type this
    /// database cannot store ([`Error::Unsupported`](crate::Error::Unsupported)
    /// naming it). Schema creation asks this; the default answers
    /// [`column_type`](Dialect::column_type)'s name. A backend with types it
    /// cannot store overrides this one, so that no column silently becomes
    /// another type.
    fn try_column_type(&self, ty: ColumnType, keyed: bool) -> crate::Result<String> {
        Ok(self.column_type(ty, keyed))
    }

    /// The column definition of an auto-generated integer primary key
    /// (type and key clause), written after the quoted column name.
    fn auto_key_column(&self, ty: ColumnType) -> String;

    /// The column definition of the auto-generated key `column` of `table`:
    /// what `CREATE TABLE` writes. A dialect whose keys draw from a
    /// sequence made by [`before_create_table`](Dialect::before_create_table)
    /// names that table's sequence here; by default
    /// [`auto_key_column`](Dialect::auto_key_column).
    fn auto_key_column_of(&self, table: &str, column: &str, ty: ColumnType) -> String {
        let _ = (table, column);
        self.auto_key_column(ty)
    }

    /// Statements run before `CREATE TABLE` of `table`, whose generated key
    /// column is `auto_key` if it has one: a database whose generated keys
    /// draw from a sequence creates it here (`CREATE SEQUENCE IF NOT
    /// EXISTS ...`), and [`auto_key_column_of`](Dialect::auto_key_column_of)
    /// names it as the column's default. Run by `Schema::create_all`, in
    /// order; none by default.
    fn before_create_table(&self, table: &str, auto_key: Option<&str>) -> Vec<String> {
        let _ = (table, auto_key);
        Vec::new()
    }

    /// Statements run after `DROP TABLE` of `table` (dropping what
    /// [`before_create_table`](Dialect::before_create_table) created). Run
    /// by `Schema::drop_all`; none by default.
    fn after_drop_table(&self, table: &str, auto_key: Option<&str>) -> Vec<String> {
        let _ = (table, auto_key);
        Vec::new()
    }

    /// How generated keys come back after an insert.
    fn key_strategy(&self) -> KeyStrategy {
        KeyStrategy::Returning
    }

    /// The upsert form this database speaks.
    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnConflict
    }

    /// The statement that begins a transaction.
    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    /// Whether DDL (and the other statements MySQL lists) ends an open
    /// transaction by committing it, as on MySQL/MariaDB: athanor then
    /// refuses such a statement inside a transaction rather than let the
    /// transaction's earlier writes be committed behind its back.
    fn ddl_commits_transaction(&self) -> bool {
        false
    }

    /// Whether a `DELETE` applies its foreign-key actions row by row while
    /// it still reads its condition, as MySQL/MariaDB do: a table whose
    /// key references its own rows `ON DELETE SET NULL` could then see
    /// rows match the condition only after the delete cleared their key
    /// (`WHERE manager_id IS NULL` deleting a whole hierarchy). The core
    /// then selects the rows before deleting them.
    fn deletes_row_by_row(&self) -> bool {
        false
    }

    /// The statement that begins a transaction expected to read (a
    /// session's transaction, begun by its first statement).
    fn begin_read_sql(&self) -> &'static str {
        self.begin_sql()
    }

    /// The statement(s) that begin a transaction at `isolation` (run as one
    /// batch).
    fn begin_isolated_sql(&self, isolation: Isolation) -> String {
        format!("BEGIN ISOLATION LEVEL {}", isolation.sql())
    }

    /// Whether nested transactions can be savepoints (`SAVEPOINT`,
    /// `RELEASE SAVEPOINT`, `ROLLBACK TO SAVEPOINT`). When false, beginning a
    /// transaction inside a transaction (and a session's `begin_nested`) is
    /// an [`Error::Unsupported`](crate::Error::Unsupported) and nothing is sent.
    fn supports_savepoints(&self) -> bool {
        true
    }

    /// The clause, written after LIMIT/OFFSET, that takes `lock` on the rows
    /// a SELECT reads; `None` when the database cannot take such a lock.
    fn row_lock_clause(&self, lock: RowLock) -> Option<String> {
        let mode = match lock.mode {
            LockMode::Update => " FOR UPDATE",
            LockMode::Share => " FOR SHARE",
        };
        Some(format!("{mode}{}", lock.wait.sql()))
    }

    /// Text appended to `CREATE TABLE (...)` (MySQL: engine and character set).
    fn table_options(&self) -> &'static str {
        ""
    }

    /// The collation clause for a text column: case-sensitive by default,
    /// case-insensitive when `case_insensitive` is set. Empty when the column
    /// type alone decides.
    fn text_collation(&self, case_insensitive: bool) -> &'static str {
        let _ = case_insensitive;
        ""
    }

    /// Whether text comparisons with `=` are case-sensitive only through the
    /// column's collation; when false, case-insensitive columns are compared
    /// with `LOWER()` on both sides by the core.
    fn collations_decide_case(&self) -> bool {
        true
    }

    /// The LIMIT to write when only an OFFSET is wanted, or `None` when
    /// `OFFSET` may stand alone.
    fn limit_for_offset_only(&self) -> Option<&'static str> {
        None
    }

    /// Writes the clause that keeps `limit` rows after skipping `offset`
    /// (either may be absent; nothing is written when both are), with a
    /// leading space. The default writes ` LIMIT n OFFSET m`, with
    /// [`limit_for_offset_only`](Dialect::limit_for_offset_only) as the
    /// limit when only an offset is wanted; a database that speaks SQL's
    /// `OFFSET m ROWS FETCH FIRST n ROWS ONLY` writes that instead.
    fn write_limit_offset(&self, limit: Option<u64>, offset: Option<u64>, out: &mut String) {
        use std::fmt::Write;
        match (limit, offset) {
            (Some(l), _) => {
                let _ = write!(out, " LIMIT {l}");
            }
            (None, Some(_)) => {
                if let Some(all) = self.limit_for_offset_only() {
                    out.push_str(" LIMIT ");
                    out.push_str(all);
                }
            }
            (None, None) => {}
        }
        if let Some(o) = offset {
            let _ = write!(out, " OFFSET {o}");
        }
    }

    /// The most bound parameters one statement may carry.
    fn max_parameters(&self) -> usize {
        32_766
    }

    /// Whether `CREATE INDEX IF NOT EXISTS` is understood.
    fn supports_create_index_if_not_exists(&self) -> bool {
        true
    }

    /// Whether `CREATE TABLE IF NOT EXISTS` is understood. Without it,
    /// `create_all` creates only the tables `table_columns_sql` finds
    /// missing (a dialect answering `false` must have that query).
    fn supports_create_table_if_not_exists(&self) -> bool {
        true
    }

    /// SQL that moves the sequence behind an auto-generated key past the
    /// largest key in the table, run after rows were inserted with explicit
    /// keys. `None` when the database does this by itself.
    fn sync_key_sequence_sql(&self, table: &str, column: &str) -> Option<String> {
        let _ = (table, column);
        None
    }

    /// The string literal naming `\\` as LIKE's escape character
    /// (MySQL reads backslashes inside literals as escapes).
    fn like_escape_literal(&self) -> &'static str {
        "'\\'"
    }

    /// The text written before and after the left operand of
    /// `x LIKE 'pattern'` for this literal pattern, when the database must be
    /// kept from answering it some way (an index it would misuse, say);
    /// `None` writes the operand alone, as by default.
    fn like_operand_wrapper(&self, pattern: &str) -> Option<(&'static str, &'static str)> {
        let _ = pattern;
        None
    }

    /// What to append after `ASC`/`DESC` so that NULLs sort first ascending
    /// and last descending, as SQLite and MySQL do by themselves.
    fn nulls_order_clause(&self, descending: bool) -> &'static str {
        let _ = descending;
        ""
    }

    /// Escapes what a string literal needs beyond doubled single quotes
    /// (MySQL also reads backslashes as escapes).
    fn escape_string_literal(&self, text: &str) -> String {
        text.to_owned()
    }

    /// The operator for integer division that truncates toward zero
    /// (MySQL's `/` always yields a decimal).
    fn integer_division(&self) -> &'static str {
        " / "
    }

    /// The type name to CAST to for a target type.
    fn cast_type(&self, target: crate::typed::CastTarget) -> &'static str {
        match target {
            crate::typed::CastTarget::BigInt => "BIGINT",
            crate::typed::CastTarget::Double => "DOUBLE PRECISION",
        }
    }

    /// A subquery yielding the integers of a JSON array (`[1,2,3]`) bound
    /// as one text parameter: the text written before and after its
    /// placeholder. The core writes `x IN <subquery>` for integer lists
    /// longer than [`LONG_IN_LIST`](crate::LONG_IN_LIST). `None`: the
    /// backend cannot unpack such an array, and the list is bound one
    /// parameter per value, which makes a statement over
    /// [`max_parameters`](Dialect::max_parameters) an
    /// [`Error::Unsupported`](crate::Error::Unsupported).
    fn integer_list_subquery(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// The text written before and after an expression to cast it to
    /// `target`, when the backend's `CAST` saturates instead of failing on
    /// overflow (MySQL's `CAST(x AS SIGNED)` turns a too-large sum into
    /// `i64::MAX`). `None` writes `CAST(expr AS <cast_type>)`.
    fn checked_cast(
        &self,
        target: crate::typed::CastTarget,
    ) -> Option<(&'static str, &'static str)> {
        let _ = target;
        None
    }

    /// Whether a bound decimal must be cast to a decimal type in SQL
    /// (MySQL takes an untyped parameter as text, and arithmetic on text is
    /// floating-point). The core then writes `CAST(? AS DECIMAL(65, scale))`.
    fn cast_decimal_parameters(&self) -> bool {
        false
    }

    /// A query with one parameter, a table's name, that returns one row per
    /// column of that table as it is in the database: its name (text),
    /// whether it is nullable and whether it is part of the primary key
    /// (both integers, 1 or 0), in column order; no rows when the table does
    /// not exist. `None` when the backend cannot tell (then `create_all`
    /// cannot check existing tables against their models).
    fn table_columns_sql(&self) -> Option<&'static str> {
        None
    }

    /// A catalog query for [introspection](crate::migrate::introspect); the
    /// row shape each [`Catalog`] asks for is documented on its variant.
    /// `None` when the backend cannot tell (then introspection, and with it
    /// migrations, are unsupported).
    fn catalog_sql(&self, catalog: Catalog) -> Option<String> {
        let _ = catalog;
        None
    }

    /// The column type a catalog's type name (as [`Catalog::Columns`] reports
    /// it) stores, or `None` for a type athanor does not create. Types the
    /// backend stores alike may read back as one of them (SQLite's
    /// `INTEGER` as [`ColumnType::BigInt`]).
    fn introspected_type(&self, sql_type: &str) -> Option<ColumnType> {
        let _ = sql_type;
        None
    }

    /// A column's default as the [`Catalog::Columns`] query reports it,
    /// `raw`, for a column of the database type `sql_type`, read into a
    /// literal; `None` when there is none. `expression`: the query's last
    /// column, whether the catalog marks the default an expression. The
    /// default reads SQL literals (`'text'`, `'text'::type`, `42`, `(42)`,
    /// `TRUE`, `NULL`); a database that spells them otherwise (MySQL 8:
    /// strings unquoted, expressions marked apart) answers here.
    fn introspected_default(
        &self,
        raw: &str,
        sql_type: &str,
        expression: bool,
    ) -> Option<crate::migrate::DefaultSpec> {
        let _ = (sql_type, expression);
        crate::migrate::parse_default(raw)
    }

    /// The collation name the catalog reports for a text column athanor
    /// created (case-insensitive when `case_insensitive`); `None` when such a
    /// column reports none (the database's default).
    fn text_collation_name(&self, case_insensitive: bool) -> Option<&'static str> {
        let _ = case_insensitive;
        None
    }

    /// Whether `ALTER TABLE` changes columns and constraints in place. When
    /// false (SQLite), the core rebuilds the table instead: a new table,
    /// rows copied, the old one dropped, the new one renamed, its indexes
    /// made again.
    fn alters_columns_in_place(&self) -> bool {
        true
    }

    /// Where tables are rebuilt ([`alters_columns_in_place`] false): a
    /// query, with the table's name bound as its one parameter (`?1`),
    /// whose rows name `(kind, name)` of each thing a rebuild would lose
    /// because athanor does not model it (a trigger, a generated column, a
    /// CHECK constraint, a partial or expression index, a default that is
    /// an expression). Migrations refuse to rebuild such a table rather
    /// than lose it silently. `None`: nothing to ask.
    ///
    /// [`alters_columns_in_place`]: Dialect::alters_columns_in_place
    fn rebuild_blockers_sql(&self) -> Option<&'static str> {
        None
    }

    /// How `ALTER TABLE` changes a column's type, nullability or default.
    fn alter_column_style(&self) -> AlterColumnStyle {
        AlterColumnStyle::Clauses
    }

    /// The words of `ALTER TABLE t <words> name` that drop a foreign key
    /// (`foreign_key`) or a unique constraint.
    fn drop_constraint_clause(&self, foreign_key: bool) -> &'static str {
        let _ = foreign_key;
        "DROP CONSTRAINT"
    }

    /// Whether `DROP INDEX name` must be followed by `ON table` (MySQL).
    fn drop_index_names_table(&self) -> bool {
        false
    }

    /// Whether schema changes take part in transactions. When false
    /// (MySQL commits DDL implicitly), a migration records its progress
    /// after every step instead of running in one transaction.
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// The statements around a table rebuild that turn foreign-key
    /// enforcement off and on again (run outside the transaction), and the
    /// query whose rows, if any, are the foreign-key violations left before
    /// commit. `None` when rebuilds are not needed.
    fn foreign_key_suspension(&self) -> Option<ForeignKeySuspension> {
        None
    }

    /// Whether the database refuses text longer than a `VARCHAR(n)`
    /// column's length. When false (SQLite), a migration narrowing a text
    /// column checks the rows first, so that it fails as it does elsewhere.
    fn enforces_text_length(&self) -> bool {
        true
    }

    /// The statements that carry a table's generated-key counter over to
    /// the table rebuilt in its place (`from`: the old table, `to`: the new
    /// one, before it takes the old one's name), so that keys of deleted
    /// rows are not handed out again. Run after the rows are copied, before
    /// the old table is dropped. `None` when there is nothing to carry.
    fn copy_key_counter_sql(&self, from: &str, to: &str) -> Option<String> {
        let _ = (from, to);
        None
    }

    /// The queries that take and release a lock held by this connection
    /// across transactions, named by the text parameter both take, so that
    /// two processes never apply migrations at once. The lock query waits
    /// for the lock and returns one row whose first column is 1 when it was
    /// taken (anything else: it timed out). `None` when
    /// the database serialises writers by itself (SQLite's `BEGIN IMMEDIATE`).
    fn advisory_lock_sql(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// The largest decimal precision this backend stores exactly.
    fn max_decimal_precision(&self) -> u8 {
        38
    }

    /// What follows `INSERT INTO "t"` to insert a row of defaults only.
    fn default_values(&self) -> &'static str {
        " DEFAULT VALUES"
    }

    /// Whether string concatenation is written with `||` (otherwise `CONCAT(a, b)`).
    fn concat_operator(&self) -> bool {
        true
    }
}

/// Writes `ident` quoted for `dialect`, doubling any quote character inside it.
pub fn write_quoted(dialect: &dyn Dialect, ident: &str, out: &mut String) {
    let q = dialect.identifier_quote();
    out.push(q);
    if ident.contains(q) {
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
    } else {
        out.push_str(ident);
    }
    out.push(q);
}
