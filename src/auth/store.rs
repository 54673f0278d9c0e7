//! Database access for users.

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{EmailAddress, Role, User, UserId};
use crate::db::entities::users;
use crate::db::is_unique_violation;
use crate::registry::OrgId;

fn to_domain(m: users::Model) -> anyhow::Result<User> {
    user_from(Columns {
        id: m.id,
        organisation_id: m.organisation_id,
        email: &m.email,
        display_name: m.display_name,
        role: &m.role,
        disabled: m.disabled,
        must_change_password: m.must_change_password,
        created_by: m.created_by,
        awaiting_enable: m.awaiting_enable,
        second_factor: m.totp_enabled_at.is_some(),
    })
}

/// A user's stored columns (for queries that join users with other tables).
pub(crate) struct Columns<'a> {
    pub id: UserId,
    pub organisation_id: OrgId,
    pub email: &'a str,
    pub display_name: String,
    pub role: &'a str,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_by: Option<UserId>,
    pub awaiting_enable: bool,
    pub second_factor: bool,
}

/// A user from its stored columns.
pub(crate) fn user_from(c: Columns<'_>) -> anyhow::Result<User> {
    Ok(User {
        id: c.id,
        org_id: c.organisation_id,
        email: EmailAddress::parse(c.email)
            .with_context(|| format!("user {} has an invalid stored address", c.id))?,
        display_name: c.display_name,
        role: Role::parse(c.role)?,
        disabled: c.disabled,
        must_change_password: c.must_change_password,
        created_by: c.created_by,
        awaiting_enable: c.awaiting_enable,
        second_factor: c.second_factor,
    })
}

/// A user about to be written; the password is already hashed.
pub struct NewUser {
    pub org_id: OrgId,
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    /// Set when someone other than the user chose the password (an initial password shown to
    /// an administrator): the user must change it at the next login.
    pub must_change_password: bool,
    /// Who created it in the portal.
    pub created_by: Option<UserId>,
    /// Disabled until a hub administrator enables it (a privileged account made in the portal).
    pub awaiting_enable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("a user with the address {0} already exists")]
    EmailTaken(EmailAddress),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub async fn insert(db: &impl ConnectionTrait, new: NewUser) -> Result<User, InsertUserError> {
    let now = Utc::now();
    let row = users::ActiveModel {
        organisation_id: Set(new.org_id),
        email: Set(new.email.as_str().to_owned()),
        display_name: Set(new.display_name),
        role: Set(new.role.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        must_change_password: Set(new.must_change_password),
        disabled: Set(new.awaiting_enable),
        created_by: Set(new.created_by),
        awaiting_enable: Set(new.awaiting_enable),
        failed_logins: Set(0),
        locked_until: Set(None),
        password_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(m) => Ok(to_domain(m)?),
        Err(e) if is_unique_violation(&e) => Err(InsertUserError::EmailTaken(new.email)),
        Err(e) => Err(anyhow::Error::new(e)
            .context("cannot write the user")
            .into()),
    }
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> anyhow::Result<Option<User>> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(db)
        .await
        .context("cannot read users")?
        .map(to_domain)
        .transpose()
}

pub async fn list_for_org(db: &impl ConnectionTrait, org: OrgId) -> anyhow::Result<Vec<User>> {
    users::Entity::find()
        .filter(users::Column::OrganisationId.eq(org.0))
        .order_by_asc(users::Column::Email)
        .all(db)
        .await
        .context("cannot read users")?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn count(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    users::Entity::find()
        .count(db)
        .await
        .context("cannot count users")
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: UserId) -> anyhow::Result<Option<User>> {
    users::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the user")?
        .map(to_domain)
        .transpose()
}

/// Whether the account still waits for a hub administrator to enable it.
pub async fn set_awaiting_enable(
    db: &impl ConnectionTrait,
    id: UserId,
    awaiting: bool,
) -> anyhow::Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::AwaitingEnable,
            sea_orm::sea_query::Expr::value(awaiting),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot update the user")?;
    Ok(())
}

/// What the login check needs besides the user: the hash and the lockout counters.
pub struct LoginRecord {
    pub user: User,
    pub password_hash: String,
    pub failed_logins: i32,
    pub locked_until: Option<chrono::DateTime<Utc>>,
}

pub async fn login_record(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> anyhow::Result<Option<LoginRecord>> {
    let Some(m) = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(db)
        .await
        .context("cannot read the user")?
    else {
        return Ok(None);
    };
    let (password_hash, failed_logins, locked_until) =
        (m.password_hash.clone(), m.failed_logins, m.locked_until);
    Ok(Some(LoginRecord {
        user: to_domain(m)?,
        password_hash,
        failed_logins,
        locked_until,
    }))
}

/// Counts one failed login in a single statement (`failed_logins + 1`), so concurrent failures
/// never overwrite each other's count; returns the new count.
pub async fn count_failure(db: &impl ConnectionTrait, id: UserId) -> anyhow::Result<i32> {
    let row = db
        .query_one_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
            vec![id.0.into()],
        ))
        .await
        .context("cannot count the failed login")?
        .context("the user is gone")?;
    row.try_get("", "failed_logins")
        .context("cannot read the failed-login count")
}

/// Locks a user until `until`, unless a later lock is already in place.
pub async fn lock_until(
    db: &impl ConnectionTrait,
    id: UserId,
    until: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    db.execute_raw(crate::db::statement(
        db.get_database_backend(),
        "UPDATE users SET locked_until = $2 WHERE id = $1 AND (locked_until IS NULL OR locked_until < $2)",
        vec![id.0.into(), until.into()],
    ))
    .await
    .context("cannot lock the user")?;
    Ok(())
}

/// Marks (or clears) that the user must choose a new password at the next login.
pub async fn set_must_change_password(
    db: &impl ConnectionTrait,
    id: UserId,
    must: bool,
) -> anyhow::Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::MustChangePassword,
            sea_orm::sea_query::Expr::value(must),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot update the user")?;
    Ok(())
}

/// The hub administrators who can be written to (not disabled).
pub async fn active_admins(db: &impl ConnectionTrait) -> anyhow::Result<Vec<User>> {
    users::Entity::find()
        .filter(users::Column::Role.eq(Role::Admin.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await
        .context("cannot read the hub administrators")?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn set_login_state(
    db: &impl ConnectionTrait,
    id: UserId,
    failed_logins: i32,
    locked_until: Option<chrono::DateTime<Utc>>,
) -> anyhow::Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::FailedLogins,
            sea_orm::sea_query::Expr::value(failed_logins),
        )
        .col_expr(
            users::Column::LockedUntil,
            sea_orm::sea_query::Expr::value(locked_until),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot update the user's login state")?;
    Ok(())
}

/// Replaces a user's password hash.
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: UserId,
    hash: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    users::Entity::update_many()
        .col_expr(
            users::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(hash),
        )
        .col_expr(
            users::Column::PasswordChangedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            users::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot change the password")?;
    Ok(())
}

/// Marks a user disabled or enabled.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    id: UserId,
    disabled: bool,
) -> anyhow::Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::Disabled,
            sea_orm::sea_query::Expr::value(disabled),
        )
        .col_expr(
            users::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot change the user")?;
    Ok(())
}

/// Users whose address contains `needle` (or all, when empty), by address; at most `limit`.
pub async fn search(
    db: &impl ConnectionTrait,
    needle: &str,
    limit: u64,
) -> anyhow::Result<Vec<User>> {
    use sea_orm::QuerySelect;
    let mut q = users::Entity::find().order_by_asc(users::Column::Email);
    let needle = needle.trim().to_lowercase();
    if !needle.is_empty() {
        q = q.filter(users::Column::Email.contains(needle));
    }
    q.limit(limit)
        .all(db)
        .await
        .context("cannot search users")?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// How many users each organisation has, by organisation id.
pub async fn count_by_org(
    db: &impl ConnectionTrait,
) -> anyhow::Result<std::collections::HashMap<OrgId, i64>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(OrgId, i64)> = users::Entity::find()
        .select_only()
        .column(users::Column::OrganisationId)
        .column_as(users::Column::Id.count(), "n")
        .group_by(users::Column::OrganisationId)
        .into_tuple()
        .all(db)
        .await
        .context("cannot count users")?;
    Ok(rows.into_iter().collect())
}

/// The user's second-factor columns: the sealed secret, when it was enabled, the last step.
pub struct SecondFactorRecord {
    pub sealed: Option<String>,
    pub enabled_at: Option<chrono::DateTime<Utc>>,
    pub last_step: Option<i64>,
    pub locked_until: Option<chrono::DateTime<Utc>>,
}

pub async fn second_factor(
    db: &impl ConnectionTrait,
    id: UserId,
) -> anyhow::Result<Option<SecondFactorRecord>> {
    Ok(users::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the user")?
        .map(|m| SecondFactorRecord {
            sealed: m.totp_secret,
            enabled_at: m.totp_enabled_at,
            last_step: m.totp_last_step,
            locked_until: m.locked_until,
        }))
}

/// Stores a sealed secret and whether it is enabled (`None`: enrolling, or reset when
/// `sealed` is `None` too).
pub async fn set_second_factor(
    db: &impl ConnectionTrait,
    id: UserId,
    sealed: Option<String>,
    enabled_at: Option<chrono::DateTime<Utc>>,
) -> anyhow::Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TotpSecret,
            sea_orm::sea_query::Expr::value(sealed),
        )
        .col_expr(
            users::Column::TotpEnabledAt,
            sea_orm::sea_query::Expr::value(enabled_at),
        )
        .col_expr(
            users::Column::TotpLastStep,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await
        .context("cannot store the second factor")?;
    Ok(())
}

/// Takes time step `step` for the user's code: true when it is later than the last one taken
/// (one statement, so a code is accepted once even by two processes).
pub async fn take_step(db: &impl ConnectionTrait, id: UserId, step: i64) -> anyhow::Result<bool> {
    let done = db
        .execute_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 \
             AND (totp_last_step IS NULL OR totp_last_step < $2)",
            vec![id.0.into(), step.into()],
        ))
        .await
        .context("cannot record the code")?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the user's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    id: UserId,
    hashes: &[String],
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::db::entities::user_recovery_codes as codes;
    codes::Entity::delete_many()
        .filter(codes::Column::UserId.eq(id.0))
        .exec(db)
        .await
        .context("cannot remove the recovery codes")?;
    for h in hashes {
        codes::ActiveModel {
            user_id: Set(id),
            code_hash: Set(h.clone()),
            created_at: Set(now),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .context("cannot store a recovery code")?;
    }
    Ok(())
}

/// Uses an unused recovery code of the user with this hash: true when there was one.
pub async fn use_recovery_code(
    db: &impl ConnectionTrait,
    id: UserId,
    hash: &str,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = db
        .execute_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE user_recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            vec![id.0.into(), hash.into(), now.into()],
        ))
        .await
        .context("cannot use the recovery code")?;
    Ok(done.rows_affected() >= 1)
}

/// Recovery codes the user has left.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, id: UserId) -> anyhow::Result<u64> {
    use crate::db::entities::user_recovery_codes as codes;
    codes::Entity::find()
        .filter(codes::Column::UserId.eq(id.0))
        .filter(codes::Column::UsedAt.is_null())
        .count(db)
        .await
        .context("cannot count the recovery codes")
}
