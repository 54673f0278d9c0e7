//! Database access for ingest: raw documents, advisories (batched: a 20,000-item feed is a few
//! hundred statements), revisions, CVE links and clusters, and source health with poll leases.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement, Value,
};

use super::normalise::Normalised;
use crate::db::entities::{
    advisories, advisory_attachments, advisory_cves, advisory_revisions, raw_documents, sources,
};

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 400;

/// A document as received.
pub struct RawDoc<'a> {
    pub sha256: String,
    pub source_key: &'a str,
    pub media_type: Option<String>,
    pub origin: String,
    pub bytes: &'a [u8],
}

/// A file that arrived with an advisory (mail attachments).
pub struct AttachmentDoc<'a> {
    pub item: usize,
    pub filename: String,
    pub raw: RawDoc<'a>,
}

/// What storing a document did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounts {
    pub new: usize,
    pub revised: usize,
    pub unchanged: usize,
    /// Items of the document left out and quarantined.
    pub quarantined: usize,
}

/// zstd level for raw documents: XML and JSON feeds shrink about tenfold, at a cost well below
/// that of writing them uncompressed.
const ZSTD_LEVEL: i32 = 3;

/// Stores a document once (by hash), compressed.
pub async fn insert_raw(
    db: &impl ConnectionTrait,
    raw: &RawDoc<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let compressed =
        zstd::bulk::compress(raw.bytes, ZSTD_LEVEL).context("cannot compress the raw document")?;
    raw_documents::Entity::insert(raw_documents::ActiveModel {
        sha256: Set(raw.sha256.clone()),
        source_key: Set(raw.source_key.to_owned()),
        media_type: Set(raw.media_type.clone()),
        size: Set(raw.bytes.len() as i64),
        encoding: Set("zstd".into()),
        origin: Set(raw.origin.clone()),
        received_at: Set(now),
        content: Set(compressed),
    })
    .on_conflict_do_nothing_on([raw_documents::Column::Sha256])
    .exec(db)
    .await
    .context("cannot store the raw document")?;
    Ok(())
}

fn active(
    source_key: &str,
    raw_sha: &str,
    n: &Normalised,
    now: DateTime<Utc>,
) -> advisories::ActiveModel {
    advisories::ActiveModel {
        source_key: Set(source_key.to_owned()),
        upstream_id: Set(n.upstream_id.clone()),
        kind: Set(n.kind.clone()),
        url: Set(n.url.clone()),
        title: Set(n.title.clone()),
        summary_html: Set(n.summary_html.clone()),
        summary_text: Set(n.summary_text.clone()),
        published_at: Set(n.published),
        updated_at: Set(n.updated),
        cve_ids: Set(serde_json::to_string(&n.cves).unwrap_or_else(|_| "[]".into())),
        cvss: Set(n.cvss.clone()),
        products: Set(n.products.clone()),
        ref_list: Set(n.references.clone()),
        tlp: Set(n.tlp.map(|t| t.as_str().to_owned())),
        lang: Set(n.lang.clone()),
        withdrawn: Set(n.withdrawn),
        extra: Set(n.extra.clone()),
        fingerprint: Set(n.fingerprint.clone()),
        revision: Set(1),
        raw_sha256: Set(raw_sha.to_owned()),
        cluster_id: Set(None),
        first_seen_at: Set(now),
        changed_at: Set(now),
        ..Default::default()
    }
}

/// The fields a revision snapshot keeps, and which of them differ.
fn snapshot(m: &advisories::Model) -> serde_json::Value {
    serde_json::json!({
        "title": m.title,
        "url": m.url,
        "summary_html": m.summary_html,
        "published_at": m.published_at,
        "updated_at": m.updated_at,
        "cve_ids": serde_json::from_str::<serde_json::Value>(&m.cve_ids).unwrap_or_default(),
        "cvss": serde_json::from_str::<serde_json::Value>(&m.cvss).unwrap_or_default(),
        "products": serde_json::from_str::<serde_json::Value>(&m.products).unwrap_or_default(),
        "tlp": m.tlp,
        "withdrawn": m.withdrawn,
        "extra": serde_json::from_str::<serde_json::Value>(&m.extra).unwrap_or_default(),
        "raw_sha256": m.raw_sha256,
    })
}

fn changed_fields(old: &advisories::Model, new: &Normalised) -> Vec<&'static str> {
    let mut out = Vec::new();
    let cves = serde_json::to_string(&new.cves).unwrap_or_default();
    let pairs: [(&str, bool); 12] = [
        ("title", old.title != new.title),
        ("url", old.url != new.url),
        ("summary", old.summary_html != new.summary_html),
        ("published", old.published_at != new.published),
        ("updated", old.updated_at != new.updated),
        ("cves", old.cve_ids != cves),
        ("cvss", old.cvss != new.cvss),
        ("products", old.products != new.products),
        ("references", old.ref_list != new.references),
        ("tlp", old.tlp.as_deref() != new.tlp.map(|t| t.as_str())),
        ("withdrawn", old.withdrawn != new.withdrawn),
        ("extra", old.extra != new.extra),
    ];
    for (name, differs) in pairs {
        if differs {
            out.push(name);
        }
    }
    out
}

/// Stores the items of one document from `source_key`: new ones inserted, changed ones revised
/// (the previous version kept), unchanged ones left alone. CVE links and clusters follow.
/// Call inside a transaction: on any error nothing of the document remains.
pub async fn store_items(
    txn: &impl ConnectionTrait,
    source_key: &str,
    raw_sha: &str,
    items: &[Normalised],
    attachments: &[AttachmentDoc<'_>],
    now: DateTime<Utc>,
) -> anyhow::Result<StoreCounts> {
    let mut counts = StoreCounts::default();
    // Compare fingerprints first; load whole rows only for the items that changed.
    let mut known: HashMap<String, (i64, String)> = HashMap::new();
    let ids: Vec<&str> = items.iter().map(|i| i.upstream_id.as_str()).collect();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String, String)> = advisories::Entity::find()
            .select_only()
            .column(advisories::Column::Id)
            .column(advisories::Column::UpstreamId)
            .column(advisories::Column::Fingerprint)
            .filter(advisories::Column::SourceKey.eq(source_key))
            .filter(advisories::Column::UpstreamId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await
            .context("cannot read advisories")?;
        for (id, upstream, fingerprint) in rows {
            known.insert(upstream, (id, fingerprint));
        }
    }

    let mut fresh: Vec<&Normalised> = Vec::new();
    let mut touched: Vec<(i64, &Normalised)> = Vec::new();
    for item in items {
        match known.get(&item.upstream_id) {
            None => fresh.push(item),
            Some((_, fingerprint)) if *fingerprint == item.fingerprint => counts.unchanged += 1,
            Some((id, _)) => {
                let old = advisories::Entity::find_by_id(*id)
                    .one(txn)
                    .await
                    .context("cannot read advisories")?
                    .context("an advisory vanished while being revised")?;
                revise(txn, &old, item, raw_sha, now).await?;
                touched.push((old.id, item));
                counts.revised += 1;
            }
        }
    }
    counts.new = fresh.len();
    // RETURNING hands back each new row's id with its upstream id: no second lookup.
    let backend = txn.get_database_backend();
    for chunk in fresh.chunks(CHUNK) {
        let by_upstream: HashMap<&str, &Normalised> =
            chunk.iter().map(|n| (n.upstream_id.as_str(), *n)).collect();
        let mut insert = advisories::Entity::insert_many(
            chunk.iter().map(|n| active(source_key, raw_sha, n, now)),
        )
        .into_query();
        insert.returning(
            Query::returning().columns([advisories::Column::Id, advisories::Column::UpstreamId]),
        );
        for row in txn
            .query_all_raw(backend.build(&insert))
            .await
            .context("cannot insert advisories")?
        {
            let id: i64 = row.try_get("", "id")?;
            let upstream: String = row.try_get("", "upstream_id")?;
            if let Some(n) = by_upstream.get(upstream.as_str()) {
                touched.push((id, n));
            }
        }
    }
    link_cves(txn, &touched).await?;
    cluster(txn, &touched).await?;
    store_attachments(txn, items, attachments, source_key, now).await?;
    Ok(counts)
}

async fn revise(
    txn: &impl ConnectionTrait,
    old: &advisories::Model,
    new: &Normalised,
    raw_sha: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    advisory_revisions::ActiveModel {
        advisory_id: Set(old.id),
        revision: Set(old.revision),
        snapshot: Set(snapshot(old).to_string()),
        changed_fields: Set(changed_fields(old, new).join(",")),
        raw_sha256: Set(old.raw_sha256.clone()),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .context("cannot record the revision")?;
    let mut row = active(&old.source_key, raw_sha, new, now);
    row.id = Set(old.id);
    row.revision = Set(old.revision + 1);
    row.first_seen_at = Set(old.first_seen_at);
    row.cluster_id = Set(old.cluster_id);
    row.update(txn)
        .await
        .context("cannot update the advisory")?;
    Ok(())
}

async fn link_cves(
    txn: &impl ConnectionTrait,
    touched: &[(i64, &Normalised)],
) -> anyhow::Result<()> {
    let ids: Vec<i64> = touched.iter().map(|(id, _)| *id).collect();
    for chunk in ids.chunks(CHUNK) {
        advisory_cves::Entity::delete_many()
            .filter(advisory_cves::Column::AdvisoryId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await
            .context("cannot clear CVE links")?;
    }
    let rows: Vec<advisory_cves::ActiveModel> = touched
        .iter()
        .flat_map(|(id, n)| {
            n.cves.iter().map(move |c| advisory_cves::ActiveModel {
                advisory_id: Set(*id),
                cve_id: Set(c.to_string()),
            })
        })
        .collect();
    for chunk in rows.chunks(CHUNK * 2) {
        advisory_cves::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([
                advisory_cves::Column::AdvisoryId,
                advisory_cves::Column::CveId,
            ])
            .exec(txn)
            .await
            .context("cannot link CVEs")?;
    }
    Ok(())
}

/// Merges the clusters of advisories that share a CVE id. A cluster is named by the smallest
/// advisory id in it; `cluster_id` stays NULL for an advisory that shares nothing, which is a
/// cluster of its own (so the common case costs no update at all).
async fn cluster(txn: &impl ConnectionTrait, touched: &[(i64, &Normalised)]) -> anyhow::Result<()> {
    let cves: BTreeSet<String> = touched
        .iter()
        .flat_map(|(_, n)| n.cves.iter().map(ToString::to_string))
        .collect();
    let cves: Vec<String> = cves.into_iter().collect();
    let mut by_cve: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for chunk in cves.chunks(CHUNK) {
        for link in advisory_cves::Entity::find()
            .filter(advisory_cves::Column::CveId.is_in(chunk.iter().cloned()))
            .all(txn)
            .await
            .context("cannot read CVE links")?
        {
            by_cve
                .entry(link.cve_id)
                .or_default()
                .push(link.advisory_id);
        }
    }
    let shared: Vec<Vec<i64>> = by_cve.into_values().filter(|ids| ids.len() > 1).collect();
    if !shared.is_empty() {
        let members: BTreeSet<i64> = shared.iter().flatten().copied().collect();
        let members: Vec<i64> = members.into_iter().collect();
        let mut cluster_of: HashMap<i64, Option<i64>> = HashMap::new();
        for chunk in members.chunks(CHUNK) {
            let rows: Vec<(i64, Option<i64>)> = advisories::Entity::find()
                .select_only()
                .column(advisories::Column::Id)
                .column(advisories::Column::ClusterId)
                .filter(advisories::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await
                .context("cannot read clusters")?;
            cluster_of.extend(rows);
        }
        let mut sets = UnionFind::default();
        for group in &shared {
            for pair in group.windows(2) {
                sets.union(pair[0], pair[1]);
            }
        }
        // A cluster is named by one of its advisories, so joining each member to its current
        // cluster also joins components that already share a cluster.
        for id in &members {
            if let Some(c) = cluster_of.get(id).copied().flatten() {
                sets.union(*id, c);
            }
        }
        let mut components: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for id in &members {
            components.entry(sets.find(*id)).or_default().push(*id);
        }
        // Every advisory whose cluster changes, and the cluster it moves to.
        let mut moves: Vec<(i64, i64)> = Vec::new();
        let mut absorbed: Vec<(i64, i64)> = Vec::new();
        for ids in components.into_values() {
            let old_clusters: BTreeSet<i64> = ids
                .iter()
                .filter_map(|id| cluster_of.get(id).copied().flatten())
                .collect();
            let target = ids
                .iter()
                .chain(old_clusters.iter())
                .copied()
                .min()
                .unwrap_or(0);
            moves.extend(
                ids.iter()
                    .filter(|id| cluster_of.get(id).copied().flatten() != Some(target))
                    .map(|id| (*id, target)),
            );
            absorbed.extend(
                old_clusters
                    .iter()
                    .filter(|c| **c != target)
                    .map(|c| (*c, target)),
            );
        }
        // Members of absorbed clusters that were not touched by this document move too.
        for chunk in absorbed.chunks(CHUNK) {
            let old: Vec<i64> = chunk.iter().map(|(c, _)| *c).collect();
            let rows: Vec<(i64, Option<i64>)> = advisories::Entity::find()
                .select_only()
                .column(advisories::Column::Id)
                .column(advisories::Column::ClusterId)
                .filter(advisories::Column::ClusterId.is_in(old))
                .into_tuple()
                .all(txn)
                .await
                .context("cannot read clusters")?;
            for (id, cluster) in rows {
                if let Some(target) = chunk
                    .iter()
                    .find(|(c, _)| Some(*c) == cluster)
                    .map(|(_, t)| *t)
                {
                    moves.push((id, target));
                }
            }
        }
        moves.sort_unstable();
        moves.dedup_by_key(|(id, _)| *id);
        for chunk in moves.chunks(CHUNK) {
            let cases: String = chunk
                .iter()
                .map(|(id, t)| format!(" WHEN {id} THEN {t}"))
                .collect();
            let list = chunk
                .iter()
                .map(|(id, _)| id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            txn.execute_raw(Statement::from_string(
                txn.get_database_backend(),
                format!(
                    "UPDATE advisories SET cluster_id = CASE id{cases} END WHERE id IN ({list})"
                ),
            ))
            .await
            .context("cannot merge clusters")?;
        }
    }
    Ok(())
}

#[derive(Default)]
struct UnionFind {
    parent: HashMap<i64, i64>,
}

impl UnionFind {
    fn find(&mut self, x: i64) -> i64 {
        let p = *self.parent.entry(x).or_insert(x);
        if p == x {
            return x;
        }
        let root = self.find(p);
        self.parent.insert(x, root);
        root
    }

    fn union(&mut self, a: i64, b: i64) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.insert(ra.max(rb), ra.min(rb));
        }
    }
}

async fn store_attachments(
    txn: &impl ConnectionTrait,
    items: &[Normalised],
    attachments: &[AttachmentDoc<'_>],
    source_key: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for a in attachments {
        let Some(item) = items.get(a.item) else {
            continue;
        };
        let Some(advisory) = find(txn, source_key, &item.upstream_id).await? else {
            continue;
        };
        insert_raw(txn, &a.raw, now).await?;
        let already = advisory_attachments::Entity::find()
            .filter(advisory_attachments::Column::AdvisoryId.eq(advisory.id))
            .filter(advisory_attachments::Column::Sha256.eq(a.raw.sha256.clone()))
            .count(txn)
            .await
            .context("cannot read attachments")?;
        if already == 0 {
            advisory_attachments::ActiveModel {
                advisory_id: Set(advisory.id),
                sha256: Set(a.raw.sha256.clone()),
                filename: Set(a.filename.clone()),
                media_type: Set(a.raw.media_type.clone().unwrap_or_default()),
                ..Default::default()
            }
            .insert(txn)
            .await
            .context("cannot record the attachment")?;
        }
    }
    Ok(())
}

// ---- reading advisories ----

mod read;
mod source_health;

pub use read::*;
pub use source_health::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_joins_transitively_to_the_smallest() {
        let mut u = UnionFind::default();
        u.union(5, 9);
        u.union(9, 2);
        u.union(7, 8);
        assert_eq!(u.find(5), 2);
        assert_eq!(u.find(9), 2);
        assert_eq!(u.find(8), 7);
    }
}
