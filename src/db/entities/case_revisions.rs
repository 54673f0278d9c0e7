use sea_orm::entity::prelude::*;

use crate::domain::ids::CaseId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: CaseId,
    pub revision: i32,
    /// submit, edit, publish, revise, withdraw.
    pub action: String,
    /// The case after the change, as JSON.
    pub snapshot: String,
    pub note: Option<String>,
    pub author: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
