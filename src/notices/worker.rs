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
    let Some(notice) = store::claim(db, Utc::now()).await? else {
        return Ok(Outcome::Idle);
    };
    let to = crate::domain::EmailAddress::parse(&notice.recipient)?;
    let outcome = mailer
        .send_notice(notice.id, &to, &notice.subject, &notice.body)
        .await;
    let (sent, error) = match outcome {
        Ok(SendOutcome::Sent(_)) => (Some(Utc::now()), None),
        Ok(SendOutcome::Transient(e) | SendOutcome::Permanent(e)) => (None, Some(e)),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    if let Some(e) = &error {
        tracing::warn!(notice = notice.id, error = %e, "an admin notice was not sent");
    }
    store::record(db, notice.id, sent, error).await?;
    Ok(Outcome::Worked)
}
