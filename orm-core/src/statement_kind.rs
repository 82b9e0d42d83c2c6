//! What a statement written by the program does to the transaction, read
//! from its leading keywords: enough to keep athanor's idea of the
//! transaction in step with the server's.

/// How a statement touches the transaction around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatementKind {
    /// `BEGIN`, `START TRANSACTION`.
    Begin,
    /// `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO` a savepoint).
    End,
    /// A statement MySQL/MariaDB end the open transaction for (they commit
    /// it first): DDL, account and lock management.
    CommitsImplicitly,
    /// Anything else.
    Other,
}

/// The kind of each statement in `sql`, split at semicolons outside
/// quotes and comments.
pub(crate) fn statement_kinds(sql: &str) -> impl Iterator<Item = StatementKind> + '_ {
    split_statements(sql).map(statement_kind)
}

/// The kind of one statement.
pub(crate) fn statement_kind(sql: &str) -> StatementKind {
    let mut words = leading_words(sql);
    let first = words.next().unwrap_or_default();
    let second = words.next().unwrap_or_default();
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if is(first, "BEGIN") || (is(first, "START") && is(second, "TRANSACTION")) {
        return StatementKind::Begin;
    }
    if is(first, "COMMIT") || is(first, "END") {
        return StatementKind::End;
    }
    if is(first, "ROLLBACK") {
        // `ROLLBACK TO [SAVEPOINT] x` stays inside the transaction;
        // `ROLLBACK WORK` / `ROLLBACK TRANSACTION` / `ROLLBACK AND CHAIN` do not.
        return if is(second, "TO") {
            StatementKind::Other
        } else {
            StatementKind::End
        };
    }
    // Temporary tables are the exception MySQL documents.
    if (is(first, "CREATE") || is(first, "DROP")) && is(second, "TEMPORARY") {
        return StatementKind::Other;
    }
    const IMPLICIT: [&str; 15] = [
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
    ];
    if IMPLICIT.iter().any(|k| is(first, k)) {
        StatementKind::CommitsImplicitly
    } else {
        StatementKind::Other
    }
}

/// The words at the start of `sql`, after whitespace and comments.
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

/// `s` without its leading whitespace and comments.
fn skip_blank(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if let Some(tail) = s.strip_prefix("--") {
            s = tail.split_once('\n').map_or("", |(_, t)| t);
        } else if let Some(tail) = s.strip_prefix("/*") {
            s = tail.split_once("*/").map_or("", |(_, t)| t);
        } else {
            return s;
        }
    }
}

/// The statements of `sql`, split at semicolons outside quotes and comments.
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
                b';' => {
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

#[cfg(test)]
mod tests {
    use super::StatementKind::*;
    use super::*;

    #[test]
    fn kinds_by_leading_keywords() {
        for (sql, kind) in [
            ("BEGIN", Begin),
            ("  -- note\n start transaction read only", Begin),
            ("/* x */ COMMIT", End),
            ("end", End),
            ("ROLLBACK", End),
            ("ROLLBACK TO SAVEPOINT s1", Other),
            ("rollback to s1", Other),
            ("CREATE TABLE t (id INT)", CommitsImplicitly),
            ("CREATE TEMPORARY TABLE t (id INT)", Other),
            ("drop temporary table t", Other),
            ("ALTER TABLE t ADD c INT", CommitsImplicitly),
            ("TRUNCATE t", CommitsImplicitly),
            ("INSERT INTO t VALUES (1)", Other),
            ("SELECT 'BEGIN'", Other),
            ("", Other),
        ] {
            assert_eq!(statement_kind(sql), kind, "{sql}");
        }
    }

    #[test]
    fn batches_split_outside_quotes_and_comments() {
        let kinds: Vec<_> = statement_kinds(
            "INSERT INTO t VALUES ('a;COMMIT'); -- ; COMMIT\nSELECT \"x;\"; /* ; */ COMMIT",
        )
        .collect();
        assert_eq!(kinds, [Other, Other, End]);
        let kinds: Vec<_> = statement_kinds("SELECT 1; CREATE TABLE t (id INT);").collect();
        assert_eq!(kinds, [Other, CommitsImplicitly]);
    }
}
