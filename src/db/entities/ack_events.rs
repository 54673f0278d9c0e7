use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ack_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: AlertId,
    pub organisation_id: OrgId,
    pub state: String,
    pub note: Option<String>,
    /// Who: `user:<id>:<email>` or `mail-link`.
    pub actor: String,
    /// portal, mail_link, api, mail_reply.
    pub channel: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
