//! The 照会 actions, each in one transaction with its mail and its audit entry: ask (in the
//! portal or by mail), write in a thread (the desk's answer, or the asker's follow-up), close,
//! publish as よくある質問, and the worker step that escalates questions left unanswered.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::store::{self, NewInquiry};
use super::{
    About, BODY_MAX, Inquiry, InquiryError, InquiryId, Status, TITLE_MAX, is_desk, may_read,
};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::registry::Caller;
use crate::registry::{OrgId, OrgKind, Organisation};
use crate::reports::mail::Mailing;
use crate::workers::Outcome;

/// The desk that answers questions about `about`: the prefecture that owns the alert, drill
/// or survey; the centre (`None`) for everything else.
pub async fn desk_for(db: &impl ConnectionTrait, about: About) -> anyhow::Result<Option<OrgId>> {
    Ok(match about {
        About::Alert(a) => crate::alerts::store::get(db, a)
            .await?
            .and_then(|a| a.owner),
        About::Survey(s) => crate::surveys::store::get(db, s)
            .await?
            .and_then(|s| s.owner),
        About::Report(_) | About::General => None,
    })
}

/// What a question is about, in words (for the pages and the desk's mail).
pub async fn about_label(db: &impl ConnectionTrait, about: About) -> anyhow::Result<String> {
    Ok(match about {
        About::Alert(a) => match crate::alerts::store::get(db, a).await? {
            Some(a) if a.drill => format!("訓練「{}」", a.title),
            Some(a) => format!("注意喚起「{}」", a.title),
            None => "注意喚起".into(),
        },
        About::Report(r) => format!("障害・事故等報告 #{r}"),
        About::Survey(s) => match crate::surveys::store::get(db, s).await? {
            Some(s) => format!("調査「{}」", s.title),
            None => "調査".into(),
        },
        About::General => "全般".into(),
    })
}

/// Whether `org` (asking through `reader`) may ask about `about`: it must see the item.
async fn may_ask_about(
    db: &impl ConnectionTrait,
    reader: &Caller,
    org: &Organisation,
    about: About,
) -> anyhow::Result<bool> {
    Ok(match about {
        About::General => true,
        About::Alert(a) => crate::alerts::access::org_may_view(db, org, a).await?,
        About::Report(r) => match crate::reports::store::readable(db, r, reader).await {
            Ok(_) => true,
            Err(crate::reports::store::ReportError::Unexpected(e)) => return Err(e),
            Err(_) => false,
        },
        About::Survey(s) => {
            crate::surveys::store::get(db, s)
                .await?
                .is_some_and(|x| x.owner == Some(org.id))
                || crate::surveys::store::is_target(db, s, org.id).await?
        }
    })
}

/// A question as asked.
pub struct Question<'a> {
    pub about: About,
    pub title: &'a str,
    pub body: &'a str,
    /// Where the answer is mailed.
    pub asker_email: &'a str,
    /// `portal` or `mail`.
    pub via: &'static str,
    /// False for mail our MTA did not vouch for (shown to the desk).
    pub sender_vouched: bool,
}

/// Asks a question for `org`: routed, stored, the desk mailed, audited. A question from the
/// portal is checked against what the asker may see; central staff do not ask (they answer).
pub async fn ask<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailing: &Mailing<'_>,
    reader: &Caller,
    org: &Organisation,
    q: &Question<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InquiryId, InquiryError> {
    let title = super::text("件名", q.title, TITLE_MAX)?;
    let body = super::text("質問の内容", q.body, BODY_MAX)?;
    if reader.central || org.kind == OrgKind::Central {
        return Err(InquiryError::Forbidden(
            "中央の職員は照会に回答する側です。質問は団体の職員が行います".into(),
        ));
    }
    if !may_ask_about(db, reader, org, q.about).await? {
        return Err(InquiryError::Invalid(
            "照会の対象が見つかりません（見ることのできる注意喚起・報告・調査を選んでください）"
                .into(),
        ));
    }
    let desk = desk_for(db, q.about).await?;
    let label = about_label(db, q.about).await?;
    let txn = begin_write(db).await?;
    let id = store::insert(
        &txn,
        &NewInquiry {
            org: org.id,
            desk,
            about: q.about,
            title: &title,
            asker_email: q.asker_email,
            via: q.via,
            sender_vouched: q.sender_vouched,
        },
        now,
    )
    .await?;
    store::insert_message(&txn, id, false, &actor.to_string(), &body, now).await?;
    let inquiry = store::get(&txn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("照会 {id} vanished"))?;
    let mailed = super::mail::queue_to_desk(
        &txn,
        mailing,
        &inquiry,
        &org.full_name(),
        &label,
        &body,
        false,
        now,
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "inquiry.ask",
        &format!("inquiry:{id}"),
        serde_json::json!({
            "organisation": org.code.to_string(),
            "about": q.about.value(),
            "desk": desk,
            "via": q.via,
            "vouched": q.sender_vouched,
            "mailed": mailed,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// The desk's name and 問合せ先 as an answer signs them: a prefecture's own
/// ([`crate::contacts::inquiry_line::signer`], as its alerts and surveys sign), or the centre's
/// desk with its first address.
async fn signature(
    db: &impl ConnectionTrait,
    mailing: &Mailing<'_>,
    desk: Option<OrgId>,
) -> anyhow::Result<(String, String)> {
    let fallback = || "ポータルの照会".to_owned();
    Ok(
        match crate::contacts::inquiry_line::signer(db, desk).await? {
            Some((name, line)) if line.is_empty() => (name, fallback()),
            Some(signed) => signed,
            None => {
                let first = crate::reports::mail::desk(db, mailing.settings).await?;
                let contact = first.first().map_or_else(fallback, |a| a.to_string());
                (mailing.settings.desk_name.clone(), contact)
            }
        },
    )
}

/// Writes in a thread: the desk's answer (mailed to the asker; the question is answered), or
/// the asking organisation's follow-up (mailed to the desk; the question waits again).
pub async fn write<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    mailing: &Mailing<'_>,
    id: InquiryId,
    reader: &Caller,
    body: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Status, InquiryError> {
    let txn = begin_write(db).await?;
    let q = store::lock(&txn, id).await?.ok_or(InquiryError::NotFound)?;
    if !may_read(reader, &q) {
        return Err(InquiryError::NotFound);
    }
    let desk = is_desk(reader, &q);
    let body = super::text(if desk { "回答" } else { "追加の質問" }, body, BODY_MAX)?;
    if q.status == Status::Closed {
        return Err(InquiryError::Conflict(
            "この照会は終了しています。新しい照会として質問してください".into(),
        ));
    }
    store::insert_message(&txn, id, desk, &actor.to_string(), &body, now).await?;
    let (status, mailed) = if desk {
        store::set_status(&txn, id, Status::Answered, Some(now), now).await?;
        let (signer, contact) = signature(&txn, mailing, q.desk).await?;
        let n = super::mail::queue_answer(&txn, mailing, &q, &signer, &contact, &body, now).await?;
        (Status::Answered, n)
    } else {
        store::set_status(&txn, id, Status::Open, None, now).await?;
        let asker = crate::registry::store::find_by_id(&txn, q.org_id)
            .await?
            .map(|o| o.full_name())
            .unwrap_or_default();
        let label = about_label(&txn, q.about).await?;
        let n =
            super::mail::queue_to_desk(&txn, mailing, &q, &asker, &label, &body, true, now).await?;
        (Status::Open, n)
    };
    audit::record(
        &txn,
        actor,
        if desk {
            "inquiry.answer"
        } else {
            "inquiry.follow_up"
        },
        &format!("inquiry:{id}"),
        serde_json::json!({ "mailed": mailed }),
    )
    .await?;
    txn.commit().await?;
    Ok(status)
}

/// The desk closes a question (once; a second time changes nothing).
pub async fn close<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: InquiryId,
    reader: &Caller,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, InquiryError> {
    let txn = begin_write(db).await?;
    let q = store::lock(&txn, id).await?.ok_or(InquiryError::NotFound)?;
    if !may_read(reader, &q) {
        return Err(InquiryError::NotFound);
    }
    if !is_desk(reader, &q) {
        return Err(InquiryError::Forbidden(
            "照会を終了するのは回答する窓口です".into(),
        ));
    }
    if q.status == Status::Closed {
        return Ok(false);
    }
    store::set_status(&txn, id, Status::Closed, None, now).await?;
    audit::record(
        &txn,
        actor,
        "inquiry.close",
        &format!("inquiry:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The desk publishes an answered question as よくある質問, in words it has made anonymous: a
/// text that still names any organisation of the registry is refused, naming it.
pub async fn publish_faq<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: InquiryId,
    reader: &Caller,
    question: &str,
    answer: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), InquiryError> {
    let txn = begin_write(db).await?;
    let q = store::lock(&txn, id).await?.ok_or(InquiryError::NotFound)?;
    if !may_read(reader, &q) {
        return Err(InquiryError::NotFound);
    }
    if !is_desk(reader, &q) {
        return Err(InquiryError::Forbidden(
            "よくある質問として公開するのは回答した窓口です".into(),
        ));
    }
    if q.answered_at.is_none() {
        return Err(InquiryError::Conflict(
            "回答してから公開してください".into(),
        ));
    }
    let question = super::text("公開する質問", question, BODY_MAX)?;
    let answer = super::text("公開する回答", answer, BODY_MAX)?;
    let orgs = crate::registry::store::list(&txn, Default::default()).await?;
    let names: Vec<String> = orgs
        .iter()
        .flat_map(|o| [o.name.clone(), o.full_name()])
        .collect();
    for (label, text) in [("公開する質問", &question), ("公開する回答", &answer)] {
        if let Some(name) = super::names_an_organisation(text, names.iter().map(String::as_str)) {
            return Err(InquiryError::Invalid(format!(
                "{label}に団体名「{name}」が残っています。よくある質問は団体名を除いて公開します"
            )));
        }
    }
    store::set_faq(&txn, id, &question, &answer, now).await?;
    audit::record(
        &txn,
        actor,
        "inquiry.publish_faq",
        &format!("inquiry:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The question's first message with the asker's organisation names replaced: where the desk
/// starts the よくある質問 from.
pub fn anonymised(text: &str, org: &Organisation) -> String {
    let mut out = text.to_owned();
    let mut names = [org.full_name(), org.name.clone()];
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for n in names.iter().filter(|n| n.chars().count() >= 2) {
        out = out.replace(n.as_str(), "（団体名）");
    }
    out
}

/// Escalates up to 50 questions unanswered for `hours`: marked once and mailed to the desk
/// (and the centre, for a prefecture's).
#[tracing::instrument(name = "Escalate unanswered 照会", skip_all)]
pub async fn escalate(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::config::Settings,
) -> anyhow::Result<Outcome> {
    let now = Utc::now();
    let hours = settings.reports.inquiry_escalate_hours;
    let due = store::to_escalate(db, now - Duration::hours(i64::from(hours)), 50).await?;
    if due.is_empty() {
        return Ok(Outcome::Idle);
    }
    let mailing = Mailing::of(settings);
    for q in due {
        escalate_one(db, &mailing, &q, hours, now).await?;
    }
    Ok(Outcome::Worked)
}

async fn escalate_one(
    db: &sea_orm::DatabaseConnection,
    mailing: &Mailing<'_>,
    q: &Inquiry,
    hours: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let txn = begin_write(db).await?;
    if !store::claim_escalation(&txn, q.id, now).await? {
        return Ok(());
    }
    let mailed = super::mail::queue_escalation(&txn, mailing, q, hours, now).await?;
    audit::record(
        &txn,
        &Actor::System,
        "inquiry.escalate",
        &format!("inquiry:{}", q.id),
        serde_json::json!({ "hours": hours, "mailed": mailed }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
