//! The schema: registered models, created in foreign-key order and dropped in reverse.

use crate::conn::Executor;
use crate::error::{ConstraintKind, ConstraintViolation, Error, Result};
use crate::migrate::TableSchema;
use crate::model::{Model, TableDef};
use crate::render::SqlWriter;
use crate::schema_check::LiveTable;

/// A set of models whose tables are created and dropped together
/// (SQLAlchemy's `MetaData`).
///
/// ```
/// # use athanor_core::Schema;
/// let schema = Schema::new();
/// assert!(schema.tables().is_empty());
/// ```
#[derive(Debug, Default, Clone)]
pub struct Schema {
    tables: Vec<&'static TableDef>,
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Self {
        Schema { tables: Vec::new() }
    }

    /// Registers model `M` (once; registering twice is harmless).
    pub fn register<M: Model>(mut self) -> Self {
        self.add(M::TABLE);
        self
    }

    /// Registers a table by its description.
    pub fn add(&mut self, table: &'static TableDef) {
        if !self.tables.iter().any(|t| same_table(t, table)) {
            self.tables.push(table);
        }
    }

    /// The registered tables, in registration order.
    pub fn tables(&self) -> &[&'static TableDef] {
        &self.tables
    }

    /// Forgets every registered model (SQLAlchemy's `metadata.clear()`).
    pub fn clear(&mut self) {
        self.tables.clear();
    }

    /// The registered tables, each after the tables it references.
    ///
    /// # Failure
    /// [`Error::InvalidModel`] when a foreign key references a model that is
    /// not registered, or the references form a cycle.
    pub fn creation_order(&self) -> Result<Vec<&'static TableDef>> {
        for t in &self.tables {
            for fk in t.foreign_keys {
                let target = (fk.references)();
                if !self.tables.iter().any(|r| same_table(r, target)) {
                    return Err(Error::InvalidModel(format!(
                        "{} ({}) has a foreign key to {} ({}), which is not registered in the schema",
                        t.model, t.name, target.model, target.name
                    )));
                }
            }
        }
        let mut ordered: Vec<&'static TableDef> = Vec::with_capacity(self.tables.len());
        let mut remaining = self.tables.clone();
        while !remaining.is_empty() {
            let before = remaining.len();
            remaining.retain(|t| {
                let ready = t.foreign_keys.iter().all(|fk| {
                    let target = (fk.references)();
                    same_table(target, t) || ordered.iter().any(|o| same_table(o, target))
                });
                if ready {
                    ordered.push(t);
                }
                !ready
            });
            if remaining.len() == before {
                let names: Vec<&str> = remaining.iter().map(|t| t.name).collect();
                return Err(Error::InvalidModel(format!(
                    "foreign keys form a cycle between tables {}",
                    names.join(", ")
                )));
            }
        }
        Ok(ordered)
    }

    /// Creates every registered table that does not exist yet (with its
    /// indexes), parents before children. A table that exists is checked
    /// against its model first: its columns, their nullability, types (as
    /// the database stores them), defaults and uniqueness, and the primary
    /// key must match.
    ///
    /// # Failure
    /// [`Error::SchemaMismatch`] naming every difference of every existing
    /// table, before anything is created: a stale table is never kept
    /// silently.
    pub fn create_all<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<()> {
        let conn = ex.conn()?;
        let order = self.creation_order()?;
        let mut differences = Vec::new();
        let mut present = Vec::with_capacity(order.len());
        for table in &order {
            let live = crate::schema_check::live_table(conn, table)?;
            if let LiveTable::Present(found) = &live {
                differences.extend(
                    found
                        .iter()
                        .map(|d| format!("{} ({}): {d}", table.model, table.name)),
                );
            }
            present.push(live);
        }
        if !differences.is_empty() {
            return Err(Error::SchemaMismatch { differences });
        }
        // Every table rendered first: a column type the backend refuses
        // stops create_all before anything is sent (MySQL would keep the
        // tables created before it).
        let dialect = conn.dialect();
        let mut statements = Vec::new();
        for (table, live) in order.into_iter().zip(present) {
            let mut create = create_table_sql(dialect, table)?.into_iter();
            let create_table = create.next();
            match live {
                // A table that is there already keeps its DDL: only its
                // indexes are asked for again, with `IF NOT EXISTS` (a
                // dialect without it keeps the table's indexes as they
                // are: migrations add new ones).
                LiveTable::Present(_) => {
                    if !dialect.supports_create_index_if_not_exists() {
                        continue;
                    }
                }
                LiveTable::Missing | LiveTable::Unknown => {
                    let auto_key = table.auto_key.and_then(|i| table.columns.get(i));
                    statements
                        .extend(dialect.before_create_table(table.name, auto_key.map(|c| c.name)));
                    statements.extend(create_table);
                }
            }
            statements.extend(create);
        }
        for sql in &statements {
            conn.run_batch(sql)?;
        }
        Ok(())
    }

    /// Drops every registered table that exists, children before parents.
    pub fn drop_all<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<()> {
        let conn = ex.conn()?;
        for table in self.creation_order()?.into_iter().rev() {
            let mut w = SqlWriter::new(conn.dialect());
            w.push("DROP TABLE IF EXISTS ").ident(table.name);
            conn.run_batch(&w.sql)?;
            let auto_key = table.auto_key.and_then(|i| table.columns.get(i));
            let after = conn
                .dialect()
                .after_drop_table(table.name, auto_key.map(|c| c.name));
            for sql in &after {
                conn.run_batch(sql)?;
            }
        }
        Ok(())
    }
}

/// Whether two descriptions are of the same table. Descriptions are
/// constants, whose addresses are not unique, so the name decides.
fn same_table(a: &TableDef, b: &TableDef) -> bool {
    a.name == b.name
}

/// The longest name athanor gives a constraint or index, in bytes: the
/// smallest backend limit (PostgreSQL's 63; MySQL allows 64), so that a
/// name is the same on every backend and reads back as it was made.
pub const MAX_GENERATED_NAME_BYTES: usize = 63;

/// `name` made to fit [`MAX_GENERATED_NAME_BYTES`]: unchanged when it
/// fits, otherwise cut (at a character boundary) and ended with `_` and
/// eight hex digits of a hash of the whole name (FNV-1a 64, its halves
/// xored: fixed for good, as names in databases depend on it), so that two long names
/// that share their start stay distinct. PostgreSQL would otherwise cut a
/// long name silently, and the name read back would differ from the
/// models' (a migration generated again would never be empty).
///
/// ```
/// # use athanor_core::{fit_generated_name, MAX_GENERATED_NAME_BYTES};
/// assert_eq!(fit_generated_name("uq_t_c"), "uq_t_c");
/// let long = format!("uq_{}_{}", "t".repeat(40), "c".repeat(40));
/// let fitted = fit_generated_name(&long);
/// assert_eq!(fitted.len(), MAX_GENERATED_NAME_BYTES);
/// assert_eq!(fitted, fit_generated_name(&long));
/// assert_ne!(fitted, fit_generated_name(&format!("{long}x")));
/// ```
pub fn fit_generated_name(name: &str) -> String {
    if name.len() <= MAX_GENERATED_NAME_BYTES {
        return name.to_owned();
    }
    // Persisted: a stable hash (FNV-1a 64), never the in-memory one.
    let digest = crate::stable_hash::fnv1a_64(name.as_bytes());
    let suffix = format!("_{:08x}", (digest >> 32) as u32 ^ digest as u32);
    let mut cut = MAX_GENERATED_NAME_BYTES - suffix.len();
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &name[..cut])
}

/// The name athanor gives a single-column unique constraint.
pub fn unique_constraint_name(table: &str, column: &str) -> String {
    fit_generated_name(&format!("uq_{table}_{column}"))
}

/// The name athanor gives a foreign key.
pub fn foreign_key_name(table: &str, columns: &[&str]) -> String {
    fit_generated_name(&format!("fk_{table}_{}", columns.join("_")))
}

/// The constraint name a backend reports for a violation of a table's
/// primary key when the database names no column (MySQL's name for every
/// primary key): the core then fills in the key's columns, knowing the
/// table. A backend whose database gives the columns reports them instead.
pub const PRIMARY_KEY_CONSTRAINT: &str = "PRIMARY";

/// The statements that create `table` and its indexes, in `dialect`.
///
/// # Failure
/// [`Error::Unsupported`] for a decimal column more precise than the backend stores exactly.
pub fn create_table_sql(
    dialect: &'static dyn crate::Dialect,
    table: &TableDef,
) -> Result<Vec<String>> {
    let described = TableSchema::from_def(table);
    // `IF NOT EXISTS` where the dialect has it: a table another process
    // created since create_all looked is then not an error.
    crate::migrate::ddl::create_table(dialect, &described, &described, true)
}

/// Completes a violation on `table` from athanor's constraint naming: the
/// column from the constraint's name, or the constraint's name from the column.
pub(crate) fn complete_constraint(table: &TableDef, c: &mut ConstraintViolation) {
    match c.kind {
        ConstraintKind::Unique => {
            // athanor's own constraint names say the column best (a database
            // may name an index's expression instead, as in `lower(email)`).
            if let Some(name) = &c.constraint {
                if let Some(col) = table
                    .columns
                    .iter()
                    .find(|col| unique_constraint_name(table.name, col.name) == *name)
                {
                    c.column = Some(col.name.to_owned());
                }
            }
            if c.column.is_none() {
                if let Some(name) = &c.constraint {
                    c.column = table
                        .columns
                        .iter()
                        .find(|col| unique_constraint_name(table.name, col.name) == *name)
                        .map(|col| col.name.to_owned())
                        .or_else(|| {
                            // The primary key's own constraint.
                            (name == PRIMARY_KEY_CONSTRAINT)
                                .then(|| table.primary_key_columns().collect::<Vec<_>>().join(", "))
                        })
                        .or_else(|| {
                            table
                                .indexes
                                .iter()
                                .find(|ix| fit_generated_name(ix.name) == *name)
                                .map(|ix| ix.columns.join(", "))
                        });
                }
            }
            if c.constraint.is_none() {
                if let Some(col) = &c.column {
                    if table.column(col).is_some_and(|d| d.unique) {
                        c.constraint = Some(unique_constraint_name(table.name, col));
                    }
                }
            }
        }
        ConstraintKind::ForeignKey if c.column.is_none() => {
            if let Some(name) = &c.constraint {
                c.column = table
                    .foreign_keys
                    .iter()
                    .find(|fk| foreign_key_name(table.name, fk.columns) == *name)
                    .map(|fk| fk.columns.join(", "));
            }
        }
        _ => {}
    }
}

/// How deep `table` sits in the foreign-key graph: 0 for a table that
/// references no other, else one more than its deepest parent.
pub fn dependency_depth(table: &'static TableDef) -> usize {
    fn depth(t: &'static TableDef, seen: &mut Vec<&'static str>) -> usize {
        if seen.contains(&t.name) {
            return 0;
        }
        seen.push(t.name);
        let d = t
            .foreign_keys
            .iter()
            .map(|fk| (fk.references)())
            .filter(|p| !same_table(p, t))
            .map(|p| depth(p, seen) + 1)
            .max()
            .unwrap_or(0);
        seen.pop();
        d
    }
    depth(table, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names in databases depend on these: they never change.
    #[test]
    fn fitted_names_are_pinned() {
        let long = format!("uq_{}_{}", "t".repeat(40), "c".repeat(40));
        assert_eq!(
            fit_generated_name(&long),
            "uq_tttttttttttttttttttttttttttttttttttttttt_cccccccccc_15f96f82"
        );
        assert_eq!(
            foreign_key_name(
                "order_line_items_archive_2024",
                &["customer_shipping_address_id", "region_code"]
            ),
            "fk_order_line_items_archive_2024_customer_shipping_add_dd29e905"
        );
        assert_eq!(unique_constraint_name("t", "c"), "uq_t_c");
    }
}
