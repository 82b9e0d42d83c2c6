//! The seed's program: artists and their albums, on in-memory SQLite by
//! default. Set `ATHANOR_URL` to run it unchanged on PostgreSQL or MariaDB:
//!
//! ```text
//! cargo run --example quickstart
//! ATHANOR_URL=postgres://user@127.0.0.1/db cargo run --example quickstart --features postgres
//! ```
use athanor::prelude::*;
use athanor::Related;

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

    /// The seed's `addAlbum`: find this artist, append an album through the
    /// relationship, commit.
    fn add_album<E: Executor>(&self, s: &mut Session<E>, name: &str) -> athanor::Result<()> {
        let a = Artist::query().filter(Artist::PK.eq(self.pk)).one(s)?;
        let a = s.track(a);
        s.add_child(
            &a,
            Artist::ALBUMS,
            Album {
                pk: 0,
                name: name.into(),
                fk: None,
                artist: Related::NotLoaded,
            },
        );
        s.commit()
    }

    /// The seed's `delAlbum`: find this artist's album by name and remove
    /// it through the relationship (its FK is nullable, so the album stays,
    /// unlinked, as SQLAlchemy does by default), commit.
    fn del_album<E: Executor>(&self, s: &mut Session<E>, name: &str) -> athanor::Result<()> {
        let mut a = Artist::query().filter(Artist::PK.eq(self.pk)).one(s)?;
        let albums = Artist::ALBUMS.load(s, &mut a)?;
        let album = albums
            .iter()
            .find(|album| album.name == name)
            .cloned()
            .ok_or_else(|| athanor::Error::NoRows {
                table: "T_ALBUM".into(),
            })?;
        let a = s.track(a);
        let album = s.track(album);
        s.remove_child(&a, Artist::ALBUMS, &album);
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
    let a = Artist::query().one(&mut sess)?;
    println!("   {a}");

    println!("== a.addAlbum(sess, '가수1의 앨범1')");
    a.add_album(&mut sess, "가수1의 앨범1")?;

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
    let a = Artist::query().with(Artist::ALBUMS).one(&mut sess)?;
    let left = a.albums.get().map_or(0, Vec::len);
    println!("   albums of {}: {left}", a.name);
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
