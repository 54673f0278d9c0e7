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

pub async fn find(
    db: &impl ConnectionTrait,
    source_key: &str,
    upstream_id: &str,
) -> anyhow::Result<Option<advisories::Model>> {
    advisories::Entity::find()
        .filter(advisories::Column::SourceKey.eq(source_key))
        .filter(advisories::Column::UpstreamId.eq(upstream_id))
        .one(db)
        .await
        .context("cannot read advisories")
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<Option<advisories::Model>> {
    advisories::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read advisories")
}

/// Which advisories to list.
#[derive(Debug, Default, Clone)]
pub struct AdvisoryFilter {
    pub source: Option<String>,
    pub cve: Option<String>,
    pub limit: u64,
    /// Rows to skip, for pages after the first.
    pub offset: u64,
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: &AdvisoryFilter,
) -> anyhow::Result<Vec<advisories::Model>> {
    let mut q = advisories::Entity::find()
        .order_by_desc(advisories::Column::ChangedAt)
        .order_by_desc(advisories::Column::Id);
    if let Some(s) = &f.source {
        q = q.filter(advisories::Column::SourceKey.eq(s.as_str()));
    }
    if let Some(cve) = &f.cve {
        let ids: Vec<i64> = advisory_cves::Entity::find()
            .select_only()
            .column(advisory_cves::Column::AdvisoryId)
            .filter(advisory_cves::Column::CveId.eq(cve.as_str()))
            .into_tuple()
            .all(db)
            .await
            .context("cannot read CVE links")?;
        q = q.filter(advisories::Column::Id.is_in(ids));
    }
    q.limit(f.limit.max(1))
        .offset(f.offset)
        .all(db)
        .await
        .context("cannot read advisories")
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> anyhow::Result<Vec<advisories::Model>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            advisories::Entity::find()
                .filter(advisories::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await
                .context("cannot read advisories")?,
        );
    }
    out.sort_by_key(|a| a.id);
    Ok(out)
}

/// CVE ids CISA KEV lists as known exploited (from every advisory of kind `kev`).
pub async fn kev_cves(db: &impl ConnectionTrait) -> anyhow::Result<HashSet<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT c.cve_id AS cve_id FROM advisory_cves c JOIN advisories a ON a.id = c.advisory_id \
             WHERE a.kind = 'kev'",
        ))
        .await
        .context("cannot read the KEV catalogue")?;
    rows.iter()
        .map(|r| {
            r.try_get::<String>("", "cve_id")
                .context("cannot read a CVE id")
        })
        .collect()
}

/// CVE ids of KEV entries added or changed after `since`, and the newest change time seen.
pub async fn kev_changed_since(
    db: &impl ConnectionTrait,
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<(HashSet<String>, Option<DateTime<Utc>>)> {
    let mut q = advisories::Entity::find().filter(advisories::Column::Kind.eq("kev"));
    if let Some(t) = since {
        q = q.filter(advisories::Column::ChangedAt.gt(t));
    }
    let changed = q.all(db).await.context("cannot read KEV entries")?;
    let newest = changed.iter().map(|a| a.changed_at).max();
    let cves = changed
        .iter()
        .flat_map(|a| serde_json::from_str::<Vec<String>>(&a.cve_ids).unwrap_or_default())
        .collect();
    Ok((cves, newest))
}

/// Advisories that mention any of these CVE ids.
pub async fn advisories_with_cves(
    db: &impl ConnectionTrait,
    cves: &HashSet<String>,
) -> anyhow::Result<HashSet<i64>> {
    let list: Vec<String> = cves.iter().cloned().collect();
    let mut out = HashSet::new();
    for chunk in list.chunks(CHUNK) {
        let ids: Vec<i64> = advisory_cves::Entity::find()
            .select_only()
            .column(advisory_cves::Column::AdvisoryId)
            .filter(advisory_cves::Column::CveId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await
            .context("cannot read CVE links")?;
        out.extend(ids);
    }
    Ok(out)
}

pub async fn count(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    advisories::Entity::find()
        .count(db)
        .await
        .context("cannot count advisories")
}

pub async fn revisions(
    db: &impl ConnectionTrait,
    advisory_id: i64,
) -> anyhow::Result<Vec<advisory_revisions::Model>> {
    advisory_revisions::Entity::find()
        .filter(advisory_revisions::Column::AdvisoryId.eq(advisory_id))
        .order_by_asc(advisory_revisions::Column::Revision)
        .all(db)
        .await
        .context("cannot read revisions")
}

/// The other advisories in the same cluster.
pub async fn cluster_members(
    db: &impl ConnectionTrait,
    advisory: &advisories::Model,
) -> anyhow::Result<Vec<advisories::Model>> {
    let Some(cluster) = advisory.cluster_id else {
        return Ok(Vec::new());
    };
    advisories::Entity::find()
        .filter(advisories::Column::ClusterId.eq(cluster))
        .filter(advisories::Column::Id.ne(advisory.id))
        .order_by_asc(advisories::Column::Id)
        .all(db)
        .await
        .context("cannot read the cluster")
}

pub async fn attachments(
    db: &impl ConnectionTrait,
    advisory_id: i64,
) -> anyhow::Result<Vec<advisory_attachments::Model>> {
    advisory_attachments::Entity::find()
        .filter(advisory_attachments::Column::AdvisoryId.eq(advisory_id))
        .all(db)
        .await
        .context("cannot read attachments")
}

pub async fn raw_document(
    db: &impl ConnectionTrait,
    sha256: &str,
) -> anyhow::Result<Option<raw_documents::Model>> {
    raw_documents::Entity::find_by_id(sha256.to_owned())
        .one(db)
        .await
        .context("cannot read raw documents")
}

/// A raw document's bytes exactly as received, checked against its hash.
pub fn raw_bytes(doc: &raw_documents::Model) -> anyhow::Result<Vec<u8>> {
    let bytes = match doc.encoding.as_str() {
        "identity" => doc.content.clone(),
        "zstd" => zstd::bulk::decompress(&doc.content, usize::try_from(doc.size)?)
            .context("cannot decompress the raw document")?,
        other => anyhow::bail!(
            "raw document {} has an unknown encoding `{other}`",
            doc.sha256
        ),
    };
    anyhow::ensure!(
        super::sha256_hex(&bytes) == doc.sha256,
        "raw document {} does not match its hash",
        doc.sha256
    );
    Ok(bytes)
}

// ---- sources: health and leases ----

/// Makes sure every catalogue key has a health row, due now.
pub async fn ensure_sources(
    db: &impl ConnectionTrait,
    keys: &[(String, bool)],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for (key, enabled) in keys {
        sources::Entity::insert(sources::ActiveModel {
            key: Set(key.clone()),
            enabled: Set(*enabled),
            next_poll_at: Set(now),
            consecutive_failures: Set(0),
            items_seen: Set(0),
            advisories_new: Set(0),
            advisories_revised: Set(0),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(sources::Column::Key)
                .update_column(sources::Column::Enabled)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .context("cannot register sources")?;
    }
    Ok(())
}

/// A source this process may poll now.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: i32,
}

/// Takes the lease of the most overdue source, if any is due and free. On PostgreSQL rows locked
/// by another process are skipped, so several hubs share the polling without ever polling one
/// source twice at once; an expired lease (a crashed process) is taken over.
pub async fn claim_due_source(
    db: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> anyhow::Result<Option<Claim>> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE sources SET lease_owner = $1, lease_until = $2, last_attempt_at = $3 \
         WHERE key = (SELECT key FROM sources WHERE enabled = $4 AND next_poll_at <= $5 \
           AND (lease_until IS NULL OR lease_until < $6) ORDER BY next_poll_at LIMIT 1 {lock}) \
         RETURNING key, etag, last_modified, consecutive_failures"
    );
    let row = db
        .query_one_raw(crate::db::statement(
            backend,
            &sql,
            vec![
                owner.into(),
                lease_until.into(),
                now.into(),
                true.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .context("cannot claim a source")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Claim {
        key: row.try_get("", "key")?,
        etag: row.try_get("", "etag")?,
        last_modified: row.try_get("", "last_modified")?,
        consecutive_failures: row.try_get("", "consecutive_failures")?,
    }))
}

/// How a poll ended, for the health record.
#[derive(Debug, Clone)]
pub enum PollResult {
    Ingested {
        items: usize,
        counts: StoreCounts,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    Failed {
        error: String,
    },
}

/// Records the outcome, schedules the next poll and gives the lease back (only if still ours).
pub async fn record_poll(
    db: &impl ConnectionTrait,
    key: &str,
    owner: &str,
    result: &PollResult,
    now: DateTime<Utc>,
    next_poll_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let (sql, values): (&str, Vec<Value>) = match result {
        PollResult::Ingested {
            items,
            counts,
            etag,
            last_modified,
        } => (
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1, \
             last_success_at = $2, consecutive_failures = 0, last_outcome = $3, \
             etag = $4, last_modified = $5, items_seen = items_seen + $6, \
             advisories_new = advisories_new + $7, advisories_revised = advisories_revised + $8, \
             items_quarantined = $11 \
             WHERE key = $9 AND lease_owner = $10",
            vec![
                next_poll_at.into(),
                now.into(),
                if counts.quarantined > 0 {
                    format!(
                        "{items} items: {} new, {} revised, {} unchanged; {} quarantined",
                        counts.new, counts.revised, counts.unchanged, counts.quarantined
                    )
                } else {
                    format!(
                        "{items} items: {} new, {} revised, {} unchanged",
                        counts.new, counts.revised, counts.unchanged
                    )
                }
                .into(),
                etag.clone().into(),
                last_modified.clone().into(),
                (*items as i64).into(),
                (counts.new as i64).into(),
                (counts.revised as i64).into(),
                key.into(),
                owner.into(),
                i32::try_from(counts.quarantined).unwrap_or(i32::MAX).into(),
            ],
        ),
        PollResult::NotModified => (
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1, \
             last_success_at = $2, consecutive_failures = 0, last_outcome = $3 \
             WHERE key = $4 AND lease_owner = $5",
            vec![
                next_poll_at.into(),
                now.into(),
                "not modified".into(),
                key.into(),
                owner.into(),
            ],
        ),
        PollResult::Failed { error } => (
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1, \
             last_error_at = $2, last_error = $3, consecutive_failures = consecutive_failures + 1, \
             last_outcome = $4 WHERE key = $5 AND lease_owner = $6",
            vec![
                next_poll_at.into(),
                now.into(),
                error.clone().into(),
                "failed".into(),
                key.into(),
                owner.into(),
            ],
        ),
    };
    db.execute_raw(crate::db::statement(backend, sql, values))
        .await
        .context("cannot record the poll")?;
    Ok(())
}

/// Makes a source due now (`noroshi ingest poll`).
pub async fn make_due(
    db: &impl ConnectionTrait,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let mut q = sources::Entity::update_many().col_expr(
        sources::Column::NextPollAt,
        sea_orm::sea_query::Expr::value(now),
    );
    if let Some(k) = key {
        q = q.filter(sources::Column::Key.eq(k));
    }
    Ok(q.exec(db)
        .await
        .context("cannot schedule sources")?
        .rows_affected)
}

/// Keeps a document's unreadable items aside with their reasons (again when the same document
/// is read again: the rows of that document are replaced).
pub async fn quarantine(
    db: &impl ConnectionTrait,
    source_key: &str,
    raw_sha256: &str,
    rejected: &[super::parse::Rejected],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::db::entities::quarantined_items;
    quarantined_items::Entity::delete_many()
        .filter(quarantined_items::Column::SourceKey.eq(source_key))
        .filter(quarantined_items::Column::RawSha256.eq(raw_sha256))
        .exec(db)
        .await
        .context("cannot clear the quarantine")?;
    if rejected.is_empty() {
        return Ok(());
    }
    quarantined_items::Entity::insert_many(rejected.iter().map(|r| {
        quarantined_items::ActiveModel {
            source_key: Set(source_key.to_owned()),
            raw_sha256: Set(raw_sha256.to_owned()),
            position: Set(i32::try_from(r.position).unwrap_or(i32::MAX)),
            upstream_id: Set(r.upstream_id.clone()),
            reason: Set(r.reason.chars().take(2000).collect()),
            created_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(db)
    .await
    .context("cannot quarantine the items")?;
    Ok(())
}

/// The newest quarantined items of a source (the operator's view).
pub async fn quarantined(
    db: &impl ConnectionTrait,
    source_key: &str,
    limit: u64,
) -> anyhow::Result<Vec<crate::db::entities::quarantined_items::Model>> {
    use crate::db::entities::quarantined_items;
    quarantined_items::Entity::find()
        .filter(quarantined_items::Column::SourceKey.eq(source_key))
        .order_by_desc(quarantined_items::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("cannot read the quarantine")
}

pub async fn list_sources(db: &impl ConnectionTrait) -> anyhow::Result<Vec<sources::Model>> {
    sources::Entity::find()
        .order_by_asc(sources::Column::Key)
        .all(db)
        .await
        .context("cannot read sources")
}

pub async fn source(
    db: &impl ConnectionTrait,
    key: &str,
) -> anyhow::Result<Option<sources::Model>> {
    sources::Entity::find_by_id(key.to_owned())
        .one(db)
        .await
        .context("cannot read sources")
}

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
