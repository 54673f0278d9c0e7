use sea_orm::entity::prelude::*;

/// A staff member who subscribed to the メールマガジン themselves (double opt-in).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magazine_subscribers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    /// The registered organisation whose mail domain the address is at.
    pub organisation_id: i64,
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
