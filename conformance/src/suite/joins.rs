//! Joins, aggregates, subqueries and expressions over the store.

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::rust_decimal::Decimal;
use athanor::{
    avg, coalesce, concat, count, count_all, count_distinct, lower, max, min, sum, upper, FromRow,
    Value,
};

use super::models::Membership;
use super::relations::Employee;
use super::store::*;
use crate::TestDb;

pub fn inner_join_along_a_relationship_reads_pairs(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    let rows: Vec<(OrderLine, Product)> = OrderLine::query()
        .join(OrderLine::PRODUCT)
        .filter(Product::NAME.eq("ink"))
        .order_by(OrderLine::QUANTITY.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|(l, p)| l.product_id == p.id && p.name == "ink"));
    assert_eq!(rows[0].0.quantity, 1);
    // Joined twice, with the explicit-condition form for the second.
    let named: Vec<((OrderLine, Order), Customer)> = OrderLine::query()
        .join(OrderLine::ORDER)
        .join_on::<Customer>(Order::CUSTOMER_ID.eq(Customer::ID))
        .filter(Customer::NAME.eq("Bob"))
        .all(&mut conn)
        .unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].0 .1.customer_id, named[0].1.id);
}

pub fn left_join_gives_none_for_the_missing_side(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    let rows: Vec<(Customer, Option<Order>)> = Customer::query()
        .left_join_on::<Order>(Order::CUSTOMER_ID.eq(Customer::ID))
        .order_by(Customer::NAME.asc())
        .order_by(Order::PLACED_AT.asc())
        .all(&mut conn)
        .unwrap();
    let summary: Vec<(String, bool)> = rows
        .iter()
        .map(|(c, o)| (c.name.clone(), o.is_some()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Ann".to_string(), true),
            ("Ann".to_string(), true),
            ("Bob".to_string(), true),
            ("Cid".to_string(), false)
        ]
    );
    let lonely = Customer::query()
        .left_join_on::<Order>(Order::CUSTOMER_ID.eq(Customer::ID))
        .filter(Order::ID.is_null())
        .all(&mut conn)
        .unwrap();
    assert_eq!(lonely.len(), 1);
    assert_eq!(lonely[0].0.name, "Cid");
}

/// An optional model is absent exactly when its primary key is NULL
/// (SQLAlchemy's rule), wherever it sits in the row: other columns set
/// beside a NULL key still read as no model, and a key only half NULL is a
/// model, whose NULL key column is refused by name.
pub fn an_optional_model_is_absent_exactly_when_its_key_is_null(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    // Membership's key is (group_name, user_id), read here at columns 3 and 4.
    let read = |conn: &mut athanor::DbConn<'_>, membership: &str| {
        Raw::new(format!(
            "SELECT id, name, city, {membership} FROM customers ORDER BY id"
        ))
        .fetch_all::<(Customer, Option<Membership>), _>(conn)
    };
    let absent = read(&mut conn, "NULL, NULL, name").unwrap();
    assert_eq!(absent.len(), 3);
    assert!(absent.iter().all(|(_, m)| m.is_none()), "{absent:?}");
    let present = read(&mut conn, "name, id, name").unwrap();
    assert!(
        present.iter().all(|(c, m)| m
            .as_ref()
            .is_some_and(|m| m.group_name == c.name && m.user_id == c.id)),
        "{present:?}"
    );
    let half = read(&mut conn, "NULL, id, name").unwrap_err();
    assert!(
        matches!(&half, Error::Conversion(_)) && half.to_string().contains("group_name"),
        "{half}"
    );
}

/// A derived model may move its text out of the row it reads (MySQL's
/// backend does, instead of copying it): a column read again after the
/// model gives the same text, or where the backend moves text
/// ([`Capabilities::moves_text`](crate::Capabilities::moves_text)) a
/// conversion error naming the column, never another value or NULL; the
/// model itself is whole on every backend.
pub fn a_column_read_again_after_its_model_is_the_same_or_refused(db: &TestDb) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    let mut seen = Vec::new();
    conn.query(
        "SELECT id, name, city FROM customers ORDER BY id",
        &[],
        &mut |row| {
            let customer = Customer::from_row(row, 0)?;
            let again = match row.get(1) {
                Ok(value) => Ok(value.to_owned()),
                Err(e) => Err(e.to_string()),
            };
            seen.push((customer, again));
            Ok(())
        },
    )
    .unwrap();
    let names: Vec<(&str, Option<&str>)> = seen
        .iter()
        .map(|(c, _)| (c.name.as_str(), c.city.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("Ann", Some("Seoul")),
            ("Bob", Some("Busan")),
            ("Cid", None)
        ]
    );
    let moves = db.capabilities().moves_text;
    for (customer, again) in &seen {
        match again {
            Ok(value) if !moves => assert_eq!(value, &Value::Text(customer.name.clone())),
            Err(e) if moves => assert!(
                e.contains("customers") && e.contains("name") && e.contains("moved"),
                "{e}"
            ),
            other => panic!("moves_text is {moves}, the second read gave {other:?}"),
        }
    }
    // The connection is unharmed.
    assert_eq!(Customer::query().count(&mut conn).unwrap(), 3);
}

pub fn self_join_through_an_alias(db: &Database) {
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<Employee>()
        .create_all(&mut conn)
        .unwrap();
    let emp = |name: &str, manager_id: Option<i64>| Employee {
        id: 0,
        name: name.into(),
        manager_id,
        manager: Default::default(),
        reports: Default::default(),
    };
    let mut boss = emp("boss", None);
    boss.insert(&mut conn).unwrap();
    let mut staff = vec![emp("ann", Some(boss.id)), emp("bob", Some(boss.id))];
    Employee::insert_many(&mut conn, &mut staff).unwrap();
    let pairs: Vec<(Employee, Employee)> = Employee::query()
        .join_as::<Employee>("mgr", Employee::MANAGER_ID.eq(Employee::ID.of("mgr")))
        .filter(Employee::NAME.of("mgr").eq("boss"))
        .order_by(Employee::NAME.asc())
        .all(&mut conn)
        .unwrap();
    let names: Vec<(String, String)> = pairs.into_iter().map(|(e, m)| (e.name, m.name)).collect();
    assert_eq!(
        names,
        [
            ("ann".to_string(), "boss".to_string()),
            ("bob".to_string(), "boss".to_string())
        ]
    );
    let with_manager: Vec<(Employee, Option<Employee>)> = Employee::query()
        .left_join_as::<Employee>("mgr", Employee::MANAGER_ID.eq(Employee::ID.of("mgr")))
        .order_by(Employee::ID.asc())
        .all(&mut conn)
        .unwrap();
    assert!(with_manager[0].1.is_none());
    assert_eq!(with_manager[1].1.as_ref().unwrap().name, "boss");
}

#[derive(FromRow, Debug, PartialEq)]
pub struct CustomerTotal {
    pub name: String,
    pub orders: i64,
    pub total: Option<Decimal>,
}

pub fn group_by_having_and_order_by_an_aggregate(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    let rows: Vec<CustomerTotal> = OrderLine::query()
        .join(OrderLine::ORDER)
        .join_on::<Customer>(Order::CUSTOMER_ID.eq(Customer::ID))
        .group_by(Customer::NAME)
        .having(count_distinct(Order::ID).ge(1))
        .select((
            Customer::NAME,
            count_distinct(Order::ID),
            sum(OrderLine::UNIT_PRICE),
        ))
        .order_by(sum(OrderLine::UNIT_PRICE).desc())
        .read_as::<CustomerTotal>()
        .all(&mut conn)
        .unwrap();
    assert_eq!(
        rows,
        [
            CustomerTotal {
                name: "Ann".into(),
                orders: 2,
                total: Some(dec("15.25")),
            },
            CustomerTotal {
                name: "Bob".into(),
                orders: 1,
                total: Some(dec("12.25")),
            },
        ]
    );
    let busy: Vec<(String, i64)> = OrderLine::query()
        .join(OrderLine::ORDER)
        .join_on::<Customer>(Order::CUSTOMER_ID.eq(Customer::ID))
        .group_by(Customer::NAME)
        .having(count_all().gt(1))
        .select((Customer::NAME, count_all()))
        .all(&mut conn)
        .unwrap();
    assert_eq!(busy, [("Ann".to_string(), 3)]);
}

pub fn aggregates_have_the_same_types_everywhere(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    type Summary = (
        i64,
        i64,
        Option<i64>,
        Option<Decimal>,
        Option<f64>,
        Option<Decimal>,
        Option<Decimal>,
    );
    let (n, distinct, qty, price_sum, avg_qty, cheapest, dearest): Summary = OrderLine::query()
        .select((
            count(OrderLine::ID),
            count_distinct(OrderLine::PRODUCT_ID),
            sum(OrderLine::QUANTITY),
            sum(OrderLine::UNIT_PRICE),
            avg(OrderLine::QUANTITY),
            min(OrderLine::UNIT_PRICE),
            max(OrderLine::UNIT_PRICE),
        ))
        .one(&mut conn)
        .unwrap();
    assert_eq!((n, distinct, qty), (4, 2, Some(16)));
    assert_eq!(price_sum, Some(dec("27.50")));
    assert_eq!(avg_qty, Some(4.0));
    assert_eq!((cheapest, dearest), (Some(dec("1.50")), Some(dec("12.25"))));

    // Over no rows: counts are 0, the rest None.
    let empty: (
        i64,
        Option<i64>,
        Option<Decimal>,
        Option<f64>,
        Option<Decimal>,
    ) = OrderLine::query()
        .filter(OrderLine::QUANTITY.gt(1000))
        .select((
            count_all(),
            sum(OrderLine::QUANTITY),
            sum(OrderLine::UNIT_PRICE),
            avg(OrderLine::QUANTITY),
            max(OrderLine::UNIT_PRICE),
        ))
        .one(&mut conn)
        .unwrap();
    assert_eq!(empty, (0, None, None, None, None));
}

pub fn subqueries_in_exists_and_scalar_positions(db: &Database) {
    let mut conn = db.connect().unwrap();
    let store = open_store(&mut conn);
    // IN (subquery): products ever sold.
    let sold: Vec<String> = Product::query()
        .filter(Product::ID.in_subquery(OrderLine::query().select(OrderLine::PRODUCT_ID)))
        .select(Product::NAME)
        .order_by(Product::NAME.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(sold, ["ink", "pen"]);
    // NOT EXISTS correlated to the outer row: customers without orders.
    let idle: Vec<String> = Customer::query()
        .filter(
            !Order::query()
                .filter(Order::CUSTOMER_ID.eq(Customer::ID))
                .exists_expr(),
        )
        .select(Customer::NAME)
        .all(&mut conn)
        .unwrap();
    assert_eq!(idle, ["Cid"]);
    // A scalar subquery inside a filter: the most expensive product.
    let dearest = Product::query()
        .filter(Product::PRICE.eq(Product::query().select(max(Product::PRICE)).as_scalar()))
        .one(&mut conn)
        .unwrap();
    assert_eq!(dearest.id, store.products[1].id);
}

pub fn expressions_in_selects_filters_and_updates(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    let doubled: Vec<(String, Decimal, i32)> = Product::query()
        .select((Product::NAME, Product::PRICE * dec("2"), Product::STOCK + 1))
        .order_by(Product::NAME.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(
        doubled,
        [
            ("ink".to_string(), dec("24.50"), 8),
            ("pad".to_string(), dec("6.20"), 1),
            ("pen".to_string(), dec("3.00"), 101),
        ]
    );
    let stocked = Product::query()
        .filter((Product::STOCK * 2).gt(10))
        .count(&mut conn)
        .unwrap();
    assert_eq!(stocked, 2);
    // Integer division truncates toward zero on every backend.
    let halves: Vec<(i32, i32)> = Product::query()
        .select((Product::STOCK / 2, (Product::STOCK - 101) / 2))
        .order_by(Product::STOCK.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(halves, [(0, -50), (3, -47), (50, 0)]);
    // SET price = price * 1.1, rounded to the column's scale.
    let n = Product::query()
        .update(&mut conn, [Product::PRICE.set(Product::PRICE * dec("1.1"))])
        .unwrap();
    assert_eq!(n, 3);
    let prices: Vec<Decimal> = Product::query()
        .select(Product::PRICE)
        .order_by(Product::NAME.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(prices, [dec("13.48"), dec("3.41"), dec("1.65")]);
    // Text functions.
    let texts: Vec<(String, String, String, String)> = Customer::query()
        .select((
            lower(Customer::NAME),
            upper(Customer::NAME),
            coalesce(Customer::CITY, "-"),
            concat(Customer::NAME, "!"),
        ))
        .order_by(Customer::NAME.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(
        texts[2],
        (
            "cid".to_string(),
            "CID".to_string(),
            "-".to_string(),
            "Cid!".to_string()
        )
    );
    let found = Customer::query()
        .filter(Customer::NAME.ilike("a%"))
        .count(&mut conn)
        .unwrap();
    assert_eq!(found, 1);
    let found = Customer::query()
        .filter(lower(Customer::NAME).eq("bob"))
        .count(&mut conn)
        .unwrap();
    assert_eq!(found, 1);
}

pub fn updates_and_deletes_refuse_joins(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    let err = OrderLine::query()
        .join(OrderLine::PRODUCT)
        .delete(&mut conn)
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert_eq!(OrderLine::query().count(&mut conn).unwrap(), 4);
}

pub fn count_of_a_joined_query_with_limit_offset_or_distinct(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    // Both tables have an `id`: the counted derived table must not repeat it.
    let joined = || OrderLine::query().join(OrderLine::ORDER);
    let all = joined().all(&mut conn).unwrap().len() as i64;
    assert_eq!(all, 4);
    assert_eq!(joined().count(&mut conn).unwrap(), all);
    assert_eq!(joined().limit(2).count(&mut conn).unwrap(), 2);
    assert_eq!(joined().offset(1).count(&mut conn).unwrap(), all - 1);
    assert_eq!(joined().distinct().count(&mut conn).unwrap(), all);
    let orders = joined()
        .select(Order::ID)
        .distinct()
        .count(&mut conn)
        .unwrap();
    assert_eq!(orders, 3);
}

pub fn integer_sum_overflow_is_a_conversion_error_everywhere(db: &Database) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    assert_eq!(OrderLine::query().count(&mut conn).unwrap(), 4);
    // Each term fits an i64; the sum of four does not, upward or downward.
    // (MariaDB used to answer i64::MAX.)
    for term in [i64::MAX / 2 + 1, i64::MIN / 2] {
        let err = OrderLine::query()
            .select(sum(OrderLine::ID * 0 + term))
            .one(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::Conversion(_)), "{err}");
    }
    // A sum that fits is read exactly.
    let fits: Option<i64> = OrderLine::query()
        .filter(OrderLine::ID.le(OrderLine::query().select(min(OrderLine::ID)).as_scalar() + 1))
        .select(sum(OrderLine::ID * 0 + i64::MAX / 2))
        .one(&mut conn)
        .unwrap();
    assert_eq!(fits, Some(i64::MAX / 2 * 2));
}

pub fn decimal_arithmetic_with_a_bound_decimal_is_exact(db: &TestDb) {
    let mut conn = db.connect().unwrap();
    open_store(&mut conn);
    // 12.25 * 1.1 is 13.475 exactly; in floating point it is 13.475000000000001.
    let ink: Decimal = Product::query()
        .filter(Product::NAME.eq("ink"))
        .select(Product::PRICE * dec("1.1"))
        .one(&mut conn)
        .unwrap();
    let matched = Product::query()
        .filter((Product::PRICE * dec("1.1")).eq(dec("13.475")))
        .count(&mut conn)
        .unwrap();
    if !db.capabilities().exact_decimals {
        // SQLite has no exact decimal type (README, "Known differences").
        assert_eq!(ink.round_dp(10), dec("13.475"));
    } else {
        assert_eq!(ink, dec("13.475"));
        assert_eq!(matched, 1);
    }
}
