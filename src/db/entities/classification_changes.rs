use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "classification_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub advisory_id: i64,
    pub rules_version: String,
    /// What changed, in words.
    pub changes: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
