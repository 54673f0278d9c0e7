//! A メールマガジン issue: composed from a period's published alerts (not drills, never
//! TLP:RED), newly published cases (TLP:CLEAR and GREEN) and JPCERT/CC's items, with the
//! editor's introduction; edited and submitted by central operators, published by a central
//! approver who neither composed nor submitted it (four eyes, as for alerts). Publishing gives
//! the issue its number; approving again changes and sends nothing.
//!
//! Who sees which item is the alerts' own rule: TLP:CLEAR items everyone (the public archive
//! too), GREEN items the community (every signed-in reader), AMBER and AMBER+STRICT alert items
//! only the organisations the alert may be seen by (`alerts::access`) and central staff.
//!
//! Owns `magazine_issues`.

use crate::domain::ids::AlertId;
use crate::domain::ids::IssueId;
use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::auth::{Role, User};
use crate::db::begin_write;
use crate::db::entities::{advisories, magazine_issues};
use crate::domain::{Severity, Tlp};
use crate::error::Failure;
use crate::registry::Organisation;

mod gather;
mod reading;
mod summary;
pub use gather::gather;
pub use reading::*;

/// Where an item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A published 注意喚起 of the hub.
    Alert,
    /// JPCERT/CC's 早期警戒情報 (by mail, shared under restriction): for the local governments'
    /// readers, in its own section after the alerts.
    EarlyWarning,
    /// A newly published 事故事例・取組事例.
    Case,
    /// JPCERT/CC's 注意喚起 and Weekly Report.
    Jpcert,
}

impl ItemKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Alert => "注意喚起",
            Self::EarlyWarning => "早期警戒情報",
            Self::Case => "事例",
            Self::Jpcert => "JPCERT/CC",
        }
    }
}

/// One item of an issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub kind: ItemKind,
    pub title: String,
    /// A line or two; never the alert's whole body.
    pub summary: String,
    /// A portal path (`/alerts/NRS-2026-0001`) or an upstream URL.
    pub link: String,
    pub tlp: Tlp,
    /// The alert an alert item is, for the visibility rule.
    pub alert_id: Option<AlertId>,
    pub severity: Option<Severity>,
    pub date: DateTime<Utc>,
}

crate::string_enum! {
    /// An issue's state.
    pub enum Status ("magazine issue status") {
        Draft = "draft",
        Submitted = "submitted",
        Published = "published",
    }
}

impl Status {}

#[derive(Clone, Debug)]
pub struct Issue {
    pub id: IssueId,
    pub number: Option<i32>,
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    pub title: String,
    pub intro: String,
    pub items: Vec<Item>,
    pub status: Status,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub approved_by: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

fn to_issue(m: magazine_issues::Model) -> anyhow::Result<Issue> {
    Ok(Issue {
        items: serde_json::from_str(&m.items)
            .with_context(|| format!("magazine issue {} has unreadable items", m.id))?,
        status: Status::stored(&m.status).with_context(|| format!("magazine issue {}", m.id))?,
        id: m.id,
        number: m.number,
        period_from: m.period_from,
        period_to: m.period_to,
        title: m.title,
        intro: m.intro,
        created_by: m.created_by,
        submitted_by: m.submitted_by,
        approved_by: m.approved_by,
        published_at: m.published_at,
    })
}

/// `2026-W49` → Monday 00:00 JST to the next Monday 00:00 JST.
pub fn parse_week(s: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let bad = || format!("`{s}` is not an ISO week: write it as 2026-W49");
    let (y, w) = s.trim().split_once("-W").ok_or_else(bad)?;
    let (y, w): (i32, u32) = (y.parse().map_err(|_| bad())?, w.parse().map_err(|_| bad())?);
    let monday = NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?;
    let start = chrono_tz::Asia::Tokyo
        .from_local_datetime(&monday.and_hms_opt(0, 0, 0).ok_or_else(bad)?)
        .single()
        .ok_or_else(bad)?
        .with_timezone(&Utc);
    Ok((start, start + Duration::days(7)))
}

/// The ISO week of `t` in JST, as `2026-W49`.
pub fn week_of(t: DateTime<Utc>) -> String {
    let d = t.with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Most cases an issue carries (the newest): a letter, not the library.
const MAX_CASES: usize = 10;
/// Most JPCERT/CC items an issue carries.
const MAX_JPCERT: u64 = 20;

/// Who composes, edits and submits issues: central operators and the hub administrator.
pub fn may_write(user: &User) -> bool {
    matches!(user.role, Role::CentralOperator | Role::Admin)
}

fn need_central_operator(user: &User, what: &str) -> Result<(), Failure> {
    if may_write(user) {
        Ok(())
    } else {
        Err(Failure::Forbidden(format!(
            "{what} a magazine issue is for central operators; {} is {}",
            user.email, user.role
        )))
    }
}

/// Composes a draft for the period `[from, to)`.
pub async fn compose<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user: &User,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Issue, Failure> {
    need_central_operator(user, "composing")?;
    if to <= from || to - from > Duration::days(93) {
        return Err(Failure::Invalid(
            "period: the end must come after the start, at most 93 days later".into(),
        ));
    }
    let items = gather(db, from, to).await?;
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    // One issue per period: a second over the same days would carry the same items again.
    if let Some(other) = magazine_issues::Entity::find()
        .filter(magazine_issues::Column::PeriodFrom.lt(to))
        .filter(magazine_issues::Column::PeriodTo.gt(from))
        .one(&txn)
        .await
        .map_err(anyhow::Error::from)?
    {
        return Err(Failure::Conflict(format!(
            "この期間には既に号があります: {}（{} – {}、{}）。新しく作らず、その号を編集してください",
            other.title,
            crate::time::format_jst(&other.period_from),
            crate::time::format_jst(&other.period_to),
            match other.status.as_str() {
                "draft" => "下書き",
                "submitted" => "承認待ち",
                _ => "配信済み",
            }
        )));
    }
    let week = week_of(from);
    let m = magazine_issues::ActiveModel {
        number: Set(None),
        period_from: Set(from),
        period_to: Set(to),
        title: Set(format!("自治体CEPTOARメールマガジン {week}")),
        intro: Set(String::new()),
        items: Set(serde_json::to_string(&items).map_err(anyhow::Error::from)?),
        status: Set(Status::Draft.as_str().into()),
        created_by: Set(Actor::of(user).to_string()),
        submitted_by: Set(None),
        submitted_at: Set(None),
        approved_by: Set(None),
        published_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(anyhow::Error::from)?;
    audit::record(
        &txn,
        &Actor::of(user),
        "magazine.compose",
        &format!("magazine_issue:{}", m.id),
        serde_json::json!({ "from": from, "to": to, "items": items.len() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(to_issue(m)?)
}

pub async fn get(db: &impl ConnectionTrait, id: IssueId) -> anyhow::Result<Option<Issue>> {
    magazine_issues::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the magazine issue")?
        .map(to_issue)
        .transpose()
}

pub async fn by_number(db: &impl ConnectionTrait, number: i32) -> anyhow::Result<Option<Issue>> {
    magazine_issues::Entity::find()
        .filter(magazine_issues::Column::Number.eq(number))
        .one(db)
        .await
        .context("cannot read the magazine issue")?
        .map(to_issue)
        .transpose()
}

/// Published issues, newest first; drafts and submitted ones too when `all`.
pub async fn list(db: &impl ConnectionTrait, all: bool, limit: u64) -> anyhow::Result<Vec<Issue>> {
    let mut q = magazine_issues::Entity::find()
        .order_by_desc(magazine_issues::Column::PeriodFrom)
        .order_by_desc(magazine_issues::Column::Id)
        .limit(limit);
    if !all {
        q = q.filter(magazine_issues::Column::Status.eq(Status::Published.as_str()));
    }
    q.all(db)
        .await
        .context("cannot read magazine issues")?
        .into_iter()
        .map(to_issue)
        .collect()
}

async fn load_for_update<C: ConnectionTrait>(
    txn: &C,
    id: IssueId,
) -> Result<magazine_issues::Model, Failure> {
    magazine_issues::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| Failure::NotFound(format!("no magazine issue {id}")))
}

/// Changes a draft's title and introduction (and drops items by index), audited.
pub async fn edit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user: &User,
    id: IssueId,
    title: &str,
    intro: &str,
    drop: &[usize],
    now: DateTime<Utc>,
) -> Result<Issue, Failure> {
    need_central_operator(user, "editing")?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
        return Err(Failure::Invalid(
            "title: 1–200 characters, without control characters".into(),
        ));
    }
    let intro = intro.trim().replace("\r\n", "\n");
    if intro.chars().count() > 5_000 || intro.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Failure::Invalid("intro: at most 5,000 characters".into()));
    }
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let m = load_for_update(&txn, id).await?;
    if m.status != Status::Draft.as_str() {
        return Err(Failure::Conflict(format!(
            "magazine issue {id} is {}; only a draft can be edited",
            m.status
        )));
    }
    let mut items: Vec<Item> = serde_json::from_str(&m.items).map_err(anyhow::Error::from)?;
    if let Some(bad) = drop.iter().find(|i| **i >= items.len()) {
        return Err(Failure::Invalid(format!(
            "drop: there is no item {}",
            bad + 1
        )));
    }
    let mut index = 0;
    items.retain(|_| {
        let keep = !drop.contains(&index);
        index += 1;
        keep
    });
    let mut a: magazine_issues::ActiveModel = m.into();
    a.title = Set(title.to_owned());
    a.intro = Set(intro);
    a.items = Set(serde_json::to_string(&items).map_err(anyhow::Error::from)?);
    a.updated_at = Set(now);
    let m = a.update(&txn).await.map_err(anyhow::Error::from)?;
    audit::record(
        &txn,
        &Actor::of(user),
        "magazine.edit",
        &format!("magazine_issue:{id}"),
        serde_json::json!({ "dropped": drop.len(), "items": items.len() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(to_issue(m)?)
}

/// Submits a draft for approval.
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user: &User,
    id: IssueId,
    now: DateTime<Utc>,
) -> Result<Issue, Failure> {
    need_central_operator(user, "submitting")?;
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let m = load_for_update(&txn, id).await?;
    if m.status != Status::Draft.as_str() {
        return Err(Failure::Conflict(format!(
            "magazine issue {id} is {}; only a draft can be submitted",
            m.status
        )));
    }
    let mut a: magazine_issues::ActiveModel = m.into();
    a.status = Set(Status::Submitted.as_str().into());
    a.submitted_by = Set(Some(Actor::of(user).to_string()));
    a.submitted_at = Set(Some(now));
    a.updated_at = Set(now);
    let m = a.update(&txn).await.map_err(anyhow::Error::from)?;
    audit::record(
        &txn,
        &Actor::of(user),
        "magazine.submit",
        &format!("magazine_issue:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(to_issue(m)?)
}

/// What an approval did.
#[derive(Debug)]
pub struct Published {
    pub issue: Issue,
    /// False when it was published already: nothing changed and nothing is sent again.
    pub newly: bool,
    /// Copies queued by this approval (0 when it was published already).
    pub copies: u64,
}

/// Publishes a submitted issue: a central approver who neither composed nor submitted it. The
/// issue gets the next number. Approving a published issue again changes nothing.
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user: &User,
    id: IssueId,
    now: DateTime<Utc>,
) -> Result<Published, Failure> {
    if user.role != Role::CentralApprover {
        return Err(Failure::Forbidden(format!(
            "publishing a magazine issue is for central approvers; {} is {}",
            user.email, user.role
        )));
    }
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let m = load_for_update(&txn, id).await?;
    if m.status == Status::Published.as_str() {
        return Ok(Published {
            issue: to_issue(m)?,
            newly: false,
            copies: 0,
        });
    }
    if m.status != Status::Submitted.as_str() {
        return Err(Failure::Conflict(format!(
            "magazine issue {id} is {}; submit it first",
            m.status
        )));
    }
    let me = Actor::of(user).to_string();
    if m.created_by == me || m.submitted_by.as_deref() == Some(me.as_str()) {
        return Err(Failure::Forbidden(
            "four eyes: the approver must be someone other than who composed or submitted the issue".into(),
        ));
    }
    let others = [
        m.created_by.as_str(),
        m.submitted_by.as_deref().unwrap_or(""),
    ];
    if let Err(why) = crate::auth::independent(&txn, user, &others).await? {
        return Err(Failure::Forbidden(why));
    }
    let number = magazine_issues::Entity::find()
        .filter(magazine_issues::Column::Number.is_not_null())
        .order_by_desc(magazine_issues::Column::Number)
        .one(&txn)
        .await
        .map_err(anyhow::Error::from)?
        .and_then(|m| m.number)
        .unwrap_or(0)
        + 1;
    // The items were gathered at composition: what happened to their alerts since counts.
    let before: Vec<Item> = serde_json::from_str(&m.items)
        .with_context(|| format!("magazine issue {id}: its items do not read"))?;
    let (items, withheld) = current_items(&txn, before).await?;
    let mut a: magazine_issues::ActiveModel = m.into();
    a.items = Set(serde_json::to_string(&items).map_err(anyhow::Error::from)?);
    a.status = Set(Status::Published.as_str().into());
    a.number = Set(Some(number));
    a.approved_by = Set(Some(me));
    a.published_at = Set(Some(now));
    a.updated_at = Set(now);
    let m = a.update(&txn).await.map_err(anyhow::Error::from)?;
    // The copies are queued in the same transaction: published means on its way to everyone.
    let copies = super::send::queue(&txn, id, now).await?;
    audit::record(
        &txn,
        &Actor::of(user),
        "magazine.publish",
        &format!("magazine_issue:{id}"),
        serde_json::json!({ "number": number, "copies": copies, "items_changed_since_composed": withheld }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    crate::delivery::store::after_bulk_queue(db, copies).await;
    Ok(Published {
        issue: to_issue(m)?,
        newly: true,
        copies,
    })
}
