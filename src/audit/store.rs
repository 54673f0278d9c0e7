//! Database access for the audit log.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::audit_log;
use crate::db::is_unique_violation;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(m: audit_log::Model) -> Self {
        Self {
            seq: m.seq,
            at: m.at,
            actor: m.actor,
            action: m.action,
            target: m.target,
            detail: m.detail,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

pub(super) enum InsertError {
    SeqTaken,
    Unexpected(anyhow::Error),
}

pub(super) async fn last(db: &impl ConnectionTrait) -> anyhow::Result<Option<AuditEntry>> {
    Ok(audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .one(db)
        .await
        .context("cannot read the audit log")?
        .map(Into::into))
}

/// The entry with sequence number `seq`, if it exists.
pub(super) async fn at_seq(
    db: &impl ConnectionTrait,
    seq: i64,
) -> anyhow::Result<Option<AuditEntry>> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Seq.eq(seq))
        .one(db)
        .await
        .context("cannot read the audit log")?
        .map(Into::into))
}

pub(super) async fn insert(db: &impl ConnectionTrait, e: AuditEntry) -> Result<(), InsertError> {
    let row = audit_log::ActiveModel {
        seq: Set(e.seq),
        at: Set(e.at),
        actor: Set(e.actor),
        action: Set(e.action),
        target: Set(e.target),
        detail: Set(e.detail),
        prev_hash: Set(e.prev_hash),
        hash: Set(e.hash),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => Err(InsertError::SeqTaken),
        Err(err) => Err(InsertError::Unexpected(
            anyhow::Error::new(err).context("cannot write the audit log"),
        )),
    }
}

pub(super) async fn page(
    db: &impl ConnectionTrait,
    after_seq: i64,
    limit: u64,
) -> anyhow::Result<Vec<AuditEntry>> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Seq.gt(after_seq))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the audit log")?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The newest entries, newest first, optionally only those about `target`.
pub async fn recent(
    db: &impl ConnectionTrait,
    target: Option<&str>,
    limit: u64,
) -> anyhow::Result<Vec<AuditEntry>> {
    let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq);
    if let Some(t) = target {
        q = q.filter(audit_log::Column::Target.eq(t));
    }
    Ok(q.limit(limit)
        .all(db)
        .await
        .context("cannot read the audit log")?
        .into_iter()
        .map(Into::into)
        .collect())
}
