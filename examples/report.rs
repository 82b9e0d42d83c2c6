//! A small sales report: customers, products, orders and order lines, read
//! with joins, GROUP BY / HAVING and exact decimal totals. It prints the same
//! report on every backend:
//!
//! ```text
//! cargo run --example report
//! ATHANOR_URL=postgres://... cargo run --example report --features postgres
//! ```
use athanor::chrono::NaiveDate;
use athanor::prelude::*;
use athanor::rust_decimal::Decimal;
use athanor::{count_all, count_distinct, max, sum, FromRow, Related};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "rpt_customers")]
struct Customer {
    #[orm(primary_key)]
    id: i64,
    #[orm(max_length = 40)]
    name: String,
    #[orm(max_length = 40)]
    city: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "rpt_products")]
struct Product {
    #[orm(primary_key)]
    id: i64,
    #[orm(max_length = 40)]
    name: String,
    #[orm(precision = 10, scale = 2)]
    price: Decimal,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "rpt_orders")]
struct Order {
    #[orm(primary_key)]
    id: i64,
    #[orm(references = Customer)]
    customer_id: i64,
    placed_on: NaiveDate,
    #[orm(belongs_to(Customer, foreign_key = customer_id))]
    customer: Related<Customer>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "rpt_lines")]
struct Line {
    #[orm(primary_key)]
    id: i64,
    #[orm(references = Order, on_delete = "cascade")]
    order_id: i64,
    #[orm(references = Product)]
    product_id: i64,
    quantity: i32,
    /// The line's amount: unit price × quantity, fixed when the order was placed.
    #[orm(precision = 12, scale = 2)]
    amount: Decimal,
    #[orm(belongs_to(Order, foreign_key = order_id))]
    order: Related<Order>,
    #[orm(belongs_to(Product, foreign_key = product_id))]
    product: Related<Product>,
}

/// One row of the per-city report.
#[derive(FromRow, Debug)]
struct CityTotal {
    city: String,
    orders: i64,
    lines: i64,
    total: Option<Decimal>,
    biggest_line: Option<Decimal>,
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn main() -> athanor::Result<()> {
    let url = std::env::var("ATHANOR_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = Database::open(&url)?;
    let mut conn = db.connect()?;
    let schema = Schema::new()
        .register::<Customer>()
        .register::<Product>()
        .register::<Order>()
        .register::<Line>();
    schema.drop_all(&mut conn)?;
    schema.create_all(&mut conn)?;

    let mut customers: Vec<Customer> = [
        ("Ann", "Seoul"),
        ("Bob", "Busan"),
        ("Cho", "Seoul"),
        ("Dan", "Daegu"),
    ]
    .iter()
    .map(|(name, city)| Customer {
        id: 0,
        name: (*name).into(),
        city: (*city).into(),
    })
    .collect();
    Customer::insert_many(&mut conn, &mut customers)?;
    let mut products: Vec<Product> = [("pen", "1.50"), ("ink", "12.25"), ("pad", "3.10")]
        .iter()
        .map(|(name, price)| Product {
            id: 0,
            name: (*name).into(),
            price: dec(price),
        })
        .collect();
    Product::insert_many(&mut conn, &mut products)?;

    // Each customer but Dan orders on a few days; quantities vary.
    let mut tx = conn.transaction()?;
    for (c, customer) in customers.iter().enumerate().take(3) {
        for day in 1..=(c as u32 + 2) {
            let mut order = Order {
                id: 0,
                customer_id: customer.id,
                placed_on: NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default(),
                customer: Related::NotLoaded,
            };
            order.insert(&mut tx)?;
            let mut lines: Vec<Line> = products
                .iter()
                .enumerate()
                .filter(|(p, _)| (p + day as usize + c) % 2 == 0)
                .map(|(p, product)| {
                    let quantity = (p + day as usize + c) as i32;
                    Line {
                        id: 0,
                        order_id: order.id,
                        product_id: product.id,
                        quantity,
                        amount: product.price * Decimal::from(quantity),
                        order: Related::NotLoaded,
                        product: Related::NotLoaded,
                    }
                })
                .collect();
            Line::insert_many(&mut tx, &mut lines)?;
        }
    }
    tx.commit()?;

    println!("Sales by city (cities with more than one order), largest first");
    let cities: Vec<CityTotal> = Line::query()
        .join(Line::ORDER)
        .join_on::<Customer>(Order::CUSTOMER_ID.eq(Customer::ID))
        .group_by(Customer::CITY)
        .having(count_distinct(Order::ID).gt(1))
        .select((
            Customer::CITY,
            count_distinct(Order::ID),
            count_all(),
            sum(Line::AMOUNT),
            max(Line::AMOUNT),
        ))
        .order_by(sum(Line::AMOUNT).desc())
        .read_as::<CityTotal>()
        .all(&mut conn)?;
    println!(
        "{:<8} {:>6} {:>6} {:>10} {:>10}",
        "city", "orders", "lines", "total", "biggest"
    );
    for c in &cities {
        println!(
            "{:<8} {:>6} {:>6} {:>10.2} {:>10.2}",
            c.city,
            c.orders,
            c.lines,
            c.total.unwrap_or_default(),
            c.biggest_line.unwrap_or_default()
        );
    }

    println!();
    println!("Units and revenue by product");
    let per_product: Vec<(String, Option<i64>, Option<Decimal>)> = Product::query()
        .left_join_on::<Line>(Line::PRODUCT_ID.eq(Product::ID))
        .group_by(Product::NAME)
        .select((Product::NAME, sum(Line::QUANTITY), sum(Line::AMOUNT)))
        .order_by(Product::NAME.asc())
        .all(&mut conn)?;
    for (name, units, revenue) in &per_product {
        println!(
            "{:<8} {:>6} {:>10.2}",
            name,
            units.unwrap_or(0),
            revenue.unwrap_or_default()
        );
    }

    println!();
    println!("Customers who never ordered");
    let idle: Vec<String> = Customer::query()
        .filter(
            !Order::query()
                .filter(Order::CUSTOMER_ID.eq(Customer::ID))
                .exists_expr(),
        )
        .select(Customer::NAME)
        .order_by(Customer::NAME.asc())
        .all(&mut conn)?;
    println!("{}", idle.join(", "));

    let grand: Option<Decimal> = Line::query().select(sum(Line::AMOUNT)).one(&mut conn)?;
    println!();
    println!("Grand total: {:.2}", grand.unwrap_or_default());
    schema.drop_all(&mut conn)?;
    Ok(())
}
