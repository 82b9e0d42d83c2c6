use athanor::Model;

#[derive(Model)]
struct Artist {
    #[orm(primary_key, colum = "PK")]
    pk: i64,
}

fn main() {}
