//! The conformance suite's harnesses for this repository's backends: a
//! fresh, isolated database per test, and each backend's capabilities.
//!
//! A backend whose server URL is missing or unreachable fails the test: the
//! suite never skips a backend silently.

#![allow(dead_code)]

use athanor::raw::Raw;
use athanor::Database;
use athanor_conformance::{Capabilities, Harness};

/// SQLite, in memory: one private database per test.
pub struct Sqlite;

impl Harness for Sqlite {
    fn open(&self, test: &str) -> athanor::Result<Database> {
        Ok(sqlite(test))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            // No exact decimal type (README, "Known differences").
            .exact_decimals(false)
            // SQLite counts one level more than athanor (its maximum is 1000).
            .max_expression_depth(999)
            .file_scheme("sqlite")
    }
}

/// PostgreSQL: one schema per test, on the server of `ATHANOR_POSTGRES_URL`.
pub struct Postgres;

impl Harness for Postgres {
    fn open(&self, test: &str) -> athanor::Result<Database> {
        Ok(postgres(test))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .text_holds_nul(false)
            .strict_parameter_types(true)
    }

    fn unreachable_url(&self) -> Option<String> {
        Some("postgres://nobody:s3cretpw@127.0.0.1:1/none".into())
    }

    fn unknown_parameter_url(&self) -> Option<String> {
        Some("postgres://nobody:s3cretpw@127.0.0.1:1/none?bogus=1".into())
    }

    fn refused_login_url(&self) -> Option<String> {
        Some(server_url("ATHANOR_POSTGRES_URL").replacen(
            "postgres://postgres@",
            "postgres://nobody:s3cretpw@",
            1,
        ))
    }
}

/// MySQL/MariaDB: one database per test, on the server of `ATHANOR_MYSQL_URL`.
pub struct Mysql;

impl Harness for Mysql {
    fn open(&self, test: &str) -> athanor::Result<Database> {
        Ok(mysql(test))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            // A stock MariaDB (292 KiB thread stack) overruns its stack
            // between 550 and 600 levels.
            .max_expression_depth(500)
            .max_statement_bytes_query("SELECT @@max_allowed_packet")
            .moves_text(true)
    }

    fn unreachable_url(&self) -> Option<String> {
        Some("mysql://nobody:s3cretpw@127.0.0.1:1/none".into())
    }

    fn refused_login_url(&self) -> Option<String> {
        Some(server_url("ATHANOR_MYSQL_URL").replacen("athanor:athanor@", "athanor:s3cretpw@", 1))
    }

    fn unknown_parameter_url(&self) -> Option<String> {
        Some("mysql://nobody:s3cretpw@127.0.0.1:1/none?bogus=1".into())
    }
}

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

/// DuckDB, in memory: one private database per test (its pooled
/// connections share it).
pub struct DuckDb;

impl Harness for DuckDb {
    fn open(&self, _test: &str) -> athanor::Result<Database> {
        Database::open("duckdb::memory:")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .file_scheme("duckdb")
            // No statement switches DuckDB's foreign keys off.
            .foreign_keys_switch_off(false)
            // A CHECK violation names the table and expression only.
            .check_constraint_names(false)
            // No catalog introspection, so no migrations (docs/backends.md).
            .migrations(false)
            // DuckDB's parser stops at 1000 levels of its own counting.
            .max_expression_depth(400)
    }
}
