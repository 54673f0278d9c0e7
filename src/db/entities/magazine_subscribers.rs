use sea_orm::entity::prelude::*;

use crate::domain::ids::OrgId;

/// A staff member who subscribed to the メールマガジン themselves (double opt-in).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magazine_subscribers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    /// The organisation that holds the address's domain, or whose signed-in user subscribed.
    pub organisation_id: OrgId,
    /// ja or en.
    pub language: String,
    /// utf-8 or iso-2022-jp.
    pub encoding: String,
    /// pending, active or unsubscribed.
    pub status: String,
    /// SHA-256 of the confirmation link's token while one is outstanding.
    pub confirm_hash: Option<String>,
    pub confirm_expires_at: Option<DateTimeUtc>,
    /// When a confirmation (or "already subscribed") mail last went out: one per 10 minutes.
    pub last_mailed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    /// Who vouched that the reader is the organisation's own (`user:<id>:<email>`): the reader
    /// is then sent the organisation's items, otherwise TLP:CLEAR ones only.
    pub vouched_by: Option<String>,
    pub vouched_at: Option<DateTimeUtc>,
    /// The address as limits count it: lower case, without a `+tag`.
    pub limit_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
