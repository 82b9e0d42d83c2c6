//! The words of a migration file: names, strings, bare words, numbers and
//! punctuation, each with its line.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// `"name"`
    Ident(String),
    /// `'text'`
    Str(String),
    /// A bare word, lowercased.
    Word(String),
    /// A number as written.
    Number(String),
    /// `( ) , .`
    Punct(char),
}

impl Token {
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Ident(s) => format!("\"{s}\""),
            Token::Str(s) => format!("'{s}'"),
            Token::Word(s) | Token::Number(s) => s.clone(),
            Token::Punct(c) => c.to_string(),
        }
    }
}

fn quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    q: char,
    line: &mut usize,
) -> Option<String> {
    let mut text = String::new();
    while let Some((_, c)) = chars.next() {
        if c == q {
            if chars.peek().map(|(_, n)| *n) == Some(q) {
                chars.next();
            } else {
                return Some(text);
            }
        }
        if c == '\n' {
            *line += 1;
        }
        text.push(c);
    }
    None
}

pub(crate) fn tokenize(text: &str) -> Result<Vec<(usize, Token)>> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let start = line;
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
            }
            '"' | '\'' => {
                let s = quoted(&mut chars, c, &mut line).ok_or_else(|| {
                    syntax(
                        None,
                        start,
                        format!("the quote opened here ({c}) is never closed"),
                    )
                })?;
                out.push((
                    start,
                    if c == '"' {
                        Token::Ident(s)
                    } else {
                        Token::Str(s)
                    },
                ));
            }
            '(' | ')' | ',' | '.' => out.push((line, Token::Punct(c))),
            c if c.is_ascii_digit() || c == '-' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '.' || n == '-' || n == '+' {
                        end = j + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push((line, Token::Number(text[i..end].to_owned())));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = i + 1;
                while let Some(&(j, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        end = j + 1;
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push((line, Token::Word(text[i..end].to_ascii_lowercase())));
            }
            other => {
                return Err(syntax(
                    None,
                    line,
                    format!("unexpected character {other:?}"),
                ))
            }
        }
    }
    Ok(out)
}

pub(crate) fn syntax(version: Option<i64>, line: usize, message: String) -> Error {
    Error::Migration {
        version,
        message: format!("invalid migration file, line {line}: {message}"),
    }
}
