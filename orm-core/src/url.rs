//! Database URLs in messages: the password never shows.

/// Where the user info of `rest` (a URL after its `://`) ends: the position
/// of the `@` that separates it from the host, when there is one.
///
/// A password may hold an unencoded `/`, `?`, `#` or `@` (the PostgreSQL
/// driver accepts them), so the authority is not cut at the first `/`:
/// the user info runs to the last `@` before the query string (the first
/// `?` or `#` after the last `/`), or, when no `@` comes before that, to the
/// last `@` of all. An `@` in a query string is thus left alone, and a
/// password is never cut short (at worst a little more is hidden).
fn userinfo_end(rest: &str) -> Option<usize> {
    let after_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let query = rest[after_slash..]
        .find(['?', '#'])
        .map_or(rest.len(), |i| after_slash + i);
    rest[..query].rfind('@').or_else(|| rest.rfind('@'))
}

/// The password of `scheme://user:password@host/...`, as written in the URL
/// (percent-encoded), when there is one.
pub fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let userinfo = &rest[..userinfo_end(rest)?];
    let (_, password) = userinfo.split_once(':')?;
    Some(password)
}

/// `url` with its password replaced by `***`, for error messages, logs and
/// `Debug` output. A URL without a password is returned unchanged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // No `://`: what lies between the scheme and the last `@` may be
        // user info (`app:s3cret@db/prod`); hidden whole.
        return match (url.split_once(':'), url.rfind('@')) {
            (Some((scheme, _)), Some(at)) if scheme.len() < at => {
                format!("{scheme}:***{}", &url[at..])
            }
            _ => url.to_owned(),
        };
    };
    let Some(at) = userinfo_end(rest) else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// `message` with any occurrence of `url`, or of its password (raw or
/// percent-decoded), replaced: for driver messages about a connection
/// that may quote what they were given. The password is replaced only where
/// it stands whole, not inside a longer word (a password `a` leaves
/// "authentication" alone).
pub fn redact_message(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &redact_url(url));
    if let Some(password) = url_password(url).filter(|p| !p.is_empty()) {
        out = replace_whole(&out, password);
        let decoded = percent_decode(password);
        if !decoded.is_empty() {
            out = replace_whole(&out, &decoded);
        }
    }
    out
}

/// `text` with each occurrence of `needle` not adjacent to a letter or digit
/// (on a side where `needle` itself starts or ends with one) replaced by `***`.
fn replace_whole(text: &str, needle: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let starts_word = needle.chars().next().is_some_and(word);
    let ends_word = needle.chars().next_back().is_some_and(word);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        let before_ok = !starts_word || !text[..start].chars().next_back().is_some_and(word);
        let after_ok = !ends_word || !text[end..].chars().next().is_some_and(word);
        if before_ok && after_ok {
            out.push_str(&text[copied..start]);
            out.push_str("***");
            copied = end;
            from = end;
        } else {
            // Step one character on: an overlapping occurrence may stand whole.
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Takes the query parameters named in `keys` out of `url`, returning the
/// URL without them (every other parameter, and any fragment, left as
/// written for the driver) and the taken `(key, value)` pairs in order,
/// values percent-decoded.
pub fn take_url_params(url: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), Vec::new());
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if keys.contains(&key) {
            taken.push((key.to_owned(), percent_decode(value)));
        } else if !pair.is_empty() {
            kept.push(pair);
        }
    }
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    (out, taken)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(v as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("mysql://u:s3cr%40t@h:3306/db?x=1"),
            "mysql://u:***@h:3306/db?x=1"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://u:p@ss@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite:///x.db"), "sqlite:///x.db");
        assert_eq!(redact_url("app:s3cret@db/prod"), "app:***@db/prod");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redact_message(
                "bad s3cr@t in mysql://u:s3cr%40t@h/db",
                "mysql://u:s3cr%40t@h/db"
            ),
            "bad *** in mysql://u:***@h/db"
        );
    }

    #[test]
    fn passwords_with_delimiters_are_redacted() {
        for (url, password, redacted) in [
            (
                "postgres://app:ab/cd@db/prod",
                "ab/cd",
                "postgres://app:***@db/prod",
            ),
            (
                "postgres://app:ab?cd@db/prod?sslmode=disable",
                "ab?cd",
                "postgres://app:***@db/prod?sslmode=disable",
            ),
            (
                "postgres://app:ab#cd@db:5432/prod",
                "ab#cd",
                "postgres://app:***@db:5432/prod",
            ),
            (
                "postgres://app:a@b/c?d#e@db/prod",
                "a@b/c?d#e",
                "postgres://app:***@db/prod",
            ),
            ("postgres://app:x/y?z@db", "x/y?z", "postgres://app:***@db"),
            (
                "postgres://app:pw@db/prod?options=a@b",
                "pw",
                "postgres://app:***@db/prod?options=a@b",
            ),
        ] {
            assert_eq!(url_password(url), Some(password), "{url}");
            let shown = redact_url(url);
            assert_eq!(shown, redacted, "{url}");
            assert!(!shown.contains(password), "{shown}");
        }
        assert_eq!(url_password("postgres://db/prod?x=a@b"), None);
        assert_eq!(
            redact_url("postgres://db/prod?x=a@b"),
            "postgres://db/prod?x=a@b"
        );
    }

    #[test]
    fn a_short_password_leaves_the_message_readable() {
        let url = "postgres://app:a@db/prod";
        assert_eq!(
            redact_message("password authentication failed for user \"app\": a", url),
            "password authentication failed for user \"app\": ***"
        );
        assert_eq!(
            redact_message("bad password 'a' at postgres://app:a@db/prod", url),
            "bad password '***' at postgres://app:***@db/prod"
        );
        assert_eq!(
            redact_message("x ab/cd y", "postgres://app:ab/cd@db/prod"),
            "x *** y"
        );
    }
}
