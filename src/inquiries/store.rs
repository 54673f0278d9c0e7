//! 照会 in the database: rows in and rows out. The audited actions are [`super::act`].

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{About, Inquiry, InquiryId, Message, Status};
use crate::db::entities::{inquiries, inquiry_messages};
use crate::registry::OrgId;

fn to_inquiry(m: inquiries::Model) -> anyhow::Result<Inquiry> {
    let ctx = || format!("照会 {}", m.id);
    Ok(Inquiry {
        id: m.id,
        org_id: m.organisation_id,
        desk: m.desk_organisation_id,
        about: About::stored(&m.about_kind, m.about_id).with_context(ctx)?,
        title: m.title.clone(),
        asker_email: m.asker_email.clone(),
        via: m.via.clone(),
        sender_vouched: m.sender_vouched,
        status: Status::stored(&m.status).with_context(ctx)?,
        created_at: m.created_at,
        last_message_at: m.last_message_at,
        answered_at: m.answered_at,
        escalated_at: m.escalated_at,
        faq_question: m.faq_question,
        faq_answer: m.faq_answer,
        faq_published_at: m.faq_published_at,
    })
}

/// A new question's row.
pub struct NewInquiry<'a> {
    pub org: OrgId,
    pub desk: Option<OrgId>,
    pub about: About,
    pub title: &'a str,
    pub asker_email: &'a str,
    pub via: &'a str,
    pub sender_vouched: bool,
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    q: &NewInquiry<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<InquiryId> {
    let row = inquiries::ActiveModel {
        organisation_id: Set(q.org),
        desk_organisation_id: Set(q.desk),
        about_kind: Set(q.about.kind().into()),
        about_id: Set(q.about.id()),
        title: Set(q.title.into()),
        asker_email: Set(q.asker_email.into()),
        via: Set(q.via.into()),
        sender_vouched: Set(q.sender_vouched),
        status: Set(Status::Open.as_str().into()),
        created_at: Set(now),
        last_message_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the 照会")?;
    Ok(row.id)
}

pub(super) async fn insert_message(
    db: &impl ConnectionTrait,
    id: InquiryId,
    from_desk: bool,
    author: &str,
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    inquiry_messages::ActiveModel {
        inquiry_id: Set(id),
        from_desk: Set(from_desk),
        author: Set(author.into()),
        body: Set(body.into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot write the 照会's message")?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: InquiryId) -> anyhow::Result<Option<Inquiry>> {
    inquiries::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read the 照会")?
        .map(to_inquiry)
        .transpose()
}

/// The row under a write lock (PostgreSQL; SQLite's write transaction holds the database).
pub(super) async fn lock(
    db: &impl ConnectionTrait,
    id: InquiryId,
) -> anyhow::Result<Option<Inquiry>> {
    let mut q = inquiries::Entity::find_by_id(id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(db)
        .await
        .context("cannot read the 照会")?
        .map(to_inquiry)
        .transpose()
}

pub async fn messages(db: &impl ConnectionTrait, id: InquiryId) -> anyhow::Result<Vec<Message>> {
    Ok(inquiry_messages::Entity::find()
        .filter(inquiry_messages::Column::InquiryId.eq(id))
        .order_by_asc(inquiry_messages::Column::Id)
        .all(db)
        .await
        .context("cannot read the 照会's messages")?
        .into_iter()
        .map(|m| Message {
            from_desk: m.from_desk,
            author: m.author,
            body: m.body,
            created_at: m.created_at,
        })
        .collect())
}

/// Whose questions a list shows.
pub enum ListScope {
    /// An organisation's own questions.
    Asked(OrgId),
    /// The centre's queue.
    CentreDesk,
    /// A prefecture's queue.
    PrefectureDesk(OrgId),
}

/// Questions newest first (at most 500).
pub async fn list(db: &impl ConnectionTrait, scope: ListScope) -> anyhow::Result<Vec<Inquiry>> {
    let q = inquiries::Entity::find();
    let q = match scope {
        ListScope::Asked(o) => q.filter(inquiries::Column::OrganisationId.eq(o)),
        ListScope::CentreDesk => q.filter(inquiries::Column::DeskOrganisationId.is_null()),
        ListScope::PrefectureDesk(p) => q.filter(inquiries::Column::DeskOrganisationId.eq(p)),
    };
    q.order_by_desc(inquiries::Column::LastMessageAt)
        .limit(500)
        .all(db)
        .await
        .context("cannot read the 照会")?
        .into_iter()
        .map(to_inquiry)
        .collect()
}

/// The published よくある質問, newest first.
pub async fn faq(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Inquiry>> {
    inquiries::Entity::find()
        .filter(inquiries::Column::FaqPublishedAt.is_not_null())
        .order_by_desc(inquiries::Column::FaqPublishedAt)
        .limit(500)
        .all(db)
        .await
        .context("cannot read the よくある質問")?
        .into_iter()
        .map(to_inquiry)
        .collect()
}

pub(super) async fn set_status(
    db: &impl ConnectionTrait,
    id: InquiryId,
    status: Status,
    answered: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut a = inquiries::ActiveModel {
        id: Set(id),
        status: Set(status.as_str().into()),
        last_message_at: Set(now),
        ..Default::default()
    };
    if let Some(t) = answered {
        a.answered_at = Set(Some(t));
    }
    a.update(db).await.context("cannot update the 照会")?;
    Ok(())
}

pub(super) async fn set_faq(
    db: &impl ConnectionTrait,
    id: InquiryId,
    question: &str,
    answer: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    inquiries::ActiveModel {
        id: Set(id),
        faq_question: Set(Some(question.into())),
        faq_answer: Set(Some(answer.into())),
        faq_published_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot publish the よくある質問")?;
    Ok(())
}

/// Open questions asked before `before` that were never answered nor escalated.
pub(super) async fn to_escalate(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
    limit: u64,
) -> anyhow::Result<Vec<Inquiry>> {
    inquiries::Entity::find()
        .filter(inquiries::Column::Status.eq(Status::Open.as_str()))
        .filter(inquiries::Column::AnsweredAt.is_null())
        .filter(inquiries::Column::EscalatedAt.is_null())
        .filter(inquiries::Column::CreatedAt.lt(before))
        .order_by_asc(inquiries::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the 照会 to escalate")?
        .into_iter()
        .map(to_inquiry)
        .collect()
}

/// Marks one escalated: true for exactly one caller.
pub(super) async fn claim_escalation(
    db: &impl ConnectionTrait,
    id: InquiryId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = inquiries::Entity::update_many()
        .col_expr(
            inquiries::Column::EscalatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(
            Condition::all()
                .add(inquiries::Column::Id.eq(id))
                .add(inquiries::Column::EscalatedAt.is_null())
                .add(inquiries::Column::AnsweredAt.is_null()),
        )
        .exec(db)
        .await
        .context("cannot mark the 照会 escalated")?;
    Ok(done.rows_affected == 1)
}
