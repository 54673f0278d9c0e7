use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, ReportId};

/// A step the centre or the prefecture takes on a report (`reports::steps::StepKind`), or a 連携
/// it records; the optional columns are those its kind uses.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_report_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: ReportId,
    pub kind: String,
    /// The desk that took it (the centre's body or the prefecture).
    pub organisation_id: OrgId,
    pub author: String,
    pub body: String,
    /// The 報 it answers.
    pub update_seq: Option<i32>,
    /// A request's due time; a 再発防止策's follow-up date.
    pub due_at: Option<DateTimeUtc>,
    /// 連携: nisc, police, ppc, jlis or other.
    pub partner: Option<String>,
    pub partner_name: Option<String>,
    /// 連携 to the 個人情報保護委員会: preliminary (速報) or final (確報).
    pub stage: Option<String>,
    pub reference: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
