use athanor::Model;

#[derive(Model)]
struct Artist {
    #[orm(primary_key)]
    pk: i64,
}

#[derive(Model)]
struct Album {
    #[orm(primary_key)]
    pk: i64,
    #[orm(references = Artist, on_delete = "set_null")]
    artist: i64,
}

fn main() {}
