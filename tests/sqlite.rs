//! The conformance suite on SQLite (in memory, one database per test).

mod common;

athanor_conformance::suite!(common::Sqlite);
