//! The migrations a program knows, against a database: where it stands
//! (status), applying, reverting (refused when it would lose data, unless
//! allowed), resolving an interrupted step, and generating the next
//! migration. Running one migration is `run`'s job; the lock is `lock`'s.

use crate::conn::Executor;
use crate::error::{Error, Result};

use super::description::DatabaseSchema;
use super::diff::{diff, DiffOptions};
use super::history::{
    self, MigrationState, Record, Status, StatusEntry, StepProgress, MAX_NAME_CHARS, VERSION_TABLE,
};
use super::introspect::introspect;
use super::introspect::introspect_table;
use super::lock::{outside_transaction, with_lock};
use super::migration::{Migration, Step};
use super::operation::Operation;
use super::revert_loss::{losses, RevertOptions};
use super::run::{resolved, run_backward, run_forward, undo_steps, undone_by_statement};
use super::steps::{sql_units, step_error};
use crate::dialect::Dialect;
use crate::schema::Schema;

/// The migrations a program knows, applied to and reverted from a database.
///
/// ```
/// # use athanor_core::migrate::{Migration, Migrator};
/// let migrator = Migrator::new(vec![Migration::new(2, "b"), Migration::new(1, "a")]).unwrap();
/// assert_eq!(migrator.migrations()[0].version, 1);
/// assert!(Migrator::new(vec![Migration::new(1, "a"), Migration::new(1, "b")]).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Migrator {
    migrations: Vec<Migration>,
}

impl Migrator {
    /// The migrations, put in version order.
    ///
    /// # Failure
    /// [`Error::Migration`] when two migrations share a version.
    pub fn new(migrations: impl IntoIterator<Item = Migration>) -> Result<Self> {
        let mut migrations: Vec<Migration> = migrations.into_iter().collect();
        migrations.sort_by_key(|m| m.version);
        // The version table keeps a name of at most 255 characters: a
        // longer one would fail its record after the first step ran.
        if let Some(m) = migrations
            .iter()
            .find(|m| m.name.chars().count() > MAX_NAME_CHARS)
        {
            return Err(Error::Migration {
                version: Some(m.version),
                message: format!(
                    "the name is {} characters long; at most {MAX_NAME_CHARS} are kept",
                    m.name.chars().count()
                ),
            });
        }
        if let Some(w) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
            return Err(Error::Migration {
                version: Some(w[0].version),
                message: format!(
                    "two migrations have this version: {} and {}",
                    w[0].name, w[1].name
                ),
            });
        }
        Ok(Migrator { migrations })
    }

    /// The migrations, by version.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// Where the database stands: each migration pending, applied or
    /// stopped part-way, and the versions it has that this program does
    /// not know.
    ///
    /// # Failure
    /// Database errors reading the version table.
    pub fn status<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Status> {
        let conn = ex.conn()?;
        let records = if introspect_table(conn, VERSION_TABLE)?.is_some() {
            history::records(conn)?
        } else {
            Vec::new()
        };
        Ok(self.status_of(&records, conn.dialect()))
    }

    fn status_of(&self, records: &[Record], dialect: &dyn Dialect) -> Status {
        let entries = self
            .migrations
            .iter()
            .map(|m| {
                let record = records.iter().find(|r| r.version == m.version);
                let state = match record {
                    None => MigrationState::Pending,
                    Some(r) if r.in_flight != 0 => MigrationState::Interrupted {
                        steps_done: r.steps_done,
                        steps_total: r.steps_total,
                        step: r.steps_done + 1,
                        undoing: r.in_flight < 0,
                        in_step: interrupted_progress(m, r, dialect),
                    },
                    Some(r)
                        if r.steps_done >= r.steps_total
                            && r.units_done == 0
                            && r.error.is_none() =>
                    {
                        MigrationState::Applied
                    }
                    Some(r) => MigrationState::Partial {
                        steps_done: r.steps_done,
                        steps_total: r.steps_total,
                        error: r.error.clone(),
                        in_step: step_progress(m, r, dialect),
                    },
                };
                StatusEntry {
                    version: m.version,
                    name: m.name.clone(),
                    state,
                    edited: record.is_some_and(|r| r.checksum != checksum_at(m, r)),
                }
            })
            .collect();
        let unknown = records
            .iter()
            .filter(|r| !self.migrations.iter().any(|m| m.version == r.version))
            .map(|r| (r.version, r.name.clone()))
            .collect();
        Status { entries, unknown }
    }

    /// Applies every migration not applied yet, in version order, and
    /// finishes one that stopped part-way. Returns the versions applied.
    ///
    /// # Failure
    /// [`Error::Migration`] when the database holds a version this program
    /// does not know (it is newer than the code), when a migration does not
    /// fit the database (a step names a missing table or column), or when
    /// a step fails: the message names the migration, the step and the
    /// cause, and says what is left in the database (nothing, where DDL is
    /// transactional; the steps done, recorded for `status`, on MySQL).
    pub fn apply<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Vec<i64>> {
        let conn = outside_transaction(ex)?;
        with_lock(conn, |conn| {
            history::ensure(conn)?;
            let records = history::records(conn)?;
            self.refuse_unknown(&records, conn.dialect())?;
            refuse_interrupted(&records, &self.migrations, conn.dialect())?;
            self.refuse_out_of_order(&records)?;
            let mut applied = Vec::new();
            for (i, m) in self.migrations.iter().enumerate() {
                let record = records.iter().find(|r| r.version == m.version);
                match record {
                    Some(r)
                        if r.steps_done >= r.steps_total
                            && r.units_done == 0
                            && r.error.is_none() =>
                    {
                        continue
                    }
                    Some(r) => refuse_edited(m, r)?,
                    None => {}
                }
                let declared = replay(&DatabaseSchema::default(), &self.migrations[..i]).ok();
                if run_forward(conn, m, record, declared.as_ref())? {
                    applied.push(m.version);
                }
            }
            Ok(applied)
        })
    }

    /// Refuses a pending migration whose version is below one the database
    /// already has (merged from another branch after later ones ran):
    /// applied now it would run after them, and reverting in version order
    /// would undo them in the wrong order. Give it a version after the
    /// latest applied one.
    fn refuse_out_of_order(&self, records: &[Record]) -> Result<()> {
        let Some(latest) = records.iter().map(|r| r.version).max() else {
            return Ok(());
        };
        let pending = self
            .migrations
            .iter()
            .find(|m| m.version < latest && !records.iter().any(|r| r.version == m.version));
        match pending {
            None => Ok(()),
            Some(m) => Err(Error::Migration {
                version: Some(m.version),
                message: format!(
                    "`{}` is not applied, but the database already has the later version \
                     {latest}: give it a version after {latest}",
                    m.name
                ),
            }),
        }
    }

    /// Reverts the latest migration the database has (or undoes the steps
    /// done of one that stopped part-way), refusing when that would lose
    /// data: [`revert_with`](Migrator::revert_with) with
    /// [`RevertOptions::new`]. Returns its version, `None` when there was
    /// nothing to revert.
    ///
    /// # Failure
    /// As [`revert_with`](Migrator::revert_with).
    pub fn revert<E: Executor + ?Sized>(&self, ex: &mut E) -> Result<Option<i64>> {
        self.revert_with(ex, &RevertOptions::new())
    }

    /// Reverts the latest migration the database has (or undoes the steps
    /// done of one that stopped part-way). Returns its version, `None`
    /// when there was nothing to revert.
    ///
    /// A revert that would lose data is refused, naming each step and
    /// what it would lose, unless `options` allow data loss: undoing a
    /// step that added a column or table drops its values; undoing one
    /// that dropped a column or table brings it back without its values
    /// (NULL, its default, or no rows); undoing a widening narrows the
    /// column again. Judged before anything runs, on the database as it is.
    ///
    /// Only schema steps are judged: the `down` part of a hand-written SQL
    /// step (a `DROP TABLE`, a `DELETE`) runs as written, without consent.
    /// Narrowing integers or text lengths again asks none either, as it
    /// fails rather than change a value: integers are checked by athanor;
    /// text lengths by the database, which on MySQL refuses them only in
    /// strict mode (athanor's connections set `STRICT_ALL_TABLES`; a SQL
    /// step that changes `sql_mode` gives that up).
    ///
    /// # Failure
    /// As [`apply`](Migrator::apply); also when the migration has SQL steps
    /// without a `down` part, and when the revert would lose data and
    /// `options` do not allow it (nothing is reverted then).
    pub fn revert_with<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        options: &RevertOptions,
    ) -> Result<Option<i64>> {
        let conn = outside_transaction(ex)?;
        with_lock(conn, |conn| {
            history::ensure(conn)?;
            let records = history::records(conn)?;
            self.refuse_unknown(&records, conn.dialect())?;
            refuse_interrupted(&records, &self.migrations, conn.dialect())?;
            let Some(record) = records.last() else {
                return Ok(None);
            };
            let Some(i) = self
                .migrations
                .iter()
                .position(|m| m.version == record.version)
            else {
                return Ok(None);
            };
            let m = &self.migrations[i];
            refuse_edited(m, record)?;
            if !options.allows_data_loss() {
                let undo = undo_steps(m, record, conn.dialect())?;
                let lost = losses(conn, &undo)?;
                if !lost.is_empty() {
                    return Err(Error::Migration {
                        version: Some(m.version),
                        message: format!(
                            "reverting {} would lose data: {}; nothing was reverted (revert \
                             with RevertOptions::allow_data_loss, or the command line's \
                             `revert --allow-data-loss`, to accept that)",
                            m.name,
                            lost.join("; ")
                        ),
                    });
                }
            }
            // What the database holds before the revert, as declared.
            let declared = replay(&DatabaseSchema::default(), &self.migrations[..=i]).ok();
            run_backward(conn, m, record, declared.as_ref())?;
            Ok(Some(m.version))
        })
    }

    /// Says whether the unit that migration `version` had under way when it
    /// was interrupted ([`MigrationState::Interrupted`]: a step, or one
    /// statement of a hand-written SQL step, started and never recorded as
    /// ended) ran: check the database first (is the column there, did the
    /// rows change?). Afterwards `status` counts it as done (`ran`) or not,
    /// and `apply` and `revert` go on from there.
    ///
    /// # Failure
    /// [`Error::Migration`] when `version` is not a migration this program
    /// knows, has nothing under way, or was edited since it was applied
    /// (its steps are not the ones the database got; the record is left
    /// as it is); database errors.
    pub fn resolve<E: Executor + ?Sized>(&self, ex: &mut E, version: i64, ran: bool) -> Result<()> {
        let conn = outside_transaction(ex)?;
        with_lock(conn, |conn| {
            history::ensure(conn)?;
            let records = history::records(conn)?;
            let record = records.iter().find(|r| r.version == version);
            let m = self.migrations.iter().find(|m| m.version == version);
            let (Some(record), Some(m)) = (record, m) else {
                return Err(Error::Migration {
                    version: Some(version),
                    message: "nothing to resolve: the database has no such migration, or this \
                              program does not know it"
                        .into(),
                });
            };
            if record.in_flight == 0 {
                return Err(Error::Migration {
                    version: Some(version),
                    message: format!(
                        "nothing to resolve: {} has no step under way (status shows where it \
                         stands)",
                        m.name
                    ),
                });
            }
            // Resolved against an edited file, the record would take the
            // file's checksum and the edit would go unnoticed.
            refuse_edited(m, record)?;
            let next = resolved(m, record, ran, conn.dialect());
            if next.steps_done == 0 && next.units_done == 0 {
                // Nothing of it is in the database: it is pending again.
                history::remove(conn, version)
            } else {
                history::save(conn, &next)
            }
        })
    }

    /// The operations that bring the schema the migrations make to the
    /// models, for the next migration. When the migrations start from an
    /// empty database, they are compared with the models as declared (so
    /// that the file is the same whichever backend generated it: SQLite
    /// stores `i32` and `i64` alike, yet a change from one to the other is
    /// a step for PostgreSQL), after checking that the database is what
    /// they made; otherwise the database itself is compared, as
    /// [`generate`](super::generate) does.
    ///
    /// # Failure
    /// [`Error::Migration`] when a migration is not applied completely, or
    /// when the database differs from what its migrations made (changed by
    /// hand: the message lists what the migrations do not account for);
    /// otherwise as [`generate`](super::generate).
    pub fn generate<E: Executor + ?Sized>(
        &self,
        ex: &mut E,
        schema: &Schema,
        options: &DiffOptions,
    ) -> Result<Vec<Operation>> {
        let conn = ex.conn()?;
        if !self.status(&mut *conn)?.is_current() {
            return Err(Error::Migration {
                version: None,
                message: "the database is not at the newest migration: apply (or revert) \
                          first, then generate against it"
                    .into(),
            });
        }
        let history = if self.migrations.is_empty() {
            None
        } else {
            replay(&DatabaseSchema::default(), &self.migrations).ok()
        };
        let Some(history) = history else {
            return super::generate(conn, schema, options);
        };
        let options = super::with_model_hints(options, schema, &history);
        let dialect = conn.dialect();
        let live = introspect(&mut *conn)?.schema;
        let mut everything = DiffOptions::new().allow_data_loss(true);
        for t in &live.tables {
            if options.ignores(&t.name) {
                everything = everything.ignore_table(&t.name);
            }
        }
        let drift = diff(&live, &history, &everything, dialect)?;
        if !drift.is_empty() {
            let list: Vec<String> = drift.iter().map(|op| op.inverse().to_string()).collect();
            return Err(Error::Migration {
                version: None,
                message: format!(
                    "the database differs from what its migrations made (changed by hand?): \
                     {}; bring it back, or write those changes as a migration",
                    list.join("; ")
                ),
            });
        }
        let models = DatabaseSchema::from_schema(schema)?;
        diff(&history, &models, &options.clone().exact(), dialect)
    }

    fn refuse_unknown(&self, records: &[Record], dialect: &dyn Dialect) -> Result<()> {
        let newest = self.migrations.last().map_or(0, |m| m.version);
        let Some((v, name)) = self.status_of(records, dialect).unknown.first().cloned() else {
            return Ok(());
        };
        let why = if v > newest {
            "the database was migrated by a newer program"
        } else {
            "its file was removed or renamed since it was applied"
        };
        Err(Error::Migration {
            version: Some(v),
            message: format!(
                "the database has migration {v} ({name}), which this program does not know \
                 (its newest is {newest}): {why}"
            ),
        })
    }
}

/// The checksum of what the database should hold of `m` by its record.
fn checksum_at(m: &Migration, record: &Record) -> String {
    m.checksum_of(record.steps_touched())
}

/// Of a hand-written SQL step stopped part-way (or under way), which of its
/// statements the database holds.
fn step_progress(m: &Migration, r: &Record, dialect: &dyn Dialect) -> Option<StepProgress> {
    let step = usize::try_from(r.steps_done).ok()?;
    let Some(Step::Sql { up, .. }) = m.steps.get(step) else {
        return None;
    };
    let units = sql_units(up, dialect);
    let done = usize::try_from(r.units_done).unwrap_or(0).min(units.len());
    if units.len() < 2 && done == 0 {
        return None;
    }
    Some(StepProgress {
        step: r.steps_done + 1,
        statements_done: done as i64,
        statements_total: units.len() as i64,
        ran: units[..done].to_vec(),
    })
}

/// Of a step interrupted, the statements in the database before the one
/// under way; `None` when it was a schema step, or a SQL step undone whole
/// (its `down` part does not match its statements one for one).
fn interrupted_progress(m: &Migration, r: &Record, dialect: &dyn Dialect) -> Option<StepProgress> {
    let step = m.steps.get(usize::try_from(r.steps_done).ok()?)?;
    if r.in_flight < 0 && !undone_by_statement(step, dialect) {
        return None;
    }
    step_progress(m, r, dialect)
}

/// Refuses to go on while a unit's end is unknown.
fn refuse_interrupted(
    records: &[Record],
    migrations: &[Migration],
    dialect: &dyn Dialect,
) -> Result<()> {
    let Some(r) = records.iter().find(|r| r.in_flight != 0) else {
        return Ok(());
    };
    let sql_step = migrations
        .iter()
        .find(|m| m.version == r.version)
        .and_then(|m| interrupted_progress(m, r, dialect));
    Err(Error::MigrationInterrupted {
        version: r.version,
        step: r.steps_done + 1,
        statement: sql_step.map(|_| {
            if r.in_flight > 0 {
                r.units_done + 1
            } else {
                r.units_done
            }
        }),
        undoing: r.in_flight < 0,
    })
}

/// Refuses to undo or finish a migration whose steps are not the ones the
/// database got.
fn refuse_edited(m: &Migration, record: &Record) -> Result<()> {
    if record.checksum == checksum_at(m, record) {
        return Ok(());
    }
    Err(Error::Migration {
        version: Some(m.version),
        message: format!(
            "{} was edited after it was applied: its steps are not the ones the database got; \
             restore it as it was applied, and write changes as a new migration",
            m.name
        ),
    })
}

/// The description of the database after applying `migrations` to `start`,
/// without touching a database: what the migrations say the schema is.
///
/// # Failure
/// [`Error::Migration`] when a step does not fit the schema before it.
pub fn replay(start: &DatabaseSchema, migrations: &[Migration]) -> Result<DatabaseSchema> {
    let mut schema = start.clone();
    for m in migrations {
        for (i, step) in m.steps.iter().enumerate() {
            if let Step::Schema(op) = step {
                op.apply_to(&mut schema).map_err(|e| {
                    step_error(m.version, i + 1, m.steps.len(), step, &e, "does not fit")
                })?;
            }
        }
    }
    Ok(schema)
}
