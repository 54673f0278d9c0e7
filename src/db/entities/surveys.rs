use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, SurveyId};

/// A survey (緊急点検, 重点検査 / 自己点検): its questions as JSON, its audience selectors, its
/// four-eyes state and the follow-ups it has had.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "surveys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: SurveyId,
    pub kind: String,
    /// `draft`, `submitted` or `published`.
    pub status: String,
    pub title: String,
    pub definition: String,
    pub audience: String,
    pub deadline: DateTimeUtc,
    /// The prefecture that runs it for its municipalities; none for the centre.
    pub owner_organisation_id: Option<OrgId>,
    /// The first round, when this is the second.
    pub previous_id: Option<SurveyId>,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub approved_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub results_sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
