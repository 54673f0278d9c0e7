use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ack_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: AlertId,
    pub organisation_id: OrgId,
    /// Random; the token is HMAC(key, id, nonce), never stored.
    pub nonce: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
