use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, SurveyId};

/// An organisation a published survey was addressed to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_targets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survey_id: SurveyId,
    pub organisation_id: OrgId,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
