use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, RevisionId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: RevisionId,
    pub alert_id: AlertId,
    /// 1 for 第1報, 2 for 第2報 …
    pub number: i32,
    /// publish, revision or withdrawal.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub changes: Option<String>,
    pub severity: String,
    pub tlp: String,
    pub categories: String,
    pub drill: bool,
    pub ack_deadline: Option<DateTimeUtc>,
    pub submitted_by: String,
    pub approved_by: String,
    pub idempotency_key: Option<String>,
    /// Delivery rows written for this revision.
    pub recipients: i32,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
