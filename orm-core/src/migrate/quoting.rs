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
