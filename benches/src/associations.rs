//! Associations: 100 users × 10 posts × 10 comments (diesel_bench's
//! `loading_associations_sequentially`), loaded as users with their posts
//! and the posts' comments: each side's load, shared by the criterion
//! benchmark and the interleaved one.
//!
//! athanor: `User::query().with(User::POSTS.then(Post::COMMENTS)).all(..)`
//! (three queries). Raw: the same three queries, prepared once outside the
//! timed loop, with `IN (?, ...)` lists (the key counts are fixed by the
//! seed), children ordered by key as athanor orders them, grouped into the
//! same structs' relationship fields in Rust.
//!
//! Not `= ANY($1)` with one array parameter on PostgreSQL, though it keeps
//! one statement for any number of keys: after five executions PostgreSQL
//! 15 switches that prepared statement to a generic plan, where the array is
//! a parameter and not a constant, so `ANY` is a linear search per row instead
//! of a hash probe — measured here at 44 ms instead of 8.5 ms for the 10 000
//! comments. An `IN` list of parameters is planned per execution with the
//! values as constants (hashed): the fastest form measured.

use std::collections::HashMap;

use athanor::{Model, Related};

use crate::{read, seed, Comment, Post, User, USERS_SQL};

/// Seeds the users, posts and comments; returns the digest both sides must give.
pub fn seed_all(conn: &mut athanor::DbConn<'_>) -> Digest {
    let users = seed::users(conn, USERS, |i| {
        Some(if i % 2 == 0 { "black" } else { "brown" })
    });
    let posts = seed::posts(conn, &users, |_| POSTS_PER_USER);
    seed::comments(conn, &posts, COMMENTS_PER_POST);
    let expected = digest(&athanor(conn));
    assert_eq!(expected.len(), USERS);
    assert_eq!(
        expected
            .iter()
            .map(|(_, ps)| ps.iter().map(|(_, cs)| cs.len()).sum::<usize>())
            .sum::<usize>(),
        USERS * POSTS_PER_USER * COMMENTS_PER_POST
    );
    expected
}

/// Users in the seed.
pub const USERS: usize = 100;
/// Posts per user.
pub const POSTS_PER_USER: usize = 10;
/// Comments per post.
pub const COMMENTS_PER_POST: usize = 10;

const POSTS_COLUMNS: &str = "SELECT id, user_id, title, body FROM posts";
const COMMENTS_COLUMNS: &str = "SELECT id, post_id, text FROM comments";

/// athanor's side: one eager-loading call (three queries).
pub fn athanor(conn: &mut athanor::DbConn<'_>) -> Vec<User> {
    User::query()
        .with(User::POSTS.then(Post::COMMENTS))
        .all(conn)
        .expect("athanor eager load")
}

/// `<select> WHERE <column> IN (p1, ..., pn) ORDER BY id`, with placeholders
/// `?` or, when `numbered`, PostgreSQL's `$1 ... $n`.
fn in_list_sql(select: &str, column: &str, n: usize, numbered: bool) -> String {
    let mut sql = format!("{select} WHERE {column} IN (");
    for i in 1..=n {
        if i > 1 {
            sql.push_str(", ");
        }
        if numbered {
            sql.push_str(&format!("${i}"));
        } else {
            sql.push('?');
        }
    }
    sql.push_str(") ORDER BY id");
    sql
}

/// Puts each post's comments and each user's posts into their relationship
/// fields (children keep the order they came in).
fn assemble(mut users: Vec<User>, mut posts: Vec<Post>, comments: Vec<Comment>) -> Vec<User> {
    let post_at: HashMap<i64, usize> = posts.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let mut per_post: Vec<Vec<Comment>> = posts.iter().map(|_| Vec::new()).collect();
    for c in comments {
        per_post[post_at[&c.post_id]].push(c);
    }
    for (p, cs) in posts.iter_mut().zip(per_post) {
        p.comments = Related::loaded(cs);
    }
    let user_at: HashMap<i64, usize> = users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let mut per_user: Vec<Vec<Post>> = users.iter().map(|_| Vec::new()).collect();
    for p in posts {
        per_user[user_at[&p.user_id]].push(p);
    }
    for (u, ps) in users.iter_mut().zip(per_user) {
        u.posts = Related::loaded(ps);
    }
    users
}

/// rusqlite's three statements.
pub struct SqliteStmts<'c> {
    users: rusqlite::Statement<'c>,
    posts: rusqlite::Statement<'c>,
    comments: rusqlite::Statement<'c>,
}

impl<'c> SqliteStmts<'c> {
    /// Prepares the three queries on `conn`.
    pub fn prepare(conn: &'c rusqlite::Connection) -> Self {
        let n_posts = USERS * POSTS_PER_USER;
        SqliteStmts {
            users: conn.prepare(USERS_SQL).expect("prepare"),
            posts: conn
                .prepare(&in_list_sql(POSTS_COLUMNS, "user_id", USERS, false))
                .expect("prepare"),
            comments: conn
                .prepare(&in_list_sql(COMMENTS_COLUMNS, "post_id", n_posts, false))
                .expect("prepare"),
        }
    }
}

/// rusqlite's side.
pub fn sqlite(s: &mut SqliteStmts<'_>) -> Vec<User> {
    let mut users = Vec::new();
    let mut rows = s.users.raw_query();
    while let Some(row) = rows.next().expect("row") {
        users.push(read::sqlite_user(row).expect("user"));
    }
    drop(rows);
    assert_eq!(users.len(), s.posts.parameter_count());
    for (i, u) in users.iter().enumerate() {
        s.posts.raw_bind_parameter(i + 1, u.id).expect("bind");
    }
    let mut posts = Vec::new();
    let mut rows = s.posts.raw_query();
    while let Some(row) = rows.next().expect("row") {
        posts.push(read::sqlite_post(row, 0).expect("post"));
    }
    drop(rows);
    assert_eq!(posts.len(), s.comments.parameter_count());
    for (i, p) in posts.iter().enumerate() {
        s.comments.raw_bind_parameter(i + 1, p.id).expect("bind");
    }
    let mut comments = Vec::new();
    let mut rows = s.comments.raw_query();
    while let Some(row) = rows.next().expect("row") {
        comments.push(read::sqlite_comment(row).expect("comment"));
    }
    drop(rows);
    assemble(users, posts, comments)
}

/// The postgres crate's three statements.
pub struct PgStmts {
    users: postgres::Statement,
    posts: postgres::Statement,
    comments: postgres::Statement,
}

impl PgStmts {
    /// Prepares the three queries on `client`.
    pub fn prepare(client: &mut postgres::Client) -> Self {
        let n_posts = USERS * POSTS_PER_USER;
        PgStmts {
            users: client.prepare(USERS_SQL).expect("prepare"),
            posts: client
                .prepare(&in_list_sql(POSTS_COLUMNS, "user_id", USERS, true))
                .expect("prepare"),
            comments: client
                .prepare(&in_list_sql(COMMENTS_COLUMNS, "post_id", n_posts, true))
                .expect("prepare"),
        }
    }
}

/// The postgres crate's side.
pub fn pg(client: &mut postgres::Client, s: &PgStmts) -> Vec<User> {
    use postgres::types::ToSql;
    // Each query's rows in one call (`query_raw`'s iterator costs a runtime
    // round per row).
    let users: Vec<User> = client
        .query(&s.users, &[])
        .expect("users")
        .iter()
        .map(|row| read::pg_user(row).expect("user"))
        .collect();
    let ids: Vec<&(dyn ToSql + Sync)> = users.iter().map(|u| &u.id as _).collect();
    let posts: Vec<Post> = client
        .query(&s.posts, &ids)
        .expect("posts")
        .iter()
        .map(|row| read::pg_post(row, 0).expect("post"))
        .collect();
    let ids: Vec<&(dyn ToSql + Sync)> = posts.iter().map(|p| &p.id as _).collect();
    let comments: Vec<Comment> = client
        .query(&s.comments, &ids)
        .expect("comments")
        .iter()
        .map(|row| read::pg_comment(row).expect("comment"))
        .collect();
    assemble(users, posts, comments)
}

/// The mysql crate's three statements.
pub struct MysqlStmts {
    users: mysql::Statement,
    posts: mysql::Statement,
    comments: mysql::Statement,
}

impl MysqlStmts {
    /// Prepares the three queries on `conn`.
    pub fn prepare(conn: &mut mysql::Conn) -> Self {
        use mysql::prelude::Queryable;
        let n_posts = USERS * POSTS_PER_USER;
        MysqlStmts {
            users: conn.prep(USERS_SQL).expect("prepare"),
            posts: conn
                .prep(in_list_sql(POSTS_COLUMNS, "user_id", USERS, false))
                .expect("prepare"),
            comments: conn
                .prep(in_list_sql(COMMENTS_COLUMNS, "post_id", n_posts, false))
                .expect("prepare"),
        }
    }
}

/// The mysql crate's side.
pub fn mysql(conn: &mut mysql::Conn, s: &MysqlStmts) -> Vec<User> {
    use mysql::prelude::Queryable;
    let mut users = Vec::new();
    for row in conn.exec_iter(&s.users, ()).expect("users") {
        users.push(read::mysql_user(&mut row.expect("row")));
    }
    let ids = users.iter().map(|u| mysql::Value::Int(u.id)).collect();
    let mut posts = Vec::new();
    for row in conn
        .exec_iter(&s.posts, mysql::Params::Positional(ids))
        .expect("posts")
    {
        posts.push(read::mysql_post(&mut row.expect("row"), 0).expect("post id"));
    }
    let ids = posts.iter().map(|p| mysql::Value::Int(p.id)).collect();
    let mut comments = Vec::new();
    for row in conn
        .exec_iter(&s.comments, mysql::Params::Positional(ids))
        .expect("comments")
    {
        comments.push(read::mysql_comment(&mut row.expect("row")));
    }
    assemble(users, posts, comments)
}

/// Keys of users, their posts and the posts' comments, users sorted: what
/// must agree between athanor and the raw driver.
pub type Digest = Vec<(i64, Vec<(i64, Vec<i64>)>)>;

pub fn digest(users: &[User]) -> Digest {
    let mut out: Vec<_> = users
        .iter()
        .map(|u| {
            let posts = u.posts.get().expect("posts loaded");
            let posts = posts
                .iter()
                .map(|p| {
                    let comments = p.comments.get().expect("comments loaded");
                    (p.id, comments.iter().map(|c| c.id).collect())
                })
                .collect();
            (u.id, posts)
        })
        .collect();
    out.sort();
    out
}
