//! The synonym list search applies ([`crate::search::synonyms`]): read, and replaced by central
//! staff. A change re-queues every published case in the search outbox, in its transaction, so
//! the index is rewritten with the new list by the outbox worker.

#[allow(unused_imports)]
use super::*;
use crate::db::entities::search_synonyms;
use crate::search::synonyms::Synonyms;

/// The list in force: the stored one, or the defaults while nobody has edited it.
pub async fn synonyms(db: &impl ConnectionTrait) -> anyhow::Result<Synonyms> {
    let rows = search_synonyms::Entity::find()
        .order_by_asc(search_synonyms::Column::Id)
        .all(db)
        .await
        .context("cannot read the synonyms")?;
    if rows.is_empty() {
        return Ok(Synonyms::defaults());
    }
    let mut groups = Vec::new();
    for r in rows {
        let g: Vec<String> = serde_json::from_str(&r.terms)
            .with_context(|| format!("synonym row {}: the stored list does not read", r.id))?;
        if !g.is_empty() {
            groups.push(g);
        }
    }
    Ok(Synonyms::from_groups(groups))
}

/// Replaces the list (an empty one is kept as empty, not the defaults) and re-queues every
/// published case for the index; returns how many were queued.
pub async fn replace_synonyms<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    list: &Synonyms,
    actor: &Actor,
) -> anyhow::Result<u64> {
    let now = Utc::now();
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    search_synonyms::Entity::delete_many()
        .exec(&txn)
        .await
        .context("cannot clear the synonyms")?;
    let mut groups: Vec<Vec<String>> = list.groups().to_vec();
    if groups.is_empty() {
        // A row holding no group: "edited, and empty", so the defaults do not come back.
        groups.push(Vec::new());
    }
    for g in groups {
        search_synonyms::ActiveModel {
            terms: Set(serde_json::Value::from(g).to_string()),
            updated_by: Set(actor.to_string()),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .context("cannot store the synonyms")?;
    }
    let published: Vec<i64> = cases::Entity::find()
        .select_only()
        .column(cases::Column::Id)
        .filter(cases::Column::Status.eq(Status::Published.as_str()))
        .into_tuple()
        .all(&txn)
        .await
        .context("cannot read the published cases")?;
    for id in &published {
        search_outbox::ActiveModel {
            case_id: Set(*id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .context("cannot queue a case for the index")?;
    }
    audit::record(
        &txn,
        actor,
        "search.synonyms",
        "search:synonyms",
        serde_json::json!({ "groups": list.groups().len(), "requeued": published.len() }),
    )
    .await?;
    txn.commit().await.context("cannot store the synonyms")?;
    Ok(published.len() as u64)
}
