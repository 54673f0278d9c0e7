//! CSAF: single documents (2.0, and the 2.1 shape MyJVN's jvncsaf uses), ROLIE feeds that list
//! them, and provider metadata that lists feeds. Lenient where the standards differ, strict on
//! what identifies a document: publisher namespace and tracking id.

use serde::Deserialize;

use super::{Format, Input, ParseError, Parsed, json};
use crate::domain::{CveId, Tlp, cves_in_text};
use crate::ingest::dates;
use crate::ingest::model::{CvssEntry, ParsedAdvisory, Product, Reference, Summary, kind};

#[derive(Deserialize)]
pub(super) struct CsafDocument {
    document: Meta,
    #[serde(default)]
    product_tree: Option<Branches>,
    #[serde(default)]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    category: Option<String>,
    title: String,
    #[serde(default)]
    lang: Option<String>,
    publisher: Publisher,
    tracking: Tracking,
    #[serde(default)]
    distribution: Option<Distribution>,
    #[serde(default)]
    notes: Vec<Note>,
    #[serde(default)]
    references: Vec<DocReference>,
    #[serde(default)]
    aggregate_severity: Option<AggregateSeverity>,
}

#[derive(Deserialize)]
struct Publisher {
    name: String,
    namespace: String,
}

#[derive(Deserialize)]
struct Tracking {
    id: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    initial_release_date: Option<String>,
    #[serde(default)]
    current_release_date: Option<String>,
}

#[derive(Deserialize)]
struct Distribution {
    #[serde(default)]
    tlp: Option<TlpLabel>,
}

#[derive(Deserialize)]
struct TlpLabel {
    label: String,
}

#[derive(Deserialize)]
struct Note {
    category: String,
    text: String,
}

#[derive(Deserialize)]
struct DocReference {
    url: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
struct AggregateSeverity {
    text: String,
}

#[derive(Deserialize, Default)]
struct Branches {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    full_product_names: Vec<FullProduct>,
}

#[derive(Deserialize)]
struct Branch {
    category: String,
    name: String,
    #[serde(default)]
    product: Option<FullProduct>,
    #[serde(default)]
    branches: Vec<Branch>,
}

#[derive(Deserialize)]
struct FullProduct {
    name: String,
    product_id: String,
    #[serde(default)]
    product_identification_helper: Option<Helper>,
}

#[derive(Deserialize)]
struct Helper {
    #[serde(default)]
    cpe: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    scores: Vec<Score>,
    #[serde(default)]
    metrics: Vec<Metric>,
    #[serde(default)]
    product_status: Option<ProductStatus>,
}

#[derive(Deserialize)]
struct Score {
    #[serde(default)]
    cvss_v2: Option<CvssJson>,
    #[serde(default)]
    cvss_v3: Option<CvssJson>,
}

#[derive(Deserialize)]
struct Metric {
    content: MetricContent,
}

#[derive(Deserialize)]
struct MetricContent {
    #[serde(default)]
    cvss_v2: Option<CvssJson>,
    #[serde(default)]
    cvss_v3: Option<CvssJson>,
    #[serde(default)]
    cvss_v4: Option<CvssJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssJson {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    vector_string: Option<String>,
    #[serde(default)]
    base_score: Option<f64>,
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Deserialize, Default)]
struct ProductStatus {
    #[serde(default)]
    known_affected: Vec<String>,
    #[serde(default)]
    first_affected: Vec<String>,
    #[serde(default)]
    last_affected: Vec<String>,
}

pub fn parse_document(input: Input<'_>) -> Result<Parsed, ParseError> {
    let doc: CsafDocument = json::from_slice(input.bytes, "a CSAF document (JSON)")?;
    Ok(Parsed {
        items: vec![to_advisory(doc)?],
        ..Parsed::default()
    })
}

/// Turns one CSAF (or CSAF-shaped) document into an advisory.
pub(super) fn to_advisory(doc: CsafDocument) -> Result<ParsedAdvisory, ParseError> {
    let meta = doc.document;
    if meta.tracking.id.trim().is_empty() {
        return Err(ParseError::field("document.tracking.id", "empty"));
    }
    if meta.publisher.namespace.trim().is_empty() {
        return Err(ParseError::field("document.publisher.namespace", "empty"));
    }
    let upstream_id = format!(
        "{}/{}",
        meta.publisher.namespace.trim_end_matches('/'),
        meta.tracking.id
    );
    let mut adv = ParsedAdvisory::new(kind::CSAF, upstream_id, meta.title.clone());
    adv.lang = meta.lang.clone();
    adv.published = dates::parse_opt(meta.tracking.initial_release_date.as_deref())
        .map_err(|e| ParseError::field("document.tracking.initial_release_date", e))?;
    adv.updated = dates::parse_opt(meta.tracking.current_release_date.as_deref())
        .map_err(|e| ParseError::field("document.tracking.current_release_date", e))?;
    adv.tlp = match meta.distribution.and_then(|d| d.tlp) {
        None => None,
        Some(t) => Some(
            Tlp::parse(&t.label)
                .map_err(|e| ParseError::field("document.distribution.tlp.label", e))?,
        ),
    };
    let summary = ["summary", "description", "general"]
        .iter()
        .find_map(|cat| meta.notes.iter().find(|n| n.category == *cat))
        .map(|n| n.text.clone())
        .unwrap_or_default();
    adv.add_cves(cves_in_text(&summary));
    adv.summary = Summary::Text(summary);
    adv.url = meta
        .references
        .iter()
        .find(|r| r.category.as_deref() == Some("self"))
        .map(|r| r.url.clone());
    for r in &meta.references {
        adv.add_cves(r.summary.as_deref().map(cves_in_text).unwrap_or_default());
        adv.references.push(Reference {
            source: r.source.clone().or_else(|| r.category.clone()),
            id: None,
            title: r.summary.clone(),
            url: Some(r.url.clone()),
        });
    }
    adv.extra
        .insert("publisher".into(), meta.publisher.name.into());
    if let Some(c) = meta.category {
        adv.extra.insert("csaf_category".into(), c.into());
    }
    if let Some(v) = meta.tracking.version {
        adv.extra.insert("csaf_version".into(), v.into());
    }
    if let Some(s) = meta.tracking.status {
        adv.extra.insert("csaf_status".into(), s.into());
    }
    if let Some(a) = meta.aggregate_severity {
        adv.extra.insert("aggregate_severity".into(), a.text.into());
    }

    let mut affected: Vec<String> = Vec::new();
    for (n, v) in doc.vulnerabilities.into_iter().enumerate() {
        if let Some(cve) = v.cve.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let id = CveId::parse(cve)
                .map_err(|e| ParseError::field(format!("vulnerabilities[{n}].cve"), e))?;
            adv.add_cves([id]);
        }
        let from_metrics = v
            .metrics
            .into_iter()
            .flat_map(|m| [m.content.cvss_v4, m.content.cvss_v3, m.content.cvss_v2]);
        let from_scores = v.scores.into_iter().flat_map(|s| [s.cvss_v3, s.cvss_v2]);
        for c in from_metrics.chain(from_scores).flatten() {
            let entry = CvssEntry {
                version: c.version.unwrap_or_default(),
                score: c.base_score,
                severity: c.base_severity,
                vector: c.vector_string,
            };
            if !adv.cvss.contains(&entry) {
                adv.cvss.push(entry);
            }
        }
        if let Some(ps) = v.product_status {
            affected.extend(
                ps.known_affected
                    .into_iter()
                    .chain(ps.first_affected)
                    .chain(ps.last_affected),
            );
        }
    }
    let mut products = Vec::new();
    if let Some(tree) = doc.product_tree {
        for p in tree.full_product_names {
            products.push((p.product_id.clone(), product_of(&p, None, None)));
        }
        collect_products(&tree.branches, None, None, &mut products);
    }
    for (id, product) in products {
        if (affected.is_empty() || affected.contains(&id)) && !adv.products.contains(&product) {
            adv.products.push(product);
        }
    }
    Ok(adv)
}

fn product_of(p: &FullProduct, vendor: Option<&str>, version: Option<&str>) -> Product {
    Product {
        vendor: vendor.map(str::to_owned),
        product: Some(p.name.clone()),
        version: version.map(str::to_owned),
        cpe: p
            .product_identification_helper
            .as_ref()
            .and_then(|h| h.cpe.clone()),
    }
}

fn collect_products(
    branches: &[Branch],
    vendor: Option<&str>,
    version: Option<&str>,
    out: &mut Vec<(String, Product)>,
) {
    for b in branches {
        let vendor = if b.category == "vendor" {
            Some(b.name.as_str())
        } else {
            vendor
        };
        let version = if b.category == "product_version" {
            Some(b.name.as_str())
        } else {
            version
        };
        if let Some(p) = &b.product {
            out.push((p.product_id.clone(), product_of(p, vendor, version)));
        }
        collect_products(&b.branches, vendor, version, out);
    }
}

#[derive(Deserialize)]
struct RolieOrProvider {
    #[serde(default)]
    feed: Option<RolieFeed>,
    #[serde(default)]
    distributions: Vec<ProviderDistribution>,
}

#[derive(Deserialize)]
struct RolieFeed {
    #[serde(default)]
    entry: Vec<RolieEntry>,
}

#[derive(Deserialize)]
struct RolieEntry {
    id: String,
    #[serde(default)]
    link: Vec<RolieLink>,
    #[serde(default)]
    content: Option<RolieContent>,
    #[serde(default)]
    updated: Option<String>,
}

#[derive(Deserialize)]
struct RolieLink {
    rel: String,
    href: String,
}

#[derive(Deserialize)]
struct RolieContent {
    src: String,
}

#[derive(Deserialize)]
struct ProviderDistribution {
    #[serde(default)]
    rolie: Option<ProviderRolie>,
}

#[derive(Deserialize)]
struct ProviderRolie {
    feeds: Vec<ProviderFeed>,
}

#[derive(Deserialize)]
struct ProviderFeed {
    url: String,
}

/// A ROLIE feed yields the CSAF documents it lists, newest first; provider metadata yields its
/// ROLIE feeds. Neither yields advisories by itself.
pub fn parse_rolie(input: Input<'_>) -> Result<Parsed, ParseError> {
    let doc: RolieOrProvider =
        json::from_slice(input.bytes, "a CSAF ROLIE feed or provider metadata (JSON)")?;
    if let Some(feed) = doc.feed {
        let mut entries: Vec<(Option<String>, String)> = Vec::new();
        for (n, e) in feed.entry.into_iter().enumerate() {
            let href = e
                .link
                .iter()
                .find(|l| l.rel == "self")
                .map(|l| l.href.clone())
                .or(e.content.map(|c| c.src))
                .ok_or_else(|| {
                    ParseError::field(
                        format!("feed.entry[{n}] ({})", e.id),
                        "no self link to the document",
                    )
                })?;
            entries.push((e.updated, href));
        }
        entries.sort_by(|a, b| b.0.cmp(&a.0));
        return Ok(Parsed {
            links: entries.into_iter().map(|(_, h)| h).collect(),
            link_format: Some(Format::Csaf),
            ..Parsed::default()
        });
    }
    let feeds: Vec<String> = doc
        .distributions
        .into_iter()
        .filter_map(|d| d.rolie)
        .flat_map(|r| r.feeds.into_iter().map(|f| f.url))
        .collect();
    if feeds.is_empty() {
        return Err(ParseError::Unexpected {
            expected: "a CSAF ROLIE feed or provider metadata (JSON)",
            found: "JSON with neither `feed` nor ROLIE `distributions`".into(),
        });
    }
    Ok(Parsed {
        links: feeds,
        link_format: Some(Format::CsafRolie),
        ..Parsed::default()
    })
}
