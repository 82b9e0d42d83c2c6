use athanor::prelude::*;

#[derive(Model)]
struct Customer {
    #[orm(primary_key)]
    id: i64,
    name: String,
}

#[derive(Model)]
struct Product {
    #[orm(primary_key)]
    id: i64,
    name: String,
}

fn update(conn: &mut athanor::DbConn<'_>) {
    let _ = Product::query().update(conn, [Customer::NAME.set("x".to_owned())]);
}

fn main() {}
