use sea_orm::entity::prelude::*;

use crate::domain::ids::{InquiryId, ReportId};

/// A mail that belongs to no alert (to the hub administrators, 連絡先確認, report and survey mails),
/// queued in the transaction of the change; it leaves from its own VERP address.
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
    /// When a bounce to this notice's own envelope sender came back (first one wins).
    pub bounced_at: Option<DateTimeUtc>,
    /// The bounce's status code (`5.1.1`).
    pub bounce_status: Option<String>,
    pub bounce_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
