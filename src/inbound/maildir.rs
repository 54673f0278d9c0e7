//! Reading the inbound Maildir: messages claimed by a move into `claimed/` (so several hub processes never take the same one), read before any transaction opens, their effects recorded in one short transaction per batch, and moved to `cur/`.

#[allow(unused_imports)]
use super::*;

/// The Maildir the settings name (`mail.inbound_maildir`, else `<data_dir>/inbound`).
pub fn maildir(settings: &crate::config::Settings) -> PathBuf {
    settings
        .mail
        .inbound_maildir
        .clone()
        .unwrap_or_else(|| settings.app.data_dir.join("inbound"))
}

/// What reading the inbound Maildir uses: the database, the VERP keys (to check bounce
/// addresses and reply codes) and when repeated bounces make a contact unreachable.
pub struct Inbox<'a> {
    pub db: sea_orm::DatabaseConnection,
    pub verp: &'a Tokens,
    pub hard_bounce_limit: u32,
    pub authserv_id: Option<String>,
    /// Where a question by mail goes and how its desk is told (`[reports]`, the portal's
    /// address).
    pub mailing: crate::reports::mail::Mailing<'a>,
}

/// Messages processed in one write transaction: one commit (one fsync) for the batch instead of
/// one per message; small enough that the write lock is not held for long.
pub(super) const PER_TRANSACTION: usize = 100;

/// Claims older than this were left by a process that died mid-batch; they go back to `new/`.
pub(super) const STALE_CLAIM: std::time::Duration = std::time::Duration::from_secs(600);

/// Processes up to `limit` waiting messages of `dir`, moving each to `cur/` (flagged when it
/// was refused or waits for an operator). Returns what each did.
///
/// A message is claimed by moving it from `new/` to `claimed/` first, so of several hub
/// processes reading the same Maildir exactly one gets it. A batch's effects commit together;
/// if the batch fails, its messages go back to `new/` and nothing of it is kept.
pub async fn process_maildir(
    ctx: &Inbox<'_>,
    dir: &Path,
    limit: usize,
) -> anyhow::Result<Vec<Processed>> {
    crate::maildir::ensure(dir)?;
    let claimed_dir = dir.join("claimed");
    std::fs::create_dir_all(&claimed_dir)?;
    release_stale(dir, &claimed_dir)?;
    let inputs = Inputs {
        verp: ctx.verp,
        hard_bounce_limit: ctx.hard_bounce_limit,
        authserv_id: ctx.authserv_id.as_deref(),
        mailing: crate::reports::mail::Mailing {
            settings: ctx.mailing.settings,
            base_url: ctx.mailing.base_url,
        },
    };
    let mut out = Vec::new();
    let waiting = crate::maildir::pending(dir, limit)?;
    for chunk in waiting.chunks(PER_TRANSACTION) {
        let mut claimed = Vec::with_capacity(chunk.len());
        for w in chunk {
            let file = w
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("message")
                .to_owned();
            let path = claimed_dir.join(&file);
            match std::fs::rename(w, &path) {
                Ok(()) => claimed.push((file, path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        let done = match process_batch(ctx, &inputs, &claimed).await {
            Ok(done) => done,
            Err(e) => {
                for (file, path) in &claimed {
                    let _ = std::fs::rename(path, dir.join("new").join(file));
                }
                return Err(e);
            }
        };
        for ((_, path), p) in claimed.iter().zip(&done) {
            crate::maildir::finish(
                dir,
                path,
                matches!(p.outcome, Outcome::Refused | Outcome::Pending),
            )?;
        }
        out.extend(done);
    }
    Ok(out)
}

/// Reads a batch's messages (no transaction open), then records what they say in one short
/// transaction.
pub(super) async fn process_batch(
    ctx: &Inbox<'_>,
    inputs: &Inputs<'_>,
    claimed: &[(String, PathBuf)],
) -> anyhow::Result<Vec<Processed>> {
    let limit = crate::domain::mime_guard::RETURNED.max_bytes as u64;
    let mut read = Vec::with_capacity(claimed.len());
    for (_, path) in claimed {
        let r = match std::fs::metadata(path) {
            // Never read into memory: the name and size are enough to keep it once.
            Ok(m) if m.len() > limit => Read::Unreadable {
                digest: digest_of(format!("{}:{}", path.display(), m.len()).as_bytes()),
                why: format!("the message is {} bytes; at most {limit} are read", m.len()),
            },
            _ => read_bounded(std::fs::read(path)?).await,
        };
        read.push(r);
    }
    let txn = begin_write(&ctx.db).await?;
    let mut audits = BounceAudit::default();
    let mut done = Vec::with_capacity(claimed.len());
    for ((file, _), r) in claimed.iter().zip(read) {
        done.push(apply(&txn, inputs, r, file, Utc::now(), &mut audits).await?);
    }
    audits.record(&txn).await?;
    txn.commit().await?;
    Ok(done)
}

/// Puts claims a dead process left behind back into `new/`.
pub(super) fn release_stale(dir: &Path, claimed_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    for entry in std::fs::read_dir(claimed_dir)?.filter_map(Result::ok) {
        // A rename changes the inode's ctime: the time of the claim.
        let claimed_at = entry.metadata().map(|m| m.ctime()).unwrap_or_default();
        if now.saturating_sub(u64::try_from(claimed_at).unwrap_or(0)) > STALE_CLAIM.as_secs() {
            let _ = std::fs::rename(entry.path(), dir.join("new").join(entry.file_name()));
        }
    }
    Ok(())
}

/// The worker's step: one batch from the inbound Maildir.
#[tracing::instrument(name = "Process inbound mail", skip_all)]
pub async fn try_execute_task(
    ctx: &Inbox<'_>,
    settings: &crate::config::Settings,
) -> anyhow::Result<Worked> {
    let dir = maildir(settings);
    let done = process_maildir(ctx, &dir, BATCH).await?;
    Ok(if done.is_empty() {
        Worked::Idle
    } else {
        Worked::Worked
    })
}
