//! [`Related`]: the field type of a relationship, loaded on demand.

use std::fmt;

/// The value of a relationship field: not loaded until asked for, then the
/// related object(s), or absent (a many-to-one whose foreign key is NULL or
/// whose row is missing).
///
/// Relationship fields are not columns; two models compare equal when their
/// columns do, whatever their relationships hold.
#[derive(Clone, Default)]
pub enum Related<T> {
    /// Not loaded (the state after a plain query).
    #[default]
    NotLoaded,
    /// Loaded, and there is nothing (many-to-one with no parent).
    Absent,
    /// Loaded.
    Loaded(Box<T>),
}

impl<T> Related<T> {
    /// A loaded value.
    pub fn loaded(value: T) -> Self {
        Related::Loaded(Box::new(value))
    }

    /// The loaded value; `None` when not loaded or absent.
    pub fn get(&self) -> Option<&T> {
        match self {
            Related::Loaded(v) => Some(v),
            _ => None,
        }
    }

    /// The loaded value, mutably.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Related::Loaded(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the relationship was loaded (even if it found nothing).
    pub fn is_loaded(&self) -> bool {
        !matches!(self, Related::NotLoaded)
    }

    /// Takes the loaded value out, leaving the field not loaded.
    pub fn take(&mut self) -> Option<T> {
        match std::mem::take(self) {
            Related::Loaded(v) => Some(*v),
            _ => None,
        }
    }
}

impl<T> PartialEq for Related<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T: fmt::Debug> fmt::Debug for Related<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Related::NotLoaded => f.write_str("<not loaded>"),
            Related::Absent => f.write_str("<absent>"),
            Related::Loaded(v) => v.fmt(f),
        }
    }
}
