//! The seed's program: artists and their albums, on in-memory SQLite by
//! default. Set `ATHANOR_URL` to run it unchanged on PostgreSQL or MariaDB:
//!
//! ```text
//! cargo run --example quickstart
//! ATHANOR_URL=postgres://user@127.0.0.1/db cargo run --example quickstart --features postgres
//! ```
use athanor::prelude::*;

/// `class Artist(base)` with `__tablename__ = 'T_ARTIST'`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "T_ARTIST")]
struct Artist {
    #[orm(primary_key, column = "PK")]
    pk: i64,
    #[orm(column = "NAME")]
    name: String,
}

/// `class Album(base)`: `FK` references `T_ARTIST.PK`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "T_ALBUM")]
struct Album {
    #[orm(primary_key, column = "PK")]
    pk: i64,
    #[orm(column = "NAME")]
    name: String,
    #[orm(column = "FK", references = Artist, on_delete = "cascade")]
    fk: Option<i64>,
}

fn main() -> athanor::Result<()> {
    // `echo=True`: every statement, its parameters and its time.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .without_time()
        .init();

    let url = std::env::var("ATHANOR_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    println!("== create_engine({url:?}, echo=True)");
    let db = Database::open(&url)?;
    db.set_echo(true);

    println!("== base.metadata.create_all(engine)");
    let mut schema = Schema::new().register::<Artist>().register::<Album>();
    {
        let mut conn = db.connect()?;
        // A rerun against a server starts clean; create_all tolerates existing tables.
        schema.drop_all(&mut conn)?;
        schema.create_all(&mut conn)?;
    }

    let mut sess = db.session()?;
    println!("== sess.add(Artist(name='가수1')); sess.commit()");
    let artist = sess.add(Artist {
        pk: 0,
        name: "가수1".into(),
    });
    sess.commit()?;
    println!("   added {}", artist.get());

    println!("== a = sess.query(Artist).one()");
    let a = Artist::query().one(&mut sess)?;
    println!("   {a}");

    println!("== a.addAlbum(sess, '가수1의 앨범1')");
    let a = Artist::query().filter(Artist::PK.eq(a.pk)).one(&mut sess)?;
    sess.add(Album {
        pk: 0,
        name: "가수1의 앨범1".into(),
        fk: Some(a.pk),
    });
    sess.commit()?;

    println!("== sess.query(Album).all()");
    let albums = Album::query().order_by(Album::PK.asc()).all(&mut sess)?;
    for album in &albums {
        println!("   {album}");
    }

    println!("== a.delAlbum(sess, '가수1의 앨범1')");
    let album = Album::query()
        .filter(Album::FK.eq(a.pk) & Album::NAME.eq("가수1의 앨범1"))
        .one(&mut sess)?;
    sess.delete(&album);
    sess.commit()?;
    let left = Album::query().filter(Album::FK.eq(a.pk)).count(&mut sess)?;
    println!("   albums left for {}: {left}", a.name);

    println!("== sess.close(); metadata.clear(); engine.dispose()");
    sess.close();
    {
        let mut conn = db.connect()?;
        schema.drop_all(&mut conn)?;
    }
    schema.clear();
    db.dispose();
    println!("done");
    Ok(())
}
