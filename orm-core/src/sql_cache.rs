//! SQL for the common per-model calls (select every row, find by key, insert
//! rows), rendered once per model, dialect and kind of statement instead
//! of rebuilding the AST and re-rendering the text on every call.
//!
//! The text of these statements depends only on the model's [`TableDef`],
//! the dialect and the kind, never on the values bound, so the first
//! rendering serves every later call. The cache is per thread (no locking)
//! and holds a handful of short strings per model.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::dialect::Dialect;
use crate::error::Result;
use crate::fast_hash::FastMap;
use crate::model::TableDef;

/// The kind of a cached statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Every column of every row, with this LIMIT (none, 1 for `first`, 2
    /// for `one`).
    SelectAll { limit: Option<u64> },
    /// Every column of the row with a given primary key (`LIMIT 2`, as
    /// `one_or_none` reads).
    FindByKey,
    /// An insert of `rows` rows: with the auto key written or not, with the
    /// keys read back by `RETURNING` or not.
    InsertRows {
        rows: usize,
        explicit_key: bool,
        returning: bool,
    },
}

/// What a statement is cached under: the table description's address, the
/// dialect (its name, and its address, which tells MySQL from MariaDB), and
/// the kind. Two tables at one address have the same description, hence the
/// same SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    table: usize,
    dialect_name: usize,
    dialect: usize,
    kind: Kind,
}

/// The most statements one thread keeps.
const MAX_ENTRIES: usize = 256;

thread_local! {
    static CACHE: RefCell<FastMap<Key, Rc<str>>> =
        RefCell::new(HashMap::default());
}

/// The SQL of `kind` for `table` in `dialect`: cached, or written by `render`
/// now and cached.
pub(crate) fn cached_sql(
    table: &'static TableDef,
    dialect: &'static dyn Dialect,
    kind: Kind,
    render: impl FnOnce() -> Result<String>,
) -> Result<Rc<str>> {
    let key = Key {
        table: std::ptr::from_ref(table) as usize,
        dialect_name: dialect.name().as_ptr() as usize,
        dialect: std::ptr::from_ref(dialect).cast::<()>() as usize,
        kind,
    };
    if let Some(sql) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(sql);
    }
    let sql: Rc<str> = render()?.into();
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        // Renderings are cheap to redo: a full cache starts over rather
        // than grow without bound (inserts of many different row counts).
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(key, Rc::clone(&sql));
    });
    Ok(sql)
}
