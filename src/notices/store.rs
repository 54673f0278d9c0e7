//! Database access for `admin_notices`.

use crate::domain::ids::{InquiryId, ReportId};
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};

use crate::db::entities::admin_notices;
use crate::domain::EmailAddress;

/// Attempts before a notice is given up (its last error stays for the admin page).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a worker holds a notice it is sending.
const CLAIM_SECS: i64 = 60;

crate::string_enum! {
    /// What a notice is, which decides its place in the queue: a flood of one kind (anyone can ask
    /// for subscription confirmations) never delays the kinds above it.
    pub enum NoticeKind ("notice kind") {
        /// To hub administrators: a privileged account was created, reset or disabled.
        Security = "security",
        /// An incident report's 報, notes and reminders.
        Report = "report",
        /// A 照会: a desk told of a question, an asker of its answer.
        Inquiry = "inquiry",
        /// 連絡先確認: a request to confirm an organisation's addresses.
        Contact = "contact",
        /// Survey requests and reminders, report cards.
        Survey = "survey",
        /// メールマガジン subscription confirmations (asked for on a public form).
        Subscription = "subscription",
    }
}

impl NoticeKind {
    /// Lower goes first.
    pub fn priority(self) -> i16 {
        match self {
            Self::Security => 0,
            Self::Report | Self::Inquiry => 1,
            Self::Contact => 2,
            Self::Survey => 3,
            Self::Subscription => 4,
        }
    }
}

/// What a notice is the ledger row of: nothing, a report (who was told of which 報), or a 照会.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ledger {
    None,
    Report(ReportId),
    Inquiry(InquiryId),
}

async fn insert(
    db: &impl ConnectionTrait,
    kind: NoticeKind,
    ledger: Ledger,
    to: &EmailAddress,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (report_id, inquiry_id) = match ledger {
        Ledger::None => (None, None),
        Ledger::Report(r) => (Some(r), None),
        Ledger::Inquiry(i) => (None, Some(i)),
    };
    admin_notices::ActiveModel {
        recipient: Set(to.as_str().to_owned()),
        subject: Set(subject.chars().take(200).collect()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        attempts: Set(0),
        report_id: Set(report_id),
        inquiry_id: Set(inquiry_id),
        kind: Set(kind.as_str().to_owned()),
        priority: Set(kind.priority()),
        ..Default::default()
    }
    .insert(db)
    .await
    .with_context(|| format!("cannot queue the {} notice", kind.as_str()))?;
    Ok(())
}

/// Queues one notice to one address.
pub async fn queue(
    db: &impl ConnectionTrait,
    kind: NoticeKind,
    to: &EmailAddress,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    insert(db, kind, Ledger::None, to, subject, body, now).await
}

/// Queues one mail about an incident report to one address: the report's per-recipient
/// ledger (who was told of which 報, and whether it went).
pub async fn queue_for_report(
    db: &impl ConnectionTrait,
    to: &EmailAddress,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
    report_id: ReportId,
) -> anyhow::Result<()> {
    let ledger = Ledger::Report(report_id);
    insert(db, NoticeKind::Report, ledger, to, subject, body, now).await
}

/// Queues the same mail once to each address (an address listed twice, in any case, gets one
/// copy), each a row of `ledger`; returns how many went in.
pub async fn queue_each(
    db: &impl ConnectionTrait,
    kind: NoticeKind,
    ledger: Ledger,
    to: Vec<EmailAddress>,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut seen = std::collections::BTreeSet::new();
    for a in to {
        if seen.insert(a.as_str().to_ascii_lowercase()) {
            insert(db, kind, ledger, &a, subject, body, now).await?;
        }
    }
    Ok(seen.len())
}

/// The mails of one 照会, oldest first.
pub async fn for_inquiry(
    db: &impl ConnectionTrait,
    inquiry_id: InquiryId,
) -> anyhow::Result<Vec<admin_notices::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    admin_notices::Entity::find()
        .filter(admin_notices::Column::InquiryId.eq(inquiry_id))
        .order_by_asc(admin_notices::Column::Id)
        .all(db)
        .await
        .context("cannot read the 照会's mails")
}

/// The mails of one report, oldest first.
pub async fn for_report(
    db: &impl ConnectionTrait,
    report_id: ReportId,
) -> anyhow::Result<Vec<admin_notices::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    admin_notices::Entity::find()
        .filter(admin_notices::Column::ReportId.eq(report_id))
        .order_by_asc(admin_notices::Column::Id)
        .all(db)
        .await
        .context("cannot read the report's mails")
}

/// Takes the most urgent unsent notice nobody holds (by kind, then the oldest), in one statement
/// (so two processes never take the same one), and holds it for a minute.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<admin_notices::Model>> {
    let row = db
        .query_one_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE admin_notices SET claimed_until = $1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM admin_notices \
                         WHERE sent_at IS NULL AND attempts < $3 \
                           AND (claimed_until IS NULL OR claimed_until < $2) \
                         ORDER BY priority, id LIMIT 1) \
               AND (claimed_until IS NULL OR claimed_until < $2) \
             RETURNING id",
            vec![
                (now + Duration::seconds(CLAIM_SECS)).into(),
                now.into(),
                MAX_ATTEMPTS.into(),
            ],
        ))
        .await
        .context("cannot claim a notice")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: i64 = row.try_get("", "id").context("cannot read the notice id")?;
    admin_notices::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the notice")
}

/// Records the outcome of a send: sent, or the error (a claim after `retry_at` tries again).
pub async fn record(
    db: &impl ConnectionTrait,
    id: i64,
    sent_at: Option<DateTime<Utc>>,
    error: Option<String>,
    retry_at: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    admin_notices::ActiveModel {
        id: Set(id),
        sent_at: Set(sent_at),
        claimed_until: Set(retry_at),
        last_error: Set(error),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot record the notice")?;
    Ok(())
}

/// A notice a bounce came back for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BouncedNotice {
    pub id: i64,
    pub recipient: String,
    pub kind: String,
    pub report_id: Option<ReportId>,
    pub inquiry_id: Option<InquiryId>,
    /// The first bounce recorded for it (a second copy of the same bounce changes nothing).
    pub first: bool,
}

/// Records a bounce to notice `id`'s own envelope sender: the first one wins; `None` when
/// there is no such notice.
pub async fn mark_bounced(
    db: &impl ConnectionTrait,
    id: i64,
    status: Option<&str>,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<BouncedNotice>> {
    let marked = db
        .query_one_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE admin_notices SET bounced_at = $1, bounce_status = $2, bounce_reason = $3 \
             WHERE id = $4 AND bounced_at IS NULL RETURNING id",
            vec![
                now.into(),
                status
                    .map(|s| s.chars().take(16).collect::<String>())
                    .into(),
                reason.replace('\0', "").into(),
                id.into(),
            ],
        ))
        .await
        .context("cannot mark the notice bounced")?;
    Ok(admin_notices::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the notice")?
        .map(|row| BouncedNotice {
            id,
            recipient: row.recipient,
            kind: row.kind,
            report_id: row.report_id,
            inquiry_id: row.inquiry_id,
            first: marked.is_some(),
        }))
}

/// How a notice stands, in the words the portal's catalog translates: a bounce came back, sent,
/// waiting to retry, waiting to be sent.
pub fn state_ja(m: &admin_notices::Model) -> &'static str {
    match (m.bounced_at, m.sent_at, &m.last_error) {
        (Some(_), _, _) => "届きませんでした",
        (None, Some(_), _) => "送信済み",
        (None, None, Some(_)) => "再試行待ち",
        (None, None, None) => "送信待ち",
    }
}

/// Every notice, newest first (the admin page, tests).
pub async fn recent(
    db: &impl ConnectionTrait,
    limit: u64,
) -> anyhow::Result<Vec<admin_notices::Model>> {
    use sea_orm::QuerySelect;
    admin_notices::Entity::find()
        .order_by_desc(admin_notices::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the notices")
}
