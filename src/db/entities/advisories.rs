use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "advisories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_key: String,
    pub upstream_id: String,
    pub kind: String,
    pub url: Option<String>,
    pub title: String,
    pub summary_html: String,
    pub summary_text: String,
    pub published_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// JSON array of CVE ids.
    pub cve_ids: String,
    /// JSON array of CVSS entries.
    pub cvss: String,
    /// JSON array of products.
    pub products: String,
    /// JSON array of references.
    pub ref_list: String,
    pub tlp: Option<String>,
    pub lang: Option<String>,
    pub withdrawn: bool,
    /// JSON object of source-specific facts.
    pub extra: String,
    pub fingerprint: String,
    pub revision: i32,
    pub raw_sha256: String,
    /// The cluster (smallest advisory id among those sharing CVE ids); NULL when the advisory
    /// shares none, i.e. it is alone in its own cluster.
    pub cluster_id: Option<i64>,
    pub first_seen_at: DateTimeUtc,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
