//! What a statement written by the program does to the transaction and the
//! session, read from its leading keywords: enough to keep athanor's idea
//! of the transaction in step with the server's.

/// How a statement touches the transaction around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatementKind {
    /// Opens a transaction: `BEGIN`, `START TRANSACTION`, MySQL's
    /// `SET autocommit = 0`, and `COMMIT`/`ROLLBACK ... AND CHAIN` (which
    /// end one and open the next).
    Begin,
    /// Ends the transaction: `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO`
    /// a savepoint), `ABORT`, `PREPARE TRANSACTION`, MySQL's
    /// `SET autocommit = 1`.
    End,
    /// A statement MySQL/MariaDB end the open transaction for (they commit
    /// it first): DDL, account, lock and replication management.
    CommitsImplicitly,
    /// A read that changes neither the transaction nor the session.
    Read,
    /// Anything else (writes, settings, savepoints).
    Other,
}

/// The kind of each statement in `sql`, split at semicolons outside
/// quotes, comments and routine bodies.
pub(crate) fn statement_kinds(sql: &str) -> impl Iterator<Item = StatementKind> + '_ {
    // Text without a semicolon is one statement (none when empty): the walk
    // through its quotes and comments, on every raw query, is skipped.
    let mut whole = (!sql.contains(';') && !sql.is_empty()).then_some(sql);
    let mut parts = whole.is_none().then(|| split_statements(sql));
    std::iter::from_fn(move || match parts.as_mut() {
        Some(parts) => parts.next(),
        None => whole.take(),
    })
    .map(statement_kind)
}

/// How many statements `sql` holds (at least one), split at semicolons
/// outside quotes, comments and routine bodies: a server that times each
/// statement of a batch on its own may take this many statement timeouts
/// to answer it.
pub fn statement_count(sql: &str) -> usize {
    split_statements(sql)
        .filter(|s| !s.trim().is_empty())
        .count()
        .max(1)
}

/// Words of a statement that name what it does to the transaction.
const IMPLICIT: [&str; 17] = [
    "ALTER",
    "CREATE",
    "DROP",
    "RENAME",
    "TRUNCATE",
    "GRANT",
    "REVOKE",
    "LOCK",
    "UNLOCK",
    "ANALYZE",
    "OPTIMIZE",
    "REPAIR",
    "FLUSH",
    "INSTALL",
    "UNINSTALL",
    "CACHE",
    "RESET",
];

/// The kind of one statement.
pub(crate) fn statement_kind(sql: &str) -> StatementKind {
    let words: Vec<&str> = leading_words(sql).take(6).collect();
    let word = |n: usize| words.get(n).copied().unwrap_or_default();
    let is = |n: usize, k: &str| word(n).eq_ignore_ascii_case(k);
    let chained = || {
        words
            .windows(2)
            .any(|w| w[0].eq_ignore_ascii_case("AND") && w[1].eq_ignore_ascii_case("CHAIN"))
    };
    // `WORK` / `TRANSACTION` may follow COMMIT, ROLLBACK, BEGIN.
    let noise = usize::from(is(1, "WORK") || is(1, "TRANSACTION"));
    match word(0).to_ascii_uppercase().as_str() {
        "BEGIN" | "START" if is(0, "BEGIN") || is(1, "TRANSACTION") => StatementKind::Begin,
        "COMMIT" | "END" | "ABORT" if chained() => StatementKind::Begin,
        "COMMIT" | "END" | "ABORT" => StatementKind::End,
        "ROLLBACK" if is(1 + noise, "TO") => StatementKind::Other,
        "ROLLBACK" if chained() => StatementKind::Begin,
        "ROLLBACK" => StatementKind::End,
        "PREPARE" if is(1, "TRANSACTION") => StatementKind::End,
        "SET" => set_kind(&words),
        "SELECT" | "WITH" | "SHOW" | "EXPLAIN" | "VALUES" | "TABLE" | "DESCRIBE" | "DESC" => {
            StatementKind::Read
        }
        // Temporary tables are the exception MySQL documents.
        "CREATE" | "DROP" if words.iter().take(4).any(|w| is_temporary(w)) => StatementKind::Other,
        // MariaDB's ANALYZE of a statement runs it; DROP PREPARE frees a
        // prepared statement.
        "ANALYZE" if ["SELECT", "UPDATE", "DELETE"].iter().any(|k| is(1, k)) => {
            StatementKind::Other
        }
        "DROP" if is(1, "PREPARE") => StatementKind::Other,
        "LOAD" if is(1, "INDEX") => StatementKind::CommitsImplicitly,
        "START" | "STOP" if is(1, "REPLICA") || is(1, "SLAVE") => StatementKind::CommitsImplicitly,
        "CHANGE" if is(1, "MASTER") || is(1, "REPLICATION") => StatementKind::CommitsImplicitly,
        first if IMPLICIT.contains(&first) => StatementKind::CommitsImplicitly,
        _ => StatementKind::Other,
    }
}

fn is_temporary(word: &str) -> bool {
    word.eq_ignore_ascii_case("TEMPORARY") || word.eq_ignore_ascii_case("TEMP")
}

/// `SET autocommit = 0|1` opens or ends a transaction on MySQL;
/// `SET PASSWORD` commits implicitly; other settings are `Other`.
fn set_kind(words: &[&str]) -> StatementKind {
    let mut rest = words.iter().skip(1).copied();
    let mut name = rest.next().unwrap_or_default();
    if ["SESSION", "LOCAL", "GLOBAL"]
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s))
    {
        name = rest.next().unwrap_or_default();
    }
    if name.eq_ignore_ascii_case("PASSWORD") {
        return StatementKind::CommitsImplicitly;
    }
    if !name.eq_ignore_ascii_case("autocommit") {
        return StatementKind::Other;
    }
    match rest
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "0" | "OFF" | "FALSE" => StatementKind::Begin,
        _ => StatementKind::End,
    }
}

/// The words at the start of `sql`, after whitespace and comments; the
/// text of a MySQL versioned comment (`/*!40000 ALTER ... */`) counts, as
/// MySQL runs it.
fn leading_words(sql: &str) -> impl Iterator<Item = &str> {
    let mut rest = sql;
    std::iter::from_fn(move || {
        rest = skip_blank(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

/// `s` without its leading whitespace, comments and the punctuation
/// between words (`=` in `SET autocommit = 0`).
fn skip_blank(mut s: &str) -> &str {
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '=' || c == '(');
        if let Some(tail) = s.strip_prefix("/*!") {
            // Versioned comment: skip the version number, read the text.
            s = tail.trim_start_matches(|c: char| c.is_ascii_digit());
        } else if let Some(tail) = s.strip_prefix("*/") {
            s = tail;
        } else if let Some(tail) = s.strip_prefix("--").or_else(|| s.strip_prefix('#')) {
            s = tail.split_once('\n').map_or("", |(_, t)| t);
        } else if let Some(tail) = s.strip_prefix("/*") {
            s = tail.split_once("*/").map_or("", |(_, t)| t);
        } else {
            return s;
        }
    }
}

/// The end of a dollar-quoted string (`$tag$ ... $tag$`) starting at `i`,
/// or `None` when `$` at `i` does not open one (a `$1` parameter).
fn dollar_quote_end(sql: &str, i: usize) -> Option<usize> {
    let rest = &sql[i + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    if tag.starts_with(|c: char| c.is_ascii_digit())
        || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    let delimiter = &sql[i..i + tag_len + 2];
    let body = i + delimiter.len();
    Some(
        sql[body..]
            .find(delimiter)
            .map_or(sql.len(), |at| body + at + delimiter.len()),
    )
}

/// The statements of `sql`, split at semicolons outside quotes, comments
/// and `BEGIN ATOMIC ... END` routine bodies.
fn split_statements(sql: &str) -> impl Iterator<Item = &str> {
    let bytes = sql.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                quote @ (b'\'' | b'"' | b'`') => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != quote {
                        // A backslash escapes the next byte on MySQL; elsewhere
                        // skipping it only risks splitting less, never more.
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'$' => match dollar_quote_end(sql, i) {
                    Some(end) => i = end,
                    None => i += 1,
                },
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                b';' if !in_atomic_body(&sql[start..i]) => {
                    let statement = &sql[start..i];
                    i += 1;
                    start = i;
                    return Some(statement);
                }
                _ => i += 1,
            }
        }
        if start < sql.len() {
            let statement = sql.get(start..).unwrap_or("");
            start = sql.len();
            return Some(statement);
        }
        None
    })
}

/// Whether `so_far` (a statement up to a semicolon) is inside a
/// `BEGIN ATOMIC` body not yet closed by its `END`.
fn in_atomic_body(so_far: &str) -> bool {
    let upper = so_far.to_ascii_uppercase();
    let Some(at) = upper.find("BEGIN ATOMIC") else {
        return false;
    };
    let body = &upper[at + "BEGIN ATOMIC".len()..];
    // The body's statements end with `;`; its END is the last word before
    // the semicolon that closes the whole statement.
    !body.trim_end().ends_with("END")
}

#[cfg(test)]
mod tests {
    use super::StatementKind::*;
    use super::*;

    #[test]
    fn text_without_a_semicolon_is_one_statement() {
        for sql in [
            "SELECT 1",
            "  -- note\n BEGIN",
            "INSERT INTO t VALUES ('x')",
            "COMMIT",
        ] {
            let fast: Vec<_> = statement_kinds(sql).collect();
            let walked: Vec<_> = split_statements(sql).map(statement_kind).collect();
            assert_eq!(fast, walked, "{sql}");
            assert_eq!(fast.len(), 1, "{sql}");
        }
        assert_eq!(statement_kinds("").count(), 0);
        assert_eq!(
            statement_kinds("BEGIN; COMMIT").collect::<Vec<_>>(),
            [Begin, End]
        );
    }

    #[test]
    fn kinds_by_leading_keywords() {
        for (sql, kind) in [
            ("BEGIN", Begin),
            ("BEGIN WORK", Begin),
            ("  -- note\n start transaction read only", Begin),
            ("/* x */ COMMIT", End),
            ("end", End),
            ("ABORT", End),
            ("PREPARE TRANSACTION 'x'", End),
            ("COMMIT AND CHAIN", Begin),
            ("ROLLBACK WORK AND CHAIN", Begin),
            ("COMMIT AND NO CHAIN", End),
            ("ROLLBACK", End),
            ("ROLLBACK TO SAVEPOINT s1", Other),
            ("rollback to s1", Other),
            ("ROLLBACK WORK TO SAVEPOINT s1", Other),
            ("ROLLBACK TRANSACTION TO s1", Other),
            ("SET autocommit = 0", Begin),
            ("SET SESSION autocommit=1", End),
            ("SET search_path = x", Other),
            ("SET PASSWORD = 'x'", CommitsImplicitly),
            ("CREATE TABLE t (id INT)", CommitsImplicitly),
            ("CREATE TEMPORARY TABLE t (id INT)", Other),
            ("CREATE OR REPLACE TEMPORARY TABLE t (id INT)", Other),
            ("CREATE TEMP TABLE t (id INT)", Other),
            ("drop temporary table t", Other),
            ("ALTER TABLE t ADD c INT", CommitsImplicitly),
            ("/*!40000 ALTER TABLE t DISABLE KEYS */", CommitsImplicitly),
            ("# mysql comment\nTRUNCATE t", CommitsImplicitly),
            ("LOAD INDEX INTO CACHE t", CommitsImplicitly),
            ("STOP REPLICA", CommitsImplicitly),
            ("ANALYZE SELECT 1", Other),
            ("ANALYZE TABLE t", CommitsImplicitly),
            ("DROP PREPARE s", Other),
            ("INSERT INTO t VALUES (1)", Other),
            ("SELECT 'BEGIN'", Read),
            ("WITH x AS (SELECT 1) SELECT * FROM x", Read),
            ("(SELECT 1)", Read),
            ("", Other),
        ] {
            assert_eq!(statement_kind(sql), kind, "{sql}");
        }
    }

    #[test]
    fn batches_split_outside_quotes_comments_and_bodies() {
        let kinds: Vec<_> = statement_kinds(
            "INSERT INTO t VALUES ('a;COMMIT'); -- ; COMMIT\nSELECT \"x;\"; /* ; */ COMMIT",
        )
        .collect();
        assert_eq!(kinds, [Other, Read, End]);
        let kinds: Vec<_> = statement_kinds("SELECT 1; CREATE TABLE t (id INT);").collect();
        assert_eq!(kinds, [Read, CommitsImplicitly]);
        let kinds: Vec<_> = statement_kinds(
            "DO $$BEGIN IF true THEN PERFORM 1; END IF; END$$; \
             CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN RETURN NEW; END; $body$ LANGUAGE plpgsql; \
             SELECT $1",
        )
        .collect();
        assert_eq!(kinds, [Other, CommitsImplicitly, Read]);
        let kinds: Vec<_> = statement_kinds(
            "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; COMMIT",
        )
        .collect();
        assert_eq!(kinds, [CommitsImplicitly, End]);
    }
}
