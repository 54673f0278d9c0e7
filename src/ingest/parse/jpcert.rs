//! JPCERT/CC RSS 1.0: items are siblings of the channel; the category is only in the title
//! prefix and the URL path (`/at/` 注意喚起, `/wr/` Weekly Report); updates re-post the same link
//! with `(更新)`; `dc:date` has no seconds.

use super::xml::{self, CONTENT_NS, DC_NS, RDF_NS, RSS1_NS};
use super::{Input, ParseError, Parsed};
use crate::domain::cves_in_text;
use crate::ingest::dates;
use crate::ingest::model::{ParsedAdvisory, Summary, kind};

const EXPECTED: &str = "a JPCERT/CC RSS 1.0 feed (rdf:RDF)";

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let text = xml::decode(input.bytes, input.content_type)?;
    let doc = xml::parse(&text, EXPECTED)?;
    let root = doc.root_element();
    if root.tag_name().name() != "RDF" || root.tag_name().namespace() != Some(RDF_NS) {
        return Err(ParseError::Unexpected {
            expected: EXPECTED,
            found: xml::describe_root(&doc),
        });
    }
    let lang = root
        .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
        .map(str::to_owned);
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    for (n, item) in xml::children(root, RSS1_NS, "item").enumerate() {
        let one = || -> Result<ParsedAdvisory, ParseError> {
            let at = |what: &str| format!("item {}: {what}", n + 1);
            let link = xml::child_text(item, RSS1_NS, "link")
                .or_else(|| item.attribute((RDF_NS, "about")).map(str::to_owned))
                .ok_or_else(|| ParseError::field(at("link"), "missing"))?;
            let title = xml::child_text(item, RSS1_NS, "title")
                .ok_or_else(|| ParseError::field(at("title"), "missing"))?;
            let date = xml::child_text(item, DC_NS, "date");
            let date = dates::parse_opt(date.as_deref())
                .map_err(|e| ParseError::field(format!("{link}: dc:date"), e))?;
            let description = xml::child_text(item, RSS1_NS, "description");
            let content = xml::child_text(item, CONTENT_NS, "encoded");

            let path = link
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('/').map(|(_, p)| p))
                .unwrap_or("");
            let kind = if path.contains("/at/") || path.starts_with("at/") {
                kind::JPCERT_ALERT
            } else if path.contains("/wr/") || path.starts_with("wr/") {
                kind::JPCERT_WEEKLY
            } else {
                kind::JPCERT_OTHER
            };
            // An alert is one page whatever its fragment; a weekly report has one item per topic.
            let upstream_id = if kind == kind::JPCERT_ALERT {
                link.split('#').next().unwrap_or(&link).to_owned()
            } else {
                link.clone()
            };
            let mut adv = ParsedAdvisory::new(kind, upstream_id, title.clone());
            adv.url = Some(link.clone());
            adv.published = date;
            adv.updated = date;
            adv.lang = lang.clone();
            adv.summary = match (&content, &description) {
                (Some(html), _) => Summary::Html(html.clone()),
                (None, Some(text)) => Summary::Text(text.clone()),
                (None, None) => Summary::Text(String::new()),
            };
            let status = if title.trim_end().ends_with("(更新)") {
                Some("更新")
            } else if title.trim_end().ends_with("(公開)") {
                Some("公開")
            } else {
                None
            };
            if let Some(status) = status {
                adv.extra.insert("jpcert_status".into(), status.into());
            }
            adv.add_cves(cves_in_text(&title));
            adv.add_cves(cves_in_text(description.as_deref().unwrap_or("")));
            adv.add_cves(cves_in_text(content.as_deref().unwrap_or("")));
            Ok(adv)
        };
        match one() {
            Ok(adv) => items.push(adv),
            Err(e) => rejected.push(super::Rejected::new(n, &e)),
        }
    }
    Ok(Parsed {
        items,
        rejected,
        ..Parsed::default()
    })
}
