use sea_orm::entity::prelude::*;

use crate::domain::ids::{AlertId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: AlertId,
    pub status: String,
    pub title: String,
    pub body: String,
    pub severity: String,
    /// JSON array of category ids.
    pub categories: String,
    pub tlp: String,
    pub ack_required: bool,
    pub ack_within_hours: Option<i32>,
    pub ack_office_days: bool,
    pub drill: bool,
    /// JSON audience specification.
    pub audience: String,
    /// Who or what made it: `policy:<rule>`, `user:<id>`, `cli:<os user>`.
    pub origin: String,
    /// The advisory cluster a policy draft was made for (one draft per cluster).
    pub cluster_key: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `NRS-2026-0001`, given at first publication.
    pub public_id: Option<String>,
    /// Who submitted the current version for approval (`user:<id>:<email>`).
    pub submitted_by: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    /// How many revisions (第N報) have gone out.
    pub published_revision: i32,
    /// What the version waiting for approval changes, in the operator's words.
    pub pending_changes: Option<String>,
    /// NULL for the centre; the prefecture that owns a prefecture's own drill or alert.
    pub owner_organisation_id: Option<OrgId>,
    /// A scheduled drill's start: its 第1報 is sent then, not at approval.
    pub starts_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
