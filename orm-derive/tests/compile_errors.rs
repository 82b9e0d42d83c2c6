//! Misuse of `#[derive(Model)]` and of typed columns is a compile error
//! pointing at the mistake; each case's message is in tests/ui/*.stderr.
//! The cases use the derive through the `athanor` facade, as users do.

#[test]
fn derive_misuse_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
