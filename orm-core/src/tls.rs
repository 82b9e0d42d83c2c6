//! TLS settings of a server URL: `sslmode` and `sslrootcert`, read the same
//! way for PostgreSQL and MySQL/MariaDB so one URL form works on both.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::url::{redact_url, take_url_params};

/// How a connection uses TLS (the URL's `sslmode`, libpq's names; MySQL's
/// `DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA` and `VERIFY_IDENTITY`
/// are accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is
    /// not checked (encryption against a passive listener only). The
    /// default, as in libpq and the MySQL client; plain when athanor is
    /// built without its `tls` feature.
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked.
    Require,
    /// TLS, with a certificate signed by the authority in `sslrootcert`
    /// (required); the host name is not checked. Refused on MySQL/MariaDB,
    /// whose driver would trust the public authorities as well.
    VerifyCa,
    /// TLS, with a certificate signed by the authority in `sslrootcert`, or
    /// by a public authority (Mozilla's roots, bundled) when none is given,
    /// that names the host connected to. On MySQL/MariaDB the public
    /// authorities are trusted even when `sslrootcert` is given (the
    /// driver adds them).
    VerifyFull,
}

impl TlsMode {
    /// Whether the connection fails rather than go without TLS.
    pub fn requires_tls(self) -> bool {
        !matches!(self, TlsMode::Disable | TlsMode::Prefer)
    }

    /// The mode's name in a URL.
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Option<TlsMode> {
        let v = value.to_ascii_lowercase().replace('_', "-");
        Some(match v.as_str() {
            "disable" | "disabled" => TlsMode::Disable,
            "prefer" | "preferred" => TlsMode::Prefer,
            "require" | "required" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" | "verify-identity" => TlsMode::VerifyFull,
            _ => return None,
        })
    }
}

/// The TLS settings of a URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    /// How TLS is used.
    pub mode: TlsMode,
    /// PEM file of the certificate authorities to trust (`sslrootcert`);
    /// `None` trusts the bundled Mozilla roots.
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` (also spelled `ssl-mode`, `ssl_mode`,
/// `ssl-ca`) out of `url`'s query string, leaving the rest for the driver.
///
/// # Failure
/// [`Error::Url`] for an unknown mode, or a root certificate given with a
/// mode that does not check certificates (it would be silently ignored).
///
/// ```
/// use athanor_core::{take_tls_options, TlsMode};
/// let (rest, tls) =
///     take_tls_options("postgres://u@db/app?sslmode=verify-full&sslrootcert=ca.pem&x=1")
///         .unwrap();
/// assert_eq!(rest, "postgres://u@db/app?x=1");
/// assert_eq!(tls.mode, TlsMode::VerifyFull);
/// assert_eq!(tls.root_cert.as_deref(), Some(std::path::Path::new("ca.pem")));
/// ```
pub fn take_tls_options(url: &str) -> Result<(String, TlsOptions)> {
    let (rest, taken) = take_url_params(
        url,
        &["sslmode", "ssl-mode", "ssl_mode", "sslrootcert", "ssl-ca"],
    );
    let mut options = TlsOptions::default();
    for (key, value) in taken {
        if key.ends_with("mode") {
            options.mode = TlsMode::parse(&value).ok_or_else(|| {
                Error::Url(format!(
                    "`{key}={value}` in `{}`: expected disable, prefer, require, verify-ca or verify-full",
                    redact_url(url)
                ))
            })?;
        } else if value.is_empty() {
            return Err(Error::Url(format!(
                "`{key}=` in `{}`: expected the path of a PEM file",
                redact_url(url)
            )));
        } else {
            options.root_cert = Some(PathBuf::from(value));
        }
    }
    if options.mode == TlsMode::VerifyCa && options.root_cert.is_none() {
        return Err(Error::Url(format!(
            "`sslmode=verify-ca` in `{}` needs `sslrootcert`: a certificate from any public \
             authority, for any host name, would pass (use verify-full to check public \
             certificates)",
            redact_url(url)
        )));
    }
    if options.root_cert.is_some()
        && !matches!(options.mode, TlsMode::VerifyCa | TlsMode::VerifyFull)
    {
        return Err(Error::Url(format!(
            "`sslrootcert` in `{}` needs `sslmode=verify-ca` or `verify-full`: with `{}` no certificate is checked",
            redact_url(url),
            options.mode.name()
        )));
    }
    Ok((rest, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_in_both_spellings() {
        for (text, mode) in [
            ("disable", TlsMode::Disable),
            ("PREFERRED", TlsMode::Prefer),
            ("required", TlsMode::Require),
            ("VERIFY_CA", TlsMode::VerifyCa),
            ("VERIFY_IDENTITY", TlsMode::VerifyFull),
            ("verify-full", TlsMode::VerifyFull),
        ] {
            // verify-ca needs a root certificate to check against.
            let root = if mode == TlsMode::VerifyCa {
                "&ssl-ca=ca.pem"
            } else {
                ""
            };
            let (rest, tls) =
                take_tls_options(&format!("mysql://h/db?ssl-mode={text}{root}&x=1")).unwrap();
            assert_eq!(rest, "mysql://h/db?x=1");
            assert_eq!(tls.mode, mode, "{text}");
        }
        let (_, tls) = take_tls_options("postgres://h/db").unwrap();
        assert_eq!(tls.mode, TlsMode::Prefer);
    }

    #[test]
    fn bad_settings_are_refused_without_the_password() {
        let err = take_tls_options("postgres://u:sekrit@h/db?sslmode=maybe").unwrap_err();
        assert!(
            matches!(&err, Error::Url(m) if m.contains("sslmode=maybe") && !m.contains("sekrit")),
            "{err}"
        );
        let err = take_tls_options("postgres://h/db?sslmode=verify-ca").unwrap_err();
        assert!(
            matches!(&err, Error::Url(m) if m.contains("sslrootcert")),
            "{err}"
        );
        let err =
            take_tls_options("postgres://h/db?sslmode=require&sslrootcert=/ca.pem").unwrap_err();
        assert!(
            matches!(&err, Error::Url(m) if m.contains("verify-ca")),
            "{err}"
        );
        let (_, tls) =
            take_tls_options("postgres://h/db?sslrootcert=%2Ftmp%2Fca.pem&sslmode=verify-ca")
                .unwrap();
        assert_eq!(tls.root_cert, Some(PathBuf::from("/tmp/ca.pem")));
    }
}
