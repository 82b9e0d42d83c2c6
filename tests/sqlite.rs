//! The conformance suite on SQLite (in memory, one database per test).

mod common;
mod conformance;

conformance_suite!(common::sqlite);
