//! Draining the search outbox into the index, and rebuilding the index from the database.
//!
//! Each drain takes outbox rows inside a write transaction, reads the cases they name in that
//! transaction, writes the index and only then commits: if the index write fails the rows stay
//! for the next drain; a second process draining at the same time cannot take the same rows.

use crate::domain::ids::CaseId;
use anyhow::Context;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::Status;
use super::store;
use crate::db::begin_write;
use crate::search::{CaseDoc, SearchIndex};

const BATCH: u64 = 500;

/// Writes the index for up to one batch of waiting changes; returns how many cases it wrote
/// (0: nothing waited).
pub async fn drain_once<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    index: &SearchIndex,
) -> anyhow::Result<usize> {
    let txn = begin_write(db).await.context("cannot open a transaction")?;
    let (ids, _) = store::take_outbox(&txn, BATCH).await?;
    if ids.is_empty() {
        txn.rollback()
            .await
            .context("cannot close the transaction")?;
        return Ok(0);
    }
    let cases = store::by_ids(&txn, &ids).await?;
    let submitters = store::submitters(&txn, &cases).await?;
    let synonyms = store::synonyms(&txn).await?;
    let mut docs = Vec::new();
    let mut gone: Vec<u64> = ids
        .iter()
        .filter(|id| !cases.iter().any(|c| c.id == **id))
        .filter_map(|id| u64::try_from(*id).ok())
        .collect();
    for c in &cases {
        if c.status == Status::Published {
            let s = c.organisation_id.and_then(|o| submitters.get(&o).copied());
            let mut doc = store::doc(c, s);
            doc.expand(&synonyms);
            docs.push(doc);
        } else if let Ok(id) = u64::try_from(c.id) {
            gone.push(id);
        }
    }
    index.remove(gone).await?;
    index.upsert(docs).await?;
    txn.commit()
        .await
        .context("cannot close the search outbox transaction")?;
    Ok(ids.len())
}

/// Drains until nothing waits; returns the number of cases written.
pub async fn drain<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    index: &SearchIndex,
) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let n = drain_once(db, index).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

/// Rebuilds the index from every published case; `progress(done, total)` after each batch.
/// The outbox rows that were waiting when the rebuild began are cleared afterwards (the rebuild
/// read those cases); later ones are left for the next drain.
pub async fn rebuild<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    index: &SearchIndex,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> anyhow::Result<u64> {
    let total = store::count_published(db).await?;
    let waiting = store::outbox_last(db).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<anyhow::Result<Vec<CaseDoc>>>(2);
    let writer = {
        let index = index.clone();
        tokio::spawn(async move { index.rebuild(rx).await })
    };
    let mut after = CaseId(0);
    let mut done = 0u64;
    progress(0, total);
    loop {
        // A failed read goes to the writer as an error, so it never commits a partial index.
        let docs = match docs_after(db, &mut after).await {
            Ok(Some(docs)) => docs,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                break;
            }
        };
        done += docs.len() as u64;
        if tx.send(Ok(docs)).await.is_err() {
            break;
        }
        progress(done, total);
    }
    drop(tx);
    writer.await.context("the index writer stopped")??;
    if let Some(last) = waiting {
        store::clear_outbox_through(db, last).await?;
    }
    Ok(done)
}

/// The next 1,000 published cases after id `after` as documents (`None`: no more); moves
/// `after` on.
async fn docs_after(
    db: &impl ConnectionTrait,
    after: &mut CaseId,
) -> anyhow::Result<Option<Vec<CaseDoc>>> {
    let batch = store::published_after(db, *after, 1_000).await?;
    let Some(last) = batch.last() else {
        return Ok(None);
    };
    *after = last.id;
    let submitters = store::submitters(db, &batch).await?;
    let synonyms = store::synonyms(db).await?;
    Ok(Some(
        batch
            .iter()
            .map(|c| {
                let mut doc = store::doc(
                    c,
                    c.organisation_id.and_then(|o| submitters.get(&o).copied()),
                );
                doc.expand(&synonyms);
                doc
            })
            .collect(),
    ))
}

/// The outbox worker's step: one batch into the index.
#[tracing::instrument(name = "Drain the search outbox", skip_all)]
pub async fn try_execute_task(
    db: &sea_orm::DatabaseConnection,
    search: &crate::search::SearchIndex,
) -> anyhow::Result<crate::workers::Outcome> {
    Ok(if drain_once(db, search).await? == 0 {
        crate::workers::Outcome::Idle
    } else {
        crate::workers::Outcome::Worked
    })
}
