//! Checkpoints of the audit chain kept outside the database. The chain alone shows an edited
//! or removed row in the middle, but not a log cut short at its end (or rewritten whole by
//! someone who can write the database). So the head of the chain — sequence number and hash —
//! is written regularly (by a worker, within about a minute of the chain moving, and on demand
//! with `noroshi audit checkpoint`) to an append-only file outside the database, each line
//! signed with HMAC-SHA256 under a key that is not in the database either, and to the hub's
//! log. `verify` then also checks the database against the latest checkpoint: the checkpointed
//! entry must still be there, with its hash. What can be cut from the end unseen is at most the
//! last minute or two of entries (review 3: after a daily checkpoint, a day's).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use ring::hmac;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::store;

/// The worker writes a checkpoint when the chain has moved and the latest is at least this old
/// (a quiet hub writes none; a busy one at most one a minute, about 80 MB of file a year).
pub const EVERY: Duration = Duration::minutes(1);

/// One line of the checkpoint file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
    /// HMAC-SHA256 (hex) of `seq|hash|at` under the anchor key.
    pub mac: String,
}

/// Where checkpoints go, and the key that signs them.
pub struct Anchor {
    file: PathBuf,
    key: hmac::Key,
}

/// What the database says against the latest checkpoint.
#[derive(Debug, PartialEq, Eq)]
pub enum AnchorCheck {
    /// No checkpoint written yet.
    NoCheckpoint,
    /// The checkpointed entry is in the database with the same hash.
    Holds { seq: i64, at: DateTime<Utc> },
    /// The log ends before the checkpointed entry: its tail was removed.
    Truncated { checkpoint: i64, last: i64 },
    /// The checkpointed entry has another hash now: the log was rewritten.
    Rewritten { seq: i64 },
}

impl Anchor {
    /// The checkpoint file `<data_dir>/audit/checkpoints.jsonl` and the key
    /// `<data_dir>/keys/audit-anchor.key` (created, mode 0600, when missing). Keep both off the
    /// database's machine and backups where you can: whoever holds the key can forge a
    /// checkpoint.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let key_file = data_dir.join("keys").join("audit-anchor.key");
        let key = crate::keys::load_or_create(&key_file, "audit checkpoints")?;
        Ok(Self {
            file: data_dir.join("audit").join("checkpoints.jsonl"),
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
        })
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    fn mac(&self, seq: i64, hash: &str, at: &DateTime<Utc>) -> String {
        let message = format!("noroshi-audit-checkpoint|{seq}|{hash}|{}", at.to_rfc3339());
        hex::encode(hmac::sign(&self.key, message.as_bytes()).as_ref())
    }

    /// Writes the current head of the chain as a checkpoint (and to the log); `None` when the
    /// log is empty.
    pub async fn write(&self, db: &impl ConnectionTrait) -> anyhow::Result<Option<Checkpoint>> {
        let Some(head) = store::last(db).await? else {
            return Ok(None);
        };
        let at = Utc::now();
        let checkpoint = Checkpoint {
            seq: head.seq,
            mac: self.mac(head.seq, &head.hash, &at),
            hash: head.hash,
            at,
        };
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .with_context(|| format!("cannot open {}", self.file.display()))?;
        let line = serde_json::to_string(&checkpoint)?;
        writeln!(file, "{line}")
            .and_then(|()| file.sync_data())
            .with_context(|| format!("cannot write {}", self.file.display()))?;
        tracing::info!(
            seq = checkpoint.seq,
            hash = %checkpoint.hash,
            file = %self.file.display(),
            "audit checkpoint written"
        );
        Ok(Some(checkpoint))
    }

    /// The latest checkpoint in the file. A line whose signature does not verify is an error
    /// (someone wrote the file without the key), never skipped.
    pub fn latest(&self) -> anyhow::Result<Option<Checkpoint>> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.file.display()));
            }
        };
        let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) else {
            return Ok(None);
        };
        let c: Checkpoint = serde_json::from_str(line).with_context(|| {
            format!("{}: the last line is not a checkpoint", self.file.display())
        })?;
        let expected = self.mac(c.seq, &c.hash, &c.at);
        if !crate::keys::same_secret(&expected, &c.mac) {
            anyhow::bail!(
                "{}: the last checkpoint's signature does not verify (written without the key?)",
                self.file.display()
            );
        }
        Ok(Some(c))
    }

    /// The database against the latest checkpoint.
    pub async fn check(&self, db: &impl ConnectionTrait) -> anyhow::Result<AnchorCheck> {
        let Some(c) = self.latest()? else {
            return Ok(AnchorCheck::NoCheckpoint);
        };
        match store::at_seq(db, c.seq).await? {
            Some(e) if e.hash == c.hash => Ok(AnchorCheck::Holds {
                seq: c.seq,
                at: c.at,
            }),
            Some(_) => Ok(AnchorCheck::Rewritten { seq: c.seq }),
            None => Ok(AnchorCheck::Truncated {
                checkpoint: c.seq,
                last: store::last(db).await?.map_or(0, |e| e.seq),
            }),
        }
    }

    /// Whether a checkpoint is due: none yet, or the chain's head `head` has moved since the
    /// latest and that is older than [`EVERY`].
    pub fn due(&self, now: DateTime<Utc>, head: i64) -> anyhow::Result<bool> {
        Ok(self
            .latest()?
            .is_none_or(|c| c.seq != head && now - c.at >= EVERY))
    }
}

/// The chain, and the database against the latest checkpoint, in one answer.
pub async fn verify_anchored(
    db: &impl ConnectionTrait,
    anchor: &Anchor,
) -> anyhow::Result<super::ChainCheck> {
    let chain = super::verify(db).await?;
    if let super::ChainCheck::Broken { .. } = chain {
        return Ok(chain);
    }
    Ok(match anchor.check(db).await? {
        AnchorCheck::NoCheckpoint | AnchorCheck::Holds { .. } => chain,
        AnchorCheck::Truncated { checkpoint, last } => super::ChainCheck::Broken {
            seq: last + 1,
            reason: format!(
                "the log ends at entry {last}, but checkpoint {} recorded entry {checkpoint}: entries were removed from its end",
                anchor.file.display()
            ),
        },
        AnchorCheck::Rewritten { seq } => super::ChainCheck::Broken {
            seq,
            reason: format!(
                "its hash differs from the one checkpointed in {}: the log was rewritten",
                anchor.file.display()
            ),
        },
    })
}

/// The worker's step: writes a checkpoint when one is due; `Idle` otherwise.
#[tracing::instrument(name = "Checkpoint the audit log", skip_all)]
pub async fn try_execute_task(
    db: &sea_orm::DatabaseConnection,
    data_dir: &std::path::Path,
) -> anyhow::Result<crate::workers::Outcome> {
    let anchor = Anchor::open(data_dir)?;
    let Some(head) = store::last(db).await? else {
        return Ok(crate::workers::Outcome::Idle);
    };
    if !anchor.due(Utc::now(), head.seq)? {
        return Ok(crate::workers::Outcome::Idle);
    }
    Ok(match anchor.write(db).await? {
        Some(_) => crate::workers::Outcome::Worked,
        None => crate::workers::Outcome::Idle,
    })
}
