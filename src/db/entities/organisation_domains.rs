use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

/// A mail domain an organisation holds (`registry::domains`), kept by the hub administrators.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation_domains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrgId,
    #[sea_orm(unique)]
    pub domain: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
