//! The two languages of the hub — of a portal page and of a contact's mail — as one type.

use std::fmt;

use serde::Serialize;

/// Japanese (the default) or English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Language {
    #[default]
    Ja,
    En,
}

impl Language {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "ja" => Ok(Self::Ja),
            "en" => Ok(Self::En),
            other => Err(format!("`{other}` is not a language: expected ja or en")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
