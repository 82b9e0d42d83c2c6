//! `#[derive(Model)]` for athanor: maps a struct to a table.
//!
//! See the `athanor` crate for the attributes and examples.

mod attrs;
mod model;

use proc_macro::TokenStream;

/// Derives `athanor::Model` (and `FromRow`, typed column handles and
/// `Display`) for a struct with named fields.
///
/// Struct attributes: `#[orm(table = "T")]`, `#[orm(index(a, b))]`,
/// `#[orm(unique(a, b))]`, `#[orm(no_display)]`, `#[orm(crate = "path")]`.
/// Field attributes: `primary_key`, `auto = false`, `column = "NAME"`,
/// `renamed_from = "OLD"` (a rename hint for generated migrations),
/// `unique`, `index`, `default = <literal>`, `max_length = N`,
/// `case_insensitive`, `references = Model`, `on_delete = "cascade" |
/// "restrict" | "set_null" | "no_action"`, `skip`, `version` (an integer
/// field checked and incremented by every write: optimistic locking).
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    model::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `athanor::FromRow` for a plain struct (not a table): each row's
/// columns are read, in order, into the fields, whose types read one column
/// each (or several, for a nested model or tuple). For aggregate results:
/// `Album::query().select((Album::ARTIST_ID, count_all())).read_as::<PerArtist>()`.
#[proc_macro_derive(FromRow, attributes(orm))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    model::expand_from_row(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
