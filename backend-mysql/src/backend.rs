//! The MySQL/MariaDB backend as `Database::open` reaches it: `mysql:` and
//! `mariadb:` URLs.

use athanor_core::{Backend, ConnectOptions, Connection, Dialect, Endpoint, Error, Result};

use crate::connection::MysqlConnection;

/// The MySQL and MariaDB backend: `mysql://user:pass@host:port/db` (or
/// `mariadb://`), read by [`MysqlConnection::connect_with`]. Registered by
/// the `athanor` facade under its `mysql` feature, through the same public
/// API any backend uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct MysqlBackend;

/// The MySQL/MariaDB backend, to register with `athanor::backend::register`.
pub static BACKEND: MysqlBackend = MysqlBackend;

impl Backend for MysqlBackend {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["mysql", "mariadb"]
    }

    fn dialects(&self) -> Vec<&'static dyn Dialect> {
        vec![
            &crate::MARIADB,
            &crate::MARIADB_10_5,
            &crate::MARIADB_LEGACY,
            &crate::MYSQL,
            &crate::MYSQL_LEGACY,
        ]
    }

    /// The driver reads `mysql:` URLs only: `mariadb://...` is passed on as
    /// `mysql://...`.
    fn endpoint(&self, url: &str) -> Result<Endpoint> {
        let (_, rest) = url.split_once(':').ok_or_else(|| {
            Error::Url(format!("`{}` has no scheme", athanor_core::redact_url(url)))
        })?;
        Ok(Endpoint::server(format!("mysql:{rest}")))
    }

    fn connect(
        &self,
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<Box<dyn Connection>> {
        Ok(Box::new(MysqlConnection::connect_with(
            endpoint.address(),
            options,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_urls_reach_the_driver_as_mysql_urls() {
        let endpoint = BACKEND.endpoint("mariadb://u:p@h:3306/db").unwrap();
        assert_eq!(endpoint.address(), "mysql://u:p@h:3306/db");
        assert!(endpoint.is_server());
    }
}
