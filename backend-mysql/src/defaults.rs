//! Column defaults as MySQL and MariaDB report them in
//! `information_schema.COLUMNS.COLUMN_DEFAULT`, which they spell differently:
//! MariaDB (10.2.7 on) writes a literal as SQL (`'text'`, `42`, and `NULL`
//! for no default); MySQL 8 writes a string literal bare (`text`, so `NULL`
//! there is the text "NULL", no default being SQL NULL), and an expression
//! default (`DEFAULT (expr)`, marked `DEFAULT_GENERATED` in `EXTRA`) as its
//! expression with string literals written `_utf8mb4\'text\'`. The catalog
//! query reports that flag in a column of its own (a text default such as
//! `(none)` is parenthesized too, so the parentheses tell nothing).

use athanor_core::migrate::{parse_default, DefaultSpec};

/// The default `raw` of a column of type `sql_type` (as `COLUMN_TYPE` says
/// it), read into a literal. `expression`: MySQL 8 marks it
/// `DEFAULT_GENERATED`; `mariadb`: which server reported it.
pub(crate) fn read_default(
    raw: &str,
    sql_type: &str,
    expression: bool,
    mariadb: bool,
) -> Option<DefaultSpec> {
    if mariadb {
        return parse_default(raw);
    }
    if expression {
        return parse_default(&unescape_expression(raw));
    }
    if is_textual(sql_type) {
        // A string literal, reported without its quotes.
        return Some(DefaultSpec::Text(raw.to_owned()));
    }
    parse_default(raw)
}

/// Whether a column of this type holds text, whose default MySQL 8
/// reports unquoted.
fn is_textual(sql_type: &str) -> bool {
    let t = sql_type.trim_start().to_ascii_lowercase();
    [
        "char",
        "varchar",
        "tinytext",
        "text",
        "mediumtext",
        "longtext",
        "enum",
        "set",
    ]
    .iter()
    .any(|base| {
        t.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['(', ' ']))
    })
}

/// Words that may follow a string literal in an expression.
const AFTER_LITERAL: &[&str] = &[
    "AND", "OR", "XOR", "IS", "NOT", "LIKE", "IN", "BETWEEN", "COLLATE", "DIV", "MOD", "REGEXP",
    "RLIKE", "SOUNDS", "ESCAPE", "THEN", "ELSE", "END", "WHEN", "AS",
];

/// Whether a `\'` inside a literal, followed by `rest`, closes it: the
/// end, `)`, `,` or an operator follows it, or blanks and a word an
/// expression continues with (`AND`, `COLLATE`, ...). A word right after it
/// (`it\'s`) or after a blank (`rock \'n\' roll`) is the text's. MySQL 8
/// writes a quote inside the text as `\'` too, so this is a guess; not
/// checked against a MySQL 8 server.
fn closes_literal(mut rest: std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut blank = false;
    while rest.next_if(|c| c.is_whitespace()).is_some() {
        blank = true;
    }
    match rest.peek() {
        None => true,
        Some(c) if c.is_alphanumeric() || *c == '_' => {
            let word: String = rest
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            blank && AFTER_LITERAL.iter().any(|k| word.eq_ignore_ascii_case(k))
        }
        Some(_) => true,
    }
}

/// An expression default as MySQL 8 reports it, with its string literals
/// in plain SQL: the charset introducer (`_utf8mb4`) dropped and the
/// backslash escapes undone (`\'` is a quote: a quote inside the text
/// becomes `''`, as SQL writes it).
fn unescape_expression(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len());
    let mut chars = expression.chars().peekable();
    let mut in_literal = false;
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        match c {
            // `_charset` right before a literal's opening quote.
            '_' if !in_literal && !previous.is_some_and(|p| p.is_alphanumeric() || p == '_') => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if !matches!(chars.peek(), Some('\\' | '\'')) {
                    out.push_str(&word);
                }
            }
            '\\' => match chars.next() {
                Some('\'') if in_literal && !closes_literal(chars.clone()) => {
                    // A quote inside the text.
                    out.push_str("''");
                }
                Some('\'') => {
                    in_literal = !in_literal;
                    out.push('\'');
                }
                Some('\\') => out.push('\\'),
                Some(n) => out.push(n),
                None => out.push('\\'),
            },
            '\'' => {
                in_literal = !in_literal;
                out.push('\'');
            }
            c => out.push(c),
        }
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::read_default;
    use athanor_core::migrate::DefaultSpec;

    fn text(s: &str) -> Option<DefaultSpec> {
        Some(DefaultSpec::Text(s.into()))
    }

    #[test]
    fn mariadb_reports_defaults_as_sql() {
        assert_eq!(
            read_default("'x y'", "varchar(10)", false, true),
            text("x y")
        );
        assert_eq!(
            read_default("'it''s'", "varchar(10)", false, true),
            text("it's")
        );
        assert_eq!(
            read_default("'NULL'", "varchar(10)", false, true),
            text("NULL")
        );
        assert_eq!(read_default("NULL", "varchar(10)", false, true), None);
        assert_eq!(
            read_default("42", "int(11)", false, true),
            Some(DefaultSpec::Int(42))
        );
        assert_eq!(
            read_default("1.5", "double", false, true),
            Some(DefaultSpec::Float(1.5))
        );
    }

    #[test]
    fn mysql_8_reports_strings_bare_and_expressions_generated() {
        // Literal defaults: strings without quotes, numbers as numbers.
        assert_eq!(
            read_default("x y", "varchar(10)", false, false),
            text("x y")
        );
        assert_eq!(
            read_default("it's", "varchar(10)", false, false),
            text("it's")
        );
        assert_eq!(
            read_default("NULL", "varchar(10)", false, false),
            text("NULL")
        );
        assert_eq!(read_default("42", "varchar(10)", false, false), text("42"));
        assert_eq!(
            read_default(" padded ", "char(8)", false, false),
            text(" padded ")
        );
        assert_eq!(
            read_default("42", "int", false, false),
            Some(DefaultSpec::Int(42))
        );
        assert_eq!(
            read_default("-7", "bigint", false, false),
            Some(DefaultSpec::Int(-7))
        );
        assert_eq!(
            read_default("1.5", "double", false, false),
            Some(DefaultSpec::Float(1.5))
        );
        // A text default that looks like an expression in parentheses.
        assert_eq!(
            read_default("(none)", "varchar(10)", false, false),
            text("(none)")
        );
        assert_eq!(read_default("(42)", "text", false, false), text("(42)"));
        // Expression defaults, marked `DEFAULT_GENERATED` in a column of their own.
        assert_eq!(
            read_default("42", "int", true, false),
            Some(DefaultSpec::Int(42))
        );
        assert_eq!(
            read_default("_utf8mb4\\'abc\\'", "text", true, false),
            text("abc")
        );
        assert_eq!(
            read_default("_utf8mb4\\'it\\'s\\'", "longtext", true, false),
            text("it's")
        );
        assert_eq!(
            read_default("_utf8mb4\\'rock \\'n\\' roll\\'", "text", true, false),
            text("rock 'n' roll")
        );
        assert_eq!(
            super::unescape_expression("concat(_utf8mb4\\'a\\' COLLATE utf8mb4_bin, \\'b \\')"),
            "concat('a' COLLATE utf8mb4_bin, 'b ')"
        );
        // Not a text type: `varbinary` is bytes, not text.
        assert!(!super::is_textual("varbinary(255)"));
        assert!(super::is_textual("enum('a','b')"));
    }
}
