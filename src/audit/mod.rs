//! The append-only audit log. Every entry is chained to the one before it by SHA-256, so editing
//! or deleting a row breaks the chain and `noroshi audit verify` says where. Owns `audit_log`;
//! other capabilities call `record` inside their own transactions.

pub mod anchor;
mod store;

pub use store::{AuditEntry, recent};

use crate::domain::ids::UserId;
use std::fmt;

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use sha2::{Digest, Sha256};

/// Who did something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The hub itself (workers, start-up).
    System,
    /// Someone at the command line; the operating-system user is recorded.
    Cli { os_user: String },
    /// A signed-in user.
    User { id: UserId, email: String },
    /// An organisation's API token (named by id and its visible prefix, never the secret).
    Token { id: i64, prefix: String },
    /// Whoever held an organisation's acknowledgement link from a mail.
    MailLink { link_id: i64 },
    /// A registered contact who answered by replying to an alert mail.
    MailReply { contact_id: i64, email: String },
    /// Whoever held an organisation's contact-confirmation link from a campaign mail.
    ConfirmLink { org_code: String },
    /// Whoever held a メールマガジン link (confirmation or unsubscribe) of a recipient
    /// (`s<subscriber>` or `c<contact>`).
    MagazineLink { recipient: String },
}

impl Actor {
    /// The command-line actor for the current process.
    pub fn cli() -> Self {
        let os_user = std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Self::Cli { os_user }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System => f.write_str("system"),
            Self::Cli { os_user } => write!(f, "cli:{os_user}"),
            Self::User { id, email } => write!(f, "user:{id}:{email}"),
            Self::Token { id, prefix } => write!(f, "token:{id}:{prefix}"),
            Self::MailLink { link_id } => write!(f, "mail-link:{link_id}"),
            Self::MailReply { contact_id, email } => write!(f, "mail-reply:{contact_id}:{email}"),
            Self::ConfirmLink { org_code } => write!(f, "confirm-link:{org_code}"),
            Self::MagazineLink { recipient } => write!(f, "magazine-link:{recipient}"),
        }
    }
}

/// The hash of the empty chain, before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash that links an entry: every field, in order, after the previous hash.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: &DateTime<Utc>,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor,
        action,
        target,
        detail,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an entry. Call it inside the transaction that makes the change, so both land or
/// neither does. Concurrent writers on PostgreSQL race for the next `seq`; the loser retries.
pub async fn record<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let detail = detail.to_string();
    let actor = actor.to_string();
    // PostgreSQL keeps microseconds; hash exactly what is stored.
    let at = Utc::now().trunc_subsecs(6);
    for _ in 0..10 {
        let savepoint = db.begin().await.context("cannot open a savepoint")?;
        let (seq, prev) = match store::last(&savepoint).await? {
            Some(last) => (last.seq + 1, last.hash),
            None => (1, GENESIS.to_owned()),
        };
        let hash = entry_hash(&prev, seq, &at, &actor, action, target, &detail);
        let entry = AuditEntry {
            seq,
            at,
            actor: actor.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            detail: detail.clone(),
            prev_hash: prev,
            hash,
        };
        match store::insert(&savepoint, entry).await {
            Ok(()) => {
                savepoint
                    .commit()
                    .await
                    .context("cannot write the audit entry")?;
                return Ok(());
            }
            Err(store::InsertError::SeqTaken) => {
                savepoint.rollback().await.context("cannot roll back")?;
            }
            Err(store::InsertError::Unexpected(e)) => return Err(e),
        }
    }
    anyhow::bail!("could not append to the audit log after 10 attempts")
}

/// Where the chain breaks, if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    Intact { entries: u64 },
    Broken { seq: i64, reason: String },
}

/// Walks the whole log and recomputes every hash.
pub async fn verify(db: &impl ConnectionTrait) -> anyhow::Result<ChainCheck> {
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut entries = 0;
    let mut after = 0;
    loop {
        let batch = store::page(db, after, 1000).await?;
        if batch.is_empty() {
            return Ok(ChainCheck::Intact { entries });
        }
        for e in batch {
            if e.seq != expected_seq {
                return Ok(ChainCheck::Broken {
                    seq: e.seq,
                    reason: format!("expected entry {expected_seq}: an entry is missing"),
                });
            }
            if e.prev_hash != prev {
                return Ok(ChainCheck::Broken {
                    seq: e.seq,
                    reason: "does not point at the entry before it".into(),
                });
            }
            let recomputed = entry_hash(
                &prev, e.seq, &e.at, &e.actor, &e.action, &e.target, &e.detail,
            );
            if recomputed != e.hash {
                return Ok(ChainCheck::Broken {
                    seq: e.seq,
                    reason: "its content was changed after it was written".into(),
                });
            }
            prev = e.hash;
            expected_seq += 1;
            entries += 1;
            after = e.seq;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field() {
        let at = Utc::now().trunc_subsecs(6);
        let base = entry_hash(GENESIS, 1, &at, "cli:root", "user.create", "user:1", "{}");
        assert_ne!(
            base,
            entry_hash(GENESIS, 2, &at, "cli:root", "user.create", "user:1", "{}")
        );
        assert_ne!(
            base,
            entry_hash(GENESIS, 1, &at, "cli:roo", "tuser.create", "user:1", "{}")
        );
        assert_ne!(
            base,
            entry_hash(GENESIS, 1, &at, "cli:root", "user.create", "user:1", "{ }")
        );
        assert_eq!(base.len(), 64);
    }
}
