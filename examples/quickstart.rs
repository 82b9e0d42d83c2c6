//! The seed's program: artists and their albums, on in-memory SQLite by
//! default. Set `ATHANOR_URL` to run it unchanged on PostgreSQL or MariaDB:
//!
//! ```text
//! cargo run --example quickstart
//! ATHANOR_URL=postgres://user@127.0.0.1/db cargo run --example quickstart --features postgres
//! ```
use athanor::prelude::*;
use athanor::{Handle, Related};

/// `class Artist(base)` with `__tablename__ = 'T_ARTIST'`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "T_ARTIST")]
struct Artist {
    #[orm(primary_key, column = "PK")]
    pk: i64,
    #[orm(column = "NAME")]
    name: String,
    /// `albums = relationship('Album', back_populates='artist', uselist=True)`
    /// (the seed wrote `'artists'`, a field that does not exist: here that
    /// is a compile error).
    #[orm(has_many(Album, foreign_key = fk, back_populates = artist))]
    albums: Related<Vec<Album>>,
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
    /// `artist = relationship('Artist', back_populates='albums', uselist=False)`
    #[orm(belongs_to(Artist, foreign_key = fk, back_populates = albums))]
    artist: Related<Artist>,
}

impl Artist {
    fn new(name: &str) -> Self {
        Artist {
            pk: 0,
            name: name.into(),
            albums: Related::NotLoaded,
        }
    }
}

impl Album {
    fn new(name: &str) -> Self {
        Album {
            pk: 0,
            name: name.into(),
            fk: None,
            artist: Related::NotLoaded,
        }
    }
}

/// The seed's `addAlbum` and `delAlbum`, on the session's artist object.
trait AlbumsOfArtist {
    fn add_album<E: Executor>(&self, s: &mut Session<E>, name: &str) -> athanor::Result<()>;
    fn del_album<E: Executor>(&self, s: &mut Session<E>, name: &str) -> athanor::Result<()>;
}

impl AlbumsOfArtist for Handle<Artist> {
    /// `a = s.query(Artist).filter(Artist.pk == self.pk).one()`,
    /// `a.albums.append(Album(name=name))`, `s.commit()`.
    fn add_album<E: Executor>(&self, s: &mut Session<E>, name: &str) -> athanor::Result<()> {
        let pk = self.get().pk;
        let a = s.one(&Artist::query().filter(Artist::PK.eq(pk)))?;
        s.add_child(&a, Artist::ALBUMS, Album::new(name))?;
        s.commit()
    }

    /// `a.albums.remove(<the album named name>)`, `s.commit()`: the album's
    /// FK is nullable, so the album stays, unlinked, as SQLAlchemy does by
    /// default. (The seed's `filter(self.name == name, ...)` is no valid
    /// filter; here the album is found by its name.)
    fn del_album<E: Executor>(&self, s: &mut Session<E>, name: &str) -> athanor::Result<()> {
        let pk = self.get().pk;
        let a = s.one(&Artist::query().filter(Artist::PK.eq(pk)))?;
        let album = s
            .children(&a, Artist::ALBUMS)?
            .into_iter()
            .find(|album| album.get().name == name)
            .ok_or_else(|| athanor::Error::NoRows {
                table: "T_ALBUM".into(),
            })?;
        s.remove_child(&a, Artist::ALBUMS, &album)?;
        s.commit()
    }
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
    println!("== a = Artist(name='가수1'); sess.add(a); sess.commit()");
    let artist = sess.add(Artist::new("가수1"));
    sess.commit()?;
    println!("   added {}", artist.get());

    println!("== a = sess.query(Artist).one()");
    let a = sess.one(&Artist::query())?;
    // The identity map: the row added above is the same object.
    println!(
        "   {a} (the object added above: {})",
        Handle::ptr_eq(&a, &artist)
    );

    println!("== a.addAlbum(sess, '가수1의 앨범1')");
    a.add_album(&mut sess, "가수1의 앨범1")?;
    let loaded = a.get().albums.get().map_or(0, Vec::len);
    println!("   a.albums holds {loaded} album(s)");

    println!("== sess.query(Album).all()");
    let albums = Album::query()
        .order_by(Album::PK.asc())
        .with(Album::ARTIST)
        .all(&mut sess)?;
    for album in &albums {
        let by = album.artist.get().map(|a| a.name.as_str()).unwrap_or("-");
        println!("   {album} by {by}");
    }

    println!("== a.delAlbum(sess, '가수1의 앨범1')");
    a.del_album(&mut sess, "가수1의 앨범1")?;
    let left = a.get().albums.get().map_or(0, Vec::len);
    println!("   albums of {}: {left}", a.get().name);
    for album in Album::query().all(&mut sess)? {
        println!("   {album}");
    }

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
