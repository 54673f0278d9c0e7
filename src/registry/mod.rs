//! The organisation registry: the 1,788 local governments and Noroshi's central bodies, their
//! codes, kinds and hierarchy. Owns the `organisations` and `organisation_domains` tables; knows nothing of users or alerts.

pub mod caller;
mod code;
pub mod domains;
mod prefecture;
pub mod role;
pub mod seed;
pub mod store;

pub use caller::Caller;
pub use code::{OrgCode, OrgCodeError, check_digit};
pub use prefecture::{Prefecture, PrefectureError};
pub use role::Role;

pub use crate::domain::ids::OrgId;
use serde::Serialize;

/// Makes the registry hold every organisation of the seed, with its current name and kana, in
/// one transaction. Idempotent: a second run reports everything unchanged. Organisations added by
/// hand are kept.
#[tracing::instrument(name = "Seed the organisation registry", skip_all)]
pub async fn seed<C: sea_orm::TransactionTrait + sea_orm::ConnectionTrait>(
    db: &C,
) -> anyhow::Result<store::SeedReport> {
    use anyhow::Context;
    let txn = crate::db::begin_write(db).await?;
    let report = store::seed_rows(&txn).await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .context("cannot commit the seed")?;
    Ok(report)
}

crate::string_enum! {
    /// What an organisation is.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OrgKind ("organisation kind") {
        /// 都道府県
        Prefecture = "prefecture",
        /// 市区町村 (special wards included)
        Municipality = "municipality",
        /// 総務省, J-LIS, NCO: the hub's operators
        Central = "central",
    }
}

impl OrgKind {
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

/// The 20 政令指定都市 (designated cities) by code: the 区分 surveys and statistics report
/// them under, apart from the other cities.
pub const DESIGNATED_CITIES: [&str; 20] = [
    "011002", "041009", "111007", "121002", "141003", "141305", "141500", "151009", "221007",
    "221309", "231002", "261009", "271004", "271403", "281000", "331007", "341002", "401005",
    "401307", "431001",
];

crate::string_enum! {
    /// The 区分 the seed documents report by: 都道府県 / 政令指定都市 / 市区 / 町村 (and the centre).
    #[derive(PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OrgClass ("organisation class") {
        Prefecture = "prefecture",
        DesignatedCity = "designated_city",
        City = "city",
        TownVillage = "town_village",
        Central = "central",
    }
}

impl OrgClass {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Prefecture => "都道府県",
            Self::DesignatedCity => "政令指定都市",
            Self::City => "市区",
            Self::TownVillage => "町村",
            Self::Central => "中央省庁等",
        }
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
    /// Its 区分: municipalities whose names end in 町 or 村 are 町村; the 20 designated cities
    /// are marked by code; the other municipalities (cities and Tokyo's special wards) are 市区.
    pub fn class(&self) -> OrgClass {
        match self.kind {
            OrgKind::Prefecture => OrgClass::Prefecture,
            OrgKind::Central => OrgClass::Central,
            OrgKind::Municipality
                if DESIGNATED_CITIES.contains(&self.code.to_string().as_str()) =>
            {
                OrgClass::DesignatedCity
            }
            OrgKind::Municipality if self.name.ends_with('町') || self.name.ends_with('村') => {
                OrgClass::TownVillage
            }
            OrgKind::Municipality => OrgClass::City,
        }
    }

    /// The name people use: `東京都千代田区` for a municipality, the own name otherwise.
    pub fn full_name(&self) -> String {
        match (self.kind, self.prefecture) {
            (OrgKind::Municipality, Some(p)) => format!("{}{}", p.name(), self.name),
            _ => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;

    #[test]
    fn the_twenty_designated_cities_are_the_ones_the_registry_marks() {
        let names = [
            "札幌市",
            "仙台市",
            "さいたま市",
            "千葉市",
            "横浜市",
            "川崎市",
            "相模原市",
            "新潟市",
            "静岡市",
            "浜松市",
            "名古屋市",
            "京都市",
            "大阪市",
            "堺市",
            "神戸市",
            "岡山市",
            "広島市",
            "北九州市",
            "福岡市",
            "熊本市",
        ];
        let orgs = seed::seed_orgs().unwrap();
        let marked: Vec<&str> = orgs
            .iter()
            .filter(|o| DESIGNATED_CITIES.contains(&o.code.to_string().as_str()))
            .map(|o| o.name.as_str())
            .collect();
        assert!(
            orgs.iter()
                .filter(|o| DESIGNATED_CITIES.contains(&o.code.to_string().as_str()))
                .all(|o| o.kind == OrgKind::Municipality)
        );
        let mut want = names.to_vec();
        let mut got = marked.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}
