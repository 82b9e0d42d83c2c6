//! The identity map's key: a model type and its primary key's values.

use std::any::TypeId;

use crate::key::KeyValue;
use crate::model::Model;
use crate::value::ValueRef;

/// One primary-key value in a form that hashes: integers of every width
/// compare as one, so a key read back as `I64` finds a key given as `I32`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    /// Floats (by bits) and the feature-gated types (by their text).
    Other(String),
}

impl From<ValueRef<'_>> for KeyPart {
    fn from(v: ValueRef<'_>) -> Self {
        match v {
            ValueRef::Null => KeyPart::Null,
            ValueRef::Bool(b) => KeyPart::Bool(b),
            ValueRef::I16(i) => KeyPart::Int(i.into()),
            ValueRef::I32(i) => KeyPart::Int(i.into()),
            ValueRef::I64(i) => KeyPart::Int(i),
            ValueRef::Text(s) => KeyPart::Text(s.to_owned()),
            ValueRef::Bytes(b) => KeyPart::Bytes(b.to_vec()),
            other => KeyPart::Other(format!("{other:?}")),
        }
    }
}

/// Which row an object is: its model type and primary key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    model: TypeId,
    key: Vec<KeyPart>,
}

impl Identity {
    /// The identity of `model`'s row.
    pub(crate) fn of<M: Model>(model: &M) -> Self {
        Identity {
            model: TypeId::of::<M>(),
            key: M::TABLE
                .primary_key
                .iter()
                .map(|&i| KeyPart::from(model.value_at(i)))
                .collect(),
        }
    }

    /// The identity of the row of model `M` whose key columns hold `values`.
    pub(crate) fn of_values<M: Model>(values: &[ValueRef<'_>]) -> Self {
        Identity {
            model: TypeId::of::<M>(),
            key: values.iter().map(|&v| KeyPart::from(v)).collect(),
        }
    }

    /// The identity of the row of model `M` with primary key `key`.
    pub(crate) fn of_key<M: Model>(key: &M::Key) -> Self {
        let mut values = Vec::with_capacity(M::Key::LEN);
        key.push_values(&mut values);
        Self::of_values::<M>(&values)
    }
}
