use athanor::Model;

struct NotAModel;

#[derive(Model)]
struct Album {
    #[orm(primary_key)]
    pk: i64,
    #[orm(references = NotAModel)]
    artist: i64,
}

fn main() {}
