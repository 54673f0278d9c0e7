//! A survey's follow-ups, once each: a reminder to the organisations that have not submitted,
//! 48 hours before the deadline (or half-way, for a shorter survey); and after the deadline one
//! mail to each prefecture whose municipalities are still silent. Each is claimed in one
//! statement, so two hub processes never both send it.

use chrono::{Duration, Utc};

use super::Status;
use super::store::{self, FollowUp};
use crate::registry::{OrgId, OrgKind};
use crate::workers::Outcome;

#[tracing::instrument(name = "Follow up surveys", skip_all)]
pub async fn try_execute_task(
    db: &sea_orm::DatabaseConnection,
    base_url: &url::Url,
) -> anyhow::Result<Outcome> {
    try_execute_task_at(db, base_url, Utc::now()).await
}

/// The step as of `now` (the worker passes the clock; tests pass the hour they look at).
pub async fn try_execute_task_at(
    db: &sea_orm::DatabaseConnection,
    base_url: &url::Url,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let base = base_url.as_str().trim_end_matches('/').to_owned();
    let mut worked = false;
    for s in store::all(db).await? {
        if s.status != Status::Published {
            continue;
        }
        let published = s.published_at.unwrap_or(s.created_at);
        let lead = Duration::hours(48).min((s.deadline - published) / 2);
        let due_reminder = s.reminded_at.is_none() && now >= s.deadline - lead && now < s.deadline;
        let due_escalation = s.escalated_at.is_none() && now >= s.deadline;
        if !due_reminder && !due_escalation {
            continue;
        }
        let targets = store::targets(db, s.id).await?;
        let answered: std::collections::BTreeSet<OrgId> = store::answers(db, s.id)
            .await?
            .into_iter()
            .filter(|a| a.submitted)
            .map(|a| a.org)
            .collect();
        let silent: Vec<OrgId> = targets
            .into_iter()
            .filter(|o| !answered.contains(o))
            .collect();
        let txn = crate::db::begin_write(db).await?;
        if due_reminder {
            if !store::claim(&txn, s.id, FollowUp::RemindedAt, now).await? {
                continue;
            }
            let subject = format!(
                "【督促】{}（回答期限 {}）",
                s.title,
                crate::time::format_jst(&s.deadline)
            );
            let body = format!(
                "{} への回答がまだ提出されていません。期限までに提出してください（下書きは保存されています）。\n{base}/surveys/{}\n",
                s.title, s.id
            );
            let n = super::publish::queue_to(&txn, &silent, &subject, &body, now).await?;
            crate::audit::record(
                &txn,
                &crate::audit::Actor::System,
                "survey.remind",
                &format!("survey:{}", s.id),
                serde_json::json!({ "organisations": silent.len(), "mailed": n }),
            )
            .await?;
        } else {
            if !store::claim(&txn, s.id, FollowUp::EscalatedAt, now).await? {
                continue;
            }
            // One mail to each prefecture with silent municipalities, with their count.
            let mut by_pref: std::collections::BTreeMap<OrgId, usize> = Default::default();
            for o in &silent {
                if let Some(org) = crate::registry::store::find_by_id(&txn, *o).await?
                    && org.kind == OrgKind::Municipality
                    && let Some(parent) = org.parent_id
                {
                    *by_pref.entry(parent).or_default() += 1;
                }
            }
            for (pref, n) in &by_pref {
                let subject = format!("【管内未回答あり】{}", s.title);
                let body = format!(
                    "回答期限（{}）を過ぎても、管内の {n} 団体が {} に回答していません。\n{base}/surveys/{}/results\n",
                    crate::time::format_jst(&s.deadline),
                    s.title,
                    s.id
                );
                super::publish::queue_to(&txn, &[*pref], &subject, &body, now).await?;
            }
            crate::audit::record(
                &txn,
                &crate::audit::Actor::System,
                "survey.escalate",
                &format!("survey:{}", s.id),
                serde_json::json!({ "prefectures": by_pref.len(), "silent": silent.len() }),
            )
            .await?;
        }
        sea_orm::TransactionSession::commit(txn).await?;
        worked = true;
    }
    Ok(if worked {
        Outcome::Worked
    } else {
        Outcome::Idle
    })
}
