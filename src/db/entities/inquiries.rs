use sea_orm::entity::prelude::*;

use crate::domain::ids::{InquiryId, OrgId};

/// A 照会: a question an organisation asked, routed to a desk.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inquiries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: InquiryId,
    pub organisation_id: OrgId,
    /// The prefecture that answers; `None`: the centre.
    pub desk_organisation_id: Option<OrgId>,
    /// alert, report, survey or general.
    pub about_kind: String,
    pub about_id: Option<i64>,
    pub title: String,
    /// Where the answer is mailed.
    pub asker_email: String,
    /// portal or mail.
    pub via: String,
    /// False when it came by mail our MTA did not vouch for.
    pub sender_vouched: bool,
    /// open, answered or closed.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub last_message_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub faq_question: Option<String>,
    pub faq_answer: Option<String>,
    pub faq_published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
