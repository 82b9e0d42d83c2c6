use athanor::prelude::*;

#[derive(Model)]
struct Account {
    #[orm(primary_key)]
    id: i64,
    #[orm(version)]
    version: Option<i32>,
}

fn main() {}
