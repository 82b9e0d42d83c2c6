//! A small store: customers, products, orders and their lines, for joins,
//! aggregates, subqueries and expressions.

use athanor::chrono::{NaiveDate, NaiveDateTime};
use athanor::prelude::*;
use athanor::rust_decimal::Decimal;
use athanor::Related;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "customers")]
pub struct Customer {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 50)]
    pub name: String,
    pub city: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "products")]
pub struct Product {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 50)]
    pub name: String,
    #[orm(precision = 10, scale = 2)]
    pub price: Decimal,
    pub stock: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "orders")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = Customer)]
    pub customer_id: i64,
    pub placed_on: NaiveDate,
    pub placed_at: NaiveDateTime,
    #[orm(belongs_to(Customer, foreign_key = customer_id))]
    pub customer: Related<Customer>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "order_lines")]
pub struct OrderLine {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = Order, on_delete = "cascade")]
    pub order_id: i64,
    #[orm(references = Product)]
    pub product_id: i64,
    pub quantity: i32,
    #[orm(precision = 10, scale = 2)]
    pub unit_price: Decimal,
    #[orm(belongs_to(Product, foreign_key = product_id))]
    pub product: Related<Product>,
    #[orm(belongs_to(Order, foreign_key = order_id))]
    pub order: Related<Order>,
}

pub fn dec(s: &str) -> Decimal {
    s.parse().expect("a decimal literal")
}

pub fn schema() -> Schema {
    Schema::new()
        .register::<Customer>()
        .register::<Product>()
        .register::<Order>()
        .register::<OrderLine>()
}

pub struct Store {
    pub customers: Vec<Customer>,
    pub products: Vec<Product>,
    pub orders: Vec<Order>,
}

/// Customers Ann (Seoul), Bob (Busan), Cid (no city, no orders); products
/// pen 1.50, ink 12.25, pad 3.10 (never sold); Ann buys twice, Bob once.
pub fn open_store(conn: &mut athanor::DbConn<'_>) -> Store {
    schema().create_all(conn).unwrap();
    let mut customers = vec![
        Customer {
            id: 0,
            name: "Ann".into(),
            city: Some("Seoul".into()),
        },
        Customer {
            id: 0,
            name: "Bob".into(),
            city: Some("Busan".into()),
        },
        Customer {
            id: 0,
            name: "Cid".into(),
            city: None,
        },
    ];
    Customer::insert_many(conn, &mut customers).unwrap();
    let mut products = vec![
        Product {
            id: 0,
            name: "pen".into(),
            price: dec("1.50"),
            stock: 100,
        },
        Product {
            id: 0,
            name: "ink".into(),
            price: dec("12.25"),
            stock: 7,
        },
        Product {
            id: 0,
            name: "pad".into(),
            price: dec("3.10"),
            stock: 0,
        },
    ];
    Product::insert_many(conn, &mut products).unwrap();
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let mut orders = vec![
        Order {
            id: 0,
            customer_id: customers[0].id,
            placed_on: day(1),
            placed_at: day(1).and_hms_micro_opt(9, 30, 0, 123_456).unwrap(),
            customer: Related::NotLoaded,
        },
        Order {
            id: 0,
            customer_id: customers[0].id,
            placed_on: day(2),
            placed_at: day(2).and_hms_micro_opt(17, 5, 59, 999_999).unwrap(),
            customer: Related::NotLoaded,
        },
        Order {
            id: 0,
            customer_id: customers[1].id,
            placed_on: day(2),
            placed_at: day(2).and_hms_micro_opt(12, 0, 0, 0).unwrap(),
            customer: Related::NotLoaded,
        },
    ];
    Order::insert_many(conn, &mut orders).unwrap();
    let line = |order: &Order, product: &Product, quantity: i32| OrderLine {
        id: 0,
        order_id: order.id,
        product_id: product.id,
        quantity,
        unit_price: product.price,
        product: Related::NotLoaded,
        order: Related::NotLoaded,
    };
    let mut lines = vec![
        line(&orders[0], &products[0], 10),
        line(&orders[0], &products[1], 1),
        line(&orders[1], &products[0], 3),
        line(&orders[2], &products[1], 2),
    ];
    OrderLine::insert_many(conn, &mut lines).unwrap();
    Store {
        customers,
        products,
        orders,
    }
}
