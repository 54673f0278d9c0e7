//! Queuing an issue's copies: one ledger row per reader, written by the database itself
//! (`INSERT … SELECT`), so a million readers are never held in the hub's memory. Readers: every
//! active, reachable contact address that has not opted out, and every active self-subscribed
//! staff member whose address is not already one of those. Copies go at
//! [`MAGAZINE_PRIORITY`], behind every alert, reminder and drill: the lanes take the most urgent
//! rows first, so an urgent alert approved while an issue is being sent goes out before the
//! rest of the issue.

use crate::domain::ids::IssueId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

/// Lower goes first: alerts are 0–1, drills 2, the hub's digests 3.
pub const MAGAZINE_PRIORITY: i16 = 5;

/// Queues issue `issue_id`'s copies; returns how many. The ledger is `delivery`'s table: this
/// hands it the two queries that name the readers, and it writes the rows.
pub async fn queue(
    db: &impl ConnectionTrait,
    issue_id: IssueId,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let contacts = "SELECT c.organisation_id, c.id, $1, CAST(NULL AS BIGINT), c.email, c.encoding, c.language \
         FROM org_contacts c \
         WHERE c.active AND NOT c.unreachable \
           AND NOT EXISTS (SELECT 1 FROM magazine_optouts o WHERE o.contact_id = c.id) \
         ORDER BY c.id";
    let staff = "SELECT s.organisation_id, CAST(NULL AS BIGINT), $1, s.id, s.email, s.encoding, s.language \
         FROM magazine_subscribers s \
         WHERE s.status = 'active' \
           AND NOT EXISTS (SELECT 1 FROM org_contacts c WHERE c.active AND c.email = s.email) \
         ORDER BY s.id";
    let mut n = 0;
    for select in [contacts, staff] {
        n += crate::delivery::store::enqueue_select(
            db,
            select,
            vec![issue_id.into()],
            crate::delivery::model::Kind::Magazine,
            MAGAZINE_PRIORITY,
            now,
        )
        .await
        .context("cannot queue the magazine's copies")?;
    }
    Ok(n)
}
