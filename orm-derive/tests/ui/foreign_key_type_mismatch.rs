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
    #[orm(references = Artist)]
    artist: String,
}

fn main() {}
