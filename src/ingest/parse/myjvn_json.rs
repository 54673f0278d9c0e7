//! MyJVN API v4 ("oka") JSON: the myjvn_feed overview list, and the jvnstix STIX 2.1 bundle whose
//! custom `jvn-jp-sdo` object wraps CSAF-shaped VULDEF documents.

use serde::Deserialize;
use serde_json::Value;

use super::csaf::{CsafDocument, to_advisory};
use super::{Input, ParseError, Parsed, json};
use crate::domain::{CveId, Tlp, cves_in_text};
use crate::ingest::dates;
use crate::ingest::model::{CvssEntry, ParsedAdvisory, Product, Reference, Summary, kind};

#[derive(Deserialize)]
struct Envelope {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    objects: Vec<Value>,
    #[serde(default)]
    feed: Option<Feed>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    ret_cd: Option<Value>,
    #[serde(default)]
    err_msg: Option<String>,
}

#[derive(Deserialize)]
struct Feed {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    distribution: Option<Distribution>,
    #[serde(default)]
    entry: Vec<Entry>,
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
struct Entry {
    title: String,
    id: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    references: Vec<EntryReference>,
    #[serde(default)]
    products: Vec<EntryProduct>,
    #[serde(default)]
    metrics: Vec<EntryMetric>,
}

#[derive(Deserialize)]
struct EntryReference {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
struct EntryProduct {
    #[serde(default)]
    vname: Option<String>,
    #[serde(default)]
    pname: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    product_ids: Option<ProductIds>,
}

#[derive(Deserialize)]
struct ProductIds {
    #[serde(default)]
    cpe: Option<String>,
}

#[derive(Deserialize)]
struct EntryMetric {
    content: std::collections::BTreeMap<String, Value>,
}

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let env: Envelope = json::from_slice(input.bytes, "MyJVN API JSON (myjvn_feed or jvnstix)")?;
    if let Some(status) = &env.status {
        let code = status
            .ret_cd
            .as_ref()
            .map(|v| v.to_string().trim_matches('"').to_owned());
        if code.as_deref().is_some_and(|c| c != "0") {
            return Err(ParseError::Upstream(format!(
                "MyJVN status retCd={} errMsg={}",
                code.unwrap_or_default(),
                status.err_msg.clone().unwrap_or_default()
            )));
        }
    }
    if env.kind.as_deref() == Some("bundle") {
        return stix(env.objects);
    }
    let Some(feed) = env.feed else {
        return Err(ParseError::Unexpected {
            expected: "MyJVN API JSON (myjvn_feed or jvnstix)",
            found: "JSON with neither `feed` nor a STIX bundle".into(),
        });
    };
    let tlp = match feed.distribution.and_then(|d| d.tlp) {
        Some(t) => Some(
            Tlp::parse(&t.label)
                .map_err(|e| ParseError::field("feed.distribution.tlp.label", e))?,
        ),
        None => None,
    };
    let mut items = Vec::new();
    for (n, e) in feed.entry.into_iter().enumerate() {
        let path = |f: &str| format!("feed.entry[{n}].{f}");
        let mut adv = ParsedAdvisory::new(kind::JVNDB, e.id.clone(), e.title.clone());
        adv.url = e.link;
        adv.published = dates::parse_opt(e.created.as_deref())
            .map_err(|err| ParseError::field(path("created"), err))?;
        adv.updated = dates::parse_opt(e.modified.as_deref())
            .map_err(|err| ParseError::field(path("modified"), err))?;
        adv.tlp = tlp;
        adv.lang = feed.lang.clone();
        let summary = e.summary.unwrap_or_default();
        adv.add_cves(cves_in_text(&summary));
        adv.summary = Summary::Text(summary);
        for r in e.references {
            if let Some(id) = r.summary.as_deref().and_then(|s| CveId::parse(s).ok()) {
                adv.add_cves([id]);
            }
            adv.references.push(Reference {
                source: r.source,
                id: None,
                title: r.summary,
                url: r.url,
            });
        }
        for p in e.products {
            adv.products.push(Product {
                vendor: p.vname,
                product: p.pname,
                version: p.version,
                cpe: p.product_ids.and_then(|i| i.cpe),
            });
        }
        for m in e.metrics {
            for (name, v) in m.content {
                if !name.starts_with("cvss_v") {
                    continue;
                }
                let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                adv.cvss.push(CvssEntry {
                    version: text("version").unwrap_or_default(),
                    score: v.get("baseScore").and_then(Value::as_f64),
                    severity: text("baseSeverity"),
                    vector: text("vectorString"),
                });
            }
        }
        items.push(adv);
    }
    Ok(Parsed {
        items,
        ..Parsed::default()
    })
}

fn stix(objects: Vec<Value>) -> Result<Parsed, ParseError> {
    let mut items = Vec::new();
    for (n, obj) in objects.into_iter().enumerate() {
        if obj.get("type").and_then(Value::as_str) != Some("jvn-jp-sdo") {
            continue;
        }
        let docs = obj
            .get("VULDEF-Document")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ParseError::field(
                    format!("objects[{n}].VULDEF-Document"),
                    "missing or not a list",
                )
            })?;
        for (m, doc) in docs.iter().enumerate() {
            let parsed: CsafDocument = serde_path_to_error::deserialize(doc).map_err(|e| {
                ParseError::field(
                    format!("objects[{n}].VULDEF-Document[{m}].{}", e.path()),
                    e.into_inner(),
                )
            })?;
            let mut adv = to_advisory(parsed)?;
            // MyJVN documents are JVN iPedia entries: key them by their JVNDB id like the feeds.
            if let Some(id) = adv
                .upstream_id
                .rsplit('/')
                .next()
                .filter(|id| id.starts_with("JVN"))
            {
                adv.upstream_id = id.to_owned();
                adv.kind = kind::JVNDB;
            }
            items.push(adv);
        }
    }
    if items.is_empty() {
        return Err(ParseError::Unexpected {
            expected: "a jvnstix bundle with a jvn-jp-sdo object",
            found: "a STIX bundle without one".into(),
        });
    }
    Ok(Parsed {
        items,
        ..Parsed::default()
    })
}
