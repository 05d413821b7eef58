//! The value a constraint attribute checks (`#[property(min = 1, pattern = "...")]` on a derived
//! field), one trait per kind of value.
//!
//! The derive calls these traits on the field with the attribute's span, so a constraint on the
//! wrong kind of field (`min` on a `String`, `min_length` on an `f64`) fails to compile on the
//! attribute. Each returns `None` for an absent value (`None`, [`Nullable::Absent`] or
//! [`Nullable::Null`]), which no constraint applies to. The checks themselves are the ones
//! generated types run (trackplan-codegen's `own_checks`).

use std::borrow::Cow;

use crate::event::{Nullable, PropertyValue};

/// A number that `min`, `max`, `exclusive_min` and `exclusive_max` bound.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a number, so `min`, `max`, `exclusive_min` and `exclusive_max` do not apply to it",
    label = "this bound needs an integer or float field",
    note = "strings take `min_length`, `max_length`, `pattern` and `format`; sequences take `min_items`, `max_items` and `unique_items`"
)]
pub trait NumberConstraint {
    fn constrained_number(&self) -> Option<f64>;
}

/// A string that `min_length`, `max_length`, `pattern` and `format` check.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a string, so `min_length`, `max_length`, `pattern` and `format` do not apply to it",
    label = "this check needs a `String`, `&str` or `Cow<str>` field",
    note = "numbers take `min`, `max`, `exclusive_min` and `exclusive_max`; sequences take `min_items`, `max_items` and `unique_items`"
)]
pub trait StringConstraint {
    fn constrained_str(&self) -> Option<&str>;
}

/// A sequence that `min_items`, `max_items` and `unique_items` check.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sequence, so `min_items`, `max_items` and `unique_items` do not apply to it",
    label = "this check needs a `Vec`, slice or array field",
    note = "numbers take `min`, `max`, `exclusive_min` and `exclusive_max`; strings take `min_length`, `max_length`, `pattern` and `format`"
)]
pub trait ArrayConstraint {
    type Item: PropertyValue;
    fn constrained_items(&self) -> Option<&[Self::Item]>;
}

macro_rules! number {
    ($($ty:ty),*) => {$(
        impl NumberConstraint for $ty {
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn constrained_number(&self) -> Option<f64> {
                Some(*self as f64)
            }
        }
    )*};
}
number!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

impl StringConstraint for str {
    fn constrained_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl StringConstraint for String {
    fn constrained_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl StringConstraint for Cow<'_, str> {
    fn constrained_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: PropertyValue> ArrayConstraint for [T] {
    type Item = T;
    fn constrained_items(&self) -> Option<&[T]> {
        Some(self)
    }
}

impl<T: PropertyValue> ArrayConstraint for Vec<T> {
    type Item = T;
    fn constrained_items(&self) -> Option<&[T]> {
        Some(self)
    }
}

impl<T: PropertyValue, const N: usize> ArrayConstraint for [T; N] {
    type Item = T;
    fn constrained_items(&self) -> Option<&[T]> {
        Some(self)
    }
}

/// Options, nullables and pointers pass the constraint on to the value inside.
macro_rules! wrappers {
    ($trait:ident, $method:ident, $out:ty $(, $assoc:ident)?) => {
        impl<T: $trait + ?Sized> $trait for &T {
            $(type $assoc = T::$assoc;)?
            fn $method(&self) -> Option<$out> {
                (**self).$method()
            }
        }
        impl<T: $trait + ?Sized> $trait for Box<T> {
            $(type $assoc = T::$assoc;)?
            fn $method(&self) -> Option<$out> {
                (**self).$method()
            }
        }
        impl<T: $trait> $trait for Option<T> {
            $(type $assoc = T::$assoc;)?
            fn $method(&self) -> Option<$out> {
                self.as_ref()?.$method()
            }
        }
        impl<T: $trait> $trait for Nullable<T> {
            $(type $assoc = T::$assoc;)?
            fn $method(&self) -> Option<$out> {
                match self {
                    Nullable::Value(value) => value.$method(),
                    Nullable::Absent | Nullable::Null => None,
                }
            }
        }
    };
}
wrappers!(NumberConstraint, constrained_number, f64);
wrappers!(StringConstraint, constrained_str, &str);
wrappers!(ArrayConstraint, constrained_items, &[Self::Item], Item);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_have_nothing_to_check() {
        assert_eq!(Some(3u8).constrained_number(), Some(3.0));
        assert_eq!(None::<u8>.constrained_number(), None);
        assert_eq!(Nullable::<String>::Null.constrained_str(), None);
        assert_eq!(Box::new("x").constrained_str(), Some("x"));
        assert_eq!(Some(vec![1, 2]).constrained_items(), Some(&[1, 2][..]));
    }
}
