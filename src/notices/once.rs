//! Things done at most once per key: a 連絡先確認 campaign per scope and day, a report card mailed
//! per organisation, 年度 and day. The first caller to write a key wins, in the transaction of
//! what it does (so a refused or failed action leaves the key free). Owns `once_keys`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::db::entities::once_keys;

/// Takes `key`: true for the first caller, false when it was taken before.
pub async fn claim(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = once_keys::Entity::insert(once_keys::ActiveModel {
        key: Set(key.chars().take(200).collect()),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([once_keys::Column::Key])
    .exec_without_returning(db)
    .await
    .context("cannot record the action")?;
    Ok(matches!(done, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// `key` with today's date in JST (`…:2026-12-06`): once per day as the staff count days.
pub fn daily(key: &str, now: DateTime<Utc>) -> String {
    format!(
        "{key}:{}",
        now.with_timezone(&crate::time::jst_offset())
            .date_naive()
            .format("%Y-%m-%d")
    )
}
