use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "raw_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub source_key: String,
    pub media_type: Option<String>,
    /// Size of the document as received.
    pub size: i64,
    /// How `content` is stored: `zstd` or `identity`.
    pub encoding: String,
    pub origin: String,
    pub received_at: DateTimeUtc,
    /// The document, compressed as `encoding` says; read it with `ingest::store::raw_bytes`.
    pub content: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
