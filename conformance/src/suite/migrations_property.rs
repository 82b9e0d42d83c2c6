//! Property: for random pairs of table schemas A -> B holding random rows
//! (a table of random columns, and a child table whose foreign key to it
//! comes, goes or changes its action), migrating gives exactly schema B and
//! keeps every value of every column that survives (kept, widened or
//! renamed); reverting gives A back with those values.

use crate::TestDb;
use athanor::migrate::{
    self, ColumnSchema, DatabaseSchema, DefaultSpec, DiffOptions, ForeignKeySchema, IndexSchema,
    Migration, Migrator, Operation, TableSchema,
};

use athanor::raw::Raw;
use athanor::{ColumnType, ReferentialAction, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const TABLE: &str = "p_t";
const CHILD: &str = "p_c";
const SLOTS: usize = 4;
const ROWS: usize = 6;

/// What happens to one column slot between A and B.
#[derive(Debug, Clone)]
struct Plan {
    /// 0 integer, 1 text, 2 bool, 3 double.
    family: u8,
    in_a: bool,
    /// 0 kept, 1 dropped, 2 renamed (when in A); added in B when not in A and 0.
    fate: u8,
    a_wide: bool,
    b_wide: bool,
    a_null: bool,
    b_null: bool,
    a_default: bool,
    b_default: bool,
    unique: bool,
    keep_unique: bool,
    a_index: bool,
    b_index: bool,
}

fn plan() -> impl Strategy<Value = Plan> {
    (0..4u8, any::<bool>(), 0..3u8, any::<[bool; 10]>()).prop_map(|(family, in_a, fate, b)| Plan {
        family,
        in_a,
        fate,
        a_wide: b[0],
        b_wide: b[1],
        a_null: b[2],
        b_null: b[3],
        a_default: b[4],
        b_default: b[5],
        unique: b[6],
        keep_unique: b[7],
        a_index: b[8],
        b_index: b[9],
    })
}

/// One row's value for one slot.
#[derive(Debug, Clone)]
struct Cell {
    null: bool,
    int: i64,
    text: String,
    flag: bool,
}

fn cell() -> impl Strategy<Value = Cell> {
    (
        proptest::bool::weighted(0.25),
        -1000..1000i64,
        "[a-zé'\"😀 ]{0,8}",
        any::<bool>(),
    )
        .prop_map(|(null, int, text, flag)| Cell {
            null,
            int,
            text,
            flag,
        })
}

fn column_type(family: u8, wide: bool) -> ColumnType {
    match (family, wide) {
        (0, false) => ColumnType::Integer,
        (0, true) => ColumnType::BigInt,
        (1, false) => ColumnType::Varchar(20),
        (1, true) => ColumnType::Text,
        (2, _) => ColumnType::Bool,
        _ => ColumnType::Double,
    }
}

fn default_for(family: u8) -> DefaultSpec {
    match family {
        0 => DefaultSpec::Int(-7),
        1 => DefaultSpec::Text("d'x".into()),
        2 => DefaultSpec::Bool(true),
        _ => DefaultSpec::Float(0.5),
    }
}

/// The child table, referencing the table's rows when `action` is given.
fn child(action: Option<u8>) -> TableSchema {
    let mut t = TableSchema::new(CHILD);
    t.columns = vec![
        ColumnSchema {
            auto_increment: true,
            ..ColumnSchema::new("id", ColumnType::BigInt).not_null()
        },
        ColumnSchema::new("parent_id", ColumnType::BigInt),
    ];
    t.primary_key = vec!["id".into()];
    if let Some(a) = action {
        t.foreign_keys.push(ForeignKeySchema {
            name: format!("fk_{CHILD}_parent_id"),
            columns: vec!["parent_id".into()],
            ref_table: TABLE.into(),
            ref_columns: vec!["id".into()],
            on_delete: match a {
                0 => ReferentialAction::NoAction,
                1 => ReferentialAction::Restrict,
                2 => ReferentialAction::Cascade,
                _ => ReferentialAction::SetNull,
            },
        });
    }
    t
}

fn table(columns: Vec<(ColumnSchema, bool)>, action: Option<u8>) -> DatabaseSchema {
    let mut t = TableSchema::new(TABLE);
    t.columns.push(ColumnSchema {
        auto_increment: true,
        ..ColumnSchema::new("id", ColumnType::BigInt).not_null()
    });
    t.primary_key = vec!["id".into()];
    for (c, indexed) in columns {
        if indexed {
            t.indexes.push(IndexSchema {
                name: format!("ix_{}", c.name),
                columns: vec![c.name.clone()],
                unique: false,
            });
        }
        t.columns.push(c);
    }
    DatabaseSchema {
        tables: vec![t, child(action)],
    }
}

/// Schemas A and B, the renames, and per slot its name in A and in B when
/// its values must survive.
#[allow(clippy::type_complexity)]
fn schemas(
    plans: &[Plan],
    keys: (Option<u8>, Option<u8>),
) -> (
    DatabaseSchema,
    DatabaseSchema,
    DiffOptions,
    Vec<(usize, String, String)>,
) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut options = DiffOptions::new().allow_data_loss(true);
    let mut surviving = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let name = format!("c{i}");
        let unique_ok = p.family < 2 && p.unique;
        if p.in_a {
            let mut col = ColumnSchema::new(&name, column_type(p.family, p.a_wide));
            col.nullable = p.a_null;
            col.default = p.a_default.then(|| default_for(p.family));
            col.unique = unique_ok;
            a.push((col.clone(), p.a_index));
            // A dropped unique column could not be made unique again by a
            // revert (its values are gone): unique columns are not dropped.
            if p.fate == 1 && !unique_ok {
                continue;
            }
            let new_name = if p.fate == 2 {
                format!("r{i}")
            } else {
                name.clone()
            };
            if p.fate == 2 {
                options = options.rename_column(TABLE, &name, &new_name);
            }
            col.name.clone_from(&new_name);
            // Only widening, and NOT NULL only relaxed: every value fits.
            col.ty = column_type(p.family, p.a_wide || p.b_wide);
            col.nullable = p.a_null || p.b_null;
            col.default = p.b_default.then(|| default_for(p.family));
            col.unique = unique_ok && p.keep_unique;
            b.push((col, p.b_index));
            surviving.push((i, name, new_name));
        } else if p.fate == 0 {
            let mut col = ColumnSchema::new(&name, column_type(p.family, p.b_wide));
            col.nullable = p.b_null;
            col.default = p.b_default.then(|| default_for(p.family));
            b.push((col, p.b_index));
        }
    }
    (table(a, keys.0), table(b, keys.1), options, surviving)
}

fn value(p: &Plan, cell: &Cell, row: usize, nullable: bool) -> Value {
    if cell.null && nullable && !(p.unique && p.family < 2) {
        return Value::Null;
    }
    let unique = p.unique && p.family < 2;
    match p.family {
        0 if unique => Value::from(row as i64 * 10_000 + cell.int),
        0 => Value::from(cell.int),
        1 if unique => Value::from(format!("{row}:{}", cell.text)),
        1 => Value::from(cell.text.clone()),
        2 => Value::from(cell.flag),
        _ => Value::from(cell.int as f64 / 4.0),
    }
}

/// A column's values by row id, read in its family's type.
fn read(conn: &mut athanor::DbConn<'_>, family: u8, column: &str) -> Vec<String> {
    read_in(conn, TABLE, family, column)
}

fn read_in(conn: &mut athanor::DbConn<'_>, table: &str, family: u8, column: &str) -> Vec<String> {
    fn shown<T: athanor::FromRow + std::fmt::Debug>(
        q: &Raw,
        conn: &mut athanor::DbConn<'_>,
    ) -> Vec<String> {
        let rows: Vec<T> = q.fetch_all(conn).unwrap();
        rows.iter().map(|v| format!("{v:?}")).collect()
    }
    let q = Raw::new(format!("SELECT {column} FROM {table} ORDER BY id"));
    match family {
        0 => shown::<Option<i64>>(&q, conn),
        1 => shown::<Option<String>>(&q, conn),
        2 => shown::<Option<bool>>(&q, conn),
        _ => shown::<Option<f64>>(&q, conn),
    }
}

fn same_schema(conn: &mut athanor::DbConn<'_>, want: &DatabaseSchema) -> Vec<Operation> {
    let live = migrate::introspect(&mut *conn).unwrap().schema;
    let dialect = conn.dialect();
    migrate::diff(
        &live,
        want,
        &DiffOptions::new().allow_data_loss(true),
        dialect,
    )
    .unwrap()
}

pub fn property_migrating_keeps_every_surviving_value(db: &TestDb) {
    if super::migrations::migrations_refused(db) {
        return;
    }
    let conn = std::cell::RefCell::new(db.connect().unwrap());
    let case = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        proptest::collection::vec(plan(), SLOTS),
        proptest::collection::vec(proptest::collection::vec(cell(), SLOTS), ROWS),
        (proptest::option::of(0..4u8), proptest::option::of(0..4u8)),
    );
    runner
        .run(&strategy, |(plans, rows, keys)| {
            case.set(case.get() + 1);
            let mut guard = conn.borrow_mut();
            let conn = &mut *guard;
            for t in [CHILD, TABLE, migrate::VERSION_TABLE] {
                Raw::new(format!("DROP TABLE IF EXISTS {t}"))
                    .execute(conn)
                    .unwrap();
            }
            let (a, b, options, surviving) = schemas(&plans, keys);
            let create = Migration::from_operations(
                1,
                "a",
                a.tables.iter().cloned().map(Operation::CreateTable),
            );
            Migrator::new(vec![create.clone()])
                .unwrap()
                .apply(conn)
                .unwrap();
            let a_table = &a.tables[0];
            for (r, cells) in rows.iter().enumerate() {
                let mut names = vec!["id".to_owned()];
                let mut q = vec![Value::from(r as i64 + 1)];
                for (i, p) in plans.iter().enumerate() {
                    if let Some(col) = a_table.column(&format!("c{i}")) {
                        names.push(col.name.clone());
                        q.push(value(p, &cells[i], r, col.nullable));
                    }
                }
                // Each case's statements are new to the connection: a
                // PostgreSQL connection's cached statements keep the
                // parameter types of the table they were prepared for.
                let case = case.get();
                let marks = vec!["?"; names.len()].join(", ");
                let sql = format!(
                    "INSERT INTO {TABLE} ({}) VALUES ({marks}) /* {case} */",
                    names.join(", ")
                );
                let mut raw = Raw::new(sql);
                for v in q {
                    raw = raw.bind(v);
                }
                raw.execute(conn).unwrap();
                // A child row per row, every third without a parent.
                let parent = (r % 3 != 2).then_some(r as i64 + 1);
                Raw::new(format!(
                    "INSERT INTO {CHILD} (parent_id) VALUES (?) /* {case} */"
                ))
                .bind(parent.map_or(Value::Null, Value::from))
                .execute(conn)
                .unwrap();
            }
            let children = read_in(conn, CHILD, 0, "parent_id");
            let before: Vec<Vec<String>> = surviving
                .iter()
                .map(|(i, old, _)| read(conn, plans[*i].family, old))
                .collect();

            let live = migrate::introspect(&mut *conn).unwrap().schema;
            let ops = migrate::diff(&live, &b, &options, conn.dialect()).unwrap();
            let migrator = Migrator::new(vec![
                create,
                Migration::from_operations(2, "b", ops.clone()),
            ])
            .unwrap();
            let applied = migrator.apply(conn);
            prop_assert!(applied.is_ok(), "{:?}\n{:?}", applied, ops);
            let left = same_schema(conn, &b);
            prop_assert!(
                left.is_empty(),
                "B not reached: {:?}\nafter {:?}",
                left,
                ops
            );
            for ((i, _, new), want) in surviving.iter().zip(&before) {
                prop_assert_eq!(&read(conn, plans[*i].family, new), want, "column {}", new);
            }
            prop_assert_eq!(&read_in(conn, CHILD, 0, "parent_id"), &children);

            // Reverting drops the columns B added (values and all): consented.
            let consent = migrate::RevertOptions::new().allow_data_loss(true);
            let reverted = migrator.revert_with(conn, &consent);
            prop_assert!(reverted.is_ok(), "{:?}\n{:?}", reverted, ops);
            let left = same_schema(conn, &a);
            prop_assert!(left.is_empty(), "A not restored: {:?}", left);
            for ((i, old, _), want) in surviving.iter().zip(&before) {
                prop_assert_eq!(&read(conn, plans[*i].family, old), want, "column {}", old);
            }
            prop_assert_eq!(&read_in(conn, CHILD, 0, "parent_id"), &children);
            Ok(())
        })
        .unwrap();
}
