use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_audience")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub alert_id: AlertId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: OrgId,
    /// JSON array of the reasons the organisation is in the audience.
    pub reasons: String,
    /// The revision that first reached it.
    pub first_revision: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
