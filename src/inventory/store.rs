//! Database access for inventories.

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::InventoryItem;
use crate::db::entities::org_products;
use crate::domain::cpe::{Cpe, VersionRange};
use crate::registry::OrgId;

fn to_domain(m: org_products::Model) -> InventoryItem {
    InventoryItem {
        id: m.id,
        org_id: m.organisation_id,
        cpe: m.cpe.as_deref().and_then(|c| Cpe::parse(c).ok()),
        cpe_text: m.cpe,
        vendor: m.vendor,
        product: m.product,
        versions: m
            .versions
            .as_deref()
            .and_then(|v| VersionRange::parse(v).ok()),
        versions_text: m.versions,
        note: m.note,
    }
}

/// A checked item about to be written.
pub struct NewItem {
    pub org_id: OrgId,
    pub cpe: Option<Cpe>,
    pub vendor: String,
    pub product: String,
    pub versions: Option<VersionRange>,
    pub note: Option<String>,
}

pub async fn insert(db: &impl ConnectionTrait, item: NewItem) -> anyhow::Result<InventoryItem> {
    let row = org_products::ActiveModel {
        organisation_id: Set(item.org_id),
        cpe: Set(item.cpe.map(|c| c.to_string())),
        vendor: Set(item.vendor),
        product: Set(item.product),
        versions: Set(item.versions.map(|v| v.as_str().to_owned())),
        note: Set(item.note),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the inventory item")?;
    Ok(to_domain(row))
}

pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> anyhow::Result<Vec<InventoryItem>> {
    Ok(org_products::Entity::find()
        .filter(org_products::Column::OrganisationId.eq(org.0))
        .order_by_asc(org_products::Column::Id)
        .all(db)
        .await
        .context("cannot read inventories")?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// Every item of every organisation (for audience resolution).
pub async fn all(db: &impl ConnectionTrait) -> anyhow::Result<Vec<InventoryItem>> {
    Ok(org_products::Entity::find()
        .order_by_asc(org_products::Column::Id)
        .all(db)
        .await
        .context("cannot read inventories")?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// Removes one item of `org`; false when it has no such item.
pub async fn remove(db: &impl ConnectionTrait, org: OrgId, id: i64) -> anyhow::Result<bool> {
    let res = org_products::Entity::delete_many()
        .filter(org_products::Column::Id.eq(id))
        .filter(org_products::Column::OrganisationId.eq(org.0))
        .exec(db)
        .await
        .context("cannot remove the inventory item")?;
    Ok(res.rows_affected > 0)
}
