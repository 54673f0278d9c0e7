//! Users, roles and passwords. Owns the `users`, `sessions`, `api_tokens` and `user_recovery_codes` tables; asks the registry for organisations and
//! never touches other capabilities' tables.

pub mod password;
pub mod second_factor;
pub mod session;
pub mod store;
pub mod tokens;

pub use crate::domain::{EmailAddress, EmailError};
pub use crate::registry::role::{ALL_ROLES, Role, RoleError};

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::SecretString;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::config::AuthSettings;
use crate::db::begin_write;
pub use crate::domain::ids::UserId;
use crate::registry::{self, OrgCode, OrgId, Organisation};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Someone else chose the current password (an initial or reset password): every page
    /// leads to the password change until the user has chosen their own.
    pub must_change_password: bool,
    /// Who created the account in the portal (none: the command line or the hub itself).
    pub created_by: Option<UserId>,
    /// A privileged account made in the portal, disabled until a hub administrator other than
    /// its creator enables it.
    pub awaiting_enable: bool,
    /// The user signs in with a second factor (TOTP) as well.
    pub second_factor: bool,
}

impl User {
    /// Whether this user may reset, disable or re-enable `target`: only a user whose role this
    /// user could itself grant (an organisation administrator never manages an approver, an
    /// operator or the hub administrator), and only within this user's own organisation unless
    /// this user is the hub administrator. Never oneself (that is the password change).
    pub fn may_manage(&self, target: &User) -> bool {
        self.id != target.id
            && self.role.may_grant(target.role)
            && (self.role == Role::Admin || self.org_id == target.org_id)
    }
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

impl crate::error::Classify for AddUserError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            e @ Self::UnknownOrganisation(_) => Failure::NotFound(e.to_string()),
            e @ Self::EmailTaken(_) => Failure::Conflict(e.to_string()),
            e @ (Self::RoleMismatch(_) | Self::Password(_) | Self::NameTooLong) => {
                Failure::Invalid(e.to_string())
            }
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Creates a user after every check has passed, with its audit entry in the same transaction:
/// at the command line on the hub's machine, or by the hub itself (the demo). A privileged
/// account made so is enabled at once, and the hub administrators are told.
#[tracing::instrument(name = "Add user", skip_all, fields(org = %req.org, role = %req.role))]
pub async fn add_user<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    req: AddUser,
    actor: &Actor,
) -> Result<(User, Organisation), AddUserError> {
    insert_user(db, settings, req, actor, None).await
}

/// Like [`add_user`], in the portal by `creator`, with a password the creator was shown: the
/// new user must change it at the first login. An account that can approve (a central
/// approver, a prefecture administrator, a hub administrator) stays disabled until a hub
/// administrator other than its creator enables it; the hub administrators are mailed.
pub async fn add_user_with_temporary_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    req: AddUser,
    creator: &User,
) -> Result<(User, Organisation), AddUserError> {
    insert_user(db, settings, req, &Actor::of(creator), Some(creator)).await
}

/// The user id in an actor string `user:<id>:<email>` (how authors and submitters are kept).
pub fn user_id_of(actor: &str) -> Option<UserId> {
    actor
        .strip_prefix("user:")?
        .split(':')
        .next()?
        .parse()
        .ok()
        .map(UserId)
}

/// Whether `approver` is a second person for what `others` (actor strings of the writer and
/// the submitter) did: never one of them (four eyes), and never tied to one of them by the
/// creation of an account — the creator of an account was shown its first password, so an
/// approver does not approve what an account it created wrote, nor what the account that
/// created it wrote. `Err` says why, in Japanese.
pub async fn independent(
    db: &impl ConnectionTrait,
    approver: &User,
    others: &[&str],
) -> anyhow::Result<Result<(), String>> {
    for actor in others {
        let Some(id) = user_id_of(actor) else {
            continue;
        };
        if id == approver.id {
            return Ok(Err(format!(
                "four eyes: {} wrote or submitted this and cannot also approve it",
                approver.email
            )));
        }
        let Some(other) = store::find_by_id(db, id).await? else {
            continue;
        };
        if other.created_by == Some(approver.id) {
            return Ok(Err(format!(
                "four eyes: {} created the account of {}, who wrote or submitted this; another approver approves it",
                approver.email, other.email
            )));
        }
        if approver.created_by == Some(other.id) {
            return Ok(Err(format!(
                "four eyes: {}'s account was created by {}, who wrote or submitted this; another approver approves it",
                approver.email, other.email
            )));
        }
    }
    Ok(Ok(()))
}

/// Roles that can approve what others wrote (alerts, drills, surveys, cases, メールマガジン issues):
/// a second eye. Such an account made in the portal needs a hub administrator to enable it.
pub fn approves(role: Role) -> bool {
    matches!(
        role,
        Role::CentralApprover | Role::PrefectureAdmin | Role::Admin
    )
}

async fn insert_user<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    req: AddUser,
    actor: &Actor,
    creator: Option<&User>,
) -> Result<(User, Organisation), AddUserError> {
    let must_change_password = creator.is_some();
    let awaiting_enable = creator.is_some() && approves(req.role);
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
            must_change_password,
            created_by: creator.map(|c| c.id),
            awaiting_enable,
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
            "awaiting_enable": awaiting_enable,
        }),
    )
    .await?;
    if privileged(user.role) {
        let (ja, en) = if awaiting_enable {
            (
                "作成（システム管理者の有効化待ち）",
                "creation (waiting for a hub administrator to enable it)",
            )
        } else {
            ("作成", "creation")
        };
        notify_admins(&txn, &actor.to_string(), &user, ja, en).await?;
    }
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
    /// No such user, or one the manager may not manage (answered alike, so that a manager
    /// cannot learn who exists above their role).
    #[error("no such user")]
    NotFound,
    #[error("you cannot do this to your own account")]
    Own,
    #[error("a privileged account is enabled by a hub administrator")]
    AwaitsHubAdmin,
    #[error("the account was created by you: another hub administrator enables it")]
    OwnCreation,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for ManageUserError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::NotFound => Failure::NotFound("no such user".into()),
            Self::Own => Failure::Conflict("自分自身のアカウントはここでは操作できません。".into()),
            Self::AwaitsHubAdmin => Failure::Forbidden(
                "このアカウントは承認できる役割のため、システム管理者が有効にします。".into(),
            ),
            Self::OwnCreation => Failure::Forbidden(
                "自分で作成したアカウントは有効にできません。別のシステム管理者が有効にします。"
                    .into(),
            ),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// The target of a reset or disable, if `manager` may manage them (see [`User::may_manage`]).
async fn managed(
    db: &impl ConnectionTrait,
    manager: &User,
    target: UserId,
) -> Result<User, ManageUserError> {
    if manager.id == target {
        return Err(ManageUserError::Own);
    }
    store::find_by_id(db, target)
        .await?
        .filter(|user| manager.may_manage(user))
        .ok_or(ManageUserError::NotFound)
}

/// A privileged account (central staff, the hub administrator, a prefecture administrator):
/// resets and disables of these are mailed to the hub administrators.
pub(crate) fn privileged(role: Role) -> bool {
    role.is_central() || role == Role::PrefectureAdmin
}

/// Queues a mail to the hub administrators about a change to a privileged account, in the
/// transaction of the change.
pub(crate) async fn notify_admins(
    db: &impl ConnectionTrait,
    by: &str,
    target: &User,
    what_ja: &str,
    what_en: &str,
) -> anyhow::Result<()> {
    if !privileged(target.role) {
        return Ok(());
    }
    let subject = format!(
        "[Noroshi] 特権アカウントの{what_ja} / {what_en} of a privileged account: {}",
        target.email
    );
    let now = chrono::Utc::now();
    let body = format!(
        "特権アカウントに次の操作が行われました。心当たりがない場合は直ちに確認してください。\n\
         A privileged account was changed. If you did not expect this, check at once.\n\n\
         操作 / action: {what_ja} / {what_en}\n\
         対象 / account: {} ({}, user:{})\n\
         実行者 / by: {by}\n\
         日時 / at: {}\n\n\
         有効化待ちのアカウントは /admin/users で確認してください / accounts waiting to be enabled: /admin/users\n\
         監査ログ / audit log: /admin/audit\n",
        target.email,
        target.role,
        target.id,
        crate::time::format_jst(&now),
    );
    for admin in store::active_admins(db).await? {
        crate::notices::store::queue(
            db,
            crate::notices::store::NoticeKind::Security,
            &admin.email,
            &subject,
            &body,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Disables or re-enables a user whom `manager` may manage. Disabling ends every session of
/// theirs at once. Audited; a privileged account's change is mailed to the hub administrators.
pub async fn set_disabled<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    manager: &User,
    target: UserId,
    disabled: bool,
) -> Result<User, ManageUserError> {
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let user = managed(&txn, manager, target).await?;
    if !disabled && user.awaiting_enable {
        if manager.role != Role::Admin {
            return Err(ManageUserError::AwaitsHubAdmin);
        }
        if user.created_by == Some(manager.id) {
            return Err(ManageUserError::OwnCreation);
        }
        store::set_awaiting_enable(&txn, target, false).await?;
        audit::record(
            &txn,
            &Actor::of(manager),
            "user.enable_privileged",
            &format!("user:{target}"),
            serde_json::json!({ "email": user.email.as_str(), "role": user.role.as_str(), "created_by": user.created_by }),
        )
        .await?;
    }
    store::set_disabled(&txn, target, disabled).await?;
    if disabled {
        session::end_all(&txn, target).await?;
        notify_admins(
            &txn,
            &Actor::of(manager).to_string(),
            &user,
            "停止",
            "disable",
        )
        .await?;
    }
    audit::record(
        &txn,
        &Actor::of(manager),
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &format!("user:{target}"),
        serde_json::json!({ "email": user.email.as_str(), "role": user.role.as_str() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(User { disabled, ..user })
}

/// Enables an account at the command line on the hub's machine (with the database's
/// credentials: the operator there is trusted as a hub administrator is); audited.
pub async fn enable_at_console<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    email: &EmailAddress,
) -> anyhow::Result<User> {
    let txn = begin_write(db).await?;
    let user = store::find_by_email(&txn, email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user has the address {email}"))?;
    store::set_awaiting_enable(&txn, user.id, false).await?;
    store::set_disabled(&txn, user.id, false).await?;
    audit::record(
        &txn,
        &Actor::cli(),
        if user.awaiting_enable {
            "user.enable_privileged"
        } else {
            "user.enable"
        },
        &format!("user:{}", user.id),
        serde_json::json!({ "email": user.email.as_str(), "role": user.role.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(User {
        disabled: false,
        awaiting_enable: false,
        ..user
    })
}

/// Gives a user whom `manager` may manage a new random password, shown once to the manager;
/// the user must change it at the next login. Ends their sessions and clears any lockout.
/// Audited (without the password); a privileged account's reset is mailed to the hub
/// administrators.
pub async fn reset_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    manager: &User,
    target: UserId,
) -> Result<(User, SecretString), ManageUserError> {
    managed(db, manager, target).await?;
    let temporary = temporary_password(settings);
    let hash = password::hash(&temporary, settings)?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let user = managed(&txn, manager, target).await?;
    store::set_password_hash(&txn, target, &hash).await?;
    store::set_must_change_password(&txn, target, true).await?;
    store::set_login_state(&txn, target, 0, None).await?;
    session::end_all(&txn, target).await?;
    notify_admins(
        &txn,
        &Actor::of(manager).to_string(),
        &user,
        "パスワード再発行",
        "password reset",
    )
    .await?;
    audit::record(
        &txn,
        &Actor::of(manager),
        "user.password_reset",
        &format!("user:{target}"),
        serde_json::json!({ "email": user.email.as_str(), "role": user.role.as_str() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok((
        User {
            must_change_password: true,
            ..user
        },
        temporary,
    ))
}

/// How a user appears in the audit log (the audit log knows no users; users know it).
impl crate::audit::Actor {
    /// A signed-in portal user (or one named with `--as` at the command line).
    pub fn of(user: &User) -> Self {
        Self::User {
            id: user.id,
            email: user.email.to_string(),
        }
    }
}
