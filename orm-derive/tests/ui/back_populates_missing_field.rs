// The seed's slip: `back_populates='artists'` names a field Album does not have.
use athanor::{Model, Related};

#[derive(Model)]
#[orm(table = "T_ARTIST")]
struct Artist {
    #[orm(primary_key)]
    pk: i64,
    #[orm(has_many(Album, foreign_key = fk, back_populates = artists))]
    albums: Related<Vec<Album>>,
}

#[derive(Model)]
#[orm(table = "T_ALBUM")]
struct Album {
    #[orm(primary_key)]
    pk: i64,
    #[orm(references = Artist)]
    fk: Option<i64>,
    #[orm(belongs_to(Artist, foreign_key = fk, back_populates = albums))]
    artist: Related<Artist>,
}

fn main() {}
