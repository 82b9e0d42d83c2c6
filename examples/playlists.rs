//! Many-to-many and eager loading: playlists and tracks, albums and their
//! tracks, loaded with one query per relationship level whatever the number
//! of rows. Runs on in-memory SQLite, or on the database in `ATHANOR_URL`.
//!
//! ```text
//! cargo run --example playlists
//! ```
use athanor::prelude::*;
use athanor::{capture_statements, Related};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pl_albums")]
struct Album {
    #[orm(primary_key)]
    id: i64,
    title: String,
    #[orm(has_many(Track, foreign_key = album_id, back_populates = album))]
    tracks: Related<Vec<Track>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pl_tracks")]
struct Track {
    #[orm(primary_key)]
    id: i64,
    title: String,
    #[orm(references = Album, on_delete = "cascade")]
    album_id: i64,
    #[orm(belongs_to(Album, foreign_key = album_id, back_populates = tracks))]
    album: Related<Album>,
    #[orm(many_to_many(Playlist, through = PlaylistTrack, local = track_id, remote = playlist_id, back_populates = tracks))]
    playlists: Related<Vec<Playlist>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pl_playlists")]
struct Playlist {
    #[orm(primary_key)]
    id: i64,
    name: String,
    #[orm(many_to_many(Track, through = PlaylistTrack, local = playlist_id, remote = track_id, back_populates = playlists))]
    tracks: Related<Vec<Track>>,
}

/// The association table (SQLAlchemy's `Table('playlist_track', ...)`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pl_playlist_tracks")]
struct PlaylistTrack {
    #[orm(primary_key, references = Playlist, on_delete = "cascade")]
    playlist_id: i64,
    #[orm(primary_key, references = Track, on_delete = "cascade")]
    track_id: i64,
}

fn main() -> athanor::Result<()> {
    let url = std::env::var("ATHANOR_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = Database::open(&url)?;
    let mut conn = db.connect()?;
    let schema = Schema::new()
        .register::<Album>()
        .register::<Track>()
        .register::<Playlist>()
        .register::<PlaylistTrack>();
    schema.drop_all(&mut conn)?;
    schema.create_all(&mut conn)?;

    // Ten albums of twelve tracks each, in two statements.
    let mut albums: Vec<Album> = (1..=10)
        .map(|n| Album {
            id: 0,
            title: format!("Album {n:02}"),
            tracks: Related::NotLoaded,
        })
        .collect();
    Album::insert_many(&mut conn, &mut albums)?;
    let mut tracks: Vec<Track> = albums
        .iter()
        .flat_map(|a| {
            (1..=12).map(move |n| Track {
                id: 0,
                title: format!("{} / track {n:02}", a.title),
                album_id: a.id,
                album: Related::NotLoaded,
                playlists: Related::NotLoaded,
            })
        })
        .collect();
    Track::insert_many(&mut conn, &mut tracks)?;

    // Two playlists: every first track, and every track 12.
    let mut lists = vec![
        Playlist {
            id: 0,
            name: "openers".into(),
            tracks: Related::NotLoaded,
        },
        Playlist {
            id: 0,
            name: "closers".into(),
            tracks: Related::NotLoaded,
        },
    ];
    Playlist::insert_many(&mut conn, &mut lists)?;
    for t in &tracks {
        if t.title.ends_with("track 01") {
            Playlist::TRACKS.link(&mut conn, &lists[0], t)?;
        }
        if t.title.ends_with("track 12") {
            Playlist::TRACKS.link(&mut conn, &lists[1], t)?;
        }
    }

    // Playlists → tracks → each track's album: three queries in all.
    let (loaded, statements) = capture_statements(|| {
        Playlist::query()
            .order_by(Playlist::NAME.asc())
            .with(Playlist::TRACKS.then(Track::ALBUM))
            .all(&mut conn)
    });
    let loaded = loaded?;
    println!(
        "loaded {} playlists with {} statements:",
        loaded.len(),
        statements.len()
    );
    for sql in &statements {
        println!("  {sql}");
    }
    for p in &loaded {
        let tracks = p.tracks.get().map(Vec::as_slice).unwrap_or_default();
        println!("{} ({} tracks)", p.name, tracks.len());
        for t in tracks.iter().take(3) {
            let album = t.album.get().map(|a| a.title.as_str()).unwrap_or("?");
            println!("  {} [{}]", t.title, album);
        }
    }

    // Albums with all their tracks: two queries for 10 albums and 120 tracks.
    let (albums, statements) =
        capture_statements(|| Album::query().with(Album::TRACKS).all(&mut conn));
    let albums = albums?;
    let total: usize = albums
        .iter()
        .map(|a| a.tracks.get().map_or(0, Vec::len))
        .sum();
    println!(
        "{} albums, {total} tracks, {} statements",
        albums.len(),
        statements.len()
    );

    // Deleting an album cascades to its tracks and their playlist links.
    albums[0].delete(&mut conn)?;
    println!(
        "after deleting {}: {} tracks, {} links",
        albums[0].title,
        Track::query().count(&mut conn)?,
        PlaylistTrack::query().count(&mut conn)?
    );
    schema.drop_all(&mut conn)?;
    Ok(())
}
