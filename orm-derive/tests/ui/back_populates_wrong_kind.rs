use athanor::{Model, Related};

#[derive(Model)]
struct Artist {
    #[orm(primary_key)]
    pk: i64,
    #[orm(has_many(Album, foreign_key = fk, back_populates = name))]
    albums: Related<Vec<Album>>,
}

#[derive(Model)]
struct Album {
    #[orm(primary_key)]
    pk: i64,
    name: String,
    #[orm(references = Artist)]
    fk: Option<i64>,
}

fn main() {}
