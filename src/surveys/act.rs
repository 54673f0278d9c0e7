//! The surveys' audited writes: a draft created, an organisation's answers saved (every save a
//! version; after the deadline marked late), its 改善方針 saved — each in one transaction with its
//! audit entry. The rows are [`super::store`]'s.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use super::definition::Answers;
use super::store::*;
use super::{Status, SurveyId};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::{survey_answer_versions, survey_answers, surveys};
use crate::registry::OrgId;

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
        owner_organisation_id: Set(new.owner),
        previous_id: Set(new.previous),
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
    Ok(row.id)
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
        .filter(survey_answers::Column::SurveyId.eq(survey.id))
        .filter(survey_answers::Column::OrganisationId.eq(org))
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
                survey_id: Set(survey.id),
                organisation_id: Set(org),
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
        survey_id: Set(survey.id),
        organisation_id: Set(org),
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
        serde_json::json!({ "organisation": org, "late": late }),
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
        .filter(survey_answers::Column::SurveyId.eq(survey))
        .filter(survey_answers::Column::OrganisationId.eq(org))
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
        serde_json::json!({ "organisation": org, "fiscal_year": fiscal_year }),
    )
    .await?;
    txn.commit().await.context("cannot store the plan")?;
    Ok(true)
}

/// 差し戻し: sends a submitted answer back to its organisation with a question. The answer is a
/// draft again (kept, with a version that is not a submission, so results "as of" later do not
/// count it) until the organisation submits it anew; its contacts are mailed the question in the
/// same transaction. False when there is no submitted answer to send back.
pub async fn return_answers<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    survey: &Survey,
    org: OrgId,
    note: &str,
    mail: (&str, &str),
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    let Some(m) = survey_answers::Entity::find()
        .filter(survey_answers::Column::SurveyId.eq(survey.id))
        .filter(survey_answers::Column::OrganisationId.eq(org))
        .filter(survey_answers::Column::Submitted.eq(true))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let answers = m.answers.clone();
    let mut a = m.into_active_model();
    a.submitted = Set(false);
    a.returned_at = Set(Some(now));
    a.returned_by = Set(Some(actor.to_string()));
    a.return_note = Set(Some(note.to_owned()));
    a.updated_at = Set(now);
    a.updated_by = Set(actor.to_string());
    a.update(&txn).await?;
    survey_answer_versions::ActiveModel {
        survey_id: Set(survey.id),
        organisation_id: Set(org),
        answers: Set(answers),
        submitted: Set(false),
        late: Set(false),
        saved_by: Set(actor.to_string()),
        saved_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mailed = super::publish::queue_to(&txn, &[org], mail.0, mail.1, now).await?;
    audit::record(
        &txn,
        actor,
        "survey.return",
        &format!("survey:{}", survey.id),
        serde_json::json!({ "organisation": org, "note": note, "mailed": mailed }),
    )
    .await?;
    txn.commit().await.context("cannot send the answer back")?;
    Ok(true)
}
