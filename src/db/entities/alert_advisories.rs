use sea_orm::entity::prelude::*;

use crate::domain::ids::AlertId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_advisories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub alert_id: AlertId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub advisory_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
