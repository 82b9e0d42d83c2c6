use athanor::Model;

#[derive(Model)]
#[orm(table = "T_ARTIST")]
struct Artist {
    name: String,
}

fn main() {}
