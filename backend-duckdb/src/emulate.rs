//! Where the connection runs more than the statement it was given: the
//! foreign-key actions DuckDB lacks (see `fk_actions`).

use athanor_core::{Result, ValueRef};

use crate::connection::DuckDbConnection;
use crate::fk_actions::{self, Noted, Step};

/// A statement that fails, and with it the open transaction.
const ABORT: &str = "SELECT error('athanor: an emulated foreign-key step failed')";

/// The keys the backend checks on a child table: column, parent table,
/// parent key.
pub(crate) type Keys = Vec<(String, String, String)>;

impl DuckDbConnection {
    /// Runs `sql` with the emulations it needs; `None` when it needs none
    /// (the caller runs it as it is).
    pub(crate) fn run_emulated(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
    ) -> Result<Option<usize>> {
        if let Some(taken) = fk_actions::take_actions(sql)? {
            let (ddl, actions) = taken;
            return self
                .atomically(|c| {
                    let n = c.run_any(&ddl, params)?;
                    if !actions.is_empty() {
                        c.run_batch(fk_actions::SETUP)?;
                        c.actions_noted = true;
                        for a in &actions {
                            c.run(
                                fk_actions::NOTE,
                                &[
                                    ValueRef::Text(&a.child_table),
                                    ValueRef::Text(&a.child_column),
                                    ValueRef::Text(&a.parent_table),
                                    ValueRef::Text(&a.parent_column),
                                    ValueRef::Text(a.action),
                                ],
                            )?;
                        }
                    }
                    Ok(n)
                })
                .map(Some);
        }
        if let Some(table) = fk_actions::dropped_table(sql) {
            if !self.actions_exist()? {
                return Ok(None);
            }
            return self
                .atomically(|c| {
                    let n = c.run_any(sql, params)?;
                    c.run(fk_actions::FORGET, &[ValueRef::Text(&table)])?;
                    Ok(n)
                })
                .map(Some);
        }
        if let Some((table, condition)) = fk_actions::parsed_delete(sql) {
            if !self.actions_exist()? {
                return Ok(None);
            }
            let mut steps = Vec::new();
            let mut actions = |t: &str| self.actions_of(t);
            fk_actions::plan(&table, condition, &mut actions, &mut Vec::new(), &mut steps)?;
            if steps.is_empty() {
                return Ok(None);
            }
            return self
                .atomically(|c| {
                    for step in &steps {
                        match step {
                            Step::Before(sql) => {
                                c.run(sql, params)?;
                            }
                            Step::RefuseIfFound(check) => {
                                c.refuse_if_referenced(&table, check, params)?;
                            }
                            Step::After(_) | Step::RefuseOrphans { .. } => {}
                        }
                    }
                    let deleted = c.run(sql, params)?;
                    for step in &steps {
                        match step {
                            Step::After(sql) => c.run_batch(sql)?,
                            Step::RefuseOrphans { table, column, key } => {
                                let key = (column.clone(), table.clone(), key.clone());
                                c.check_orphans(table, std::slice::from_ref(&key))?;
                            }
                            Step::Before(_) | Step::RefuseIfFound(_) => {}
                        }
                    }
                    Ok(deleted)
                })
                .map(Some);
        }
        self.refuse_unread_deletes(sql)?;
        if let Some(table) = fk_actions::written_table(sql) {
            if !self.actions_exist()? {
                return Ok(None);
            }
            let keys = self.keys_of(&table)?;
            // An UPDATE may change a key that rows of other tables
            // reference: those must still find their parent afterwards.
            let children = if fk_actions::keyword(sql, "UPDATE ").is_some() {
                self.actions_of(&table)?
            } else {
                Vec::new()
            };
            if keys.is_empty() && children.is_empty() {
                return Ok(None);
            }
            return self
                .atomically(|c| {
                    // `execute_batch` hands in several statements: each runs once.
                    let n = c.run_any(sql, params)?;
                    c.check_orphans(&table, &keys)?;
                    for child in &children {
                        let key = (
                            child.child_column.clone(),
                            table.clone(),
                            child.parent_column.clone(),
                        );
                        c.check_orphans(&child.child_table, std::slice::from_ref(&key))?;
                    }
                    Ok(n)
                })
                .map(Some);
        }
        Ok(None)
    }

    /// Refuses a statement that deletes rows without the emulated actions
    /// running first: a `DELETE` this backend cannot read (or one handed in
    /// a batch, or to be read back with `RETURNING`), or a `TRUNCATE` of a
    /// table whose rows keys reference. Run as it is, it would leave
    /// children whose parent is gone.
    pub(crate) fn refuse_unread_deletes(&mut self, sql: &str) -> Result<()> {
        let word = fk_actions::first_word(sql);
        if word != "DELETE" && word != "TRUNCATE" {
            return Ok(());
        }
        if !self.actions_exist()? {
            return Ok(());
        }
        if let Some(table) = fk_actions::truncated_table(sql) {
            if self.actions_of(&table)?.is_empty() {
                return Ok(());
            }
        }
        Err(athanor_core::Error::Unsupported {
            backend: "duckdb",
            capability: "a DELETE or TRUNCATE run as it is on a database whose foreign keys \
                         the duckdb backend checks itself (their actions would not run): write \
                         one `DELETE FROM \"table\" WHERE ...` without RETURNING"
                .into(),
        })
    }

    /// The table a statement read through `query` writes (an INSERT or
    /// UPDATE with RETURNING) and the keys of it the backend checks; `None`
    /// when there are none. Deletes are refused (see
    /// [`refuse_unread_deletes`](Self::refuse_unread_deletes)).
    pub(crate) fn written_keys(&mut self, sql: &str) -> Result<Option<(String, Keys)>> {
        self.refuse_unread_deletes(sql)?;
        match fk_actions::written_table(sql) {
            Some(table) if self.actions_exist()? => {
                let keys = self.keys_of(&table)?;
                Ok(Some((table, keys)))
            }
            _ => Ok(None),
        }
    }

    /// The keys with actions of the child table `table`: column, parent
    /// table, parent key.
    pub(crate) fn keys_of(&mut self, table: &str) -> Result<Keys> {
        let mut keys = Vec::new();
        self.query_plain(fk_actions::OF_CHILD, &[ValueRef::Text(table)], &mut |row| {
            if let (ValueRef::Text(c), ValueRef::Text(p), ValueRef::Text(k)) =
                (row.get(0)?, row.get(1)?, row.get(2)?)
            {
                keys.push((c.to_owned(), p.to_owned(), k.to_owned()));
            }
            Ok(())
        })?;
        Ok(keys)
    }

    /// Fails with the foreign-key violation DuckDB would report when a row
    /// of `table` references no parent row through one of `keys`.
    pub(crate) fn check_orphans(
        &self,
        table: &str,
        keys: &[(String, String, String)],
    ) -> Result<()> {
        for (column, parent, key) in keys {
            let sql = fk_actions::orphans_sql(table, column, parent, key);
            let (stmt, _) = self.prepare_run_shared(&sql)?;
            let mut rows = stmt.raw_query();
            let orphan = rows
                .next()
                .map_err(|e| crate::error::map_error(e, &sql))?
                .is_some();
            if orphan {
                return Err(athanor_core::Error::Constraint(
                    athanor_core::ConstraintViolation {
                        kind: athanor_core::ConstraintKind::ForeignKey,
                        table: Some(table.to_owned()),
                        constraint: None,
                        column: Some(column.clone()),
                        message: format!(
                            "Violates foreign key constraint because a value of {table}.{column} \
                         does not exist in the referenced table {parent}"
                        ),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Fails with a foreign-key violation when `check` finds a row still
    /// referencing a row of `table` about to be deleted.
    fn refuse_if_referenced(
        &mut self,
        table: &str,
        check: &str,
        params: &[ValueRef<'_>],
    ) -> Result<()> {
        let mut found = false;
        self.query_plain(check, params, &mut |_| {
            found = true;
            Ok(())
        })?;
        if !found {
            return Ok(());
        }
        Err(athanor_core::Error::Constraint(
            athanor_core::ConstraintViolation {
                kind: athanor_core::ConstraintKind::ForeignKey,
                table: Some(table.to_owned()),
                constraint: None,
                column: None,
                message: format!(
                    "Violates foreign key constraint because a row of {table} is still referenced \
                 by a foreign key in a different table"
                ),
            },
        ))
    }

    /// Runs `sql` as one statement with `params`, or as a batch of
    /// statements when it has none (`execute_batch` hands in several).
    fn run_any(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<usize> {
        if params.is_empty() {
            self.run_batch(sql).map(|()| 0)
        } else {
            self.run(sql, params)
        }
    }

    /// Whether any foreign-key action was ever noted in this database.
    fn actions_exist(&mut self) -> Result<bool> {
        if !self.actions_noted {
            let mut found = false;
            self.query_plain(fk_actions::EXISTS, &[], &mut |row| {
                found = matches!(row.get(0)?, ValueRef::I64(n) if n > 0);
                Ok(())
            })?;
            self.actions_noted = found;
        }
        Ok(self.actions_noted)
    }

    /// The actions noted on the rows of `table`.
    fn actions_of(&mut self, table: &str) -> Result<Vec<Noted>> {
        let mut noted = Vec::new();
        self.query_plain(
            fk_actions::OF_PARENT,
            &[ValueRef::Text(table)],
            &mut |row| {
                let text = |i: usize| -> Result<String> {
                    match row.get(i)? {
                        ValueRef::Text(t) => Ok(t.to_owned()),
                        other => Err(athanor_core::Error::Database {
                            code: None,
                            message: format!("athanor_duckdb.fk_actions holds {}", other.kind()),
                        }),
                    }
                };
                noted.push(Noted {
                    child_table: text(0)?,
                    child_column: text(1)?,
                    parent_column: text(2)?,
                    action: text(3)?,
                });
                Ok(())
            },
        )?;
        Ok(noted)
    }

    /// Fails the open transaction in DuckDB, so that it can only be rolled
    /// back: after an emulated check refused a statement that DuckDB itself
    /// ran, as DuckDB does after a statement of its own failed.
    pub(crate) fn fail_transaction(&mut self) {
        // The statement fails by design: its error is the expected answer.
        let _ = self.run_batch(ABORT);
    }

    /// Runs `work` in the open transaction, or in one of its own when none
    /// is open (so that the emulation's statements and the statement it
    /// stands for take effect together or not at all).
    ///
    /// In an open transaction, a failure fails the transaction in DuckDB as
    /// well, as a failed statement does: without savepoints the statements
    /// that ran cannot be taken back alone, and a COMMIT must not keep them
    /// (a transaction begun with raw `BEGIN` is not watched by the core).
    fn atomically<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.in_tx {
            let done = work(self);
            if done.is_err() {
                self.fail_transaction();
            }
            return done;
        }
        self.run_batch("BEGIN TRANSACTION")?;
        match work(self) {
            Ok(done) => {
                self.run_batch("COMMIT")?;
                Ok(done)
            }
            Err(e) => {
                let _ = self.run_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}
