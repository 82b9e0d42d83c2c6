//! The URL's TLS settings as the mysql crate's `SslOpts` (rustls with ring
//! under the `tls` feature).

use athanor_core::{Result, TlsOptions};

/// The driver's TLS options for `tls`; `None` for a plain connection.
///
/// # Failure
/// [`Error::Unsupported`](athanor_core::Error::Unsupported) when TLS is
/// required and athanor was built without its `tls` feature.
#[cfg(feature = "tls")]
pub fn ssl_opts(tls: &TlsOptions) -> Result<Option<mysql::SslOpts>> {
    use athanor_core::TlsMode;
    if let Some(path) = &tls.root_cert {
        // The driver's own error would not say which file.
        std::fs::File::open(path).map_err(|e| athanor_core::Error::Connection {
            message: format!("TLS: cannot read sslrootcert `{}`: {e}", path.display()),
        })?;
    }
    let opts = mysql::SslOpts::default();
    Ok(Some(
        match tls.mode {
            TlsMode::Disable => return Ok(None),
            TlsMode::VerifyCa => opts.with_danger_skip_domain_validation(true),
            TlsMode::VerifyFull => opts,
            // prefer, require, and any later mode that does not check certificates.
            _ => opts.with_danger_accept_invalid_certs(true),
        }
        .with_root_cert_path(tls.root_cert.clone()),
    ))
}

/// The driver's TLS options for `tls`: none, as this build has no TLS.
///
/// # Failure
/// [`Error::Unsupported`](athanor_core::Error::Unsupported) when the URL
/// requires TLS (build athanor with its `tls` feature).
#[cfg(not(feature = "tls"))]
pub fn ssl_opts(tls: &TlsOptions) -> Result<Option<mysql::SslOpts>> {
    if tls.mode.requires_tls() {
        return Err(athanor_core::Error::Unsupported {
            backend: "mysql",
            capability: format!(
                "sslmode={} (build athanor with its `tls` feature)",
                tls.mode.name()
            ),
        });
    }
    Ok(None)
}
