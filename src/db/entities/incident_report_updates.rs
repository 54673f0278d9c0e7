use sea_orm::entity::prelude::*;

use crate::domain::ids::ReportId;

/// One 報 of a report (第1報, 第2報 … 最終報): every field as its author wrote it, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_report_updates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: ReportId,
    pub seq: i32,
    pub r#final: bool,
    pub fields: String,
    pub author: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
