//! The query builder: filters, ordering, paging, counting, selections.

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::{capture_statements, count_all};

use super::models::*;

fn titles(albums: Vec<Album>) -> Vec<String> {
    albums.into_iter().map(|a| a.title).collect()
}

/// The titles of the albums matching `e`, in title order.
fn q(e: Expr, conn: &mut athanor::DbConn<'_>) -> Vec<String> {
    titles(
        Album::query()
            .filter(e)
            .order_by(Album::TITLE.asc())
            .all(conn)
            .unwrap(),
    )
}

pub fn comparisons_filter_rows(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    assert_eq!(q(Album::RATING.eq(5), &mut conn), ["a1"]);
    assert_eq!(q(Album::RATING.ne(5), &mut conn), ["a2", "b1"]);
    assert_eq!(q(Album::RATING.lt(4), &mut conn), ["a2"]);
    assert_eq!(q(Album::RATING.le(4), &mut conn), ["a2", "b1"]);
    assert_eq!(q(Album::RATING.gt(4), &mut conn), ["a1"]);
    assert_eq!(q(Album::RATING.ge(4), &mut conn), ["a1", "b1"]);
    assert_eq!(q(Album::YEAR.between(2000, 2002), &mut conn), ["a1"]);
    assert_eq!(q(Album::YEAR.is_null(), &mut conn), ["b1"]);
    assert_eq!(q(Album::YEAR.is_not_null(), &mut conn), ["a1", "a2"]);
    // NULL never equals anything, not even under NOT.
    assert_eq!(q(!Album::YEAR.eq(2001), &mut conn), ["a2"]);
}

pub fn and_or_not_combine(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let rows = Album::query()
        .filter((Album::RATING.eq(5) | Album::RATING.eq(4)) & !Album::TITLE.eq("b1"))
        .all(&mut conn)
        .unwrap();
    assert_eq!(titles(rows), ["a1"]);
    let chained = Album::query()
        .filter(Album::RATING.ge(3))
        .filter(Album::YEAR.is_not_null())
        .count(&mut conn)
        .unwrap();
    assert_eq!(chained, 2);
    let empty_and = Album::query()
        .filter(Expr::And(vec![]))
        .count(&mut conn)
        .unwrap();
    assert_eq!(empty_and, 3);
    let empty_or = Album::query()
        .filter(Expr::Or(vec![]))
        .count(&mut conn)
        .unwrap();
    assert_eq!(empty_or, 0);
}

pub fn in_and_not_in_lists(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    assert_eq!(
        q(Album::TITLE.is_in(["a1", "b1", "zz"]), &mut conn),
        ["a1", "b1"]
    );
    assert_eq!(q(Album::TITLE.not_in(["a1"]), &mut conn), ["a2", "b1"]);
    assert!(q(Album::TITLE.is_in(Vec::<&str>::new()), &mut conn).is_empty());
    assert_eq!(
        q(Album::TITLE.not_in(Vec::<&str>::new()), &mut conn).len(),
        3
    );
}

pub fn like_is_case_sensitive_and_escapes(db: &Database) {
    let mut conn = setup(db);
    for name in ["Abc", "abc", "a%c", "a_c", "xabcx"] {
        Artist::new(name).insert(&mut conn).unwrap();
    }
    let names = |e: Expr, conn: &mut athanor::DbConn<'_>| {
        Artist::query()
            .filter(e)
            .order_by(Artist::NAME.asc())
            .all(conn)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(Artist::NAME.like("a%"), &mut conn),
        ["a%c", "a_c", "abc"]
    );
    assert_eq!(
        names(Artist::NAME.like("%bc%"), &mut conn),
        ["Abc", "abc", "xabcx"]
    );
    assert_eq!(
        names(
            Artist::NAME.like(&format!("a{}c", athanor::escape_like("%"))),
            &mut conn
        ),
        ["a%c"]
    );
    assert_eq!(names(Artist::NAME.ilike("ABC"), &mut conn), ["Abc", "abc"]);
    assert_eq!(
        names(Artist::NAME.not_like("%c%"), &mut conn),
        Vec::<String>::new()
    );
}

pub fn order_by_several_columns_with_nulls_first(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let asc = Album::query()
        .order_by(Album::YEAR.asc())
        .order_by(Album::TITLE.desc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(titles(asc), ["b1", "a1", "a2"]);
    let desc = Album::query()
        .order_by(Album::YEAR.desc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(titles(desc), ["a2", "a1", "b1"]);
}

pub fn limit_and_offset_page_results(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let page = |limit: Option<u64>, offset: Option<u64>, conn: &mut athanor::DbConn<'_>| {
        let mut q = Album::query().order_by(Album::TITLE.asc());
        if let Some(l) = limit {
            q = q.limit(l);
        }
        if let Some(o) = offset {
            q = q.offset(o);
        }
        titles(q.all(conn).unwrap())
    };
    assert_eq!(page(Some(2), None, &mut conn), ["a1", "a2"]);
    assert_eq!(page(Some(2), Some(2), &mut conn), ["b1"]);
    assert_eq!(page(None, Some(1), &mut conn), ["a2", "b1"]);
    assert_eq!(page(Some(0), None, &mut conn), Vec::<String>::new());
}

pub fn count_and_exists(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    assert_eq!(Album::query().count(&mut conn).unwrap(), 3);
    assert_eq!(
        Album::query()
            .filter(Album::RATING.gt(3))
            .count(&mut conn)
            .unwrap(),
        2
    );
    assert_eq!(Album::query().limit(2).count(&mut conn).unwrap(), 2);
    assert_eq!(
        Album::query()
            .select(Album::ARTIST_ID)
            .distinct()
            .count(&mut conn)
            .unwrap(),
        2
    );
    assert!(Album::query()
        .filter(Album::TITLE.eq("b1"))
        .exists(&mut conn)
        .unwrap());
    assert!(!Album::query()
        .filter(Album::TITLE.eq("zz"))
        .exists(&mut conn)
        .unwrap());
}

pub fn first_one_and_one_or_none(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let first = Album::query()
        .order_by(Album::TITLE.desc())
        .first(&mut conn)
        .unwrap();
    assert_eq!(first.map(|a| a.title).as_deref(), Some("b1"));
    assert_eq!(
        Album::query()
            .filter(Album::TITLE.eq("zz"))
            .first(&mut conn)
            .unwrap(),
        None
    );

    let one = Album::query()
        .filter(Album::TITLE.eq("a2"))
        .one(&mut conn)
        .unwrap();
    assert_eq!(one.rating, 3);
    assert!(matches!(
        Album::query().filter(Album::TITLE.eq("zz")).one(&mut conn),
        Err(Error::NoRows { .. })
    ));
    assert_eq!(
        Album::query()
            .filter(Album::TITLE.eq("zz"))
            .one_or_none(&mut conn)
            .unwrap(),
        None
    );
}

pub fn one_errors_when_two_rows_match(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let err = Album::query()
        .filter(Album::RATING.gt(3))
        .one(&mut conn)
        .unwrap_err();
    assert!(
        matches!(err, Error::MultipleRows { ref table } if table == "albums"),
        "{err}"
    );
    let err = Album::query().one_or_none(&mut conn).unwrap_err();
    assert!(matches!(err, Error::MultipleRows { .. }));
    // It fetches at most two rows to know.
    let (_, sql) = capture_statements(|| Album::query().one(&mut conn));
    assert!(sql[0].contains("LIMIT 2"), "{sql:?}");
}

pub fn select_chosen_columns_into_tuples(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let pairs: Vec<(String, Option<i32>)> = Album::query()
        .select((Album::TITLE, Album::YEAR))
        .order_by(Album::TITLE.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(
        pairs,
        [
            ("a1".to_string(), Some(2001)),
            ("a2".to_string(), Some(2003)),
            ("b1".to_string(), None)
        ]
    );
    let names: Vec<String> = Artist::query()
        .select(Artist::NAME)
        .order_by(Artist::NAME.desc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(names, ["C", "B", "A"]);
    let n: i64 = Album::query().select(count_all()).one(&mut conn).unwrap();
    assert_eq!(n, 3);
}

pub fn update_and_delete_by_filter_return_counts(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let changed = Album::query()
        .filter(Album::RATING.ge(4))
        .update(&mut conn, [Album::RATING.set(1i16), Album::YEAR.set(1999)])
        .unwrap();
    assert_eq!(changed, 2);
    // Rows that already hold the values still count as matched.
    let again = Album::query()
        .filter(Album::RATING.eq(1))
        .update(&mut conn, [Album::RATING.set(1i16)])
        .unwrap();
    assert_eq!(again, 2);
    let cleared = Album::query()
        .filter(Album::TITLE.eq("a1"))
        .update(&mut conn, [Album::YEAR.set_null()])
        .unwrap();
    assert_eq!(cleared, 1);
    assert_eq!(
        Album::query()
            .filter(Album::YEAR.is_null())
            .count(&mut conn)
            .unwrap(),
        1
    );
    let deleted = Album::query()
        .filter(Album::RATING.eq(1))
        .delete(&mut conn)
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(Album::query().count(&mut conn).unwrap(), 1);
}

pub fn column_to_column_comparison(db: &Database) {
    let mut conn = setup(db);
    let artists = seed(&mut conn);
    let own = Album::query()
        .filter(
            Album::ARTIST_ID.in_subquery(
                Artist::query()
                    .select(Artist::ID)
                    .filter(Artist::ID.eq(Album::ARTIST_ID)),
            ),
        )
        .count(&mut conn)
        .unwrap();
    assert_eq!(own, 3);
    let with_albums = Artist::query()
        .filter(
            Album::query()
                .filter(Album::ARTIST_ID.eq(Artist::ID))
                .exists_expr(),
        )
        .order_by(Artist::NAME.asc())
        .all(&mut conn)
        .unwrap();
    assert_eq!(with_albums, artists[..2].to_vec());
}

pub fn raw_sql_maps_into_models_and_tuples(db: &Database) {
    let mut conn = setup(db);
    seed(&mut conn);
    let q = conn.dialect().identifier_quote();
    let sql = format!(
        "SELECT {q}id{q}, {q}name{q}, {q}country{q} FROM {q}artists{q} WHERE {q}name{q} <> ? ORDER BY {q}name{q}"
    );
    let artists: Vec<Artist> = Raw::new(sql).bind("B").fetch_all(&mut conn).unwrap();
    assert_eq!(
        artists.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["A", "C"]
    );
    let pairs: Vec<(String, i64)> = Raw::new(format!(
        "SELECT {q}title{q}, {q}artist_id{q} FROM {q}albums{q} WHERE {q}title{q} = ?"
    ))
    .bind("a2")
    .fetch_all(&mut conn)
    .unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, "a2");
    let n = Raw::new(format!("DELETE FROM {q}reviews{q} WHERE {q}body{q} = '?'"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(n, 0, "a ? inside quotes is not a placeholder");
}
