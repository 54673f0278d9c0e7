//! Queuing an issue's copies: one ledger row per reader, written by the database itself
//! (`INSERT … SELECT`), so a million readers are never held in the hub's memory. Readers: every
//! active, reachable contact address that has not opted out, and every active self-subscribed
//! staff member whose address is not already one of those. Copies go at
//! [`MAGAZINE_PRIORITY`], behind every alert, reminder and drill: the lanes take the most urgent
//! rows first, so an urgent alert approved while an issue is being sent goes out before the
//! rest of the issue.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

/// Lower goes first: alerts are 0–1, drills 2, the hub's digests 3.
pub const MAGAZINE_PRIORITY: i16 = 5;

/// Queues issue `issue_id`'s copies; returns how many. The ledger is `delivery`'s table; this
/// writes it in the one statement per reader kind that a bulk send needs.
pub async fn queue(
    db: &impl ConnectionTrait,
    issue_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    let columns = "alert_id, revision_id, organisation_id, contact_id, magazine_issue_id, subscriber_id, \
                   email, encoding, language, priority, status, attempts, next_attempt_at, created_at, \
                   updated_at, kind, possible_duplicate";
    let contacts = format!(
        "INSERT INTO deliveries ({columns}) \
         SELECT NULL, NULL, c.organisation_id, c.id, $1, NULL, c.email, c.encoding, c.language, $2, \
                'queued', 0, $3, $3, $3, 'magazine', FALSE \
         FROM org_contacts c \
         WHERE c.active AND NOT c.unreachable \
           AND NOT EXISTS (SELECT 1 FROM magazine_optouts o WHERE o.contact_id = c.id) \
         ORDER BY c.id"
    );
    let staff = format!(
        "INSERT INTO deliveries ({columns}) \
         SELECT NULL, NULL, s.organisation_id, NULL, $1, s.id, s.email, s.encoding, s.language, $2, \
                'queued', 0, $3, $3, $3, 'magazine', FALSE \
         FROM magazine_subscribers s \
         WHERE s.status = 'active' \
           AND NOT EXISTS (SELECT 1 FROM org_contacts c WHERE c.active AND c.email = s.email) \
         ORDER BY s.id"
    );
    let mut n = 0;
    for sql in [contacts, staff] {
        n += db
            .execute_raw(crate::db::statement(
                backend,
                &sql,
                vec![issue_id.into(), MAGAZINE_PRIORITY.into(), now.into()],
            ))
            .await
            .context("cannot queue the magazine's copies")?
            .rows_affected();
    }
    Ok(n)
}
