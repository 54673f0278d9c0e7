//! A second factor for those who approve and administer (RFC 6238 TOTP: 6 digits, 30 s,
//! HMAC-SHA1, one step of clock skew either way). Four eyes are only as strong as each eye's
//! password, so central approvers, hub administrators, prefecture administrators and
//! organisation administrators sign in with a code from an authenticator app as well, when
//! `auth.require_second_factor` says so (on by default; the demo turns it off).
//!
//! - **Enrolment** (`/settings/totp`): a new secret is sealed into the user's row (encrypted
//!   under a key kept outside the database, `auth.second_factor_key`), shown as a QR code and in
//!   base32; the first correct code enables it and shows ten single-use recovery codes once
//!   (only their SHA-256 is kept).
//! - **Sign-in**: after the password, the session opens only the code's page until a code (or a
//!   recovery code) is given. A code is accepted once (its time step is recorded in the same
//!   statement that checks it). Wrong codes count as failed logins: five lock the account with
//!   the password's doubling back-off, and every failure is audited.
//! - **Reset** by another administrator who may manage the user (or `noroshi user totp-reset` on
//!   the hub's machine): the secret and codes are gone, the user's sessions end, it is audited
//!   and, for a privileged account, mailed to the hub administrators; the user enrols again.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use ring::aead;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use sha2::{Digest, Sha256};

use super::{Role, User, UserId, store};
use crate::audit::{self, Actor};
use crate::config::AuthSettings;
use crate::db::begin_write;

/// The issuer named in authenticator apps.
const ISSUER: &str = "Noroshi";
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// Whether `role` signs in with a second factor when the hub asks for it: those who approve
/// what others wrote and those who administer accounts.
pub fn needed_by(role: Role) -> bool {
    matches!(
        role,
        Role::CentralApprover | Role::Admin | Role::PrefectureAdmin | Role::OrgAdmin
    )
}

/// Whether `user` must enrol before any other page opens.
pub fn must_enrol(settings: &AuthSettings, user: &User) -> bool {
    settings.require_second_factor && needed_by(user.role) && !user.second_factor
}

/// Seals and opens TOTP secrets with a key kept outside the database (ChaCha20-Poly1305, a
/// random nonce per secret): a copy of the database alone does not give anyone's codes.
pub struct Sealer {
    key: aead::LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

impl Sealer {
    pub fn new(key_bytes: &[u8]) -> anyhow::Result<Self> {
        let key = aead::UnboundKey::new(
            &aead::CHACHA20_POLY1305,
            &key_bytes[..32.min(key_bytes.len())],
        )
        .map_err(|_| anyhow::anyhow!("the second-factor key must hold 32 bytes"))?;
        Ok(Self {
            key: aead::LessSafeKey::new(key),
        })
    }

    fn seal(&self, plain: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut data = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::empty(),
                &mut data,
            )
            .map_err(|_| anyhow::anyhow!("cannot seal the secret"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(STANDARD.encode(out))
    }

    fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = STANDARD
            .decode(sealed)
            .context("a stored second-factor secret is not base64")?;
        anyhow::ensure!(
            bytes.len() > 12 + 16,
            "a stored second-factor secret is too short"
        );
        let (nonce, rest) = bytes.split_at(12);
        let mut data = rest.to_vec();
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| anyhow::anyhow!("a stored second-factor secret has a bad nonce"))?;
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::empty(), &mut data)
            .map_err(|_| {
                anyhow::anyhow!(
                    "a stored second-factor secret does not open with this key (auth.second_factor_key changed?)"
                )
            })?;
        Ok(plain.to_vec())
    }
}

fn totp(secret: Vec<u8>, account: &str) -> anyhow::Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the TOTP: {e}"))
}

fn now_secs(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

/// What an enrolling user sees: the secret in base32 (to type), the `otpauth://` URL and the
/// same as a QR code (SVG) for an authenticator app.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub url: String,
    pub qr_svg: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SecondFactorError {
    #[error("the code is not right (or was used already); try the next one")]
    WrongCode,
    #[error("the account is locked after repeated wrong codes; try again later")]
    Locked,
    #[error("the second factor is set up already")]
    AlreadyEnabled,
    #[error("start the set-up again: no secret is waiting")]
    NotEnrolling,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for SecondFactorError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::WrongCode => Failure::Invalid(
                "確認コードが正しくないか、すでに使われています。次のコードで試してください。"
                    .into(),
            ),
            Self::Locked => Failure::Forbidden(
                "確認コードの誤りが続いたため、しばらくログインできません。".into(),
            ),
            Self::AlreadyEnabled => Failure::Conflict("二要素認証は設定済みです。".into()),
            Self::NotEnrolling => Failure::Conflict("設定をはじめからやり直してください。".into()),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Starts (or starts again) the enrolment of `user`: a new secret, sealed into its row, not
/// yet enabled.
pub async fn begin<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    sealer: &Sealer,
    user: &User,
) -> Result<Enrolment, SecondFactorError> {
    if user.second_factor {
        return Err(SecondFactorError::AlreadyEnabled);
    }
    let mut secret = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    let t = totp(secret.clone(), user.email.as_str())?;
    let url = t
        .to_url()
        .map_err(|e| anyhow::anyhow!("cannot write the otpauth URL: {e}"))?;
    let qr = qrcode::QrCode::new(url.as_bytes()).context("cannot draw the QR code")?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    store::set_second_factor(db, user.id, Some(sealer.seal(&secret)?), None).await?;
    Ok(Enrolment {
        secret_base32: t.secret().to_base32(),
        url,
        qr_svg,
    })
}

fn recovery_code() -> String {
    // 10 characters of an alphabet without look-alikes, shown as xxxxx-xxxxx (about 50 bits).
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut bytes);
    let s: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

fn code_hash(code: &str) -> String {
    let normal: String = code
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// Finishes the enrolment with the first code from the app: the second factor is on, the
/// user's other sessions end, and ten recovery codes are returned (shown once). Audited.
pub async fn finish<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    sealer: &Sealer,
    user: &User,
    session: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, SecondFactorError> {
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let record = store::second_factor(&txn, user.id)
        .await?
        .context("the user is gone")?;
    if record.enabled_at.is_some() {
        return Err(SecondFactorError::AlreadyEnabled);
    }
    let sealed = record.sealed.ok_or(SecondFactorError::NotEnrolling)?;
    let t = totp(sealer.open(&sealed)?, user.email.as_str())?;
    let Some(step) = t.check(code.trim(), now_secs(now)) else {
        return Err(SecondFactorError::WrongCode);
    };
    store::set_second_factor(&txn, user.id, Some(sealed), Some(now)).await?;
    store::take_step(&txn, user.id, i64::try_from(step).unwrap_or(i64::MAX)).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| code_hash(c)).collect();
    store::replace_recovery_codes(&txn, user.id, &hashes, now).await?;
    // Other sessions were opened without the factor: they end.
    end_others(&txn, user.id, session).await?;
    audit::record(
        &txn,
        &Actor::of(user),
        "user.second_factor_enabled",
        &format!("user:{}", user.id),
        serde_json::json!({ "recovery_codes": RECOVERY_CODES }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(codes)
}

async fn end_others(db: &impl ConnectionTrait, user: UserId, keep: i64) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    crate::db::entities::sessions::Entity::delete_many()
        .filter(crate::db::entities::sessions::Column::UserId.eq(user))
        .filter(crate::db::entities::sessions::Column::Id.ne(keep))
        .exec(db)
        .await
        .context("cannot end the other sessions")?;
    Ok(())
}

/// Checks the code (or a recovery code) of a session waiting for its second factor; on
/// success every page opens. A wrong code counts as a failed login (five lock the account and
/// end the session). Audited either way.
pub async fn verify<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    sealer: &Sealer,
    user: &User,
    session: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), SecondFactorError> {
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let record = store::second_factor(&txn, user.id)
        .await?
        .context("the user is gone")?;
    if record.locked_until.is_some_and(|t| t > now) {
        return Err(SecondFactorError::Locked);
    }
    let code = code.trim();
    let ok = match (&record.sealed, record.enabled_at) {
        (Some(sealed), Some(_)) if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) => {
            let t = totp(sealer.open(sealed)?, user.email.as_str())?;
            match t.check(code, now_secs(now)) {
                Some(step) => {
                    store::take_step(&txn, user.id, i64::try_from(step).unwrap_or(i64::MAX)).await?
                }
                None => false,
            }
        }
        (Some(_), Some(_)) if (8..=20).contains(&code.len()) => {
            store::use_recovery_code(&txn, user.id, &code_hash(code), now).await?
        }
        _ => false,
    };
    if ok {
        crate::auth::session::pass_second_factor(&txn, session).await?;
        store::set_login_state(&txn, user.id, 0, None).await?;
        audit::record(
            &txn,
            &Actor::of(user),
            "auth.second_factor",
            &format!("user:{}", user.id),
            serde_json::json!({ "recovery_code": code.len() != 6 }),
        )
        .await?;
        txn.commit().await.map_err(anyhow::Error::new)?;
        return Ok(());
    }
    let failed = store::count_failure(&txn, user.id).await?;
    let locked = failed >= crate::auth::session::LOCK_AFTER;
    if locked {
        let until = now + crate::auth::session::lock_duration(failed);
        store::lock_until(&txn, user.id, until).await?;
        crate::auth::session::end(&txn, session).await?;
    }
    audit::record(
        &txn,
        &Actor::of(user),
        if locked {
            "auth.locked"
        } else {
            "auth.second_factor_failed"
        },
        &format!("user:{}", user.id),
        serde_json::json!({ "failed_logins": failed }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Err(if locked {
        SecondFactorError::Locked
    } else {
        SecondFactorError::WrongCode
    })
}

/// Recovery codes `user` has left.
pub async fn codes_left(db: &impl ConnectionTrait, user: &User) -> anyhow::Result<u64> {
    store::recovery_codes_left(db, user.id).await
}

/// Clears `target`'s second factor (its secret and recovery codes) and ends its sessions, by
/// `by` (an administrator who may manage it, or the command line). Audited; for a privileged
/// account the hub administrators are mailed. The user enrols again at the next sign-in.
pub async fn reset<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    target: &User,
    by: &Actor,
) -> anyhow::Result<()> {
    let txn = begin_write(db).await?;
    store::set_second_factor(&txn, target.id, None, None).await?;
    store::replace_recovery_codes(&txn, target.id, &[], Utc::now()).await?;
    crate::auth::session::end_all(&txn, target.id).await?;
    audit::record(
        &txn,
        by,
        "user.second_factor_reset",
        &format!("user:{}", target.id),
        serde_json::json!({ "email": target.email.as_str(), "role": target.role.as_str() }),
    )
    .await?;
    if super::privileged(target.role) {
        super::notify_admins(
            &txn,
            &by.to_string(),
            target,
            "二要素認証のリセット",
            "second factor reset",
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The current code of a secret in base32 (tests and the set-up page's own check).
pub fn code_at(secret_base32: &str, at: DateTime<Utc>) -> anyhow::Result<String> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|e| anyhow::anyhow!("not a base32 secret: {e}"))?;
    Ok(totp(secret.as_ref().to_vec(), "x")?
        .generate(now_secs(at))
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_sealed_and_opened_only_with_their_key() {
        let a = Sealer::new(&[7u8; 32]).unwrap_or_else(|_| unreachable!());
        let b = Sealer::new(&[8u8; 32]).unwrap_or_else(|_| unreachable!());
        let sealed = a.seal(b"twenty bytes secret!").unwrap_or_default();
        assert_eq!(a.open(&sealed).ok(), Some(b"twenty bytes secret!".to_vec()));
        assert!(b.open(&sealed).is_err());
        assert_ne!(sealed, a.seal(b"twenty bytes secret!").unwrap_or_default());
    }

    #[test]
    fn rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); 6 digits: 287082.
        let secret = b"12345678901234567890".to_vec();
        let t = totp(secret, "x").unwrap_or_else(|_| unreachable!());
        assert_eq!(t.generate(59).to_string(), "287082");
        assert!(t.check("287082", 59).is_some());
        assert!(t.check("287082", 59 + 120).is_none());
    }

    #[test]
    fn recovery_codes_read_alike_however_typed() {
        let c = recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(
            code_hash(&c),
            code_hash(&c.to_uppercase().replace('-', " "))
        );
    }
}
