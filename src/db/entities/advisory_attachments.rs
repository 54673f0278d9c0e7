use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "advisory_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub advisory_id: i64,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
