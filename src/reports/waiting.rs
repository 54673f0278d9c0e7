//! What a report waits for, and from whom, read from its 報 and the desk's steps; and the
//! 個人情報保護委員会 deadlines of a report with personal data leaked.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::steps::{Partner, Stage, Step, StepKind};
use super::store::{Report, Update};
use super::{Status, Tri};
use crate::classify::model::Category;

/// Who a report waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The reporting organisation.
    Reporter,
    /// The centre (or the prefecture relaying).
    Desk,
}

/// One thing a report waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Waiting {
    pub on: Party,
    /// What, in Japanese (the portal translates it).
    pub what: &'static str,
    pub due: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// The 個人情報保護委員会 deadlines of a report with personal data leaked (or possibly leaked),
/// counted from its discovery: 速報 within about 3–5 days (the later bound is the deadline
/// shown), 確報 within 30 days, or 60 where the cause is unauthorised access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PpcDeadline {
    pub stage: Stage,
    pub due: DateTime<Utc>,
    /// When the 連携 of that stage was recorded.
    pub done_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

pub fn ppc_deadlines(latest: &Update, steps: &[Step], now: DateTime<Utc>) -> Vec<PpcDeadline> {
    let f = &latest.fields;
    if f.personal_data != Tri::Yes || f.leaked == Tri::No {
        return Vec::new();
    }
    let unauthorised = f
        .categories
        .iter()
        .any(|c| c == Category::UnauthorizedAccess.as_str());
    [
        (Stage::Preliminary, 5),
        (Stage::Final, if unauthorised { 60 } else { 30 }),
    ]
    .into_iter()
    .map(|(stage, days)| {
        let due = f.found_at + Duration::days(days);
        let done_at = steps
            .iter()
            .filter(|s| {
                s.kind == StepKind::Liaison
                    && s.partner == Some(Partner::Ppc)
                    && s.stage == Some(stage)
            })
            .filter_map(|s| s.sent_at.or(Some(s.created_at)))
            .min();
        PpcDeadline {
            stage,
            due,
            done_at,
            overdue: done_at.is_none() && now > due,
        }
    })
    .collect()
}

/// The latest step of one of `kinds`.
fn last_of<'a>(steps: &'a [Step], kinds: &[StepKind]) -> Option<&'a Step> {
    steps.iter().rev().find(|s| kinds.contains(&s.kind))
}

/// What the report waits for, from whom: an open 追加報告の依頼; a 対処方針 or 再発防止策 not yet
/// approved since the 報 that carried it; a 最終報 whose 対処結果 is not confirmed; a
/// 再発防止状況 to check; or the next 報 (`next_due` by the timers).
pub fn waiting(
    report: &Report,
    updates: &[Update],
    steps: &[Step],
    next_due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<Waiting> {
    let mut out = Vec::new();
    let Some(latest) = updates.last() else {
        return out;
    };
    let at = |d: Option<DateTime<Utc>>| d.is_some_and(|d| now > d);
    // A request answered by a 報 after it is done.
    if let Some(req) = last_of(steps, &[StepKind::Request])
        && latest.created_at <= req.created_at
        && report.status == Status::Open
    {
        out.push(Waiting {
            on: Party::Reporter,
            what: "追加報告（依頼への回答）",
            due: req.due_at,
            overdue: at(req.due_at),
        });
    } else if report.status == Status::Open {
        out.push(Waiting {
            on: Party::Reporter,
            what: "次の報",
            due: next_due,
            overdue: at(next_due),
        });
    }
    let decided_since = |kinds: &[StepKind], text: fn(&Update) -> &str| {
        // The 報 where the text last changed.
        let changed = updates
            .windows(2)
            .rfind(|w| text(&w[0]) != text(&w[1]))
            .map(|w| w[1].seq)
            .unwrap_or(1);
        !text(latest).is_empty()
            && last_of(steps, kinds).is_none_or(|s| s.update_seq.unwrap_or(0) < changed)
    };
    if report.status != Status::Closed {
        if decided_since(&[StepKind::PlanApproved, StepKind::PlanReturned], |u| {
            &u.fields.response_plan
        }) {
            out.push(Waiting {
                on: Party::Desk,
                what: "対処方針の承認",
                due: None,
                overdue: false,
            });
        }
        if decided_since(
            &[StepKind::PreventionApproved, StepKind::PreventionReturned],
            |u| &u.fields.prevention,
        ) {
            out.push(Waiting {
                on: Party::Desk,
                what: "再発防止策の承認",
                due: None,
                overdue: false,
            });
        }
    }
    if report.status == Status::Final {
        out.push(Waiting {
            on: Party::Desk,
            what: "対処結果の確認",
            due: None,
            overdue: false,
        });
    }
    if let Some(due) = follow_up_due(steps) {
        out.push(Waiting {
            on: Party::Desk,
            what: "再発防止状況の確認",
            due: Some(due),
            overdue: now > due,
        });
    }
    out
}

/// When the approved 再発防止策's carrying-out is to be checked, unless it has been since.
pub fn follow_up_due(steps: &[Step]) -> Option<DateTime<Utc>> {
    let approved = last_of(steps, &[StepKind::PreventionApproved])?;
    let checked = steps
        .iter()
        .any(|s| s.kind == StepKind::PreventionChecked && s.created_at >= approved.created_at);
    (!checked).then_some(approved.due_at).flatten()
}
