//! Surveys in the database: rows in and rows out — drafts and their state, the organisations
//! addressed, answers with their versions and 改善方針. The audited writes are [`super::act`].

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::definition::{Answers, Definition};
use super::{Kind, Status, SurveyId};
use crate::audit::Actor;
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
    /// The last 差し戻し: when and the question asked.
    pub returned_at: Option<DateTime<Utc>>,
    pub return_note: Option<String>,
}

impl AnswerRow {
    /// Sent back and not submitted since.
    pub fn returned(&self) -> bool {
        self.returned_at.is_some() && !self.submitted
    }
}

pub(super) fn to_survey(m: surveys::Model) -> anyhow::Result<Survey> {
    Ok(Survey {
        id: m.id,
        kind: Kind::stored(&m.kind).with_context(|| format!("survey {}", m.id))?,
        status: Status::stored(&m.status).with_context(|| format!("survey {}", m.id))?,
        title: m.title,
        definition: serde_json::from_str(&m.definition)
            .with_context(|| format!("survey {}: the stored questions do not read", m.id))?,
        audience: serde_json::from_str(&m.audience)
            .with_context(|| format!("survey {}: the stored audience does not read", m.id))?,
        deadline: m.deadline,
        owner: m.owner_organisation_id,
        previous: m.previous_id,
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

pub(super) fn to_answer(m: survey_answers::Model) -> anyhow::Result<AnswerRow> {
    Ok(AnswerRow {
        org: m.organisation_id,
        answers: serde_json::from_str(&m.answers)
            .with_context(|| format!("answers {}: the stored answers do not read", m.id))?,
        submitted: m.submitted,
        submitted_at: m.submitted_at,
        late: m.late,
        updated_at: m.updated_at,
        updated_by: m.updated_by,
        plan: m.plan,
        plan_fiscal_year: m.plan_fiscal_year,
        returned_at: m.returned_at,
        return_note: m.return_note,
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

pub async fn get(db: &impl ConnectionTrait, id: SurveyId) -> anyhow::Result<Option<Survey>> {
    surveys::Entity::find_by_id(id)
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
        id: Set(id),
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
            survey_id: Set(id),
            organisation_id: Set(*o),
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
        .map(|m| m.organisation_id)
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
        .map(|m| m.survey_id)
        .collect())
}

/// The deadlines of the published surveys addressed to `org` that it has not submitted (never,
/// or since one was sent back): three statements, however many surveys there are.
pub async fn due_for(db: &impl ConnectionTrait, org: OrgId) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let ids = addressed_to(db, org).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let submitted: std::collections::HashSet<SurveyId> = survey_answers::Entity::find()
        .filter(survey_answers::Column::OrganisationId.eq(org.0))
        .filter(survey_answers::Column::SurveyId.is_in(ids.iter().map(|i| i.0)))
        .filter(survey_answers::Column::Submitted.eq(true))
        .all(db)
        .await
        .context("cannot read the answers")?
        .into_iter()
        .map(|m| m.survey_id)
        .collect();
    Ok(surveys::Entity::find()
        .filter(surveys::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .filter(surveys::Column::Status.eq(crate::surveys::Status::Published.as_str()))
        .all(db)
        .await
        .context("cannot read the surveys")?
        .into_iter()
        .filter(|s| !submitted.contains(&s.id))
        .map(|s| s.deadline)
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
    let mut latest: std::collections::BTreeMap<OrgId, survey_answer_versions::Model> =
        std::collections::BTreeMap::new();
    // The latest version by then counts if it was a submission: a 差し戻し writes a version that
    // is not, so an answer sent back is not counted from that moment.
    for v in survey_answer_versions::Entity::find()
        .filter(survey_answer_versions::Column::SurveyId.eq(id.0))
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
        .filter(|v| v.submitted)
        .map(|v| {
            Ok((
                v.organisation_id,
                serde_json::from_str(&v.answers)
                    .with_context(|| format!("answer version {}: does not read", v.id))?,
            ))
        })
        .collect()
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
