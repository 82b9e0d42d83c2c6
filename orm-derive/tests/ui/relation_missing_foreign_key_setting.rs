use athanor::{Model, Related};

#[derive(Model)]
struct Artist {
    #[orm(primary_key)]
    pk: i64,
    #[orm(has_many(Album))]
    albums: Related<Vec<Album>>,
}

#[derive(Model)]
struct Album {
    #[orm(primary_key)]
    pk: i64,
}

fn main() {}
