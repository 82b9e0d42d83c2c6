//! Where the connection runs more than the statement it was given: the
//! foreign-key actions DuckDB lacks (see `fk_actions`).

use athanor_core::{Result, ValueRef};

use crate::connection::DuckDbConnection;
use crate::fk_actions::{self, Noted};

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
                        c.run(step, params)?;
                    }
                    c.run(sql, params)
                })
                .map(Some);
        }
        Ok(None)
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

    /// Runs `work` in the open transaction, or in one of its own when none
    /// is open (so that the emulation's statements and the statement it
    /// stands for take effect together or not at all).
    fn atomically<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.in_tx {
            return work(self);
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
