use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: AlertId,
    /// The prefecture that wrote it; its municipalities see it.
    pub organisation_id: OrgId,
    pub body: String,
    pub author: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
