use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "advisory_classifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub advisory_id: i64,
    /// The advisory fingerprint classified: a changed advisory is classified again.
    pub advisory_fingerprint: String,
    pub rules_version: String,
    /// Hash of the rules file used, or `stale` when the classification must be redone.
    pub rules_hash: String,
    pub severity: String,
    pub score: Option<f64>,
    /// JSON array of category ids.
    pub categories: String,
    /// JSON array of products.
    pub products: String,
    pub relevance: String,
    /// JSON array of themes.
    pub themes: String,
    /// JSON array of the CVE ids found in CISA KEV.
    pub kev_cves: String,
    /// JSON array of rule firings.
    pub explanation: String,
    pub classified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
