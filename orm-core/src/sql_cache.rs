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
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::dialect::Dialect;
use crate::error::Result;
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

/// A multiply-rotate hasher for [`Key`]'s few machine words: the keys are
/// addresses and small enums chosen by the program, not by an adversary.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// The most statements one thread keeps.
const MAX_ENTRIES: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<Key, Rc<str>, BuildHasherDefault<KeyHasher>>> =
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
