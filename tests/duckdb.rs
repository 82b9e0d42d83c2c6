//! The conformance suite on DuckDB (in memory, one database per test).

mod common;

athanor_conformance::suite!(common::DuckDb);
