//! `string_enum!`: one definition for every closed set of words the hub stores or exchanges
//! (a status, a kind, a role). It writes the enum with `Clone, Copy, Debug, PartialEq, Eq, Hash`,
//! and beside it:
//!
//! - `ALL`, every value in declaration order (forms list it, tests walk it);
//! - `as_str`, the stored word;
//! - `from_code`, the word back, `None` for anything else (exact: no case folding, no trimming);
//! - `stored`, the same for a value this hub wrote itself, where a word that does not read is an
//!   error naming what it is ("a stored alert status does not read: …"), never a quiet default;
//! - `Display`, the stored word (unless the enum says `own Display`, when its `Display` shows a
//!   label and is written beside it).
//!
//! Labels in Japanese and English, and parsers of user input that accept more than the code (a
//! Japanese label, a hyphen), stay beside each enum: they are wording, not the stored word.
//! `tests/integration/layers.rs` fails on an `as_str` written by hand.

/// Declares a string enum; see the module documentation. The literal after the name says what
/// the value is, for the error of `stored`.
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $crate::string_enum! {
            $(#[$meta])*
            $vis enum $name ($what, own Display) {
                $( $(#[$vmeta])* $variant = $code ),+
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal, own Display) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        #[allow(dead_code)]
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [Self; [$( $crate::string_enum!(@one $variant) ),+].len()] =
                [$( Self::$variant ),+];

            /// The stored word.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code ),+
                }
            }

            /// The value a word names, exactly; `None` for any other word.
            pub fn from_code(s: &str) -> Option<Self> {
                match s {
                    $( $code => Some(Self::$variant), )+
                    _ => None,
                }
            }

            /// A value this hub stored itself: one that does not read is an error naming it.
            pub fn stored(s: &str) -> anyhow::Result<Self> {
                Self::from_code(s).ok_or_else(|| {
                    anyhow::anyhow!(concat!("a stored ", $what, " does not read: {:?}"), s)
                })
            }
        }
    };
    (@one $variant:ident) => {
        ()
    };
}

#[cfg(test)]
mod tests {
    crate::string_enum! {
        /// A test enum.
        pub enum Colour ("colour") {
            Red = "red",
            /// A documented variant.
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn words_round_trip_exactly_and_a_stored_stranger_is_named() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
        for c in Colour::ALL {
            assert_eq!(Colour::from_code(c.as_str()), Some(c));
            assert_eq!(Colour::stored(&c.to_string()).unwrap(), c);
        }
        assert_eq!(Colour::from_code("Red"), None);
        assert_eq!(Colour::from_code(" red"), None);
        let e = Colour::stored("green").unwrap_err().to_string();
        assert_eq!(e, "a stored colour does not read: \"green\"");
    }
}
