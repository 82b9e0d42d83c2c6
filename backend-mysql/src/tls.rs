//! The URL's TLS settings as the mysql crate's `SslOpts` (rustls with ring
//! under the `tls` feature).

use athanor_core::{Result, TlsOptions};

/// The driver's TLS options for `tls`; `None` for a plain connection.
///
/// # Failure
/// [`Error::Unsupported`](athanor_core::Error::Unsupported) for
/// `verify-ca`; [`Error::Connection`](athanor_core::Error::Connection) when
/// `sslrootcert` cannot be read.
#[cfg(feature = "tls")]
pub fn ssl_opts(tls: &TlsOptions) -> Result<Option<mysql::SslOpts>> {
    use athanor_core::TlsMode;
    let opts = mysql::SslOpts::default();
    let opts = match tls.mode {
        TlsMode::Disable => return Ok(None),
        TlsMode::VerifyCa => {
            return Err(athanor_core::Error::Unsupported {
                backend: "mysql",
                capability: "sslmode=verify-ca (the mysql driver trusts the public \
                             authorities besides sslrootcert, so any public certificate \
                             for any name would pass): use verify-full"
                    .into(),
            })
        }
        TlsMode::VerifyFull => opts,
        // prefer, require, and any later mode that does not check certificates.
        _ => opts.with_danger_accept_invalid_certs(true),
    };
    if let Some(path) = &tls.root_cert {
        // The driver's own error would not say which file.
        std::fs::File::open(path).map_err(|e| athanor_core::Error::Connection {
            message: format!("TLS: cannot read sslrootcert `{}`: {e}", path.display()),
        })?;
    }
    // The driver builds its TLS settings with rustls's default provider:
    // name ring, so that another crate enabling aws-lc-rs in the same
    // program does not leave rustls unable to choose (it would panic).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(Some(opts.with_root_cert_path(tls.root_cert.clone())))
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

/// Whether connecting failed for want of TLS (the server offers none, or
/// the handshake failed), so that `prefer` may go on in plain text.
pub fn tls_failed(e: &mysql::Error) -> bool {
    match e {
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => true,
        #[cfg(feature = "tls")]
        mysql::Error::TlsError(_) => true,
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => {
            let text = e.to_string().to_ascii_lowercase();
            ["tls", "certificate", "handshake"]
                .iter()
                .any(|w| text.contains(w))
        }
        _ => false,
    }
}
