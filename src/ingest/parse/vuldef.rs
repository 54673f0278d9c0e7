//! MyJVN VULDEF 3.2 detail documents: one or more `Vulinfo`. The overview and impact texts carry
//! HTML escaped as text (sanitised by the caller); history texts contain a literal `\n`.

use roxmltree::Node;

use super::xml::{self, STATUS_NS};
use super::{Input, ParseError, Parsed};
use crate::domain::{CveId, cves_in_text};
use crate::ingest::dates;
use crate::ingest::model::{CvssEntry, ParsedAdvisory, Product, Reference, Summary, kind};

const VULDEF_NS: &str = "http://jvn.jp/vuldef/";
const EXPECTED: &str = "a MyJVN VULDEF-Document";

fn kids<'a, 'i>(node: Node<'a, 'i>, local: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    xml::children(node, VULDEF_NS, local)
}

fn text(node: Node<'_, '_>, local: &str) -> Option<String> {
    xml::child_text(node, VULDEF_NS, local)
}

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let text_doc = xml::decode(input.bytes, input.content_type)?;
    let doc = xml::parse(&text_doc, EXPECTED)?;
    xml::check_myjvn_status(&doc)?;
    let root = doc.root_element();
    if root.tag_name().name() == "Result" && root.tag_name().namespace() == Some(STATUS_NS) {
        return Ok(Parsed::default());
    }
    if root.tag_name().name() != "VULDEF-Document" || root.tag_name().namespace() != Some(VULDEF_NS)
    {
        return Err(ParseError::Unexpected {
            expected: EXPECTED,
            found: xml::describe_root(&doc),
        });
    }
    let tlp = xml::handling_tlp(root);
    let lang = root
        .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
        .map(str::to_owned);
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    for (n, info) in kids(root, "Vulinfo").enumerate() {
        let mut adv = match vulinfo(info, n) {
            Ok(adv) => adv,
            Err(e) => {
                rejected.push(super::Rejected::new(n, &e));
                continue;
            }
        };
        adv.tlp = tlp;
        adv.lang = lang.clone();
        items.push(adv);
    }
    Ok(Parsed {
        items,
        rejected,
        ..Parsed::default()
    })
}

fn vulinfo(info: Node<'_, '_>, n: usize) -> Result<ParsedAdvisory, ParseError> {
    let id = text(info, "VulinfoID")
        .ok_or_else(|| ParseError::field(format!("Vulinfo {}: VulinfoID", n + 1), "missing"))?;
    let data = kids(info, "VulinfoData")
        .next()
        .ok_or_else(|| ParseError::field(format!("{id}: VulinfoData"), "missing"))?;
    let title =
        text(data, "Title").ok_or_else(|| ParseError::field(format!("{id}: Title"), "missing"))?;
    let overview = kids(data, "VulinfoDescription")
        .next()
        .and_then(|d| text(d, "Overview"))
        .unwrap_or_default();
    let kind = if id.starts_with("JVNDB-") {
        kind::JVNDB
    } else {
        kind::JVN_NOTE
    };
    let mut adv = ParsedAdvisory::new(kind, id.clone(), title.clone());
    adv.url = jvndb_url(&id);
    adv.summary = Summary::Html(overview.clone());
    let date = |local: &str| {
        dates::parse_opt(text(data, local).as_deref())
            .map_err(|e| ParseError::field(format!("{id}: {local}"), e))
    };
    adv.published = date("DateFirstPublished")?;
    adv.updated = date("DateLastUpdated")?;
    if let Some(public) = date("DatePublic")? {
        adv.extra
            .insert("date_public".into(), public.to_rfc3339().into());
    }

    for item in kids(data, "Affected").flat_map(|a| kids(a, "AffectedItem")) {
        adv.products.push(Product {
            vendor: text(item, "Name"),
            product: text(item, "ProductName"),
            version: text(item, "VersionNumber"),
            cpe: text(item, "Cpe"),
        });
    }
    let mut impacts = Vec::new();
    for impact in kids(data, "Impact") {
        for cvss in kids(impact, "Cvss") {
            let score = match text(cvss, "Base") {
                None => None,
                Some(s) => Some(
                    s.parse::<f64>()
                        .ok()
                        .filter(|v| (0.0..=10.0).contains(v))
                        .ok_or_else(|| {
                            ParseError::field(
                                format!("{id}: Cvss/Base"),
                                format!("`{s}` is not a score from 0 to 10"),
                            )
                        })?,
                ),
            };
            adv.cvss.push(CvssEntry {
                version: cvss.attribute("version").unwrap_or("").to_owned(),
                score,
                severity: text(cvss, "Severity"),
                vector: text(cvss, "Vector"),
            });
        }
        impacts.extend(kids(impact, "ImpactItem").filter_map(|i| text(i, "Description")));
    }
    let solutions: Vec<String> = kids(data, "Solution")
        .flat_map(|s| kids(s, "SolutionItem"))
        .filter_map(|i| text(i, "Description"))
        .collect();
    if !impacts.is_empty() {
        adv.extra
            .insert("impact_html".into(), impacts.join("\n").into());
    }
    if !solutions.is_empty() {
        adv.extra
            .insert("solution_html".into(), solutions.join("\n").into());
    }
    for rel in kids(data, "Related").flat_map(|r| kids(r, "RelatedItem")) {
        let reference = Reference {
            source: rel
                .attribute("type")
                .map(|t| format!("{t}: {}", text(rel, "Name").unwrap_or_default())),
            id: text(rel, "VulinfoID"),
            title: text(rel, "Title"),
            url: text(rel, "URL"),
        };
        if rel.attribute("type") == Some("advisory")
            && let Some(cve) = reference.id.as_deref().and_then(|i| CveId::parse(i).ok())
        {
            adv.add_cves([cve]);
        }
        adv.references.push(reference);
    }
    adv.add_cves(cves_in_text(&overview));
    let history: Vec<serde_json::Value> = kids(data, "History")
        .flat_map(|h| kids(h, "HistoryItem"))
        .map(|h| {
            serde_json::json!({
                "no": text(h, "HistoryNo"),
                "at": text(h, "DateTime"),
                // VULDEF writes a literal backslash-n where it means a line break.
                "description": text(h, "Description").map(|d| d.replace("\\n", "\n").trim().to_owned()),
            })
        })
        .collect();
    if !history.is_empty() {
        adv.extra.insert("history".into(), history.into());
    }
    Ok(adv)
}

/// `https://jvndb.jvn.jp/ja/contents/2022/JVNDB-2022-000097.html` for a JVNDB id.
fn jvndb_url(id: &str) -> Option<String> {
    let year = id.strip_prefix("JVNDB-")?.split('-').next()?;
    Some(format!("https://jvndb.jvn.jp/ja/contents/{year}/{id}.html"))
}
