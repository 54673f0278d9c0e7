use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrgId,
    pub email: String,
    /// primary, backup or role.
    pub kind: String,
    /// ja or en.
    pub language: String,
    /// utf-8 or iso-2022-jp.
    pub encoding: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// Permanent bounces since the address last worked.
    pub hard_bounces: i32,
    pub last_bounce_at: Option<DateTimeUtc>,
    /// Set after repeated permanent bounces; cleared when the organisation confirms the address.
    pub unreachable: bool,
    /// When the organisation last confirmed the address (連絡先確認).
    pub confirmed_at: Option<DateTimeUtc>,
    /// Why the address may receive more than TLP:CLEAR: domain, admin, address or legacy
    /// (`contacts::Verified`); none until then.
    pub verified_by: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
