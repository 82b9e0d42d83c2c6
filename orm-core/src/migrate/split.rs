//! A hand-written SQL step cut into its statements, so that where schema
//! changes commit at once (MySQL) each statement's progress is recorded and
//! a step stopped part-way is finished or undone from where it stopped.
//!
//! Not the splitter that reads transaction control in raw SQL
//! (`statement_kind`): there a bare `BEGIN;` is a statement of its own;
//! here `BEGIN … END` is a trigger's or procedure's body, kept whole as
//! MySQL needs it (a step's transaction control is refused anyway).

/// The statements of `sql`, each without its `;` and surrounding blanks;
/// empty ones (and ones of comments only) are left out. A `;` inside a
/// string, a quoted name, a comment or a `BEGIN … END` / `CASE … END` block
/// (a trigger's or a procedure's body) does not end a statement.
/// `backslash_escapes`: whether `\` escapes the next character in a string
/// literal (MySQL's default).
pub(crate) fn split_statements(sql: &str, backslash_escapes: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    // Whether the statement so far holds more than comments and blanks.
    let mut has_code = false;
    let mut word = String::new();
    // The word before the current one, to read `END IF` and the like.
    let mut last_word = String::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    let end_word = |word: &mut String, last_word: &mut String, depth: &mut usize| {
        if word.is_empty() {
            return;
        }
        let upper = word.to_ascii_uppercase();
        let after_end = last_word == "END";
        match upper.as_str() {
            // `END CASE` closes the CASE its END already counted.
            "CASE" if after_end => {}
            "BEGIN" | "CASE" => *depth += 1,
            // `END IF`, `END LOOP`, ... close what opened no block here.
            "IF" | "LOOP" | "WHILE" | "REPEAT" | "FOR" if after_end => *depth += 1,
            "END" => *depth = depth.saturating_sub(1),
            _ => {}
        }
        *last_word = upper;
        word.clear();
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                end_word(&mut word, &mut last_word, &mut depth);
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
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                end_word(&mut word, &mut last_word, &mut depth);
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'#' => {
                end_word(&mut word, &mut last_word, &mut depth);
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                end_word(&mut word, &mut last_word, &mut depth);
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b';' => {
                end_word(&mut word, &mut last_word, &mut depth);
                if depth == 0 {
                    if has_code {
                        out.push(sql[start..i].trim().to_owned());
                    }
                    start = i + 1;
                    has_code = false;
                }
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                word.push(char::from(c));
                has_code = true;
                i += 1;
            }
            c => {
                end_word(&mut word, &mut last_word, &mut depth);
                if !c.is_ascii_whitespace() {
                    has_code = true;
                }
                i += 1;
            }
        }
    }
    end_word(&mut word, &mut last_word, &mut depth);
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
}
