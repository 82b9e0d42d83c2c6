//! What every migration command holds: its own connection outside any
//! transaction, and a lock so that two processes never migrate at once.

use crate::conn::{Conn, Executor};
use crate::error::{Error, Result};
use crate::model::FromRow;
use crate::value::ValueRef;

/// The name of the lock migrations take.
const LOCK_NAME: &str = "athanor_migrations";

/// The connection of `ex`, refused inside a transaction: a migration runs
/// in transactions of its own.
pub(crate) fn outside_transaction<E: Executor + ?Sized>(ex: &mut E) -> Result<&mut Conn> {
    let conn = ex.conn()?;
    if conn.transaction_depth() > 0 {
        return Err(Error::Migration {
            version: None,
            message: "migrations run in transactions of their own: apply or revert them \
                      outside a transaction"
                .into(),
        });
    }
    Ok(conn)
}

/// Runs `f` holding the migration lock, where the database has one.
pub(crate) fn with_lock<T>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
    let Some((lock, unlock)) = conn.dialect().advisory_lock_sql() else {
        return f(conn);
    };
    let mut taken = None;
    conn.query(lock, &[ValueRef::Text(LOCK_NAME)], &mut |row| {
        taken = Option::<i64>::from_row(row, 0)?;
        Ok(())
    })?;
    if taken != Some(1) {
        return Err(Error::Migration {
            version: None,
            message: "another process holds the migration lock and did not release it in time"
                .into(),
        });
    }
    let result = f(conn);
    let released = conn.query(unlock, &[ValueRef::Text(LOCK_NAME)], &mut |_| Ok(()));
    let value = result?;
    released?;
    Ok(value)
}
