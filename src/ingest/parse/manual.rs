//! Manual entry: a notice that arrived on paper or by phone, typed in by central staff. The
//! command line and the portal both produce this JSON document, which is stored as the raw
//! document like any upstream file.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Input, ParseError, Parsed, json};
use crate::domain::{CveId, Tlp, cves_in_text};
use crate::ingest::dates;
use crate::ingest::model::{ParsedAdvisory, Summary, kind};

/// Longest title accepted.
pub const MAX_TITLE: usize = 300;
/// Longest body accepted.
pub const MAX_BODY: usize = 100_000;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualNotice {
    /// A stable id to update the same notice later; derived from the content when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    pub body: String,
    /// Who issued it (`国家サイバー統括室`, `〇〇県 情報政策課（電話）`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<String>,
    /// When it was issued; defaults to when it was entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Who typed it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered_by: Option<String>,
}

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let notice: ManualNotice = json::from_slice(input.bytes, "a manual notice (JSON)")?;
    Ok(Parsed {
        items: vec![to_advisory(notice)?],
        ..Parsed::default()
    })
}

pub fn to_advisory(n: ManualNotice) -> Result<ParsedAdvisory, ParseError> {
    let title = n.title.trim().to_owned();
    if title.is_empty() {
        return Err(ParseError::field("title", "is empty"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(ParseError::field(
            "title",
            format!("is longer than {MAX_TITLE} characters"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(ParseError::field("title", "contains control characters"));
    }
    let body = n.body.trim().to_owned();
    if body.is_empty() {
        return Err(ParseError::field("body", "is empty"));
    }
    if body.chars().count() > MAX_BODY {
        return Err(ParseError::field(
            "body",
            format!("is longer than {MAX_BODY} characters"),
        ));
    }
    let url = match n.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => {
            let parsed = url::Url::parse(u)
                .map_err(|e| ParseError::field("url", format!("{u:?} is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ParseError::field("url", "must be http or https"));
            }
            Some(parsed.to_string())
        }
    };
    let tlp = match n.tlp.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(Tlp::parse(t).map_err(|e| ParseError::field("tlp", e))?),
    };
    let published =
        dates::parse_opt(n.published.as_deref()).map_err(|e| ParseError::field("published", e))?;
    let id = match n.id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(id) => id.to_owned(),
        None => {
            let digest = Sha256::digest(format!(
                "{title}\n{body}\n{}",
                n.published.as_deref().unwrap_or("")
            ));
            format!("manual:{}", &hex::encode(digest)[..16])
        }
    };
    let mut adv = ParsedAdvisory::new(kind::MANUAL, id, title.clone());
    for (i, c) in n.cves.iter().enumerate() {
        adv.add_cves([CveId::parse(c).map_err(|e| ParseError::field(format!("cves[{i}]"), e))?]);
    }
    adv.add_cves(cves_in_text(&title));
    adv.add_cves(cves_in_text(&body));
    adv.url = url;
    adv.tlp = tlp;
    adv.published = published;
    adv.updated = published;
    adv.lang = Some("ja".into());
    adv.summary = Summary::Text(body);
    if let Some(issuer) = n.issuer.filter(|i| !i.trim().is_empty()) {
        adv.extra.insert("issuer".into(), issuer.into());
    }
    if let Some(who) = n.entered_by.filter(|i| !i.trim().is_empty()) {
        adv.extra.insert("entered_by".into(), who.into());
    }
    Ok(adv)
}
