//! Database URLs in messages: the password never shows.

/// The password of `scheme://user:password@host/...`, as written in the URL
/// (percent-encoded), when there is one.
pub fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    // The authority ends at the first '/', '?' or '#'; the user info at its last '@'.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    Some(password)
}

/// `url` with its password replaced by `***`, for error messages, logs and
/// `Debug` output. A URL without a password is returned unchanged.
pub fn redact_url(url: &str) -> String {
    match url_password(url) {
        Some(password) => {
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(authority_len);
            let at = authority.rfind('@').unwrap_or(0);
            let user_end = at - password.len() - 1;
            format!(
                "{scheme}://{}:***{}{tail}",
                &authority[..user_end],
                &authority[at..]
            )
        }
        None => url.to_owned(),
    }
}

/// `message` with any occurrence of `url`, or of its password (raw or
/// percent-decoded), replaced: for driver messages about a connection
/// that may quote what they were given.
pub fn redact_message(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &redact_url(url));
    if let Some(password) = url_password(url).filter(|p| !p.is_empty()) {
        out = out.replace(password, "***");
        let decoded = percent_decode(password);
        if !decoded.is_empty() {
            out = out.replace(&decoded, "***");
        }
    }
    out
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
        assert_eq!(
            redact_message(
                "bad s3cr@t in mysql://u:s3cr%40t@h/db",
                "mysql://u:s3cr%40t@h/db"
            ),
            "bad *** in mysql://u:***@h/db"
        );
    }
}
