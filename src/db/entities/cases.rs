use sea_orm::entity::prelude::*;

use crate::domain::ids::{CaseId, OrgId, ReportId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: CaseId,
    pub kind: String,
    pub status: String,
    pub revision: i32,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub measures: String,
    pub lessons: String,
    /// JSON array of category ids.
    pub categories: String,
    /// JSON array of cause ids.
    pub causes: String,
    /// JSON array of alert ids (NRS-…).
    pub alert_ids: String,
    /// JSON array of advisory ids (JVNDB-…, CVE-…).
    pub advisory_ids: String,
    pub org_kind: String,
    pub size_band: String,
    pub prefecture_code: Option<i16>,
    pub organisation_id: Option<OrgId>,
    pub named: bool,
    pub occurred_on: Option<Date>,
    pub found_on: Option<Date>,
    pub reported_on: Option<Date>,
    pub records_affected: Option<i64>,
    pub systems_affected: String,
    pub tlp: String,
    pub source: String,
    /// 公表: the organisation made the incident public, and when.
    pub publicised: bool,
    pub publicised_on: Option<Date>,
    pub submitted_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    /// The incident report the case was made from, and that report's TLP: the case starts there
    /// and is made looser only by an audited decision.
    pub source_report_id: Option<ReportId>,
    pub source_tlp: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
