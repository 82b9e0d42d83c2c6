use athanor::Model;

#[derive(Model)]
struct Artist {
    #[orm(primary_key, max_length = 10)]
    pk: i64,
}

fn main() {}
