//! Logging in and server-side sessions. The cookie carries a random token; only its SHA-256 is
//! stored, so a copy of the database cannot be used to sign in. Repeated failures lock the
//! account with a doubling back-off, and every login, failure and lockout is audited.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::{EmailAddress, User, UserId, password, store};
use crate::audit::Actor;
use crate::config::AuthSettings;
use crate::db::entities::sessions;

/// The cookie that carries the session token (portal, API and feeds read it).
pub const SESSION_COOKIE: &str = "noroshi_session";

/// Failures before the account locks.
pub const LOCK_AFTER: i32 = 5;
/// The first lock lasts this long; each further failure doubles it, up to an hour.
pub const FIRST_LOCK_SECS: i64 = 60;
/// How long a session lasts after login.
pub const SESSION_HOURS: i64 = 12;

/// A new random token, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub use crate::keys::same_secret;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown address, wrong password, disabled or locked account: deliberately one answer,
    /// in about the same time, so that nobody learns which addresses exist or are locked.
    #[error("the address or the password is wrong")]
    BadCredentials,
    /// Too many attempts from one client address: try again after this many seconds.
    #[error("too many login attempts from this address: try again in {0} s")]
    RateLimited(u64),
    /// Every password check slot stayed busy: try again after this many seconds.
    #[error("the hub is busy checking passwords: try again in {0} s")]
    Busy(u64),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for LoginError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            e @ Self::BadCredentials => Failure::Forbidden(e.to_string()),
            e @ (Self::RateLimited(s) | Self::Busy(s)) => Failure::Limited {
                retry_after: s,
                message: e.to_string(),
            },
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// A signed-in session: the token goes in the cookie, the CSRF token in every form.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub user: User,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    /// The password was right, the second factor is still to come: only its page opens.
    pub second_factor_pending: bool,
}

pub(crate) fn lock_duration(failed: i32) -> Duration {
    let doublings = u32::try_from(failed - LOCK_AFTER).unwrap_or(0).min(6);
    Duration::seconds((FIRST_LOCK_SECS << doublings).min(3_600))
}

/// How long a password check waits for a free slot before the login answers "busy".
const CHECK_QUEUE: std::time::Duration = std::time::Duration::from_secs(5);
/// The window of the per-address attempt limit.
const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// What stands before argon2 (19 MiB and tens of milliseconds a check): at most
/// `auth.password_checks` checks at once (the rest queue, then get "busy"), and at most
/// `auth.login_attempts_per_minute` attempts per client address. One per process.
pub struct LoginGate {
    checks: tokio::sync::Semaphore,
    per_minute: usize,
    attempts: std::sync::Mutex<
        std::collections::HashMap<String, std::collections::VecDeque<std::time::Instant>>,
    >,
}

impl LoginGate {
    pub fn new(settings: &AuthSettings) -> Self {
        Self {
            checks: tokio::sync::Semaphore::new(settings.password_checks.max(1)),
            per_minute: settings.login_attempts_per_minute,
            attempts: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Counts an attempt from `from`; refuses it (with the seconds to wait) past the limit.
    fn admit(&self, from: &str) -> Result<(), LoginError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let now = std::time::Instant::now();
        let mut attempts = self
            .attempts
            .lock()
            .map_err(|_| anyhow::anyhow!("the login rate table is poisoned"))?;
        if attempts.len() > 100_000 {
            // A flood of distinct addresses: forget the idle ones rather than grow without end.
            attempts.retain(|_, seen| {
                seen.back()
                    .is_some_and(|t| now.duration_since(*t) < RATE_WINDOW)
            });
        }
        let seen = attempts.entry(from.to_owned()).or_default();
        while seen
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            seen.pop_front();
        }
        if seen.len() >= self.per_minute {
            let wait = seen.front().map_or(RATE_WINDOW, |t| {
                RATE_WINDOW.saturating_sub(now.duration_since(*t))
            });
            return Err(LoginError::RateLimited(wait.as_secs().max(1)));
        }
        seen.push_back(now);
        Ok(())
    }

    /// A password check slot, waiting at most [`CHECK_QUEUE`].
    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, LoginError> {
        match tokio::time::timeout(CHECK_QUEUE, self.checks.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(LoginError::Busy(CHECK_QUEUE.as_secs())),
        }
    }
}

/// Checks the address and password; on success opens a session and returns its token.
///
/// Every outcome other than success is [`LoginError::BadCredentials`] after one argon2 check (a
/// dummy hash for unknown and locked accounts), and every failure is counted with one atomic
/// `failed_logins + 1` and audited in the same write transaction.
#[tracing::instrument(name = "Log in", skip_all)]
pub async fn login<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    gate: &LoginGate,
    email: &str,
    password: &SecretString,
    from: &str,
) -> Result<(String, Session), LoginError> {
    gate.admit(from)?;
    let _permit = gate.permit().await?;
    let now = Utc::now();
    let record = match EmailAddress::parse(email) {
        Ok(e) => store::login_record(db, &e).await?,
        Err(_) => None,
    };
    let Some(record) = record else {
        verify_off_thread(password, None, settings).await?;
        return Err(LoginError::BadCredentials);
    };
    let user = record.user.clone();
    let actor = Actor::of(&user);
    let locked = record.locked_until.filter(|u| *u > now);
    let hash = locked.is_none().then(|| record.password_hash.clone());
    let ok = verify_off_thread(password, hash, settings).await?;
    if !ok || user.disabled {
        let txn = crate::db::begin_write(db)
            .await
            .context("cannot record the failed login")?;
        let (action, detail) = if let Some(until) = locked {
            (
                "auth.login_refused_locked",
                serde_json::json!({ "from": from, "locked_until": until.to_rfc3339() }),
            )
        } else {
            let failed = store::count_failure(&txn, user.id).await?;
            let lock = (failed >= LOCK_AFTER).then(|| now + lock_duration(failed));
            if let Some(until) = lock {
                store::lock_until(&txn, user.id, until).await?;
            }
            (
                if lock.is_some() {
                    "auth.locked"
                } else {
                    "auth.login_failed"
                },
                serde_json::json!({ "failed_logins": failed, "from": from, "disabled": user.disabled }),
            )
        };
        crate::audit::record(&txn, &actor, action, &format!("user:{}", user.id), detail).await?;
        sea_orm::TransactionSession::commit(txn)
            .await
            .context("cannot record the failed login")?;
        return Err(LoginError::BadCredentials);
    }
    let token = random_token();
    let csrf = random_token();
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let txn = crate::db::begin_write(db)
        .await
        .context("cannot open a session")?;
    store::set_login_state(&txn, user.id, 0, None).await?;
    // With a second factor, the session opens only its page until the code is given.
    let pending = user.second_factor;
    let row = sessions::Entity::insert(sessions::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.id),
        csrf_token: Set(csrf.clone()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_seen_at: Set(now),
        second_factor_pending: Set(pending),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .context("cannot open a session")?;
    crate::audit::record(
        &txn,
        &actor,
        "auth.login",
        &format!("user:{}", user.id),
        serde_json::json!({ "from": from }),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .context("cannot open a session")?;
    Ok((
        token,
        Session {
            id: row.last_insert_id,
            user,
            csrf,
            expires_at,
            second_factor_pending: pending,
        },
    ))
}

/// Checks a password against a stored hash on a blocking thread (argon2 is deliberately slow).
/// With no hash (no such user) it spends the same time on a dummy hash and answers false, so
/// timing does not reveal which addresses exist.
async fn verify_off_thread(
    password: &SecretString,
    hash: Option<String>,
    settings: &AuthSettings,
) -> anyhow::Result<bool> {
    let password = password.clone();
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => password::verify(&password, &hash),
        None => {
            let _ = password::verify(&password, dummy_hash(&settings));
            false
        }
    })
    .await
    .context("the password check stopped")
}

fn dummy_hash(settings: &AuthSettings) -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        password::hash(&SecretString::from("not a password of anyone"), settings)
            .unwrap_or_default()
    })
}

/// The live session of a cookie token, if any: not expired, its user not disabled.
pub async fn find(db: &impl ConnectionTrait, token: &str) -> anyhow::Result<Option<Session>> {
    if token.len() > 128 {
        return Ok(None);
    }
    let Some(row) = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(token_hash(token)))
        .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await
        .context("cannot read the session")?
    else {
        return Ok(None);
    };
    let Some(user) = store::find_by_id(db, row.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    Ok(Some(Session {
        id: row.id,
        user,
        csrf: row.csrf_token,
        expires_at: row.expires_at,
        second_factor_pending: row.second_factor_pending,
    }))
}

/// Like [`find`], with the user's organisation, in one query: every page asks for both.
pub async fn find_with_org(
    db: &impl ConnectionTrait,
    token: &str,
) -> anyhow::Result<Option<(Session, crate::registry::Organisation)>> {
    use sea_orm::FromQueryResult;

    use crate::db::entities::organisations;
    if token.len() > 128 {
        return Ok(None);
    }
    let row = db
        .query_one_raw(crate::db::statement(
            db.get_database_backend(),
            "SELECT s.id AS s_id, s.csrf_token AS s_csrf, s.expires_at AS s_expires_at, \
                    u.id AS u_id, u.email AS u_email, u.display_name AS u_display_name, \
                    u.role AS u_role, u.disabled AS u_disabled, \
                    u.must_change_password AS u_must_change, u.created_by AS u_created_by, \
                    u.awaiting_enable AS u_awaiting, \
                    CASE WHEN u.totp_enabled_at IS NULL THEN FALSE ELSE TRUE END AS u_second_factor, \
                    s.second_factor_pending AS s_pending, \
                    o.id AS o_id, o.code AS o_code, o.kind AS o_kind, o.name AS o_name, \
                    o.kana AS o_kana, o.prefecture AS o_prefecture, o.parent_id AS o_parent_id, \
                    o.created_at AS o_created_at, o.updated_at AS o_updated_at \
             FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             JOIN organisations o ON o.id = u.organisation_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
            vec![token_hash(token).into(), Utc::now().into()],
        ))
        .await
        .context("cannot read the session")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let org = organisations::Model::from_query_result(&row, "o_")
        .context("cannot read the session's organisation")?;
    let user = store::user_from(store::Columns {
        id: row.try_get("", "u_id")?,
        organisation_id: org.id,
        email: &row.try_get::<String>("", "u_email")?,
        display_name: row.try_get("", "u_display_name")?,
        role: &row.try_get::<String>("", "u_role")?,
        disabled: row.try_get("", "u_disabled")?,
        must_change_password: row.try_get("", "u_must_change")?,
        created_by: row.try_get("", "u_created_by")?,
        awaiting_enable: row.try_get("", "u_awaiting")?,
        second_factor: row.try_get("", "u_second_factor")?,
    })?;
    if user.disabled {
        return Ok(None);
    }
    Ok(Some((
        Session {
            id: row.try_get("", "s_id")?,
            user,
            csrf: row.try_get("", "s_csrf")?,
            expires_at: row.try_get("", "s_expires_at")?,
            second_factor_pending: row.try_get("", "s_pending")?,
        },
        crate::registry::store::to_domain(org)?,
    )))
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("the current password is wrong")]
    WrongCurrent,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error(transparent)]
    Policy(#[from] password::PasswordError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for ChangePasswordError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            e @ Self::WrongCurrent => Failure::Forbidden(e.to_string()),
            e @ (Self::Mismatch | Self::Policy(_)) => Failure::Invalid(e.to_string()),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Changes the signed-in user's password after checking the current one; every other session
/// of the user ends (a stolen session does not outlive the change). Audited.
pub async fn change_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    gate: &LoginGate,
    session: &Session,
    current: &SecretString,
    new: &SecretString,
    repeated: &SecretString,
) -> Result<(), ChangePasswordError> {
    use secrecy::ExposeSecret;
    let record = store::login_record(db, &session.user.email)
        .await?
        .ok_or(ChangePasswordError::WrongCurrent)?;
    let permit = gate
        .permit()
        .await
        .map_err(|_| anyhow::anyhow!("the hub is busy checking passwords; try again shortly"))?;
    let current_ok = verify_off_thread(current, Some(record.password_hash), settings).await?;
    drop(permit);
    if !current_ok {
        return Err(ChangePasswordError::WrongCurrent);
    }
    if new.expose_secret() != repeated.expose_secret() {
        return Err(ChangePasswordError::Mismatch);
    }
    password::check_policy(new, settings)?;
    let new_hash = password::hash(new, settings)?;
    let txn = crate::db::begin_write(db)
        .await
        .map_err(anyhow::Error::from)?;
    store::set_password_hash(&txn, session.user.id, &new_hash).await?;
    store::set_must_change_password(&txn, session.user.id, false).await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(session.user.id))
        .filter(sessions::Column::Id.ne(session.id))
        .exec(&txn)
        .await
        .context("cannot end the other sessions")?;
    let actor = Actor::of(&session.user);
    crate::audit::record(
        &txn,
        &actor,
        "user.password_change",
        &format!("user:{}", session.user.id),
        serde_json::json!({}),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// Ends every session of a user.
pub async fn end_all(db: &impl ConnectionTrait, user: UserId) -> anyhow::Result<()> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("cannot end the user's sessions")?;
    Ok(())
}

/// The session's second factor was given: every page opens.
pub async fn pass_second_factor(db: &impl ConnectionTrait, session: i64) -> anyhow::Result<()> {
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::SecondFactorPending,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(sessions::Column::Id.eq(session))
        .exec(db)
        .await
        .context("cannot update the session")?;
    Ok(())
}

/// Ends one session.
pub async fn end(db: &impl ConnectionTrait, session: i64) -> anyhow::Result<()> {
    sessions::Entity::delete_by_id(session)
        .exec(db)
        .await
        .context("cannot end the session")?;
    Ok(())
}

/// Ends the session of a cookie token.
pub async fn logout(db: &impl ConnectionTrait, token: &str) -> anyhow::Result<()> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::TokenHash.eq(token_hash(token)))
        .exec(db)
        .await
        .context("cannot end the session")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_from_a_minute_up_to_an_hour() {
        assert_eq!(lock_duration(LOCK_AFTER), Duration::seconds(60));
        assert_eq!(lock_duration(LOCK_AFTER + 1), Duration::seconds(120));
        assert_eq!(lock_duration(LOCK_AFTER + 20), Duration::seconds(3_600));
    }

    #[test]
    fn tokens_are_random_and_secrets_compare_exactly() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..42]));
    }
}
