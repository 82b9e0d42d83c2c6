//! Decimals and dates round-trip exactly; values that do not fit a column
//! are typed errors naming it; the traps where databases differ by default.

use athanor::chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use athanor::prelude::*;
use athanor::rust_decimal::Decimal;

use super::models::Artist;
use super::store::dec;
use crate::TestDb;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "typed_values")]
pub struct Typed {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(precision = 15, scale = 4)]
    pub amount: Decimal,
    #[orm(precision = 12, scale = 0)]
    pub whole: Option<Decimal>,
    pub day: NaiveDate,
    pub time: NaiveTime,
    pub at: NaiveDateTime,
    pub instant: DateTime<Utc>,
    pub maybe_day: Option<NaiveDate>,
    #[orm(max_length = 5)]
    pub code: String,
}

fn typed(amount: &str, day: NaiveDate, at: NaiveDateTime) -> Typed {
    Typed {
        id: 0,
        amount: dec(amount),
        whole: Some(dec("123456789012")),
        day,
        time: at.time(),
        at,
        instant: at.and_utc(),
        maybe_day: None,
        code: "abc".into(),
    }
}

fn setup(db: &Database) -> athanor::DbConn<'_> {
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<Typed>()
        .create_all(&mut conn)
        .unwrap();
    conn
}

pub fn decimals_and_dates_round_trip_exactly(db: &Database) {
    let mut conn = setup(db);
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let mut rows = vec![
        typed(
            "12345678901.2345",
            d(2026, 11, 25),
            d(2026, 11, 25)
                .and_hms_micro_opt(23, 59, 59, 999_999)
                .unwrap(),
        ),
        typed(
            "-0.0001",
            d(1000, 1, 1),
            d(1000, 1, 1).and_hms_micro_opt(0, 0, 0, 1).unwrap(),
        ),
        typed(
            "0",
            d(9999, 12, 31),
            d(9999, 12, 31).and_hms_opt(12, 0, 0).unwrap(),
        ),
    ];
    rows[2].whole = None;
    rows[2].maybe_day = Some(d(2000, 2, 29));
    Typed::insert_many(&mut conn, &mut rows).unwrap();
    let back = Typed::query()
        .order_by(Typed::ID.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(back, rows);
    // Equality and ordering work on the database side too.
    let found = Typed::query()
        .filter(Typed::AMOUNT.eq(dec("-0.0001")))
        .filter(Typed::AT.lt(d(2000, 1, 1).and_hms_opt(0, 0, 0).unwrap()))
        .one(&mut conn)
        .unwrap();
    assert_eq!(found.id, rows[1].id);
    let by_time: Vec<i64> = Typed::query()
        .select(Typed::ID)
        .order_by(Typed::INSTANT.desc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(by_time, [rows[2].id, rows[0].id, rows[1].id]);
    let total: Option<Decimal> = Typed::query()
        .select(athanor::sum(Typed::AMOUNT))
        .one(&mut conn)
        .unwrap();
    assert_eq!(total, Some(dec("12345678901.2344")));
}

pub fn time_below_a_microsecond_is_dropped_the_same_everywhere(db: &Database) {
    let mut conn = setup(db);
    let at = NaiveDate::from_ymd_opt(2026, 1, 2)
        .unwrap()
        .and_hms_nano_opt(3, 4, 5, 123_456_789)
        .unwrap();
    let mut row = typed("1", at.date(), at);
    row.insert(&mut conn).unwrap();
    let back = Typed::get(&mut conn, row.id).unwrap();
    assert_eq!(back.at.and_utc().timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(
        back.time.format("%H:%M:%S%.f").to_string(),
        "03:04:05.123456"
    );
}

pub fn values_that_do_not_fit_are_typed_errors(db: &Database) {
    let mut conn = setup(db);
    let now = NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let check = |row: Typed, column: &str, conn: &mut athanor::DbConn<'_>| {
        let mut row = row;
        match row.insert(conn) {
            Err(Error::Conversion(c)) => {
                assert_eq!(c.table.as_deref(), Some("typed_values"));
                assert_eq!(c.column.as_deref(), Some(column), "{c}");
            }
            other => panic!("expected a conversion error on {column}, got {other:?}"),
        }
    };
    check(typed("1.00001", now.date(), now), "amount", &mut conn);
    check(
        typed("123456789012.5", now.date(), now),
        "amount",
        &mut conn,
    );
    let mut long = typed("1", now.date(), now);
    long.code = "abcdef".into();
    check(long, "code", &mut conn);
    // Five characters fit, even multi-byte ones.
    let mut wide = typed("1", now.date(), now);
    wide.code = "가나다라마".into();
    wide.insert(&mut conn).unwrap();
    assert_eq!(Typed::query().count(&mut conn).unwrap(), 1);
}

pub fn sqlite_enforces_foreign_keys_on_every_pooled_connection(db: &TestDb) {
    // In-memory SQLite has one connection; a file database has several.
    let dir = std::env::temp_dir().join(format!("athanor-fk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fk.db");
    let _ = std::fs::remove_file(&path);
    let file_db;
    // A file database has several connections (in memory, one).
    let db: &Database = match db.capabilities().file_scheme {
        Some(scheme) => {
            file_db = Database::open(&format!("{scheme}:///{}", path.display())).unwrap();
            &file_db
        }
        None => db,
    };
    let mut first = db.connect().unwrap();
    super::models::schema().create_all(&mut first).unwrap();
    let mut second = db.connect().unwrap();
    let mut third = db.connect().unwrap();
    for conn in [&mut first, &mut second, &mut third] {
        let err = super::models::Album::new("orphan", 4242)
            .insert(conn)
            .unwrap_err();
        assert_eq!(
            err.constraint_kind(),
            Some(athanor::ConstraintKind::ForeignKey)
        );
    }
    drop((first, second, third));
    let _ = std::fs::remove_dir_all(&dir);
}

pub fn unicode_text_survives_any_server_charset(db: &Database) {
    let mut conn = db.connect().unwrap();
    super::models::schema().create_all(&mut conn).unwrap();
    let samples = ["가수1", "😀🎵", "Ünïcödé ß", "中文字符", "עברית", "𝄞 music"];
    for s in samples {
        Artist::new(s).insert(&mut conn).unwrap();
    }
    for s in samples {
        let found = Artist::query()
            .filter(Artist::NAME.eq(s))
            .one(&mut conn)
            .unwrap();
        assert_eq!(found.name, s);
    }
    let by_like = Artist::query()
        .filter(Artist::NAME.like("😀%"))
        .count(&mut conn)
        .unwrap();
    assert_eq!(by_like, 1);
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "accounts")]
pub struct Account {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, case_insensitive, max_length = 60)]
    pub email: String,
    #[orm(max_length = 60)]
    pub nick: String,
}

pub fn case_insensitive_columns_compare_and_stay_unique(db: &Database) {
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<Account>()
        .create_all(&mut conn)
        .unwrap();
    let mut a = Account {
        id: 0,
        email: "Ann@Example.com".into(),
        nick: "Ann".into(),
    };
    a.insert(&mut conn).unwrap();
    let err = Account {
        id: 0,
        email: "ann@example.COM".into(),
        nick: "other".into(),
    }
    .insert(&mut conn)
    .unwrap_err();
    let c = err
        .constraint()
        .unwrap_or_else(|| panic!("not a constraint error: {err}"));
    assert_eq!(c.kind, athanor::ConstraintKind::Unique);
    assert_eq!(c.column.as_deref(), Some("email"), "{c:?}");
    let q =
        |e: Expr, conn: &mut athanor::DbConn<'_>| Account::query().filter(e).count(conn).unwrap();
    assert_eq!(q(Account::EMAIL.eq("ANN@EXAMPLE.COM"), &mut conn), 1);
    assert_eq!(
        q(Account::EMAIL.is_in(["x", "ann@example.com"]), &mut conn),
        1
    );
    assert_eq!(q(Account::EMAIL.like("ann@%"), &mut conn), 1);
    // The attribute is per column: the other text column stays case-sensitive.
    assert_eq!(q(Account::NICK.eq("ann"), &mut conn), 0);
    assert_eq!(q(Account::NICK.eq("Ann"), &mut conn), 1);
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "documents")]
pub struct Document {
    #[orm(primary_key, auto = false)]
    pub id: athanor::uuid::Uuid,
    pub body: athanor::serde_json::Value,
    pub parent: Option<athanor::uuid::Uuid>,
    pub extra: Option<athanor::serde_json::Value>,
}

pub fn uuids_and_json_round_trip(db: &Database) {
    use athanor::serde_json::json;
    use athanor::uuid::Uuid;
    let mut conn = db.connect().unwrap();
    Schema::new()
        .register::<Document>()
        .create_all(&mut conn)
        .unwrap();
    let ids = [
        Uuid::nil(),
        Uuid::max(),
        Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap(),
    ];
    let mut docs: Vec<Document> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| Document {
            id: *id,
            body: json!({"n": i, "tags": ["a", "가", "😀"], "nested": {"ok": true, "none": null}}),
            parent: (i > 0).then_some(ids[0]),
            extra: (i == 2).then(|| json!([1.5, -2, "x"])),
        })
        .collect();
    Document::insert_many(&mut conn, &mut docs).unwrap();
    for d in &docs {
        assert_eq!(&Document::get(&mut conn, d.id).unwrap(), d);
    }
    let children = Document::query()
        .filter(Document::PARENT.eq(ids[0]))
        .count(&mut conn)
        .unwrap();
    assert_eq!(children, 2);
}

fn refused_at(result: Result<(), Error>, table: &str, column: &str) {
    match result {
        Err(Error::Conversion(c)) => {
            assert_eq!(c.table.as_deref(), Some(table), "{c}");
            assert_eq!(c.column.as_deref(), Some(column), "{c}");
        }
        other => panic!("expected a conversion error on {table}.{column}, got {other:?}"),
    }
}

pub fn nan_infinities_and_negative_zero_are_the_same_everywhere(db: &Database) {
    use super::models::{setup as setup_models, Everything};
    let mut conn = setup_models(db);
    // NaN and the infinities: MySQL refuses them, SQLite stores NaN as NULL,
    // PostgreSQL stores them. Refused everywhere, naming the column.
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut row = Everything {
            d: v,
            ..Everything::zero()
        };
        refused_at(row.insert(&mut conn), "everything", "d");
        let mut row = Everything {
            od: Some(v),
            ..Everything::zero()
        };
        refused_at(row.insert(&mut conn), "everything", "od");
        let mut row = Everything {
            f: v as f32,
            ..Everything::zero()
        };
        refused_at(row.insert(&mut conn), "everything", "f");
        // Compared in a filter: refused too (PostgreSQL's NaN equals NaN).
        let err = Everything::query()
            .filter(Everything::D.eq(v))
            .count(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::Conversion(_)), "{err}");
    }
    assert_eq!(Everything::query().count(&mut conn).unwrap(), 0);
    // -0.0 reads back as 0.0 everywhere (PostgreSQL used to keep the sign).
    let mut row = Everything {
        d: -0.0,
        f: -0.0,
        od: Some(-0.0),
        ..Everything::zero()
    };
    row.insert(&mut conn).unwrap();
    let back = Everything::get(&mut conn, row.id).unwrap();
    assert!(back.d == 0.0 && back.d.is_sign_positive(), "{}", back.d);
    assert!(back.f == 0.0 && back.f.is_sign_positive(), "{}", back.f);
    assert!(back.od.is_some_and(|d| d == 0.0 && d.is_sign_positive()));
    let zeros = Everything::query()
        .filter(Everything::D.eq(0.0))
        .filter(Everything::OD.eq(-0.0))
        .count(&mut conn)
        .unwrap();
    assert_eq!(zeros, 1);
}

pub fn dates_beyond_four_digit_years_and_leap_seconds_are_refused(db: &Database) {
    let mut conn = setup(db);
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    // Years 0 to 9999 are stored, compared and sorted the same everywhere.
    let mut rows: Vec<Typed> = [9999, 0, 999, 2026]
        .into_iter()
        .map(|y| typed("1", d(y, 6, 1), d(y, 6, 1).and_time(noon)))
        .collect();
    Typed::insert_many(&mut conn, &mut rows).unwrap();
    let days: Vec<NaiveDate> = Typed::query()
        .filter(Typed::DAY.gt(d(1000, 1, 1)))
        .select(Typed::DAY)
        .order_by(Typed::DAY.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(days, [d(2026, 6, 1), d(9999, 6, 1)]);
    // Beyond them, MySQL refuses, SQLite compares text ("+10000-..." sorts
    // first) and PostgreSQL stores: refused everywhere, naming the column.
    for y in [-1, 10_000] {
        let mut row = typed("1", d(2026, 6, 1), d(2026, 6, 1).and_time(noon));
        row.maybe_day = Some(d(y, 6, 1));
        refused_at(row.insert(&mut conn), "typed_values", "maybe_day");
        let mut row = typed("1", d(2026, 6, 1), d(y, 6, 1).and_time(noon));
        row.instant = d(2026, 6, 1).and_time(noon).and_utc();
        refused_at(row.insert(&mut conn), "typed_values", "at");
        let err = Typed::query()
            .filter(Typed::DAY.lt(d(y, 1, 1)))
            .count(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::Conversion(_)), "{err}");
    }
    // A leap second: MySQL clamped it to 23:59:59.999999, SQLite kept
    // 23:59:60.5, PostgreSQL refused it as a database error.
    let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
    let mut row = typed("1", d(2016, 12, 31), d(2016, 12, 31).and_time(noon));
    row.time = leap;
    refused_at(row.insert(&mut conn), "typed_values", "time");
    let mut row = typed("1", d(2016, 12, 31), d(2016, 12, 31).and_time(noon));
    row.instant = d(2016, 12, 31).and_time(leap).and_utc();
    refused_at(row.insert(&mut conn), "typed_values", "instant");
    assert_eq!(Typed::query().count(&mut conn).unwrap(), 4);
}
