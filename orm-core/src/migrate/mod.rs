//! Schema migrations: from changed models to a changed live database, on
//! every backend, never silently losing data.
//!
//! - [`introspect`] reads a live database into a [`DatabaseSchema`], the
//!   same description [`DatabaseSchema::from_schema`] makes of the models.
//! - [`diff`] turns one description into another as backend-neutral
//!   [`Operation`]s; renames come only from [`DiffOptions::rename_column`],
//!   and operations that can lose data only with
//!   [`DiffOptions::allow_data_loss`].
//! - A [`Migration`] is a version, a name and [`Step`]s (operations, and
//!   SQL written by hand), saved as a file ([`Migration::to_text`],
//!   [`parse`]); [`Migrator`] generates the next one from the models,
//!   applies and reverts migrations and reports their [`Status`],
//!   recording them in the table [`VERSION_TABLE`]; [`cli`] is the
//!   command-line front end. On PostgreSQL and SQLite a migration runs in one
//!   transaction; MySQL commits schema changes at once, so progress is
//!   recorded after every step (and every statement of a hand-written SQL
//!   step), with a "started" marker before each: a migration that stopped
//!   part-way is finished by `apply` or undone by `revert`, and one whose
//!   process died between a change and its record is
//!   [`MigrationState::Interrupted`] until [`Migrator::resolve`] is told.
//!   `revert` refuses to lose data without [`RevertOptions`] allowing it.
//! - SQLite cannot alter columns or constraints: such changes rebuild the
//!   table (new table, rows copied, old dropped, new renamed, indexes made
//!   again), keeping every row, index and foreign key.
//!
//! ```
//! # use athanor_core::migrate::{self, DiffOptions, Migration, Migrator};
//! # fn demo(conn: &mut athanor_core::Conn, schema: &athanor_core::Schema) -> athanor_core::Result<()> {
//! let ops = migrate::generate(conn, schema, &DiffOptions::new())?;
//! let migrator = Migrator::new(vec![Migration::from_operations(1, "initial", ops)])?;
//! migrator.apply(conn)?;
//! assert!(migrator.status(conn)?.is_current());
//! # Ok(())
//! # }
//! ```

mod apply;
pub mod cli;
pub(crate) mod ddl;
mod description;
mod diff;
pub(crate) mod file;
mod history;
pub(crate) mod introspect;
mod key_check;
mod lock;
mod migration;
mod operation;
mod options;
mod parse;
mod quoting;
mod rebuild;
mod render;
mod revert_loss;
mod run;
mod split;
mod steps;
#[cfg(test)]
mod tests;
mod token;

pub use apply::{replay, Migrator};
pub use description::{
    ColumnSchema, DatabaseSchema, DefaultSpec, ForeignKeySchema, IndexSchema, TableSchema,
};
pub use diff::{diff, DiffOptions, Rename};
pub use history::{MigrationState, Status, StatusEntry, StepProgress, VERSION_TABLE};
pub use introspect::{introspect, parse_default, Introspection};
pub use migration::{Migration, Step};
pub use operation::Operation;
pub use parse::parse;
pub use render::render_operation;
pub use revert_loss::RevertOptions;

use crate::conn::Executor;
use crate::error::Result;
use crate::schema::Schema;

/// The operations that bring the connection's database to the schema's
/// models: [`introspect`] and [`diff`] in one call.
///
/// # Failure
/// As [`introspect`] and [`diff`].
pub fn generate<E: Executor + ?Sized>(
    ex: &mut E,
    schema: &Schema,
    options: &DiffOptions,
) -> Result<Vec<Operation>> {
    let conn = ex.conn()?;
    let live = introspect(&mut *conn)?.schema;
    let models = DatabaseSchema::from_schema(schema)?;
    let options = with_model_hints(options, schema, &live);
    diff(&live, &models, &options, conn.dialect())
}

/// `options` with the renames the models declare (`#[orm(renamed_from =
/// "OLD")]`) that `current` has still to undergo: its table has the old
/// column and not the new one. Once applied, the attribute is a no-op.
pub(crate) fn with_model_hints(
    options: &DiffOptions,
    schema: &Schema,
    current: &DatabaseSchema,
) -> DiffOptions {
    let mut out = options.clone();
    for def in schema.tables() {
        let Some(table) = current.table(def.name) else {
            continue;
        };
        for col in def.columns {
            let Some(old) = col.renamed_from else {
                continue;
            };
            let hinted = options
                .renames()
                .iter()
                .any(|r| r.table == def.name && (r.to == col.name || r.from == old));
            if !hinted && table.column(old).is_some() && table.column(col.name).is_none() {
                out = out.rename_column(def.name, old, col.name);
            }
        }
    }
    out
}
