//! Writing the ledger: one row per recipient of an alert's revision (one statement per 50,000), or straight from a query for a send too large to hold in memory; then PostgreSQL's statistics refreshed after a bulk queue.

use super::*;
#[allow(unused_imports)]
use crate::domain::ids::{AlertId, RevisionId};

/// Recipients per ledger insert. The rows travel as one JSON parameter that the database
/// unpacks (`json_array_elements` / `json_each`): one short statement to parse and one value to
/// bind, where a multi-row `VALUES` list of 3,000 rows took PostgreSQL about 130 ms to parse,
/// bind and run (`log_min_duration_statement`) — 0.5 s of a 10,000-recipient approval.
pub(super) const INSERT_CHUNK: usize = 50_000;

/// Whom a ledger row is for: an address of an organisation, with how it reads mail. The ledger
/// knows no contact records; `contacts` implements this for its own.
pub trait Recipient {
    fn organisation_id(&self) -> OrgId;
    fn contact_id(&self) -> i64;
    fn email(&self) -> &str;
    fn encoding(&self) -> crate::domain::mail::MailEncoding;
    fn language(&self) -> crate::domain::Language;
}

/// Queues ledger rows straight from a query, for a send too large to hold in memory (a
/// メールマガジン issue to a million readers): one `INSERT … SELECT`. `select` yields, in this
/// order, `organisation_id, contact_id, magazine_issue_id, subscriber_id, email, encoding,
/// language`, with its parameters `$1 … $n` in `params`; the ledger writes the rest (status,
/// attempts, times, `kind`, `priority`). Returns how many rows were queued.
pub async fn enqueue_select(
    db: &impl ConnectionTrait,
    select: &str,
    mut params: Vec<sea_orm::Value>,
    kind: Kind,
    priority: i16,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let n = params.len();
    let (p, t, k) = (n + 1, n + 2, n + 3);
    let sql = format!(
        "INSERT INTO deliveries (organisation_id, contact_id, magazine_issue_id, subscriber_id, \
           email, encoding, language, alert_id, revision_id, priority, status, attempts, \
           next_attempt_at, created_at, updated_at, kind, possible_duplicate) \
         SELECT q.*, NULL, NULL, ${p}, '{queued}', 0, ${t}, ${t}, ${t}, ${k}, FALSE \
         FROM ({select}) q",
        queued = DeliveryStatus::Queued.as_str(),
    );
    params.push(priority.into());
    params.push(now.into());
    params.push(kind.as_str().into());
    Ok(db
        .execute_raw(crate::db::statement(
            db.get_database_backend(),
            &sql,
            params,
        ))
        .await
        .context("cannot queue the deliveries")?
        .rows_affected())
}

/// Writes one queued delivery per recipient; returns how many.
pub async fn enqueue<R: Recipient>(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    revision_id: RevisionId,
    contacts: &[R],
    priority: i16,
    kind: Kind,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let backend = db.get_database_backend();
    // The same statement on both: only how a JSON array is unpacked differs.
    let (fields, rows) = if backend == DbBackend::Postgres {
        (
            "CAST(r.v->>0 AS BIGINT), CAST(r.v->>1 AS BIGINT), r.v->>2, r.v->>3, r.v->>4",
            "json_array_elements(CAST($7 AS JSON)) WITH ORDINALITY AS r(v, n) ORDER BY r.n",
        )
    } else {
        (
            "json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), \
             json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'), json_extract(r.value, '$[4]')",
            "json_each($7) AS r ORDER BY r.key",
        )
    };
    let sql = format!(
        "INSERT INTO deliveries (alert_id, revision_id, organisation_id, contact_id, email, encoding, \
           language, priority, status, attempts, next_attempt_at, created_at, updated_at, kind, \
           possible_duplicate) \
         SELECT $1, $2, {fields}, $3, 'queued', 0, $4, $5, $5, $6, FALSE FROM {rows}"
    );
    for chunk in contacts.chunks(INSERT_CHUNK) {
        let rows: Vec<(OrgId, i64, &str, &str, &str)> = chunk
            .iter()
            .map(|c| {
                (
                    c.organisation_id(),
                    c.contact_id(),
                    c.email(),
                    c.encoding().as_str(),
                    c.language().as_str(),
                )
            })
            .collect();
        let rows = serde_json::to_string(&rows).context("cannot write the recipients")?;
        db.execute_raw(crate::db::statement(
            backend,
            &sql,
            vec![
                alert_id.into(),
                revision_id.into(),
                priority.into(),
                now.into(),
                now.into(),
                kind.as_str().into(),
                rows.into(),
            ],
        ))
        .await
        .context("cannot queue deliveries")?;
    }
    Ok(contacts.len())
}

/// Rows queued at once from which the planner's statistics are refreshed at once.
pub(super) const ANALYZE_AFTER: u64 = 5_000;

/// Refreshes PostgreSQL's statistics of the ledger after `queued` rows were committed in one go
/// (an alert to every organisation, a メールマガジン issue). Until autovacuum noticed a bulk
/// insert, the planner believed the queue small and the claim sorted it instead of walking
/// `idx_deliveries_waiting`: 30 ms a claim with 100,000 copies queued, for the first 15 s of the
/// send, against 1–2 ms after (`noroshi bench magazine`, claim timings of the lanes). SQLite needs
/// nothing. A failure is logged: the queue is committed and sends either way.
pub async fn after_bulk_queue(db: &impl ConnectionTrait, queued: u64) {
    if queued < ANALYZE_AFTER || db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    if let Err(e) = db.execute_unprepared("ANALYZE deliveries").await {
        tracing::warn!(error = %e, "cannot refresh the ledger's statistics");
    }
}
