//! Running a migration's steps: each rendered against the database as the
//! steps before it left it, in one transaction where DDL is transactional.

use crate::conn::{Conn, Executor};
use crate::dialect::Dialect;
use crate::error::{ConversionError, Error, Result};
use crate::model::FromRow;
use crate::render::SqlWriter;
use crate::value::{ColumnType, ValueRef};

use super::description::DatabaseSchema;
use super::history::{self, Record};
use super::introspect::introspect;
use super::key_check::{refuse_new, violations};
use super::migration::Step;
use super::operation::Operation;
use super::quoting::requote;
use super::render::render_operation;
use super::split::split_statements;

/// What [`run_steps`] reports to its caller, who records it where schema
/// changes commit at once. `i` indexes the steps given, `k` a unit of the
/// step: a statement of a hand-written SQL step where DDL commits at once,
/// otherwise the whole step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// Unit `k` of step `i` is about to run.
    Start { i: usize, k: usize },
    /// Unit `k` of step `i` ran; `last`: it was the step's last.
    Ran { i: usize, k: usize, last: bool },
}

/// The units of a step as [`run_steps`] runs them on `dialect`: each
/// statement of a hand-written SQL step where schema changes commit at once
/// (so that progress is recorded statement by statement), otherwise the
/// step whole (its SQL, or the operation's description).
pub(crate) fn units_of(step: &Step, dialect: &dyn Dialect) -> Vec<String> {
    match step {
        Step::Schema(op) => vec![op.to_string()],
        Step::Sql { up, .. } => sql_units(up, dialect),
    }
}

/// `sql` cut into the units it runs as on `dialect` (see [`units_of`]).
pub(crate) fn sql_units(sql: &str, dialect: &dyn Dialect) -> Vec<String> {
    if dialect.transactional_ddl() {
        return vec![sql.to_owned()];
    }
    let backslash_escapes = dialect.escape_string_literal("\\") != "\\";
    let parts = split_statements(sql, backslash_escapes);
    if parts.is_empty() {
        vec![sql.to_owned()]
    } else {
        parts
    }
}

/// Runs `steps`, rendering each against the database as the steps before
/// it left it; `progress(conn, event)` before and after each unit. The whole
/// list is checked against the database first: a step naming a missing
/// table or column fails before anything runs.
///
/// `declared`: the schema the migrations before these steps declare, where
/// known; it says which columns are case-insensitive where the database
/// cannot (PostgreSQL, without a unique index on LOWER(column)).
pub(crate) fn run_steps(
    conn: &mut Conn,
    version: i64,
    steps: &[(usize, Step)],
    total: usize,
    ran: &mut usize,
    declared: Option<&DatabaseSchema>,
    progress: &mut dyn FnMut(&mut Conn, Event) -> Result<()>,
) -> Result<()> {
    let mut state = introspect(&mut *conn)?.schema;
    if let (Some(declared), false) = (declared, conn.dialect().collations_decide_case()) {
        carry_case_insensitivity(&mut state, declared);
    }
    let mut end = state.clone();
    for (n, step) in steps {
        if let Step::Schema(op) = step {
            op.apply_to(&mut end).map_err(|e| {
                step_error(version, *n, total, step, &e, "does not fit the database")
            })?;
        }
    }
    for (i, (n, step)) in steps.iter().enumerate() {
        if let Step::Schema(op) = step {
            check_lengths(conn, op)
                .map_err(|e| step_error(version, *n, total, step, &e, "failed"))?;
        }
        if let Step::Schema(op) = step {
            check_rebuildable(conn, op)
                .map_err(|e| step_error(version, *n, total, step, &e, "cannot be carried out"))?;
        }
        // Each unit: its statements.
        let units: Vec<Vec<String>> = match step {
            Step::Schema(op) => vec![render_operation(conn.dialect(), op, &state)
                .map_err(|e| step_error(version, *n, total, step, &e, "cannot be rendered"))?],
            Step::Sql { up, .. } => sql_units(&requote(up, conn.dialect()), conn.dialect())
                .into_iter()
                .map(|s| vec![s])
                .collect(),
        };
        let statements: Vec<&String> = units.iter().flatten().collect();
        let mut k = 0;
        for (u, unit) in units.iter().enumerate() {
            progress(conn, Event::Start { i, k: u })?;
            for sql in unit {
                // athanor's own DDL leaves the session alone; a hand-written
                // step is watched as raw SQL (transaction control refused).
                let ran_step = match step {
                    Step::Schema(_) => conn.run_batch(sql),
                    Step::Sql { .. } => conn.execute_batch(sql),
                };
                ran_step.map_err(|e| {
                    let err = step_error(version, *n, total, step, &e, "failed");
                    // Without transactional DDL, what ran of this step stays.
                    match err {
                        Error::Migration { version, message }
                            if k > 0 && !conn.dialect().transactional_ddl() =>
                        {
                            let done: Vec<&str> =
                                statements[..k].iter().map(|s| s.as_str()).collect();
                            Error::Migration {
                                version,
                                message: format!(
                                    "{message} (the step's first {k} of {} statements ran and \
                                     stay: {})",
                                    statements.len(),
                                    done.join("; ")
                                ),
                            }
                        }
                        err => err,
                    }
                })?;
                *ran += 1;
                k += 1;
            }
            // Recorded first: what follows cannot fail after the unit ran
            // and before the record says so.
            progress(
                conn,
                Event::Ran {
                    i,
                    k: u,
                    last: u + 1 == units.len(),
                },
            )?;
            if let (Step::Schema(op), true) = (step, u + 1 == units.len()) {
                op.apply_to(&mut state)?;
            }
        }
    }
    Ok(())
}

/// Refuses a narrowing to `VARCHAR(n)` while rows hold longer text, on a
/// database that would keep them (SQLite): the same answer as elsewhere.
fn check_lengths(conn: &mut Conn, op: &Operation) -> Result<()> {
    let Operation::AlterColumn { table, from, to } = op else {
        return Ok(());
    };
    check_integer_range(conn, table, from.ty, to)?;
    let ColumnType::Varchar(max) = to.ty else {
        return Ok(());
    };
    if conn.dialect().enforces_text_length() {
        return Ok(());
    }
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT COUNT(*) FROM ")
        .ident(table)
        .push(" WHERE LENGTH(")
        .ident(&to.name)
        .push(") > ");
    w.dialect().write_placeholder(1, &mut w.sql);
    let mut longer = 0;
    conn.query(&w.sql, &[ValueRef::I64(i64::from(max))], &mut |row| {
        longer = i64::from_row(row, 0)?;
        Ok(())
    })?;
    if longer == 0 {
        return Ok(());
    }
    Err(Error::Conversion(
        ConversionError::new(
            format!("text of at most {max} characters"),
            format!("{longer} rows with longer text"),
        )
        .at(table, &to.name),
    ))
}

/// Refuses narrowing an integer column below a value it holds (SQLite
/// would keep the value, which the model could then not read; the other
/// backends refuse too, and this gives every backend the same error).
fn check_integer_range(
    conn: &mut Conn,
    table: &str,
    from: ColumnType,
    to: &super::description::ColumnSchema,
) -> Result<()> {
    let integer = |t: ColumnType| {
        matches!(
            t,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
        )
    };
    let (low, high, expected) = match to.ty {
        ColumnType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX), "an i16"),
        ColumnType::Integer => (i64::from(i32::MIN), i64::from(i32::MAX), "an i32"),
        ColumnType::Bool => (0, 1, "a bool (0 or 1)"),
        _ => return Ok(()),
    };
    if !integer(from) || from == to.ty {
        return Ok(());
    }
    let mut w = SqlWriter::new(conn.dialect());
    w.push("SELECT COUNT(*) FROM ")
        .ident(table)
        .push(" WHERE ")
        .ident(&to.name)
        .push(" < ");
    w.dialect().write_placeholder(1, &mut w.sql);
    w.push(" OR ").ident(&to.name).push(" > ");
    w.dialect().write_placeholder(2, &mut w.sql);
    let mut beyond = 0;
    conn.query(
        &w.sql,
        &[ValueRef::I64(low), ValueRef::I64(high)],
        &mut |row| {
            beyond = i64::from_row(row, 0)?;
            Ok(())
        },
    )?;
    if beyond == 0 {
        return Ok(());
    }
    Err(Error::Conversion(
        ConversionError::new(expected, format!("{beyond} rows with values beyond it"))
            .at(table, &to.name),
    ))
}

/// An error's text without the `migration N:` its display would add.
pub(crate) fn message_of(e: &Error) -> String {
    match e {
        Error::Migration { message, .. } => message.clone(),
        e => e.to_string(),
    }
}

pub(crate) fn step_error(
    version: i64,
    n: usize,
    total: usize,
    step: &Step,
    e: &Error,
    what: &str,
) -> Error {
    let described = match step {
        Step::Schema(op) => op.to_string(),
        Step::Sql { up, .. } => format!("SQL `{up}`"),
    };
    Error::Migration {
        version: Some(version),
        message: format!("step {n} of {total} ({described}) {what}: {e}"),
    }
}

/// Marks the columns `declared` says are case-insensitive so in `state`.
fn carry_case_insensitivity(state: &mut DatabaseSchema, declared: &DatabaseSchema) {
    for table in &mut state.tables {
        let Some(known) = declared.table(&table.name) else {
            continue;
        };
        for column in &mut table.columns {
            if known
                .column(&column.name)
                .is_some_and(|c| c.case_insensitive)
            {
                column.case_insensitive = true;
            }
        }
    }
}

/// Refuses `op` when it rebuilds a table holding what athanor does not
/// model (a trigger, a generated column, ...): the rebuild would lose it.
fn check_rebuildable(conn: &mut Conn, op: &Operation) -> Result<()> {
    let dialect = conn.dialect();
    let (false, true, Some(sql)) = (
        dialect.alters_columns_in_place(),
        super::render::needs_rebuild(op),
        dialect.rebuild_blockers_sql(),
    ) else {
        return Ok(());
    };
    let table = op.table();
    let mut found = Vec::new();
    conn.query(sql, &[ValueRef::Text(table)], &mut |row| {
        let (kind, name) = <(String, String)>::from_row(row, 0)?;
        found.push(format!("{kind} `{name}`"));
        Ok(())
    })?;
    if found.is_empty() {
        return Ok(());
    }
    Err(Error::Unsupported {
        backend: dialect.name(),
        capability: format!(
            "rebuilding table `{table}`, which has {} (the rebuild would lose them): drop \
             them in an SQL step before this one and make them again in one after",
            found.join(", ")
        ),
    })
}

/// Runs `steps` in one transaction (with foreign keys suspended around it
/// where rebuilds need that), then `finish` before commit. `false` when
/// `skip` says, inside the transaction, that another process did the work.
pub(crate) fn in_transaction(
    conn: &mut Conn,
    version: i64,
    steps: &[(usize, Step)],
    total: usize,
    skip: &dyn Fn(&[Record]) -> bool,
    declared: Option<&DatabaseSchema>,
    finish: &dyn Fn(&mut Conn) -> Result<()>,
) -> Result<bool> {
    let suspension = conn.dialect().foreign_key_suspension();
    if let Some(s) = suspension {
        conn.run_batch(s.off)?;
    }
    let result = (|| {
        let mut tx = conn.transaction()?;
        let c = tx.conn()?;
        if skip(&history::records(c)?) {
            tx.commit()?;
            return Ok(false);
        }
        let before = match suspension {
            Some(s) => Some(violations(c, s, steps)?),
            None => None,
        };
        run_steps(c, version, steps, total, &mut 0, declared, &mut |_, _| {
            Ok(())
        })?;
        finish(c)?;
        if let (Some(s), Some(before)) = (suspension, before) {
            let after = violations(c, s, steps)?;
            refuse_new(&before, &after).map_err(|e| Error::Migration {
                version: Some(version),
                message: format!("{}; nothing was applied", message_of(&e)),
            })?;
        }
        tx.commit()?;
        Ok(true)
    })();
    if let Some(s) = suspension {
        conn.run_batch(s.on)?;
    }
    result.map_err(|e| match e {
        Error::Migration {
            version: Some(v),
            message,
        } if !message.ends_with("nothing was applied") => Error::Migration {
            version: Some(v),
            message: format!("{message}; rolled back, nothing was applied"),
        },
        e => e,
    })
}
