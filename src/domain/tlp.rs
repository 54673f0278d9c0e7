//! TLP 2.0 markings. TLP 1.0's WHITE is read as CLEAR.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Traffic Light Protocol 2.0, from most to least shareable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a TLP marking: expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED")]
pub struct TlpError(String);

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Self::Clear,
        Self::Green,
        Self::Amber,
        Self::AmberStrict,
        Self::Red,
    ];

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
    pub fn prefecture_may_relay(self) -> bool {
        self <= Self::Amber
    }

    /// The markings a prefecture may see for its municipalities, as stored.
    pub const RELAYED_TO_PREFECTURES: [&'static str; 3] = ["CLEAR", "GREEN", "AMBER"];

    /// A marking this hub stored itself: one that does not read is an error naming it (the
    /// database was edited by hand), never a silent default — least of all CLEAR.
    pub fn stored(s: &str) -> anyhow::Result<Self> {
        Self::parse(s).map_err(|e| anyhow::anyhow!("a stored TLP marking does not read: {e}"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clear => "CLEAR",
            Self::Green => "GREEN",
            Self::Amber => "AMBER",
            Self::AmberStrict => "AMBER+STRICT",
            Self::Red => "RED",
        }
    }
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
