//! The backend as the registry knows it.

use athanor::backend;
use athanor::prelude::*;

/// The database's backend is registered under the schemes it declares, and
/// the dialect its connections speak is one it declares.
pub fn the_backend_declares_its_schemes_and_the_dialect_it_speaks(db: &Database) {
    let registered = backend::registered();
    let Some(found) = registered.iter().find(|b| b.name() == db.backend()) else {
        panic!("backend `{}` is not in the registry", db.backend());
    };
    assert!(!found.schemes().is_empty());
    for scheme in found.schemes() {
        let owners = registered
            .iter()
            .filter(|b| b.schemes().contains(scheme))
            .count();
        assert_eq!(owners, 1, "scheme `{scheme}` belongs to one backend");
    }
    let conn = db.connect().unwrap();
    let speaks = conn.dialect().name();
    assert!(
        found.dialects().iter().any(|d| d.name() == speaks),
        "the connection speaks `{speaks}`, which backend `{}` does not declare",
        found.name()
    );
}
