use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId, RevisionId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_ups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub alert_id: AlertId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: OrgId,
    /// reminder (to the organisation), escalated (a silent municipality, marked on the board)
    /// or escalation (the mail to its prefecture).
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    pub revision_id: RevisionId,
    /// Mails queued for it.
    pub recipients: i32,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
