//! What classification says about an advisory, and what it reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::Severity;
use crate::ingest::model::{CvssEntry, Product};

crate::string_enum! {
    /// The categories alerts and cases share. `Display` shows the Japanese label.
    #[derive(PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Category ("category", own Display) {
        Vulnerability = "vulnerability",
        TargetedAttack = "targeted_attack",
        SuspiciousMail = "suspicious_mail",
        Malware = "malware",
        Ransomware = "ransomware",
        UnauthorizedAccess = "unauthorized_access",
        DenialOfService = "denial_of_service",
        DataLeak = "data_leak",
        Tampering = "tampering",
        Outage = "outage",
        Other = "other",
    }
}

impl Category {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Vulnerability => "脆弱性",
            Self::TargetedAttack => "標的型攻撃",
            Self::SuspiciousMail => "不審メール",
            Self::Malware => "マルウェア",
            Self::Ransomware => "ランサムウェア",
            Self::UnauthorizedAccess => "不正アクセス",
            Self::DenialOfService => "サービス不能攻撃",
            Self::DataLeak => "情報漏えい",
            Self::Tampering => "改ざん",
            Self::Outage => "障害",
            Self::Other => "その他",
        }
    }

    /// Accepts the Japanese label or the English id.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.label_ja() == t || c.as_str() == t)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a category: expected one of {}",
                    Self::ALL.map(Category::label_ja).join("、")
                )
            })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

crate::string_enum! {
    /// How much an advisory concerns local governments.
    #[derive(PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RelevanceLevel ("relevance level") {
        None = "none",
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

impl RelevanceLevel {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "high" | "高" => Ok(Self::High),
            "medium" | "中" => Ok(Self::Medium),
            "low" | "低" => Ok(Self::Low),
            "none" | "なし" => Ok(Self::None),
            other => Err(format!(
                "`{other}` is not a relevance level: expected high, medium, low or none"
            )),
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::High => "高",
            Self::Medium => "中",
            Self::Low => "低",
            Self::None => "なし",
        }
    }
}

/// A product the advisory affects, as classification understood it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRef {
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    /// CPE 2.3 form, when known.
    pub cpe: Option<String>,
    /// `source` (the advisory named it) or the product rule's id.
    pub from: String,
}

/// One rule that fired, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Firing {
    pub rule: String,
    /// category, severity, product or relevance.
    pub aspect: String,
    /// What it decided, in words (`脆弱性`, `注意 → 重要`, `Fortinet FortiOS`).
    pub effect: String,
    /// The text that matched, or the fact that applied.
    pub evidence: String,
}

/// What an advisory is, how bad, what it affects and whom it concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub categories: Vec<Category>,
    pub severity: Severity,
    /// The base score the severity started from, computed from a vector.
    pub score: Option<f64>,
    pub products: Vec<ProductRef>,
    pub relevance: RelevanceLevel,
    pub themes: Vec<String>,
    /// CVE ids of the advisory that CISA lists as exploited.
    pub kev_cves: Vec<String>,
    pub explanation: Vec<Firing>,
}

/// What classification reads of an advisory.
#[derive(Clone, Debug, Default)]
pub struct AdvisoryView {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub cves: Vec<String>,
    pub cvss: Vec<CvssEntry>,
    pub products: Vec<Product>,
}

impl AdvisoryView {
    pub fn from_model(m: &crate::db::entities::advisories::Model) -> Self {
        Self {
            kind: m.kind.clone(),
            title: m.title.clone(),
            summary: m.summary_text.clone(),
            cves: serde_json::from_str(&m.cve_ids).unwrap_or_default(),
            cvss: serde_json::from_str(&m.cvss).unwrap_or_default(),
            products: serde_json::from_str(&m.products).unwrap_or_default(),
        }
    }

    pub fn from_normalised(n: &crate::ingest::normalise::Normalised) -> Self {
        Self {
            kind: n.kind.clone(),
            title: n.title.clone(),
            summary: n.summary_text.clone(),
            cves: n.cves.iter().map(ToString::to_string).collect(),
            cvss: serde_json::from_str(&n.cvss).unwrap_or_default(),
            products: serde_json::from_str(&n.products).unwrap_or_default(),
        }
    }
}
