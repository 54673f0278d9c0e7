//! 補足: a prefecture's notes on an alert, shown to its municipalities (and to central staff).
//! Owns `alert_notes`.

use crate::domain::ids::{AlertId, OrgId};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::alert_notes;
use crate::error::Failure;

pub struct Note {
    pub organisation_id: OrgId,
    pub body: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// Adds a prefecture's note to an alert, with its audit entry. The caller has checked that the
/// prefecture may see the alert.
pub async fn add<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    alert_id: AlertId,
    prefecture_org: OrgId,
    body: &str,
    actor: &Actor,
) -> Result<(), Failure> {
    let body = crate::domain::text::note(body)
        .map_err(Failure::Invalid)?
        .ok_or_else(|| Failure::Invalid("the note is empty".into()))?;
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    alert_notes::ActiveModel {
        alert_id: Set(alert_id),
        organisation_id: Set(prefecture_org),
        body: Set(body.clone()),
        author: Set(actor.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("cannot store the note")?;
    audit::record(
        &txn,
        actor,
        "alert.note",
        &format!("alert:{alert_id}"),
        serde_json::json!({ "organisation_id": prefecture_org, "chars": body.chars().count() }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// The notes on an alert written by any of `orgs` (all notes when `None`), oldest first.
pub async fn of_alert(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    orgs: Option<&[OrgId]>,
) -> anyhow::Result<Vec<Note>> {
    let mut q = alert_notes::Entity::find()
        .filter(alert_notes::Column::AlertId.eq(alert_id))
        .order_by_asc(alert_notes::Column::Id);
    if let Some(orgs) = orgs {
        q = q.filter(alert_notes::Column::OrganisationId.is_in(orgs.iter().copied()));
    }
    Ok(q.all(db)
        .await
        .context("cannot read the notes")?
        .into_iter()
        .map(|m| Note {
            organisation_id: m.organisation_id,
            body: m.body,
            author: m.author,
            created_at: m.created_at,
        })
        .collect())
}
