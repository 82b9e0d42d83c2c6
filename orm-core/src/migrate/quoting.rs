//! Hand-written SQL steps made to serve every backend.

use crate::dialect::Dialect;

/// Hand-written SQL with its `"double-quoted"` identifiers quoted for
/// `dialect` (MySQL's backticks), so that one SQL step serves every
/// backend. String literals are copied as they are.
pub(crate) fn requote(sql: &str, dialect: &dyn Dialect) -> String {
    if dialect.identifier_quote() == '"' {
        return sql.to_owned();
    }
    // Whether a backslash escapes the next character in a literal.
    let backslash_escapes = dialect.escape_string_literal("\\") != "\\";
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push(c);
                while let Some(c) = chars.next() {
                    out.push(c);
                    if c == '\\' && backslash_escapes {
                        if let Some(next) = chars.next() {
                            out.push(next);
                        }
                    } else if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push('\'');
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            // Comments and identifiers already in the backend's quotes are
            // copied as they are: an apostrophe in a comment opens no literal.
            // MySQL's `--` comment wants a blank or control character after
            // it: `n--1` is arithmetic.
            '-' if chars.peek() == Some(&'-') && dash_comment(&chars) => {
                copy_until(&mut chars, &mut out, c, "\n");
            }
            '#' => copy_until(&mut chars, &mut out, c, "\n"),
            // A versioned comment (`/*!50003 … */`, `/*M!… */`) is code.
            '/' if chars.peek() == Some(&'*') && !versioned(&chars) => {
                copy_until(&mut chars, &mut out, c, "*/");
            }
            '`' => copy_until(&mut chars, &mut out, c, "`"),
            '"' => {
                let mut name = String::new();
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    name.push(c);
                }
                crate::dialect::write_quoted(dialect, &name, &mut out);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether the `-` just read, followed by `chars` (whose next is `-`),
/// starts a comment.
fn dash_comment(chars: &std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut look = chars.clone();
    look.next();
    look.next()
        .is_none_or(|c| c.is_whitespace() || c.is_control())
}

/// Whether the `/` just read, followed by `chars` (whose next is `*`),
/// opens a versioned comment.
fn versioned(chars: &std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut look = chars.clone();
    look.next();
    match look.next() {
        Some('!') => true,
        Some('M') => look.next() == Some('!'),
        _ => false,
    }
}

/// Copies `first` and what follows it up to and including `end` (or to the
/// end of the text).
fn copy_until(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    out: &mut String,
    first: char,
    end: &str,
) {
    out.push(first);
    let start = out.len();
    // The end is looked for past the opening: `/*/` is no whole comment.
    let shortest = if first == '/' { 3 } else { 1 };
    for c in chars.by_ref() {
        out.push(c);
        if out.len() >= start + shortest && out.ends_with(end) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ColumnType;

    /// A dialect quoting identifiers with backticks (MySQL's way).
    struct Backticks;

    impl Dialect for Backticks {
        fn name(&self) -> &'static str {
            "backticks"
        }
        fn write_placeholder(&self, _index: usize, out: &mut String) {
            out.push('?');
        }
        fn column_type(&self, _ty: ColumnType, _keyed: bool) -> String {
            "TEXT".into()
        }
        fn auto_key_column(&self, _ty: ColumnType) -> String {
            "BIGINT".into()
        }
        fn identifier_quote(&self) -> char {
            '`'
        }
    }

    #[test]
    fn comments_and_backticks_are_copied_as_they_are() {
        let sql = "DELETE FROM \"albums\" -- albums that aren't old\n\
                   WHERE \"kind\" <> 'old' /* don't */ AND `a\"b` = 1 # it's\n\
                   AND \"x\" = 'it''s'";
        assert_eq!(
            requote(sql, &Backticks),
            "DELETE FROM `albums` -- albums that aren't old\n\
             WHERE `kind` <> 'old' /* don't */ AND `a\"b` = 1 # it's\n\
             AND `x` = 'it''s'"
        );
    }

    #[test]
    fn dash_dash_without_a_blank_and_versioned_comments_are_code() {
        assert_eq!(
            requote("UPDATE \"t\" SET \"n\" = \"n\"--1, \"m\" = 'x'", &Backticks),
            "UPDATE `t` SET `n` = `n`--1, `m` = 'x'"
        );
        assert_eq!(
            requote(
                "SELECT 1 -- \"a\"\n/*!50003 SELECT \"b\" */ /*M!100100 \"c\" */ /* \"d\" */",
                &Backticks
            ),
            "SELECT 1 -- \"a\"\n/*!50003 SELECT `b` */ /*M!100100 `c` */ /* \"d\" */"
        );
    }
}
