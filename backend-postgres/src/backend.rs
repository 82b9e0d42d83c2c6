//! The PostgreSQL backend as `Database::open` reaches it: `postgres:` and
//! `postgresql:` URLs.

use athanor_core::{Backend, ConnectOptions, Connection, Dialect, Endpoint, Result};

use crate::connection::PgConnection;

/// The PostgreSQL backend: `postgres://user:pass@host:port/db` (or
/// `postgresql://`), read by [`PgConnection::connect_with`]. Registered by
/// the `athanor` facade under its `postgres` feature, through the same
/// public API any backend uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct PgBackend;

/// The PostgreSQL backend, to register with `athanor::backend::register`.
pub static BACKEND: PgBackend = PgBackend;

impl Backend for PgBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["postgres", "postgresql"]
    }

    fn dialects(&self) -> Vec<&'static dyn Dialect> {
        vec![&crate::POSTGRES]
    }

    fn endpoint(&self, url: &str) -> Result<Endpoint> {
        Ok(Endpoint::server(url))
    }

    fn connect(
        &self,
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<Box<dyn Connection>> {
        Ok(Box::new(PgConnection::connect_with(
            endpoint.address(),
            options,
        )?))
    }
}
