//! Reading a migration file (the format is described in
//! [`Migration::to_text`]) back into a [`Migration`], with errors that
//! name the line and what was expected.

use crate::error::{Error, Result};
use crate::model::ReferentialAction;
use crate::value::ColumnType;

use super::description::{ColumnSchema, DefaultSpec, ForeignKeySchema, IndexSchema, TableSchema};
use super::migration::{Migration, Step};
use super::operation::Operation;
use super::token::{syntax, tokenize, Token};

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    version: Option<i64>,
}

impl Parser {
    fn line(&self) -> usize {
        self.tokens
            .get(self.at)
            .or_else(|| self.tokens.last())
            .map_or(1, |(l, _)| *l)
    }

    fn error(&self, expected: &str) -> Error {
        let found = self
            .tokens
            .get(self.at)
            .map_or("the end of the file".to_owned(), |(_, t)| t.describe());
        syntax(
            self.version,
            self.line(),
            format!("expected {expected}, found {found}"),
        )
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some((_, Token::Word(w))) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.peek_word(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn word(&mut self, word: &str) -> Result<()> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.error(&format!("`{word}`")))
        }
    }

    fn punct(&mut self, p: char) -> Result<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.error(&format!("`{p}`")))
        }
    }

    fn eat_punct(&mut self, p: char) -> bool {
        let found = matches!(self.tokens.get(self.at), Some((_, Token::Punct(c))) if *c == p);
        if found {
            self.at += 1;
        }
        found
    }

    fn ident(&mut self) -> Result<String> {
        match self.tokens.get(self.at) {
            Some((_, Token::Ident(s))) => {
                self.at += 1;
                Ok(s.clone())
            }
            _ => Err(self.error("a \"quoted\" name")),
        }
    }

    fn string(&mut self) -> Result<String> {
        match self.tokens.get(self.at) {
            Some((_, Token::Str(s))) => {
                self.at += 1;
                Ok(s.clone())
            }
            _ => Err(self.error("a 'quoted' string")),
        }
    }

    fn number<T: std::str::FromStr>(&mut self) -> Result<T> {
        match self.tokens.get(self.at) {
            Some((_, Token::Number(s))) => {
                let n = s.parse().map_err(|_| self.error("a number in range"))?;
                self.at += 1;
                Ok(n)
            }
            _ => Err(self.error("a number")),
        }
    }

    fn qualified(&mut self) -> Result<(String, String)> {
        let table = self.ident()?;
        self.punct('.')?;
        Ok((table, self.ident()?))
    }

    fn names(&mut self) -> Result<Vec<String>> {
        self.punct('(')?;
        let mut out = vec![self.ident()?];
        while self.eat_punct(',') {
            out.push(self.ident()?);
        }
        self.punct(')')?;
        Ok(out)
    }

    fn literal(&mut self) -> Result<DefaultSpec> {
        let value = match self.tokens.get(self.at) {
            Some((_, Token::Str(s))) => DefaultSpec::Text(s.clone()),
            Some((_, Token::Word(w))) if w == "true" => DefaultSpec::Bool(true),
            Some((_, Token::Word(w))) if w == "false" => DefaultSpec::Bool(false),
            Some((_, Token::Number(n))) => match n.parse::<i64>() {
                Ok(i) => DefaultSpec::Int(i),
                Err(_) => DefaultSpec::Float(
                    n.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| self.error("a finite number, a 'string', true or false"))?,
                ),
            },
            _ => return Err(self.error("a number, a 'string', true or false")),
        };
        self.at += 1;
        Ok(value)
    }

    fn column_type(&mut self) -> Result<ColumnType> {
        let Some((_, Token::Word(w))) = self.tokens.get(self.at).cloned() else {
            return Err(self.error("a type"));
        };
        self.at += 1;
        Ok(match w.as_str() {
            "bool" => ColumnType::Bool,
            "smallint" => ColumnType::SmallInt,
            "integer" => ColumnType::Integer,
            "bigint" => ColumnType::BigInt,
            "real" => ColumnType::Real,
            "double" => ColumnType::Double,
            "text" => ColumnType::Text,
            "bytes" => ColumnType::Bytes,
            "date" => ColumnType::Date,
            "time" => ColumnType::Time,
            "timestamp" => ColumnType::Timestamp,
            "timestamptz" => ColumnType::TimestampTz,
            "uuid" => ColumnType::Uuid,
            "json" => ColumnType::Json,
            "varchar" => {
                self.punct('(')?;
                let n = self.number()?;
                self.punct(')')?;
                ColumnType::Varchar(n)
            }
            "decimal" => {
                self.punct('(')?;
                let p = self.number()?;
                self.punct(',')?;
                let s = self.number()?;
                self.punct(')')?;
                ColumnType::Decimal(p, s)
            }
            _ => {
                self.at -= 1;
                return Err(self.error("a type (bool, smallint, integer, bigint, real, double, text, varchar(n), bytes, decimal(p, s), date, time, timestamp, timestamptz, uuid, json)"));
            }
        })
    }

    fn column_def(&mut self, name: String) -> Result<ColumnSchema> {
        let mut c = ColumnSchema::new(name, self.column_type()?);
        if self.eat_word("not") {
            self.word("null")?;
            c.nullable = false;
        } else {
            self.word("null")
                .map_err(|_| self.error("`null` or `not null`"))?;
        }
        if self.eat_word("default") {
            c.default = Some(self.literal()?);
        }
        c.auto_increment = self.eat_word("auto");
        c.unique = self.eat_word("unique");
        c.case_insensitive = self.eat_word("case_insensitive");
        Ok(c)
    }

    fn action(&mut self) -> Result<ReferentialAction> {
        self.word("on")?;
        self.word("delete")?;
        Ok(if self.eat_word("no") {
            self.word("action")?;
            ReferentialAction::NoAction
        } else if self.eat_word("restrict") {
            ReferentialAction::Restrict
        } else if self.eat_word("cascade") {
            ReferentialAction::Cascade
        } else if self.eat_word("set") {
            self.word("null")?;
            ReferentialAction::SetNull
        } else {
            return Err(self.error("`no action`, `restrict`, `cascade` or `set null`"));
        })
    }

    /// `"name" ("cols") references "table" ("cols") on delete <action>`,
    /// with ` on "table"` after the name when `on_table`.
    fn foreign_key(&mut self, on_table: bool) -> Result<(String, ForeignKeySchema)> {
        let name = self.ident()?;
        let table = if on_table {
            self.word("on")?;
            self.ident()?
        } else {
            String::new()
        };
        let columns = self.names()?;
        self.word("references")?;
        let ref_table = self.ident()?;
        let ref_columns = self.names()?;
        let on_delete = self.action()?;
        Ok((
            table,
            ForeignKeySchema {
                name,
                columns,
                ref_table,
                ref_columns,
                on_delete,
            },
        ))
    }

    fn table(&mut self) -> Result<TableSchema> {
        let mut t = TableSchema::new(self.ident()?);
        self.punct('(')?;
        while !self.eat_punct(')') {
            if self.eat_word("column") {
                let name = self.ident()?;
                t.columns.push(self.column_def(name)?);
            } else if self.eat_word("primary") {
                self.word("key")?;
                t.primary_key = self.names()?;
            } else if self.peek_word("index") || self.peek_word("unique") {
                let unique = self.eat_word("unique");
                self.word("index")?;
                let name = self.ident()?;
                t.indexes.push(IndexSchema {
                    name,
                    columns: self.names()?,
                    unique,
                });
            } else if self.eat_word("foreign") {
                self.word("key")?;
                t.foreign_keys.push(self.foreign_key(false)?.1);
            } else {
                return Err(self.error("`column`, `primary key`, `index`, `foreign key` or `)`"));
            }
        }
        Ok(t)
    }

    fn index(&mut self) -> Result<(String, IndexSchema)> {
        let unique = self.eat_word("unique");
        self.word("index")?;
        let name = self.ident()?;
        self.word("on")?;
        let table = self.ident()?;
        let columns = self.names()?;
        Ok((
            table,
            IndexSchema {
                name,
                columns,
                unique,
            },
        ))
    }

    fn operation(&mut self) -> Result<Operation> {
        if self.eat_word("create") {
            self.word("table")?;
            return Ok(Operation::CreateTable(self.table()?));
        }
        if self.eat_word("rename") {
            self.word("column")?;
            let (table, from) = self.qualified()?;
            self.word("to")?;
            return Ok(Operation::RenameColumn {
                table,
                from,
                to: self.ident()?,
            });
        }
        if self.eat_word("alter") {
            self.word("column")?;
            let (table, column) = self.qualified()?;
            self.word("from")?;
            let from = self.column_def(column.clone())?;
            self.word("to")?;
            let to = self.column_def(column)?;
            return Ok(Operation::AlterColumn { table, from, to });
        }
        let adding = if self.eat_word("add") {
            true
        } else if self.eat_word("drop") {
            false
        } else {
            return Err(self.error("a step (create, drop, add, rename, alter, sql)"));
        };
        if self.eat_word("table") {
            if adding {
                return Err(self.error("`column`, `index`, `unique` or `foreign key`"));
            }
            return Ok(Operation::DropTable(self.table()?));
        }
        if self.eat_word("column") {
            let (table, name) = self.qualified()?;
            let column = self.column_def(name)?;
            if !adding {
                return Ok(Operation::DropColumn { table, column });
            }
            let fill = if self.eat_word("fill") {
                Some(self.literal()?)
            } else {
                None
            };
            return Ok(Operation::AddColumn {
                table,
                column,
                fill,
            });
        }
        if self.peek_word("index")
            || self.peek_word("unique")
                && matches!(self.tokens.get(self.at + 1), Some((_, Token::Word(w))) if w == "index")
        {
            let (table, index) = self.index()?;
            return Ok(if adding {
                Operation::AddIndex { table, index }
            } else {
                Operation::DropIndex { table, index }
            });
        }
        if self.eat_word("unique") {
            let (table, column) = self.qualified()?;
            return Ok(if adding {
                Operation::AddUnique { table, column }
            } else {
                Operation::DropUnique { table, column }
            });
        }
        if self.eat_word("foreign") {
            self.word("key")?;
            let (table, foreign_key) = self.foreign_key(true)?;
            return Ok(if adding {
                Operation::AddForeignKey { table, foreign_key }
            } else {
                Operation::DropForeignKey { table, foreign_key }
            });
        }
        Err(self.error("`table`, `column`, `index`, `unique` or `foreign key`"))
    }
}

/// Reads a migration file's text.
///
/// # Failure
/// [`Error::Migration`] naming the line: a word, name or value that is not
/// where the format expects it, an unclosed quote, a step that can lose
/// data without the `lossy` mark (or the mark on one that loses nothing).
///
/// ```
/// # use athanor_core::migrate;
/// let text = "version 4\nname 'x'\ndrop column \"t\".\"c\" integer null\n";
/// let err = migrate::parse(text).unwrap_err().to_string();
/// assert!(err.contains("line 3"), "{err}");
/// assert!(err.contains("lossy"), "{err}");
/// ```
pub fn parse(text: &str) -> Result<Migration> {
    let mut p = Parser {
        tokens: tokenize(text)?,
        at: 0,
        version: None,
    };
    p.word("version")?;
    let version = p.number()?;
    p.version = Some(version);
    p.word("name")?;
    let mut m = Migration::new(version, p.string()?);
    while p.at < p.tokens.len() {
        let line = p.line();
        if p.eat_word("sql") {
            let up = p.string()?;
            let down = if p.eat_word("down") {
                Some(p.string()?)
            } else {
                None
            };
            m.steps.push(Step::Sql { up, down });
            continue;
        }
        let marked = p.eat_word("lossy");
        let op = p.operation()?;
        match (op.data_loss(), marked) {
            (Some(loss), false) => {
                return Err(syntax(
                    Some(version),
                    line,
                    format!("this step {loss}: mark it `lossy` to say that is intended"),
                ))
            }
            (None, true) => {
                return Err(syntax(
                    Some(version),
                    line,
                    "this step is marked `lossy` but loses nothing: remove the mark".into(),
                ))
            }
            _ => {}
        }
        m.steps.push(Step::Schema(op));
    }
    Ok(m)
}
