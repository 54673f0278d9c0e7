use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, IssueId, OrgId, RevisionId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The alert and revision a copy is of; none for a メールマガジン copy.
    pub alert_id: Option<AlertId>,
    pub revision_id: Option<RevisionId>,
    pub organisation_id: OrgId,
    /// The contact address; none for a self-subscribed staff member's copy.
    pub contact_id: Option<i64>,
    pub email: String,
    pub encoding: String,
    pub language: String,
    /// 0 urgent, 1 normal, 2 drill, 3 digest: lower goes first, in its own lane.
    pub priority: i16,
    /// queued, sending, sent, deferred, failed, bounced.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub message_id: Option<String>,
    /// The relay's reply to the last attempt.
    pub last_reply: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// alert (the revision itself), reminder or escalation.
    pub kind: String,
    /// Taken over from a process whose lease ran out while it held the row: the message may
    /// have reached the relay before that process died, so the recipient may have it twice.
    pub possible_duplicate: bool,
    /// When a bounce for this delivery came back (the row is then `bounced`).
    pub bounced_at: Option<DateTimeUtc>,
    /// The enhanced status code of the bounce (`5.1.1`), or the SMTP code when it gave none.
    pub bounce_status: Option<String>,
    pub bounce_reason: Option<String>,
    /// The メールマガジン issue a copy is of.
    pub magazine_issue_id: Option<IssueId>,
    /// The self-subscribed staff member a magazine copy goes to.
    pub subscriber_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
