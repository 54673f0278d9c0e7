use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, SurveyId};

/// An organisation's current answers to a survey (every saved version is in
/// `survey_answer_versions`), and its 改善方針.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survey_id: SurveyId,
    pub organisation_id: OrgId,
    pub answers: String,
    pub submitted: bool,
    pub submitted_at: Option<DateTimeUtc>,
    /// Changed after the deadline.
    pub late: bool,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
    pub plan: Option<String>,
    pub plan_fiscal_year: Option<i32>,
    pub plan_at: Option<DateTimeUtc>,
    /// 差し戻し: when, by whom and with what question the answer was sent back (a draft again
    /// until submitted anew).
    pub returned_at: Option<DateTimeUtc>,
    pub returned_by: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub return_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
