//! TLP 2.0 markings. TLP 1.0's WHITE is read as CLEAR.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Language;

crate::string_enum! {
    /// Traffic Light Protocol 2.0, from most to least shareable.
    #[derive(PartialOrd, Ord)]
    pub enum Tlp ("TLP marking", own Display) {
        Clear = "CLEAR",
        Green = "GREEN",
        Amber = "AMBER",
        AmberStrict = "AMBER+STRICT",
        Red = "RED",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a TLP marking: expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED")]
pub struct TlpError(String);

impl Tlp {
    /// Accepts `AMBER`, `TLP:AMBER`, `tlp:amber+strict`, and TLP 1.0's `WHITE`.
    pub fn parse(input: &str) -> Result<Self, TlpError> {
        let s = input.trim().to_ascii_uppercase().replace(' ', "");
        let s = s.strip_prefix("TLP:").unwrap_or(&s);
        match s {
            "CLEAR" | "WHITE" => Ok(Self::Clear),
            "GREEN" => Ok(Self::Green),
            "AMBER" => Ok(Self::Amber),
            "AMBER+STRICT" | "AMBER_STRICT" => Ok(Self::AmberStrict),
            "RED" => Ok(Self::Red),
            _ => Err(TlpError(input.to_owned())),
        }
    }

    /// Whether a prefecture may see (and be told about) what is addressed to one of its
    /// municipalities under this marking. AMBER may be shared within the recipient's own
    /// community; AMBER+STRICT only within the recipient organisation and RED only with the
    /// named recipient, so those stay with the addressed organisation (and central staff).
    /// What the marking allows, in the reader's language: the one text the alert page, the
    /// alert mail and CAP show beside it.
    pub fn meaning(self, lang: Language) -> &'static str {
        match (lang, self) {
            (Language::Ja, Tlp::Clear) => "公開情報です。制限なく共有できます。",
            (Language::Ja, Tlp::Green) => {
                "自治体・関係機関の間で共有できます。公開はしないでください。"
            }
            (Language::Ja, Tlp::Amber) => "組織内と、対応に必要な委託先等に限り共有できます。",
            (Language::Ja, Tlp::AmberStrict) => "組織内に限り共有できます。",
            (Language::Ja, Tlp::Red) => "受信者本人に限ります。転送・共有しないでください。",
            (Language::En, Tlp::Clear) => "Public: may be shared without restriction.",
            (Language::En, Tlp::Green) => "May be shared within the community, not publicly.",
            (Language::En, Tlp::Amber) => "Within your organisation and those who need it to act.",
            (Language::En, Tlp::AmberStrict) => "Within your organisation only.",
            (Language::En, Tlp::Red) => "For the named recipient only. Do not forward.",
        }
    }

    pub fn prefecture_may_relay(self) -> bool {
        self <= Self::Amber
    }

    /// The markings a prefecture may see for its municipalities, as stored.
    pub const RELAYED_TO_PREFECTURES: [&'static str; 3] = ["CLEAR", "GREEN", "AMBER"];
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLP:{}", self.as_str())
    }
}

impl Serialize for Tlp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Tlp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markings_parse_in_every_spelling() {
        assert_eq!(Tlp::parse("WHITE"), Ok(Tlp::Clear));
        assert_eq!(Tlp::parse("TLP:AMBER+STRICT"), Ok(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("tlp:green"), Ok(Tlp::Green));
        assert!(Tlp::parse("BLUE").is_err());
        assert!(Tlp::Red > Tlp::Amber && Tlp::Amber > Tlp::Clear);
        assert_eq!(Tlp::AmberStrict.to_string(), "TLP:AMBER+STRICT");
    }
}
