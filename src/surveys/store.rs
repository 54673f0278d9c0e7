//! Surveys in the database: drafts and their four eyes, the organisations addressed, answers
//! (every save kept as a version; a save after the deadline marked late) and 改善方針. Each
//! change with its audit entry in the same transaction.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

use super::definition::{Answers, Definition};
use super::{Kind, Status, SurveyId};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::{survey_answer_versions, survey_answers, survey_targets, surveys};
use crate::registry::OrgId;

#[derive(Clone, Debug)]
pub struct Survey {
    pub id: SurveyId,
    pub kind: Kind,
    pub status: Status,
    pub title: String,
    pub definition: Definition,
    /// The audience selectors (`all`, `pref:13+`, `org:131016` …).
    pub audience: Vec<String>,
    pub deadline: DateTime<Utc>,
    pub owner: Option<OrgId>,
    pub previous: Option<SurveyId>,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub approved_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub results_sent_at: Option<DateTime<Utc>>,
}

/// An organisation's answers as they stand.
#[derive(Clone, Debug)]
pub struct AnswerRow {
    pub org: OrgId,
    pub answers: Answers,
    pub submitted: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub late: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub plan: Option<String>,
    pub plan_fiscal_year: Option<i32>,
}

fn to_survey(m: surveys::Model) -> anyhow::Result<Survey> {
    Ok(Survey {
        id: SurveyId(m.id),
        kind: Kind::parse(&m.kind)
            .with_context(|| format!("survey {}: kind {:?}", m.id, m.kind))?,
        status: Status::parse(&m.status)
            .with_context(|| format!("survey {}: status {:?}", m.id, m.status))?,
        title: m.title,
        definition: serde_json::from_str(&m.definition)
            .with_context(|| format!("survey {}: the stored questions do not read", m.id))?,
        audience: serde_json::from_str(&m.audience)
            .with_context(|| format!("survey {}: the stored audience does not read", m.id))?,
        deadline: m.deadline,
        owner: m.owner_organisation_id.map(OrgId),
        previous: m.previous_id.map(SurveyId),
        created_by: m.created_by,
        submitted_by: m.submitted_by,
        approved_by: m.approved_by,
        created_at: m.created_at,
        published_at: m.published_at,
        reminded_at: m.reminded_at,
        escalated_at: m.escalated_at,
        results_sent_at: m.results_sent_at,
    })
}

fn to_answer(m: survey_answers::Model) -> anyhow::Result<AnswerRow> {
    Ok(AnswerRow {
        org: OrgId(m.organisation_id),
        answers: serde_json::from_str(&m.answers)
            .with_context(|| format!("answers {}: the stored answers do not read", m.id))?,
        submitted: m.submitted,
        submitted_at: m.submitted_at,
        late: m.late,
        updated_at: m.updated_at,
        updated_by: m.updated_by,
        plan: m.plan,
        plan_fiscal_year: m.plan_fiscal_year,
    })
}

/// What a new draft says.
pub struct NewSurvey<'a> {
    pub definition: &'a Definition,
    pub audience: &'a [String],
    pub deadline: DateTime<Utc>,
    pub owner: Option<OrgId>,
    pub previous: Option<SurveyId>,
}

/// Stores a draft.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewSurvey<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<SurveyId> {
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    let row = surveys::ActiveModel {
        kind: Set(new.definition.kind.clone()),
        status: Set(Status::Draft.as_str().into()),
        title: Set(new.definition.title.trim().to_owned()),
        definition: Set(serde_json::to_string(new.definition)?),
        audience: Set(serde_json::to_string(new.audience)?),
        deadline: Set(new.deadline),
        owner_organisation_id: Set(new.owner.map(|o| o.0)),
        previous_id: Set(new.previous.map(|p| p.0)),
        created_by: Set(actor.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("cannot store the survey")?;
    audit::record(
        &txn,
        actor,
        "survey.create",
        &format!("survey:{}", row.id),
        serde_json::json!({ "title": row.title, "items": new.definition.items().count() }),
    )
    .await?;
    txn.commit().await.context("cannot store the survey")?;
    Ok(SurveyId(row.id))
}

pub async fn get(db: &impl ConnectionTrait, id: SurveyId) -> anyhow::Result<Option<Survey>> {
    surveys::Entity::find_by_id(id.0)
        .one(db)
        .await
        .context("cannot read the survey")?
        .map(to_survey)
        .transpose()
}

pub async fn all(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Survey>> {
    surveys::Entity::find()
        .order_by_desc(surveys::Column::Id)
        .all(db)
        .await
        .context("cannot read the surveys")?
        .into_iter()
        .map(to_survey)
        .collect()
}

/// Moves a survey on (submit, publish), with who did it.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: SurveyId,
    status: Status,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut a = surveys::ActiveModel {
        id: Set(id.0),
        status: Set(status.as_str().into()),
        ..Default::default()
    };
    match status {
        Status::Submitted => a.submitted_by = Set(Some(actor.to_string())),
        Status::Published => {
            a.approved_by = Set(Some(actor.to_string()));
            a.published_at = Set(Some(now));
        }
        Status::Draft => {}
    }
    a.update(db).await.context("cannot change the survey")?;
    Ok(())
}

/// Records the organisations a published survey is addressed to.
pub async fn add_targets(
    db: &impl ConnectionTrait,
    id: SurveyId,
    orgs: &[OrgId],
) -> anyhow::Result<()> {
    for chunk in orgs.chunks(500) {
        survey_targets::Entity::insert_many(chunk.iter().map(|o| survey_targets::ActiveModel {
            survey_id: Set(id.0),
            organisation_id: Set(o.0),
            ..Default::default()
        }))
        .exec(db)
        .await
        .context("cannot store the survey's audience")?;
    }
    Ok(())
}

pub async fn targets(db: &impl ConnectionTrait, id: SurveyId) -> anyhow::Result<Vec<OrgId>> {
    Ok(survey_targets::Entity::find()
        .filter(survey_targets::Column::SurveyId.eq(id.0))
        .all(db)
        .await
        .context("cannot read the survey's audience")?
        .into_iter()
        .map(|m| OrgId(m.organisation_id))
        .collect())
}

pub async fn is_target(
    db: &impl ConnectionTrait,
    id: SurveyId,
    org: OrgId,
) -> anyhow::Result<bool> {
    Ok(survey_targets::Entity::find()
        .filter(survey_targets::Column::SurveyId.eq(id.0))
        .filter(survey_targets::Column::OrganisationId.eq(org.0))
        .one(db)
        .await
        .context("cannot read the survey's audience")?
        .is_some())
}

/// The surveys addressed to an organisation.
pub async fn addressed_to(db: &impl ConnectionTrait, org: OrgId) -> anyhow::Result<Vec<SurveyId>> {
    Ok(survey_targets::Entity::find()
        .filter(survey_targets::Column::OrganisationId.eq(org.0))
        .all(db)
        .await
        .context("cannot read the surveys addressed")?
        .into_iter()
        .map(|m| SurveyId(m.survey_id))
        .collect())
}

pub async fn answer(
    db: &impl ConnectionTrait,
    id: SurveyId,
    org: OrgId,
) -> anyhow::Result<Option<AnswerRow>> {
    survey_answers::Entity::find()
        .filter(survey_answers::Column::SurveyId.eq(id.0))
        .filter(survey_answers::Column::OrganisationId.eq(org.0))
        .one(db)
        .await
        .context("cannot read the answers")?
        .map(to_answer)
        .transpose()
}

/// Every organisation's answers to a survey as they stand.
pub async fn answers(db: &impl ConnectionTrait, id: SurveyId) -> anyhow::Result<Vec<AnswerRow>> {
    survey_answers::Entity::find()
        .filter(survey_answers::Column::SurveyId.eq(id.0))
        .all(db)
        .await
        .context("cannot read the answers")?
        .into_iter()
        .map(to_answer)
        .collect()
}

/// The submitted answers as they stood at `at`: each organisation's last submitted version
/// saved by then.
pub async fn answers_as_of(
    db: &impl ConnectionTrait,
    id: SurveyId,
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<(OrgId, Answers)>> {
    let mut latest: std::collections::BTreeMap<i64, survey_answer_versions::Model> =
        std::collections::BTreeMap::new();
    for v in survey_answer_versions::Entity::find()
        .filter(survey_answer_versions::Column::SurveyId.eq(id.0))
        .filter(survey_answer_versions::Column::Submitted.eq(true))
        .filter(survey_answer_versions::Column::SavedAt.lte(at))
        .order_by_asc(survey_answer_versions::Column::Id)
        .all(db)
        .await
        .context("cannot read the answers' versions")?
    {
        latest.insert(v.organisation_id, v);
    }
    latest
        .into_values()
        .map(|v| {
            Ok((
                OrgId(v.organisation_id),
                serde_json::from_str(&v.answers)
                    .with_context(|| format!("answer version {}: does not read", v.id))?,
            ))
        })
        .collect()
}

/// Saves an organisation's answers (a draft, or submitted), keeping the version; after the
/// deadline the save is marked late. Returns whether it was late.
pub async fn save_answers<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    survey: &Survey,
    org: OrgId,
    answers: &Answers,
    submit: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let late = now > survey.deadline;
    let json = serde_json::to_string(answers)?;
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    let current = survey_answers::Entity::find()
        .filter(survey_answers::Column::SurveyId.eq(survey.id.0))
        .filter(survey_answers::Column::OrganisationId.eq(org.0))
        .one(&txn)
        .await?;
    match current {
        Some(m) => {
            let was_submitted = m.submitted;
            let first_submit = m.submitted_at;
            let was_late = m.late;
            let mut a = m.into_active_model();
            a.answers = Set(json.clone());
            a.submitted = Set(submit || was_submitted);
            a.submitted_at = Set(if submit { Some(now) } else { first_submit });
            a.late = Set(was_late || late);
            a.updated_at = Set(now);
            a.updated_by = Set(actor.to_string());
            a.update(&txn).await?;
        }
        None => {
            survey_answers::ActiveModel {
                survey_id: Set(survey.id.0),
                organisation_id: Set(org.0),
                answers: Set(json.clone()),
                submitted: Set(submit),
                submitted_at: Set(submit.then_some(now)),
                late: Set(late),
                updated_at: Set(now),
                updated_by: Set(actor.to_string()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    survey_answer_versions::ActiveModel {
        survey_id: Set(survey.id.0),
        organisation_id: Set(org.0),
        answers: Set(json),
        submitted: Set(submit),
        late: Set(late),
        saved_by: Set(actor.to_string()),
        saved_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        if submit {
            "survey.submit_answers"
        } else {
            "survey.save_answers"
        },
        &format!("survey:{}", survey.id),
        serde_json::json!({ "organisation": org.0, "late": late }),
    )
    .await?;
    txn.commit().await.context("cannot store the answers")?;
    Ok(late)
}

/// The organisation's 改善方針 and 対応完了予定 年度 (after it submitted).
pub async fn save_plan<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    survey: SurveyId,
    org: OrgId,
    plan: &str,
    fiscal_year: i32,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    let Some(m) = survey_answers::Entity::find()
        .filter(survey_answers::Column::SurveyId.eq(survey.0))
        .filter(survey_answers::Column::OrganisationId.eq(org.0))
        .filter(survey_answers::Column::Submitted.eq(true))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let mut a = m.into_active_model();
    a.plan = Set(Some(plan.to_owned()));
    a.plan_fiscal_year = Set(Some(fiscal_year));
    a.plan_at = Set(Some(now));
    a.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "survey.plan",
        &format!("survey:{survey}"),
        serde_json::json!({ "organisation": org.0, "fiscal_year": fiscal_year }),
    )
    .await?;
    txn.commit().await.context("cannot store the plan")?;
    Ok(true)
}

/// Claims one of a survey's once-only follow-ups (`reminded_at`, `escalated_at`,
/// `results_sent_at`): true for exactly one caller.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: SurveyId,
    column: surveys::Column,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = surveys::Entity::update_many()
        .col_expr(column, sea_orm::sea_query::Expr::value(now))
        .filter(surveys::Column::Id.eq(id.0))
        .filter(column.is_null())
        .exec(db)
        .await
        .context("cannot claim the follow-up")?;
    Ok(done.rows_affected == 1)
}

pub use surveys::Column as FollowUp;
