//! Every error kind, provoked on purpose.

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::ConstraintKind;

use super::models::*;
use crate::TestDb;

pub fn unique_violation_names_the_column_and_constraint(db: &Database) {
    let mut conn = setup(db);
    Artist::new("dup").insert(&mut conn).unwrap();
    let err = Artist::new("dup").insert(&mut conn).unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::Unique);
    assert_eq!(c.table.as_deref(), Some("artists"), "{c:?}");
    assert_eq!(c.column.as_deref(), Some("name"), "{c:?}");
    assert_eq!(c.constraint.as_deref(), Some("uq_artists_name"), "{c:?}");
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 1);
}

/// A second row with a taken primary key names the key's column on every
/// backend, whether the database names the column (PostgreSQL, SQLite) or
/// only its primary key constraint (MySQL).
pub fn primary_key_violation_names_the_key_column(db: &Database) {
    let mut conn = setup(db);
    let mut first = Artist::new("first");
    first.insert(&mut conn).unwrap();
    let mut second = Artist {
        id: first.id,
        ..Artist::new("second")
    };
    let err = second.insert(&mut conn).unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::Unique, "{c:?}");
    assert_eq!(c.table.as_deref(), Some("artists"), "{c:?}");
    assert_eq!(c.column.as_deref(), Some("id"), "{c:?}");
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 1);
}

pub fn unique_is_case_sensitive(db: &Database) {
    let mut conn = setup(db);
    Artist::new("abc").insert(&mut conn).unwrap();
    Artist::new("ABC").insert(&mut conn).unwrap();
    Artist::new("abc ").insert(&mut conn).unwrap();
    assert_eq!(
        Artist::query()
            .filter(Artist::NAME.eq("abc"))
            .count(&mut conn)
            .unwrap(),
        1
    );
}

pub fn foreign_key_violation_is_reported(db: &Database) {
    let mut conn = setup(db);
    let err = Album::new("orphan", 12345).insert(&mut conn).unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::ForeignKey, "{c:?}");
    assert_eq!(Album::query().count(&mut conn).unwrap(), 0);
}

pub fn changing_a_referenced_key_is_refused(db: &Database) {
    let mut conn = setup(db);
    let mut artist = Artist::new("parent");
    artist.insert(&mut conn).unwrap();
    Album::new("child", artist.id).insert(&mut conn).unwrap();
    let unreferenced = {
        let mut a = Artist::new("alone");
        a.insert(&mut conn).unwrap();
        a.id
    };
    // Moving the parent's key would orphan its album: refused, unchanged.
    let err = Artist::query()
        .filter(Artist::ID.eq(artist.id))
        .update(&mut conn, [Artist::ID.set(artist.id + 1000)])
        .unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::ForeignKey, "{c:?}");
    assert_eq!(Artist::get(&mut conn, artist.id).unwrap().name, "parent");
    assert_eq!(Album::query().one(&mut conn).unwrap().artist_id, artist.id);
    // Inside a transaction too, and the transaction has failed with it.
    let mut tx = conn.transaction().unwrap();
    let err = Artist::query()
        .filter(Artist::ID.eq(artist.id))
        .update(&mut tx, [Artist::ID.set(artist.id + 1000)])
        .unwrap_err();
    assert_eq!(
        err.constraint_kind(),
        Some(ConstraintKind::ForeignKey),
        "{err}"
    );
    let later = Artist::query().count(&mut tx).unwrap_err();
    assert!(matches!(later, Error::TransactionFailed { .. }), "{later}");
    tx.rollback().unwrap();
    assert_eq!(Artist::get(&mut conn, artist.id).unwrap().name, "parent");
    // A key nothing references may change.
    let moved = Artist::query()
        .filter(Artist::ID.eq(unreferenced))
        .update(&mut conn, [Artist::ID.set(unreferenced + 1000)])
        .unwrap();
    assert_eq!(moved, 1);
    assert_eq!(
        Artist::get(&mut conn, unreferenced + 1000).unwrap().name,
        "alone"
    );
}

pub fn not_null_violation_names_the_column(db: &Database) {
    let mut conn = setup(db);
    let q = conn.dialect().identifier_quote();
    let err = Raw::new(format!(
        "INSERT INTO {q}artists{q} ({q}name{q}, {q}country{q}) VALUES (?, ?)"
    ))
    .bind(athanor::Value::Null)
    .bind("KR")
    .execute(&mut conn)
    .unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::NotNull, "{c:?}");
    assert_eq!(c.column.as_deref(), Some("name"), "{c:?}");
}

pub fn check_violation_is_reported(db: &TestDb) {
    let mut conn = db.connect().unwrap();
    let q = conn.dialect().identifier_quote();
    Raw::new(format!(
        "CREATE TABLE {q}prices{q} ({q}id{q} INTEGER PRIMARY KEY, {q}amount{q} INTEGER NOT NULL, \
         CONSTRAINT {q}ck_amount_positive{q} CHECK ({q}amount{q} > 0))"
    ))
    .execute(&mut conn)
    .unwrap();
    let err = Raw::new(format!(
        "INSERT INTO {q}prices{q} ({q}id{q}, {q}amount{q}) VALUES (1, ?)"
    ))
    .bind(-5i64)
    .execute(&mut conn)
    .unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, ConstraintKind::Check, "{c:?}");
    if db.capabilities().check_constraint_names {
        assert_eq!(c.constraint.as_deref(), Some("ck_amount_positive"), "{c:?}");
    } else {
        // The documented difference: the table, and no constraint name.
        assert_eq!(c.table.as_deref(), Some("prices"), "{c:?}");
        assert_eq!(c.constraint, None, "{c:?}");
    }
}

pub fn conversion_error_names_table_column_and_types(db: &Database) {
    let mut conn = setup(db);
    Artist::new("x").insert(&mut conn).unwrap();
    let q = conn.dialect().identifier_quote();
    // The name column read where an integer is expected.
    let err = Raw::new(format!(
        "SELECT {q}id{q}, {q}name{q}, {q}country{q} FROM {q}artists{q}"
    ))
    .fetch_all::<(i64, i64, Option<String>), _>(&mut conn)
    .unwrap_err();
    assert!(
        matches!(err, Error::Conversion(ref c) if c.expected == "i64"),
        "{err}"
    );

    // Into a model: the message names the model's table and column.
    let err = Raw::new(format!(
        "SELECT {q}id{q}, {q}id{q}, {q}country{q} FROM {q}artists{q}"
    ))
    .fetch_all::<Artist, _>(&mut conn)
    .unwrap_err();
    match err {
        Error::Conversion(c) => {
            assert_eq!(c.table.as_deref(), Some("artists"));
            assert_eq!(c.column.as_deref(), Some("name"));
            assert_eq!(c.expected, "text");
        }
        other => panic!("expected a conversion error, got {other}"),
    }
}

pub fn null_in_a_non_null_field_is_a_conversion_error(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("x");
    a.insert(&mut conn).unwrap();
    let q = conn.dialect().identifier_quote();
    let err = Raw::new(format!(
        "SELECT {q}id{q}, {q}country{q}, {q}country{q} FROM {q}artists{q}"
    ))
    .fetch_all::<Artist, _>(&mut conn)
    .unwrap_err();
    assert!(
        matches!(&err, Error::Conversion(c) if c.column.as_deref() == Some("name") && c.actual == "NULL"),
        "{err}"
    );
}

pub fn out_of_range_values_are_refused_not_truncated(db: &Database) {
    let mut conn = setup(db);
    let q = conn.dialect().identifier_quote();
    let mut l = Label {
        id: 1,
        name: "l".into(),
    };
    l.insert(&mut conn).unwrap();
    // An i64 too large for the i32 column.
    let err = Raw::new(format!("UPDATE {q}labels{q} SET {q}id{q} = ?"))
        .bind(i64::MAX)
        .execute(&mut conn);
    match err {
        Err(Error::Conversion(_)) => {}
        // SQLite stores any integer; reading it back must then fail.
        Ok(_) => {
            let read = Label::query().all(&mut conn).unwrap_err();
            assert!(
                matches!(read, Error::Conversion(ref c) if c.column.as_deref() == Some("id")),
                "{read}"
            );
        }
        Err(other) => panic!("expected a conversion error, got {other}"),
    }
}

pub fn invalid_schema_is_reported(db: &Database) {
    let mut conn = db.connect().unwrap();
    let err = Schema::new()
        .register::<Album>()
        .create_all(&mut conn)
        .unwrap_err();
    match err {
        Error::InvalidModel(msg) => {
            assert!(msg.contains("Album") && msg.contains("Artist"), "{msg}");
        }
        other => panic!("expected InvalidModel, got {other}"),
    }
}

pub fn bad_urls_and_unreachable_servers_are_clear_errors(db: &TestDb) {
    assert!(matches!(Database::open("oracle://x"), Err(Error::Url(_))));
    assert!(matches!(Database::open("no-scheme"), Err(Error::Url(_))));
    // An unknown scheme's error names the schemes that are registered,
    // this backend's among them.
    let err = Database::open("oracle://x").unwrap_err().to_string();
    let url = db.unreachable_url().map(str::to_owned).or_else(|| {
        db.capabilities()
            .file_scheme
            .map(|scheme| format!("{scheme}::memory:"))
    });
    if let Some(url) = url {
        let scheme = url.split(':').next().unwrap_or_default();
        assert!(err.contains(scheme), "{err}");
    }
    if let Some(url) = db.unreachable_url() {
        assert!(matches!(Database::open(url), Err(Error::Connection { .. })));
    }
}

pub fn urls_follow_the_sqlite_convention_and_never_show_passwords(db: &TestDb) {
    // SQLAlchemy's convention: `sqlite:///:memory:` is in memory (no file
    // named `/:memory:`), three slashes start a relative path, four an
    // absolute one.
    if let Some(scheme) = db.capabilities().file_scheme {
        let memory = Database::open(&format!("{scheme}:///:memory:")).unwrap();
        drop(memory);
        assert!(!std::path::Path::new("/:memory:").exists());
        assert!(!std::path::Path::new(":memory:").exists());

        // A relative directory of the test's own: the working directory
        // of a backend crate's tests may hold nothing else.
        let name = format!("athanor-url-{}.db", std::process::id());
        let dir = format!("athanor-url-test-{}", std::process::id());
        std::fs::create_dir_all(&dir).unwrap();
        let relative = std::path::Path::new(&dir).join(&name);
        Database::open(&format!("{scheme}:///{dir}/{name}")).unwrap();
        assert!(relative.exists(), "sqlite:///dir/x.db is relative");
        std::fs::remove_dir_all(&dir).unwrap();

        let absolute = std::env::temp_dir().join(&name);
        let _ = std::fs::remove_file(&absolute);
        Database::open(&format!("{scheme}:///{}", absolute.display())).unwrap();
        assert!(absolute.exists(), "sqlite:////abs/x.db is absolute");
        std::fs::remove_file(&absolute).unwrap();
    }

    // A password never shows in an error or in Debug output.
    let secret = "s3cretpw";
    let shown = |url: &str| {
        let builder = format!("{:?}", Database::builder(url));
        assert!(!builder.contains(secret), "{builder}");
        let error = Database::open(url).map(|_| ()).unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains(secret), "{text}");
        error
    };
    assert!(matches!(shown("oracle://u:s3cretpw@h/db"), Error::Url(_)));
    // Without `://` the password cannot be told apart: not shown either.
    assert!(matches!(shown("app:s3cretpw@db/prod"), Error::Url(_)));
    // A server backend's harness gives the URLs the checks below need: they
    // are never skipped for one.
    if db.is_server() {
        for (what, url) in [
            ("unreachable_url", db.unreachable_url()),
            ("unknown_parameter_url", db.unknown_parameter_url()),
            ("refused_login_url", db.refused_login_url()),
        ] {
            assert!(
                url.is_some(),
                "the harness of server backend `{}` gives no {what}",
                db.backend()
            );
        }
    }
    if let Some(url) = db.unreachable_url() {
        assert!(url.contains(secret), "{url}");
        assert!(matches!(shown(url), Error::Connection { .. }));
    }
    // A malformed option is a URL error that does not show the password.
    if let Some(url) = db.unknown_parameter_url() {
        assert!(url.contains(secret), "{url}");
        assert!(matches!(shown(url), Error::Url(_)));
    }
    // A refused login on a reachable server.
    if let Some(url) = db.refused_login_url() {
        assert!(url.contains(secret), "{url}");
        shown(url);
    }
}

pub fn extreme_integers_as_floats_are_typed_errors_not_panics(db: &TestDb) {
    let mut conn = setup(db);
    let mut row = Everything {
        l: i64::MIN,
        ..Everything::zero()
    };
    row.insert(&mut conn).unwrap();
    let q = conn.dialect().identifier_quote();
    // Read as a float: beyond 2^53 an integer is not a float exactly.
    let select_l = format!("SELECT {q}l{q} FROM {q}everything{q}");
    let as_f64 = Raw::new(select_l.as_str()).fetch_all::<(f64,), _>(&mut conn);
    assert!(matches!(as_f64, Err(Error::Conversion(_))), "{as_f64:?}");
    let as_f32 = Raw::new(select_l.as_str()).fetch_all::<(f32,), _>(&mut conn);
    assert!(matches!(as_f32, Err(Error::Conversion(_))), "{as_f32:?}");
    // Bound where a float is expected: PostgreSQL knows the parameter's type
    // and refuses the inexact conversion; the others compare numerically.
    let bound = Raw::new(format!(
        "SELECT {q}id{q} FROM {q}everything{q} WHERE {q}d{q} = ?"
    ))
    .bind(i64::MIN)
    .fetch_all::<(i64,), _>(&mut conn);
    match bound {
        Ok(rows) => {
            assert!(!db.capabilities().strict_parameter_types);
            assert!(rows.is_empty());
        }
        Err(Error::Conversion(c)) => assert!(db.capabilities().strict_parameter_types, "{c}"),
        Err(other) => panic!("unexpected error {other}"),
    }
}

pub fn a_filter_nested_ten_thousand_deep_is_a_typed_error(db: &Database) {
    let mut conn = setup(db);
    Artist::new("a").insert(&mut conn).unwrap();
    let mut filter = Artist::NAME.eq("a");
    for i in 0..10_000 {
        filter = match i % 3 {
            0 => !filter,
            1 => filter.or(Artist::NAME.eq("b")),
            _ => filter.and(Artist::NAME.ne("c")),
        };
    }
    let query = Artist::query().filter(filter);
    let err = query.all(&mut conn).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("nested"), "{err}");
    for err in [
        query.count(&mut conn).unwrap_err(),
        query.exists(&mut conn).unwrap_err(),
        query.delete(&mut conn).unwrap_err(),
        query
            .update(&mut conn, [Artist::NAME.set("x")])
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    }
    // Nesting within the limit still runs.
    let mut filter = Artist::NAME.eq("a");
    for _ in 0..100 {
        filter = !!filter;
    }
    assert_eq!(Artist::query().filter(filter).count(&mut conn).unwrap(), 1);
}

/// `ID = ID + ID + ... + ID`, nested exactly `depth` deep: the comparison,
/// `depth - 2` additions, and the columns at the bottom.
fn sum_nested(depth: usize, equals: i64) -> athanor::Expr {
    use athanor::{BinOp, Expr, Value};
    let mut sum = Artist::ID.expr();
    for _ in 2..depth {
        sum = Expr::Binary {
            op: BinOp::Add,
            left: Box::new(sum),
            right: Box::new(Artist::ID.expr()),
        };
    }
    Expr::Binary {
        op: BinOp::Eq,
        left: Box::new(sum),
        right: Box::new(Expr::Value(Value::I64(equals))),
    }
}

/// The deepest expression athanor renders (a sum of hundreds of columns, as
/// a report may compute) renders on the test thread's default stack, and
/// one level more is a typed error; as deep as each database itself allows
/// (SQLite 999 levels here, a stock MariaDB 500, PostgreSQL all 1000), the
/// query runs and answers right.
pub fn a_filter_at_the_depth_limit_runs(db: &TestDb) {
    let mut conn = setup(db);
    let mut a = Artist::new("a");
    a.insert(&mut conn).unwrap();
    Artist::new("b").insert(&mut conn).unwrap();
    // The database's own limit for this shape: SQLite counts one level more
    // than athanor (its maximum is 1000); a stock MariaDB (292 KiB thread
    // stack) overruns its stack between 550 and 600 levels; PostgreSQL (2 MB
    // max_stack_depth) runs the full depth.
    let depth = athanor::MAX_EXPR_DEPTH.min(db.capabilities().max_expression_depth);
    let filter = sum_nested(depth, (depth as i64 - 1) * a.id);
    let found: Vec<String> = Artist::query()
        .filter(filter)
        .select(Artist::NAME)
        .all(&mut conn)
        .unwrap();
    assert_eq!(found, ["a"]);

    // A sum of 301 columns (refused when the limit was 256).
    let found: Vec<String> = Artist::query()
        .filter(sum_nested(302, 301 * a.id))
        .select(Artist::NAME)
        .all(&mut conn)
        .unwrap();
    assert_eq!(found, ["a"]);

    // Subqueries cost the renderer the most stack per level: a chain of
    // EXISTS at the limit still renders on this thread.
    let mut exists = Artist::NAME.eq("a");
    for _ in 2..athanor::MAX_EXPR_DEPTH {
        exists = Artist::query().filter(exists).exists_expr();
    }
    match Artist::query().filter(exists).count(&mut conn) {
        Ok(n) => assert_eq!(n, 2),
        Err(err) => assert!(matches!(err, Error::Database { .. }), "{err}"),
    }

    // At athanor's own limit the expression renders (whatever the database
    // then says of it); one level more is refused before anything is sent.
    let at_limit = Artist::query().filter(sum_nested(athanor::MAX_EXPR_DEPTH, 0));
    match at_limit.count(&mut conn) {
        Ok(n) => assert_eq!(n, 0),
        Err(err) => assert!(matches!(err, Error::Database { .. }), "{err}"),
    }
    let err = Artist::query()
        .filter(sum_nested(athanor::MAX_EXPR_DEPTH + 1, 0))
        .count(&mut conn)
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

pub fn long_in_lists_run_and_limits_are_typed_errors(db: &TestDb) {
    let mut conn = setup(db);
    let artists = seed(&mut conn);
    // 70 000 integers: more than any backend's parameters per statement.
    let mut ids: Vec<i64> = (1_000_000..1_070_000).collect();
    ids.push(artists[1].id);
    let found: Vec<String> = Artist::query()
        .filter(Artist::ID.is_in(ids.clone()))
        .select(Artist::NAME)
        .all(&mut conn)
        .unwrap();
    assert_eq!(found, ["B"]);
    let others = Artist::query()
        .filter(Artist::ID.not_in(ids))
        .count(&mut conn)
        .unwrap();
    assert_eq!(others, 2);

    // More parameters than the backend takes in one statement: refused
    // before sending, as what it is (PostgreSQL's client used to report a
    // lost connection).
    let max = conn.dialect().max_parameters();
    let names: Vec<String> = (0..=max).map(|i| format!("n{i}")).collect();
    let err = Artist::query()
        .filter(Artist::NAME.is_in(names))
        .count(&mut conn)
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert_eq!(Artist::query().count(&mut conn).unwrap(), 3);

    // MySQL: a statement larger than the server's max_allowed_packet.
    if let Some(query) = db.capabilities().max_statement_bytes_query {
        let packet: Vec<(i64,)> = Raw::new(query).fetch_all(&mut conn).unwrap();
        let mut row = Everything {
            bytes: vec![7; packet[0].0 as usize + 1],
            ..Everything::zero()
        };
        let err = row.insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err}");
        drop(conn);
        let mut conn = db.connect().unwrap();
        assert_eq!(Artist::query().count(&mut conn).unwrap(), 3);
    } else {
        // No statement size limit that low: a 4 MiB value is stored whole.
        let mut row = Everything {
            bytes: vec![7; 4 << 20],
            ..Everything::zero()
        };
        row.insert(&mut conn).unwrap();
        let back = Everything::get(&mut conn, row.id).unwrap();
        assert_eq!(back.bytes.len(), 4 << 20);
    }
}

/// A statement given more or fewer values than it has placeholders is
/// refused with the same error on every backend (the MySQL driver's own
/// error is mapped to it), and the connection stays usable.
pub fn a_wrong_number_of_values_is_refused_alike(db: &Database) {
    let mut conn = setup(db);
    let mut a = Artist::new("a");
    a.insert(&mut conn).unwrap();
    let sql = "SELECT id FROM artists WHERE id = ? OR id = ?";
    for values in [1, 3] {
        let raw = (0..values).fold(Raw::new(sql), |raw, _| raw.bind(a.id));
        let err = raw.fetch_all::<i64, _>(&mut conn).unwrap_err();
        assert_eq!(
            err.to_string(),
            Error::parameter_count(2, values).to_string(),
            "{values} values"
        );
    }
    let ids: Vec<i64> = Raw::new(sql)
        .bind(a.id)
        .bind(a.id)
        .fetch_all(&mut conn)
        .unwrap();
    assert_eq!(ids, [a.id]);
}

/// Reading past the end of a row (a tuple wider than the query's columns,
/// an optional model past them) is the same error on every backend, and
/// the connection stays usable.
pub fn a_column_past_the_row_is_refused_alike(db: &Database) {
    let mut conn = setup(db);
    Artist::new("a").insert(&mut conn).unwrap();
    let sql = "SELECT id, name FROM artists";
    let wide = Raw::new(sql)
        .fetch_all::<(i64, String, i64), _>(&mut conn)
        .unwrap_err();
    assert_eq!(wide.to_string(), Error::column_index(2, 2).to_string());
    // An optional model asks whether its key column is NULL first.
    let optional = Raw::new(sql)
        .fetch_all::<(i64, String, Option<Artist>), _>(&mut conn)
        .unwrap_err();
    assert_eq!(optional.to_string(), Error::column_index(2, 2).to_string());
    let names: Vec<(i64, String)> = Raw::new(sql).fetch_all(&mut conn).unwrap();
    assert_eq!(names.len(), 1);
}
