use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "advisory_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub advisory_id: i64,
    /// The revision number this snapshot was, before it was replaced.
    pub revision: i32,
    /// JSON of the advisory's fields as they were.
    pub snapshot: String,
    /// Comma-separated names of the fields that changed.
    pub changed_fields: String,
    pub raw_sha256: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
