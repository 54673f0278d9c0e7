//! Reading the library as one reader: every path that shows cases (search hits, similar cases,
//! linked cases, one case) goes through here, so the database's access rule is checked the same
//! way everywhere. The index applies the same rule through access keys; the two agree unless a
//! change still waits in the outbox, and then the database decides.

use crate::domain::ids::CaseId;
use sea_orm::ConnectionTrait;

use super::access::{Caller, keys, may_read};
use super::store::{self, Case};
use crate::search::{Hit, SearchIndex, SimilarQuery};

/// Of `cases`, those `reader` may read, in their order.
pub async fn readable(
    db: &impl ConnectionTrait,
    reader: &Caller,
    cases: Vec<Case>,
) -> anyhow::Result<Vec<Case>> {
    let submitters = store::submitters(db, &cases).await?;
    Ok(cases
        .into_iter()
        .filter(|c| {
            may_read(
                reader,
                c.status,
                c.fields.tlp,
                c.organisation_id.and_then(|o| submitters.get(&o).copied()),
            )
        })
        .collect())
}

/// Case `id` if `reader` may read it.
pub async fn one(
    db: &impl ConnectionTrait,
    reader: &Caller,
    id: CaseId,
) -> anyhow::Result<Option<Case>> {
    let Some(case) = store::get(db, id).await? else {
        return Ok(None);
    };
    Ok(readable(db, reader, vec![case]).await?.pop())
}

/// The cases of search `hits` that `reader` may read, in hit order, each with its snippet.
pub async fn hits(
    db: &impl ConnectionTrait,
    reader: &Caller,
    hits: &[Hit],
) -> anyhow::Result<Vec<(Case, String)>> {
    let ids: Vec<CaseId> = hits
        .iter()
        .filter_map(|h| CaseId::try_from(h.id).ok())
        .collect();
    let cases = readable(db, reader, store::by_ids(db, &ids).await?).await?;
    Ok(hits
        .iter()
        .filter_map(|h| {
            let c = cases
                .iter()
                .find(|c| u64::try_from(c.id).ok() == Some(h.id))?;
            Some((c.clone(), h.snippet.clone()))
        })
        .collect())
}

/// Up to five published cases like `text` (and sharing `categories`) that `reader` may read,
/// without `exclude`.
pub async fn similar(
    db: &impl ConnectionTrait,
    index: &SearchIndex,
    reader: &Caller,
    text: String,
    categories: Vec<String>,
    exclude: Option<CaseId>,
) -> anyhow::Result<Vec<Case>> {
    let found = index
        .similar(SimilarQuery {
            text,
            categories,
            access: keys(reader),
            exclude: exclude
                .and_then(|i| u64::try_from(i).ok())
                .into_iter()
                .collect(),
            limit: 5,
        })
        .await?;
    Ok(hits(db, reader, &found)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect())
}

/// The submitting organisation's name, for a case whose organisation agreed to be named.
pub async fn named_as(db: &impl ConnectionTrait, case: &Case) -> anyhow::Result<Option<String>> {
    match (case.fields.named, case.organisation_id) {
        (true, Some(o)) => Ok(crate::registry::store::find_by_id(db, o)
            .await?
            .map(|o| o.full_name())),
        _ => Ok(None),
    }
}
