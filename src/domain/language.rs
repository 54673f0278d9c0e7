//! The two languages of the hub — of a portal page and of a contact's mail — as one type.

use serde::Serialize;

crate::string_enum! {
    /// Japanese (the default) or English.
    #[derive(Default, Serialize)]
    pub enum Language ("language") {
        #[default]
        Ja = "ja",
        En = "en",
    }
}

impl Language {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "ja" => Ok(Self::Ja),
            "en" => Ok(Self::En),
            other => Err(format!("`{other}` is not a language: expected ja or en")),
        }
    }
}
