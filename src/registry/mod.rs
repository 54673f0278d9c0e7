//! The organisation registry: the 1,788 local governments and Noroshi's central bodies, their
//! codes, kinds and hierarchy. Owns the `organisations` table; knows nothing of users or alerts.

mod code;
mod prefecture;
pub mod seed;
pub mod store;

pub use code::{OrgCode, OrgCodeError, check_digit};
pub use prefecture::{Prefecture, PrefectureError};

use std::fmt;

use serde::Serialize;

/// Database id of an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OrgId(pub i64);

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What an organisation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 都道府県
    Prefecture,
    /// 市区町村 (special wards included)
    Municipality,
    /// 総務省, J-LIS, NCO: the hub's operators
    Central,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prefecture => "prefecture",
            Self::Municipality => "municipality",
            Self::Central => "central",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Prefecture => "都道府県",
            Self::Municipality => "市区町村",
            Self::Central => "中央省庁等",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "prefecture" => Ok(Self::Prefecture),
            "municipality" => Ok(Self::Municipality),
            "central" => Ok(Self::Central),
            other => Err(format!(
                "unknown organisation kind `{other}`: expected prefecture, municipality or central"
            )),
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An organisation as the rest of the hub sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub code: OrgCode,
    pub kind: OrgKind,
    /// Own name: `千代田区`, `東京都`, `総務省`.
    pub name: String,
    /// Reading in full-width katakana.
    pub kana: String,
    /// The prefecture it belongs to (itself, for a prefecture); none for central bodies.
    #[serde(serialize_with = "serialize_prefecture")]
    pub prefecture: Option<Prefecture>,
    /// Its prefecture's organisation, for municipalities.
    pub parent_id: Option<OrgId>,
}

fn serialize_prefecture<S: serde::Serializer>(
    p: &Option<Prefecture>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_u8(p.number()),
        None => s.serialize_none(),
    }
}

impl Organisation {
    /// The name people use: `東京都千代田区` for a municipality, the own name otherwise.
    pub fn full_name(&self) -> String {
        match (self.kind, self.prefecture) {
            (OrgKind::Municipality, Some(p)) => format!("{}{}", p.name(), self.name),
            _ => self.name.clone(),
        }
    }
}
