//! Foreign keys, which DuckDB checks without seeing the open transaction
//! and whose actions (`ON DELETE CASCADE`, `SET NULL`) it refuses in DDL,
//! emulated so that writes answer as on the other backends.
//!
//! As a table is created, its single-column foreign keys are taken out of
//! the DDL and noted in `athanor_duckdb.fk_actions`, in the database: every
//! connection and every later process sees them. A write to a child table is then
//! checked for orphans, and a `DELETE FROM "t" ...` first deletes
//! (CASCADE) or clears (SET NULL) the rows that reference the rows it
//! deletes, children before parents, in the delete's transaction; a
//! table's references to its own rows are cleared or checked after it.

use athanor_core::{Error, Result};

/// The table the actions are noted in (a schema of its own keeps it out of
/// the user's tables).
pub(crate) const SETUP: &str = "CREATE SCHEMA IF NOT EXISTS athanor_duckdb; \
     CREATE TABLE IF NOT EXISTS athanor_duckdb.fk_actions (\
     child_table VARCHAR NOT NULL, child_column VARCHAR NOT NULL, \
     parent_table VARCHAR NOT NULL, parent_column VARCHAR NOT NULL, \
     action VARCHAR NOT NULL, PRIMARY KEY (child_table, child_column))";

/// Whether the table of actions exists.
pub(crate) const EXISTS: &str = "SELECT count(*) FROM duckdb_tables() \
     WHERE schema_name = 'athanor_duckdb' AND table_name = 'fk_actions'";

/// The actions on the rows of a parent table: child table, child column,
/// parent column, action.
pub(crate) const OF_PARENT: &str = "SELECT child_table, child_column, parent_column, action \
     FROM athanor_duckdb.fk_actions WHERE lower(parent_table) = lower(?) \
     ORDER BY child_table, child_column";

/// The keys with actions of a child table: column, parent table, parent column.
pub(crate) const OF_CHILD: &str = "SELECT child_column, parent_table, parent_column \
     FROM athanor_duckdb.fk_actions WHERE lower(child_table) = lower(?) ORDER BY child_column";

/// The query finding one orphan of a key with an action: `{c}` the child's
/// column, `{t}` the child table, `{p}` the parent table, `{k}` its key (all
/// quoted).
///
/// `NOT EXISTS`, not `NOT IN`: a NULL among the parent's keys (a nullable
/// unique column) would make `NOT IN` true for no row at all.
pub(crate) fn orphans_sql(child: &str, column: &str, parent: &str, key: &str) -> String {
    let mut sql = String::from("SELECT 1 FROM ");
    quoted(child, &mut sql);
    sql.push_str(" AS athanor_child WHERE athanor_child.");
    quoted(column, &mut sql);
    sql.push_str(" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ");
    quoted(parent, &mut sql);
    sql.push_str(" AS athanor_parent WHERE athanor_parent.");
    quoted(key, &mut sql);
    sql.push_str(" = athanor_child.");
    quoted(column, &mut sql);
    sql.push_str(") LIMIT 1");
    sql
}

/// The table an `INSERT INTO` or `UPDATE` statement writes to.
pub(crate) fn written_table(sql: &str) -> Option<String> {
    let rest = keyword(sql, "INSERT INTO ").or_else(|| keyword(sql, "UPDATE "))?;
    ident(rest).map(|(name, _)| name)
}

/// Forgets a dropped table's actions.
pub(crate) const FORGET: &str =
    "DELETE FROM athanor_duckdb.fk_actions WHERE lower(child_table) = lower(?)";

/// Notes one action (a table created again with IF NOT EXISTS notes it again).
pub(crate) const NOTE: &str = "INSERT INTO athanor_duckdb.fk_actions \
     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

/// An action taken out of a `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Action {
    pub(crate) child_table: String,
    pub(crate) child_column: String,
    pub(crate) parent_table: String,
    pub(crate) parent_column: String,
    /// `CASCADE` or `SET NULL`.
    pub(crate) action: &'static str,
}

/// Reads a (possibly double-quoted) identifier at the start of `s`: the
/// name and the text after it.
pub(crate) fn ident(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(quoted) = s.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    chars.next();
                } else {
                    return Some((name, &quoted[i + 1..]));
                }
            }
            name.push(c);
        }
        None
    } else {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        (end > 0).then(|| (s[..end].to_owned(), &s[end..]))
    }
}

/// `(a, b)` at the start of `s`: the names and the text after.
fn ident_list(s: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = s.trim_start().strip_prefix('(')?;
    let mut names = Vec::new();
    loop {
        let (name, after) = ident(rest)?;
        names.push(name);
        let after = after.trim_start();
        if let Some(after) = after.strip_prefix(',') {
            rest = after;
        } else {
            return Some((names, after.strip_prefix(')')?));
        }
    }
}

/// Strips the words of `prefix` (ASCII, any case, each a whole word, any
/// white space before and between them) from `s`; when `prefix` ends with a
/// space, the white space after it too.
pub(crate) fn keyword<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let mut rest = s;
    for word in prefix.split_whitespace() {
        rest = rest.trim_start();
        let head = rest.get(..word.len())?;
        if !head.eq_ignore_ascii_case(word) {
            return None;
        }
        rest = &rest[word.len()..];
        if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            return None;
        }
    }
    Some(if prefix.ends_with(' ') {
        rest.trim_start()
    } else {
        rest
    })
}

/// The first word of a statement, upper-cased (`DELETE`, `TRUNCATE`...).
pub(crate) fn first_word(sql: &str) -> String {
    sql.trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// The table a `TRUNCATE [TABLE]` statement empties.
pub(crate) fn truncated_table(sql: &str) -> Option<String> {
    let rest = keyword(sql, "TRUNCATE ")?;
    let rest = keyword(rest, "TABLE ").unwrap_or(rest);
    ident(rest).map(|(name, _)| name)
}

/// The table a `CREATE TABLE [IF NOT EXISTS]` statement creates.
fn created_table(sql: &str) -> Option<String> {
    let rest = keyword(sql, "CREATE TABLE ")?;
    let rest = keyword(rest, "IF NOT EXISTS ").unwrap_or(rest);
    ident(rest).map(|(name, _)| name)
}

/// The table a `DROP TABLE [IF EXISTS]` statement drops.
pub(crate) fn dropped_table(sql: &str) -> Option<String> {
    let rest = keyword(sql, "DROP TABLE ")?;
    let rest = keyword(rest, "IF EXISTS ").unwrap_or(rest);
    let (name, after) = ident(rest)?;
    // One table, nothing after but CASCADE/RESTRICT or a semicolon.
    (!after.trim_start().starts_with(',')).then_some(name)
}

/// A `CREATE TABLE` with its `ON DELETE CASCADE`/`SET NULL` clauses taken
/// out, and those actions; `None` when it has none (nothing to change).
///
/// # Failure
/// [`Error::Unsupported`] for an action on a foreign key of several
/// columns, which is not emulated.
pub(crate) fn take_actions(sql: &str) -> Result<Option<(String, Vec<Action>)>> {
    let Some(child_table) = created_table(sql) else {
        return Ok(None);
    };
    let mut out = String::with_capacity(sql.len());
    let mut actions = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find(" ON DELETE ") {
        let (before, after) = rest.split_at(at);
        let after = &after[" ON DELETE ".len()..];
        let taken = [
            ("CASCADE", "CASCADE"),
            ("SET NULL", "SET NULL"),
            ("NO ACTION", "RESTRICT"),
            ("RESTRICT", "RESTRICT"),
        ]
        .into_iter()
        .find_map(|(words, action)| keyword(after, words).map(|r| (Some(action), r)));
        let Some((action, after_action)) = taken else {
            out.push_str(before);
            out.push_str(" ON DELETE ");
            rest = after;
            continue;
        };
        // DuckDB refuses every ON DELETE clause; its keys restrict.
        rest = after_action;
        let Some(action) = action else {
            out.push_str(before);
            continue;
        };
        // A key with an action is not declared to DuckDB at all: DuckDB
        // checks a parent's delete against its children's index as it was
        // before the transaction, so children deleted (or cleared) first in
        // the same transaction would still be seen. The backend checks
        // such keys itself (`ORPHANS`).
        let key = before
            .rfind("FOREIGN KEY")
            .and_then(|i| ident_list(&before[i + "FOREIGN KEY".len()..]))
            .and_then(|(cols, after)| {
                let after = keyword(after, "REFERENCES ")?;
                let (parent, after) = ident(after)?;
                let (ref_cols, _) = ident_list(after)?;
                Some((cols, parent, ref_cols))
            })
            .filter(|(cols, _, ref_cols)| cols.len() == 1 && ref_cols.len() == 1);
        let Some((cols, parent_table, ref_cols)) = key else {
            if action == "RESTRICT" {
                // Left to DuckDB (its keys restrict).
                out.push_str(before);
                continue;
            }
            return Err(Error::Unsupported {
                backend: "duckdb",
                capability: format!(
                    "ON DELETE {action} on a foreign key of several columns ({child_table})"
                ),
            });
        };
        let start = before
            .rfind(", CONSTRAINT ")
            .filter(|&i| before[i..].contains("FOREIGN KEY"))
            .unwrap_or(before.len());
        out.push_str(&before[..start]);
        actions.push(Action {
            child_table: child_table.clone(),
            child_column: cols[0].clone(),
            parent_table,
            parent_column: ref_cols[0].clone(),
            action,
        });
    }
    if out.is_empty() {
        return Ok(None);
    }
    out.push_str(rest);
    Ok(Some((out, actions)))
}

/// A `DELETE FROM "t" [WHERE ...]`: the table and the condition (`None`:
/// every row). `None` for any other statement.
pub(crate) fn parsed_delete(sql: &str) -> Option<(String, Option<&str>)> {
    let rest = keyword(sql, "DELETE FROM ")?;
    let (table, after) = ident(rest)?;
    let after = after.trim();
    if after.is_empty() {
        return Some((table, None));
    }
    let condition = keyword(after, "WHERE ")?;
    // One statement only: a batch is left to DuckDB as it is.
    (!condition.contains(';')).then_some((table, Some(condition)))
}

/// Whether `text` holds `name` as a whole word, in any case (quoted or not).
fn names(text: &str, name: &str) -> bool {
    let (text, name) = (text.to_lowercase(), name.to_lowercase());
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// One statement of a planned delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Run before the delete, with the delete's parameters.
    Before(String),
    /// A query run before the delete, with the delete's parameters: a row
    /// found refuses the delete.
    RefuseIfFound(String),
    /// Run after the delete, without parameters: clears a table's
    /// references to its own deleted rows.
    After(String),
    /// Checked after the delete: a row of `table` whose `column` finds no
    /// row of `table` by `key` refuses the delete.
    RefuseOrphans {
        table: String,
        column: String,
        key: String,
    },
}

/// One noted action on a parent's rows.
pub(crate) struct Noted {
    pub(crate) child_table: String,
    pub(crate) child_column: String,
    pub(crate) parent_column: String,
    pub(crate) action: String,
}

/// Writes `ident` double-quoted.
fn quoted(ident: &str, out: &mut String) {
    out.push('"');
    out.push_str(&ident.replace('"', "\"\""));
    out.push('"');
}

/// Sets to NULL every `column` of `table` that finds no row of `table` by
/// `key`: after a delete, exactly the references to the deleted rows.
fn dangling_cleared_sql(table: &str, column: &str, key: &str) -> String {
    let mut sql = String::from("UPDATE ");
    quoted(table, &mut sql);
    sql.push_str(" SET ");
    quoted(column, &mut sql);
    sql.push_str(" = NULL WHERE ");
    quoted(column, &mut sql);
    sql.push_str(" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ");
    quoted(table, &mut sql);
    sql.push_str(" AS athanor_parent WHERE athanor_parent.");
    quoted(key, &mut sql);
    sql.push_str(" = ");
    quoted(table, &mut sql);
    sql.push('.');
    quoted(column, &mut sql);
    sql.push(')');
    sql
}

/// The statements that apply the actions on the rows of `table` that
/// `condition` selects (every row when `None`), deepest first; `actions`
/// answers a table's noted actions. Each statement run before the delete
/// holds `condition` once, so each takes the delete's own parameters.
///
/// A table's references to its own rows are cleared (SET NULL) or checked
/// (RESTRICT) after the delete, not before: the delete's condition must
/// see the rows as they were, and a row deleted together with the rows
/// that reference it is no violation (as on the other backends, which
/// check at the end of the statement).
///
/// # Failure
/// [`Error::Unsupported`] for a cascade through a cycle of tables (a table
/// that cascades to itself), which is not emulated, and for a condition
/// that reads a table a cascade or SET NULL changes first.
pub(crate) fn plan(
    table: &str,
    condition: Option<&str>,
    actions: &mut dyn FnMut(&str) -> Result<Vec<Noted>>,
    path: &mut Vec<String>,
    out: &mut Vec<Step>,
) -> Result<()> {
    for noted in actions(table)? {
        let own_rows = noted.child_table.eq_ignore_ascii_case(table);
        if own_rows && noted.action != "CASCADE" {
            out.push(if noted.action == "SET NULL" {
                Step::After(dangling_cleared_sql(
                    table,
                    &noted.child_column,
                    &noted.parent_column,
                ))
            } else {
                Step::RefuseOrphans {
                    table: table.to_owned(),
                    column: noted.child_column,
                    key: noted.parent_column,
                }
            });
            continue;
        }
        let mut selected = String::new();
        quoted(&noted.child_column, &mut selected);
        selected.push_str(" IN (SELECT ");
        quoted(&noted.parent_column, &mut selected);
        selected.push_str(" FROM ");
        quoted(table, &mut selected);
        if let Some(c) = condition {
            selected.push_str(" WHERE ");
            selected.push_str(c);
        }
        selected.push(')');
        let mut sql = String::new();
        if noted.action == "RESTRICT" {
            // A check, run before the delete: a row found refuses it. It
            // changes nothing, so the condition may read any table.
            sql.push_str("SELECT 1 FROM ");
            quoted(&noted.child_table, &mut sql);
            sql.push_str(" WHERE ");
            sql.push_str(&selected);
            sql.push_str(" LIMIT 1");
            out.push(Step::RefuseIfFound(sql));
            continue;
        }
        if let Some(c) = condition.filter(|_| !own_rows) {
            if names(c, &noted.child_table) {
                return Err(Error::Unsupported {
                    backend: "duckdb",
                    capability: format!(
                        "a DELETE from {table} whose condition reads {}, which the emulated \
                         foreign-key action changes first (delete by key instead)",
                        noted.child_table
                    ),
                });
            }
        }
        if noted.action == "SET NULL" {
            sql.push_str("UPDATE ");
            quoted(&noted.child_table, &mut sql);
            sql.push_str(" SET ");
            quoted(&noted.child_column, &mut sql);
            sql.push_str(" = NULL WHERE ");
            sql.push_str(&selected);
            out.push(Step::Before(sql));
            continue;
        }
        if own_rows
            || path
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&noted.child_table))
        {
            return Err(Error::Unsupported {
                backend: "duckdb",
                capability: format!(
                    "ON DELETE CASCADE through a cycle of tables ({} to {})",
                    table, noted.child_table
                ),
            });
        }
        path.push(table.to_owned());
        plan(&noted.child_table, Some(&selected), actions, path, out)?;
        path.pop();
        sql.push_str("DELETE FROM ");
        quoted(&noted.child_table, &mut sql);
        sql.push_str(" WHERE ");
        sql.push_str(&selected);
        out.push(Step::Before(sql));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps `plan` gives for a delete from `table`.
    fn planned(
        table: &str,
        condition: Option<&str>,
        actions: &mut dyn FnMut(&str) -> Result<Vec<Noted>>,
    ) -> Result<Vec<Step>> {
        let mut out = Vec::new();
        plan(table, condition, actions, &mut Vec::new(), &mut out)?;
        Ok(out)
    }

    /// An action on the rows of a parent keyed by `id`.
    fn noted(child_table: &str, child_column: &str, action: &str) -> Noted {
        Noted {
            child_table: child_table.into(),
            child_column: child_column.into(),
            parent_column: "id".into(),
            action: action.into(),
        }
    }

    #[test]
    fn actions_are_taken_out_of_create_table() {
        let sql = "CREATE TABLE IF NOT EXISTS \"albums\" (\"id\" BIGINT, \"artist_id\" BIGINT, \
             CONSTRAINT \"fk\" FOREIGN KEY (\"artist_id\") REFERENCES \"artists\" (\"id\") ON DELETE CASCADE, \
             CONSTRAINT \"fk2\" FOREIGN KEY (\"x\") REFERENCES \"labels\" (\"id\") ON DELETE RESTRICT)";
        let (ddl, actions) = take_actions(sql).unwrap().unwrap();
        assert!(!ddl.contains("ON DELETE"), "{ddl}");
        assert!(!ddl.contains("\"fk\""), "{ddl}");
        assert!(ddl.ends_with("\"artist_id\" BIGINT)"), "{ddl}");
        assert_eq!(
            actions,
            [
                Action {
                    child_table: "albums".into(),
                    child_column: "artist_id".into(),
                    parent_table: "artists".into(),
                    parent_column: "id".into(),
                    action: "CASCADE",
                },
                Action {
                    child_table: "albums".into(),
                    child_column: "x".into(),
                    parent_table: "labels".into(),
                    parent_column: "id".into(),
                    action: "RESTRICT",
                }
            ]
        );
        assert_eq!(take_actions("CREATE TABLE t (a INT)").unwrap(), None);
    }

    #[test]
    fn statements_are_read_across_lines_and_cases() {
        assert_eq!(
            parsed_delete("delete\n  from \"a\"\n where \"id\" = ?"),
            Some(("a".into(), Some("\"id\" = ?")))
        );
        assert_eq!(keyword("DELETEFROM t", "DELETE "), None);
        assert_eq!(keyword("INSERT INTOx", "INSERT INTO "), None);
        assert_eq!(truncated_table("TRUNCATE TABLE \"a\""), Some("a".into()));
        assert_eq!(truncated_table("truncate a"), Some("a".into()));
        assert_eq!(first_word("  delete from a"), "DELETE");
        assert!(names("\"id\" IN (SELECT x FROM \"Tracks\")", "tracks"));
        assert!(!names("select \"c_id\" from \"a\"", "c"));
    }

    #[test]
    fn a_delete_reading_a_table_its_actions_change_is_refused() {
        let mut actions = |t: &str| {
            Ok(match t {
                "albums" => vec![noted("tracks", "album_id", "CASCADE")],
                _ => vec![],
            })
        };
        let condition = "\"id\" IN (SELECT \"album_id\" FROM \"tracks\")";
        let err = planned("albums", Some(condition), &mut actions).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    }

    #[test]
    fn a_table_s_references_to_itself_are_handled_after_the_delete() {
        let mut actions = |t: &str| {
            Ok(match t {
                "employees" => vec![
                    noted("Employees", "manager_id", "SET NULL"),
                    noted("employees", "mentor_id", "RESTRICT"),
                ],
                _ => vec![],
            })
        };
        // The query builder names the table in its condition: not refused.
        let condition = "\"employees\".\"manager_id\" IS NULL";
        assert_eq!(
            planned("employees", Some(condition), &mut actions).unwrap(),
            [
                Step::After(
                    "UPDATE \"employees\" SET \"manager_id\" = NULL WHERE \"manager_id\" IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM \"employees\" AS athanor_parent WHERE \
                     athanor_parent.\"id\" = \"employees\".\"manager_id\")"
                        .into()
                ),
                Step::RefuseOrphans {
                    table: "employees".into(),
                    column: "mentor_id".into(),
                    key: "id".into(),
                },
            ]
        );
    }

    #[test]
    fn deletes_are_read() {
        assert_eq!(
            parsed_delete("DELETE FROM \"a\" WHERE \"id\" = ?"),
            Some(("a".into(), Some("\"id\" = ?")))
        );
        assert_eq!(parsed_delete("DELETE FROM t"), Some(("t".into(), None)));
        assert_eq!(parsed_delete("SELECT 1"), None);
    }

    #[test]
    fn a_cascade_deletes_grandchildren_first() {
        let mut actions = |t: &str| {
            Ok(match t {
                "a" => vec![noted("b", "a_id", "CASCADE")],
                "b" => vec![noted("c", "b_id", "SET NULL")],
                _ => vec![],
            })
        };
        assert_eq!(
            planned("a", Some("\"id\" = ?"), &mut actions).unwrap(),
            [
                Step::Before(
                    "UPDATE \"c\" SET \"b_id\" = NULL WHERE \"b_id\" IN (SELECT \"id\" FROM \"b\" \
                     WHERE \"a_id\" IN (SELECT \"id\" FROM \"a\" WHERE \"id\" = ?))"
                        .into()
                ),
                Step::Before(
                    "DELETE FROM \"b\" WHERE \"a_id\" IN (SELECT \"id\" FROM \"a\" WHERE \"id\" = ?)"
                        .into()
                ),
            ]
        );
    }
}
