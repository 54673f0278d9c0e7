use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

/// A message that came back to the hub's inbound mailbox, kept once (by digest).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the message with its transport headers left out: the same reply delivered
    /// twice is one row.
    #[sea_orm(unique)]
    pub digest: String,
    pub message_id: Option<String>,
    pub from_address: String,
    pub subject: String,
    /// bounce, auto_reply, reply or unknown.
    pub kind: String,
    /// recorded, refused or pending (waiting for an operator at /admin/inbound), dismissed.
    pub outcome: String,
    pub delivery_id: Option<i64>,
    pub alert_id: Option<AlertId>,
    pub organisation_id: Option<OrgId>,
    /// What was found or done, in words.
    pub detail: String,
    /// The first lines of the text (for the operator).
    pub excerpt: String,
    /// The file name in the Maildir.
    pub file: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
