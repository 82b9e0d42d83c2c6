//! The conformance suite on PostgreSQL (one schema per test), reached
//! through `ATHANOR_POSTGRES_URL` as scripts/test.sh sets it.

mod common;

athanor_conformance::suite!(common::Postgres);
