//! Smoke tests against a live server: `scripts/with-servers.sh cargo test -p athanor-mysql`.

use athanor_core::{
    ColumnType, Connection, ConstraintKind, Dialect, Error, SqlType, Value, ValueRef,
};
use athanor_mysql::{MysqlConnection, MysqlDialect};

mod common;

use common::{connect, one, rows, url};

fn text_col(d: &MysqlDialect, ty: ColumnType, keyed: bool, ci: bool) -> String {
    format!("{} {}", d.column_type(ty, keyed), d.text_collation(ci))
}

fn constraint(e: Error) -> athanor_core::ConstraintViolation {
    match e {
        Error::Constraint(c) => c,
        other => panic!("expected a constraint violation, got {other:?}"),
    }
}

#[test]
fn connects_and_sets_up_the_session() {
    let mut conn = connect();
    assert!(conn.is_valid());
    assert_eq!(conn.dialect().name(), "mysql");
    let version = one(&mut conn, "SELECT VERSION()", &[]);
    let Value::Text(version) = version else {
        panic!("{version:?}")
    };
    let d = conn.mysql_dialect();
    assert_eq!(d.is_mariadb(), version.contains("MariaDB"), "{version}");
    let r = rows(
        &mut conn,
        "SELECT @@character_set_client, @@character_set_results, @@collation_connection, \
         @@sql_mode, @@character_set_server",
        &[],
    );
    assert_eq!(r[0][0], Value::Text("utf8mb4".into()));
    assert_eq!(r[0][1], Value::Text("utf8mb4".into()));
    assert_eq!(r[0][2], Value::Text(d.binary_collation().into()));
    let Value::Text(mode) = &r[0][3] else {
        panic!("{r:?}")
    };
    for m in [
        "STRICT_ALL_TABLES",
        "NO_ZERO_DATE",
        "ERROR_FOR_DIVISION_BY_ZERO",
    ] {
        assert!(mode.contains(m), "{mode}");
    }
    for m in ["ANSI_QUOTES", "PIPES_AS_CONCAT", "NO_BACKSLASH_ESCAPES"] {
        assert!(!mode.contains(m), "{mode}");
    }
    // The test server keeps latin1 on purpose.
    eprintln!("server character set: {:?}", r[0][4]);

    // Literal and expression columns.
    assert_eq!(one(&mut conn, "SELECT 1", &[]), Value::I64(1));
    assert_eq!(
        one(&mut conn, "SELECT EXISTS(SELECT 1)", &[]),
        Value::I64(1)
    );
    assert_eq!(
        one(&mut conn, "SELECT ?", &[ValueRef::Text("가수1 😀")]),
        Value::Text("가수1 😀".into())
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT CONCAT(?, ?)",
            &[ValueRef::Text("a"), ValueRef::I32(1)]
        ),
        Value::Text("a1".into())
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT ? = ?",
            &[ValueRef::Text("a"), ValueRef::Text("A")]
        ),
        Value::I64(0),
        "the connection's collation is case-sensitive"
    );
    assert_eq!(
        one(
            &mut conn,
            "SELECT ? = ?",
            &[ValueRef::Text("a"), ValueRef::Text("a ")]
        ),
        Value::I64(0),
        "the connection's collation does not pad"
    );
    assert_eq!(one(&mut conn, "SELECT NULL", &[]), Value::Null);
    assert!(matches!(one(&mut conn, "SELECT 1.5e0", &[]), Value::F64(f) if f == 1.5));
}

#[test]
fn connect_failures() {
    match MysqlConnection::connect("mysql://athanor:athanor@127.0.0.1:1/athanor_test") {
        Err(Error::Connection { .. }) => {}
        other => panic!("expected a connection error, got {other:?}"),
    }
    let bad_password = url().replacen(":athanor@", ":wrong@", 1);
    match MysqlConnection::connect(&bad_password) {
        Err(Error::Connection { message }) => assert!(message.contains("1045"), "{message}"),
        other => panic!("expected a connection error, got {other:?}"),
    }
    match MysqlConnection::connect("postgres://x@127.0.0.1/db") {
        Err(Error::Url(_)) => {}
        other => panic!("expected a url error, got {other:?}"),
    }
}

#[test]
fn round_trips_every_value_kind() {
    let mut conn = connect();
    let d = conn.mysql_dialect();
    conn.execute_batch("DROP TABLE IF EXISTS smoke_values")
        .expect("drop");
    let ddl = format!(
        "CREATE TABLE smoke_values (`id` {}, `b` {} NOT NULL, `s` {}, `i` {}, `g` {}, \
         `r` {}, `d` {}, `t` {}, `v` {}, `by` {}, `n` {}){}",
        d.auto_key_column(ColumnType::BigInt),
        d.column_type(ColumnType::Bool, false),
        d.column_type(ColumnType::SmallInt, false),
        d.column_type(ColumnType::Integer, false),
        d.column_type(ColumnType::BigInt, false),
        d.column_type(ColumnType::Real, false),
        d.column_type(ColumnType::Double, false),
        text_col(d, ColumnType::Text, false, false),
        text_col(d, ColumnType::Varchar(20), false, false),
        d.column_type(ColumnType::Bytes, false),
        text_col(d, ColumnType::Text, false, false),
        d.table_options(),
    );
    conn.execute_batch(&ddl).expect("create");
    // utf8mb4 on every text column, whatever the server's default.
    let charsets = rows(
        &mut conn,
        "SELECT DISTINCT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'smoke_values' \
         AND CHARACTER_SET_NAME IS NOT NULL",
        &[],
    );
    assert_eq!(
        charsets,
        vec![vec![
            Value::Text("utf8mb4".into()),
            Value::Text(d.binary_collation().into())
        ]]
    );

    let blob: &[u8] = &[0xff, 0x00, 0x80, b'\\', b'\''];
    let unicode = "가수1 😀 \\ ' \"";
    let n = conn
        .execute(
            "INSERT INTO smoke_values (b, s, i, g, r, d, t, v, `by`, n) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                ValueRef::Bool(true),
                ValueRef::I16(i16::MIN),
                ValueRef::I32(i32::MAX),
                ValueRef::I64(i64::MIN),
                ValueRef::F32(1.25),
                ValueRef::F64(-2.5e300),
                ValueRef::Text(unicode),
                ValueRef::Text("가수1 😀"),
                ValueRef::Bytes(blob),
                ValueRef::Null,
            ],
        )
        .expect("insert");
    assert_eq!(n, 1);
    let id = conn.last_insert_id().expect("id");
    assert!(id > 0);
    let r = rows(
        &mut conn,
        "SELECT id, b, s, i, g, r, d, t, v, `by`, n FROM smoke_values WHERE id = ?",
        &[ValueRef::I64(id)],
    );
    assert_eq!(
        r,
        vec![vec![
            Value::I64(id),
            Value::I64(1),
            Value::I64(i16::MIN.into()),
            Value::I64(i32::MAX.into()),
            Value::I64(i64::MIN),
            Value::F32(1.25),
            Value::F64(-2.5e300),
            Value::Text(unicode.into()),
            Value::Text("가수1 😀".into()),
            Value::Bytes(blob.to_vec()),
            Value::Null,
        ]]
    );
    // The core's conversions read them back into Rust types.
    conn.query(
        "SELECT b, s, t, `by`, n FROM smoke_values",
        &[],
        &mut |row| {
            assert!(bool::from_value_ref(row.get(0)?)?);
            assert_eq!(i16::from_value_ref(row.get(1)?)?, i16::MIN);
            assert_eq!(String::from_value_ref(row.get(2)?)?, unicode);
            assert_eq!(Vec::<u8>::from_value_ref(row.get(3)?)?, blob);
            assert_eq!(Option::<String>::from_value_ref(row.get(4)?)?, None);
            assert!(row.get(5).is_err(), "index out of range is an error");
            Ok(())
        },
    )
    .expect("typed read");
    // Unicode survives a comparison too.
    assert_eq!(
        one(
            &mut conn,
            "SELECT COUNT(*) FROM smoke_values WHERE v = ?",
            &[ValueRef::Text("가수1 😀")]
        ),
        Value::I64(1)
    );

    // Aggregates: SUM of integers is DECIMAL (read as an integer without the
    // decimal feature, exactly with it), AVG a fraction.
    #[cfg(not(feature = "decimal"))]
    assert_eq!(
        one(&mut conn, "SELECT SUM(i) FROM smoke_values", &[]),
        Value::I64(i32::MAX.into())
    );
    #[cfg(feature = "decimal")]
    assert_eq!(
        one(&mut conn, "SELECT SUM(i) FROM smoke_values", &[]),
        Value::Decimal(i32::MAX.into())
    );
    #[cfg(feature = "decimal")]
    let avg = Value::Decimal("1.5".parse().expect("decimal"));
    #[cfg(not(feature = "decimal"))]
    let avg = Value::F64(1.5);
    assert_eq!(
        one(
            &mut conn,
            "SELECT AVG(x) FROM (SELECT 1 AS x UNION ALL SELECT 2) q",
            &[]
        ),
        avg
    );
    // Without the chrono feature dates are not read: a conversion error
    // naming the type.
    #[cfg(not(feature = "chrono"))]
    match conn.query("SELECT CURRENT_DATE AS today", &[], &mut |row| {
        row.get(0).map(|_| ())
    }) {
        Err(Error::Conversion(c)) => {
            assert_eq!(c.column.as_deref(), Some("today"));
            assert!(c.actual.contains("DATE"), "{c}");
        }
        other => panic!("expected a conversion error, got {other:?}"),
    }
    // Unsigned beyond i64.
    match conn.query(
        "SELECT CAST(18446744073709551615 AS UNSIGNED) AS big",
        &[],
        &mut |row| row.get(0).map(|_| ()),
    ) {
        Err(Error::Conversion(c)) => assert_eq!(c.column.as_deref(), Some("big")),
        other => panic!("expected a conversion error, got {other:?}"),
    }

    // Values the columns refuse.
    match conn.execute(
        "INSERT INTO smoke_values (b, s) VALUES (0, ?)",
        &[ValueRef::I32(70_000)],
    ) {
        Err(Error::Conversion(c)) => assert_eq!(c.column.as_deref(), Some("s"), "{c}"),
        other => panic!("expected a conversion error, got {other:?}"),
    }
    match conn.execute(
        "INSERT INTO smoke_values (b, v) VALUES (0, ?)",
        &[ValueRef::Text("123456789012345678901")],
    ) {
        Err(Error::Conversion(c)) => assert_eq!(c.column.as_deref(), Some("v"), "{c}"),
        other => panic!("expected a conversion error, got {other:?}"),
    }
    match conn.execute(
        "INSERT INTO smoke_values (b, i) VALUES (0, ?)",
        &[ValueRef::Text("abc")],
    ) {
        Err(Error::Conversion(c)) => assert_eq!(c.column.as_deref(), Some("i"), "{c}"),
        other => panic!("expected a conversion error, got {other:?}"),
    }
    // A wrong number of parameters is an error, not a panic.
    assert!(conn.execute("SELECT ?", &[]).is_err());

    // A row of defaults only, and OFFSET without LIMIT.
    conn.execute_batch("DROP TABLE IF EXISTS smoke_defaults")
        .expect("drop");
    conn.execute_batch(&format!(
        "CREATE TABLE smoke_defaults (`id` {}, `t` {} {} NOT NULL DEFAULT '{}'){}",
        d.auto_key_column(ColumnType::Integer),
        d.column_type(ColumnType::Varchar(20), false),
        d.text_collation(false),
        d.escape_string_literal(r"a\b''c"),
        d.table_options()
    ))
    .expect("create defaults");
    for _ in 0..3 {
        conn.execute(
            &format!("INSERT INTO smoke_defaults{}", d.default_values()),
            &[],
        )
        .expect("insert defaults");
    }
    assert_eq!(
        one(&mut conn, "SELECT MIN(t) FROM smoke_defaults", &[]),
        Value::Text(r"a\b'c".into())
    );
    let limit = d.limit_for_offset_only().expect("mysql needs a limit");
    let r = rows(
        &mut conn,
        &format!("SELECT id FROM smoke_defaults ORDER BY id LIMIT {limit} OFFSET 1"),
        &[],
    );
    assert_eq!(r.len(), 2);
}

#[test]
fn multi_row_insert_reports_the_first_id() {
    let mut conn = connect();
    let d = conn.mysql_dialect();
    conn.execute_batch("DROP TABLE IF EXISTS smoke_ids")
        .expect("drop");
    conn.execute_batch(&format!(
        "CREATE TABLE smoke_ids (`id` {}, `x` {}){}",
        d.auto_key_column(ColumnType::Integer),
        d.column_type(ColumnType::Integer, false),
        d.table_options()
    ))
    .expect("create");
    conn.execute("INSERT INTO smoke_ids (x) VALUES (?)", &[ValueRef::I32(0)])
        .expect("first");
    assert_eq!(conn.last_insert_id().expect("id"), 1);
    let n = conn
        .execute(
            "INSERT INTO smoke_ids (x) VALUES (?), (?), (?)",
            &[ValueRef::I32(1), ValueRef::I32(2), ValueRef::I32(3)],
        )
        .expect("insert");
    assert_eq!(n, 3);
    let first = conn.last_insert_id().expect("id");
    assert_eq!(first, 2, "last_insert_id is the FIRST row's id");
    let r = rows(
        &mut conn,
        "SELECT id, x FROM smoke_ids WHERE x > 0 ORDER BY x",
        &[],
    );
    for (pos, row) in r.iter().enumerate() {
        assert_eq!(row[0], Value::I64(first + pos as i64), "consecutive ids");
    }
    // A statement that inserts nothing reports no id.
    conn.execute("UPDATE smoke_ids SET x = x WHERE id = 1", &[])
        .expect("update");
    assert_eq!(conn.last_insert_id().expect("id"), 0);
}

#[test]
fn text_is_case_sensitive_unless_asked() {
    let mut conn = connect();
    let d = conn.mysql_dialect();
    conn.execute_batch("DROP TABLE IF EXISTS smoke_names")
        .expect("drop");
    conn.execute_batch(&format!(
        "CREATE TABLE smoke_names (`id` {}, `name` {} NOT NULL, `label` {}, \
         CONSTRAINT `uq_smoke_names_name` UNIQUE (`name`)){}",
        d.auto_key_column(ColumnType::Integer),
        text_col(d, ColumnType::Text, true, false),
        text_col(d, ColumnType::Varchar(40), false, true),
        d.table_options()
    ))
    .expect("create");
    for name in ["abc", "ABC", "abc ", "a%b", "axb"] {
        conn.execute(
            "INSERT INTO smoke_names (name, label) VALUES (?, ?)",
            &[ValueRef::Text(name), ValueRef::Text(name)],
        )
        .unwrap_or_else(|e| panic!("{name:?}: {e}"));
    }
    let e = conn
        .execute(
            "INSERT INTO smoke_names (name) VALUES (?)",
            &[ValueRef::Text("abc")],
        )
        .expect_err("duplicate");
    let c = constraint(e);
    assert_eq!(c.kind, ConstraintKind::Unique);
    assert_eq!(c.constraint.as_deref(), Some("uq_smoke_names_name"), "{c}");
    // Primary key duplicates name PRIMARY.
    let c = constraint(
        conn.execute("INSERT INTO smoke_names (id, name) VALUES (1, 'new')", &[])
            .expect_err("duplicate key"),
    );
    assert_eq!(c.constraint.as_deref(), Some("PRIMARY"), "{c}");

    let count =
        |conn: &mut MysqlConnection, sql: &str, v: &str| one(conn, sql, &[ValueRef::Text(v)]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM smoke_names WHERE name = ?",
            "abc"
        ),
        Value::I64(1)
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM smoke_names WHERE name = ?",
            "abc "
        ),
        Value::I64(1)
    );
    // The case-insensitive column.
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM smoke_names WHERE label = ?",
            "abc"
        ),
        Value::I64(2)
    );
    // LIKE is case-sensitive on binary text, and the escape literal works.
    let like = format!(
        "SELECT COUNT(*) FROM smoke_names WHERE name LIKE ? ESCAPE {}",
        d.like_escape_literal()
    );
    assert_eq!(count(&mut conn, &like, "a%"), Value::I64(4));
    assert_eq!(count(&mut conn, &like, "A%"), Value::I64(1));
    assert_eq!(count(&mut conn, &like, r"a\%b"), Value::I64(1));

    // UPDATE reports matched rows, changed or not.
    let n = conn
        .execute(
            "UPDATE smoke_names SET name = name WHERE name = ?",
            &[ValueRef::Text("abc")],
        )
        .expect("update");
    assert_eq!(n, 1, "a no-op UPDATE still reports its matched row");

    // Upsert: inserted, then updated.
    let upsert = "INSERT INTO smoke_names (name, label) VALUES (?, ?) \
                  ON DUPLICATE KEY UPDATE label = VALUES(label)";
    let n = conn
        .execute(upsert, &[ValueRef::Text("up"), ValueRef::Text("1")])
        .expect("upsert insert");
    let inserted = conn.last_insert_id().expect("id");
    assert_eq!(n, 1);
    assert!(inserted > 0);
    conn.execute("INSERT INTO smoke_names (name) VALUES ('later')", &[])
        .expect("another insert");
    let n = conn
        .execute(upsert, &[ValueRef::Text("up"), ValueRef::Text("2")])
        .expect("upsert update");
    assert_eq!(n, 2, "an upsert that updated a row reports 2");
    assert_eq!(
        conn.last_insert_id().expect("id"),
        inserted,
        "the updated row's id"
    );
    // An upsert that changed nothing reports no id at all: the core's
    // `ON DUPLICATE KEY UPDATE col = VALUES(col)` cannot learn the key then.
    let n = conn
        .execute(upsert, &[ValueRef::Text("up"), ValueRef::Text("2")])
        .expect("upsert no-op");
    assert_eq!(n, 1, "found rows: the unchanged row counts once");
    assert_eq!(conn.last_insert_id().expect("id"), 0);
    // With `id = LAST_INSERT_ID(id)` the key comes back in every case.
    let keyed = "INSERT INTO smoke_names (name, label) VALUES (?, ?) \
                 ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), label = VALUES(label)";
    for label in ["2", "3"] {
        conn.execute(keyed, &[ValueRef::Text("up"), ValueRef::Text(label)])
            .expect("keyed upsert");
        assert_eq!(
            conn.last_insert_id().expect("id"),
            inserted,
            "label {label}"
        );
    }
}

#[test]
fn constraint_violations_are_classified() {
    let mut conn = connect();
    let d = conn.mysql_dialect();
    conn.execute_batch("DROP TABLE IF EXISTS smoke_child; DROP TABLE IF EXISTS smoke_parent")
        .expect("drop");
    conn.execute_batch(&format!(
        "CREATE TABLE smoke_parent (`id` {}, `name` {} NOT NULL, `n` {}, \
         CONSTRAINT `ck_smoke_parent_n` CHECK (`n` >= 0)){}",
        d.auto_key_column(ColumnType::Integer),
        text_col(d, ColumnType::Text, false, false),
        d.column_type(ColumnType::Integer, false),
        d.table_options()
    ))
    .expect("create parent");
    conn.execute_batch(&format!(
        "CREATE TABLE smoke_child (`id` {}, `parent_id` {} NOT NULL, \
         CONSTRAINT `fk_smoke_child_parent_id` FOREIGN KEY (`parent_id`) \
         REFERENCES `smoke_parent` (`id`) ON DELETE RESTRICT){}",
        d.auto_key_column(ColumnType::Integer),
        d.column_type(ColumnType::Integer, false),
        d.table_options()
    ))
    .expect("create child");

    let c = constraint(
        conn.execute(
            "INSERT INTO smoke_parent (name) VALUES (?)",
            &[ValueRef::Null],
        )
        .expect_err("null"),
    );
    assert_eq!(
        (c.kind, c.column.as_deref()),
        (ConstraintKind::NotNull, Some("name")),
        "{c}"
    );
    let c = constraint(
        conn.execute("INSERT INTO smoke_parent (n) VALUES (1)", &[])
            .expect_err("missing"),
    );
    assert_eq!(
        (c.kind, c.column.as_deref()),
        (ConstraintKind::NotNull, Some("name")),
        "{c}"
    );
    let c = constraint(
        conn.execute("INSERT INTO smoke_parent (name, n) VALUES ('x', -1)", &[])
            .expect_err("check"),
    );
    assert_eq!(c.kind, ConstraintKind::Check, "{c}");
    assert_eq!(c.constraint.as_deref(), Some("ck_smoke_parent_n"), "{c}");

    conn.execute("INSERT INTO smoke_parent (name) VALUES ('p')", &[])
        .expect("parent");
    let parent = conn.last_insert_id().expect("id");
    let c = constraint(
        conn.execute(
            "INSERT INTO smoke_child (parent_id) VALUES (?)",
            &[ValueRef::I64(parent + 100)],
        )
        .expect_err("fk"),
    );
    assert_eq!(c.kind, ConstraintKind::ForeignKey, "{c}");
    assert_eq!(
        c.constraint.as_deref(),
        Some("fk_smoke_child_parent_id"),
        "{c}"
    );
    assert_eq!(c.table.as_deref(), Some("smoke_child"), "{c}");
    assert_eq!(c.column.as_deref(), Some("parent_id"), "{c}");
    conn.execute(
        "INSERT INTO smoke_child (parent_id) VALUES (?)",
        &[ValueRef::I64(parent)],
    )
    .expect("child");
    let c = constraint(
        conn.execute(
            "DELETE FROM smoke_parent WHERE id = ?",
            &[ValueRef::I64(parent)],
        )
        .expect_err("restrict"),
    );
    assert_eq!(c.kind, ConstraintKind::ForeignKey, "{c}");
    assert_eq!(
        c.constraint.as_deref(),
        Some("fk_smoke_child_parent_id"),
        "{c}"
    );

    // Other errors keep their number.
    match conn.execute("SELECT * FROM smoke_missing", &[]) {
        Err(Error::Database { code, .. }) => assert_eq!(code.as_deref(), Some("1146")),
        other => panic!("expected a database error, got {other:?}"),
    }
}

#[test]
fn batches_and_transactions() {
    let mut conn = connect();
    let d = conn.mysql_dialect();
    conn.execute_batch("DROP TABLE IF EXISTS smoke_tx")
        .expect("drop");
    conn.execute_batch(&format!(
        "CREATE TABLE smoke_tx (`id` {}, `x` {}){}",
        d.auto_key_column(ColumnType::Integer),
        d.column_type(ColumnType::Integer, false),
        d.table_options()
    ))
    .expect("create");
    conn.execute_batch(d.begin_sql()).expect("begin");
    conn.execute("INSERT INTO smoke_tx (x) VALUES (1)", &[])
        .expect("insert 1");
    conn.execute_batch("SAVEPOINT athanor_sp1")
        .expect("savepoint");
    conn.execute("INSERT INTO smoke_tx (x) VALUES (2)", &[])
        .expect("insert 2");
    conn.execute_batch("ROLLBACK TO SAVEPOINT athanor_sp1; RELEASE SAVEPOINT athanor_sp1")
        .expect("multi-statement batch");
    conn.execute_batch("COMMIT").expect("commit");
    assert_eq!(
        rows(&mut conn, "SELECT x FROM smoke_tx", &[]),
        vec![vec![Value::I64(1)]]
    );

    // A failure in a later statement of a batch is reported, not dropped,
    // and the connection stays usable.
    let e = conn
        .execute_batch("INSERT INTO smoke_tx (x) VALUES (3); INSERT INTO smoke_missing VALUES (1); INSERT INTO smoke_tx (x) VALUES (4)")
        .expect_err("second statement fails");
    assert!(
        matches!(e, Error::Database { ref code, .. } if code.as_deref() == Some("1146")),
        "{e:?}"
    );
    assert_eq!(
        rows(&mut conn, "SELECT x FROM smoke_tx ORDER BY x", &[]),
        vec![vec![Value::I64(1)], vec![Value::I64(3)]],
        "statements after the failing one do not run"
    );
    // Result sets inside a batch are consumed.
    conn.execute_batch("SELECT 1; SELECT x FROM smoke_tx; DO 1")
        .expect("selects in a batch");

    // An error from the row callback stops the query; the connection goes on.
    conn.execute("INSERT INTO smoke_tx (x) VALUES (5), (6), (7)", &[])
        .expect("more");
    let mut seen = 0;
    let e = conn
        .query("SELECT x FROM smoke_tx ORDER BY x", &[], &mut |_| {
            seen += 1;
            Err(Error::Session("stop".into()))
        })
        .expect_err("callback error");
    assert!(matches!(e, Error::Session(_)));
    assert_eq!(seen, 1);
    assert_eq!(
        one(&mut conn, "SELECT COUNT(*) FROM smoke_tx", &[]),
        Value::I64(5)
    );
    assert!(conn.is_valid());
}

#[test]
fn statements_that_cannot_be_prepared_run_as_text() {
    let mut conn = connect();
    // PREPARE / EXECUTE cannot themselves be prepared (error 1295): they run
    // over the text protocol, whose rows are decoded by column type.
    conn.execute(
        "PREPARE athanor_s1 FROM 'SELECT 1 AS i, 2.5e0 AS f, 1.50 AS d, ''가'' AS t, NULL AS n'",
        &[],
    )
    .expect("prepare");
    // DECIMAL reads exactly with the decimal feature, as a float without.
    #[cfg(feature = "decimal")]
    let d = Value::Decimal("1.50".parse().expect("decimal"));
    #[cfg(not(feature = "decimal"))]
    let d = Value::F64(1.5);
    assert_eq!(
        rows(&mut conn, "EXECUTE athanor_s1", &[]),
        vec![vec![
            Value::I64(1),
            Value::F64(2.5),
            d,
            Value::Text("가".into()),
            Value::Null
        ]]
    );
    conn.execute("DEALLOCATE PREPARE athanor_s1", &[])
        .expect("deallocate");
}

#[test]
fn a_statement_past_the_statement_timeout_is_a_transient_error() {
    let mut conn = connect();
    // MariaDB's max_statement_time (seconds); MySQL 8 would use max_execution_time.
    let result = conn.query(
        "SET STATEMENT max_statement_time = 0.05 FOR SELECT SLEEP(2) FROM (SELECT 1) AS t",
        &[],
        &mut |_| Ok(()),
    );
    let err = result.expect_err("the statement outlived its timeout");
    assert_eq!(
        err.transient_kind(),
        Some(athanor_core::TransientKind::StatementTimeout),
        "{err}"
    );
    assert!(err.is_retryable());
}
