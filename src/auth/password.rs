//! argon2id password hashing with parameters from settings (cheap in tests, OWASP in production).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::config::AuthSettings;

/// Longest password accepted: argon2 takes any length, but hashing megabytes is a DoS.
pub const MAX_PASSWORD_LENGTH: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: at least {0} characters are required")]
    TooShort(usize),
    #[error("the password is too long: at most {MAX_PASSWORD_LENGTH} characters are accepted")]
    TooLong,
    #[error("the password must not be only spaces")]
    Blank,
}

/// Checks a new password against the policy.
pub fn check_policy(password: &SecretString, settings: &AuthSettings) -> Result<(), PasswordError> {
    let p = password.expose_secret();
    let len = p.chars().count();
    if p.trim().is_empty() {
        return Err(PasswordError::Blank);
    }
    if len < settings.min_password_length {
        return Err(PasswordError::TooShort(settings.min_password_length));
    }
    if len > MAX_PASSWORD_LENGTH {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

fn hasher(settings: &AuthSettings) -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        settings.argon2_parallelism,
        None,
    )
    .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string (`$argon2id$v=19$m=…`) for storage.
pub fn hash(password: &SecretString, settings: &AuthSettings) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(settings)?
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored PHC string. The stored parameters are used, so hashes
/// made under older settings keep verifying.
pub fn verify(password: &SecretString, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> AuthSettings {
        AuthSettings {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            min_password_length: 12,
            ..AuthSettings::default()
        }
    }

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let pw = SecretString::from("correct horse battery");
        let stored = hash(&pw, &cheap()).unwrap_or_default();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&pw, &stored));
        assert!(!verify(
            &SecretString::from("correct horse battery!"),
            &stored
        ));
        assert!(!verify(&pw, "not a hash"));
    }

    #[test]
    fn the_policy_rejects_short_blank_and_huge_passwords() {
        let s = cheap();
        assert_eq!(
            check_policy(&SecretString::from("short"), &s),
            Err(PasswordError::TooShort(12))
        );
        assert_eq!(
            check_policy(&SecretString::from(" ".repeat(20)), &s),
            Err(PasswordError::Blank)
        );
        assert_eq!(
            check_policy(&SecretString::from("x".repeat(2000)), &s),
            Err(PasswordError::TooLong)
        );
        assert!(check_policy(&SecretString::from("パスワードは十二文字以上です"), &s).is_ok());
    }
}
