use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrgId,
    pub name: String,
    /// The token's first characters, shown so people can tell their tokens apart.
    pub prefix: String,
    /// SHA-256 (hex) of the token; the token itself is shown once and never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Comma-separated: read, acknowledge, report.
    pub scopes: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
