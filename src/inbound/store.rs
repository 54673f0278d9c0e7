//! Database access for returned mail (`inbound_messages`).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{Outcome, Processed};
use crate::db::entities::inbound_messages;

/// The parts of a message kept on its row.
pub struct NewInbound {
    pub digest: String,
    pub message_id: Option<String>,
    pub from: String,
    pub subject: String,
    pub excerpt: String,
    pub file: String,
}

fn clip(s: &str, n: usize) -> String {
    s.chars().filter(|c| *c != '\0').take(n).collect()
}

pub async fn seen(db: &impl ConnectionTrait, digest: &str) -> anyhow::Result<bool> {
    Ok(inbound_messages::Entity::find()
        .filter(inbound_messages::Column::Digest.eq(digest))
        .count(db)
        .await
        .context("cannot read inbound messages")?
        > 0)
}

/// Writes the row of a processed message; a message already written (two processes, or the
/// same file twice) leaves the first row and reports a duplicate.
pub async fn save(
    db: &impl ConnectionTrait,
    m: &NewInbound,
    p: &Processed,
    now: DateTime<Utc>,
) -> anyhow::Result<Processed> {
    let res = inbound_messages::Entity::insert(inbound_messages::ActiveModel {
        digest: Set(m.digest.clone()),
        message_id: Set(m.message_id.as_deref().map(|s| clip(s, 250))),
        from_address: Set(clip(&m.from, 250)),
        subject: Set(clip(&m.subject, 500)),
        kind: Set(p.kind.to_owned()),
        outcome: Set(p.outcome.as_str().to_owned()),
        delivery_id: Set(p.delivery_id),
        alert_id: Set(p.alert_id),
        organisation_id: Set(p.organisation_id),
        detail: Set(clip(&p.detail, 1000)),
        excerpt: Set(clip(&m.excerpt, 1000)),
        file: Set(clip(&m.file, 250)),
        received_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([inbound_messages::Column::Digest])
    .exec_without_returning(db)
    .await
    .context("cannot record the inbound message")?;
    let inserted = match res {
        sea_orm::TryInsertResult::Inserted(n) => n > 0,
        _ => false,
    };
    if !inserted {
        let mut dup = p.clone();
        dup.outcome = Outcome::Duplicate;
        return Ok(dup);
    }
    Ok(p.clone())
}

/// Messages waiting for an operator and those refused, newest first.
pub async fn for_operator(
    db: &impl ConnectionTrait,
    limit: u64,
) -> anyhow::Result<Vec<inbound_messages::Model>> {
    inbound_messages::Entity::find()
        .filter(
            inbound_messages::Column::Outcome
                .is_in([Outcome::Pending.as_str(), Outcome::Refused.as_str()]),
        )
        .order_by_desc(inbound_messages::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read inbound messages")
}

/// Counts by kind and outcome (the admin page's summary).
pub async fn totals(db: &impl ConnectionTrait) -> anyhow::Result<Vec<(String, String, u64)>> {
    let rows: Vec<(String, String, i64)> = inbound_messages::Entity::find()
        .select_only()
        .column(inbound_messages::Column::Kind)
        .column(inbound_messages::Column::Outcome)
        .column_as(inbound_messages::Column::Id.count(), "n")
        .group_by(inbound_messages::Column::Kind)
        .group_by(inbound_messages::Column::Outcome)
        .order_by_asc(inbound_messages::Column::Kind)
        .order_by_asc(inbound_messages::Column::Outcome)
        .into_tuple()
        .all(db)
        .await
        .context("cannot count inbound messages")?;
    Ok(rows
        .into_iter()
        .map(|(k, o, n)| (k, o, u64::try_from(n).unwrap_or(0)))
        .collect())
}

pub async fn get(
    db: &impl ConnectionTrait,
    id: i64,
) -> anyhow::Result<Option<inbound_messages::Model>> {
    inbound_messages::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the inbound message")
}

/// An operator puts a waiting message aside. False when there is no such waiting message.
pub async fn dismiss(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<bool> {
    Ok(inbound_messages::Entity::update_many()
        .col_expr(
            inbound_messages::Column::Outcome,
            sea_orm::sea_query::Expr::value(Outcome::Dismissed.as_str()),
        )
        .filter(inbound_messages::Column::Id.eq(id))
        .filter(
            inbound_messages::Column::Outcome
                .is_in([Outcome::Pending.as_str(), Outcome::Refused.as_str()]),
        )
        .exec(db)
        .await
        .context("cannot update the inbound message")?
        .rows_affected
        > 0)
}
