//! A hand-written SQL step cut into its statements, so that where schema
//! changes commit at once (MySQL) each statement's progress is recorded and
//! a step stopped part-way is finished or undone from where it stopped.
//!
//! Not the splitter that reads transaction control in raw SQL
//! (`statement_kind`): there a bare `BEGIN;` is a statement of its own;
//! here `BEGIN … END` is a trigger's or procedure's body, kept whole as
//! MySQL needs it (a step's transaction control is refused anyway).
//!
//! Only used where DDL commits at once, so it reads MySQL's lexical rules:
//! `-- ` starts a comment only before a blank, a control character or the
//! end of the text (`n--1` is arithmetic), and `/*! … */` / `/*M! … */`
//! (versioned comments) are code.

/// What a statement is, as far as its blocks go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No word read yet.
    Unknown,
    /// `CREATE` and the words that may follow it before the object kind
    /// (`OR REPLACE`, `DEFINER = …`, `AGGREGATE`).
    CreateHead,
    /// A trigger, procedure, function or event, or a statement starting a
    /// `BEGIN … END` block: its `BEGIN … END`, `CASE … END` and compound
    /// statements (`IF … END IF`, …) are counted.
    Compound,
    /// Anything else: a `;` outside quotes and comments ends it (a column
    /// named `begin` or `end` opens or closes nothing).
    Plain,
}

/// The token before the current one, as far as blocks go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Prev {
    /// The start of the statement.
    Start,
    /// A bare word, uppercased.
    Word(String),
    /// Any other character that is neither blank nor part of a comment
    /// (punctuation, an operator, a quote).
    Punct(u8),
}

/// The state of the statement being read.
struct Reader {
    kind: Kind,
    depth: usize,
    prev: Prev,
    word: String,
}

/// Words after which, in a compound body, a statement starts: an `IF`,
/// `LOOP`, `WHILE`, `REPEAT` or `FOR` there opens a block (elsewhere `IF`
/// and `REPEAT` are functions).
const STATEMENT_START: &[&str] = &[
    "BEGIN", "ATOMIC", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "ROW",
];

impl Reader {
    fn new() -> Self {
        Reader {
            kind: Kind::Unknown,
            depth: 0,
            prev: Prev::Start,
            word: String::new(),
        }
    }

    /// Ends the word being read; `rest`: the text after it.
    fn end_word(&mut self, rest: &str) {
        if self.word.is_empty() {
            return;
        }
        let upper = self.word.to_ascii_uppercase();
        self.word.clear();
        // `NEW.end`, `t.begin`: a name, not a keyword.
        let qualified = self.prev == Prev::Punct(b'.');
        let prev = std::mem::replace(&mut self.prev, Prev::Word(upper.clone()));
        if qualified {
            return;
        }
        match self.kind {
            Kind::Unknown => {
                self.kind = match upper.as_str() {
                    "CREATE" => Kind::CreateHead,
                    "BEGIN" if !transaction_begin(rest) => {
                        self.depth += 1;
                        Kind::Compound
                    }
                    _ => Kind::Plain,
                };
            }
            Kind::CreateHead => {
                let definer_part = matches!(prev, Prev::Punct(b'=' | b'@'));
                self.kind = match upper.as_str() {
                    "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT" => Kind::Compound,
                    "OR" | "REPLACE" | "DEFINER" | "CURRENT_USER" | "AGGREGATE" => Kind::CreateHead,
                    _ if definer_part => Kind::CreateHead,
                    _ => Kind::Plain,
                };
            }
            Kind::Plain => {}
            Kind::Compound => {
                let after_end = prev == Prev::Word("END".into());
                let statement_start = match &prev {
                    Prev::Punct(c) => *c == b';' || *c == b':',
                    Prev::Word(w) => STATEMENT_START.contains(&w.as_str()),
                    Prev::Start => true,
                };
                match upper.as_str() {
                    "BEGIN" => self.depth += 1,
                    // `END CASE` closes the CASE its END already counted.
                    "CASE" if !after_end => self.depth += 1,
                    "IF" | "REPEAT" if statement_start && !function_call(rest) => {
                        self.depth += 1;
                    }
                    "LOOP" | "WHILE" | "FOR" if statement_start => self.depth += 1,
                    "END" => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
    }

    /// A character that is neither blank, nor part of a word or a comment.
    fn punct(&mut self, c: u8, rest: &str) {
        self.end_word(rest);
        self.prev = Prev::Punct(c);
    }
}

/// Whether a `BEGIN` starting a statement, followed by `rest`, starts a
/// transaction (`BEGIN;`, `BEGIN WORK`) rather than a block.
fn transaction_begin(rest: &str) -> bool {
    let rest = rest.trim_start();
    let next: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    rest.is_empty() || rest.starts_with(';') || next.eq_ignore_ascii_case("WORK")
}

/// Whether `rest`, the text after `IF` or `REPEAT`, makes it a function
/// call (`IF(a, b, c)`, `REPEAT(s, n)`: commas in its parentheses) rather
/// than a compound statement (`IF (a > b) THEN …`).
fn function_call(rest: &str) -> bool {
    let rest = rest.trim_start();
    if !rest.starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote = None;
    for c in rest.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return false;
                }
            }
            (None, ',') if depth == 1 => return true,
            _ => {}
        }
    }
    false
}

/// Whether `--` at `i` starts a comment: MySQL wants a blank or a control
/// character after it (or the end of the text); `n--1` is arithmetic.
pub(crate) fn dash_comment_at(bytes: &[u8], i: usize) -> bool {
    bytes.get(i) == Some(&b'-')
        && bytes.get(i + 1) == Some(&b'-')
        && bytes.get(i + 2).is_none_or(|c| *c <= b' ' || *c == 0x7f)
}

/// The statements of `sql`, each without its `;` and surrounding blanks;
/// empty ones (and ones of comments only) are left out. A `;` inside a
/// string, a quoted name, a comment, or a block of a trigger's,
/// procedure's, function's or event's body (`BEGIN … END`, `CASE … END`,
/// `IF … END IF`, …) does not end a statement. Versioned comments
/// (`/*!40101 … */`, MariaDB's `/*M!100100 … */`) are code: MySQL runs
/// them. `backslash_escapes`: whether `\` escapes the next character in a
/// string literal (MySQL's default).
pub(crate) fn split_statements(sql: &str, backslash_escapes: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    // Whether the statement so far holds more than comments and blanks.
    let mut has_code = false;
    // Whether a versioned comment is open: its `*/` is skipped.
    let mut versioned = false;
    let mut r = Reader::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                r.punct(c, &sql[i..]);
                has_code = true;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\\' && c == b'\'' && backslash_escapes {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == c {
                        if bytes.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if dash_comment_at(bytes, i) => {
                r.end_word(&sql[i..]);
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'#' => {
                r.end_word(&sql[i..]);
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                r.end_word(&sql[i..]);
                let opener = if bytes.get(i + 2) == Some(&b'!') {
                    3
                } else if sql[i + 2..].starts_with("M!") {
                    4
                } else {
                    0
                };
                if opener > 0 {
                    // A versioned comment: its version, then code.
                    versioned = true;
                    has_code = true;
                    i += opener;
                    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                } else {
                    i = sql[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |n| i + 2 + n + 2);
                }
            }
            b'*' if versioned && bytes.get(i + 1) == Some(&b'/') => {
                r.end_word(&sql[i..]);
                versioned = false;
                i += 2;
            }
            b';' => {
                r.punct(c, &sql[i..]);
                if r.depth == 0 {
                    if has_code {
                        out.push(sql[start..i].trim().to_owned());
                    }
                    start = i + 1;
                    has_code = false;
                    r = Reader::new();
                }
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                r.word.push(char::from(c));
                has_code = true;
                i += 1;
            }
            c if c.is_ascii_whitespace() => {
                r.end_word(&sql[i..]);
                i += 1;
            }
            c => {
                r.punct(c, &sql[i..]);
                has_code = true;
                i += 1;
            }
        }
    }
    r.end_word("");
    if has_code {
        out.push(sql[start.min(sql.len())..].trim().to_owned());
    }
    out
}
#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn statements_split_at_semicolons_outside_quotes_comments_and_blocks() {
        let sql = "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`); -- x; y\n\
                   UPDATE t SET v = 'it''s; \\' ;' /* ; */;\n\n;\
                   CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW BEGIN \
                   IF NEW.v = 1 THEN UPDATE u SET w = 2; END IF; \
                   UPDATE u SET w = CASE WHEN 1 THEN 2 ELSE 3 END; END;\n\
                   DELETE FROM t";
        let parts = split_statements(sql, true);
        assert_eq!(parts.len(), 4, "{parts:#?}");
        assert_eq!(parts[0], "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`)");
        assert!(parts[1].starts_with("-- x; y\nUPDATE t"), "{}", parts[1]);
        assert!(parts[2].starts_with("CREATE TRIGGER"), "{}", parts[2]);
        assert!(parts[2].ends_with("END; END"), "{}", parts[2]);
        assert_eq!(parts[3], "DELETE FROM t");
    }

    #[test]
    fn a_backslash_only_escapes_where_the_dialect_says_so() {
        // Standard SQL: the backslash is a plain character, so the literal
        // ends after it and the `;` that follows ends the statement.
        assert_eq!(split_statements("SELECT '\\'; SELECT 2", false).len(), 2);
        assert_eq!(split_statements("SELECT '\\'; SELECT 2'", true).len(), 1);
        assert!(split_statements(" ; -- only a comment\n", true).is_empty());
    }

    #[test]
    fn versioned_comments_are_code() {
        let parts = split_statements(
            "/*!40101 SET NAMES utf8mb4 */; /*M!100100 SET @x = 1 */;\n/* plain */;\
             /*!50003 CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN \
             SET NEW.a = 1; END */; DELETE FROM t",
            true,
        );
        assert_eq!(parts.len(), 4, "{parts:#?}");
        assert_eq!(parts[0], "/*!40101 SET NAMES utf8mb4 */");
        assert_eq!(parts[1], "/*M!100100 SET @x = 1 */");
        // A plain comment alone is still no statement.
        assert!(
            parts[2].starts_with("/*!50003 CREATE TRIGGER"),
            "{}",
            parts[2]
        );
        assert!(parts[2].ends_with("END */"), "{}", parts[2]);
        assert_eq!(parts[3], "DELETE FROM t");
    }

    #[test]
    fn end_followed_by_punctuation_closes_nothing_more() {
        let sql = "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN \
                   SET NEW.a = CASE WHEN 1 THEN 2 END + CASE WHEN 1 THEN 3 END; \
                   SET NEW.b = (CASE WHEN 1 THEN 2 END), NEW.c = CASE 1 WHEN 1 THEN 2 END; \
                   SET NEW.d = 1; END; DELETE FROM t";
        let parts = split_statements(sql, true);
        assert_eq!(parts.len(), 2, "{parts:#?}");
        assert!(parts[0].ends_with("SET NEW.d = 1; END"), "{}", parts[0]);
        let parts = split_statements(
            "CREATE PROCEDURE p() BEGIN SELECT CASE WHEN 1 THEN 2 END, IF(1, 2, 3); \
             SELECT 2; END; SELECT 3",
            true,
        );
        assert_eq!(parts.len(), 2, "{parts:#?}");
    }

    #[test]
    fn a_dash_dash_without_a_blank_after_it_is_no_comment() {
        let parts = split_statements("UPDATE t SET n = n--1; UPDATE t SET m = 2 --x\n", true);
        assert_eq!(parts, ["UPDATE t SET n = n--1", "UPDATE t SET m = 2 --x"]);
        let parts = split_statements("SELECT 1 --\tx; y\n; SELECT 2 --", true);
        assert_eq!(parts, ["SELECT 1 --\tx; y", "SELECT 2 --"]);
        assert!(split_statements("--", true).is_empty());
    }

    #[test]
    fn begin_and_end_open_blocks_only_in_compound_bodies() {
        // Columns named `begin` and `end`: plain statements.
        let parts = split_statements(
            "UPDATE t SET begin = 1; UPDATE t SET end = 2; CREATE TABLE event (begin INT); \
             SELECT t.end, CASE WHEN 1 THEN 2 END FROM t",
            true,
        );
        assert_eq!(parts.len(), 4, "{parts:#?}");
        // `NEW.end`, `OLD.begin` in a trigger's body are names.
        let parts = split_statements(
            "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW BEGIN \
             SET NEW.end = OLD.begin; SET NEW.begin = NEW.`end`; END; DELETE FROM t",
            true,
        );
        assert_eq!(parts.len(), 2, "{parts:#?}");
        // A trigger without BEGIN: its compound statement is kept whole.
        let parts = split_statements(
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW IF NEW.a = 1 THEN \
             SET NEW.b = IF(NEW.c, 2, 3); IF (NEW.c > 1) THEN SET NEW.c = 1; END IF; \
             ELSE SET NEW.b = 4; END IF; DELETE FROM t",
            true,
        );
        assert_eq!(parts.len(), 2, "{parts:#?}");
        assert!(parts[0].ends_with("END IF"), "{}", parts[0]);
        let parts = split_statements(
            "CREATE DEFINER = `u`@`localhost` PROCEDURE p() BEGIN \
             l: LOOP LEAVE l; END LOOP l; WHILE 0 DO SELECT 1; END WHILE; \
             REPEAT SELECT REPEAT('a', 2); UNTIL 1 END REPEAT; END; SELECT 2",
            true,
        );
        assert_eq!(parts.len(), 2, "{parts:#?}");
        // A block at the start of a statement; a transaction's BEGIN is none.
        assert_eq!(
            split_statements("BEGIN NOT ATOMIC SELECT 1; END; BEGIN; SELECT 2", true).len(),
            3
        );
    }
}
