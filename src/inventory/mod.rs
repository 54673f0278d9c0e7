//! Product inventories: the products each organisation runs (CPE names or vendor/product pairs,
//! with optional version ranges), and matching them against the products an advisory affects.
//! Owns `org_products`; reads organisations through the registry.

pub mod store;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::registry::{self, OrgCode};

use crate::classify::model::ProductRef;
use crate::classify::rules::Rules;
use crate::domain::cpe::{Cpe, VersionRange};
use crate::domain::text::fold;
use crate::registry::OrgId;

/// One product an organisation runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InventoryItem {
    pub id: i64,
    pub org_id: OrgId,
    #[serde(skip)]
    pub cpe: Option<Cpe>,
    pub cpe_text: Option<String>,
    pub vendor: String,
    pub product: String,
    #[serde(skip)]
    pub versions: Option<VersionRange>,
    pub versions_text: Option<String>,
    pub note: Option<String>,
}

impl InventoryItem {
    /// `Fortinet FortiOS (>=7.0, <7.2.7)`
    pub fn label(&self) -> String {
        match &self.versions_text {
            Some(v) => format!("{} {} ({v})", self.vendor, self.product),
            None => format!("{} {}", self.vendor, self.product),
        }
    }
}

/// Product names compared loosely: folded, with `_` and `-` as spaces.
fn loose(s: &str) -> String {
    fold(s)
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `item` is affected by `product`, and why. CPE names match exactly on vendor and
/// product; names match after folding width and case and mapping vendor aliases. A version
/// range only excludes when the advisory states a version outside it.
pub fn matches(item: &InventoryItem, product: &ProductRef, rules: &Rules) -> Option<String> {
    let advisory_cpe = product.cpe.as_deref().and_then(|c| Cpe::parse(c).ok());
    let by = match (&item.cpe, &advisory_cpe) {
        (Some(mine), Some(theirs)) => (mine.vendor == theirs.vendor
            && mine.product == theirs.product)
            .then(|| format!("CPE {}:{}", mine.vendor, mine.product))?,
        _ => {
            let their_vendor = product
                .vendor
                .clone()
                .or_else(|| advisory_cpe.as_ref().map(|c| c.vendor.clone()))?;
            let my_vendor = item
                .cpe
                .as_ref()
                .map(|c| c.vendor.clone())
                .unwrap_or_else(|| item.vendor.clone());
            if rules.canonical_vendor(&my_vendor) != rules.canonical_vendor(&their_vendor)
                && loose(&my_vendor) != loose(&their_vendor)
            {
                return None;
            }
            let mine = loose(&item.product);
            let names: Vec<String> = [
                product.product.clone(),
                advisory_cpe.as_ref().map(|c| c.product.clone()),
            ]
            .into_iter()
            .flatten()
            .map(|n| loose(&n))
            .collect();
            let hit = names.iter().any(|theirs| {
                *theirs == mine
                    || (mine.chars().count() >= 4 && theirs.contains(&mine))
                    || (theirs.chars().count() >= 4 && mine.contains(theirs.as_str()))
            });
            hit.then(|| "name".to_owned())?
        }
    };
    let version = product
        .version
        .clone()
        .or_else(|| advisory_cpe.as_ref().and_then(|c| c.version.clone()));
    let version_note = match (&item.versions, version.as_deref()) {
        (Some(range), Some(v)) if !range.contains(v) => return None,
        (Some(range), Some(v)) => format!(", version {v} in {}", range.as_str()),
        (Some(_), None) => ", the advisory states no version".to_owned(),
        (None, _) => String::new(),
    };
    Some(format!(
        "matched inventory: {} (by {by}{version_note})",
        item.label()
    ))
}

/// What `noroshi inventory add` (and later the settings page) asks for.
#[derive(Debug, Default)]
pub struct AddItem {
    pub org: Option<OrgCode>,
    pub cpe: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub versions: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("give the organisation's code")]
    NoOrganisation,
    #[error("no organisation has the code {0}")]
    UnknownOrganisation(OrgCode),
    #[error("give a CPE name, or both a vendor and a product")]
    NothingToMatch,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for InventoryError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            e @ Self::UnknownOrganisation(_) => Failure::NotFound(e.to_string()),
            e @ (Self::NoOrganisation | Self::NothingToMatch) => Failure::Invalid(e.to_string()),
            Self::Invalid(m) => Failure::Invalid(m),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

fn field(name: &str, value: Option<String>) -> Result<Option<String>, InventoryError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = &value
        && (v.chars().count() > 200 || v.chars().any(char::is_control))
    {
        return Err(InventoryError::Invalid(format!(
            "{name} must be at most 200 characters, without control characters"
        )));
    }
    Ok(value)
}

/// Adds a product to an organisation's inventory, with its audit entry.
pub async fn add_item<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    req: AddItem,
    actor: &Actor,
) -> Result<InventoryItem, InventoryError> {
    let code = req.org.ok_or(InventoryError::NoOrganisation)?;
    let org = registry::store::find_by_code(db, code)
        .await?
        .ok_or(InventoryError::UnknownOrganisation(code))?;
    let cpe = match field("cpe", req.cpe)? {
        Some(c) => Some(Cpe::parse(&c).map_err(|e| InventoryError::Invalid(e.to_string()))?),
        None => None,
    };
    let vendor = field("vendor", req.vendor)?.or_else(|| cpe.as_ref().map(|c| c.vendor.clone()));
    let product =
        field("product", req.product)?.or_else(|| cpe.as_ref().map(|c| c.product.clone()));
    let (Some(vendor), Some(product)) = (vendor, product) else {
        return Err(InventoryError::NothingToMatch);
    };
    let versions = match field("versions", req.versions)? {
        Some(v) => {
            Some(VersionRange::parse(&v).map_err(|e| InventoryError::Invalid(e.to_string()))?)
        }
        None => None,
    };
    let note = field("note", req.note)?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let item = store::insert(
        &txn,
        store::NewItem {
            org_id: org.id,
            cpe,
            vendor,
            product,
            versions,
            note,
        },
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "inventory.add",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "item": item.id, "product": item.label(), "cpe": item.cpe_text }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(item)
}

/// Removes a product from an organisation's inventory, with its audit entry. False if the
/// organisation has no such item.
pub async fn remove_item<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: &registry::Organisation,
    id: i64,
    actor: &Actor,
) -> anyhow::Result<bool> {
    let txn = begin_write(db).await?;
    if !store::remove(&txn, org.id, id).await? {
        return Ok(false);
    }
    audit::record(
        &txn,
        actor,
        "inventory.remove",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "item": id }),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::load(std::path::Path::new("feeds/classification.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn item(
        cpe: Option<&str>,
        vendor: &str,
        product: &str,
        versions: Option<&str>,
    ) -> InventoryItem {
        InventoryItem {
            id: 1,
            org_id: OrgId(1),
            cpe: cpe.and_then(|c| Cpe::parse(c).ok()),
            cpe_text: cpe.map(str::to_owned),
            vendor: vendor.into(),
            product: product.into(),
            versions: versions.and_then(|v| VersionRange::parse(v).ok()),
            versions_text: versions.map(str::to_owned),
            note: None,
        }
    }

    fn product(vendor: Option<&str>, name: Option<&str>, cpe: Option<&str>) -> ProductRef {
        ProductRef {
            vendor: vendor.map(str::to_owned),
            product: name.map(str::to_owned),
            version: None,
            cpe: cpe.map(str::to_owned),
            from: "source".into(),
        }
    }

    #[test]
    fn cpe_names_match_exactly_and_versions_narrow_them() {
        let r = rules();
        let fortios = item(
            Some("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"),
            "Fortinet",
            "FortiOS",
            Some(">=7.0, <7.2.7"),
        );
        let advisory = product(
            Some("Fortinet"),
            Some("FortiOS"),
            Some("cpe:/o:fortinet:fortios"),
        );
        let reason = matches(&fortios, &advisory, &r);
        assert_eq!(
            reason.as_deref(),
            Some(
                "matched inventory: Fortinet FortiOS (>=7.0, <7.2.7) (by CPE fortinet:fortios, the advisory states no version)"
            )
        );
        let old = product(
            None,
            None,
            Some("cpe:2.3:o:fortinet:fortios:6.4.9:*:*:*:*:*:*:*"),
        );
        assert_eq!(
            matches(&fortios, &old, &r),
            None,
            "6.4.9 is outside the range"
        );
        let inside = product(
            None,
            None,
            Some("cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*"),
        );
        assert!(
            matches(&fortios, &inside, &r)
                .is_some_and(|m| m.contains("version 7.2.5 in >=7.0, <7.2.7"))
        );
        let proxy = product(None, None, Some("cpe:/a:fortinet:fortiproxy"));
        assert_eq!(matches(&fortios, &proxy, &r), None);
    }

    #[test]
    fn names_match_across_width_case_and_vendor_aliases() {
        let r = rules();
        let garoon = item(None, "サイボウズ株式会社", "ｇａｒｏｏｎ", None);
        let advisory = product(Some("Cybozu, Inc."), Some("Garoon"), None);
        assert!(matches(&garoon, &advisory, &r).is_some());
        let from_cpe = product(None, None, Some("cpe:/a:cybozu:garoon"));
        assert!(matches(&garoon, &from_cpe, &r).is_some());
        let other_vendor = product(Some("Desknets"), Some("Garoon"), None);
        assert_eq!(matches(&garoon, &other_vendor, &r), None);
        let ics = item(None, "Ivanti", "Connect Secure", None);
        let kev = product(
            Some("Ivanti"),
            Some("Connect Secure and Policy Secure"),
            None,
        );
        assert!(matches(&ics, &kev, &r).is_some());
    }
}
