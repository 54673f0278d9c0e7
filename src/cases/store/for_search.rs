//! What the search index reads: the documents of published cases and the outbox of changes.

#[allow(unused_imports)]
use super::*;

/// The submitting organisations of `cases`, as the access rule needs them.
pub async fn submitters(
    db: &impl ConnectionTrait,
    cases: &[Case],
) -> anyhow::Result<HashMap<OrgId, Submitter>> {
    let ids: Vec<OrgId> = cases.iter().filter_map(|c| c.organisation_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(organisations::Entity::find()
        .filter(organisations::Column::Id.is_in(ids))
        .all(db)
        .await
        .context("cannot read organisations")?
        .into_iter()
        .map(|o| {
            (
                o.id,
                Submitter {
                    org_id: o.id,
                    prefecture: o.prefecture.and_then(|p| u8::try_from(p).ok()),
                },
            )
        })
        .collect())
}

/// A published case as the search engines hold it.
pub fn doc(case: &Case, submitter: Option<Submitter>) -> CaseDoc {
    let f = &case.fields;
    let day = f
        .occurred_on
        .or(f.found_on)
        .or(f.reported_on)
        .or(case.published_at.map(|t| t.date_naive()))
        .unwrap_or(NaiveDate::MIN);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    CaseDoc {
        id: u64::try_from(case.id).unwrap_or_default(),
        kind: f.kind.as_str().into(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        body: format!("{}\n{}\n{}", f.body, f.measures, f.systems_affected),
        lessons: f.lessons.clone(),
        categories: f.categories.clone(),
        causes: f.causes.clone(),
        org_kind: f.org_kind.clone(),
        prefecture: f.prefecture,
        year: f.year(),
        date: (day - epoch).num_days(),
        access: crate::cases::access::doc_keys(f.tlp, submitter),
        also: String::new(),
    }
}

/// Published cases with an id above `after`, in id order, `limit` at a time (for a rebuild).
pub async fn published_after(
    db: &impl ConnectionTrait,
    after: CaseId,
    limit: u64,
) -> anyhow::Result<Vec<Case>> {
    cases::Entity::find()
        .filter(cases::Column::Status.eq(Status::Published.as_str()))
        .filter(cases::Column::Id.gt(after))
        .order_by_asc(cases::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read cases")?
        .into_iter()
        .map(to_case)
        .collect()
}

/// Takes up to `limit` outbox rows (deleting them in `txn`, so a concurrent drainer skips them)
/// and returns the case ids they name, oldest first.
pub async fn take_outbox(
    txn: &impl ConnectionTrait,
    limit: u64,
) -> anyhow::Result<(Vec<CaseId>, Option<i64>)> {
    let rows = search_outbox::Entity::find()
        .order_by_asc(search_outbox::Column::Id)
        .limit(limit)
        .all(txn)
        .await
        .context("cannot read the search outbox")?;
    let Some(last) = rows.last().map(|r| r.id) else {
        return Ok((Vec::new(), None));
    };
    let taken = search_outbox::Entity::delete_many()
        .filter(search_outbox::Column::Id.is_in(rows.iter().map(|r| r.id)))
        .exec(txn)
        .await
        .context("cannot take rows from the search outbox")?;
    if taken.rows_affected < rows.len() as u64 {
        // Another drainer took some of them first; dropping this transaction leaves the rest
        // for the next drain.
        anyhow::bail!("another process is draining the search outbox; the rest waits");
    }
    let mut ids: Vec<CaseId> = Vec::new();
    for r in rows {
        if !ids.contains(&r.case_id) {
            ids.push(r.case_id);
        }
    }
    Ok((ids, Some(last)))
}

/// Outbox rows waiting.
pub async fn outbox_len(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    use sea_orm::PaginatorTrait;
    search_outbox::Entity::find()
        .count(db)
        .await
        .context("cannot count the search outbox")
}

/// Empties the outbox up to `last` (a rebuild has written everything up to there).
pub async fn clear_outbox_through(db: &impl ConnectionTrait, last: i64) -> anyhow::Result<()> {
    search_outbox::Entity::delete_many()
        .filter(search_outbox::Column::Id.lte(last))
        .exec(db)
        .await
        .context("cannot clear the search outbox")?;
    Ok(())
}

/// The newest outbox row's id.
pub async fn outbox_last(db: &impl ConnectionTrait) -> anyhow::Result<Option<i64>> {
    Ok(search_outbox::Entity::find()
        .order_by_desc(search_outbox::Column::Id)
        .one(db)
        .await
        .context("cannot read the search outbox")?
        .map(|r| r.id))
}
