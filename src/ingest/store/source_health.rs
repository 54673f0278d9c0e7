//! Source health and poll leases, and the quarantine of unreadable items.

#[allow(unused_imports)]
use super::*;

/// Makes sure every catalogue key has a health row, due now.
pub async fn ensure_sources(
    db: &impl ConnectionTrait,
    keys: &[(String, bool)],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for (key, enabled) in keys {
        sources::Entity::insert(sources::ActiveModel {
            key: Set(key.clone()),
            enabled: Set(*enabled),
            next_poll_at: Set(now),
            consecutive_failures: Set(0),
            items_seen: Set(0),
            advisories_new: Set(0),
            advisories_revised: Set(0),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(sources::Column::Key)
                .update_column(sources::Column::Enabled)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .context("cannot register sources")?;
    }
    Ok(())
}

/// A source this process may poll now.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: i32,
}

/// Takes the lease of the most overdue source, if any is due and free. On PostgreSQL rows locked
/// by another process are skipped, so several hubs share the polling without ever polling one
/// source twice at once; an expired lease (a crashed process) is taken over.
pub async fn claim_due_source(
    db: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> anyhow::Result<Option<Claim>> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE sources SET lease_owner = $1, lease_until = $2, last_attempt_at = $3 \
         WHERE key = (SELECT key FROM sources WHERE enabled = $4 AND next_poll_at <= $5 \
           AND (lease_until IS NULL OR lease_until < $6) ORDER BY next_poll_at LIMIT 1 {lock}) \
         RETURNING key, etag, last_modified, consecutive_failures"
    );
    let row = db
        .query_one_raw(crate::db::statement(
            backend,
            &sql,
            vec![
                owner.into(),
                lease_until.into(),
                now.into(),
                true.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .context("cannot claim a source")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Claim {
        key: row.try_get("", "key")?,
        etag: row.try_get("", "etag")?,
        last_modified: row.try_get("", "last_modified")?,
        consecutive_failures: row.try_get("", "consecutive_failures")?,
    }))
}

/// How a poll ended, for the health record.
#[derive(Debug, Clone)]
pub enum PollResult {
    Ingested {
        items: usize,
        counts: StoreCounts,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    Failed {
        error: String,
    },
}

/// Records the outcome, schedules the next poll and gives the lease back (only if still ours).
pub async fn record_poll(
    db: &impl ConnectionTrait,
    key: &str,
    owner: &str,
    result: &PollResult,
    now: DateTime<Utc>,
    next_poll_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let (sql, values): (&str, Vec<Value>) = match result {
        PollResult::Ingested {
            items,
            counts,
            etag,
            last_modified,
        } => (
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1, \
             last_success_at = $2, consecutive_failures = 0, last_outcome = $3, \
             etag = $4, last_modified = $5, items_seen = items_seen + $6, \
             advisories_new = advisories_new + $7, advisories_revised = advisories_revised + $8, \
             items_quarantined = $11 \
             WHERE key = $9 AND lease_owner = $10",
            vec![
                next_poll_at.into(),
                now.into(),
                if counts.quarantined > 0 {
                    format!(
                        "{items} items: {} new, {} revised, {} unchanged; {} quarantined",
                        counts.new, counts.revised, counts.unchanged, counts.quarantined
                    )
                } else {
                    format!(
                        "{items} items: {} new, {} revised, {} unchanged",
                        counts.new, counts.revised, counts.unchanged
                    )
                }
                .into(),
                etag.clone().into(),
                last_modified.clone().into(),
                (*items as i64).into(),
                (counts.new as i64).into(),
                (counts.revised as i64).into(),
                key.into(),
                owner.into(),
                i32::try_from(counts.quarantined).unwrap_or(i32::MAX).into(),
            ],
        ),
        PollResult::NotModified => (
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1, \
             last_success_at = $2, consecutive_failures = 0, last_outcome = $3 \
             WHERE key = $4 AND lease_owner = $5",
            vec![
                next_poll_at.into(),
                now.into(),
                "not modified".into(),
                key.into(),
                owner.into(),
            ],
        ),
        PollResult::Failed { error } => (
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1, \
             last_error_at = $2, last_error = $3, consecutive_failures = consecutive_failures + 1, \
             last_outcome = $4 WHERE key = $5 AND lease_owner = $6",
            vec![
                next_poll_at.into(),
                now.into(),
                error.clone().into(),
                "failed".into(),
                key.into(),
                owner.into(),
            ],
        ),
    };
    db.execute_raw(crate::db::statement(backend, sql, values))
        .await
        .context("cannot record the poll")?;
    Ok(())
}

/// Makes a source due now (`noroshi ingest poll`).
pub async fn make_due(
    db: &impl ConnectionTrait,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let mut q = sources::Entity::update_many().col_expr(
        sources::Column::NextPollAt,
        sea_orm::sea_query::Expr::value(now),
    );
    if let Some(k) = key {
        q = q.filter(sources::Column::Key.eq(k));
    }
    Ok(q.exec(db)
        .await
        .context("cannot schedule sources")?
        .rows_affected)
}

/// Keeps a document's unreadable items aside with their reasons (again when the same document
/// is read again: the rows of that document are replaced).
pub async fn quarantine(
    db: &impl ConnectionTrait,
    source_key: &str,
    raw_sha256: &str,
    rejected: &[crate::ingest::parse::Rejected],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::db::entities::quarantined_items;
    quarantined_items::Entity::delete_many()
        .filter(quarantined_items::Column::SourceKey.eq(source_key))
        .filter(quarantined_items::Column::RawSha256.eq(raw_sha256))
        .exec(db)
        .await
        .context("cannot clear the quarantine")?;
    if rejected.is_empty() {
        return Ok(());
    }
    quarantined_items::Entity::insert_many(rejected.iter().map(|r| {
        quarantined_items::ActiveModel {
            source_key: Set(source_key.to_owned()),
            raw_sha256: Set(raw_sha256.to_owned()),
            position: Set(i32::try_from(r.position).unwrap_or(i32::MAX)),
            upstream_id: Set(r.upstream_id.clone()),
            reason: Set(r.reason.chars().take(2000).collect()),
            created_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(db)
    .await
    .context("cannot quarantine the items")?;
    Ok(())
}

/// The newest quarantined items of a source (the operator's view).
pub async fn quarantined(
    db: &impl ConnectionTrait,
    source_key: &str,
    limit: u64,
) -> anyhow::Result<Vec<crate::db::entities::quarantined_items::Model>> {
    use crate::db::entities::quarantined_items;
    quarantined_items::Entity::find()
        .filter(quarantined_items::Column::SourceKey.eq(source_key))
        .order_by_desc(quarantined_items::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the quarantine")
}

pub async fn list_sources(db: &impl ConnectionTrait) -> anyhow::Result<Vec<sources::Model>> {
    sources::Entity::find()
        .order_by_asc(sources::Column::Key)
        .all(db)
        .await
        .context("cannot read sources")
}

pub async fn source(
    db: &impl ConnectionTrait,
    key: &str,
) -> anyhow::Result<Option<sources::Model>> {
    sources::Entity::find_by_id(key.to_owned())
        .one(db)
        .await
        .context("cannot read sources")
}
