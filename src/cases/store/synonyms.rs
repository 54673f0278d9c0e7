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
