use sea_orm::entity::prelude::*;

use crate::domain::ids::IssueId;

/// One メールマガジン issue: draft, submitted, published (then it has its number).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magazine_issues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: IssueId,
    /// 第N号, given at publication.
    #[sea_orm(unique)]
    pub number: Option<i32>,
    pub period_from: DateTimeUtc,
    pub period_to: DateTimeUtc,
    pub title: String,
    /// The editor's introduction.
    pub intro: String,
    /// The items, JSON (`magazine::issue::Item`).
    pub items: String,
    /// draft, submitted or published.
    pub status: String,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
