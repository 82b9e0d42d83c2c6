//! Writing models: insert (keys filled back), update, delete, upsert.

use crate::conn::Conn;
use crate::dialect::{KeyStrategy, UpsertStyle};
use crate::error::ConversionError;
use crate::error::{Error, Result};
use crate::expr::Column;
use crate::model::{FromRow, Model, TableDef};
use crate::render::SqlWriter;
use crate::sql_cache::{cached_sql, Kind};
use crate::value::{ColumnType, ValueRef};
pub(crate) use crate::versioning::refuse_versioned;
use crate::versioning::{
    delete_versioned, missing_or_stale, next_version, set_version, version_of, write_version_check,
};

/// Any column of model `M`, whatever its type: for lists of columns
/// (`&[&Artist::NAME, &Artist::PK]`).
pub trait AnyColumn<M> {
    /// The column's index among the model's columns.
    fn column_index(&self) -> usize;
}

impl<M, T> AnyColumn<M> for Column<M, T> {
    fn column_index(&self) -> usize {
        self.index()
    }
}

fn write_key_filter<'a, M: Model>(w: &mut SqlWriter<'a>, model: &'a M) {
    let key: Vec<ValueRef<'a>> = M::TABLE
        .primary_key
        .iter()
        .map(|&i| model.value_at(i))
        .collect();
    write_key_condition(w, M::TABLE, &key);
}

/// Writes ` WHERE "k1" = ? AND "k2" = ?` for the primary key of `table`.
pub(crate) fn write_key_condition<'a>(
    w: &mut SqlWriter<'a>,
    table: &TableDef,
    key: &[ValueRef<'a>],
) {
    w.push(" WHERE ");
    for (n, (&i, v)) in table.primary_key.iter().zip(key).enumerate() {
        if n > 0 {
            w.push(" AND ");
        }
        w.qualified(table.name, table.columns[i].name).push(" = ");
        w.param(*v);
    }
}

/// The columns an insert of `rows` writes: all, less the auto key when it is unset.
fn insert_columns(table: &TableDef, with_auto_key: bool) -> Vec<usize> {
    (0..table.columns.len())
        .filter(|&i| with_auto_key || Some(i) != table.auto_key)
        .collect()
}

fn write_insert_head(w: &mut SqlWriter<'_>, table: &TableDef, columns: &[usize]) {
    w.push("INSERT INTO ")
        .ident(table.name)
        .push(" (")
        .idents(columns.iter().map(|&i| table.columns[i].name))
        .push(") VALUES ");
}

fn write_values_row<'a, M: Model>(
    w: &mut SqlWriter<'a>,
    model: &'a M,
    columns: &[usize],
) -> Result<()> {
    w.push("(");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            w.push(", ");
        }
        w.param(checked_value(M::TABLE, i, model)?);
    }
    w.push(")");
    Ok(())
}

/// The value of column `index` of `model`, refused when it does not fit the
/// column's declared length, precision or scale: every backend then gives
/// the same typed error, and none truncates or rounds silently.
pub(crate) fn checked_value<'a, M: Model>(
    table: &'static TableDef,
    index: usize,
    model: &'a M,
) -> Result<ValueRef<'a>> {
    let value = model.value_at(index);
    let column = &table.columns[index];
    crate::portable::check_portable(&value).map_err(|e| e.at(table.name, column.name))?;
    match (column.ty, value) {
        // No more bytes than the limit: no more characters either.
        (ColumnType::Varchar(max), ValueRef::Text(s)) if s.len() > max as usize => {
            let len = s.chars().count();
            if len > max as usize {
                return Err(ConversionError::new(
                    format!("text of at most {max} characters"),
                    format!("text of {len} characters"),
                )
                .at(table.name, column.name)
                .into());
            }
        }
        #[cfg(feature = "decimal")]
        (ColumnType::Decimal(precision, scale), ValueRef::Decimal(d)) => {
            let d = d.normalize();
            let integer_digits = d.trunc().abs().to_string().trim_start_matches('0').len();
            if d.scale() > u32::from(scale)
                || integer_digits > usize::from(precision - scale.min(precision))
            {
                return Err(ConversionError::new(
                    format!("decimal({precision}, {scale})"),
                    format!("{d} (out of range)"),
                )
                .at(table.name, column.name)
                .into());
            }
        }
        _ => {}
    }
    Ok(value)
}

/// Runs `f` inside a savepoint/transaction when `needed`, so a failure
/// leaves nothing half-written.
///
/// Inside a transaction on a backend without savepoints, `f` runs in that
/// transaction and a failure fails it: nothing half-written can be
/// committed, only rolled back (with the rest of the transaction).
pub(crate) fn atomically<T>(
    conn: &mut Conn,
    needed: bool,
    f: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    if !needed {
        return f(conn);
    }
    if conn.nests_without_savepoints() {
        let r = f(conn);
        return conn.note(r);
    }
    conn.begin()?;
    match f(conn) {
        Ok(v) => {
            conn.commit_level()?;
            Ok(v)
        }
        Err(e) => {
            // The original error matters more than a failed rollback.
            let _ = conn.rollback_level();
            Err(e)
        }
    }
}

/// Inserts `rows`, in as few statements as the parameter limit allows, and
/// fills generated keys back into them.
///
/// Rows whose auto key is unset get one from the database; rows that carry
/// one keep it, and the key's sequence is then moved past it where the
/// database does not do that by itself.
pub fn insert_rows<M: Model>(conn: &mut Conn, rows: &mut [M]) -> Result<()> {
    let table = M::TABLE;
    let Some(auto) = table.auto_key else {
        return insert_subset(conn, rows, None, true);
    };
    let unset = rows.iter().filter(|r| r.auto_key_unset()).count();
    if unset == rows.len() {
        return insert_subset(conn, rows, None, false);
    }
    let mixed = unset != 0;
    atomically(conn, true, |conn| {
        if mixed {
            let explicit: Vec<usize> = (0..rows.len())
                .filter(|&i| !rows[i].auto_key_unset())
                .collect();
            insert_subset(conn, rows, Some(&explicit), true)?;
        } else {
            insert_subset(conn, rows, None, true)?;
        }
        if let Some(sql) = conn
            .dialect()
            .sync_key_sequence_sql(table.name, table.columns[auto].name)
        {
            conn.run_batch(&sql).map_err(|e| e.in_table(table))?;
        }
        if mixed {
            let generated: Vec<usize> = (0..rows.len())
                .filter(|&i| rows[i].auto_key_unset())
                .collect();
            insert_subset(conn, rows, Some(&generated), false)?;
        }
        Ok(())
    })
}

/// Inserts `rows` without reading generated keys back: no `RETURNING`, no
/// last-insert-id. Rows whose auto key is set keep it (and the key's sequence
/// is moved past them, as [`insert_rows`] does); the others get one from the
/// database, which `rows` does not learn.
pub fn insert_rows_without_keys<M: Model>(conn: &mut Conn, rows: &[M]) -> Result<()> {
    let table = M::TABLE;
    let Some(auto) = table.auto_key else {
        let all: Vec<&M> = rows.iter().collect();
        return insert_refs(conn, &all, true, None);
    };
    let (explicit, generated): (Vec<&M>, Vec<&M>) = rows.iter().partition(|r| !r.auto_key_unset());
    if explicit.is_empty() {
        return insert_refs(conn, &generated, false, None);
    }
    atomically(conn, true, |conn| {
        insert_refs(conn, &explicit, true, None)?;
        if let Some(sql) = conn
            .dialect()
            .sync_key_sequence_sql(table.name, table.columns[auto].name)
        {
            conn.run_batch(&sql).map_err(|e| e.in_table(table))?;
        }
        insert_refs(conn, &generated, false, None)
    })
}

/// Inserts `rows` (or `rows[only]`), writing the auto key when
/// `explicit_keys`, else filling generated keys back.
fn insert_subset<M: Model>(
    conn: &mut Conn,
    rows: &mut [M],
    only: Option<&[usize]>,
    explicit_keys: bool,
) -> Result<()> {
    let mut keys: Vec<(usize, i64)> = Vec::new();
    {
        let refs: Vec<&M> = match only {
            Some(ix) => ix.iter().map(|&i| &rows[i]).collect(),
            None => rows.iter().collect(),
        };
        insert_refs(
            conn,
            &refs,
            explicit_keys,
            Some(&mut |pos, key| {
                keys.push((only.map_or(pos, |ix| ix[pos]), key));
                Ok(())
            }),
        )?;
    }
    for (i, key) in keys {
        rows[i].set_auto_key(key)?;
    }
    Ok(())
}

/// Inserts `rows` in chunks under the parameter limit; reports each row's
/// generated key (by position in `rows`) to `on_key` when the auto key is not
/// written. Without `on_key`, generated keys are not read back at all.
fn insert_refs<M: Model>(
    conn: &mut Conn,
    rows: &[&M],
    explicit_keys: bool,
    mut on_key: Option<&mut dyn FnMut(usize, i64) -> Result<()>>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let table = M::TABLE;
    let columns = insert_columns(table, explicit_keys);
    let wants_keys = on_key.is_some() && table.auto_key.is_some() && !explicit_keys;
    // A table of nothing but its generated key takes one row per statement.
    let chunk = match columns.len() {
        0 => 1,
        n => (conn.dialect().max_parameters() / n).max(1),
    };
    let chunks = rows.len().div_ceil(chunk);
    atomically(conn, chunks > 1, |conn| {
        for (c, part) in rows.chunks(chunk).enumerate() {
            let base = c * chunk;
            insert_chunk(
                conn,
                table,
                part,
                &columns,
                wants_keys,
                &mut |pos, key| match on_key.as_mut() {
                    Some(f) => f(base + pos, key),
                    None => Ok(()),
                },
            )?;
        }
        Ok(())
    })
}

fn insert_chunk<M: Model>(
    conn: &mut Conn,
    table: &'static TableDef,
    rows: &[&M],
    columns: &[usize],
    wants_keys: bool,
    on_key: &mut dyn FnMut(usize, i64) -> Result<()>,
) -> Result<()> {
    let dialect = conn.dialect();
    let key_column = table.auto_key.map(|i| table.columns[i].name);
    let returning = match (wants_keys, dialect.key_strategy(), key_column) {
        (true, KeyStrategy::Returning, Some(key)) => Some(key),
        _ => None,
    };
    let render = || -> Result<SqlWriter<'_>> {
        let mut w = SqlWriter::new(dialect);
        if columns.is_empty() {
            w.push("INSERT INTO ")
                .ident(table.name)
                .push(dialect.default_values());
        } else {
            w.params.reserve(rows.len() * columns.len());
            write_insert_head(&mut w, table, columns);
            for (n, row) in rows.iter().enumerate() {
                if n > 0 {
                    w.push(", ");
                }
                write_values_row(&mut w, *row, columns)?;
            }
        }
        if let Some(key) = returning {
            w.push(" RETURNING ").ident(key);
        }
        Ok(w)
    };
    let cached;
    let fresh;
    let (sql, params): (&str, Vec<ValueRef<'_>>) = if rows.len() <= CACHED_INSERT_ROWS {
        // The text depends only on the table, the dialect, which columns are
        // written and the number of rows, so it is rendered once.
        let kind = Kind::InsertRows {
            rows: rows.len(),
            explicit_key: columns.len() == table.columns.len(),
            returning: returning.is_some(),
        };
        let sql = cached_sql(table, dialect, kind, || render().map(|w| w.sql))?;
        let mut params = Vec::with_capacity(rows.len() * columns.len());
        for row in rows {
            for &i in columns {
                params.push(checked_value(table, i, *row)?);
            }
        }
        cached = sql;
        (&cached, params)
    } else {
        let w = render()?;
        fresh = w.sql;
        (&fresh, w.params)
    };
    match (wants_keys, dialect.key_strategy(), key_column) {
        (true, KeyStrategy::Returning, Some(_)) => {
            let mut keys = Vec::with_capacity(rows.len());
            conn.query(sql, &params, &mut |row| {
                keys.push(i64::from_row(row, 0)?);
                Ok(())
            })
            .map_err(|e| e.in_table(table))?;
            // Keys are generated in row order; RETURNING's order is not promised.
            keys.sort_unstable();
            for (pos, key) in keys.into_iter().enumerate() {
                on_key(pos, key)?;
            }
        }
        (true, KeyStrategy::LastInsertIdFirst, Some(_)) => {
            conn.execute(sql, &params).map_err(|e| e.in_table(table))?;
            let first = conn.last_insert_id()?;
            let step = if rows.len() > 1 {
                conn.key_increment()?
            } else {
                1
            };
            for pos in 0..rows.len() {
                on_key(pos, first + pos as i64 * step)?;
            }
        }
        _ => {
            conn.execute(sql, &params).map_err(|e| e.in_table(table))?;
        }
    }
    Ok(())
}

/// Multi-row inserts of up to this many rows have their SQL cached (one
/// text per row count; the cache bounds its own size).
const CACHED_INSERT_ROWS: usize = 1_000;

/// Saves `model`: inserts it when its generated key is unset (filling the
/// key back); otherwise updates the row with its key, or inserts it as given
/// when there is no such row. A model made of nothing but its key (an
/// association row) is inserted unless a row with its key exists.
///
/// A model with a version column and its key set is updated (version
/// checked, the next one written back), never inserted: a row deleted
/// since it was read gives [`Error::NoRows`] rather than coming back.
pub fn save_row<M: Model>(conn: &mut Conn, model: &mut M) -> Result<()> {
    save_or_insert(conn, model, false)
}

/// [`save_row`]; with `insert_when_missing`, a versioned model whose row
/// does not exist is inserted too (a session's new object given a key).
pub(crate) fn save_or_insert<M: Model>(
    conn: &mut Conn,
    model: &mut M,
    insert_when_missing: bool,
) -> Result<()> {
    let table = M::TABLE;
    if !model.auto_key_unset() || table.auto_key.is_none() {
        let written =
            |(i, c): (usize, &crate::model::ColumnDef)| !c.primary_key && Some(i) != table.version;
        if table.columns.iter().enumerate().any(written) {
            match update_row(conn, &*model, None) {
                Err(Error::NoRows { .. }) if insert_when_missing || table.version.is_none() => {}
                Ok(true) => return bump_version(model),
                Ok(false) => return Ok(()),
                Err(e) => return Err(e),
            }
        } else if row_exists(conn, &*model)? {
            // An UPDATE of no columns would "succeed" without a row: ask.
            return Ok(());
        }
    }
    insert_rows(conn, std::slice::from_mut(model))
}

/// Whether a row with `model`'s primary key exists.
fn row_exists<M: Model>(conn: &mut Conn, model: &M) -> Result<bool> {
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT 1 FROM ").ident(M::TABLE.name);
    write_key_filter(&mut w, model);
    let mut found = false;
    conn.query(&w.sql, &w.params, &mut |_| {
        found = true;
        Ok(())
    })
    .map_err(|e| e.in_table(M::TABLE))?;
    Ok(found)
}

/// Updates the given columns (all non-key columns when `columns` is `None`)
/// of the row with `model`'s key. Fails with [`Error::NoRows`] when no row has that key.
///
/// With a version column, the row must still hold `model`'s version, and
/// its version becomes the next one ([`Error::StaleObject`] otherwise; the
/// caller writes the new version back with [`bump_version`]). The version
/// column itself is never among the columns written from `model`.
///
/// Returns whether a statement was sent (false when no column is to be written).
pub fn update_row<M: Model>(conn: &mut Conn, model: &M, columns: Option<&[usize]>) -> Result<bool> {
    let table = M::TABLE;
    let version = version_of(model)?;
    let all: Vec<usize>;
    let columns = match columns {
        Some(c) => c,
        None => {
            all = (0..table.columns.len())
                .filter(|&i| !table.columns[i].primary_key)
                .collect();
            &all
        }
    };
    let written = |i: &&usize| Some(**i) != table.version;
    if !columns.iter().any(|i| written(&i)) {
        return Ok(false);
    }
    let mut w = SqlWriter::new(conn.dialect());
    w.push("UPDATE ").ident(table.name).push(" SET ");
    for (n, &i) in columns.iter().filter(written).enumerate() {
        if n > 0 {
            w.push(", ");
        }
        w.ident(table.columns[i].name).push(" = ");
        w.param(checked_value(table, i, model)?);
    }
    if let Some((i, v)) = version {
        w.push(", ").ident(table.columns[i].name).push(" = ");
        w.param(ValueRef::I64(next_version(table, i, v)?));
    }
    write_key_filter(&mut w, model);
    if let Some((i, v)) = version {
        write_version_check(&mut w, table, i, v);
    }
    let n = conn
        .execute(&w.sql, &w.params)
        .map_err(|e| e.in_table(table))?;
    match (n, version) {
        (0, Some((_, v))) => {
            let key: Vec<ValueRef<'_>> = table
                .primary_key
                .iter()
                .map(|&i| model.value_at(i))
                .collect();
            Err(missing_or_stale(conn, table, &key, v))
        }
        (0, None) => Err(Error::NoRows {
            table: table.name.to_owned(),
        }),
        _ => Ok(true),
    }
}

/// Writes the next version into `model` after [`update_row`] wrote it to
/// the row; nothing for a model without a version column.
pub(crate) fn bump_version<M: Model>(model: &mut M) -> Result<()> {
    match version_of(model)? {
        Some((i, v)) => set_version(model, i, next_version(M::TABLE, i, v)?),
        None => Ok(()),
    }
}

/// Deletes the row with `model`'s key. Fails with [`Error::NoRows`] when there
/// is none, and with [`Error::StaleObject`] when its version column no
/// longer holds `model`'s version.
pub fn delete_row<M: Model>(conn: &mut Conn, model: &M) -> Result<()> {
    let key: Vec<ValueRef<'_>> = M::TABLE
        .primary_key
        .iter()
        .map(|&i| model.value_at(i))
        .collect();
    match version_of(model)? {
        Some(version) => delete_versioned(conn, M::TABLE, &key, version),
        None => delete_by_key(conn, M::TABLE, &key),
    }
}

/// Deletes the row of `table` whose primary key is `key` (values in key-column order).
/// Fails with [`Error::NoRows`] when there is none.
pub fn delete_by_key(
    conn: &mut Conn,
    table: &'static TableDef,
    key: &[ValueRef<'_>],
) -> Result<()> {
    let mut w = SqlWriter::new(conn.dialect());
    w.push("DELETE FROM ").ident(table.name);
    write_key_condition(&mut w, table, key);
    let n = conn
        .execute(&w.sql, &w.params)
        .map_err(|e| e.in_table(table))?;
    if n == 0 {
        return Err(Error::NoRows {
            table: table.name.to_owned(),
        });
    }
    Ok(())
}

/// Inserts `model`, or updates the existing row whose `conflict` columns
/// (a unique key or the primary key) have the same values. The generated
/// key is filled back either way.
pub fn upsert_row<M: Model>(conn: &mut Conn, model: &mut M, conflict: &[usize]) -> Result<()> {
    let table = M::TABLE;
    let dialect = conn.dialect();
    let write_key = table.auto_key.is_none() || !model.auto_key_unset();
    let columns = insert_columns(table, write_key);
    let key_column = table.auto_key.map(|i| table.columns[i].name);
    let updated: Vec<usize> = columns
        .iter()
        .copied()
        .filter(|i| !conflict.contains(i) && Some(*i) != table.auto_key)
        .collect();
    let mut w = SqlWriter::new(dialect);
    write_insert_head(&mut w, table, &columns);
    write_values_row(&mut w, &*model, &columns)?;
    let mut key = None;
    match dialect.upsert_style() {
        UpsertStyle::OnConflict => {
            w.push(" ON CONFLICT (")
                .idents(conflict.iter().map(|&i| table.columns[i].name))
                .push(") DO UPDATE SET ");
            // With nothing to update, a no-op assignment still returns the row's key.
            let set = if updated.is_empty() {
                conflict
            } else {
                &updated
            };
            for (n, &i) in set.iter().enumerate() {
                if n > 0 {
                    w.push(", ");
                }
                let name = table.columns[i].name;
                w.ident(name).push(" = excluded.").ident(name);
            }
            if let Some(k) = key_column {
                w.push(" RETURNING ").ident(k);
                conn.query(&w.sql, &w.params, &mut |row| {
                    key = Some(i64::from_row(row, 0)?);
                    Ok(())
                })
                .map_err(|e| e.in_table(table))?;
            } else {
                conn.execute(&w.sql, &w.params)
                    .map_err(|e| e.in_table(table))?;
            }
        }
        UpsertStyle::OnDuplicateKey => {
            w.push(" ON DUPLICATE KEY UPDATE ");
            let mut first = true;
            if let Some(k) = key_column {
                // Makes LAST_INSERT_ID() report the existing row's key on update.
                w.ident(k).push(" = LAST_INSERT_ID(").ident(k).push(")");
                first = false;
            }
            let set = if updated.is_empty() && first {
                conflict
            } else {
                &updated
            };
            for &i in set {
                if !first {
                    w.push(", ");
                }
                first = false;
                let name = table.columns[i].name;
                w.ident(name).push(" = VALUES(").ident(name).push(")");
            }
            conn.execute(&w.sql, &w.params)
                .map_err(|e| e.in_table(table))?;
            if key_column.is_some() {
                key = Some(conn.last_insert_id()?);
            }
        }
    }
    if let (Some(k), true) = (key, model.auto_key_unset()) {
        model.set_auto_key(k)?;
    }
    Ok(())
}
