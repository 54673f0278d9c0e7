//! A survey's four eyes: central operators (or a prefecture's staff, for their own
//! municipalities) write and submit it; a central approver (or that prefecture's administrator)
//! who neither wrote nor submitted it publishes it. Publication resolves the audience once,
//! records the organisations addressed and mails each one's contacts the request.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::definition::Definition;
use super::store::{self, NewSurvey, Survey};
use super::{Status, SurveyId};
use crate::alerts::audience::AudienceSpec;
use crate::audit::{self, Actor};
use crate::auth::{Role, User};
use crate::registry::{OrgKind, Organisation};

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such survey")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for SurveyError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("the survey store failed"))
    }
}

impl crate::error::Classify for SurveyError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(m) => Failure::Invalid(m),
            Self::NotFound => Failure::NotFound("no such survey".into()),
            Self::Forbidden(m) => Failure::Forbidden(m),
            Self::Conflict(m) => Failure::Conflict(m),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Who may write and submit it: central operators and the hub administrator for the centre's;
/// its prefecture's staff for a prefecture's.
pub fn may_write(s: &Survey, user: &User) -> bool {
    match s.owner {
        None => matches!(user.role, Role::CentralOperator | Role::Admin),
        Some(p) => user.org_id == p,
    }
}

/// Who may publish it (never its writer or submitter, checked in [`approve`]).
pub fn may_approve(s: &Survey, user: &User) -> bool {
    match s.owner {
        None => user.role == Role::CentralApprover,
        Some(p) => user.org_id == p && user.role == Role::PrefectureAdmin,
    }
}

/// Who may see it before it is published.
pub fn may_see_draft(s: &Survey, user: &User) -> bool {
    user.role.is_central() || s.owner == Some(user.org_id)
}

/// `2026-12-20 17:00` (JST), 1 hour to 180 days ahead of `now`.
pub fn parse_deadline(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = crate::time::parse_jst_minute(s)
        .ok_or_else(|| format!("deadline: `{s}` is not 「YYYY-MM-DD HH:MM」 (JST)"))?;
    if t < now + Duration::hours(1) || t > now + Duration::days(180) {
        return Err(format!(
            "deadline: {s} must be from an hour to 180 days ahead"
        ));
    }
    Ok(t)
}

/// What the writer gives.
pub struct Draft {
    pub definition: Definition,
    pub audience: Vec<String>,
    pub deadline: DateTime<Utc>,
    pub previous: Option<SurveyId>,
}

/// Stores a draft after checking it; `owner` is the prefecture writing for its municipalities.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rules: &crate::classify::rules::Rules,
    draft: Draft,
    writer: &User,
    owner: Option<&Organisation>,
    now: DateTime<Utc>,
) -> Result<SurveyId, SurveyError> {
    draft.definition.check().map_err(SurveyError::Invalid)?;
    let spec = AudienceSpec::parse_selectors(&draft.audience)
        .map_err(|e| SurveyError::Invalid(format!("audience: {e}")))?;
    if spec.inventory || spec.is_empty() {
        return Err(SurveyError::Invalid(
            "audience: name organisations (all, prefectures, pref:13+, org:131016)".into(),
        ));
    }
    match owner {
        Some(p) => {
            if p.kind != OrgKind::Prefecture || writer.org_id != p.id {
                return Err(SurveyError::Forbidden(
                    "only a prefecture's own staff write its surveys".into(),
                ));
            }
            crate::alerts::own::check_within(db, rules, &spec, p)
                .await
                .map_err(|e| SurveyError::Invalid(e.to_string().replace("alert", "survey")))?;
        }
        None if !matches!(writer.role, Role::CentralOperator | Role::Admin) => {
            return Err(SurveyError::Forbidden(
                "surveys are written by central operators or by a prefecture's staff".into(),
            ));
        }
        None => {}
    }
    if let Some(prev) = draft.previous {
        let p = store::get(db, prev)
            .await?
            .ok_or_else(|| SurveyError::Invalid(format!("previous: there is no survey {prev}")))?;
        if p.status != Status::Published || p.owner != owner.map(|o| o.id) {
            return Err(SurveyError::Invalid(format!(
                "previous: survey {prev} is not a published survey of the same owner"
            )));
        }
    }
    Ok(crate::surveys::act::create(
        db,
        NewSurvey {
            definition: &draft.definition,
            audience: &draft.audience,
            deadline: draft.deadline,
            owner: owner.map(|o| o.id),
            previous: draft.previous,
        },
        &Actor::of(writer),
        now,
    )
    .await?)
}

/// The writer's side hands the draft to an approver.
pub async fn submit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: SurveyId,
    user: &User,
) -> Result<(), SurveyError> {
    let s = store::get(db, id).await?.ok_or(SurveyError::NotFound)?;
    if !may_see_draft(&s, user) {
        return Err(SurveyError::NotFound);
    }
    if !may_write(&s, user) {
        return Err(SurveyError::Forbidden(
            "only the writing side submits a survey".into(),
        ));
    }
    if s.status != Status::Draft {
        return Err(SurveyError::Conflict(format!(
            "the survey is {}",
            s.status.label_ja()
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    let actor = Actor::of(user);
    store::set_status(&txn, id, Status::Submitted, &actor, Utc::now()).await?;
    audit::record(
        &txn,
        &actor,
        "survey.submit",
        &format!("survey:{id}"),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Publishes a submitted survey: records its audience and mails each organisation's contacts.
/// Returns how many organisations it reached.
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rules: &crate::classify::rules::Rules,
    base_url: &str,
    id: SurveyId,
    user: &User,
) -> Result<usize, SurveyError> {
    let s = store::get(db, id).await?.ok_or(SurveyError::NotFound)?;
    if !may_see_draft(&s, user) {
        return Err(SurveyError::NotFound);
    }
    if !may_approve(&s, user) {
        return Err(SurveyError::Forbidden(match s.owner {
            None => "central approvers publish the centre's surveys".into(),
            Some(_) => "the prefecture's administrator publishes its surveys".into(),
        }));
    }
    let actor = Actor::of(user);
    if s.created_by == actor.to_string() || s.submitted_by.as_deref() == Some(&actor.to_string()) {
        return Err(SurveyError::Forbidden(
            "four eyes: the writer or submitter cannot publish it; another person does".into(),
        ));
    }
    let others = [
        s.created_by.as_str(),
        s.submitted_by.as_deref().unwrap_or(""),
    ];
    if let Err(why) = crate::auth::independent(db, user, &others).await? {
        return Err(SurveyError::Forbidden(why));
    }
    if s.status != Status::Submitted {
        return Err(SurveyError::Conflict(format!(
            "only a submitted survey is published; this one is {}",
            s.status.label_ja()
        )));
    }
    let spec = AudienceSpec::parse_selectors(&s.audience)
        .map_err(|e| SurveyError::Invalid(format!("audience: {e}")))?;
    let members = crate::alerts::audience::resolve(db, &spec, &[], rules).await?;
    let orgs: Vec<_> = members.iter().map(|m| m.organisation.id).collect();
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    store::set_status(&txn, id, Status::Published, &actor, now).await?;
    store::add_targets(&txn, id, &orgs).await?;
    let subject = format!(
        "【{}】{}（回答期限 {}）",
        s.kind.label_ja(),
        s.title,
        crate::time::format_jst(&s.deadline)
    );
    // Whoever sends, signs: a prefecture's own survey carries its name and its 問合せ先.
    let signature = match crate::contacts::inquiry_line::signer(db, s.owner).await? {
        Some((name, line)) if line.is_empty() => {
            format!("発信: {name}\n問合せ先: ポータルの「照会」から\n")
        }
        Some((name, line)) => format!("発信: {name}\n問合せ先: {line}\n"),
        None => "発信: 自治体CEPTOAR\n".into(),
    };
    let body = format!(
        "{}への回答をお願いします。\n\n{}\n\n回答期限: {}\n回答はポータルで（下書きの保存もできます）。\n{}/surveys/{id}\n\n\
         質問は、このメールへの返信か、ポータルの「照会」からどうぞ。\n\n-- \n{signature}",
        s.kind.label_ja(),
        s.definition.description.trim(),
        crate::time::format_jst(&s.deadline),
        base_url.trim_end_matches('/'),
    );
    let mailed = queue_to(&txn, &orgs, &subject, &body, now).await?;
    audit::record(
        &txn,
        &actor,
        "survey.publish",
        &format!("survey:{id}"),
        serde_json::json!({ "organisations": orgs.len(), "mailed": mailed }),
    )
    .await?;
    txn.commit().await?;
    Ok(orgs.len())
}

/// Queues one notice per active contact of `orgs` that may receive what is shared among local
/// governments (TLP:GREEN: survey requests, report cards — verified addresses); returns how many.
pub async fn queue_to(
    db: &impl ConnectionTrait,
    orgs: &[crate::registry::OrgId],
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let contacts = crate::contacts::store::receiving(db, orgs, crate::domain::Tlp::Green).await?;
    for c in &contacts {
        crate::notices::store::queue(
            db,
            crate::notices::store::NoticeKind::Survey,
            &c.email,
            subject,
            body,
            now,
        )
        .await?;
    }
    Ok(contacts.len())
}
