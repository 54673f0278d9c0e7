//! The report timers: when the 第1報 was due (discovery + `first_report_hours`), when the next
//! 報 is due while a report is open (last 報 + `next_report_hours`), and the worker step that
//! reminds the reporting organisation once per timer that runs out.

use chrono::{DateTime, Duration, Utc};

use super::Status;
use super::mail::{self, Mailing};
use super::store::{self, Report};
use crate::config::reports::ReportSettings;
use crate::workers::Outcome;

/// Where a report stands against the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    /// The 第1報 came later than the policy asks.
    pub first_late: bool,
    /// When the next 報 is due (open reports).
    pub next_due: Option<DateTime<Utc>>,
    /// The next 報 is past due.
    pub overdue: bool,
}

pub fn of(r: &Report, policy: &ReportSettings, now: DateTime<Utc>) -> Timers {
    let first_due = r.found_at + Duration::hours(i64::from(policy.first_report_hours));
    let next_due = (r.status == Status::Open)
        .then(|| r.last_update_at + Duration::hours(i64::from(policy.next_report_hours)));
    Timers {
        first_late: r.created_at > first_due,
        next_due,
        overdue: next_due.is_some_and(|d| now > d),
    }
}

/// Reminds the organisations of up to 50 overdue reports, once each per timer.
#[tracing::instrument(name = "Remind overdue incident reports", skip_all)]
pub async fn try_execute_task(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::config::Settings,
) -> anyhow::Result<Outcome> {
    let policy = &settings.reports;
    let now = Utc::now();
    let mailing = Mailing::of(settings);
    let requests = remind_requests(db, &mailing, now).await?;
    let before = now - Duration::hours(i64::from(policy.next_report_hours));
    let due = store::due_for_reminder(db, before, 50).await?;
    if due.is_empty() {
        return Ok(if requests {
            Outcome::Worked
        } else {
            Outcome::Idle
        });
    }
    for r in due {
        let txn = crate::db::begin_write(db).await?;
        if !store::claim_reminder(&txn, r.id, r.updates).await? {
            continue;
        }
        let Some(org) = crate::registry::store::find_by_id(&txn, r.org_id).await? else {
            continue;
        };
        let t = of(&r, policy, now);
        let sent =
            mail::queue_reminder(&txn, &mailing, &r, &org, t.next_due.unwrap_or(now), now).await?;
        crate::audit::record(
            &txn,
            &crate::audit::Actor::System,
            "report.remind",
            &format!("report:{}", r.id),
            serde_json::json!({ "next": r.updates + 1, "mailed": sent }),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(Outcome::Worked)
}

/// Reminds the reporter of each 追加報告の依頼 whose due time passed without a 報 since, once;
/// a request answered in time is only marked. True when any was handled.
async fn remind_requests(
    db: &sea_orm::DatabaseConnection,
    mailing: &Mailing<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let due = store::requests_due(db, now, 50).await?;
    let any = !due.is_empty();
    for (step, report, asked_at, due_at) in due {
        let txn = crate::db::begin_write(db).await?;
        if !store::claim_request_reminder(&txn, step, now).await? {
            continue;
        }
        let Some(r) = store::get(&txn, report).await? else {
            txn.commit().await?;
            continue;
        };
        if r.last_update_at > asked_at || r.status != Status::Open {
            txn.commit().await?;
            continue;
        }
        let Some(org) = crate::registry::store::find_by_id(&txn, r.org_id).await? else {
            txn.commit().await?;
            continue;
        };
        let sent = mail::queue_reminder(&txn, mailing, &r, &org, due_at, now).await?;
        crate::audit::record(
            &txn,
            &crate::audit::Actor::System,
            "report.remind_request",
            &format!("report:{}", r.id),
            serde_json::json!({ "due": due_at, "mailed": sent }),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(any)
}
