//! A migration: a version, a name and the steps that carry a database
//! from the version before to this one, and back.

use crate::error::{Error, Result};

use super::operation::Operation;

/// One step of a migration.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Step {
    /// A schema change, rendered for the database's dialect when applied.
    Schema(Operation),
    /// SQL written by hand (a data step between schema steps), with the
    /// SQL that undoes it (`None`: the migration cannot be reverted past
    /// this step). Identifiers written in standard `"double quotes"` are
    /// quoted for the database when it runs (backticks on MySQL), so one
    /// step serves every backend; everything else runs as written.
    Sql {
        /// What runs when the migration is applied.
        up: String,
        /// What runs when it is reverted.
        down: Option<String>,
    },
}

impl Step {
    /// The step that undoes this one, `None` for SQL without a `down`.
    pub fn inverse(&self) -> Option<Step> {
        match self {
            Step::Schema(op) => Some(Step::Schema(op.inverse())),
            Step::Sql { up, down } => down.as_ref().map(|down| Step::Sql {
                up: down.clone(),
                down: Some(up.clone()),
            }),
        }
    }

    /// What the step loses, when it can lose data.
    pub fn data_loss(&self) -> Option<String> {
        match self {
            Step::Schema(op) => op.data_loss(),
            Step::Sql { .. } => None,
        }
    }
}

/// A versioned migration.
///
/// ```
/// # use athanor_core::migrate::{Migration, Operation, ColumnSchema};
/// # use athanor_core::ColumnType;
/// let m = Migration::new(2, "album year")
///     .operation(Operation::AddColumn {
///         table: "albums".into(),
///         column: ColumnSchema::new("year", ColumnType::Integer),
///         fill: None,
///     })
///     .sql("UPDATE albums SET year = 2000", Some("UPDATE albums SET year = NULL"));
/// assert_eq!(m.steps.len(), 2);
/// assert_eq!(m.down().unwrap().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The version: migrations apply in increasing version order.
    pub version: i64,
    /// A short name, for people.
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Migration {
    /// A migration with no steps yet.
    pub fn new(version: i64, name: impl Into<String>) -> Self {
        Migration {
            version,
            name: name.into(),
            steps: Vec::new(),
        }
    }

    /// A migration of schema operations (as [`diff`](super::diff) gives them).
    pub fn from_operations(
        version: i64,
        name: impl Into<String>,
        operations: impl IntoIterator<Item = Operation>,
    ) -> Self {
        Migration {
            version,
            name: name.into(),
            steps: operations.into_iter().map(Step::Schema).collect(),
        }
    }

    /// Adds a schema step.
    pub fn operation(mut self, op: Operation) -> Self {
        self.steps.push(Step::Schema(op));
        self
    }

    /// Adds a hand-written SQL step and the SQL that undoes it.
    pub fn sql(mut self, up: impl Into<String>, down: Option<&str>) -> Self {
        self.steps.push(Step::Sql {
            up: up.into(),
            down: down.map(str::to_owned),
        });
        self
    }

    /// A digest (FNV-1a 64, in 16 hex digits: fixed for good, as version
    /// tables keep it) of the migration's steps as its file writes them
    /// (comments and layout aside): the version table keeps it, so that a file edited
    /// after it was applied is noticed.
    pub fn checksum(&self) -> String {
        self.checksum_of(self.steps.len())
    }

    /// The digest of the version, the name and the first `done` steps: what
    /// a database holds of a migration that stopped part-way.
    pub fn checksum_of(&self, done: usize) -> String {
        let head = Migration {
            version: self.version,
            name: self.name.clone(),
            steps: self.steps[..done.min(self.steps.len())].to_vec(),
        };
        // Persisted: a stable hash (FNV-1a 64), never the in-memory one.
        let mut h = crate::stable_hash::StableHash::new();
        for line in head.to_text().lines().filter(|l| !l.starts_with('#')) {
            h.write(line.as_bytes());
            h.write(b"\n");
        }
        format!("{:016x}", h.finish())
    }

    /// The steps that undo the first `done` steps, last first.
    ///
    /// # Failure
    /// [`Error::Migration`] when one of them is SQL without a `down`.
    pub fn down_of(&self, done: usize) -> Result<Vec<Step>> {
        self.steps[..done.min(self.steps.len())]
            .iter()
            .enumerate()
            .rev()
            .map(|(i, step)| {
                step.inverse().ok_or_else(|| Error::Migration {
                    version: Some(self.version),
                    message: format!(
                        "step {} is SQL without a down part: the migration cannot be reverted",
                        i + 1
                    ),
                })
            })
            .collect()
    }

    /// The steps that undo the whole migration, last first.
    ///
    /// # Failure
    /// As [`down_of`](Migration::down_of).
    pub fn down(&self) -> Result<Vec<Step>> {
        self.down_of(self.steps.len())
    }
}
