//! The normalised advisory every parser produces, whatever the source format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CveId, Tlp};

/// One CVSS entry as the source gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvssEntry {
    /// "2.0", "3.0", "3.1", "4.0".
    pub version: String,
    pub score: Option<f64>,
    /// The source's severity word (High, CRITICAL, …), as given.
    pub severity: Option<String>,
    pub vector: Option<String>,
}

/// An affected product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Product {
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    /// CPE 2.2 URI or 2.3 formatted string, as given.
    pub cpe: Option<String>,
}

/// A reference the source lists (vendor bulletin, CVE record, CWE, related JVN note…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Reference {
    pub source: Option<String>,
    pub id: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
}

/// What the source says about an item. HTML arrives sanitised by the parser's caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Summary {
    /// Plain text (JVN descriptions, KEV, mail bodies).
    Text(String),
    /// Untrusted HTML (JPCERT content:encoded, VULDEF overviews, vendor feeds).
    Html(String),
}

/// What kind of item this is in its source's own terms; classification reads it.
pub mod kind {
    pub const JPCERT_ALERT: &str = "jpcert_alert";
    pub const JPCERT_WEEKLY: &str = "jpcert_weekly";
    pub const JPCERT_OTHER: &str = "jpcert_other";
    pub const JVN_NOTE: &str = "jvn_note";
    pub const JVNDB: &str = "jvndb";
    pub const MYJVN_ALERT: &str = "myjvn_alert";
    pub const KEV: &str = "kev";
    pub const CSAF: &str = "csaf";
    pub const FEED_ITEM: &str = "feed_item";
    pub const NCO_NOTICE: &str = "nco_notice";
    /// JPCERT/CC's 早期警戒情報 (early warning for 重要インフラ and CEPTOARs), by mail; shared
    /// under restriction: TLP:AMBER unless marked otherwise.
    pub const JPCERT_EARLY_WARNING: &str = "jpcert_early_warning";
    pub const MANUAL: &str = "manual";
}

/// One advisory as parsed, before it meets the database.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedAdvisory {
    /// The source's own stable id: JPCERT link, JVN `sec:identifier`, KEV `cveID`,
    /// CSAF `namespace/tracking id`, mail `Message-ID`.
    pub upstream_id: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Summary,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub cves: Vec<CveId>,
    pub cvss: Vec<CvssEntry>,
    pub products: Vec<Product>,
    pub references: Vec<Reference>,
    pub tlp: Option<Tlp>,
    pub kind: &'static str,
    pub lang: Option<String>,
    /// The source marks it withdrawn or rejected (JVN `** 削除 **`, CSAF `interim`…).
    pub withdrawn: bool,
    /// Source-specific facts worth keeping (KEV due date, ransomware use, mail sender…).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ParsedAdvisory {
    /// A blank advisory of `kind` with its id and title; parsers fill in the rest.
    pub fn new(kind: &'static str, upstream_id: String, title: String) -> Self {
        Self {
            upstream_id,
            url: None,
            title,
            summary: Summary::Text(String::new()),
            published: None,
            updated: None,
            cves: Vec::new(),
            cvss: Vec::new(),
            products: Vec::new(),
            references: Vec::new(),
            tlp: None,
            kind,
            lang: None,
            withdrawn: false,
            extra: serde_json::Map::new(),
        }
    }

    /// Adds CVE ids not already present.
    pub fn add_cves(&mut self, ids: impl IntoIterator<Item = CveId>) {
        for id in ids {
            if !self.cves.contains(&id) {
                self.cves.push(id);
            }
        }
    }
}
