//! The mail of 照会: the desk told of a new question, a follow-up or an escalation; the asker
//! given the answer at the address that asked. Queued as notices in the transaction of the
//! change, each a row of the 照会's ledger.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{Inquiry, InquiryId};
use crate::domain::{EmailAddress, Tlp};
use crate::reports::mail::Mailing;

fn link(m: &Mailing<'_>, id: InquiryId) -> String {
    format!("{}/inquiries/{id}", m.base_url.trim_end_matches('/'))
}

/// The desk's addresses: the centre's desk, or the prefecture's contacts.
pub async fn desk_addresses(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    q: &Inquiry,
) -> anyhow::Result<Vec<EmailAddress>> {
    match q.desk {
        None => crate::reports::mail::desk(db, m.settings).await,
        Some(p) => Ok(crate::contacts::store::receiving(db, &[p], Tlp::Amber)
            .await?
            .into_iter()
            .map(|c| c.email)
            .collect()),
    }
}

async fn queue_all(
    db: &impl ConnectionTrait,
    to: Vec<EmailAddress>,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
    id: InquiryId,
) -> anyhow::Result<usize> {
    use crate::notices::store::{Ledger, NoticeKind, queue_each};
    queue_each(
        db,
        NoticeKind::Inquiry,
        Ledger::Inquiry(id),
        to,
        subject,
        body,
        now,
    )
    .await
}

/// Tells the desk of a question or a follow-up: who asks, about what, the words.
#[allow(clippy::too_many_arguments)]
pub async fn queue_to_desk(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    q: &Inquiry,
    asker: &str,
    about: &str,
    body: &str,
    follow_up: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let to = desk_addresses(db, m, q).await?;
    let what = if follow_up {
        "照会（追加）"
    } else {
        "照会"
    };
    let subject = format!("【{what}】#{} {}", q.id, q.title);
    let body = format!(
        "TLP:AMBER — 受け取った組織の中で、知る必要のある人に限って共有してください。\n\n\
         {asker}から{what}が届きました。\n対象: {about}\n\n{body}\n\n\
         ポータルで回答してください（回答は質問した宛先にメールでも届きます）。\n{}\n",
        link(m, q.id)
    );
    queue_all(db, to, &subject, &body, now, q.id).await
}

/// Mails the answer to the address that asked, signed by the desk (its 問合せ先 with it).
pub async fn queue_answer(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    q: &Inquiry,
    signer: &str,
    contact: &str,
    answer: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let Ok(to) = EmailAddress::parse(&q.asker_email) else {
        return Ok(0);
    };
    let subject = format!("【照会への回答】#{} {}", q.id, q.title);
    let body = format!(
        "TLP:AMBER — 受け取った組織の中で、知る必要のある人に限って共有してください。\n\n\
         お問い合わせ（照会 #{}）に回答します。\n\n{answer}\n\n\
         やり取りの全体はポータルで確認できます。続けて質問するときはポータルから書き込んでください。\n{}\n\n\
         発信: {signer}\n問合せ先: {contact}\n",
        q.id,
        link(m, q.id)
    );
    queue_all(db, vec![to], &subject, &body, now, q.id).await
}

/// Tells the desk (and, for a prefecture's, the centre's desk) that a question has waited
/// `hours` without an answer.
pub async fn queue_escalation(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    q: &Inquiry,
    hours: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut to = desk_addresses(db, m, q).await?;
    if q.desk.is_some() {
        to.extend(crate::reports::mail::desk(db, m.settings).await?);
    }
    let subject = format!("【照会・未回答 {hours} 時間】#{} {}", q.id, q.title);
    let body = format!(
        "照会 #{} は、届いてから {hours} 時間、回答がありません。\n\
         回答するか、担当を決めてください。\n{}\n",
        q.id,
        link(m, q.id)
    );
    queue_all(db, to, &subject, &body, now, q.id).await
}
