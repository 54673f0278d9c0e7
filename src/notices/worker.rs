//! Sends queued notices, one per unit of work.

use chrono::Utc;

use super::store;
use crate::delivery::Mailer;
use crate::delivery::transport::SendOutcome;
use crate::workers::Outcome;

/// Sends the oldest queued notice; `Idle` when there is none.
#[tracing::instrument(name = "Send an admin notice", skip_all)]
pub async fn try_execute_task(
    db: &sea_orm::DatabaseConnection,
    mailer: &Mailer,
) -> anyhow::Result<Outcome> {
    // The relay asked us to wait: nothing is claimed (so no attempt is spent) until it may go.
    if mailer.limiter.paused_until().is_some() {
        return Ok(Outcome::Idle);
    }
    let Some(notice) = store::claim(db, Utc::now()).await? else {
        return Ok(Outcome::Idle);
    };
    let to = crate::domain::EmailAddress::parse(&notice.recipient)?;
    let outcome = mailer
        .send_notice(notice.id, &to, &notice.subject, &notice.body)
        .await;
    if let Ok(o) = &outcome {
        mailer.limiter.note(o);
    }
    let (sent, error) = match outcome {
        Ok(SendOutcome::Sent(_)) => (Some(Utc::now()), None),
        Ok(SendOutcome::Transient(e) | SendOutcome::Permanent(e) | SendOutcome::Unconfirmed(e)) => {
            (None, Some(e))
        }
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    // A failed try waits before the next, doubling (a relay that is down does not use up the
    // notice's attempts in a second).
    let retry_at = error.as_ref().map(|_| {
        let attempts = u32::try_from(notice.attempts).unwrap_or(1);
        let wait = crate::delivery::worker::backoff(10, attempts);
        Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default()
    });
    if let Some(e) = &error {
        tracing::warn!(notice = notice.id, error = %e, "a notice was not sent");
    }
    store::record(db, notice.id, sent, error, retry_at).await?;
    Ok(Outcome::Worked)
}
