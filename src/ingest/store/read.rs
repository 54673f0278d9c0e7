//! Reading advisories, their revisions, clusters, attachments and raw documents.

#[allow(unused_imports)]
use super::*;

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
    /// Only advisories with a smaller id, newest id first (a cursor: the API's pages), instead
    /// of the most recently changed first.
    pub before_id: Option<i64>,
}

/// The stored advisory as ingest hands it out (its row).
pub type StoredAdvisory = advisories::Model;

pub async fn list(
    db: &impl ConnectionTrait,
    f: &AdvisoryFilter,
) -> anyhow::Result<Vec<advisories::Model>> {
    let mut q = advisories::Entity::find();
    q = match f.before_id {
        Some(before) => q
            .filter(advisories::Column::Id.lt(before))
            .order_by_desc(advisories::Column::Id),
        None => q
            .order_by_desc(advisories::Column::ChangedAt)
            .order_by_desc(advisories::Column::Id),
    };
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
        crate::ingest::sha256_hex(&bytes) == doc.sha256,
        "raw document {} does not match its hash",
        doc.sha256
    );
    Ok(bytes)
}

// ---- sources: health and leases ----
