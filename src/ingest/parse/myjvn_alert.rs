//! MyJVN getAlertList: IPA 注意警戒情報 as Atom 1.0 with `sec:items` (one per affected product).

use super::xml::{self, ATOM_NS};
use super::{Input, ParseError, Parsed};
use crate::domain::cves_in_text;
use crate::ingest::dates;
use crate::ingest::model::{ParsedAdvisory, Product, Reference, Summary, kind};

const EXPECTED: &str = "a MyJVN getAlertList Atom feed";

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let text = xml::decode(input.bytes, input.content_type)?;
    let doc = xml::parse(&text, EXPECTED)?;
    xml::check_myjvn_status(&doc)?;
    let root = doc.root_element();
    if root.tag_name().name() != "feed" || root.tag_name().namespace() != Some(ATOM_NS) {
        return Err(ParseError::Unexpected {
            expected: EXPECTED,
            found: xml::describe_root(&doc),
        });
    }
    let tlp = xml::handling_tlp(root);
    let mut items = Vec::new();
    for (n, entry) in xml::children(root, ATOM_NS, "entry").enumerate() {
        let id = xml::child_text(entry, ATOM_NS, "id")
            .ok_or_else(|| ParseError::field(format!("entry {}: id", n + 1), "missing"))?;
        let title = xml::child_text(entry, ATOM_NS, "title")
            .ok_or_else(|| ParseError::field(format!("{id}: title"), "missing"))?;
        let date = |local: &str| {
            dates::parse_opt(xml::child_text(entry, ATOM_NS, local).as_deref())
                .map_err(|e| ParseError::field(format!("{id}: {local}"), e))
        };
        let mut adv = ParsedAdvisory::new(kind::MYJVN_ALERT, id.clone(), title.clone());
        adv.published = date("published")?;
        adv.updated = date("updated")?;
        adv.url = xml::children(entry, ATOM_NS, "link")
            .find_map(|l| l.attribute("href"))
            .map(str::to_owned);
        let summary = xml::child_text(entry, ATOM_NS, "summary").unwrap_or_default();
        adv.add_cves(cves_in_text(&title));
        adv.add_cves(cves_in_text(&summary));
        adv.summary = Summary::Text(summary);
        adv.tlp = tlp;
        adv.lang = Some("ja".into());
        for item in entry
            .descendants()
            .filter(|d| d.tag_name().name() == "item" && xml::is_sec_ns(d.tag_name().namespace()))
        {
            let sec_text = |local: &str| {
                item.children()
                    .find(|c| {
                        c.tag_name().name() == local && xml::is_sec_ns(c.tag_name().namespace())
                    })
                    .map(xml::text_of)
                    .filter(|t| !t.is_empty())
            };
            let link = item
                .children()
                .find(|c| c.tag_name().name() == "link")
                .and_then(|l| l.attribute("href"))
                .map(str::to_owned);
            let item_title = sec_text("title");
            if let Some(cpe) = sec_text("cpe") {
                adv.products.push(Product {
                    product: item_title.clone(),
                    cpe: Some(cpe),
                    ..Product::default()
                });
            }
            adv.references.push(Reference {
                source: Some("MyJVN".into()),
                id: sec_text("identifier"),
                title: item_title,
                url: link,
            });
        }
        items.push(adv);
    }
    Ok(Parsed {
        items,
        ..Parsed::default()
    })
}
