use sea_orm::entity::prelude::*;

/// An item of a well-formed upstream document that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantined_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_key: String,
    /// The raw document it came in (kept in `raw_documents`).
    pub raw_sha256: String,
    /// 1 for the document's first item.
    pub position: i32,
    pub upstream_id: Option<String>,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
