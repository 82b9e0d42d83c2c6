//! What backend authors need, in one place: the traits a backend implements
//! ([`Backend`], [`Dialect`], [`Connection`], [`Row`]), the values that
//! cross the boundary, and the registry that [`Database::open`](crate::Database::open)
//! dispatches through.
//!
//! A backend crate implements [`Backend`] for a value, and either the
//! program or the backend crate registers it with [`register`]; from then
//! on `Database::open("myscheme://...")` reaches it, with the pool,
//! sessions, SQL echo, statement capture and timeouts every backend gets.
//! The SQLite, PostgreSQL and MySQL/MariaDB backends of this repository are
//! registered through [`register`] too (at first use, for each enabled
//! feature). The [guide] (`docs/backends.md`) shows how to write, register
//! and certify one.
//!
//! ```
//! use athanor::backend::{self, Backend};
//! # fn main() -> athanor::Result<()> {
//! // The built-in backends of this build are registered at first use.
//! let schemes: Vec<&str> = backend::registered()
//!     .iter()
//!     .flat_map(|b| b.schemes().iter().copied())
//!     .collect();
//! assert!(schemes.contains(&"sqlite"));
//! // Registering a backend twice is harmless.
//! # #[cfg(feature = "sqlite")]
//! backend::register(&athanor::backends::sqlite::BACKEND)?;
//! # Ok(())
//! # }
//! ```

use std::sync::{Once, RwLock};

#[doc = include_str!("../docs/backends.md")]
pub mod guide {}

pub use athanor_core::{
    foreign_key_name, redact_message, redact_url, take_tls_options, take_url_params,
    timeout_millis, unique_constraint_name, write_quoted, Backend, CancelHandle, CancelQuery,
    CastTarget, ColumnType, ConnectOptions, Connection, Dialect, Endpoint, Isolation, KeyStrategy,
    LockMode, LockWait, RowLock, SqlWriter, TlsMode, TlsOptions, UpsertStyle, Value, ValueRef,
    LONG_IN_LIST, MAX_EXPR_DEPTH, PRIMARY_KEY_CONSTRAINT,
};
pub use athanor_core::{
    statement_count, ConstraintKind, ConstraintViolation, ConversionError, Error, Result, Row,
    TransientKind,
};

/// The registered backends, in the order they were registered.
static REGISTRY: RwLock<Vec<&'static dyn Backend>> = RwLock::new(Vec::new());

/// The registry, with the built-in backends of this build registered first
/// (once, through the same [`add`] that [`register`] uses).
fn registry() -> &'static RwLock<Vec<&'static dyn Backend>> {
    static BUILTIN: Once = Once::new();
    BUILTIN.call_once(|| {
        #[cfg(feature = "sqlite")]
        let _ = add(&athanor_sqlite::BACKEND);
        #[cfg(feature = "postgres")]
        let _ = add(&athanor_postgres::BACKEND);
        #[cfg(feature = "mysql")]
        let _ = add(&athanor_mysql::BACKEND);
        #[cfg(feature = "duckdb")]
        let _ = add(&athanor_duckdb::BACKEND);
    });
    &REGISTRY
}

/// Makes `backend` reachable by [`Database::open`](crate::Database::open)
/// for each of its [`schemes`](Backend::schemes) (lower case: schemes are
/// matched without regard to case). Registering the same backend again
/// (the same type, name and schemes) does nothing, so a backend crate may
/// register itself at every entry point.
///
/// # Failure
/// [`Error::Url`] when a scheme is empty or not lower-case ASCII letters,
/// digits, `+`, `-` or `.`; when one of its schemes is taken by another
/// backend, or another backend has its name (a second copy of a backend
/// crate, say): a scheme names one backend.
pub fn register(backend: &'static dyn Backend) -> Result<()> {
    registry();
    add(backend)
}

/// Adds `backend` to the registry (see [`register`]).
fn add(backend: &'static dyn Backend) -> Result<()> {
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
            })
    };
    if let Some(bad) = backend.schemes().iter().find(|s| !valid(s)) {
        return Err(Error::Url(format!(
            "cannot register backend `{}`: `{bad}` is not a URL scheme in lower case",
            backend.name()
        )));
    }
    let mut backends = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
    for known in backends.iter() {
        let same_name = known.name() == backend.name();
        let shared = backend
            .schemes()
            .iter()
            .find(|s| known.schemes().contains(s));
        let same_type = std::any::Any::type_id(*known) == std::any::Any::type_id(backend);
        if same_type && same_name && known.schemes() == backend.schemes() {
            return Ok(());
        }
        if let Some(scheme) = shared {
            return Err(Error::Url(format!(
                "cannot register backend `{}`: scheme `{scheme}` belongs to backend `{}`",
                backend.name(),
                known.name()
            )));
        }
        if same_name {
            return Err(Error::Url(format!(
                "cannot register backend `{}`: another backend has that name",
                backend.name()
            )));
        }
    }
    backends.push(backend);
    Ok(())
}

/// The backends `Database::open` can reach now: the built-in ones of this
/// build, then those given to [`register`], in order.
pub fn registered() -> Vec<&'static dyn Backend> {
    registry().read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The backend registered for `scheme`.
pub(crate) fn for_scheme(scheme: &str) -> Option<&'static dyn Backend> {
    registry()
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .copied()
        .find(|b| b.schemes().contains(&scheme))
}

/// The built-in backends' schemes and the facade feature each needs, for
/// the error that names the feature when it is off.
const BUILTIN_SCHEMES: [(&str, &str); 6] = [
    ("sqlite", "sqlite"),
    ("postgres", "postgres"),
    ("postgresql", "postgres"),
    ("mysql", "mysql"),
    ("mariadb", "mysql"),
    ("duckdb", "duckdb"),
];

/// The backend for `url`'s scheme.
///
/// # Failure
/// [`Error::Url`] when the URL has no scheme, names a built-in backend whose
/// feature is off (naming the feature), or a scheme no backend registered
/// (naming those that are).
pub(crate) fn for_url(url: &str) -> Result<&'static dyn Backend> {
    let schemes = || {
        let all: Vec<&str> = registered()
            .iter()
            .flat_map(|b| b.schemes().iter().copied())
            .collect();
        if all.is_empty() {
            "none (no backend feature is enabled)".to_owned()
        } else {
            all.join(", ")
        }
    };
    // The messages name the scheme, never the URL: without `://` a
    // password could not be told apart to hide it.
    let Some((scheme, _)) = url.split_once(':') else {
        return Err(Error::Url(format!(
            "the URL has no scheme (`scheme:...`); registered: {}",
            schemes()
        )));
    };
    let scheme = scheme.to_ascii_lowercase();
    if let Some(backend) = for_scheme(&scheme) {
        return Ok(backend);
    }
    if let Some((_, feature)) = BUILTIN_SCHEMES.iter().find(|(s, _)| *s == scheme) {
        return Err(Error::Url(format!(
            "`{scheme}:` URLs need the `{feature}` feature of athanor, which this build does not enable"
        )));
    }
    Err(Error::Url(format!(
        "unknown scheme `{scheme}`; registered: {}",
        schemes()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With its feature on, a built-in scheme reaches its backend; with it
    /// off, the error names the feature (and never the password).
    #[test]
    fn builtin_schemes_reach_their_backend_or_name_their_feature() {
        for (scheme, feature) in BUILTIN_SCHEMES {
            let url = format!("{scheme}://app:s3cretpw@h/db");
            match for_url(&url) {
                Ok(backend) => assert!(backend.schemes().contains(&scheme)),
                Err(err) => {
                    let text = err.to_string();
                    assert!(matches!(err, Error::Url(_)), "{text}");
                    assert!(text.contains(&format!("`{feature}` feature")), "{text}");
                    assert!(!text.contains("s3cretpw"), "{text}");
                }
            }
        }
    }
}
