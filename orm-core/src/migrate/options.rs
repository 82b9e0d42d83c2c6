//! What a diff may do beyond the safe changes: renames the user names,
//! data loss the user allows, tables left alone.

/// A column renamed between two schemas, named by the user: renames are
/// never guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The table.
    pub table: String,
    /// The column's old name.
    pub from: String,
    /// The column's new name.
    pub to: String,
}

/// What [`diff`](fn@crate::migrate::diff) may do beyond the safe changes.
///
/// ```
/// # use athanor_core::migrate::DiffOptions;
/// let options = DiffOptions::new()
///     .rename_column("albums", "NAME", "TITLE")
///     .ignore_table("audit_log")
///     .allow_data_loss(true);
/// assert_eq!(options.renames().len(), 1);
/// assert!(options.ignores("audit_log"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffOptions {
    renames: Vec<Rename>,
    allow_data_loss: bool,
    ignored: Vec<String>,
    /// Whether both sides are descriptions as declared (a migration
    /// history's and the models'), compared type for type rather than as a
    /// database stores them.
    exact: bool,
}

impl DiffOptions {
    /// Nothing beyond the safe changes: no renames, no data loss.
    pub fn new() -> Self {
        Self::default()
    }

    /// Says that column `from` of `table` is now called `to` (instead of a
    /// drop and an add, which would lose its values).
    pub fn rename_column(mut self, table: &str, from: &str, to: &str) -> Self {
        self.renames.push(Rename {
            table: table.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        });
        self
    }

    /// Allows operations that can lose data (drops, narrowing type
    /// changes, NOT NULL on a nullable column).
    pub fn allow_data_loss(mut self, allow: bool) -> Self {
        self.allow_data_loss = allow;
        self
    }

    /// Leaves table `name` alone: not created, changed or dropped (a table
    /// of another program sharing the database, which a diff would
    /// otherwise drop as missing from the models).
    pub fn ignore_table(mut self, name: &str) -> Self {
        self.ignored.push(name.to_owned());
        self
    }

    /// Compares declared types and case sensitivity as they are, not as
    /// a backend stores them: for two declared descriptions.
    pub(crate) fn exact(mut self) -> Self {
        self.exact = true;
        self
    }

    /// Whether declared types are compared as they are.
    pub(crate) fn is_exact(&self) -> bool {
        self.exact
    }

    /// Whether table `name` is left alone.
    pub fn ignores(&self, name: &str) -> bool {
        self.ignored.iter().any(|t| t == name)
    }

    /// The renames given.
    pub fn renames(&self) -> &[Rename] {
        &self.renames
    }

    /// Whether operations that can lose data are allowed.
    pub fn allows_data_loss(&self) -> bool {
        self.allow_data_loss
    }
}
