use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

/// The 次年度の計画 of one 年度報告: the nation's (written by central staff) or a prefecture's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "yearly_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fiscal_year: i32,
    pub organisation_id: OrgId,
    pub text: String,
    /// The report's other written parts: a JSON object of part → text (`yearly::PARTS`).
    #[sea_orm(column_type = "Text", nullable)]
    pub parts: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
