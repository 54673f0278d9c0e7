use sea_orm::entity::prelude::*;

use crate::domain::ids::{OrgId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: UserId,
    pub organisation_id: OrgId,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub password_changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub must_change_password: bool,
    /// Who created the account in the portal (none for the command line and the hub itself).
    pub created_by: Option<UserId>,
    /// A privileged account created in the portal: disabled until a hub administrator other
    /// than its creator enables it.
    pub awaiting_enable: bool,
    /// The TOTP secret, sealed under the second-factor key (`auth::second_factor`); set while
    /// enrolling too, before `totp_enabled_at`.
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The last time step a code was accepted for: a code works once.
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
