use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: OrgId,
    #[sea_orm(unique)]
    pub code: String,
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub prefecture: Option<i16>,
    pub parent_id: Option<OrgId>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Its own 問合せ先 (a prefecture's alerts, drills, surveys and answers carry it).
    pub inquiry_line: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
