//! Secret keys kept in files outside the database (acknowledgement links, audit checkpoints),
//! and the tokens minted under them (`tokens`):
//! whoever holds a copy of the database alone cannot forge what they sign. Infrastructure: no
//! capability imports here.

pub mod tokens;

use std::path::Path;

use anyhow::Context;
use rand::RngCore;

/// The key in `path` (64 hex characters), created with a random key (mode 0600) when the file
/// does not exist; `what` names its use in the log. Every process that uses the key must read
/// the same file.
pub fn load_or_create(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        // Whole or not at all (a full disk leaves no empty key file behind), and never over a key
        // another process wrote first.
        if crate::files::write_new(path, hex::encode(key).as_bytes(), 0o600)
            .with_context(|| format!("cannot write the key for {what}"))?
        {
            tracing::info!(path = %path.display(), "created a new key for {what}");
        }
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key {}", path.display()))?;
    hex::decode(text.trim())
        .ok()
        .filter(|b| b.len() >= 32)
        .with_context(|| {
            format!(
                "{} must hold at least 32 bytes as hex (64 characters)",
                path.display()
            )
        })
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What every API token starts with, so logs and scanners can recognise (and redact) one.
pub const TOKEN_PREFIX: &str = "nrs_";
