//! The names of the library's choices (objectives, optimizers, engines, model families, units),
//! given once: each enum says its names in one `match`, each objective and model family in its
//! own module ([`Named::name`]); parsing, printing, the command line's possible values and the
//! files all go through it. A leaf (it uses only [`crate::text`]).

/// A setting chosen by name: `ce`, `adam`, `gaussian`, `bits`.
pub trait Named: Copy + 'static {
    /// Every value, in the order they are listed.
    const ALL: &'static [Self];

    /// Its name, as typed on the command line and written in files (the enum's own `name`).
    fn name(self) -> &'static str;

    /// The value called `name`; the error lists the names there are.
    fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|v| v.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
            format!("'{}' is not one of {}", crate::text::shown(name, 40), names.join(", "))
        })
    }
}

/// `FromStr` and `Display` for a [`Named`] enum, through its names.
#[macro_export]
macro_rules! named {
    ($t:ty) => {
        impl std::str::FromStr for $t {
            type Err = String;

            fn from_str(s: &str) -> std::result::Result<Self, String> {
                <$t as $crate::named::Named>::from_name(s)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::named::Named::name(*self))
            }
        }
    };
}
