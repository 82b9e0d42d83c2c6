//! The seed's Artist/Album schema evolving through three versions, with
//! rows in the tables all along: each version's migration is generated
//! from the models' differences with the database, shown as the file a
//! user would review and commit, and applied; the last is reverted.
//!
//! On in-memory SQLite by default; set `ATHANOR_URL` to run it unchanged on
//! PostgreSQL or MariaDB:
//!
//! ```text
//! cargo run --example migrations
//! ATHANOR_URL=postgres://user@127.0.0.1/db cargo run --example migrations --features postgres
//! ```
use athanor::migrate::{self, DiffOptions, Migration, Migrator};
use athanor::prelude::*;

/// Version 1: the seed's tables.
mod v1 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_ARTIST")]
    pub struct Artist {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "NAME")]
        pub name: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_ALBUM")]
    pub struct Album {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "NAME")]
        pub name: String,
        #[orm(column = "FK", references = Artist, on_delete = "cascade")]
        pub fk: Option<i64>,
    }

    pub fn schema() -> Schema {
        Schema::new().register::<Artist>().register::<Album>()
    }
}

/// Version 2: artists get a country, albums a year (indexed).
mod v2 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_ARTIST")]
    pub struct Artist {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "NAME")]
        pub name: String,
        #[orm(column = "COUNTRY", max_length = 2)]
        pub country: Option<String>,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_ALBUM")]
    pub struct Album {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "NAME")]
        pub name: String,
        #[orm(column = "FK", references = Artist, on_delete = "cascade")]
        pub fk: Option<i64>,
        #[orm(column = "YEAR", index)]
        pub year: Option<i32>,
    }

    pub fn schema() -> Schema {
        Schema::new().register::<Artist>().register::<Album>()
    }
}

/// Version 3: an album's NAME becomes TITLE (a rename, said explicitly),
/// albums get a rating with a default, and labels a table of their own.
mod v3 {
    use athanor::prelude::*;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_ARTIST")]
    pub struct Artist {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "NAME")]
        pub name: String,
        #[orm(column = "COUNTRY", max_length = 2)]
        pub country: Option<String>,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_ALBUM")]
    pub struct Album {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "TITLE")]
        pub title: String,
        #[orm(column = "FK", references = Artist, on_delete = "cascade")]
        pub fk: Option<i64>,
        #[orm(column = "YEAR", index)]
        pub year: Option<i32>,
        #[orm(column = "RATING", default = 3)]
        pub rating: i16,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "T_LABEL")]
    pub struct Label {
        #[orm(primary_key, column = "PK")]
        pub pk: i64,
        #[orm(column = "NAME", unique, max_length = 100)]
        pub name: String,
    }

    pub fn schema() -> Schema {
        Schema::new()
            .register::<Artist>()
            .register::<Album>()
            .register::<Label>()
    }
}

/// Generates the migration from the database to `schema`, prints its file
/// and applies it with the ones before.
fn migrate_to(
    conn: &mut athanor::DbConn<'_>,
    known: &mut Vec<Migration>,
    name: &str,
    schema: &Schema,
    options: &DiffOptions,
    data_step: Option<(&str, &str)>,
) -> athanor::Result<Migrator> {
    // Compared with what the migrations so far declare: the file is the
    // same whichever backend generates it.
    let ops = Migrator::new(known.clone())?.generate(conn, schema, options)?;
    let mut m = Migration::from_operations(known.len() as i64 + 1, name, ops);
    if let Some((up, down)) = data_step {
        m = m.sql(up, Some(down));
    }
    println!("----- {} -----\n{}", m.file_name(), m.to_text());
    known.push(m);
    let migrator = Migrator::new(known.clone())?;
    println!("applied: {:?}", migrator.apply(conn)?);
    // Right after applying, the database is the models.
    assert!(migrate::generate(conn, schema, &DiffOptions::new())?.is_empty());
    Ok(migrator)
}

fn main() -> athanor::Result<()> {
    let url = std::env::var("ATHANOR_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let db = Database::open(&url)?;
    let mut conn = db.connect()?;
    // A database left over by an earlier run starts again from nothing.
    v3::schema().drop_all(&mut conn)?;
    athanor::raw::Raw::new(format!("DROP TABLE IF EXISTS {}", migrate::VERSION_TABLE))
        .execute(&mut conn)?;

    let mut known = Vec::new();
    migrate_to(
        &mut conn,
        &mut known,
        "seed tables",
        &v1::schema(),
        &DiffOptions::new(),
        None,
    )?;
    let mut artist = v1::Artist {
        pk: 0,
        name: "가수1".into(),
    };
    artist.insert(&mut conn)?;
    for name in ["앨범1", "앨범2"] {
        v1::Album {
            pk: 0,
            name: name.into(),
            fk: Some(artist.pk),
        }
        .insert(&mut conn)?;
    }

    // A data step fills the new column for the rows already there; its
    // "quoted" identifiers are quoted for each backend when it runs.
    migrate_to(
        &mut conn,
        &mut known,
        "country and year",
        &v2::schema(),
        &DiffOptions::new(),
        Some((
            r#"UPDATE "T_ALBUM" SET "YEAR" = 2001"#,
            r#"UPDATE "T_ALBUM" SET "YEAR" = NULL"#,
        )),
    )?;
    for album in v2::Album::query().all(&mut conn)? {
        println!("v2: {album:?}");
    }

    // Without the rename hint, NAME -> TITLE would be a drop and an add,
    // which loses data: generate refuses it and names the candidate.
    let refused = migrate::generate(&mut conn, &v3::schema(), &DiffOptions::new());
    println!("without a hint: {}", refused.unwrap_err());
    let rename = DiffOptions::new().rename_column("T_ALBUM", "NAME", "TITLE");
    let migrator = migrate_to(
        &mut conn,
        &mut known,
        "album titles",
        &v3::schema(),
        &rename,
        None,
    )?;
    for album in v3::Album::query().all(&mut conn)? {
        println!("v3: {album:?}");
    }
    print!("{}", migrator.status(&mut conn)?);

    // Reverting the last migration gives v2's schema back, with its rows;
    // it drops RATING and its values, so it needs consent.
    let refused = migrator.revert(&mut conn);
    println!("revert without consent: {}", refused.unwrap_err());
    let consent = migrate::RevertOptions::new().allow_data_loss(true);
    migrator.revert_with(&mut conn, &consent)?;
    print!("{}", migrator.status(&mut conn)?);
    let names: Vec<String> = v2::Album::query().select(v2::Album::NAME).all(&mut conn)?;
    println!("after revert: {names:?}");
    assert_eq!(names.len(), 2);

    v3::schema().drop_all(&mut conn)?;
    athanor::raw::Raw::new(format!("DROP TABLE {}", migrate::VERSION_TABLE)).execute(&mut conn)?;
    Ok(())
}
