use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrgId,
    /// CPE 2.3 name, when the organisation gave one.
    pub cpe: Option<String>,
    pub vendor: String,
    pub product: String,
    /// A version range such as `>=7.0, <7.2.7`; none means every version.
    pub versions: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
