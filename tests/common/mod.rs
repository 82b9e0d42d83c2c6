//! Opens a fresh, isolated database per test on each backend.
//!
//! A backend whose server URL is missing or unreachable fails the test: the
//! suite never skips a backend silently.

#![allow(dead_code)]

use athanor::raw::Raw;
use athanor::Database;

fn server_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run the suite through scripts/test.sh, which starts \
             the PostgreSQL and MariaDB servers it needs"
        )
    })
}

/// A private in-memory SQLite database.
pub fn sqlite(_test: &str) -> Database {
    Database::open("sqlite::memory:").expect("in-memory SQLite opens")
}

fn schema_name(test: &str) -> String {
    format!("t_{test}")
}

/// A PostgreSQL database whose search path is a schema of this test's own.
pub fn postgres(test: &str) -> Database {
    let base = server_url("ATHANOR_POSTGRES_URL");
    let admin = Database::open(&base)
        .unwrap_or_else(|e| panic!("PostgreSQL at {}: {e}", athanor::redact_url(&base)));
    let schema = schema_name(test);
    {
        let mut conn = admin.connect().expect("admin connection");
        Raw::new(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .execute(&mut conn)
            .expect("drop schema");
        Raw::new(format!("CREATE SCHEMA \"{schema}\""))
            .execute(&mut conn)
            .expect("create schema");
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Database::open(&url)
        .unwrap_or_else(|e| panic!("PostgreSQL at {}: {e}", athanor::redact_url(&url)))
}

/// A MySQL/MariaDB database of this test's own.
pub fn mysql(test: &str) -> Database {
    let base = server_url("ATHANOR_MYSQL_URL");
    let admin = Database::open(&base)
        .unwrap_or_else(|e| panic!("MySQL at {}: {e}", athanor::redact_url(&base)));
    let name = schema_name(test);
    {
        let mut conn = admin.connect().expect("admin connection");
        Raw::new(format!("DROP DATABASE IF EXISTS `{name}`"))
            .execute(&mut conn)
            .expect("drop database");
        Raw::new(format!("CREATE DATABASE `{name}`"))
            .execute(&mut conn)
            .expect("create database");
    }
    let (prefix, rest) = base.rsplit_once('/').expect("URL names a database");
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{prefix}/{name}{query}");
    Database::open(&url).unwrap_or_else(|e| panic!("MySQL at {}: {e}", athanor::redact_url(&url)))
}
