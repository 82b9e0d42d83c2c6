use athanor::Model;

#[derive(Model)]
struct Artist {
    #[orm(primary_key)]
    pk: i64,
    name: String,
}

fn main() {
    let _ = Artist::NAME.eq(5);
}
