//! Users, roles and passwords. Owns the `users` table; asks the registry for organisations and
//! never touches other capabilities' tables.

mod email;
pub mod password;
mod role;
pub mod session;
pub mod store;
pub mod tokens;

pub use email::{EmailAddress, EmailError};
pub use role::{ALL_ROLES, Role, RoleError};

use std::fmt;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::SecretString;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::config::AuthSettings;
use crate::db::begin_write;
use crate::registry::{self, OrgCode, OrgId, Organisation};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
}

/// What `noroshi user add` (and later the admin pages) ask for.
pub struct AddUser {
    pub org: OrgCode,
    pub role: Role,
    pub email: EmailAddress,
    pub display_name: Option<String>,
    pub password: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    #[error("no organisation has the code {0}")]
    UnknownOrganisation(OrgCode),
    #[error("{0}")]
    RoleMismatch(String),
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error("the display name is too long (at most 100 characters)")]
    NameTooLong,
    #[error("a user with the address {0} already exists")]
    EmailTaken(EmailAddress),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Creates a user after every check has passed, with its audit entry in the same transaction.
#[tracing::instrument(name = "Add user", skip_all, fields(org = %req.org, role = %req.role))]
pub async fn add_user<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    req: AddUser,
    actor: &Actor,
) -> Result<(User, Organisation), AddUserError> {
    let org = registry::store::find_by_code(db, req.org)
        .await?
        .ok_or(AddUserError::UnknownOrganisation(req.org))?;
    req.role
        .fits(org.kind)
        .map_err(AddUserError::RoleMismatch)?;
    password::check_policy(&req.password, settings)?;
    let display_name = req
        .display_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| req.email.as_str().to_owned());
    if display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
        return Err(AddUserError::NameTooLong);
    }
    let password_hash = password::hash(&req.password, settings)?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let user = store::insert(
        &txn,
        store::NewUser {
            org_id: org.id,
            email: req.email,
            display_name,
            role: req.role,
            password_hash,
        },
    )
    .await
    .map_err(|e| match e {
        store::InsertUserError::EmailTaken(email) => AddUserError::EmailTaken(email),
        store::InsertUserError::Unexpected(e) => AddUserError::Unexpected(e),
    })?;
    audit::record(
        &txn,
        actor,
        "user.create",
        &format!("user:{}", user.id),
        serde_json::json!({
            "email": user.email.as_str(),
            "role": user.role.as_str(),
            "organisation": org.code.to_string(),
        }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok((user, org))
}

/// A random one-time password for a new user or a reset: at least 20 URL-safe characters
/// (about 120 bits), never shorter than the policy asks.
pub fn temporary_password(settings: &AuthSettings) -> SecretString {
    let length = settings.min_password_length.clamp(20, 40);
    SecretString::from(
        session::random_token()
            .chars()
            .take(length)
            .collect::<String>(),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum ManageUserError {
    #[error("no such user")]
    NotFound,
    #[error("you cannot do this to your own account")]
    Own,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Disables or re-enables a user. Disabling ends every session of theirs at once. Audited.
pub async fn set_disabled<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    target: UserId,
    disabled: bool,
    actor: &Actor,
) -> Result<User, ManageUserError> {
    if matches!(actor, Actor::User { id, .. } if *id == target.0) {
        return Err(ManageUserError::Own);
    }
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let user = store::find_by_id(&txn, target)
        .await?
        .ok_or(ManageUserError::NotFound)?;
    store::set_disabled(&txn, target, disabled).await?;
    if disabled {
        session::end_all(&txn, target).await?;
    }
    audit::record(
        &txn,
        actor,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &format!("user:{target}"),
        serde_json::json!({ "email": user.email.as_str() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(User { disabled, ..user })
}

/// Gives a user a new random password, shown once to the administrator, ends their sessions and
/// clears any lockout. Audited (without the password).
pub async fn reset_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    target: UserId,
    actor: &Actor,
) -> Result<(User, SecretString), ManageUserError> {
    if matches!(actor, Actor::User { id, .. } if *id == target.0) {
        return Err(ManageUserError::Own);
    }
    let user = store::find_by_id(db, target)
        .await?
        .ok_or(ManageUserError::NotFound)?;
    let temporary = temporary_password(settings);
    let hash = password::hash(&temporary, settings)?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    store::set_password_hash(&txn, target, &hash).await?;
    store::set_login_state(&txn, target, 0, None).await?;
    session::end_all(&txn, target).await?;
    audit::record(
        &txn,
        actor,
        "user.password_reset",
        &format!("user:{target}"),
        serde_json::json!({ "email": user.email.as_str() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok((user, temporary))
}
