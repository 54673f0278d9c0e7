use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "acknowledgements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub alert_id: AlertId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: OrgId,
    /// received, in_progress, done or not_applicable (no row: 未確認).
    pub state: String,
    pub note: Option<String>,
    pub updated_by: String,
    /// When the organisation first reported any state (把握).
    pub first_known_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
