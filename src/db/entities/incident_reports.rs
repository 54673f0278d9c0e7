use sea_orm::entity::prelude::*;

use crate::domain::ids::{CaseId, OrgId, ReportId};

/// One 障害・事故等報告: who reported, its marking and state; what it says is in its 報
/// (`incident_report_updates`), kept as written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: ReportId,
    pub organisation_id: OrgId,
    pub tlp: String,
    /// `open` or `closed` (a 最終報 closes it).
    pub status: String,
    pub found_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub last_update_at: DateTimeUtc,
    /// How many 報 it has.
    pub updates: i32,
    /// The 報 count when the organisation was last reminded (once per timer).
    pub reminded_for: i32,
    pub confirmed_at: Option<DateTimeUtc>,
    pub confirmed_by: Option<String>,
    pub forwarded_at: Option<DateTimeUtc>,
    pub forwarded_by: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    /// The case central staff made of it.
    pub case_id: Option<CaseId>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
