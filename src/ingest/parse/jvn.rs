//! JVN and JVN iPedia RSS 1.0 with the `sec:` module (both namespace URIs), which is also what
//! MyJVN getVulnOverviewList returns (plus `status:Status`, and a bare `Result` root on zero hits).

use roxmltree::Node;

use super::xml::{self, DC_NS, DCTERMS_NS, RDF_NS, RSS1_NS, STATUS_NS};
use super::{Input, ParseError, Parsed};
use crate::domain::{CveId, cves_in_text};
use crate::ingest::dates;
use crate::ingest::model::{CvssEntry, ParsedAdvisory, Product, Reference, Summary, kind};

const EXPECTED: &str = "a JVN RSS 1.0 feed with the sec: module (rdf:RDF)";

/// Text markers JVN iPedia puts in descriptions of entries that are not (or no longer) valid.
const WITHDRAWN_MARKERS: [&str; 3] = ["** 削除 **", "** 未確定 **", "** サポート外 **"];

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let text = xml::decode(input.bytes, input.content_type)?;
    let doc = xml::parse(&text, EXPECTED)?;
    xml::check_myjvn_status(&doc)?;
    let root = doc.root_element();
    if root.tag_name().name() == "Result" && root.tag_name().namespace() == Some(STATUS_NS) {
        // MyJVN answers a query with no hits with a Result root holding only the status.
        return Ok(Parsed::default());
    }
    if root.tag_name().name() != "RDF" || root.tag_name().namespace() != Some(RDF_NS) {
        return Err(ParseError::Unexpected {
            expected: EXPECTED,
            found: xml::describe_root(&doc),
        });
    }
    let channel_tlp = xml::children(root, RSS1_NS, "channel")
        .next()
        .and_then(xml::handling_tlp);
    let lang = root
        .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
        .map(str::to_owned);
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    for (n, item) in xml::children(root, RSS1_NS, "item").enumerate() {
        let mut adv = match item_to_advisory(item, n) {
            Ok(adv) => adv,
            Err(e) => {
                rejected.push(super::Rejected::new(n, &e));
                continue;
            }
        };
        adv.tlp = xml::handling_tlp(item).or(channel_tlp);
        adv.lang = lang.clone();
        items.push(adv);
    }
    Ok(Parsed {
        items,
        rejected,
        ..Parsed::default()
    })
}

fn sec<'a, 'i>(node: Node<'a, 'i>, local: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == local && xml::is_sec_ns(c.tag_name().namespace())
    })
}

fn item_to_advisory(item: Node<'_, '_>, n: usize) -> Result<ParsedAdvisory, ParseError> {
    let at = |what: &str| format!("item {}: {what}", n + 1);
    let identifier = sec(item, "identifier")
        .next()
        .map(xml::text_of)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ParseError::field(at("sec:identifier"), "missing"))?;
    let title = xml::child_text(item, RSS1_NS, "title")
        .ok_or_else(|| ParseError::field(format!("{identifier}: title"), "missing"))?;
    let link = xml::child_text(item, RSS1_NS, "link")
        .or_else(|| item.attribute((RDF_NS, "about")).map(str::to_owned));
    let description = xml::child_text(item, RSS1_NS, "description").unwrap_or_default();
    let date_of = |ns: &str, local: &str| {
        let raw = xml::child_text(item, ns, local);
        dates::parse_opt(raw.as_deref())
            .map_err(|e| ParseError::field(format!("{identifier}: {local}"), e))
    };
    let dc_date = date_of(DC_NS, "date")?;
    let issued = date_of(DCTERMS_NS, "issued")?;
    let modified = date_of(DCTERMS_NS, "modified")?;

    let kind = if identifier.starts_with("JVNDB-") {
        kind::JVNDB
    } else {
        kind::JVN_NOTE
    };
    let mut adv = ParsedAdvisory::new(kind, identifier.clone(), title.clone());
    adv.url = link;
    adv.published = issued.or(dc_date);
    adv.updated = modified.or(dc_date);
    adv.withdrawn = WITHDRAWN_MARKERS.iter().any(|m| description.contains(m));
    if let Some(marker) = WITHDRAWN_MARKERS.iter().find(|m| description.contains(*m)) {
        adv.extra
            .insert("jvn_marker".into(), marker.trim_matches(['*', ' ']).into());
    }
    adv.summary = Summary::Text(description.clone());

    for r in sec(item, "references") {
        let reference = Reference {
            source: r.attribute("source").map(str::to_owned),
            id: r.attribute("id").map(str::to_owned),
            title: r.attribute("title").map(str::to_owned),
            url: Some(xml::text_of(r)).filter(|u| !u.is_empty()),
        };
        if matches!(reference.source.as_deref(), Some("CVE" | "NVD"))
            && let Some(id) = reference.id.as_deref().and_then(|i| CveId::parse(i).ok())
        {
            adv.add_cves([id]);
        }
        adv.references.push(reference);
    }
    adv.add_cves(cves_in_text(&title));
    adv.add_cves(cves_in_text(&description));

    for c in sec(item, "cvss") {
        let score = match c
            .attribute("score")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                s.parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=10.0).contains(v))
                    .ok_or_else(|| {
                        ParseError::field(
                            format!("{identifier}: sec:cvss@score"),
                            format!("`{s}` is not a score from 0 to 10"),
                        )
                    })?,
            ),
        };
        adv.cvss.push(CvssEntry {
            version: c.attribute("version").unwrap_or("").trim().to_owned(),
            score,
            severity: c.attribute("severity").map(str::to_owned),
            vector: c.attribute("vector").map(str::to_owned),
        });
    }
    for c in sec(item, "cpe") {
        let cpe = xml::text_of(c);
        adv.products.push(Product {
            vendor: c.attribute("vendor").map(str::to_owned),
            product: c.attribute("product").map(str::to_owned),
            version: None,
            cpe: Some(cpe).filter(|s| !s.is_empty()),
        });
    }
    Ok(adv)
}
