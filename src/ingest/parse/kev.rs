//! CISA Known Exploited Vulnerabilities: a full snapshot, one entry per CVE. A catalogue with no
//! entries, or fewer than its own `count`, is refused rather than read as "nothing is exploited".

use serde::Deserialize;

use super::{Input, ParseError, Parsed, json};
use crate::domain::{CveId, Tlp};
use crate::ingest::dates;
use crate::ingest::model::{ParsedAdvisory, Product, Reference, Summary, kind};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalogue {
    #[serde(default)]
    catalog_version: Option<String>,
    #[serde(default)]
    count: Option<u64>,
    vulnerabilities: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    short_description: String,
    required_action: String,
    due_date: String,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    cwes: Vec<String>,
}

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let catalogue: Catalogue = json::from_slice(input.bytes, "a CISA KEV catalogue (JSON)")?;
    if catalogue.vulnerabilities.is_empty() {
        return Err(ParseError::Refused(
            "the KEV catalogue lists no vulnerabilities; refused, since the real catalogue never shrinks to nothing".into(),
        ));
    }
    if let Some(count) = catalogue.count
        && count != catalogue.vulnerabilities.len() as u64
    {
        return Err(ParseError::Refused(format!(
            "the KEV catalogue says it has {count} entries but lists {}: truncated or corrupted",
            catalogue.vulnerabilities.len()
        )));
    }
    let mut items = Vec::with_capacity(catalogue.vulnerabilities.len());
    let mut rejected = Vec::new();
    for (n, e) in catalogue.vulnerabilities.into_iter().enumerate() {
        let one = || -> Result<ParsedAdvisory, ParseError> {
            let path = |f: &str| format!("vulnerabilities[{n}].{f}");
            let cve =
                CveId::parse(&e.cve_id).map_err(|err| ParseError::field(path("cveID"), err))?;
            let added = dates::parse(&e.date_added)
                .map_err(|err| ParseError::field(path("dateAdded"), err))?;
            dates::parse(&e.due_date).map_err(|err| ParseError::field(path("dueDate"), err))?;
            let mut adv =
                ParsedAdvisory::new(kind::KEV, cve.to_string(), e.vulnerability_name.clone());
            adv.url = Some(format!("https://nvd.nist.gov/vuln/detail/{cve}"));
            adv.summary = Summary::Text(e.short_description.clone());
            adv.published = Some(added);
            adv.tlp = Some(Tlp::Clear);
            adv.lang = Some("en".into());
            adv.products.push(Product {
                vendor: Some(e.vendor_project.clone()),
                product: Some(e.product.clone()),
                ..Product::default()
            });
            for url in e.notes.iter().flat_map(|n| n.split(" ; ")) {
                if let Some(start) = url.find("https://").or_else(|| url.find("http://")) {
                    adv.references.push(Reference {
                        url: Some(url[start..].trim().to_owned()),
                        ..Reference::default()
                    });
                }
            }
            adv.extra.insert("date_added".into(), e.date_added.into());
            adv.extra.insert("due_date".into(), e.due_date.into());
            adv.extra
                .insert("required_action".into(), e.required_action.into());
            if let Some(r) = e.known_ransomware_campaign_use {
                adv.extra
                    .insert("known_ransomware_campaign_use".into(), r.into());
            }
            if !e.cwes.is_empty() {
                adv.extra.insert("cwes".into(), e.cwes.into());
            }
            if let Some(v) = &catalogue.catalog_version {
                adv.extra.insert("catalog_version".into(), v.clone().into());
            }
            adv.add_cves([cve]);
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
