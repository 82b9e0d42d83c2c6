//! A stateful property test: random sequences of writes, transactions,
//! savepoints and deliberately failing statements (unique, foreign-key and
//! NOT NULL violations) run against the database
//! and against a reference model in Rust; every result, error kind and the
//! final table must agree, on every backend (so the backends agree with each
//! other too).

use std::collections::BTreeMap;

use athanor::prelude::*;
use athanor::ConstraintKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "stock")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, max_length = 10)]
    pub name: String,
    pub qty: i32,
}

/// A movement of an item: its key must name an item (restrict on delete).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "stock_moves")]
pub struct Move {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = Item, on_delete = "restrict")]
    pub item_id: i64,
}

/// An item key no row has.
const MISSING_ITEM: i64 = 1_000_000;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, i32),
    SetQty(u8, i32),
    /// Fails with a foreign-key violation while the item has moves.
    Delete(u8),
    Upsert(u8, i32),
    /// A move of the named item; a foreign-key violation when it is missing.
    AddMove(u8),
    /// An item without a name: a NOT NULL violation, every time.
    InsertNullName,
    Count,
    Begin,
    Commit,
    Rollback,
}

fn op() -> impl Strategy<Value = Op> {
    let name = 0..4u8;
    let qty = -5..6i32;
    prop_oneof![
        3 => (name.clone(), qty.clone()).prop_map(|(n, q)| Op::Insert(n, q)),
        2 => (name.clone(), qty.clone()).prop_map(|(n, q)| Op::SetQty(n, q)),
        1 => name.clone().prop_map(Op::Delete),
        1 => (name.clone(), qty).prop_map(|(n, q)| Op::Upsert(n, q)),
        2 => name.prop_map(Op::AddMove),
        1 => Just(Op::InsertNullName),
        1 => Just(Op::Count),
        2 => Just(Op::Begin),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
    ]
}

fn name(n: u8) -> String {
    format!("n{n}")
}

/// What an operation gave, in a form both sides can produce.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok(i64),
    Refused(ConstraintKind),
    Failed,
    /// Refused before anything was sent (a nested transaction where the
    /// backend has no savepoints).
    Unsupported,
    Other(String),
}

fn outcome<T>(r: athanor::Result<T>, value: impl FnOnce(T) -> i64) -> Outcome {
    match r {
        Ok(v) => Outcome::Ok(value(v)),
        Err(Error::TransactionFailed { .. }) => Outcome::Failed,
        Err(Error::Unsupported { .. }) => Outcome::Unsupported,
        Err(e) => match e.constraint_kind() {
            Some(kind) => Outcome::Refused(kind),
            None => Outcome::Other(e.to_string()),
        },
    }
}

/// Items by name (their quantity, and how many moves name them).
type Rows = BTreeMap<String, (i32, u32)>;

/// The reference: the tables as a map, a snapshot per open transaction
/// level, and the level a statement failed at.
#[derive(Default)]
struct Reference {
    rows: Rows,
    stack: Vec<Rows>,
    failed: Option<usize>,
    /// Whether a transaction inside a transaction is a savepoint (else it
    /// is refused, and nothing changes).
    no_savepoints: bool,
}

impl Reference {
    /// A statement refused by a constraint: inside a transaction, it fails
    /// the transaction.
    fn refuse(&mut self, kind: ConstraintKind) -> Outcome {
        let depth = self.stack.len();
        if depth > 0 {
            self.failed = Some(depth);
        }
        Outcome::Refused(kind)
    }

    fn apply(&mut self, op: &Op) -> Outcome {
        let depth = self.stack.len();
        let is_end = matches!(op, Op::Commit | Op::Rollback);
        if self.failed.is_some() && !is_end {
            return Outcome::Failed;
        }
        match op {
            Op::Insert(n, q) => {
                if self.rows.contains_key(&name(*n)) {
                    return self.refuse(ConstraintKind::Unique);
                }
                self.rows.insert(name(*n), (*q, 0));
                Outcome::Ok(0)
            }
            Op::AddMove(n) => match self.rows.get_mut(&name(*n)) {
                Some((_, moves)) => {
                    *moves += 1;
                    Outcome::Ok(0)
                }
                None => self.refuse(ConstraintKind::ForeignKey),
            },
            Op::InsertNullName => self.refuse(ConstraintKind::NotNull),
            Op::SetQty(n, q) => match self.rows.get_mut(&name(*n)) {
                Some((v, _)) => {
                    *v = *q;
                    Outcome::Ok(1)
                }
                None => Outcome::Ok(0),
            },
            Op::Delete(n) => match self.rows.get(&name(*n)) {
                Some((_, moves)) if *moves > 0 => self.refuse(ConstraintKind::ForeignKey),
                Some(_) => {
                    self.rows.remove(&name(*n));
                    Outcome::Ok(1)
                }
                None => Outcome::Ok(0),
            },
            Op::Upsert(n, q) => {
                // The row (and its key, which moves name) stays.
                self.rows.entry(name(*n)).or_insert((0, 0)).0 = *q;
                Outcome::Ok(0)
            }
            Op::Count => Outcome::Ok(self.rows.len() as i64),
            Op::Begin if depth > 0 && self.no_savepoints => Outcome::Unsupported,
            Op::Begin => {
                self.stack.push(self.rows.clone());
                Outcome::Ok(0)
            }
            Op::Commit if depth == 0 => Outcome::Ok(0),
            Op::Rollback if depth == 0 => Outcome::Ok(0),
            Op::Commit => {
                let before = self.stack.pop().unwrap_or_default();
                match self.failed {
                    Some(at) if at >= depth => {
                        self.rows = before;
                        self.failed = (depth > 1).then_some(depth - 1);
                        Outcome::Failed
                    }
                    _ => Outcome::Ok(0),
                }
            }
            Op::Rollback => {
                self.rows = self.stack.pop().unwrap_or_default();
                if self.failed.is_some_and(|at| at >= depth) {
                    self.failed = None;
                }
                Outcome::Ok(0)
            }
        }
    }

    /// What is left when the open transactions are dropped.
    fn after_drop(mut self) -> Vec<(String, i32, u32)> {
        if let Some(first) = self.stack.drain(..).next() {
            self.rows = first;
        }
        self.rows
            .into_iter()
            .map(|(name, (qty, moves))| (name, qty, moves))
            .collect()
    }
}

/// How a level of the recursion ended.
enum End {
    Commit,
    Rollback,
    Ops,
}

/// Runs `ops[*at..]` on `ex` at one transaction level; BEGIN recurses into a
/// transaction (a savepoint when nested), COMMIT and ROLLBACK return to the
/// level that began it.
fn run<E: Executor>(
    ex: &mut E,
    ops: &[Op],
    at: &mut usize,
    depth: usize,
    out: &mut Vec<Outcome>,
) -> End {
    while *at < ops.len() {
        let op = &ops[*at];
        *at += 1;
        let result = match op {
            Op::Insert(n, q) => outcome(
                Item {
                    id: 0,
                    name: name(*n),
                    qty: *q,
                }
                .insert(ex),
                |_| 0,
            ),
            Op::SetQty(n, q) => outcome(
                Item::query()
                    .filter(Item::NAME.eq(name(*n)))
                    .update(ex, [Item::QTY.set(*q)]),
                |c| c as i64,
            ),
            Op::Delete(n) => outcome(
                Item::query().filter(Item::NAME.eq(name(*n))).delete(ex),
                |c| c as i64,
            ),
            Op::Upsert(n, q) => outcome(
                Item {
                    id: 0,
                    name: name(*n),
                    qty: *q,
                }
                .upsert_on(ex, &[&Item::NAME]),
                |_| 0,
            ),
            Op::AddMove(n) => outcome(
                Item::query()
                    .filter(Item::NAME.eq(name(*n)))
                    .select(Item::ID)
                    .all(ex)
                    .and_then(|ids: Vec<i64>| {
                        Move {
                            id: 0,
                            item_id: ids.first().copied().unwrap_or(MISSING_ITEM),
                        }
                        .insert(ex)
                    }),
                |_| 0,
            ),
            Op::InsertNullName => outcome(
                athanor::raw::Raw::new("INSERT INTO stock (name, qty) VALUES (?, ?)")
                    .bind(athanor::Value::Null)
                    .bind(1)
                    .execute(ex),
                |_| 0,
            ),
            Op::Count => outcome(Item::query().count(ex), |c| c),
            Op::Begin => match ex.conn().and_then(|c| c.transaction()) {
                Ok(mut tx) => {
                    out.push(Outcome::Ok(0));
                    match run(&mut tx, ops, at, depth + 1, out) {
                        End::Commit => out.push(outcome(tx.commit(), |_| 0)),
                        End::Rollback => out.push(outcome(tx.rollback(), |_| 0)),
                        End::Ops => drop(tx),
                    }
                    continue;
                }
                Err(e) => outcome::<()>(Err(e), |_| 0),
            },
            Op::Commit if depth > 0 => return End::Commit,
            Op::Rollback if depth > 0 => return End::Rollback,
            Op::Commit | Op::Rollback => Outcome::Ok(0),
        };
        out.push(result);
    }
    End::Ops
}

pub fn property_transactions_match_a_reference_model(db: &Database) {
    let conn = std::cell::RefCell::new(db.connect().unwrap());
    Schema::new()
        .register::<Item>()
        .register::<Move>()
        .create_all(&mut *conn.borrow_mut())
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 0..40), |ops| {
            let mut guard = conn.borrow_mut();
            let conn = &mut *guard;
            Move::query().delete(conn).unwrap();
            Item::query().delete(conn).unwrap();
            let mut got = Vec::new();
            run(conn, &ops, &mut 0, 0, &mut got);
            let mut reference = Reference {
                no_savepoints: !conn.dialect().supports_savepoints(),
                ..Reference::default()
            };
            let expected: Vec<Outcome> = ops.iter().map(|op| reference.apply(op)).collect();
            prop_assert_eq!(&got, &expected, "ops {:?}", ops);
            let items: Vec<(i64, String, i32)> = Item::query()
                .select((Item::ID, Item::NAME, Item::QTY))
                .all(conn)
                .unwrap();
            let moves: Vec<i64> = Move::query().select(Move::ITEM_ID).all(conn).unwrap();
            let mut table: Vec<(String, i32, u32)> = items
                .into_iter()
                .map(|(id, name, qty)| {
                    let n = moves.iter().filter(|m| **m == id).count();
                    (name, qty, n as u32)
                })
                .collect();
            table.sort();
            prop_assert_eq!(table, reference.after_drop(), "ops {:?}", ops);
            Ok(())
        })
        .unwrap();
}

#[derive(Debug, Clone)]
enum SessionOp {
    Add(u8, i32),
    Set(u8, i32),
    Delete(u8),
    Get(u8),
    Flush,
    Commit,
    Rollback,
}

fn session_op() -> impl Strategy<Value = SessionOp> {
    let name = 0..4u8;
    let qty = -5..6i32;
    prop_oneof![
        3 => (name.clone(), qty.clone()).prop_map(|(n, q)| SessionOp::Add(n, q)),
        2 => (name.clone(), qty).prop_map(|(n, q)| SessionOp::Set(n, q)),
        1 => name.clone().prop_map(SessionOp::Delete),
        2 => name.prop_map(SessionOp::Get),
        1 => Just(SessionOp::Flush),
        1 => Just(SessionOp::Commit),
        1 => Just(SessionOp::Rollback),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    New,
    Persistent,
    Deleting,
    Gone,
}

/// A session object in the reference: the row it has (the reference's own
/// row numbers), its values, and the quantity its row holds.
#[derive(Debug, Clone)]
struct Obj {
    row: Option<u32>,
    name: String,
    qty: i32,
    stored_qty: i32,
    status: Status,
}

/// The reference unit of work: committed rows, the rows the open transaction
/// sees, the session's objects in the order it learnt of them, and which
/// object the test holds under each name.
#[derive(Default)]
struct SessionRef {
    committed: BTreeMap<u32, (String, i32)>,
    db: BTreeMap<u32, (String, i32)>,
    next_row: u32,
    objects: Vec<Obj>,
    held: BTreeMap<String, usize>,
    /// A flush failed: statements and commits are refused until rollback.
    rolled_back: bool,
}

impl SessionRef {
    fn forget(&mut self) {
        self.db = self.committed.clone();
        self.objects.clear();
        self.held.clear();
    }

    /// Inserts and updates in the order the session learnt of the objects,
    /// then deletes; a duplicate name rolls everything back.
    fn flush(&mut self) -> Outcome {
        let dirty = self.objects.iter().any(|o| match o.status {
            Status::New | Status::Deleting => true,
            Status::Persistent => o.qty != o.stored_qty,
            Status::Gone => false,
        });
        if !dirty {
            return Outcome::Ok(0);
        }
        for i in 0..self.objects.len() {
            let o = &self.objects[i];
            match o.status {
                Status::New => {
                    if self.db.values().any(|(n, _)| *n == o.name) {
                        self.forget();
                        self.rolled_back = true;
                        return Outcome::Refused(ConstraintKind::Unique);
                    }
                    let row = self.next_row;
                    self.next_row += 1;
                    self.db.insert(row, (o.name.clone(), o.qty));
                    self.objects[i].row = Some(row);
                }
                Status::Persistent if o.qty != o.stored_qty => {
                    if let Some(r) = o.row.and_then(|r| self.db.get_mut(&r)) {
                        r.1 = o.qty;
                    }
                }
                _ => {}
            }
        }
        for o in &mut self.objects {
            match o.status {
                Status::Deleting => {
                    if let Some(r) = o.row {
                        self.db.remove(&r);
                    }
                    o.status = Status::Gone;
                }
                Status::New | Status::Persistent => {
                    o.status = Status::Persistent;
                    o.stored_qty = o.qty;
                }
                Status::Gone => {}
            }
        }
        Outcome::Ok(0)
    }

    fn apply(&mut self, op: &SessionOp) -> Outcome {
        let sends = matches!(op, SessionOp::Get(_) | SessionOp::Flush | SessionOp::Commit);
        if self.rolled_back && sends {
            return Outcome::Failed;
        }
        match op {
            SessionOp::Add(n, q) => {
                self.objects.push(Obj {
                    row: None,
                    name: name(*n),
                    qty: *q,
                    stored_qty: *q,
                    status: Status::New,
                });
                self.held.insert(name(*n), self.objects.len() - 1);
                Outcome::Ok(0)
            }
            SessionOp::Set(n, q) => {
                if let Some(&i) = self.held.get(&name(*n)) {
                    self.objects[i].qty = *q;
                }
                Outcome::Ok(0)
            }
            SessionOp::Delete(n) => {
                if let Some(i) = self.held.remove(&name(*n)) {
                    let o = &mut self.objects[i];
                    o.status = match o.status {
                        Status::New => Status::Gone,
                        _ => Status::Deleting,
                    };
                }
                Outcome::Ok(0)
            }
            SessionOp::Get(n) => {
                let flushed = self.flush();
                if flushed != Outcome::Ok(0) {
                    return flushed;
                }
                let Some((&row, (_, qty))) = self.db.iter().find(|(_, (m, _))| *m == name(*n))
                else {
                    return Outcome::Ok(-100);
                };
                let qty = *qty;
                let i = match self
                    .objects
                    .iter()
                    .position(|o| o.row == Some(row) && o.status != Status::Gone)
                {
                    Some(i) => i,
                    None => {
                        self.objects.push(Obj {
                            row: Some(row),
                            name: name(*n),
                            qty,
                            stored_qty: qty,
                            status: Status::Persistent,
                        });
                        self.objects.len() - 1
                    }
                };
                self.held.insert(name(*n), i);
                Outcome::Ok(i64::from(self.objects[i].qty))
            }
            SessionOp::Flush => self.flush(),
            SessionOp::Commit => {
                let flushed = self.flush();
                if flushed == Outcome::Ok(0) {
                    self.committed = self.db.clone();
                }
                flushed
            }
            SessionOp::Rollback => {
                self.forget();
                self.rolled_back = false;
                Outcome::Ok(0)
            }
        }
    }
}

pub fn property_sessions_match_a_reference_model(db: &Database) {
    Schema::new()
        .register::<Item>()
        .create_all(&mut db.connect().unwrap())
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(session_op(), 0..30), |ops| {
            Item::query().delete(&mut db.connect().unwrap()).unwrap();
            let mut got = Vec::new();
            {
                let mut s = db.session().unwrap();
                let mut held: BTreeMap<String, athanor::Handle<Item>> = BTreeMap::new();
                for op in &ops {
                    let result = match op {
                        SessionOp::Add(n, q) => {
                            let h = s.add(Item {
                                id: 0,
                                name: name(*n),
                                qty: *q,
                            });
                            held.insert(name(*n), h);
                            Outcome::Ok(0)
                        }
                        SessionOp::Set(n, q) => {
                            if let Some(h) = held.get(&name(*n)) {
                                h.get_mut().qty = *q;
                            }
                            Outcome::Ok(0)
                        }
                        SessionOp::Delete(n) => {
                            if let Some(h) = held.remove(&name(*n)) {
                                s.delete(&h).unwrap();
                            }
                            Outcome::Ok(0)
                        }
                        SessionOp::Get(n) => {
                            let q = Item::query().filter(Item::NAME.eq(name(*n)));
                            match s.one_or_none(&q) {
                                Ok(Some(h)) => {
                                    let qty = h.get().qty;
                                    held.insert(name(*n), h);
                                    Outcome::Ok(i64::from(qty))
                                }
                                Ok(None) => Outcome::Ok(-100),
                                Err(e) => outcome::<()>(Err(e), |_| 0),
                            }
                        }
                        SessionOp::Flush => outcome(s.flush(), |_| 0),
                        SessionOp::Commit => outcome(s.commit(), |_| 0),
                        SessionOp::Rollback => {
                            held.clear();
                            outcome(s.rollback(), |_| 0)
                        }
                    };
                    if result == Outcome::Refused(ConstraintKind::Unique) {
                        // The failed flush rolled back; the session forgot its objects.
                        held.clear();
                    }
                    got.push(result);
                }
            }
            let mut reference = SessionRef::default();
            let expected: Vec<Outcome> = ops.iter().map(|op| reference.apply(op)).collect();
            prop_assert_eq!(&got, &expected, "ops {:?}", ops);
            let mut table: Vec<(String, i32)> = Item::query()
                .select((Item::NAME, Item::QTY))
                .all(&mut db.connect().unwrap())
                .unwrap();
            table.sort();
            let mut want: Vec<(String, i32)> = reference.committed.into_values().collect();
            want.sort();
            prop_assert_eq!(table, want, "ops {:?}", ops);
            Ok(())
        })
        .unwrap();
}
