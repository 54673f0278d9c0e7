use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, ReportId};

/// A note a prefecture adds to one of its municipalities' reports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_report_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: ReportId,
    pub organisation_id: OrgId,
    pub body: String,
    pub author: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
