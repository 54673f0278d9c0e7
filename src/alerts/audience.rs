//! Audiences: whom an alert is for, as a specification (all local governments, prefectures only,
//! given prefectures with or without their municipalities, named organisations, organisations whose
//! inventory matches), and its resolution into a concrete list, each organisation with its reasons.

use crate::domain::ids::OrgId;
use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::classify::model::ProductRef;
use crate::classify::rules::Rules;
use crate::registry::store::OrgFilter;
use crate::registry::{OrgCode, OrgKind, Organisation, Prefecture};

fn is_false(b: &bool) -> bool {
    !*b
}

/// One prefecture, with or without its municipalities — or its municipalities only (what a
/// prefecture sends to those it oversees).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefectureScope {
    pub prefecture: u8,
    #[serde(default)]
    pub with_municipalities: bool,
    /// The municipalities without the prefecture itself (`muni:13`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub municipalities_only: bool,
}

/// Whom an alert is for. Selectors add up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceSpec {
    /// Every prefecture and municipality.
    #[serde(default, skip_serializing_if = "is_false")]
    pub all: bool,
    /// The 47 prefectures only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefectures_only: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefectures: Vec<PrefectureScope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<OrgCode>,
    /// Organisations whose product inventory matches the alert's products.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inventory: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an audience: use all, prefectures, pref:13 (the prefecture), pref:13+ (with its municipalities), muni:13 (its municipalities only), org:131016 or inventory"
)]
pub struct AudienceError(pub String);

impl AudienceSpec {
    /// Reads command-line selectors: `all`, `prefectures`, `pref:13`, `pref:東京都+`, `org:131016`,
    /// `inventory`.
    pub fn parse_selectors<S: AsRef<str>>(selectors: &[S]) -> Result<Self, AudienceError> {
        let mut spec = Self::default();
        for s in selectors {
            let s = s.as_ref().trim();
            let bad = || AudienceError(s.to_owned());
            match s {
                "all" => spec.all = true,
                "prefectures" => spec.prefectures_only = true,
                "inventory" => spec.inventory = true,
                _ => {
                    if let Some(p) = s.strip_prefix("muni:") {
                        let pref = Prefecture::parse(p).map_err(|_| bad())?;
                        spec.prefectures.push(PrefectureScope {
                            prefecture: pref.number(),
                            with_municipalities: true,
                            municipalities_only: true,
                        });
                    } else if let Some(p) = s.strip_prefix("pref:") {
                        let (name, with) = match p.strip_suffix('+') {
                            Some(n) => (n, true),
                            None => (p, false),
                        };
                        let pref = Prefecture::parse(name).map_err(|_| bad())?;
                        spec.prefectures.push(PrefectureScope {
                            prefecture: pref.number(),
                            with_municipalities: with,
                            municipalities_only: false,
                        });
                    } else if let Some(code) = s.strip_prefix("org:") {
                        spec.organisations
                            .push(OrgCode::parse(code).map_err(|e| AudienceError(e.to_string()))?);
                    } else {
                        return Err(bad());
                    }
                }
            }
        }
        if spec.is_empty() {
            return Err(AudienceError(String::new()));
        }
        Ok(spec)
    }

    pub fn is_empty(&self) -> bool {
        !self.all
            && !self.prefectures_only
            && self.prefectures.is_empty()
            && self.organisations.is_empty()
            && !self.inventory
    }

    /// `全団体`, `東京都（市区町村を含む）・製品台帳が一致する団体` …
    pub fn describe(&self) -> String {
        self.describe_in(&JA_WORDS)
    }

    /// [`AudienceSpec::describe`] in English (place names stay as they are written).
    pub fn describe_en(&self) -> String {
        self.describe_in(&EN_WORDS)
    }

    fn describe_in(&self, w: &Words) -> String {
        let mut parts = Vec::new();
        if self.all {
            parts.push(w.all.to_owned());
        }
        if self.prefectures_only {
            parts.push(w.prefectures.to_owned());
        }
        for p in &self.prefectures {
            let name = Prefecture::from_number(p.prefecture)
                .map(Prefecture::name)
                .unwrap_or("?");
            parts.push(if p.municipalities_only {
                format!("{name}{}", w.municipalities_only)
            } else if p.with_municipalities {
                format!("{name}{}", w.with_municipalities)
            } else {
                name.to_owned()
            });
        }
        if !self.organisations.is_empty() {
            let codes: Vec<String> = self.organisations.iter().map(ToString::to_string).collect();
            parts.push(format!("{}{}", w.organisations, codes.join(", ")));
        }
        if self.inventory {
            parts.push(w.inventory.to_owned());
        }
        parts.join(w.separator)
    }
}

/// The words an audience is described with, in one language.
struct Words {
    all: &'static str,
    prefectures: &'static str,
    /// After a prefecture's name.
    with_municipalities: &'static str,
    /// After a prefecture's name: its municipalities without it.
    municipalities_only: &'static str,
    /// Before the codes of named organisations.
    organisations: &'static str,
    inventory: &'static str,
    separator: &'static str,
}

const JA_WORDS: Words = Words {
    all: "全団体（都道府県・市区町村）",
    prefectures: "全都道府県",
    with_municipalities: "（市区町村を含む）",
    municipalities_only: "の市区町村",
    organisations: "指定団体 ",
    inventory: "製品台帳が一致する団体",
    separator: "・",
};

const EN_WORDS: Words = Words {
    all: "all organisations (prefectures and municipalities)",
    prefectures: "all prefectures",
    with_municipalities: " with its municipalities",
    municipalities_only: ": its municipalities only",
    organisations: "organisations ",
    inventory: "organisations whose product inventory matches",
    separator: "; ",
};

/// One organisation of a resolved audience, and why it is in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub organisation: Organisation,
    pub reasons: Vec<String>,
}

/// The concrete audience, in code order.
pub async fn resolve(
    db: &impl ConnectionTrait,
    spec: &AudienceSpec,
    products: &[ProductRef],
    rules: &Rules,
) -> anyhow::Result<Vec<Recipient>> {
    let orgs = crate::registry::store::list(db, OrgFilter::default()).await?;
    let mut out: BTreeMap<OrgCode, Recipient> = BTreeMap::new();
    let mut add = |org: &Organisation, reason: String| {
        let entry = out.entry(org.code).or_insert_with(|| Recipient {
            organisation: org.clone(),
            reasons: Vec::new(),
        });
        if !entry.reasons.contains(&reason) {
            entry.reasons.push(reason);
        }
    };
    for org in &orgs {
        let local = matches!(org.kind, OrgKind::Prefecture | OrgKind::Municipality);
        if spec.all && local {
            add(org, "全団体".into());
        }
        if spec.prefectures_only && org.kind == OrgKind::Prefecture {
            add(org, "全都道府県".into());
        }
        for scope in &spec.prefectures {
            if org.prefecture.map(Prefecture::number) != Some(scope.prefecture) {
                continue;
            }
            let name = org.prefecture.map(Prefecture::name).unwrap_or_default();
            match org.kind {
                OrgKind::Prefecture if !scope.municipalities_only => {
                    add(org, format!("{name}を指定"))
                }
                OrgKind::Municipality if scope.with_municipalities => {
                    add(org, format!("{name}の市区町村"))
                }
                _ => {}
            }
        }
        if spec.organisations.contains(&org.code) {
            add(org, "団体を指定".into());
        }
    }
    if spec.inventory && !products.is_empty() {
        let by_id: BTreeMap<OrgId, &Organisation> = orgs.iter().map(|o| (o.id, o)).collect();
        for item in crate::inventory::store::all(db).await? {
            let Some(org) = by_id.get(&item.org_id) else {
                continue;
            };
            for product in products {
                if let Some(reason) = crate::inventory::matches(&item, product, rules) {
                    add(org, reason);
                }
            }
        }
    }
    Ok(out.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_describe_themselves() {
        let spec =
            AudienceSpec::parse_selectors(&["pref:13+", "pref:東京都", "org:011002", "inventory"]);
        assert!(spec.is_ok(), "{spec:?}");
        let spec = spec.unwrap_or_default();
        assert_eq!(
            spec.prefectures[0],
            PrefectureScope {
                prefecture: 13,
                with_municipalities: true,
                municipalities_only: false,
            }
        );
        assert_eq!(
            spec.describe(),
            "東京都（市区町村を含む）・東京都・指定団体 011002・製品台帳が一致する団体"
        );
        assert_eq!(
            spec.describe_en(),
            "東京都 with its municipalities; 東京都; organisations 011002; organisations whose product inventory matches"
        );
        let round_trip: AudienceSpec =
            serde_json::from_str(&serde_json::to_string(&spec).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(round_trip, spec);
    }

    #[test]
    fn bad_selectors_are_named() {
        for bad in ["everyone", "pref:48", "org:131002", "pref:"] {
            assert!(AudienceSpec::parse_selectors(&[bad]).is_err(), "{bad}");
        }
        let err = AudienceSpec::parse_selectors(&["org:131002"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("wrong check digit"), "{err}");
        assert!(AudienceSpec::parse_selectors::<&str>(&[]).is_err());
    }

    #[test]
    fn a_prefectures_municipalities_are_chosen_without_the_prefecture() {
        let spec = AudienceSpec::parse_selectors(&["muni:東京都"]).unwrap_or_default();
        assert_eq!(
            spec.prefectures,
            vec![PrefectureScope {
                prefecture: 13,
                with_municipalities: true,
                municipalities_only: true,
            }]
        );
        assert_eq!(spec.describe(), "東京都の市区町村");
        let json = serde_json::to_string(&spec).unwrap_or_default();
        assert_eq!(serde_json::from_str::<AudienceSpec>(&json).ok(), Some(spec));
        assert!(AudienceSpec::parse_selectors(&["muni:99"]).is_err());
        // A stored audience from before `muni` reads as it always did.
        let old: AudienceSpec = serde_json::from_str(
            r#"{"prefectures":[{"prefecture":13,"with_municipalities":true}]}"#,
        )
        .unwrap_or_default();
        assert!(!old.prefectures[0].municipalities_only);
    }
}
