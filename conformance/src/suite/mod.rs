//! The suite's tests, one file per area. Each test is a `pub fn` taking
//! `&TestDb` (or `&Database`) and returning nothing; the crate's build
//! script lists them for [`suite!`](crate::suite), and fails when a file
//! here is not declared below.

pub mod concurrency;
pub mod crud;
pub mod errors;
pub mod filters;
pub mod joins;
pub mod migrations;
pub mod migrations_apply;
pub mod migrations_keys;
pub mod migrations_names;
pub mod migrations_property;
pub mod migrations_recovery;
pub mod migrations_revert;
pub mod models;
pub mod query;
pub mod registry;
pub mod relations;
pub mod schema;
pub mod stateful;
pub mod store;
pub mod transactions;
pub mod types;
pub mod unit_of_work;
pub mod values;
pub mod versioning;
