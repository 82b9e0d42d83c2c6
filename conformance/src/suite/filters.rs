//! A random filter returns exactly the rows the same predicate selects in
//! Rust, with SQL's three-valued NULL logic.

use athanor::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::models::*;

#[derive(Debug, Clone)]
enum Pred {
    A(CmpOp, i32),
    B(CmpOp, String),
    C(bool),
    ANull(bool),
    BNull(bool),
    AIn(Vec<i32>, bool),
    ABetween(i32, i32),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
}

#[derive(Debug, Clone, Copy)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn eval<T: PartialOrd>(self, a: &T, b: &T) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

fn cmp<T, O>(column: Column<Sample, Option<T>>, op: CmpOp, v: O) -> Expr
where
    T: athanor::SqlType,
    O: athanor::IntoOperand<<Option<T> as athanor::SqlType>::Base>,
{
    match op {
        CmpOp::Eq => column.eq(v),
        CmpOp::Ne => column.ne(v),
        CmpOp::Lt => column.lt(v),
        CmpOp::Le => column.le(v),
        CmpOp::Gt => column.gt(v),
        CmpOp::Ge => column.ge(v),
    }
}

impl Pred {
    /// `None` is SQL's UNKNOWN.
    fn eval(&self, r: &Sample) -> Option<bool> {
        match self {
            Pred::A(op, v) => r.a.map(|a| op.eval(&a, v)),
            Pred::B(op, v) => r.b.as_ref().map(|b| op.eval(b, v)),
            Pred::C(v) => r.c.map(|c| c == *v),
            Pred::ANull(neg) => Some(r.a.is_none() != *neg),
            Pred::BNull(neg) => Some(r.b.is_none() != *neg),
            // The empty set: IN is false and NOT IN true, even for NULL.
            Pred::AIn(list, neg) if list.is_empty() => Some(*neg),
            Pred::AIn(list, neg) => r.a.map(|a| list.contains(&a) != *neg),
            Pred::ABetween(lo, hi) => r.a.map(|a| *lo <= a && a <= *hi),
            Pred::And(x, y) => match (x.eval(r), y.eval(r)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Pred::Or(x, y) => match (x.eval(r), y.eval(r)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Pred::Not(x) => x.eval(r).map(|v| !v),
        }
    }

    fn expr(&self) -> Expr {
        match self {
            Pred::A(op, v) => cmp(Sample::A, *op, *v),
            Pred::B(op, v) => cmp(Sample::B, *op, v.as_str()),
            Pred::C(v) => Sample::C.eq(*v),
            Pred::ANull(false) => Sample::A.is_null(),
            Pred::ANull(true) => Sample::A.is_not_null(),
            Pred::BNull(false) => Sample::B.is_null(),
            Pred::BNull(true) => Sample::B.is_not_null(),
            Pred::AIn(list, false) => Sample::A.is_in(list.iter().copied()),
            Pred::AIn(list, true) => Sample::A.not_in(list.iter().copied()),
            Pred::ABetween(lo, hi) => Sample::A.between(*lo, *hi),
            Pred::And(x, y) => x.expr() & y.expr(),
            Pred::Or(x, y) => x.expr() | y.expr(),
            Pred::Not(x) => !x.expr(),
        }
    }
}

fn texts() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("a".to_string()),
        Just("A".to_string()),
        Just("a ".to_string()),
        Just("ab".to_string()),
        Just("b".to_string()),
        Just("é".to_string()),
        Just("가".to_string()),
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
    ]
}

fn pred() -> impl Strategy<Value = Pred> {
    let leaf = prop_oneof![
        (op(), -3..4i32).prop_map(|(o, v)| Pred::A(o, v)),
        (op(), texts()).prop_map(|(o, v)| Pred::B(o, v)),
        any::<bool>().prop_map(Pred::C),
        any::<bool>().prop_map(Pred::ANull),
        any::<bool>().prop_map(Pred::BNull),
        (proptest::collection::vec(-3..4i32, 0..4), any::<bool>())
            .prop_map(|(l, n)| Pred::AIn(l, n)),
        (-3..4i32, -3..4i32).prop_map(|(a, b)| Pred::ABetween(a, b)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Pred::And(Box::new(x), Box::new(y))),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Pred::Or(Box::new(x), Box::new(y))),
            inner.prop_map(|x| Pred::Not(Box::new(x))),
        ]
    })
}

fn sample() -> impl Strategy<Value = Sample> {
    (
        proptest::option::of(-3..4i32),
        proptest::option::of(texts()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(a, b, c)| Sample { id: 0, a, b, c })
}

pub fn property_random_filter_matches_rust_evaluation(db: &Database) {
    let conn = std::cell::RefCell::new(setup(db));
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(proptest::collection::vec(sample(), 0..24), pred()),
            |(mut rows, p)| {
                let mut guard = conn.borrow_mut();
                let conn = &mut *guard;
                Sample::query().delete(conn).unwrap();
                Sample::insert_many(conn, &mut rows).unwrap();
                let mut expected: Vec<i64> = rows
                    .iter()
                    .filter(|r| p.eval(r) == Some(true))
                    .map(|r| r.id)
                    .collect();
                expected.sort_unstable();
                let got: Vec<i64> = Sample::query()
                    .select(Sample::ID)
                    .filter(p.expr())
                    .order_by(Sample::ID.asc())
                    .all(conn)
                    .unwrap();
                prop_assert_eq!(got, expected, "predicate {:?}", p);
                Ok(())
            },
        )
        .unwrap();
}

/// An integer for the long-list property: mostly a few small values (so
/// that lists repeat them and rows match), negatives, and the extremes.
fn list_integer() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -20..20i64,
        1 => prop_oneof![
            Just(i64::MIN),
            Just(i64::MIN + 1),
            Just(i64::MAX - 1),
            Just(i64::MAX),
            Just(0),
        ],
        1 => any::<i64>(),
    ]
}

/// A list longer than `LONG_IN_LIST` (bound as one JSON array where the
/// backend unpacks it, else one parameter per value) filters as Rust
/// evaluates it: `is_in` and `not_in`, on a NOT NULL and a nullable integer
/// column, with negatives, duplicates and the i64 extremes, in the list and
/// in the rows. A NULL row matches neither `IN` nor `NOT IN`.
pub fn property_long_integer_lists_match_rust_evaluation(db: &Database) {
    let conn = std::cell::RefCell::new(setup(db));
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let rows = proptest::collection::vec(
        (list_integer(), proptest::option::of(list_integer())),
        0..12,
    );
    let list = proptest::collection::vec(
        list_integer(),
        athanor::LONG_IN_LIST + 1..athanor::LONG_IN_LIST + 300,
    );
    runner
        .run(
            &(rows, list, any::<bool>(), any::<bool>()),
            |(rows, list, nullable, negated)| {
                let mut guard = conn.borrow_mut();
                let conn = &mut *guard;
                Everything::query().delete(conn).unwrap();
                let mut rows: Vec<Everything> = rows
                    .into_iter()
                    .map(|(l, ol)| Everything {
                        l,
                        ol,
                        ..Everything::zero()
                    })
                    .collect();
                Everything::insert_many(conn, &mut rows).unwrap();
                let wanted: std::collections::HashSet<i64> = list.iter().copied().collect();
                let mut expected: Vec<i64> = rows
                    .iter()
                    .filter(|r| {
                        let value = if nullable { r.ol } else { Some(r.l) };
                        value.is_some_and(|v| wanted.contains(&v) != negated)
                    })
                    .map(|r| r.id)
                    .collect();
                expected.sort_unstable();
                let filter = match (nullable, negated) {
                    (false, false) => Everything::L.is_in(list.clone()),
                    (false, true) => Everything::L.not_in(list.clone()),
                    (true, false) => Everything::OL.is_in(list.clone()),
                    (true, true) => Everything::OL.not_in(list.clone()),
                };
                let got: Vec<i64> = Everything::query()
                    .select(Everything::ID)
                    .filter(filter)
                    .order_by(Everything::ID.asc())
                    .all(conn)
                    .unwrap();
                prop_assert_eq!(
                    got,
                    expected,
                    "nullable {} negated {} rows {:?}",
                    nullable,
                    negated,
                    rows.iter().map(|r| (r.l, r.ol)).collect::<Vec<_>>()
                );
                Ok(())
            },
        )
        .unwrap();
}

type Group = (
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<i32>,
    Option<i32>,
);

/// Random rows, NULLs included, grouped and aggregated by the database
/// equal the same grouping and aggregation computed in Rust.
pub fn property_group_by_matches_rust_aggregation(db: &Database) {
    use athanor::{count, count_all, max, min, sum};
    let conn = std::cell::RefCell::new(setup(db));
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(sample(), 0..30), |mut rows| {
            let mut guard = conn.borrow_mut();
            let conn = &mut *guard;
            Sample::query().delete(conn).unwrap();
            Sample::insert_many(conn, &mut rows).unwrap();
            let mut expected: std::collections::BTreeMap<Option<String>, Vec<Option<i32>>> =
                Default::default();
            for r in &rows {
                expected.entry(r.b.clone()).or_default().push(r.a);
            }
            let expected: Vec<Group> = expected
                .into_iter()
                .map(|(b, a)| {
                    let present: Vec<i32> = a.iter().flatten().copied().collect();
                    let total =
                        (!present.is_empty()).then(|| present.iter().map(|&x| i64::from(x)).sum());
                    (
                        b,
                        a.len() as i64,
                        present.len() as i64,
                        total,
                        present.iter().copied().min(),
                        present.iter().copied().max(),
                    )
                })
                .collect();
            let got: Vec<Group> = Sample::query()
                .group_by(Sample::B)
                .select((
                    Sample::B,
                    count_all(),
                    count(Sample::A),
                    sum(Sample::A),
                    min(Sample::A),
                    max(Sample::A),
                ))
                .order_by(Sample::B.asc())
                .all(conn)
                .unwrap();
            prop_assert_eq!(got, expected);
            Ok(())
        })
        .unwrap();
}
