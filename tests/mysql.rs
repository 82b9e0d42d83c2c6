//! The conformance suite on MySQL/MariaDB (one database per test), reached
//! through `ATHANOR_MYSQL_URL` as scripts/test.sh sets it.

mod common;

athanor_conformance::suite!(common::Mysql);
