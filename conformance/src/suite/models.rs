//! The models the conformance suite works with.

use athanor::prelude::*;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "artists")]
pub struct Artist {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, max_length = 100)]
    pub name: String,
    pub country: Option<String>,
}

impl Artist {
    pub fn new(name: &str) -> Self {
        Artist {
            id: 0,
            name: name.into(),
            country: None,
        }
    }
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "albums")]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(references = Artist, on_delete = "cascade", index)]
    pub artist_id: i64,
    pub year: Option<i32>,
    #[orm(default = 0)]
    pub rating: i16,
}

impl Album {
    pub fn new(title: &str, artist_id: i64) -> Self {
        Album {
            id: 0,
            title: title.into(),
            artist_id,
            year: None,
            rating: 0,
        }
    }
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "reviews")]
pub struct Review {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(references = Album, on_delete = "set_null")]
    pub album_id: Option<i64>,
    pub body: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "labels")]
pub struct Label {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "contracts")]
pub struct Contract {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(references = Label, on_delete = "restrict")]
    pub label_id: i32,
}

/// One column of every supported type, and its nullable twin.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "everything")]
pub struct Everything {
    #[orm(primary_key)]
    pub id: i64,
    pub b: bool,
    pub s: i16,
    pub i: i32,
    pub l: i64,
    pub f: f32,
    pub d: f64,
    pub t: String,
    pub bytes: Vec<u8>,
    pub ob: Option<bool>,
    pub os: Option<i16>,
    pub oi: Option<i32>,
    pub ol: Option<i64>,
    pub of: Option<f32>,
    pub od: Option<f64>,
    pub ot: Option<String>,
    pub obytes: Option<Vec<u8>>,
}

impl Everything {
    pub fn zero() -> Self {
        Everything {
            id: 0,
            b: false,
            s: 0,
            i: 0,
            l: 0,
            f: 0.0,
            d: 0.0,
            t: String::new(),
            bytes: Vec::new(),
            ob: None,
            os: None,
            oi: None,
            ol: None,
            of: None,
            od: None,
            ot: None,
            obytes: None,
        }
    }
}

/// A composite primary key with no generated part.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "memberships")]
pub struct Membership {
    #[orm(primary_key, max_length = 50)]
    pub group_name: String,
    #[orm(primary_key)]
    pub user_id: i64,
    pub role: String,
}

/// A field that is not a column.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "notes")]
pub struct Note {
    #[orm(primary_key, column = "NOTE_ID")]
    pub id: i32,
    #[orm(column = "BODY")]
    pub body: String,
    #[orm(skip)]
    pub cached: Option<usize>,
}

/// Column defaults in DDL.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "settings")]
#[orm(unique(scope, mode))]
pub struct Setting {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(default = "on", max_length = 20)]
    pub mode: String,
    #[orm(default = true)]
    pub enabled: bool,
    #[orm(default = 1.5)]
    pub ratio: f64,
    #[orm(default = -7)]
    pub level: i32,
    #[orm(max_length = 20)]
    pub scope: String,
}

/// Rows for the random-filter property.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "samples")]
pub struct Sample {
    #[orm(primary_key)]
    pub id: i64,
    pub a: Option<i32>,
    pub b: Option<String>,
    pub c: Option<bool>,
}

pub fn schema() -> Schema {
    Schema::new()
        .register::<Album>()
        .register::<Artist>()
        .register::<Review>()
        .register::<Label>()
        .register::<Contract>()
        .register::<Everything>()
        .register::<Membership>()
        .register::<Note>()
        .register::<Setting>()
        .register::<Sample>()
}

/// Opens a connection and creates every table of the suite.
pub fn setup(db: &Database) -> athanor::DbConn<'_> {
    let mut conn = db.connect().expect("connect");
    schema().create_all(&mut conn).expect("create_all");
    conn
}

/// Inserts three artists (A, B, C) with albums; returns the artists.
pub fn seed(conn: &mut athanor::DbConn<'_>) -> Vec<Artist> {
    let mut artists = vec![Artist::new("A"), Artist::new("B"), Artist::new("C")];
    artists[0].country = Some("KR".into());
    artists[1].country = Some("US".into());
    Artist::insert_many(conn, &mut artists).expect("insert artists");
    let mut albums = vec![
        Album {
            year: Some(2001),
            rating: 5,
            ..Album::new("a1", artists[0].id)
        },
        Album {
            year: Some(2003),
            rating: 3,
            ..Album::new("a2", artists[0].id)
        },
        Album {
            year: None,
            rating: 4,
            ..Album::new("b1", artists[1].id)
        },
    ];
    Album::insert_many(conn, &mut albums).expect("insert albums");
    artists
}
