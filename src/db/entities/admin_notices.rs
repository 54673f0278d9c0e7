use sea_orm::entity::prelude::*;

use crate::domain::ids::{InquiryId, ReportId};

/// A mail to the hub administrators (a privileged account was reset or disabled), queued in the
/// transaction of the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub claimed_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The incident report this mail tells of (its per-recipient ledger).
    pub report_id: Option<ReportId>,
    /// The 照会 this mail answers or tells a desk of.
    pub inquiry_id: Option<InquiryId>,
    /// security, report, inquiry, contact, survey or subscription (`notices::store::NoticeKind`).
    pub kind: String,
    /// Lower goes first: the kind's priority.
    pub priority: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
