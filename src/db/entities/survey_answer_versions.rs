use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, SurveyId};

/// One saved version of an organisation's answers, as saved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answer_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survey_id: SurveyId,
    pub organisation_id: OrgId,
    pub answers: String,
    pub submitted: bool,
    pub late: bool,
    pub saved_by: String,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
