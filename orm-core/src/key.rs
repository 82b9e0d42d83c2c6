//! Primary-key values: a single column's value or a tuple for composite keys.

use crate::convert::SqlType;
use crate::value::ValueRef;

/// A primary key's value, as [`Model::get`](crate::Model::get) takes it:
/// the key column's type, or a tuple for a composite key.
pub trait KeyValue {
    /// The number of key columns.
    const LEN: usize;
    /// Appends the key's values in key-column order.
    fn push_values<'a>(&'a self, out: &mut Vec<ValueRef<'a>>);
}

macro_rules! scalar_key {
    ($($t:ty),*) => {$(
        impl KeyValue for $t {
            const LEN: usize = 1;
            fn push_values<'a>(&'a self, out: &mut Vec<ValueRef<'a>>) {
                out.push(self.to_value_ref());
            }
        }
    )*};
}

scalar_key!(bool, i16, i32, i64, String, Vec<u8>);
#[cfg(feature = "uuid")]
scalar_key!(uuid::Uuid);

impl KeyValue for &str {
    const LEN: usize = 1;
    fn push_values<'a>(&'a self, out: &mut Vec<ValueRef<'a>>) {
        out.push(ValueRef::Text(self));
    }
}

macro_rules! tuple_key {
    ($($name:ident $idx:tt)+) => {
        impl<$($name: KeyValue),+> KeyValue for ($($name,)+) {
            const LEN: usize = 0 $(+ $name::LEN)+;
            fn push_values<'a>(&'a self, out: &mut Vec<ValueRef<'a>>) {
                $(self.$idx.push_values(out);)+
            }
        }
    };
}

tuple_key!(A 0 B 1);
tuple_key!(A 0 B 1 C 2);
tuple_key!(A 0 B 1 C 2 D 3);
